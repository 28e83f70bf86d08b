#!/usr/bin/env python3
"""Regenerate exscan's Exchange build and CVE tables from the reference facts.

Usage: tools/gen-kb.py [REFDIR] [OUTDIR]
       tools/gen-kb.py --seal FILE...
  REFDIR defaults to ../shared/ref (beside the project), OUTDIR to rules/.
  --seal rewrites the header of hand-made tables (tests, a site's own rows)
  so that exscan accepts them.

Inputs (all facts, no code):
  exchange-builds.csv          product, CU, CU build, update name, build
  exchange-su-cves.csv         update name, CVE, products fixed
  exchange-versions-named.json display names, release dates and KB links by build
  exchange-facts-extra.md      KEV list, fixes missing from the CSV, config-only CVEs
  tools/kb/review-*.tsv        (in the repository) builds, CVEs, fixes and corrections
                               from the reviews of the tables, each line with its source;
                               a line there wins over the files above

Outputs: rules/exchange-builds.tsv and rules/exchange-cves.tsv, whose format is
described in docs/knowledge-base.md. Rerun this after adding a new update to
the reference files; the output is sorted and stable so diffs stay readable.

Line 1 of each table is its header: "exscan-table", the kind (builds or cves),
format=2, rows=N (the data lines: not comments, not blank) and sha256=HEX of
those lines, each without its line end and followed by one LF. exscan refuses
a table whose header does not match (empty, cut, changed by hand).
"""
import csv
import datetime
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "..", "shared", "ref")
OUT = os.path.join(HERE, "..", "rules")
KBDIR = os.path.join(HERE, "kb")
TABLE_MAGIC = "exscan-table"
TABLE_FORMAT = "2"
DATE_FIELDS = {"product": (5,), "build": (6,), "esu": (2,)}
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")

# Product lines: id, display name, major.minor, lowest build number of the line,
# end of support (from exchange-facts-extra.md: 2010 Oct 2020, 2013 Apr 2023,
# 2016 and 2019 Oct 2025; SE is the supported line).
PRODUCTS = [
    ("Exchange2010", "Exchange Server 2010", "14.3", 0, "2020-10-13"),
    ("Exchange2013", "Exchange Server 2013", "15.0", 0, "2023-04-11"),
    ("Exchange2016", "Exchange Server 2016", "15.1", 0, "2025-10-14"),
    ("Exchange2019", "Exchange Server 2019", "15.2", 0, "2025-10-14"),
    ("ExchangeSE", "Exchange Server SE", "15.2", 2562, "-"),
]

MONTHS = {m: i + 1 for i, m in enumerate(
    "January February March April May June July August September October November December".split())}

# Facts from exchange-facts-extra.md that the CSV tables do not carry.
# (update, cve, products, note)
EXTRA_FIXES = [
    ("Apr21SU", "CVE-2021-34473", "Exchange2013 Exchange2016 Exchange2019", "ProxyShell"),
    ("Apr21SU", "CVE-2021-34523", "Exchange2013 Exchange2016 Exchange2019", "ProxyShell"),
    ("RU32", "CVE-2021-26857", "Exchange2010", "ProxyLogon UM deserialization"),
    # ProxyToken (CVE-2021-33766) comes from tools/kb/review-2026-11.tsv (Apr21SU).
    # Fixed by the update, but only effective once serialized-data signing is on.
    ("Nov23SU", "CVE-2023-36439", "Exchange2016 Exchange2019", ""),
    ("Nov23SU", "CVE-2023-36050", "Exchange2016 Exchange2019", ""),
    ("Nov23SU", "CVE-2023-36039", "Exchange2016 Exchange2019", ""),
    ("Nov23SU", "CVE-2023-36035", "Exchange2016 Exchange2019", ""),
    # No build fixes it: Extended Protection must be enabled.
    ("-", "CVE-2024-21410", "Exchange2016 Exchange2019 ExchangeSE", "NTLM relay"),
]
CONFIG_DEPENDENT = {"CVE-2023-36439", "CVE-2023-36050", "CVE-2023-36039", "CVE-2023-36035",
                    "CVE-2024-21410"}
NAMES = {
    "CVE-2021-26855": "ProxyLogon", "CVE-2021-26857": "ProxyLogon", "CVE-2021-26858": "ProxyLogon",
    "CVE-2021-27065": "ProxyLogon", "CVE-2021-34473": "ProxyShell", "CVE-2021-34523": "ProxyShell",
    "CVE-2021-31207": "ProxyShell", "CVE-2022-41040": "ProxyNotShell",
    "CVE-2022-41082": "ProxyNotShell", "CVE-2022-41080": "OWASSRF",
    "CVE-2021-33766": "ProxyToken", "CVE-2024-21410": "NTLM relay",
}


def die(msg):
    sys.stderr.write("gen-kb: " + msg + "\n")
    sys.exit(1)


def is_data(line):
    """The lines the header counts and hashes (exscan skips the others)."""
    return not line.startswith("#") and line.strip(" \t") != ""


def header(kind, lines):
    data = [l for l in lines if is_data(l)]
    h = hashlib.sha256()
    for l in data:
        h.update(l.encode("utf-8") + b"\n")
    return "%s\t%s\tformat=%s\trows=%d\tsha256=%s" % (TABLE_MAGIC, kind, TABLE_FORMAT, len(data),
                                                    h.hexdigest())


def write_table(path, kind, lines):
    """Writes header + lines; refuses what exscan would refuse in a field."""
    for n, l in enumerate(lines, 2):
        if CONTROL.search(l.replace("\t", " ")):
            die("%s:%d: control character in %r" % (os.path.basename(path), n, l))
        f = l.split("\t")
        for i in DATE_FIELDS.get(f[0], ()) if is_data(l) else ():
            if f[i] == "-":
                continue
            try:
                datetime.datetime.strptime(f[i], "%Y-%m-%d" if len(f[i]) == 10 else "%Y-%m")
            except ValueError:
                die("%s:%d: %r is not a real date" % (os.path.basename(path), n, f[i]))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header(kind, lines) + "\n")
        for l in lines:
            f.write(l + "\n")


def seal(path):
    """Gives a hand-made table the header that makes exscan accept it."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = [l[:-1] if l.endswith("\r") else l for l in f.read().split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if lines and lines[0].startswith(TABLE_MAGIC + "\t"):
        lines.pop(0)
    first = next((l.split("\t", 1)[0] for l in lines if is_data(l)), None)
    kind = {"product": "builds", "build": "builds", "cve": "cves", "fix": "cves"}.get(first)
    if kind is None:
        die("%s: no product, build, cve or fix line: cannot tell which table it is" % path)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header(kind, lines) + "\n")
        for l in lines:
            f.write(l + "\n")


def vkey(b):
    return tuple(int(x) for x in b.split("."))


def iso_date(text):
    """'March 2, 2021' -> 2021-03-02, 'February, 2021' -> 2021-02; anything else -> ''."""
    m = re.fullmatch(r"\s*([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})\s*", text or "")
    if m and m.group(1) in MONTHS:
        return "%s-%02d-%02d" % (m.group(3), MONTHS[m.group(1)], int(m.group(2)))
    m = re.fullmatch(r"\s*([A-Za-z]+),\s*(\d{4})\s*", text or "")
    if m and m.group(1) in MONTHS:
        return "%s-%02d" % (m.group(2), MONTHS[m.group(1)])
    return ""


def kb_of(urls):
    for u in urls:
        m = re.search(r"support\.microsoft\.com/(?:help|kb)/(\d{6,7})", u)
        if m:
            return "KB" + m.group(1)
    return ""


def product_of(build):
    parts = vkey(build)
    mm = "%d.%d" % parts[:2]
    best = None
    for p in PRODUCTS:
        if p[2] == mm and parts[2] >= p[3] and (best is None or p[3] > best[3]):
            best = p
    return best[0] if best else None


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(lines))


def parse_named(name, build):
    """Split a display name into (cu, update) for 15.x and 14.3 builds."""
    m = re.fullmatch(r"Exchange Server (?:2013|2016|2019|SE) (CU\d+|RTM)(?: \(\d{4}H\d\))?"
                     r"(?: ((?:[A-Z][a-z]{2}\d{2}(?:SU|HU))(?:v\d)?))?", name)
    if m:
        return m.group(1), m.group(2) or ""
    m = re.fullmatch(r"Update Rollup (\d+)(?: v\d)? for Exchange Server 2010 SP3", name)
    if m:
        return "SP3", "RU" + m.group(1)
    if name == "Exchange Server 2010 SP3":
        return "SP3", ""
    return None


def read_reviews():
    """The repository's review files: lists of (fields, source) per line type."""
    out = {"build": [], "cve": [], "fix": [], "esu": []}
    width = {"build": 9, "cve": 6, "fix": 5, "esu": 4}
    for name in sorted(os.listdir(KBDIR)):
        if not name.endswith(".tsv"):
            continue
        path = os.path.join(KBDIR, name)
        with open(path, encoding="utf-8") as f:
            for n, l in enumerate(f, 1):
                l = l.rstrip("\n")
                if not is_data(l):
                    continue
                f_ = l.split("\t")
                if f_[0] not in width or len(f_) != width[f_[0]]:
                    die("%s:%d: want %s with %s fields" % (name, n, f_[0], width.get(f_[0])))
                out[f_[0]].append((f_[1:-1], "%s: %s" % (name, f_[-1])))
    return out


def main():
    builds_csv = read_csv(os.path.join(REF, "exchange-builds.csv"))
    cves_csv = read_csv(os.path.join(REF, "exchange-su-cves.csv"))
    with open(os.path.join(REF, "exchange-versions-named.json"), encoding="utf-8") as f:
        named = json.load(f)
    with open(os.path.join(REF, "exchange-facts-extra.md"), encoding="utf-8") as f:
        extra = f.read()

    rows = {}  # build -> dict
    cu_builds = {}  # (product, cu) -> cu build
    for r in builds_csv:
        b = r["build"].strip()
        if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", b):
            die("exchange-builds.csv: bad build %r" % b)
        prod, cu = r["product"].strip(), r["cu"].strip()
        cu_builds[(prod, cu)] = r["cu_build"].strip()
        upd = r["update"].strip()
        key = (b, upd)
        # The CSV lists some CU builds twice (as the CU and as an update equal to it).
        if b in rows and not upd:
            continue
        rows[b] = {"build": b, "product": prod, "cu": cu, "cu_build": r["cu_build"].strip(),
                   "update": upd, "date": "", "kb": ""}

    for b, info in named.items():
        if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", b):
            continue
        prod = product_of(b)
        if prod is None:
            continue
        date, kb = iso_date(info.get("release_date", "")), kb_of(info.get("urls", []))
        if b in rows:
            rows[b]["date"] = rows[b]["date"] or date
            rows[b]["kb"] = rows[b]["kb"] or kb
            continue
        parsed = parse_named(info.get("name", "").strip(), b)
        if not parsed:
            continue  # old-style names ("CU2 + KBnnn") for builds the CSV already covers
        cu, upd = parsed
        if prod == "Exchange2010":
            cu_build = "14.3.123.4"
        else:
            cu_build = cu_builds.get((prod, cu))
            if cu_build is None:
                if upd:
                    continue
                cu_build = b
                cu_builds[(prod, cu)] = b
        rows[b] = {"build": b, "product": prod, "cu": cu, "cu_build": cu_build, "update": upd,
                   "date": date, "kb": kb}

    review = read_reviews()
    sources = {}  # build -> where a review row came from
    for (b, prod, cu, cu_build, upd, date, kb, *_), src in review["build"]:
        if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", b) or product_of(b) != prod:
            die("%s: bad build %r for %s" % (src, b, prod))
        if cu_builds.get((prod, cu), cu_build) != cu_build:
            die("%s: %s %s starts at %s, not %s" % (src, prod, cu, cu_builds[(prod, cu)], cu_build))
        rows[b] = {"build": b, "product": prod, "cu": cu, "cu_build": cu_build,
                   "update": "" if upd == "-" else upd, "date": "" if date == "-" else date,
                   "kb": "" if kb == "-" else kb}
        sources[b] = src

    # KEV list: every CVE id in the "Known exploited" section.
    m = re.search(r"## Known exploited.*?\n(.*?)(?:\n## |\Z)", extra, re.S)
    if not m:
        die("exchange-facts-extra.md: no 'Known exploited' section")
    kev = set(re.findall(r"CVE-\d{4}-\d{4,7}", m.group(1)))
    if len(kev) < 5:
        die("exchange-facts-extra.md: KEV section lists too few CVEs")

    fixes = []
    for r in cves_csv:
        fixes.append((r["update"].strip(), r["cve"].strip(), r["products"].strip(), ""))
    fixes.extend(EXTRA_FIXES)
    # a CVE with fix lines in a review file takes them instead of the ones above
    replaced = {c for (u, c, p), _ in review["fix"]}
    fixes = [f for f in fixes if f[1] not in replaced]
    for (u, c, p), src in review["fix"]:
        fixes.append((u, c, p, src))
    cve_review = {}
    for (c, flags, name, step), src in review["cve"]:
        cve_review[c] = (set() if flags == "-" else set(flags.split(",")), name, step, src)
    cves = sorted({f[1] for f in fixes} | set(cve_review))

    newest = max((r["date"] for r in rows.values() if len(r["date"]) == 10), default="")
    os.makedirs(OUT, exist_ok=True)
    lines = [
        "# exscan build table, format %s (docs/knowledge-base.md). Generated by tools/gen-kb.py" % TABLE_FORMAT,
        "# from ../shared/ref; do not edit by hand, rerun the script. Newest release: %s" % newest,
        "# product\tid\tname\tmajor.minor\tfirst_build\tend_of_support",
    ]
    for p in PRODUCTS:
        lines.append("product\t%s\t%s\t%s\t%d\t%s" % p)
    lines.append("# esu\tproduct\tupdates released from this day on are ESU-only")
    for (prod, since), src in review["esu"]:
        if prod not in {p[0] for p in PRODUCTS}:
            die("%s: unknown product %r" % (src, prod))
        lines.append("# " + src)
        lines.append("esu\t%s\t%s" % (prod, since))
    lines.append("# build\tbuild\tproduct\tcu\tcu_build\tupdate\trelease_date\tkb")
    for r in sorted(rows.values(), key=lambda r: vkey(r["build"])):
        if r["build"] in sources:
            lines.append("# " + sources[r["build"]])
        lines.append("build\t%s\t%s\t%s\t%s\t%s\t%s\t%s" % (
            r["build"], r["product"], r["cu"], r["cu_build"], r["update"] or "-",
            r["date"] or "-", r["kb"] or "-"))
    write_table(os.path.join(OUT, "exchange-builds.tsv"), "builds", lines)
    lines = [
        "# exscan CVE table, format %s (docs/knowledge-base.md). Generated by tools/gen-kb.py" % TABLE_FORMAT,
        "# cve\tid\tflags(kev,config or -)\tname\tstep after the update (or -)",
    ]
    for c in cves:
        flags = {x for x, on in (("kev", c in kev), ("config", c in CONFIG_DEPENDENT)) if on}
        name, step = NAMES.get(c, "-"), "-"
        if c in cve_review:
            rflags, rname, step, src = cve_review[c]
            flags |= rflags
            name = rname if rname != "-" else name
            lines.append("# " + src)
        flags = [x for x in ("kev", "config") if x in flags]
        lines.append("cve\t%s\t%s\t%s\t%s" % (c, ",".join(flags) or "-", name, step))
    lines.append("# fix\tupdate(- = configuration only; Sep26SUv2 = that re-release)\tcve\tproducts")
    for u, c, p, src in fixes:
        if src.startswith("review-"):
            lines.append("# " + src)
        lines.append("fix\t%s\t%s\t%s" % (u, c, p))
    write_table(os.path.join(OUT, "exchange-cves.tsv"), "cves", lines)
    print("gen-kb: %d builds, %d CVEs, %d fixes, newest release %s" % (len(rows), len(cves), len(fixes), newest))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--seal":
        if len(sys.argv) < 3:
            die("--seal takes one or more table files")
        for path in sys.argv[2:]:
            seal(path)
    else:
        if len(sys.argv) > 1:
            REF = sys.argv[1]
        if len(sys.argv) > 2:
            OUT = sys.argv[2]
        main()
