#!/usr/bin/env python3
"""How fast the HTML report of a fleet opens in headless Chromium.

Writes N probe results and N/4 walks with bench/fleet/gen_report.py, merges
them with `exscan report --format html`, and loads the page RUNS times in a
fresh headless Chromium tab (tests/integration/cdp.py: DevTools protocol over
a pipe, no port), timing: navigation to the load event (our script has drawn
the table by then), the page's own navigationStart -> loadEventEnd, then a
click on the 'compromised' count (filter) and a click on the first host
(detail drawn).  With --baseline EXSCAN it loads the report another exscan
writes from the same inputs (e.g. the static one-card-per-host page of
before) the same way, and prints the ratio.

  bench/html/load.py [--build DIR] [--hosts N] [--runs R] [--baseline EXSCAN]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import cdp  # noqa: E402


def report(exscan, inputs, out):
    subprocess.run([exscan, "report", "--format", "html", "--fail-on", "never", "-o", out] + inputs,
                   check=True, stderr=subprocess.DEVNULL)
    return os.path.getsize(out)


def measure(chromium, page, runs, tmp, interact):
    loads, navs, filters, opens = [], [], [], []
    for i in range(runs):
        b = cdp.Browser(chromium, os.path.join(tmp, "profile%d" % i), width=1280, height=1000)
        try:
            loads.append(b.load("file://" + page, timeout=300))
            navs.append(b.eval("performance.timing.loadEventEnd - performance.timing.navigationStart") / 1000)
            if interact:
                t0 = time.monotonic()
                b.click(".count[data-v='4']")
                b.wait_for("document.getElementById('fv').value === '4'")
                filters.append(time.monotonic() - t0)
                t0 = time.monotonic()
                b.click("#hosts tbody tr button")
                b.wait_for("!document.getElementById('detail').hidden")
                opens.append(time.monotonic() - t0)
            if b.problems():
                print("  problems:", b.problems())
        finally:
            b.close()
    return loads, navs, filters, opens


def fmt(xs):
    return "%.2f (median of %d; min %.2f, max %.2f)" % (statistics.median(xs), len(xs), min(xs), max(xs)) \
        if xs else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--hosts", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", help="another exscan binary to compare with")
    a = ap.parse_args()
    chromium = cdp.find_chromium()
    if not chromium:
        sys.exit("bench/html/load.py: chromium is not installed (tools/install-deps.sh installs it)")
    exscan = os.path.join(ROOT, a.build, "src", "exscan")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "fleet", "gen_report.py"),
                        str(a.hosts), tmp], check=True)
        inputs = [os.path.join(tmp, "probe-%d.jsonl" % a.hosts), os.path.join(tmp, "walk-%d.jsonl" % a.hosts)]
        page = os.path.join(tmp, "new.html")
        size = report(exscan, inputs, page)
        print("%d hosts: %s, %.2f MB" % (a.hosts, exscan, size / 1e6))
        loads, navs, filters, opens = measure(chromium, page, a.runs, tmp, True)
        print("  open to load event, s:       ", fmt(loads))
        print("  navigationStart to loadEventEnd, s:", fmt(navs))
        print("  filter to compromised, s:    ", fmt(filters))
        print("  open a host's detail, s:     ", fmt(opens))
        if a.baseline:
            old = os.path.join(tmp, "old.html")
            osize = report(a.baseline, inputs, old)
            print("baseline %s: %.2f MB" % (a.baseline, osize / 1e6))
            oloads, onavs, _, _ = measure(chromium, old, a.runs, tmp, False)
            print("  open to load event, s:       ", fmt(oloads))
            print("  navigationStart to loadEventEnd, s:", fmt(onavs))
            print("ratio (baseline / this, load event): %.2f" %
                  (statistics.median(oloads) / statistics.median(loads)))


if __name__ == "__main__":
    main()
