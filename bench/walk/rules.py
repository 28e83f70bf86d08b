#!/usr/bin/env python3
"""bench/walk/rules.py: loading third-party rules, exscan against yarac.

    rules.py [--files N] [--broken K] [--lib-share F] [--out DIR] [--exscan PATH]
             [--yarac PATH] [--repeat R]

Writes N rule files in the style of signature-base's yara/ folder (meta with
score, ascii/wide/nocase text strings, hex strings with jumps, regular
expressions, conditions on the externals filename, filepath, extension,
filetype and owner, `import "pe"`, a few files that include shared files from
a lib/ folder) plus K files that do not compile, under DIR/rules (default
bench/out/rules-N), then times, in the same run and alternating:

- yarac on the files that compile (yarac stops at the first broken file), one
  namespace per file as exscan does, the externals defined;
- `exscan walk --no-builtin-rules --rules DIR/good` on an empty directory with
  an empty cache (cold: reading, hashing, compiling and saving the cache) and
  again with that cache (warm);
- the same with DIR/rules (good and broken files: cold pays for recompiling
  the good files that were in the compiler when a broken one failed).

Each figure is the best of R (default 3), elapsed time and CPU time (user +
system, which a loaded machine disturbs less), with the ratio to yarac's
(below 1.00x: faster than yarac).  Not run by CI: nothing here is a
test."""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))

EXTERNALS = ["filename", "filepath", "extension", "filetype", "owner"]
WORDS = ("webshell chopper godzilla behinder aspx exchange proxyshell loader dropper "
         "backdoor beacon stager implant tunnel socks reverse shell payload invoke "
         "assembly reflect compile eval process spawn token credential dump lsass "
         "mimikatz rclone exfil archive powershell encoded command request response "
         "cookie header session cipher rijndael base64 xor inflate gzip").split()
FAMILIES = ("APT_CN_Hafnium WEBSHELL_ASPX SUSP_Exchange HKTL_Mimikatz MAL_Loader "
            "APT_RU_Sofacy SUSP_Script HKTL_Cobalt MAL_Ransom EXPL_ProxyShell").split()


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.n_rules = 0

    def word(self):
        return self.rnd.choice(WORDS)

    def text_string(self):
        w = "%s%s%s" % (self.word(), self.rnd.choice(["_", ".", "(", " ", "::", "/"]), self.word())
        if self.rnd.random() < 0.3:
            w += "%d" % self.rnd.randrange(1000)
        mods = self.rnd.choice(["ascii", "ascii wide", "wide", "ascii nocase", "fullword ascii",
                                "ascii wide nocase"])
        return '"%s" %s' % (w, mods)

    def hex_string(self):
        parts = []
        for _ in range(self.rnd.randrange(6, 18)):
            r = self.rnd.random()
            if r < 0.08:
                parts.append("??")
            elif r < 0.12:
                parts.append("[%d-%d]" % (1, self.rnd.randrange(2, 8)))
            elif r < 0.15:
                parts.append("(%02X | %02X)" % (self.rnd.randrange(256), self.rnd.randrange(256)))
            else:
                parts.append("%02X" % self.rnd.randrange(256))
        # a jump is not allowed at either end
        while parts[0].startswith("[") or parts[0] == "??":
            parts[0] = "%02X" % self.rnd.randrange(256)
        while parts[-1].startswith("[") or parts[-1] == "??":
            parts[-1] = "%02X" % self.rnd.randrange(256)
        return "{ %s }" % " ".join(parts)

    def regex(self):
        return "/%s[a-z0-9]{2,8}\\.(aspx|ashx|dll)/ ascii nocase" % self.word()

    def externals_cond(self):
        return self.rnd.choice([
            'filename == "%s.exe"' % self.word(),
            'filepath contains "\\\\%s\\\\"' % self.word().capitalize(),
            'extension == ".aspx"',
            'extension == ".ashx" or extension == ".asmx"',
            'filetype == "EXE"',
            'owner contains "SYSTEM"',
            'filename matches /^%s[0-9]*\\.(dll|exe)$/i' % self.word(),
        ])

    def rule(self, fam, uses_pe, lib_rule=None):
        self.n_rules += 1
        name = "%s_%s_%s_%d" % (fam, self.word().capitalize(), self.word().capitalize(),
                                self.n_rules)
        strings = []
        for i in range(self.rnd.randrange(3, 14)):
            r = self.rnd.random()
            s = self.hex_string() if r < 0.3 else self.regex() if r < 0.38 else self.text_string()
            strings.append("      $s%d = %s" % (i, s))
        n = len(strings)
        cond = self.rnd.choice([
            "uint16(0) == 0x5a4d and filesize < %dKB and %d of them" % (
                self.rnd.choice([200, 500, 2000]), min(n, 2)),
            "filesize < 300KB and (%s) and 1 of them" % self.externals_cond(),
            "%d of ($s*)" % min(n, 3),
            "(%s) and any of them" % self.externals_cond(),
            "all of them",
        ])
        if uses_pe and self.rnd.random() < 0.5:
            cond = "uint16(0) == 0x5a4d and pe.number_of_sections > %d and (%s)" % (
                self.rnd.randrange(2, 6), cond)
        if lib_rule:
            cond = "(%s) and %s" % (cond, lib_rule)
        return """rule %s {
   meta:
      description = "Detects %s %s used in %s intrusions"
      author = "bench generator"
      reference = "https://example.org/%s"
      date = "2021-0%d-1%d"
      hash1 = "%064x"
      score = %d
   strings:
%s
   condition:
      %s
}
""" % (name, self.word(), self.word(), self.word(), self.word(), self.rnd.randrange(1, 10),
            self.rnd.randrange(0, 10), self.rnd.getrandbits(256), self.rnd.choice([50, 60, 70, 75, 80, 85]),
            "\n".join(strings), cond)


def generate(out, n_files, n_broken, lib_share, seed=11):
    g = Gen(seed)
    good, rules = os.path.join(out, "good"), os.path.join(out, "rules")
    for d in (good, rules):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "lib"))
    libs = []
    for i in range(4):
        rule = "LIB_Common_%d" % i
        text = ("rule %s {\n   strings:\n      $a = %s\n      $b = %s\n   condition:\n"
                "      any of them\n}\n") % (rule, g.text_string(), g.hex_string())
        libs.append(("lib/common_%d.yar" % i, rule, text))
    files = {}
    for i in range(n_files):
        fam = g.rnd.choice(FAMILIES)
        uses_pe = g.rnd.random() < 0.25
        lib = g.rnd.choice(libs) if g.rnd.random() < lib_share else None
        head = ['import "pe"\n'] if uses_pe else []
        if lib:
            head.append('include "%s"\n' % lib[0])
        body = [g.rule(fam, uses_pe, lib[1] if lib else None) for _ in range(g.rnd.randrange(1, 7))]
        files["%s_%s_%03d.yar" % (fam.lower(), g.word(), i)] = "".join(head) + "\n" + "\n".join(body)
    broken = {}
    for i in range(n_broken):
        kind = i % 3
        text = g.rule("BROKEN", False)
        if kind == 0:
            text = text.replace("condition:\n", "condition:\n      no_such_external and ")
        elif kind == 1:
            text = 'import "cuckoo_missing"\n' + text
        else:
            text = text[: text.rindex("}")]
        broken["zz_broken_%d.yar" % i] = text
    for d, sets in ((good, [files]), (rules, [files, broken])):
        for rel, _, text in libs:
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        for s in sets:
            for name, text in s.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
    # what yarac is given: the top-level files that compile (it follows the
    # includes itself)
    return [os.path.join(good, n) for n in sorted(files)], g.n_rules


def run(cmd, env=None):
    """(elapsed s, CPU s (user + system), exit code, stderr)"""
    with tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        secs = time.monotonic() - t0
        err.seek(0)
        return (secs, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status),
                err.read().decode(errors="replace"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=741)
    ap.add_argument("--broken", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lib-share", type=float, default=0.05,
                    help="share of files that include a lib/ file (0: none, for an exscan "
                    "without include support)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--exscan", default=os.environ.get("EXSCAN", os.path.join(SRC, "build", "src", "exscan")))
    ap.add_argument("--yarac", default="yarac")
    a = ap.parse_args()
    out = a.out or os.path.join(SRC, "bench", "out", "rules-%d" % a.files)
    os.makedirs(out, exist_ok=True)
    top, n_rules = generate(out, a.files, a.broken, a.lib_share)
    size = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(os.path.join(out, "good")) for n in ns)
    print("%d rule files (%d rules, %.1f MB) + 4 included lib files, %d broken files, in %s" % (
        a.files, n_rules, size / 1e6, a.broken, out))
    empty = tempfile.mkdtemp(prefix="exscan-bench-empty.")
    defs = [x for e in EXTERNALS for x in ("-d", "%s=" % e)]
    # one namespace per file, as exscan does (files that include the same lib
    # file would otherwise define its rule twice)
    yarac = [a.yarac, "-w"] + defs + ["ns%d:%s" % (i, p) for i, p in enumerate(top)] + [
        os.path.join(out, "compiled.yarc")]
    best, cpu = {}, {}

    def keep(label, secs, cpus):
        best[label] = min(best.get(label, secs), secs)
        cpu[label] = min(cpu.get(label, cpus), cpus)

    for _ in range(a.repeat):
        secs, cpus, rc, err = run(yarac)
        if rc:
            sys.exit("yarac failed: " + err)
        keep("yarac, good files", secs, cpus)
        for label, rules in (("good", os.path.join(out, "good")), ("good+broken", os.path.join(out, "rules"))):
            cache = tempfile.mkdtemp(prefix="exscan-bench-cache.")
            env = dict(os.environ, XDG_CACHE_HOME=cache)
            cmd = [a.exscan, "walk", "--no-builtin-rules", "--no-logs", "--rules", rules, empty]
            secs, cpus, rc, err = run(cmd, env)
            want = 0 if label == "good" else 3
            if rc != want:
                sys.exit("exscan (%s) exited %d, not %d: %s" % (label, rc, want, err))
            keep("exscan --rules %s, cold cache" % label, secs, cpus)
            secs, cpus, rc, err = run(cmd, env)
            if rc != want or not os.listdir(os.path.join(cache, "exscan")):
                sys.exit("exscan (%s), warm: exit %d, cache %s" % (label, rc, os.listdir(cache)))
            keep("exscan --rules %s, warm cache" % label, secs, cpus)
            shutil.rmtree(cache)
    os.rmdir(empty)
    base, cbase = best["yarac, good files"], cpu["yarac, good files"]
    print("| run | elapsed, best of %d, s | vs yarac | CPU (user+sys), best of %d, s | vs yarac |" % (
        a.repeat, a.repeat))
    print("|---|---:|---:|---:|---:|")
    for label, secs in best.items():
        print("| %s | %.3f | %.2fx | %.3f | %.2fx |" % (label, secs, secs / base, cpu[label],
                                                      cpu[label] / cbase))


if __name__ == "__main__":
    main()
