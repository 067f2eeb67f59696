#!/usr/bin/python3
"""PyTorch eager, batch-1 latency of LFADS inference, for the ratio beside the Java JMH figures.

    /usr/bin/python3 tools/python/bench_lfads_torch.py [--threads 1] [--iterations 2000] [--trial-iterations 100]

Cases (random-init weights; latency does not depend on the values):
  causal_step/fpga     one streaming bin of the causal FPGA-sized model (70 neurons, CI 64 fwd, controller 64,
                       co 4, generator 64, 4 factors): CI GRU step + controller + co + generator + factors + readout
  causal_step/mc_maze  the same with MC_Maze dimensions (137 neurons, CI 64 fwd, controller 64, co 4,
                       generator 200, 100 factors, 182 log-rates)
  trial/fpga           a whole 73-bin window of the trial model (bidirectional IC encoder 64, IC 64, generator 64,
                       4 factors, no controller)
  trial/mc_maze        a whole MC_Maze window (T = 35 in, Tr = 45 out, full controller; decoders/LFADS.md 1.1)
Each iteration is timed alone with time.perf_counter_ns under torch.no_grad() in eval mode, after a warm-up of
10 % of the iterations. Prints one JSON object: per case median_us, p99_us, mean_us, iterations; plus torch
version, threads, python version and the machine's CPU count.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lfads_model as lm  # noqa: E402

MC_MAZE_CAUSAL = dict(encod_data_dim=137, ci_enc_dim=64, con_dim=64, co_dim=4, gen_dim=200, fac_dim=100,
                      readout_dim=182, encod_seq_len=35, recon_seq_len=35)


def _stats(ns):
    us = np.asarray(ns, dtype=np.float64) / 1000.0
    return {"median_us": round(float(np.median(us)), 2), "p99_us": round(float(np.percentile(us, 99)), 2),
            "mean_us": round(float(np.mean(us)), 2), "iterations": int(us.size)}


def bench_causal(hp, iterations, seed=0):
    torch.manual_seed(seed)
    m = lm.LFADS(hp).eval()
    x = torch.poisson(torch.full((iterations + iterations // 10, 1, hp["encod_data_dim"]), 0.4))
    times = []
    with torch.no_grad():
        st = m.causal_state(1)
        for i in range(x.shape[0]):
            t0 = time.perf_counter_ns()
            m.causal_step(x[i], st)
            t1 = time.perf_counter_ns()
            if i >= iterations // 10:
                times.append(t1 - t0)
    return _stats(times)


def bench_trial(hp, iterations, seed=0):
    torch.manual_seed(seed)
    m = lm.LFADS(hp).eval()
    x = torch.poisson(torch.full((1, hp["encod_seq_len"], hp["encod_data_dim"]), 0.4))
    times = []
    with torch.no_grad():
        for i in range(iterations + iterations // 10):
            t0 = time.perf_counter_ns()
            m(x)
            t1 = time.perf_counter_ns()
            if i >= iterations // 10:
                times.append(t1 - t0)
    return _stats(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=2000, help="timed causal steps per case")
    ap.add_argument("--trial-iterations", type=int, default=100, help="timed full trials per case")
    ap.add_argument("--cases", default="causal_step/fpga,causal_step/mc_maze,trial/fpga,trial/mc_maze")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    hps = {"causal_step/fpga": lm.causal_hparams(dropout_rate=0.0),
           "causal_step/mc_maze": lm.causal_hparams(dropout_rate=0.0, **MC_MAZE_CAUSAL),
           "trial/fpga": lm.default_hparams(dropout_rate=0.0),
           "trial/mc_maze": lm.mc_maze_hparams(dropout_rate=0.0)}
    results = {}
    for case in [c.strip() for c in a.cases.split(",") if c.strip()]:
        if case not in hps:
            ap.error("unknown case %s (known: %s)" % (case, ", ".join(hps)))
        if case.startswith("causal_step"):
            results[case] = bench_causal(hps[case], a.iterations)
        else:
            results[case] = bench_trial(hps[case], a.trial_iterations)
    print(json.dumps({"tool": "bench_lfads_torch", "engine": "pytorch-eager", "batch": 1,
                      "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "python": platform.python_version(), "cpus": os.cpu_count(), "results": results}))


if __name__ == "__main__":
    main()
