#!/usr/bin/env python3
"""Scores exscan walk JSON on the dev corpus: overall, per source_repo, and
leave-one-source-out.

Leave-one-source-out, as run here: a detection is one built-in YARA rule, or
one sink of the capability model (its class and the sink's spelling, e.g.
exs_cap_process:process.start().  For each source S, S's files are scored
with only the detections that also fire on some webshell of another source:
a detection that fires on S alone may have been written from S, so it is
not credited to S.  What is left predicts how exscan does on a collection
it has never seen.  False positives are scored with every detection.

usage: score.py WEBSHELLS.json BENIGN.json CORPUS_DIR
"""
import collections
import json
import os
import re
import sys


def detections(path):
    """file name -> set of detection keys (webshell findings only)."""
    d = json.load(open(path))
    out = collections.defaultdict(set)
    for h in d["hosts"]:
        for f in h["findings"]:
            if f["kind"] != "webshell":
                continue
            key = f["rule"]
            if key.startswith("exs_cap_"):
                # the sink's spelling: the last "(SINK, line N)" before "; the page"
                m = re.findall(r"\(([^,]+), line \d+\)",
                               f.get("description", "").split("; the page")[0])
                if m:
                    key += ":" + m[-1]
            out[os.path.basename(f["path"])].add(key)
    return out, d["hosts"][0]["stats"]


def manifest(corpus):
    src = {}
    with open(os.path.join(corpus, "manifest.tsv")) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            src[row["corpus_file"].split("/")[-1]] = row["source_repo"]
    return src


def main():
    ws_json, bn_json, corpus = sys.argv[1:4]
    ws, ws_stats = detections(ws_json)
    bn, bn_stats = detections(bn_json)
    src = manifest(corpus)
    files = {s: sorted(n for n in os.listdir(os.path.join(corpus, s))
                       if os.path.isfile(os.path.join(corpus, s, n)))
             for s in ("webshells", "benign")}
    by_src = collections.defaultdict(list)
    for n in files["webshells"]:
        by_src[src.get(n, "?")].append(n)
    bn_src = collections.defaultdict(list)
    for n in files["benign"]:
        bn_src[src.get(n, "?")].append(n)

    # which sources each detection fires on: a YARA rule, or a capability class
    ws_strict = ws
    ws = {n: {k.split(":")[0] for k in ks} for n, ks in ws_strict.items()}
    fires = collections.defaultdict(set)
    fires_strict = collections.defaultdict(set)
    for n in files["webshells"]:
        for k in ws.get(n, ()):
            fires[k].add(src.get(n, "?"))
        for k in ws_strict.get(n, ()):
            fires_strict[k].add(src.get(n, "?"))

    nws, nbn = len(files["webshells"]), len(files["benign"])
    hit = [n for n in files["webshells"] if ws.get(n)]
    fp = [n for n in files["benign"] if bn.get(n)]
    loso_hit, strict_hit = [], []
    rows = []
    for s in sorted(by_src, key=lambda x: (-len(by_src[x]), x)):
        names = by_src[s]
        h = sum(1 for n in names if ws.get(n))
        lo = [n for n in names if any(fires[k] - {s} for k in ws.get(n, ()))]
        # strict: capability detections keyed by the sink's spelling too
        st = [n for n in names if any(fires_strict[k] - {s} for k in ws_strict.get(n, ()))]
        loso_hit += lo
        strict_hit += st
        rows.append((s, len(names), h, len(lo)))

    print(f"recall {len(hit)}/{nws} = {len(hit)/nws:.3f} (target >= 0.97)")
    print(f"false positives {len(fp)}/{nbn} = {100*len(fp)/nbn:.2f}% (target <= 0.3%)")
    print(f"leave-one-source-out recall {len(loso_hit)}/{nws} = {len(loso_hit)/nws:.3f} "
          f"(target >= 0.95)")
    print(f"leave-one-source-out recall, capability sinks keyed by spelling "
          f"{len(strict_hit)}/{nws} = {len(strict_hit)/nws:.3f}")
    macro = sum(r[3] / r[1] for r in rows) / len(rows)
    print(f"leave-one-source-out recall, mean over {len(rows)} sources = {macro:.3f}")
    print()
    print(f"{'source_repo':44} {'files':>5} {'found':>5} {'recall':>6} {'loso':>6}")
    for s, n, h, lo in rows:
        print(f"{s:44} {n:5d} {h:5d} {h/n:6.2f} {lo/n:6.2f}")
    print()
    print(f"{'benign source_repo':44} {'files':>5} {'flagged':>7}")
    for s in sorted(bn_src):
        names = bn_src[s]
        print(f"{s:44} {len(names):5d} {sum(1 for n in names if bn.get(n)):7d}")
    print()
    for n in files["webshells"]:
        if not ws.get(n):
            print(f"  missed: {n}")
    for n in files["webshells"]:
        if ws.get(n) and n not in loso_hit:
            print(f"  found only by detections firing on its own source: {n} "
                  f"({', '.join(sorted(ws_strict[n]))})")
    for n in fp:
        print(f"  false positive: {n} ({', '.join(sorted(bn[n]))})")
    rules = collections.Counter(k.split(":")[0] for n in files["webshells"] for k in ws.get(n, ()))
    print("detections firing on webshells/:",
          ", ".join(f"{r} {c}" for r, c in rules.most_common()))
    print(f"scan time: webshells {ws_stats['seconds']:.2f} s, benign {bn_stats['seconds']:.2f} s")


if __name__ == "__main__":
    main()
