#!/usr/bin/env python3
"""Writes the inputs of a fleet-sized `exscan report`: N probe results (JSONL,
one address each, NTLM names EXCHnnnnnn) and a walk (JSONL) of every fourth
host named by its NTLM DNS name, as a fleet's shards would leave them.
Usage: gen_report.py N OUTDIR  ->  OUTDIR/probe-N.jsonl, OUTDIR/walk-N.jsonl"""
import json, os, sys

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
builds = [("15.1.2176.2", "Exchange Server 2016", "CU19", None,
           [{"id": "CVE-2021-26855", "kev": True, "config_dependent": False, "certain": True,
             "fixed_by": "Mar21SU"}]),
          ("15.2.2562.46", "Exchange Server SE", "RTM", None, [])]
with open(os.path.join(out, f"probe-{n}.jsonl"), "w") as f:
    for i in range(n):
        b = builds[i % len(builds)]
        addr = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        h = {"host": addr, "address": addr, "port": 443, "error": None,
             "probe": {"is_exchange": True, "build": b[0], "build_precision": "exact",
                       "build_source": "x-owa-version", "product": b[1], "cu": b[2],
                       "update": b[3], "open_cves": b[4],
                       "checks": [{"id": "CVE-2021-26855",
                                   "result": "vulnerable" if b[4] else "not-vulnerable",
                                   "evidence": {"status": 500, "detail": "X-CalculatedBETarget"}}],
                       "tls": {"protocol": "TLSv1.2", "key_type": "RSA", "key_bits": 2048},
                       "ntlm": {"dns_computer": f"EXCH{i:06d}.corp.example",
                                "netbios_computer": f"EXCH{i:06d}"}}}
        f.write(json.dumps(h, separators=(",", ":")) + "\n")
with open(os.path.join(out, f"walk-{n}.jsonl"), "w") as f:
    for i in range(0, n, 4):
        h = {"host": f"exch{i:06d}.corp.example", "root": f"/mnt/exch{i:06d}",
             "findings": [{"path": "inetpub/wwwroot/aspnet_client/x.aspx", "kind": "webshell",
                           "rule": "china_chopper", "family": "China Chopper", "score": 90,
                           "severity": "alert", "sha256": "ab" * 32}] if i % 40 == 0 else [],
             "stats": {"files_seen": 100, "files_scanned": 90, "errors": 0}}
        f.write(json.dumps(h, separators=(",", ":")) + "\n")
