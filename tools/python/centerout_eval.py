#!/usr/bin/python3
"""Evaluate a causal LFADS checkpoint on a continuous center-out stream, and export the center-out demo bundle.

    /usr/bin/python3 tools/python/centerout_eval.py CKPT --data DEMO.npz [--bins 4000] [--cal-bins 500]
        [--lam 1.0] [--restart-bins 500] [--bundle OUT.rbundle --name centerout-causal --train TRAIN.npz
        --valid VALID.npz]

The model runs as the live loop runs it: ONE reset at bin 0 of --data, then every bin in order (no trial markers).
On that stream it reports (one JSON object on stdout):
- the fixed-point model (fixed_point_ref.py on the bundle's :q tensors, FIXED_POINT.md) against float32 and float64
  torch: max and percentiles of |Δ logλ| over every bin and neuron;
- the velocity R² of a ridge readout factors -> (vx, vy) fitted on bins [0, cal_bins) and scored on the rest
  (float64 and fixed-point factors), and of the affine steady-state velocity Kalman filter on the spike counts,
  fitted and scored on the same bins (centerout_data.KalmanVelocity, as io.reflex.decoders.linear.KalmanDecoder);
- the Poisson NLL of the float and fixed log-rates, of the true rates (the archive's Poisson means) and of
  per-channel mean rates;
- how long the reset lasts: a second stream reset at bin --restart-bins, compared with the first one bin by bin
  (the bins after which the factors differ by < 1e-2 and < 1e-3).
With --bundle it writes the model bundle (export_lfads.export) with the manifest keys `created_by` (the Java
exports, the training chain and this command, joined by " && "), `demo_data` (source parameters and the data spans
used for training, validation and this evaluation) and `evaluation` (the figures above).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import centerout_data as cd  # noqa: E402
import export_lfads as ex  # noqa: E402
import fixed_point_ref as fx  # noqa: E402
import lfads_model as lm  # noqa: E402

CAL_BINS = 500
RIDGE_LAMBDA = 1.0


def float_stream(model, counts, dtype=torch.float32):
    """Factors and log-rates [T, ·] of one continuous stream from one reset, in eval mode, in `dtype` (the
    weights are the model's float32 values, upcast for float64)."""
    m = lm.LFADS(model.hp).to(dtype).eval()
    m.load_state_dict({k: v.detach().to(torch.float32).to(dtype) for k, v in model.state_dict().items()})
    with torch.no_grad():
        o, _ = m.stream(torch.as_tensor(np.asarray(counts)[None], dtype=dtype))
    return o["factors"][0].numpy().astype(np.float64), o["logrates"][0].numpy().astype(np.float64)


def fixed_model(model):
    """fixed_point_ref.FixedLfads on exactly the :q tensors a bundle of `model` holds."""
    sd = {k: v.detach().to(torch.float32) for k, v in model.state_dict().items()}
    qt = ex.bundle_tensors(sd, model.hp)
    man = {"hyperparameters": ex.bundle_hparams(model.hp),
           "tensors": {k: {"frac_bits": v.frac_bits} for k, v in qt.items()}}
    return fx.FixedLfads(man, {k: v.array for k, v in qt.items()})


def fixed_stream(model, counts, fixed=None):
    """The fixed-point model over one continuous stream from one reset: (factors, log-rates) as floats (Q12/4096).
    A causal model's trial pass over T bins is its stream (README, "The causal model"), so the reference runs one
    trial as long as the stream."""
    f = fixed if fixed is not None else fixed_model(model)
    counts = np.asarray(counts)
    T = counts.shape[0]
    saved = dict(f.hp)
    f.hp = dict(f.hp, encod_seq_len=T, recon_seq_len=T)
    try:
        q = f.forward(counts[None].astype(np.int64))
    finally:
        f.hp = saved
    return q["factors"][0] / 4096.0, q["logrates"][0] / 4096.0


def _stats(d):
    d = np.abs(d)
    per_bin = d.max(axis=1)
    return {"max": round(float(d.max()), 6), "mean": float("%.3g" % d.mean()),
            "p99": float("%.3g" % np.percentile(d, 99)), "p99_9": float("%.3g" % np.percentile(d, 99.9)),
            "bins_over_2e-2": int(np.sum(per_bin > 2e-2)),
            "max_first_half": round(float(per_bin[: len(per_bin) // 2].max()), 6),
            "max_second_half": round(float(per_bin[len(per_bin) // 2:].max()), 6)}


def reset_transient(model, counts, restart):
    """Bins after a reset until its factors agree with those of a stream reset `restart` bins earlier (< 1e-2 and
    < 1e-3 max abs, for good from then on), float64."""
    f1, _ = float_stream(model, counts, torch.float64)
    f2, _ = float_stream(model, counts[restart:], torch.float64)
    d = np.abs(f1[restart:] - f2).max(axis=1)
    out = {"restart_bin": int(restart)}
    for tol, key in ((1e-2, "bins_to_1e-2"), (1e-3, "bins_to_1e-3")):
        over = np.nonzero(d >= tol)[0]
        out[key] = int(over[-1] + 1) if over.size else 0
    out["max_factor_diff_after_100_bins"] = float("%.3g" % d[100:].max()) if d.size > 100 else None
    return out


def evaluate(model, data, bins=None, cal_bins=CAL_BINS, lam=RIDGE_LAMBDA, restart=500):
    """All the figures of the module docstring for `data` (centerout_data.load) over its first `bins` bins."""
    t0 = time.time()
    n = data["counts"].shape[0] if bins is None else int(bins)
    if n > data["counts"].shape[0]:
        raise ValueError("the data have %d bins, %d asked" % (data["counts"].shape[0], n))
    counts = data["counts"][:n].astype(np.float64)
    vel = data["vel"][:n]
    fac32, lr32 = float_stream(model, counts, torch.float32)
    fac64, lr64 = float_stream(model, counts, torch.float64)
    facq, lrq = fixed_stream(model, counts)
    r2_64, per_64, _ = cd.readout_r2(fac64, vel, cal_bins, lam)
    r2_32, _, _ = cd.readout_r2(fac32, vel, cal_bins, lam)
    r2_q, per_q, _ = cd.readout_r2(facq, vel, cal_bins, lam)
    r2_k, per_k, _ = cd.kalman_r2(counts, vel, cal_bins)
    rates = data["rates"][:n].astype(np.float64)
    mean_rate = counts[:cal_bins].mean(axis=0, keepdims=True)
    meta = data["meta"]
    out = {
        "stream": {"bins": n, "first_bin": int(meta["first_bin"]), "seed": int(meta["seed"]), "resets": 1,
                   "note": "one reset at the first bin, then every bin in order, as the live loop"},
        "fixed_vs_float32_dlogrates": _stats(lrq - lr32),
        "fixed_vs_float64_dlogrates": _stats(lrq - lr64),
        "float32_vs_float64_max_dlogrates": float("%.3g" % np.abs(lr32 - lr64).max()),
        "velocity_r2": {
            "calibration_bins": cal_bins, "scored_bins": n - cal_bins, "ridge_lambda": lam,
            "lfads_float64": round(r2_64, 4), "lfads_float32": round(r2_32, 4), "lfads_fixed": round(r2_q, 4),
            "kalman": round(r2_k, 4), "lfads_minus_kalman": round(r2_64 - r2_k, 4),
            "per_output_vx_vy": {"lfads_float64": [round(v, 4) for v in per_64],
                                 "lfads_fixed": [round(v, 4) for v in per_q],
                                 "kalman": [round(v, 4) for v in per_k]},
            "readout": "ridge factors -> (vx, vy), centred, absolute lambda (WienerDecoder lags 1), fitted on bins "
                       "[0, calibration_bins) of the stream, R² (mean over vx, vy) on the rest",
            "kalman_model": "affine velocity Kalman, steady-state gain, on the spike counts, same bins"},
        "nll": {"lfads_float64": round(cd.poisson_nll(lr64[cal_bins:], counts[cal_bins:]), 5),
                "lfads_fixed": round(cd.poisson_nll(lrq[cal_bins:], counts[cal_bins:]), 5),
                "true_rates": round(cd.poisson_nll(np.log(np.maximum(rates[cal_bins:], 1e-9)), counts[cal_bins:]), 5),
                "mean_rates": round(cd.poisson_nll(np.log(np.maximum(mean_rate, 1e-9)), counts[cal_bins:]), 5),
                "bins": "scored bins"},
        "reset_transient": reset_transient(model, counts[: min(n, restart + 1500)], restart) if restart else None,
        "seconds": None,
    }
    out["seconds"] = round(time.time() - t0, 1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--data", required=True, help="evaluation archive (CenterOutDataset), e.g. the demo's bins")
    ap.add_argument("--bins", type=int, help="bins of --data to run (default: all)")
    ap.add_argument("--cal-bins", type=int, default=CAL_BINS)
    ap.add_argument("--lam", type=float, default=RIDGE_LAMBDA)
    ap.add_argument("--restart-bins", type=int, default=500, help="0 = skip the reset-transient measurement")
    ap.add_argument("--bundle", help="write the model bundle here")
    ap.add_argument("--name", default="centerout-causal")
    ap.add_argument("--train", help="the training archive (its span and command go into the manifest)")
    ap.add_argument("--valid", help="the validation archive (likewise)")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    sd, ckpt_hp = ex.load_checkpoint(a.checkpoint)
    hp = ex.resolve_hparams(sd, ckpt_hp, {})
    if not hp["causal"]:
        ap.error("the checkpoint is not a causal model")
    model = lm.LFADS(hp)
    model.load_state_dict(sd)
    data = cd.load(a.data)
    if data["counts"].shape[1] != hp["encod_data_dim"]:
        ap.error("the data have %d channels, the model %d" % (data["counts"].shape[1], hp["encod_data_dim"]))
    ev = evaluate(model, data, a.bins, a.cal_bins, a.lam, a.restart_bins)
    ev["data"] = {"archive": os.path.basename(a.data), "span": cd.span(data["meta"])}
    print(json.dumps(ev))
    if a.bundle:
        if not (a.train and a.valid):
            ap.error("--bundle needs --train and --valid (their spans go into the manifest)")
        tr, va = cd.load(a.train)["meta"], cd.load(a.valid)["meta"]
        for other in (tr, va):
            if cd.source_manifest(other) != cd.source_manifest(data["meta"]):
                ap.error("the archives were not made from the same source parameters")
        chain = ckpt_hp["created_by"].split(" && ") if isinstance(ckpt_hp.get("created_by"), str) else []
        for m in (tr, va, data["meta"]):
            if m["command"] not in chain:
                chain.append(m["command"])
        created_by = " && ".join(chain + [ex.command_line()])
        demo = {"source": cd.source_manifest(data["meta"]),
                "spans": {"train": cd.span(tr), "valid": cd.span(va), "evaluation": cd.span(data["meta"])},
                "note": "counts of io.reflex.decoders.synth.CenterOutSource with these parameters, binned as the "
                        "live pipeline (CenterOutDataset); the model knows this population only (seed %d); the "
                        "training and validation spans are disjoint from the bins the live demo sees (it starts at "
                        "bin 0)" % int(data["meta"]["seed"]),
                "readout": {"features": "factors", "targets": ["vx", "vy"], "fit": "ridge on the calibration "
                            "block (10 s = 500 bins), as in evaluation.velocity_r2"},
                "streaming": "reset once (resetStream) at the start of the stream, then one step per 20 ms bin "
                             "with no trial markers"}
        training = None
        if isinstance(ckpt_hp.get("training_json"), str):
            training = json.loads(ckpt_hp["training_json"])
        sdf = {k: v.detach().float() for k, v in model.state_dict().items()}
        m = ex.export(sdf, hp, a.bundle, a.name, created_by,
                      extra={"demo_data": demo, "evaluation": ev, "training": training})
        print("wrote %s: %d tensors, %d bytes" % (a.bundle, len(m["tensors"]), os.path.getsize(a.bundle)),
              file=sys.stderr)


if __name__ == "__main__":
    main()
