#!/usr/bin/env python3
"""bench/walk: exscan walk against `yara -r -p N` with exscan's own rules.

    run.py [--scale S] [--jobs N] [--out DIR] [--tree DIR]

Generates the tree (bench/walk/gen.py) under DIR (default bench/out/), reads
it once to warm the page cache, then times three runs over the same tree:
exscan --all-files (the same work as yara, plus typing and hashing), exscan
with its default policy (what a user waits for), and yara -r -p N with
rules/*.yar and the externals defined empty.  Reports files/s, MB/s, peak
memory (max RSS) and whether every planted shell was found."""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def timed(cmd, stdout):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    return secs, ru.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), err


def tree_size(root):
    files = size = 0
    for d, _, names in os.walk(root):
        for n in names:
            st = os.lstat(os.path.join(d, n))
            files += 1
            size += st.st_size
    return files, size


def tree_for(out, scale):
    """The generated tree of this scale under out (made once) and its planted shells."""
    tree = os.path.join(out, "tree-%g" % scale)
    if not os.path.isdir(tree):
        os.makedirs(out, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), tree, "--scale", str(scale)], check=True)
        os.replace(os.path.join(out, "planted.txt"), tree + ".planted")
    return tree, [l.strip() for l in open(tree + ".planted") if l.strip()]


def warm(root):
    buf = bytearray(1 << 20)
    for d, _, names in os.walk(root):
        for n in names:
            with open(os.path.join(d, n), "rb", buffering=0) as f:
                while f.readinto(buf):
                    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--out", default=os.path.join(SRC, "bench", "out"))
    ap.add_argument("--exscan", default=os.environ.get("EXSCAN", os.path.join(SRC, "build", "src", "exscan")))
    ap.add_argument("--yara", default="yara")
    ap.add_argument("--tree", help="time this existing directory instead of the generated "
                    "tree (real binaries and text; no planted shells)")
    a = ap.parse_args()
    if a.tree:
        tree, planted = os.path.abspath(a.tree), []
    else:
        tree, planted = tree_for(a.out, a.scale)
    files, size = tree_size(tree)
    warm(tree)
    mb = size / 1e6
    print("tree: %s, %d files, %.2f GB, %d planted shells; %d workers" % (tree, files, size / 1e9, len(planted), a.jobs))
    env_cache = os.path.join(a.out, "cache")
    os.environ["XDG_CACHE_HOME"] = env_cache
    rules = [os.path.join(SRC, "rules", "webshells.yar"), os.path.join(SRC, "rules", "exchange.yar")]
    # compile (and cache) the rules outside the timed runs, as a second run would
    empty = os.path.join(a.out, "empty")
    os.makedirs(empty, exist_ok=True)
    subprocess.run([a.exscan, "walk", "--format", "json", "-o", os.devnull, "--fail-on", "never",
                    empty], check=False)
    rows = []
    for name, extra in (("exscan --all-files", ["--all-files", "--no-logs"]), ("exscan default", [])):
        outp = os.path.join(a.out, "exscan.json")
        with open(outp, "w") as o:
            secs, rss, rc, err = timed([a.exscan, "walk", "-j", str(a.jobs), "--format", "json",
                                        "--fail-on", "never"] + extra + [tree], o)
        d = json.load(open(outp))
        h = d["hosts"][0]
        errors = [f["path"] + ": " + f["description"] for f in h["findings"] if f["kind"] == "error"]
        found = {f["path"] for f in h["findings"] if f["kind"] == "webshell"}
        miss = [p for p in planted if p not in found]
        st = h["stats"]
        rows.append((name, secs, rss, st["files_scanned"], st["bytes_scanned"] / 1e6, len(planted) - len(miss), miss, rc,
                     (err.strip() + "; " + "; ".join(errors[:3]))[:300]))
    defs = []
    for ext in ("filename", "filepath", "extension", "filetype", "owner", "md5"):
        defs += ["-d", ext + "="]
    ysecs = None
    for name, flags in (("yara -r -p %d" % a.jobs, []), ("yara -f -r -p %d" % a.jobs, ["-f"])):
        ycmd = [a.yara, "-w", "-r", "-p", str(a.jobs)] + flags + defs + rules + [tree]
        outp = os.path.join(a.out, "yara.txt")
        with open(outp, "w") as o:
            secs, rss, rc, err = timed(ycmd, o)
        yfound = set()
        for line in open(outp, errors="replace"):
            parts = line.rstrip("\n").split(" ", 1)
            if len(parts) == 2:
                yfound.add(os.path.relpath(parts[1], tree))
        ymiss = [p for p in planted if p not in yfound]
        rows.append((name, secs, rss, files, mb, len(planted) - len(ymiss), ymiss, rc, err.strip()[:300]))
        if ysecs is None:
            ysecs = secs
    print("%-20s %8s %10s %9s %9s %9s %8s %s" % ("run", "seconds", "files/s", "MB/s", "peak MB", "vs yara", "shells", "files/MB scanned"))
    for name, secs, rss, nf, nmb, nfound, miss, rc, err in rows:
        print("%-20s %8.2f %10.0f %9.1f %9.1f %8.2fx %5d/%d   %d / %.0f" % (
            name, secs, files / secs, mb / secs, rss, ysecs / secs, nfound, len(planted), nf, nmb))
        if miss:
            print("    missed:", ", ".join(miss))
        if rc not in (0, 1):
            print("    exit %d: %s" % (rc, err))
    if not planted:
        print("(an existing tree: no planted shells to find)")
    print("(files/s and MB/s over the whole tree: the time to get an answer for it; 'vs yara'")
    print(" is yara -r's time over this run's; exscan scans in YARA's fast mode, as yara -f does)")


if __name__ == "__main__":
    main()
