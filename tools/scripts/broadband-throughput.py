#!/usr/bin/env python3
"""Sustained broadband throughput over loopback LSL (issue #17): an int16 amplifier stream into the daemon's front end.

For each channel count: start `reflex source --loopback --broadband --int16 --channels N --chunk-samples 30
--loop-seconds LOOP` (30 kHz, 1 ms chunks; the signal generated before publishing, so the amplifier stand-in costs
the LSL push alone, as an amplifier on a machine of its own would), wait until it publishes, then run `reflex daemon
--json` on a config that reads it over loopback LSL with its kinematics stream, 1 ms bins with a 1 ms deadline, the
front end (CAR, band-pass 250-5000 Hz, threshold crossings at -4.5 RMS), a Kalman decoder fitted on the calibration
block, for RUN seconds live; then stop the source and read the daemon's summary. The daemon runs at nice NICE (default
-10, as config/reflex.service runs it), the source at the default 0.

A run holds when the daemon lost nothing and missed nothing in its live phase: dropped, not_taken_in,
deadline_misses, safe_outputs, source outages and inlet_dropped_live all 0, and it completed (inlet_dropped, the
whole run's, calibration and fit included, is reported beside it).

Prints one JSON object: runs [{channels, exit, ending, holds, frames, dropped, not_taken_in, deadline_misses,
safe_outputs, inlet_dropped, inlet_dropped_live, staleness_live_us {p50, p99, max}, fit_ms, samples, outages,
longest_gap_ms, features_us {p50, p99, p999, max}, latency_us {p50, p99, p999, max}, velocity_r2, gc_count, gc_time_ms,
journal_frames, journal_frames_not_written, load1_before, load1_after, seconds, stderr_tail (the daemon's last 12
progress lines), and vm_steal / stall_probe with those options}], highest_holding (the largest channel count that held,
or null), config (the settings common to every run), started, host_cpus.

usage: broadband-throughput.py REFLEX --channels N[,N...] [--seconds RUN] [--calibration S] [--loop S] [--nice NICE]
                               [--fifo PRIO] [--journal DIR] [--set PATH=JSON ...] [--vm-steal] [--stall-probe CPUS]
       broadband-throughput.py --stall-probe CPUS --probe-only SECONDS

--fifo PRIO runs the daemon under SCHED_FIFO at that priority (chrt -f; root or CAP_SYS_NICE) instead of nice.

--vm-steal samples the machine's CPU time stolen by the hypervisor (/proc/stat, every 20 ms) while the daemon runs and
sets it beside the daemon's deadline misses per progress interval (the daemon prints its counts every 2 s): the run
gains "vm_steal" {intervals, intervals_with_misses, misses, steal_ms_in_miss_intervals, steal_ms_in_clean_intervals,
miss_intervals_with_steal, clean_intervals_with_steal} (steal summed over the machine's CPUs, ms), and the daemon's
minor page faults and involuntary context switches (summed over its threads, sampled every 100 ms) per interval with
and without misses (minor_faults_per_miss_interval, minor_faults_per_clean_interval,
involuntary_switches_per_miss_interval, involuntary_switches_per_clean_interval).

--stall-probe CPUS (e.g. 0,1; root or CAP_SYS_NICE) asks whether the machine itself held the CPUs when a deadline was
missed: while the daemon runs, one process per listed CPU, pinned there under SCHED_FIFO 95 (above every thread of the
daemon), wakes every 1 ms on a fixed grid and records each wake-up 500 us or more late: with nothing of higher priority
to wait for, such a delay is the kernel's own work (interrupts, its few threads above 95) or the hypervisor holding the
vCPU. The run gains "stall_probe" {cpus, period_us, threshold_us, wakeups, stalls, stalls_over_1ms, max_us, intervals,
miss_intervals: [{from_s, to_s (CLOCK_MONOTONIC s), misses, longest_stall_us (the longest late wake-up overlapping the
interval, any listed CPU), cpus_stalled_over_1ms}], clean_intervals_with_stall_over_1ms}. The probe costs each listed
CPU about 2 % (4.2 CPU-s in 120 s on two) and preempts the pipeline for microseconds at each wake-up. A probe that
cannot get its CPU or SCHED_FIFO stops the script before anything starts, with the reason (exit 1).

--probe-only SECONDS runs the probe alone on the listed CPUs (nothing else started; run it with the machine
otherwise quiet) and prints one JSON object: stall_probe {cpus, period_us, threshold_us, seconds, wakeups, stalls,
stalls_over_1ms, max_us, per_cpu {CPU: {stalls, over_1ms, over_2ms, over_5ms, max_us}}, over_1ms_with_another_cpu (late
wake-ups over 1 ms that overlapped one over 1 ms on another CPU: the whole machine held), longest [{cpu, at_s, late_us}]
(the 20 longest)}, started, host_cpus. What a machine must show before it can hold a deadline D: no late wake-up
anywhere near D less the features stage's time.

--set overrides one key of the daemon's config (dotted path, JSON value), e.g. --set source.lsl.bufferMiB=256
--set pipeline.topology='"single"'; the overrides are in the output's config.
"""
import argparse
import json
import multiprocessing
import os
import re
import subprocess
import tempfile
import threading
import time

PROBE_PERIOD_US = 1000
PROBE_THRESHOLD_US = 500
LIVE = re.compile(r"live\s+([0-9.]+)/[0-9.]+ s\s+frames (\d+)\s+dropped (\d+)\s+deadline misses (\d+)")


def steal_jiffies():
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) if len(fields) > 8 else 0


def proc_counters(pid):
    """The daemon's minor page faults (all its threads) and involuntary context switches (summed over its threads)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            minflt = int(f.read().rsplit(")", 1)[1].split()[7])
        nvcsw = 0
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                    for line in f:
                        if line.startswith("nonvoluntary_ctxt_switches"):
                            nvcsw += int(line.split()[1])
            except OSError:
                pass
        return minflt, nvcsw
    except (OSError, IndexError, ValueError):
        return None


def steal_sampler(samples, stop, pid=None):
    n = 0
    while not stop.is_set():
        c = proc_counters(pid) if pid and n % 5 == 0 else None
        samples.append((time.monotonic(), steal_jiffies(), c))
        n += 1
        stop.wait(0.02)


def live_misses(lines):
    """(time, deadline misses so far) of each of the daemon's live progress lines."""
    return [(t, int(m.group(4))) for t, line in lines for m in [LIVE.search(line)] if m]


def steal_report(lines, samples):
    """Per interval between two of the daemon's live progress lines: its deadline misses and the steal in it."""
    hz = os.sysconf("SC_CLK_TCK")
    live = live_misses(lines)

    def steal_at(t):
        best = None
        for ts, j, _ in samples:
            if ts <= t:
                best = j
            else:
                break
        return best if best is not None else (samples[0][1] if samples else 0)

    def counters_at(t):
        best = None
        for ts, _, c in samples:
            if ts > t:
                break
            if c is not None:
                best = c
        return best

    r = {"intervals": 0, "intervals_with_misses": 0, "misses": 0, "steal_ms_in_miss_intervals": 0.0,
         "steal_ms_in_clean_intervals": 0.0, "miss_intervals_with_steal": 0, "clean_intervals_with_steal": 0,
         "minor_faults_per_miss_interval": None, "minor_faults_per_clean_interval": None,
         "involuntary_switches_per_miss_interval": None, "involuntary_switches_per_clean_interval": None}
    sums = {"miss": [0, 0, 0], "clean": [0, 0, 0]}
    for (t0, m0), (t1, m1) in zip(live, live[1:]):
        steal_ms = (steal_at(t1) - steal_at(t0)) * 1000.0 / hz
        c0, c1 = counters_at(t0), counters_at(t1)
        kind = "miss" if m1 > m0 else "clean"
        if c0 and c1:
            sums[kind][0] += c1[0] - c0[0]
            sums[kind][1] += c1[1] - c0[1]
            sums[kind][2] += 1
        r["intervals"] += 1
        if m1 > m0:
            r["intervals_with_misses"] += 1
            r["misses"] += m1 - m0
            r["steal_ms_in_miss_intervals"] += steal_ms
            r["miss_intervals_with_steal"] += steal_ms > 0
        else:
            r["steal_ms_in_clean_intervals"] += steal_ms
            r["clean_intervals_with_steal"] += steal_ms > 0
    for kind in ("miss", "clean"):
        f, v, n = sums[kind]
        if n:
            r["minor_faults_per_%s_interval" % kind] = round(f / n, 1)
            r["involuntary_switches_per_%s_interval" % kind] = round(v / n, 1)
    r["steal_ms_in_miss_intervals"] = round(r["steal_ms_in_miss_intervals"], 1)
    r["steal_ms_in_clean_intervals"] = round(r["steal_ms_in_clean_intervals"], 1)
    return r


def stall_probe(cpu, period_us, threshold_us, stop, out):
    """In a child process: SCHED_FIFO 95 on one CPU, woken every PERIOD on a fixed grid; every wake-up THRESHOLD or
    more late goes to OUT as (cpu, due, late_us) at the stop, with the wake-up count."""
    try:
        os.sched_setaffinity(0, {cpu})
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(95))
    except OSError as e:
        out.send(("error", "the stall probe cannot run under SCHED_FIFO 95 on CPU %d: %s (root or CAP_SYS_NICE, and an "
                           "online CPU, are needed)" % (cpu, e)))
        return
    out.send(("ready", cpu))
    period = period_us / 1e6
    due = time.monotonic() + period
    stalls, n = [], 0
    while not stop.is_set():
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        late = time.monotonic() - due
        n += 1
        if late * 1e6 >= threshold_us:
            stalls.append((cpu, due, late * 1e6))
        due += period * (1 + int(late // period)) if late > 0 else period   # keep the grid, skip what passed
    out.send((n, stalls))


def start_probes(cpus, period_us, threshold_us):
    stop = multiprocessing.Event()
    probes = []
    for cpu in cpus:
        mine, theirs = multiprocessing.Pipe(duplex=False)
        p = multiprocessing.Process(target=stall_probe, args=(cpu, period_us, threshold_us, stop, theirs), daemon=True)
        p.start()
        probes.append((p, mine))
    for p, pipe in probes:
        said = pipe.recv() if pipe.poll(30) else ("error", "the stall probe did not start within 30 s")
        if said[0] != "ready":
            stop.set()
            raise SystemExit(said[1])
    return stop, probes


def stop_probes(stop, probes):
    stop.set()
    wakeups, stalls = 0, []
    for p, pipe in probes:
        n, s = pipe.recv()
        p.join(timeout=10)
        wakeups += n
        stalls += s
    return wakeups, sorted(stalls, key=lambda s: s[1])


def stall_report(lines, stalls, wakeups, cpus, period_us, threshold_us):
    """The probe's late wake-ups set beside the daemon's deadline misses per live progress interval: a stall belongs
    to the interval its lateness overlaps (due to due + late)."""
    live = live_misses(lines)
    r = {"cpus": cpus, "period_us": period_us, "threshold_us": threshold_us, "wakeups": wakeups,
         "stalls": len(stalls), "stalls_over_1ms": sum(1 for s in stalls if s[2] >= 1000),
         "max_us": round(max((s[2] for s in stalls), default=0)), "intervals": 0, "miss_intervals": [],
         "clean_intervals_with_stall_over_1ms": 0}
    for (t0, m0), (t1, m1) in zip(live, live[1:]):
        inside = [s for s in stalls if s[1] < t1 and s[1] + s[2] / 1e6 > t0]
        longest = max((s[2] for s in inside), default=0)
        r["intervals"] += 1
        if m1 > m0:
            r["miss_intervals"].append({
                "from_s": round(t0, 3), "to_s": round(t1, 3), "misses": m1 - m0,
                "longest_stall_us": round(longest),
                "cpus_stalled_over_1ms": sorted({s[0] for s in inside if s[2] >= 1000})})
        elif longest >= 1000:
            r["clean_intervals_with_stall_over_1ms"] += 1
    return r


def probe_summary(stalls, wakeups, cpus, period_us, threshold_us, seconds):
    """The probe alone (--probe-only): late wake-ups per CPU by size, how many of those over 1 ms overlapped one over
    1 ms on another CPU (the whole machine held, not one CPU), and the 20 longest."""
    over = [s for s in stalls if s[2] >= 1000]
    per_cpu = {}
    for cpu in cpus:
        mine = [s[2] for s in stalls if s[0] == cpu]
        per_cpu[str(cpu)] = {"stalls": len(mine), "over_1ms": sum(1 for x in mine if x >= 1000),
                             "over_2ms": sum(1 for x in mine if x >= 2000),
                             "over_5ms": sum(1 for x in mine if x >= 5000), "max_us": round(max(mine, default=0))}
    together = sum(1 for a in over if any(b[0] != a[0] and b[1] < a[1] + a[2] / 1e6 and a[1] < b[1] + b[2] / 1e6
                                          for b in over))
    longest = sorted(stalls, key=lambda s: -s[2])[:20]
    return {"cpus": cpus, "period_us": period_us, "threshold_us": threshold_us, "seconds": seconds,
            "wakeups": wakeups, "stalls": len(stalls), "stalls_over_1ms": len(over),
            "max_us": round(max((s[2] for s in stalls), default=0)), "per_cpu": per_cpu,
            "over_1ms_with_another_cpu": together,
            "longest": [{"cpu": c, "at_s": round(t, 4), "late_us": round(l)} for c, t, l in longest]}


def config(channels, name, seconds, calibration, journal_dir):
    return {
        "source": {"type": "lsl", "channels": channels, "sampleRateHz": 30000,
                   "lsl": {"name": name, "type": "Broadband", "backend": "java", "network": "loopback",
                           "resolveTimeoutS": 120,
                           "kinematics": {"name": name + "-kinematics", "type": "Kinematics"}}},
        "pipeline": {"binWidthUs": 1000, "deadlineUs": 1000},
        "frontend": {"car": "all", "filter": {"order": 2, "highPassHz": 250, "lowPassHz": 5000},
                     "threshold": {"k": 4.5, "refractoryMs": 1.0}, "rmsSeconds": 2, "outputs": ["crossings"],
                     "inputScaleUv": 0.25},
        "decoder": {"name": "kalman"},
        "calibration": {"seconds": calibration, "timeoutS": calibration + 120},
        "run": {"seconds": seconds},
        "journal": {"enabled": journal_dir is not None, **({"dir": journal_dir} if journal_dir else {})},
    }


def pick(h):
    return {k: h[k] for k in ("p50", "p99", "p999", "max")}


def override(cfg, sets):
    for item in sets:
        path, _, value = item.partition("=")
        node = cfg
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = json.loads(value)
    return cfg


def one_run(reflex, channels, seconds, calibration, loop, niceness, fifo, journal_dir, sets, work, vm_steal=False,
            probe_cpus=None):
    name = "bb%d-%d" % (channels, os.getpid())
    cfg_path = os.path.join(work, "bb%d.json" % channels)
    jdir = os.path.join(journal_dir, "ch%d" % channels) if journal_dir else None
    with open(cfg_path, "w") as f:
        json.dump(override(config(channels, name, seconds, calibration, jdir), sets), f)
    src_err = open(os.path.join(work, "source%d.err" % channels), "w+")
    source = subprocess.Popen([reflex, "source", "--loopback", "--broadband", "--int16", "--channels", str(channels),
                               "--chunk-samples", "30", "--loop-seconds", str(loop), "--name", name, "--json"],
                              stdout=subprocess.PIPE, stderr=src_err, text=True)
    # wait until the loop is generated and the outlet is up (the start-up line on stderr)
    deadline = time.time() + 300
    while True:
        src_err.seek(0)
        if "publishing" in src_err.read():
            break
        if source.poll() is not None or time.time() > deadline:
            raise SystemExit("the source did not start (exit %s)" % source.poll())
        time.sleep(0.2)
    load_before = os.getloadavg()[0]
    t0 = time.time()
    prefix = ["chrt", "-f", str(fifo)] if fifo else ["nice", "-n", str(niceness)]
    if probe_cpus:
        probe_stop, probes = start_probes(probe_cpus, PROBE_PERIOD_US, PROBE_THRESHOLD_US)
    if vm_steal or probe_cpus:
        samples, lines, stop = [], [], threading.Event()
        proc = subprocess.Popen(prefix + [reflex, "daemon", "--json", "--config", cfg_path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        # nice / chrt and the reflex launcher exec what they run, so the child's pid is the JVM's
        sampler = threading.Thread(target=steal_sampler, args=(samples, stop, proc.pid), daemon=True)
        sampler.start()
        out_parts = []
        reader = threading.Thread(target=lambda: out_parts.append(proc.stdout.read()), daemon=True)
        reader.start()
        for line in proc.stderr:
            lines.append((time.monotonic(), line.rstrip("\n")))
        proc.wait(timeout=seconds + calibration + 600)
        reader.join()
        stop.set()
        sampler.join()
        daemon = subprocess.CompletedProcess(proc.args, proc.returncode, "".join(out_parts),
                                             "\n".join(l for _, l in lines))
    else:
        daemon = subprocess.run(prefix + [reflex, "daemon", "--json", "--config", cfg_path], capture_output=True,
                                text=True, timeout=seconds + calibration + 600)
    elapsed = time.time() - t0
    if probe_cpus:
        wakeups, stalls = stop_probes(probe_stop, probes)
    load_after = os.getloadavg()[0]
    source.terminate()
    source.communicate(timeout=60)
    if not daemon.stdout.strip():
        raise SystemExit("the daemon printed no summary (exit %d): %s" % (daemon.returncode, daemon.stderr[-2000:]))
    d = json.loads(daemon.stdout)
    src = d.get("source") or {}
    run = {
        "channels": channels,
        "exit": daemon.returncode,
        "ending": d["ending"],
        "frames": d["frames"],
        "dropped": d["dropped"],
        "not_taken_in": d["not_taken_in"],
        "deadline_misses": d["deadline_misses"],
        "safe_outputs": d["safe_outputs"],
        "inlet_dropped": src.get("inlet_dropped"),
        "inlet_dropped_live": src.get("inlet_dropped_live"),
        "staleness_live_us": src.get("staleness_live_us"),
        "fit_ms": d.get("fit_ms"),
        "samples": src.get("samples"),
        "outages": src.get("outages"),
        "longest_gap_ms": src.get("longest_gap_ms"),
        "features_us": pick(d["stage_latency_us"]["features"]),
        "latency_us": pick(d["latency_us"]),
        "velocity_r2": d.get("velocity_r2"),
        "gc_count": d.get("gc_count"),
        "gc_time_ms": d.get("gc_time_ms"),
        "journal_frames": d.get("journal_frames"),
        "journal_frames_not_written": d.get("journal_frames_not_written"),
        "load1_before": round(load_before, 2),
        "load1_after": round(load_after, 2),
        "seconds": round(elapsed, 1),
        "stderr_tail": daemon.stderr.splitlines()[-12:],
    }
    if vm_steal:
        run["vm_steal"] = steal_report(lines, samples)
    if probe_cpus:
        run["stall_probe"] = stall_report(lines, stalls, wakeups, probe_cpus, PROBE_PERIOD_US, PROBE_THRESHOLD_US)
    run["holds"] = (daemon.returncode == 0 and d["ending"] == "completed" and d["dropped"] == 0
                    and d["not_taken_in"] == 0 and d["deadline_misses"] == 0 and d["safe_outputs"] == 0
                    and src.get("inlet_dropped_live") == 0 and src.get("outages") == 0
                    and (not jdir or d.get("journal_frames_not_written") == 0))
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reflex", nargs="?")
    ap.add_argument("--channels")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--calibration", type=float, default=10)
    ap.add_argument("--loop", type=float, default=6.4)
    ap.add_argument("--nice", type=int, default=-10)
    ap.add_argument("--fifo", type=int, default=0)
    ap.add_argument("--journal", default=None)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--vm-steal", action="store_true")
    ap.add_argument("--stall-probe", default=None, metavar="CPUS")
    ap.add_argument("--probe-only", type=float, default=None, metavar="SECONDS")
    a = ap.parse_args()
    probe_cpus = sorted({int(c) for c in a.stall_probe.split(",")}) if a.stall_probe else None
    if a.probe_only is not None:
        if not probe_cpus or not a.probe_only > 0:
            ap.error("--probe-only SECONDS needs --stall-probe CPUS and SECONDS > 0")
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        stop, probes = start_probes(probe_cpus, PROBE_PERIOD_US, PROBE_THRESHOLD_US)
        time.sleep(a.probe_only)
        wakeups, stalls = stop_probes(stop, probes)
        print(json.dumps({"stall_probe": probe_summary(stalls, wakeups, probe_cpus, PROBE_PERIOD_US,
                                                       PROBE_THRESHOLD_US, a.probe_only),
                          "started": started, "host_cpus": os.cpu_count()}))
        return
    if not a.reflex or not a.channels:
        ap.error("REFLEX and --channels are needed (or --probe-only)")
    counts = [int(c) for c in a.channels.split(",")]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    runs = []
    with tempfile.TemporaryDirectory() as work:
        for n in counts:
            runs.append(one_run(a.reflex, n, a.seconds, a.calibration, a.loop, a.nice, a.fifo, a.journal, a.set, work,
                                a.vm_steal, probe_cpus))
    holding = [r["channels"] for r in runs if r["holds"]]
    print(json.dumps({"runs": runs, "highest_holding": max(holding) if holding else None,
                      "config": {"rate_hz": 30000, "chunk_samples": 30, "format": "int16", "bin_us": 1000,
                                 "deadline_us": 1000, "live_seconds": a.seconds, "calibration_seconds": a.calibration,
                                 "loop_seconds": a.loop, "daemon_nice": None if a.fifo else a.nice,
                                 "daemon_fifo_priority": a.fifo or None, "overrides": a.set,
                                 "journal": a.journal is not None},
                      "started": started, "host_cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
