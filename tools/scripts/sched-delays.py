#!/usr/bin/env python3
"""How long threads waited for a CPU, from a kernel scheduler trace (issue #17): why a pipeline frame was late.

Record (root; tracefs mounted at /sys/kernel/tracing, `mount -t tracefs nodev /sys/kernel/tracing` if it is not):

    cd /sys/kernel/tracing && echo 200000 > buffer_size_kb && echo 0 > events/enable
    echo 1 > events/sched/sched_switch/enable && echo 1 > events/sched/sched_waking/enable
    echo > trace && echo 1 > tracing_on      # ... run the daemon ...
    echo 0 > tracing_on && cat trace > /tmp/sched.txt

then: sched-delays.py /tmp/sched.txt [--threads REGEX] [--from S] [--to S] [--worst N] [--json]

For every thread whose name matches REGEX (default `^reflex-`), each time it became runnable (woken, or preempted
while running) until it ran again: the delay. Prints per thread the count, p50, p99, max and how many delays were
over 200 µs, 500 µs and 1 ms (and of those over 500 µs, how many began with a preemption), then the N worst
delays with what ran on each CPU meanwhile (µs per thread name). --from / --to keep delays that began in that
window of trace time (seconds, the trace's own clock). --json prints one JSON object: {threads: {name: {n, p50_us,
p99_us, max_us, over_200us, over_500us, over_1ms, preempted_over_500us}}, worst: [{thread, delay_us, began,
cause, ran_meanwhile: {"cpuN:name": us}}]}.
"""
import argparse
import collections
import json
import re

SWITCH = re.compile(r'^\s*.+?-\d+\s+\[(\d+)\].*?\s(\d+\.\d+): sched_switch: prev_comm=(.*?) prev_pid=(\d+) '
                    r'prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+) next_prio=\d+')
WAKING = re.compile(r'^\s*.+?-\d+\s+\[\d+\].*?\s(\d+\.\d+): sched_waking: comm=(.*?) pid=(\d+) prio=\d+')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--threads", default=r"^reflex-")
    ap.add_argument("--from", dest="t0", type=float, default=float("-inf"))
    ap.add_argument("--to", dest="t1", type=float, default=float("inf"))
    ap.add_argument("--worst", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    want = re.compile(a.threads)
    runnable = {}                                   # pid -> (since, cause)
    delays = collections.defaultdict(list)          # name -> [(us, since, cause)]
    running = {}                                    # cpu -> (name, since)
    segments = collections.defaultdict(list)        # cpu -> [(start, end, name)]
    with open(a.trace, errors="replace") as f:
        for line in f:
            m = SWITCH.match(line)
            if m:
                cpu, t = int(m.group(1)), float(m.group(2))
                prev_pid, prev_state = int(m.group(4)), m.group(5)
                next_name, next_pid = m.group(6), int(m.group(7))
                if cpu in running:
                    segments[cpu].append((running[cpu][1], t, running[cpu][0]))
                running[cpu] = (next_name, t)
                if prev_state.startswith("R"):
                    runnable[prev_pid] = (t, "preempted")
                else:
                    runnable.pop(prev_pid, None)
                if next_pid in runnable:
                    since, cause = runnable.pop(next_pid)
                    if want.search(next_name) and a.t0 <= since <= a.t1:
                        delays[next_name].append(((t - since) * 1e6, since, cause))
                continue
            m = WAKING.match(line)
            if m and int(m.group(3)) not in runnable:
                runnable[int(m.group(3))] = (float(m.group(1)), "woken")
    threads = {}
    for name, ds in sorted(delays.items()):
        v = sorted(d[0] for d in ds)
        n = len(v)
        threads[name] = {"n": n, "p50_us": round(v[n // 2], 1), "p99_us": round(v[min(n - 1, int(n * 0.99))], 1),
                         "max_us": round(v[-1], 1), "over_200us": sum(x > 200 for x in v),
                         "over_500us": sum(x > 500 for x in v), "over_1ms": sum(x > 1000 for x in v),
                         "preempted_over_500us": sum(d[0] > 500 and d[2] == "preempted" for d in ds)}
    worst = sorted(((d, name) for name, ds in delays.items() for d in ds), key=lambda x: -x[0][0])[:a.worst]
    out = []
    for (us, since, cause), name in worst:
        end = since + us / 1e6
        ran = collections.Counter()
        for cpu, segs in segments.items():
            for s, e, other in segs:
                overlap = min(e, end) - max(s, since)
                if overlap > 0:
                    ran["cpu%d:%s" % (cpu, other)] += overlap * 1e6
        out.append({"thread": name, "delay_us": round(us, 1), "began": since, "cause": cause,
                    "ran_meanwhile": {k: round(v, 1) for k, v in ran.most_common(5)}})
    if a.json:
        print(json.dumps({"threads": threads, "worst": out}))
        return
    for name, s in threads.items():
        print("%-16s %s" % (name, " ".join("%s=%s" % kv for kv in s.items())))
    for w in out:
        print("%-16s %8.0f us %-9s at %.6f  ran meanwhile: %s" % (w["thread"], w["delay_us"], w["cause"], w["began"],
              ", ".join("%s %.0f" % kv for kv in w["ran_meanwhile"].items())))


if __name__ == "__main__":
    main()
