#!/usr/bin/env python3
"""bench/walk: exscan walk IMAGE against yara -r over a mounted copy.

    image.py [--scale S] [--jobs N] [--size SIZE] [--out DIR]   (as root)

Generates the tree (bench/walk/gen.py), writes it into an NTFS volume made
by mkntfs in a sparse file of SIZE (default: the tree plus 50%; 500G shows
what a large disk costs) through an ntfs-3g mount, then times, page cache
warm: exscan walk --all-files --no-logs IMAGE and exscan walk IMAGE (read
without a mount), and over the same volume mounted read-only by ntfs-3g:
yara -r -p N with rules/*.yar, and exscan walk of the mount.  Prints
seconds, peak memory (max RSS) and the planted shells found."""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import SRC, timed, tree_for, tree_size  # noqa: E402


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def warm(path):
    """Reads the allocated parts of a sparse image (not 500 GB of holes)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        end, off = os.fstat(fd).st_size, 0
        while off < end:
            try:
                off = os.lseek(fd, off, os.SEEK_DATA)
                hole = os.lseek(fd, off, os.SEEK_HOLE)
            except OSError:
                break
            while off < hole:
                n = len(os.pread(fd, min(1 << 20, hole - off), off))
                if not n:
                    break
                off += n
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--size", default="")
    ap.add_argument("--out", default=os.path.join(SRC, "bench", "out"))
    ap.add_argument("--exscan", default=os.environ.get("EXSCAN", os.path.join(SRC, "build", "src", "exscan")))
    ap.add_argument("--yara", default="yara")
    a = ap.parse_args()
    tree, planted = tree_for(a.out, a.scale)
    files, size = tree_size(tree)
    img = os.path.join(a.out, "image-%g-%s.raw" % (a.scale, a.size or "fit"))
    mnt = os.path.join(a.out, "mnt")
    os.makedirs(mnt, exist_ok=True)
    if not os.path.exists(img):
        with open(img, "wb") as f:
            f.truncate(int(size * 1.5) + (256 << 20))
        if a.size:
            sh("truncate", "-s", a.size, img)
        sh("mkntfs", "-F", "-Q", "-q", img)
        sh("ntfs-3g", img, mnt)
        try:
            sh("cp", "-r", tree + "/.", mnt + "/")
        finally:
            sh("umount", mnt)
    isize = os.stat(img).st_size
    used = os.stat(img).st_blocks * 512
    print("tree: %d files, %.2f GB, %d planted; image %s: %.0f GB (%.2f GB allocated); %d workers" % (
        files, size / 1e9, len(planted), img, isize / 1e9, used / 1e9, a.jobs))
    os.environ["XDG_CACHE_HOME"] = os.path.join(a.out, "cache")
    rules = [os.path.join(SRC, "rules", "webshells.yar"), os.path.join(SRC, "rules", "exchange.yar")]
    subprocess.run([a.exscan, "walk", "--format", "json", "-o", os.devnull, "--fail-on", "never",
                    os.path.join(tree, "ProgramData", "COM")], check=False)
    warm(img)
    rows = []

    def exscan(name, extra, root):
        outp = os.path.join(a.out, "exscan-image.json")
        with open(outp, "w") as o:
            secs, rss, rc, err = timed([a.exscan, "walk", "-j", str(a.jobs), "--format", "json",
                                        "--fail-on", "never"] + extra + [root], o)
        h = json.load(open(outp))["hosts"][0]
        found = {f["path"] for f in h["findings"] if f["kind"] == "webshell"}
        rows.append((name, secs, rss, sum(p in found for p in planted), h["stats"]["files_scanned"], rc, err))

    exscan("exscan IMAGE --all-files", ["--all-files", "--no-logs"], img)
    exscan("exscan IMAGE", [], img)
    sh("ntfs-3g", "-o", "ro", img, mnt)
    try:
        defs = []
        for ext in ("filename", "filepath", "extension", "filetype", "owner", "md5"):
            defs += ["-d", ext + "="]
        outp = os.path.join(a.out, "yara-image.txt")
        with open(outp, "w") as o:
            secs, rss, rc, err = timed([a.yara, "-w", "-r", "-p", str(a.jobs)] + defs + rules + [mnt], o)
        yfound = {os.path.relpath(l.rstrip("\n").split(" ", 1)[1], mnt) for l in open(outp, errors="replace") if " " in l}
        rows.append(("yara -r (ntfs-3g mount)", secs, rss, sum(p in yfound for p in planted), files, rc, err))
        exscan("exscan (ntfs-3g mount)", [], mnt)
    finally:
        sh("umount", mnt)
    ysecs = rows[2][1]
    print("%-26s %8s %9s %9s %8s %s" % ("run", "seconds", "peak MB", "vs yara", "shells", "files scanned"))
    for name, secs, rss, nfound, nf, rc, err in rows:
        print("%-26s %8.2f %9.1f %8.2fx %5d/%d   %d" % (name, secs, rss, ysecs / secs, nfound, len(planted), nf))
        if rc not in (0, 1):
            print("    exit %d: %s" % (rc, err.strip()[:300]))


if __name__ == "__main__":
    main()
