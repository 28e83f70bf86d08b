#!/usr/bin/env bash
# --shard K/N on probe, walk and scan: the shards of a target list are disjoint
# and together the whole list; the lab scanned in 3 shards and merged by
# exscan report gives the verdicts of one unsharded scan.  Network traffic goes
# to loopback only (closed port 1 for the target lists, the lab emulator).
. "$(dirname "$0")/tap.sh"

# ---- usage errors
for bad in 0/3 4/3 1/0 3 a/b 1/65537 "1/2 " -1/2; do
	for cmd in "probe 127.0.0.1:1" "walk /nonexistent" "scan --fs /nonexistent"; do
		# shellcheck disable=SC2086 # the command and its one argument
		run "$EXSCAN" ${cmd%% *} --shard "$bad" ${cmd#* }
		[ "$RC" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- "--shard" "$TMP/err"
		tap_ok $? "${cmd%% *} --shard '$bad' is a one-line usage error (exit $RC)" "$(cat "$TMP/err")"
	done
done

# ---- probe: a target list with names, v4 and v6 CIDRs and -i FILE
cat >"$TMP/list" <<'L'
# loopback only, closed port
127.0.4.0/29:1

[::1]:1
127.0.5.9:1
L
targets=(localhost:1 "127.0.3.0/28:1" "[::1/128]:1" "127.0.6.1:1")
probe() { # probe OUT [ARGS...]
	local out=$1
	shift
	"$EXSCAN" probe --no-progress --retries 0 --connect-timeout 2 --fail-on never \
		--format jsonl -i "$TMP/list" "${targets[@]}" "$@" >"$out" 2>"$TMP/err"
}
probe "$TMP/all.jsonl"
n_all=$(wc -l <"$TMP/all.jsonl")
[ "$n_all" -eq $((1 + 16 + 1 + 1 + 8 + 1 + 1)) ]
tap_ok $? "the unsharded list has every address of every CIDR and every line ($n_all)" "$(cat "$TMP/err")"
keys() { python3 -c 'import json,sys
for l in open(sys.argv[1]): h=json.loads(l); print(h["host"], h["port"])' "$1" | sort; }
keys "$TMP/all.jsonl" >"$TMP/all.keys"
for n in 1 3 5; do
	: >"$TMP/union.keys"
	sizes=""
	for k in $(seq "$n"); do
		probe "$TMP/p$k.jsonl" --shard "$k/$n"
		keys "$TMP/p$k.jsonl" >>"$TMP/union.keys"
		sizes="$sizes $(wc -l <"$TMP/p$k.jsonl")"
	done
	sort -o "$TMP/union.keys" "$TMP/union.keys"
	diff "$TMP/all.keys" "$TMP/union.keys" >"$TMP/diff"
	tap_ok $? "probe: the $n shards together are the unsharded list, each target once (sizes$sizes)" \
		"$(cat "$TMP/diff")"
done
# the partition is by stream position: shard 2/4 of 127.0.3.0/28 alone is .1 .5 .9 .13
"$EXSCAN" probe --no-progress --retries 0 --connect-timeout 2 --fail-on never --format jsonl \
	--shard 2/4 "127.0.3.0/28:1" | python3 -c 'import json,sys
print(" ".join(sorted((json.loads(l)["host"] for l in sys.stdin), key=lambda a: int(a.rsplit(".",1)[1]))))' >"$TMP/o"
[ "$(cat "$TMP/o")" = "127.0.3.1 127.0.3.5 127.0.3.9 127.0.3.13" ]
tap_ok $? "probe --shard 2/4 of a /28 takes addresses 1, 5, 9, 13" "$(cat "$TMP/o")"

# ---- walk: roots are partitioned; an empty shard prints nothing and exits 0
"$EXSCAN_SRCDIR/tests/lab/make-lab.sh" "$TMP/img" >/dev/null
roots=("$TMP/img/clean-se" "$TMP/img/vuln-2016")
for k in 1 2 3; do
	run "$EXSCAN" walk --shard "$k/3" --format jsonl --fail-on never "${roots[@]}"
	cp "$TMP/out" "$TMP/w$k.jsonl"
done
[ "$(wc -l <"$TMP/w1.jsonl")" -eq 1 ] && grep -q '"clean-se"' "$TMP/w1.jsonl" &&
	[ "$(wc -l <"$TMP/w2.jsonl")" -eq 1 ] && grep -q '"vuln-2016"' "$TMP/w2.jsonl"
tap_ok $? "walk: root i goes to shard (i mod N)+1"
run "$EXSCAN" walk --shard 3/3 --format jsonl -o "$TMP/w3o.jsonl" "${roots[@]}"
[ "$RC" -eq 0 ] && [ ! -s "$TMP/out" ] && [ ! -s "$TMP/err" ] && [ -f "$TMP/w3o.jsonl" ] &&
	[ ! -s "$TMP/w3o.jsonl" ]
tap_ok $? "walk: a shard without a root prints nothing, exits 0 and leaves an empty -o file" \
	"rc $RC $(cat "$TMP/err")"

# ---- scan: the lab in 3 shards, merged by report == one unsharded scan
lab_start
HOSTS="ex2013.lab.example 127.0.1.1 -
ex2016a.lab.example 127.0.1.2 vuln-2016
ex2016b.lab.example 127.0.1.3 proxyshell-pwned
ex2019a.lab.example 127.0.1.4 -
ex2019b.lab.example 127.0.1.5 patched-pwned
exse01.lab.example 127.0.1.6 clean-se
www.lab.example 127.0.1.7 -"
scan_args=(--no-progress)
while read -r name addr img; do
	scan_args+=(--resolve "$name:$P:$addr")
	if [ "$img" = - ]; then
		scan_args+=(--target "$name:$P")
	else
		scan_args+=(--target "$name:$P=$TMP/img/$img")
	fi
done <<<"$HOSTS"
scan_args+=(--fs "$TMP/img/patched-pwned" --host fsonly.lab.example)

run "$EXSCAN" scan "${scan_args[@]}" --format json
cp "$TMP/out" "$TMP/scan.json"
for k in 1 2 3; do
	"$EXSCAN" scan "${scan_args[@]}" --shard "$k/3" --format jsonl -o "$TMP/s$k.jsonl" 2>"$TMP/err$k"
done
run "$EXSCAN" report --format json "$TMP/s1.jsonl" "$TMP/s2.jsonl" "$TMP/s3.jsonl"
cp "$TMP/out" "$TMP/merged.json"
python3 - "$TMP/scan.json" "$TMP/merged.json" "$TMP"/s?.jsonl >"$TMP/cmp" 2>&1 <<'PY'
import json, sys
a = {h["host"]: h for h in json.load(open(sys.argv[1]))["hosts"]}
b = {h["host"]: h for h in json.load(open(sys.argv[2]))["hosts"]}
assert len(a) == 8, sorted(a)
assert a.keys() == b.keys(), (sorted(a), sorted(b))
for name in a:
    va, vb = a[name]["verdict"], b[name]["verdict"]
    assert va == vb, f"{name}: one scan says {va}, merged shards say {vb}"
    ra = sorted((r["level"], r["text"]) for r in a[name]["reasons"])
    rb = sorted((r["level"], r["text"]) for r in b[name]["reasons"])
    assert ra == rb, f"{name}: reasons differ\n{ra}\n{rb}"
seen = [json.loads(l)["host"] for f in sys.argv[3:] for l in open(f)]
assert sorted(seen) == sorted(a), f"shards overlap or miss hosts: {seen}"
assert all(sum(1 for l in open(f)) in (2, 3) for f in sys.argv[3:]), "8 hosts split 3/3/2"
print("ok", {n: a[n]["verdict"] for n in sorted(a)})
PY
tap_ok $? "scan: 3 shards merged by exscan report give the verdicts and reasons of one scan" \
	"$(cat "$TMP/cmp" "$TMP"/err?)"
run "$EXSCAN" scan --shard 3/3 --format jsonl -o "$TMP/e.jsonl" --fs "$TMP/img/clean-se" --fs "$TMP/img/vuln-2016"
[ "$RC" -eq 0 ] && [ ! -s "$TMP/out" ] && [ -f "$TMP/e.jsonl" ] && [ ! -s "$TMP/e.jsonl" ]
tap_ok $? "scan: a shard without a host prints nothing and exits 0" "rc $RC $(cat "$TMP/err")"

tap_done
