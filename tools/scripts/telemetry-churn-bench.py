#!/usr/bin/env python3
"""The daemon's pipeline latency with and without telemetry clients coming and going, runs interleaved.

For each run: start `reflex daemon --json --config CONFIG` (the config must enable `control` on a loopback port with
a tokenFile and set run.seconds), wait until /api/status reports the live phase, then (on churn runs) start
telemetry-churn.py against it for the rest of the live phase, and read the daemon's summary. Runs alternate
quiet, churn, churn, quiet, quiet, churn, ... so that slow drifts of the machine fall on both kinds.

Prints one JSON object: runs [{kind, clients, upgraded, errors, latency_us {p50,p99,p999,max,count}, deadline_misses,
dropped, load1}], and per kind the median of each latency figure (median_quiet, median_churn) and their ratios
(churn / quiet).

usage: telemetry-churn-bench.py REFLEX CONFIG PAIRS
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def status(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api/status" % port, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


def one_run(reflex, config, cfg, churn):
    port = cfg["control"]["port"]
    token_file = cfg["control"]["tokenFile"]
    if os.path.exists(token_file):
        os.remove(token_file)
    daemon = subprocess.Popen([reflex, "daemon", "--json", "--config", config], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 120
    while True:
        s = status(port)
        if s is not None and s.get("phase") == "live":
            break
        if daemon.poll() is not None or time.time() > deadline:
            raise SystemExit("the daemon did not reach its live phase (exit %s)" % daemon.poll())
        time.sleep(0.2)
    load = {"clients": 0, "upgraded": 0, "errors": 0}
    if churn:
        with open(token_file) as f:
            token = f.read().strip()
        seconds = max(1.0, cfg["run"]["seconds"] - 2)
        out = subprocess.run([sys.executable, os.path.join(HERE, "telemetry-churn.py"), str(port), token,
                              str(seconds)], capture_output=True, text=True, check=True).stdout
        load = json.loads(out)
    summary = json.loads(daemon.communicate(timeout=300)[0])
    if daemon.returncode != 0:
        raise SystemExit("the daemon exited %d" % daemon.returncode)
    return {"kind": "churn" if churn else "quiet", "clients": load["clients"], "upgraded": load["upgraded"],
            "errors": load["errors"], "latency_us": summary["latency_us"],
            "deadline_misses": summary["deadline_misses"], "dropped": summary["dropped"],
            "load1": os.getloadavg()[0]}


def main():
    reflex, config, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(config) as f:
        cfg = json.load(f)
    order = []
    for i in range(pairs):
        order += [False, True] if i % 2 == 0 else [True, False]
    runs = [one_run(reflex, config, cfg, churn) for churn in order]
    result = {"runs": runs}
    for kind in ("quiet", "churn"):
        sel = [r["latency_us"] for r in runs if r["kind"] == kind]
        result["median_" + kind] = {k: statistics.median(s[k] for s in sel) for k in ("p50", "p99", "p999", "max")}
    result["ratio"] = {k: round(result["median_churn"][k] / result["median_quiet"][k], 3)
                       for k in ("p50", "p99", "p999", "max")}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
