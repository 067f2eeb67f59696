#!/usr/bin/python3
"""Train the compact LFADS (lfads_model.py, lfads-torch parameter names) on synthetic Lorenz spikes.

    /usr/bin/python3 tools/python/train_lfads.py --model small --seed 7 --out /tmp/small.ckpt \
        [--bundle decoders/src/main/resources/models/lfads-lorenz-small.rbundle]

--model small:  the published FPGA design's shape (70 neurons x 73 bins, GRU 64 encoders, IC 64, generator 64,
                4 factors, no controller); trial mode.
--model causal: forward CI encoder 64, controller 64, 4 controller outputs, generator 64, 4 factors, learned g0.

Training is a non-variational auto-encoder (as the published FPGA work): the posterior mean is used in training
and at inference. Loss per batch = Poisson NLL (mean over trials, bins and neurons)
  + L2_GEN * ||gen_cell.weight_hh||^2 / numel + L2_CON * ||con_cell.weight_hh||^2 / numel
  + IC_PEN * mean(ic_mean^2) + CO_PEN * mean(co^2)
with dropout on the inputs and hidden quantities (lfads-torch's dropout placement), Adam, gradient-norm clip.
Fixed-point-aware fine-tuning (--stability, --stability-max, --sim-noise; with --init and --dropout 0): each batch
also runs with decoders/FIXED_POINT.md's roundings simulated (lfads_model.FixedPointSim, straight-through) and the
squared log-rate difference to the float copy is penalised (mean, and each trial's worst bin).
Data: lorenz_data.make_dataset(seed=--data-seed) for training, seed --data-seed + 1 for validation.
Saves a Lightning-style checkpoint dict {"state_dict", "hyper_parameters", "epoch", "global_step"} and prints
one JSON line with the validation Poisson NLL and the latent R² (factors -> true Lorenz state, linear map fitted
on the training trials, scored on the validation trials).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_lfads as ex  # noqa: E402
import lfads_model as lm  # noqa: E402
import lorenz_data as ld  # noqa: E402

L2_GEN = 1e-4
L2_CON = 1e-4
IC_PEN = 1e-4
CO_PEN = 1e-3


def poisson_nll(logr, x):
    return torch.mean(torch.exp(logr) - x * logr)


def evaluate(model, counts, batch=200):
    model.eval()
    outs = {"factors": [], "logrates": []}
    with torch.no_grad():
        for i in range(0, counts.shape[0], batch):
            o = model(counts[i:i + batch])
            for k in outs:
                outs[k].append(o[k])
    model.train()
    return {k: torch.cat(v).numpy() for k, v in outs.items()}


def fixed_error(model, counts):
    """max |Δ logλ| of the fixed-point model (FIXED_POINT.md, via fixed_point_ref.py) against the float32 model on
    `counts`, and how many trials exceed 2e-2 anywhere."""
    import fixed_point_ref as fx
    sd = {k: v.detach().float() for k, v in model.state_dict().items()}
    qt = ex.bundle_tensors(sd, model.hp)
    man = {"hyperparameters": ex.bundle_hparams(model.hp),
           "tensors": {k: {"frac_bits": v.frac_bits} for k, v in qt.items()}}
    q = fx.FixedLfads(man, {k: v.array for k, v in qt.items()}).forward(counts.numpy().astype(np.int64))
    d = np.abs(q["logrates"] / 4096.0 - evaluate(model, counts)["logrates"]).max(axis=(1, 2))
    return {"fixed_max_dlog": round(float(d.max()), 5), "fixed_trials_over_2e-2": int(np.sum(d > 2e-2))}


def latent_r2(model, train, valid, n_fit=400):
    ftr = evaluate(model, train["x"][:n_fit])["factors"]
    ev = evaluate(model, valid["x"])
    r2 = ld.latent_r2(ftr, train["latents"][:n_fit], ev["factors"], valid["latents"])
    nll = float(poisson_nll(torch.as_tensor(ev["logrates"]), valid["x"]))
    return r2, nll


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=("small", "causal"), default="small")
    ap.add_argument("--seed", type=int, default=7, help="torch seed (init, dropout, batch order)")
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--train-trials", type=int, default=800)
    ap.add_argument("--valid-trials", type=int, default=200)
    ap.add_argument("--steps", type=int, default=1500, help="optimiser steps")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--dropout", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--init", help="start from this checkpoint's weights (fine-tuning)")
    ap.add_argument("--state-noise", type=float, default=0.0,
                    help="std of Gaussian noise added to every GRU state in training (fixed-point robustness)")
    ap.add_argument("--stability", type=float, default=0.0, metavar="W",
                    help="fixed-point-aware training: run every batch twice in one pass, as float and with "
                         "FIXED_POINT.md's roundings simulated (lfads_model.FixedPointSim, straight-through), and add "
                         "W * mean((logλ_fixed - logλ_float)^2) to the loss (the Poisson NLL is the float copy's); "
                         "needs --dropout 0")
    ap.add_argument("--stability-max", type=float, default=0.0, metavar="W",
                    help="with --stability: also add W * mean over the batch's trials of max over bins and neurons "
                         "of (logλ_fixed - logλ_float)^2 (weights the worst bins, which set the max |Δ| target)")
    ap.add_argument("--sim-noise", type=float, default=0.0, metavar="K",
                    help="with --stability: also add uniform noise of K times the tables' half step (2^-9) to "
                         "every table input of the simulated copy")
    ap.add_argument("--fixed-eval", action="store_true",
                    help="at every evaluation also report the fixed-point model's log-rate error on the validation "
                         "trials (fixed_point_ref.py vs float32: max and the number of trials above 2e-2)")
    ap.add_argument("--out", required=True, help="checkpoint (.ckpt) to write")
    ap.add_argument("--bundle", help="also export the trained model to this .rbundle")
    a = ap.parse_args(argv)
    if a.stability > 0 and a.dropout != 0:
        ap.error("--stability needs --dropout 0 (both copies of a batch must see the same network)")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)

    hp = (lm.default_hparams if a.model == "small" else lm.causal_hparams)(dropout_rate=a.dropout)
    model = lm.LFADS(hp)
    init_created_by = None
    if a.init:
        init = torch.load(a.init, map_location="cpu")
        model.load_state_dict(init["state_dict"])
        init_created_by = init.get("hyper_parameters", {}).get("created_by")
    for mod in model.modules():
        if isinstance(mod, lm.ClippedGRUCell):
            mod.state_noise = a.state_noise
    tr = ld.make_dataset(a.data_seed, a.train_trials)
    va = ld.make_dataset(a.data_seed + 1, a.valid_trials)
    train = {"x": torch.as_tensor(tr["counts"], dtype=torch.float32), "latents": tr["latents"]}
    valid = {"x": torch.as_tensor(va["counts"], dtype=torch.float32), "latents": va["latents"]}

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.steps, eta_min=a.lr * 0.02)
    cell = model.decoder.rnn.cell
    gen = torch.Generator().manual_seed(a.seed)
    t0 = time.time()
    n = train["x"].shape[0]
    step = 0
    epoch = 0
    history = []
    while step < a.steps:
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n - a.batch + 1, a.batch):
            xb = train["x"][perm[i:i + a.batch]]
            if a.stability > 0:
                # float copy (rows 0..B-1) and fixed-point-simulated copy (rows B..2B-1) in one pass
                model.set_fixed_sim(lm.FixedPointSim(
                    torch.cat([torch.zeros(a.batch, 1), torch.ones(a.batch, 1)]), a.sim_noise))
                o2 = model(torch.cat([xb, xb]))
                o = {k: v[:a.batch] for k, v in o2.items()}
                d2 = (o2["logrates"][a.batch:] - o["logrates"]) ** 2
                stab = torch.mean(d2)
                stab_max = torch.mean(torch.amax(d2, dim=(1, 2)))
            else:
                o = model(xb)
                stab = None
            loss = poisson_nll(o["logrates"], xb)
            if stab is not None:
                loss = loss + a.stability * stab + a.stability_max * stab_max
            loss = loss + L2_GEN * torch.mean(cell.gen_cell.weight_hh ** 2)
            if model.use_con:
                loss = loss + L2_CON * torch.mean(cell.con_cell.weight_hh ** 2)
                loss = loss + CO_PEN * torch.mean(o["co"] ** 2)
            if o["ic_mean"].shape[1]:
                loss = loss + IC_PEN * torch.mean(o["ic_mean"] ** 2)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 200.0)
            opt.step()
            sched.step()
            step += 1
            if step % a.eval_every == 0 or step == a.steps:
                r2, vnll = latent_r2(model, train, valid)
                history.append({"step": step, "train_loss": round(float(loss), 5), "valid_nll": round(vnll, 5),
                                "latent_r2": round(r2, 4), "seconds": round(time.time() - t0, 1)})
                if stab is not None:
                    history[-1]["stability_msq"] = float("%.4g" % float(stab))
                    history[-1]["stability_max_sq"] = float("%.4g" % float(stab_max))
                if a.fixed_eval:
                    history[-1].update(fixed_error(model, valid["x"]))
                print(json.dumps(history[-1]), file=sys.stderr, flush=True)
            if step >= a.steps:
                break
        epoch += 1
    r2, vnll = latent_r2(model, train, valid)
    ckpt = lm.checkpoint_dict(model, epoch=epoch, global_step=step)
    # the whole chain of commands that made these weights, in the order they ran
    created_by = ex.command_line()
    if init_created_by:
        created_by = init_created_by + " && " + created_by
    ckpt["hyper_parameters"]["created_by"] = created_by
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save(ckpt, a.out)
    result = {"model": a.model, "checkpoint": a.out, "steps": step, "epochs": epoch,
              "seconds": round(time.time() - t0, 1), "valid_nll": round(vnll, 5), "latent_r2": round(r2, 4),
              "threads": a.threads, "torch": torch.__version__}
    if a.bundle:
        import lorenz_eval
        sd = {k: v.float() for k, v in model.state_dict().items()}
        name = "lorenz-%s" % a.model
        result["evaluation"] = lorenz_eval.evaluate(model, a.data_seed)
        extra = {"training": result, "demo_data": lorenz_eval.demo_manifest(a.data_seed)}
        ex.export(sd, hp, a.bundle, name, created_by, extra_tensors=lorenz_eval.demo_tensors(), extra=extra)
        result["bundle"] = a.bundle
        result["bundle_bytes"] = os.path.getsize(a.bundle)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
