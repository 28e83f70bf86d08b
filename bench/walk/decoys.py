#!/usr/bin/env python3
"""bench/walk/decoys: peak memory of exscan walk over many small decoy pages
that each match a built-in rule (issue 12: about 2.7 KB per finding).

    decoys.py EXSCAN [--n N] [--dirs D] [--jobs J]

Writes N pages (default 200,000) spread over D folders (default 1) in a
temporary directory, walks them with `EXSCAN walk --format json` and prints
the wall time, peak RSS (max RSS of the child) and the number of findings."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PAGE = b'<%@ Page Language="Jscript"%><%eval(Request.Item["d%d"],"unsafe");%>\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exscan")
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--dirs", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="exscan-decoys.") as tmp:
        root = os.path.join(tmp, "root")
        for d in range(a.dirs):
            os.makedirs(os.path.join(root, "inetpub", f"site{d}"))
        for i in range(a.n):
            with open(os.path.join(root, "inetpub", f"site{i % a.dirs}", f"p{i}.aspx"), "wb") as f:
                f.write(PAGE.replace(b"%d", str(i).encode()))
        out = os.path.join(tmp, "out.json")
        t0 = time.monotonic()
        with open(out, "wb") as fo:
            p = subprocess.Popen([a.exscan, "walk", "--format", "json", "--fail-on", "never",
                                  "--no-rules-cache", "-j", str(a.jobs), root],
                                 stdout=fo, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
        secs = time.monotonic() - t0
        d = json.load(open(out))
        fs = d["hosts"][0]["findings"]
        counted = sum(f.get("count", 0) for f in fs if f["kind"] != "log")
        print(f"{a.n} decoys in {a.dirs} folder(s): {secs:.1f} s, peak RSS {ru.ru_maxrss / 1024:.0f} MB, "
              f"{len(fs)} findings listed, {counted} more counted in folded findings, "
              f"exit {os.waitstatus_to_exitcode(status)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
