#!/usr/bin/env bash
# packaging/kubernetes/exscan-probe-job.yaml: an Indexed Job whose pods each
# probe one --shard of the targets.  Checks the manifest's fields with
# python3-yaml, then runs the pod's own shell command here, once per index,
# against a loopback target list (closed port): the shard files together hold
# every target once and exscan report merges them.
. "$(dirname "$0")/tap.sh"

M="$EXSCAN_SRCDIR/packaging/kubernetes/exscan-probe-job.yaml"
if ! python3 -c 'import yaml' 2>/dev/null; then
	tap_skip "the Kubernetes manifest parses and has the fields of a sharded Indexed Job" \
		"python3-yaml is not installed (apt-get install python3-yaml)"
	tap_done
	exit
fi

python3 - "$M" "$TMP/script" "$TMP/n" >"$TMP/check" 2>&1 <<'PY'
import re, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
assert set(kinds) == {"ConfigMap", "PersistentVolumeClaim", "Job"}, sorted(kinds)
job = kinds["Job"]
assert job["apiVersion"] == "batch/v1"
spec = job["spec"]
assert spec["completionMode"] == "Indexed", spec.get("completionMode")
n = spec["completions"]
assert isinstance(n, int) and 1 < n <= 65536, n
assert 1 <= spec["parallelism"] <= n
pod = spec["template"]["spec"]
assert pod["restartPolicy"] in ("Never", "OnFailure")
(c,) = pod["containers"]
script = "\n".join(c.get("command", []) + c.get("args", []))
assert "JOB_COMPLETION_INDEX" in script
m = re.search(r"--shard \$\(\(JOB_COMPLETION_INDEX ?\+ ?1\)\)/(\d+)", script)
assert m, "no --shard $((JOB_COMPLETION_INDEX+1))/N in the command"
assert int(m.group(1)) == n, f"--shard .../{m.group(1)} but completions {n}"
assert "-i /targets/list" in script and "--format jsonl" in script
assert "-o /results/shard-$JOB_COMPLETION_INDEX.jsonl" in script
mounts = {v["name"]: v["mountPath"] for v in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
tv = next(k for k, p in mounts.items() if p == "/targets")
rv = next(k for k, p in mounts.items() if p == "/results")
assert vols[tv]["configMap"]["name"] == kinds["ConfigMap"]["metadata"]["name"]
assert "list" in kinds["ConfigMap"]["data"]
assert vols[rv]["persistentVolumeClaim"]["claimName"] == kinds["PersistentVolumeClaim"]["metadata"]["name"]
assert c["command"][:2] == ["/bin/sh", "-c"] and len(c["args"]) == 1
open(sys.argv[2], "w").write(c["args"][0])
open(sys.argv[3], "w").write(str(n))
print("ok: Indexed Job of", n, "completions, targets from a ConfigMap, results to a PVC")
PY
tap_ok $? "the manifest is an Indexed Job whose command runs --shard \$((JOB_COMPLETION_INDEX+1))/completions" \
	"$(cat "$TMP/check")"
N=$(cat "$TMP/n" 2>/dev/null || echo 0)

if command -v kubectl >/dev/null && [ -n "${EXSCAN_TEST_KUBECONFIG:-}" ]; then
	KUBECONFIG=$EXSCAN_TEST_KUBECONFIG kubectl apply --dry-run=server -f "$M" >"$TMP/k" 2>&1
	tap_ok $? "kubectl apply --dry-run=server accepts the manifest" "$(cat "$TMP/k")"
elif command -v kubectl >/dev/null; then
	tap_skip "kubectl validation of the manifest" \
		"kubectl is here but needs a cluster even for a dry run; set EXSCAN_TEST_KUBECONFIG to one"
else
	tap_skip "kubectl validation of the manifest" "kubectl is not installed"
fi

# The pod's command, run here once per index with the paths pointed at $TMP.
mkdir -p "$TMP/results"
printf '# loopback only, closed port\n127.0.8.0/27:1\nlocalhost:1\n[::1]:1\n' >"$TMP/list"
sed -e "s|exscan probe |\"\$EXSCAN\" probe --retries 0 --connect-timeout 2 |" \
	-e "s|/targets/list|$TMP/list|" -e "s|/results/|$TMP/results/|" "$TMP/script" >"$TMP/pod.sh"
st=0
for i in $(seq 0 $((N - 1))); do
	JOB_COMPLETION_INDEX=$i EXSCAN=$EXSCAN sh "$TMP/pod.sh" 2>>"$TMP/pod.err" || st=1
done
[ "$N" -gt 1 ] && [ "$(ls "$TMP/results" | wc -l)" -eq "$N" ]
tap_ok $((st || $?)) "the pod command runs for every index 0..$((N - 1)) and writes shard-INDEX.jsonl" \
	"$(head -20 "$TMP/pod.err")"
"$EXSCAN" probe --retries 0 --connect-timeout 2 --no-progress --format jsonl -i "$TMP/list" \
	--fail-on never >"$TMP/all.jsonl" 2>/dev/null
keys() { python3 -c 'import json,sys
for f in sys.argv[1:]:
    for l in open(f): h=json.loads(l); print(h["host"], h["port"])' "$@" | sort; }
keys "$TMP/all.jsonl" >"$TMP/all.keys"
keys "$TMP"/results/shard-*.jsonl >"$TMP/union.keys"
[ "$(wc -l <"$TMP/all.keys")" -eq 34 ] && diff "$TMP/all.keys" "$TMP/union.keys" >"$TMP/diff"
tap_ok $? "the shard files hold every target of the list exactly once" "$(cat "$TMP/diff")"
run "$EXSCAN" report --format json "$TMP"/results/shard-*.jsonl
json_check "exscan report merges the shard files (the README's last step)" \
	"len(d['hosts']) == 34 and all(h['verdict'] == 'unknown' for h in d['hosts'])"

tap_done
