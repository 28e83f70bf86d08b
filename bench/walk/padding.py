#!/usr/bin/env python3
"""bench/walk/padding: the cost of each built-in rule on a padded page.

    padding.py [--mb N] [--pad eval|script|request|asp|mixed|...|all] [--timeout S] [--rules FILE]

Writes (in a temporary directory) a real command shell followed by N MB
(default 30) of server-side comment made of the chosen atom, repeated the way
an attacker who knows the rules would (`eval(` with no `;` nor newline, for
the default), then times `yara -f` on it with each public rule of
rules/webshells.yar alone (with the private rules it uses), and with the whole
file. A rule whose time grows with the number of atoms in the file, rather
than with its size, is the defect this finds. A rule still running after
--timeout seconds (default 60) is reported as '>TIMEOUT'."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))

SHELL = (b'<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n'
         b'<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
         b'  var p = new ProcessStartInfo("cmd.exe", "/c " + Request["c"]);\n'
         b'  p.RedirectStandardOutput = true; p.UseShellExecute = false;\n'
         b'  Response.Write(Process.Start(p).StandardOutput.ReadToEnd());\n}\n</script>\n')

PADS = {
    "eval": b"eval( ",
    "script": b"<script ",
    "request": b"Request ",
    "evalreq": b"eval( Request ",
    "asp": b"<% ",
    "mixed": b"eval(Request <% eval (x) <script Request.Item[ ",
    "directive": b"<%@ Page ",
    "combine": b"Path.Combine(",
    "jscripteval": b"JScriptEvaluate(",
    "session": b"Session[",
    "language": b"language=",
}


def rules_split(text):
    """Private rules (kept with every rule) and public rules, by name."""
    blocks = re.split(r"\n(?=(?:private\s+)?rule\s)", text)
    private, public = [], {}
    for b in blocks:
        m = re.match(r"(private\s+)?rule\s+(\w+)", b)
        if not m:
            continue
        if m.group(1):
            private.append(b)
        else:
            public[m.group(2)] = b
    return private, public


def timed(rules, target, timeout):
    t0 = time.monotonic()
    try:
        p = subprocess.run(["yara", "-f", "-d", "filename=", "-d", "filepath=",
                            "-d", "extension=", "-d", "filetype=", "-d", "owner=",
                            "-d", "md5=", rules, target],
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, ""
    return time.monotonic() - t0, p.stdout.decode(errors="replace").strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=30)
    ap.add_argument("--pad", choices=sorted(PADS) + ["all"], default="eval")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--rules", default=os.path.join(SRC, "rules", "webshells.yar"))
    a = ap.parse_args()
    private, public = rules_split(open(a.rules).read())
    for pad in sorted(PADS) if a.pad == "all" else [a.pad]:
        run(a, pad, private, public)
    return 0


def run(a, pad, private, public):
    with tempfile.TemporaryDirectory(prefix="exscan-pad.") as tmp:
        page = os.path.join(tmp, "padded.aspx")
        unit = PADS[pad]
        with open(page, "wb") as f:
            f.write(SHELL + b"<%--\n")
            f.write(unit * (a.mb * (1 << 20) // len(unit)))
            f.write(b"\n--%>\n")
        print(f"{a.mb} MB of {unit!r} after a command shell; yara -f, one rule at a time")
        total = 0.0
        for name, body in public.items():
            rf = os.path.join(tmp, name + ".yar")
            with open(rf, "w") as f:
                f.write("\n".join(private + [body]) + "\n")
            secs, out = timed(rf, page, a.timeout)
            total += secs if secs is not None else a.timeout
            print(f"  {name:32s} {'>%.0f' % a.timeout if secs is None else '%.2f' % secs:>8s} s"
                  f"{'  match' if out else ''}")
        secs, out = timed(a.rules, page, a.timeout * 4)
        print(f"  {'(all rules together)':32s} {'>%.0f' % (a.timeout * 4) if secs is None else '%.2f' % secs:>8s} s"
              f"  matched: {' '.join(l.split()[0] for l in out.splitlines()) or '-'}")


if __name__ == "__main__":
    sys.exit(main())
