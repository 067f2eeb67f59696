#!/usr/bin/python3
"""Golden I/O for the Java LFADS tests: a model bundle plus reference inputs and outputs.

    /usr/bin/python3 tools/python/golden.py [--out-dir decoders/src/test/resources/golden]
        [--small CKPT] [--causal CKPT] [--cases 8] [--mc-maze-cases 2]

Writes lfads-<name>.rbundle for name in {lorenz-small, lorenz-causal, mc-maze-random}: the exported model
(export_lfads.py) plus the manifest key "golden": {"cases": n, ...} and the tensors
  golden.input        int16  [n, T, D]     Poisson counts
  golden.ic_mean      float64 [n, ic_dim]  (zero-width for the causal model)
  golden.g0           float64 [n, gen_dim]
  golden.factors      float64 [n, Tr, fac_dim]
  golden.logrates     float64 [n, Tr, readout_dim]
  golden.gen_states   float64 [n, Tr, gen_dim]
  golden.con_states   float64 [n, Tr, con_dim]
  golden.co           float64 [n, Tr, co_dim]
  golden.logrates_f32 float32 [n, Tr, readout_dim]
float64 values come from the torch model in float64 (weights are the bundle's float32 values, upcast), float32
from the same model in float32. Without --small/--causal the Lorenz models are seeded random initialisations.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_lfads as ex  # noqa: E402
import lfads_model as lm  # noqa: E402
import lorenz_data as ld  # noqa: E402
import reflex_bundle as rb  # noqa: E402

GOLDEN_DATA_SEED = 99


def model_from_checkpoint(path):
    sd, hp = ex.load_checkpoint(path)
    hp = ex.resolve_hparams(sd, hp, {})
    model = lm.LFADS(hp)
    model.load_state_dict(sd)
    return model


def random_model(hp, seed):
    torch.manual_seed(seed)
    model = lm.LFADS(hp)
    # Random, non-zero values for the tensors whose init is zero or constant, so the tests exercise them.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias_ih") or name.endswith("_h0") or name.endswith(".bias") or name.endswith("g0"):
                p.add_(0.1 * torch.randn_like(p))
        for mod in model.modules():
            if isinstance(mod, lm.ClippedGRUCell):
                mod.bias_hh.copy_(0.1 * torch.randn_like(mod.bias_hh))
    return model


def run_golden(model, counts):
    """Returns the golden tensors for int counts [n,T,D]."""
    model = model.eval()
    x = torch.as_tensor(counts)
    with torch.no_grad():
        m64 = lm.LFADS(model.hp).double().eval()
        sd32 = {k: v.to(torch.float32) for k, v in model.state_dict().items()}
        m64.load_state_dict({k: v.to(torch.float64) for k, v in sd32.items()})
        o64 = m64(x.to(torch.float64))
        m32 = lm.LFADS(model.hp).float().eval()
        m32.load_state_dict(sd32)
        o32 = m32(x.to(torch.float32))
    t = {"golden.input": rb.Tensor(np.asarray(counts).astype(np.int16), "int16")}
    for k in ("ic_mean", "g0", "factors", "logrates", "gen_states", "con_states", "co"):
        t["golden." + k] = rb.Tensor(o64[k].detach().numpy(), "float64")
    t["golden.logrates_f32"] = rb.Tensor(o32["logrates"].detach().numpy(), "float32")
    return t


def write_golden(model, counts, path, name, created_by, note):
    t = run_golden(model, counts)
    sd = {k: v.to(torch.float32) for k, v in model.state_dict().items()}
    extra = {"golden": {"cases": int(counts.shape[0]), "input": "golden.input", "note": note}}
    ex.export(sd, model.hp, path, name, created_by, extra_tensors=t, extra=extra)
    return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default="decoders/src/test/resources/golden")
    ap.add_argument("--small", help="checkpoint of the trial-mode Lorenz model (default: random init)")
    ap.add_argument("--causal", help="checkpoint of the causal Lorenz model (default: random init)")
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--mc-maze-cases", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    cmd = ex.command_line()
    data = ld.make_dataset(GOLDEN_DATA_SEED, a.cases)
    counts = data["counts"]
    small = model_from_checkpoint(a.small) if a.small else random_model(lm.default_hparams(), 1)
    causal = model_from_checkpoint(a.causal) if a.causal else random_model(lm.causal_hparams(), 2)
    note = "inputs: lorenz_data.make_dataset(seed=%d, n_trials=%d)" % (GOLDEN_DATA_SEED, a.cases)
    for model, name, src in ((small, "lorenz-small", a.small), (causal, "lorenz-causal", a.causal)):
        path = os.path.join(a.out_dir, "lfads-%s.rbundle" % name)
        write_golden(model, counts, path, name, cmd, note + ("; model " + src if src else "; random-init model"))
        print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))
    # MC_Maze-sized random model; Poisson inputs with per-neuron rates in [0.05, 0.6] counts per bin.
    hp = lm.mc_maze_hparams()
    mc = random_model(hp, 3)
    rng = np.random.default_rng(3)
    lam = rng.uniform(0.05, 0.6, size=(1, 1, hp["encod_data_dim"]))
    mc_counts = rng.poisson(np.broadcast_to(lam, (a.mc_maze_cases, hp["encod_seq_len"], hp["encod_data_dim"])))
    path = os.path.join(a.out_dir, "lfads-mc-maze-random.rbundle")
    write_golden(mc, mc_counts, path, "mc-maze-random", cmd,
                 "random-init MC_Maze-sized model (seed 3, biases, h0 and bias_hh randomised); Poisson inputs")
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
