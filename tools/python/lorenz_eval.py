"""Evaluation of an LFADS model on the Lorenz data (lorenz_data.py), in float64 torch and in fixed point, and the
demo extras a Lorenz demo bundle carries (generator constants, neuron population)."""
import numpy as np
import torch

import export_lfads as ex
import fixed_point_ref as fx
import lfads_model as lm
import lorenz_data as ld
import reflex_bundle as rb

N_FIT = 400     # training trials used to fit the linear map factors -> latents
N_SCORE = 200   # validation trials scored


def demo_manifest(data_seed):
    """The Lorenz generator's constants, so the Java demo can mirror it exactly (tools/python/README.md)."""
    return {"generator": "tools/python/lorenz_data.py (SplitMix64, Euler, inverse-CDF Poisson)",
            "sigma": ld.SIGMA, "rho": ld.RHO, "beta": ld.BETA, "dt": ld.DT, "transient_steps": ld.TRANSIENT,
            "steps_per_bin": ld.STEPS_PER_BIN, "mean": list(ld.MEAN), "scale": list(ld.SCALE),
            "readout_seed": ld.READOUT_SEED, "w_scale": ld.W_SCALE, "b_center": ld.B_CENTER,
            "b_spread": ld.B_SPREAD, "neurons": ld.N_NEURONS, "bins": ld.N_BINS, "bin_s": ld.BIN_S,
            "train_seed": data_seed, "valid_seed": data_seed + 1,
            "readout_tensors": ["demo.lorenz_w", "demo.lorenz_b"]}


def demo_tensors():
    w, b = ld.readout()
    return {"demo.lorenz_w": rb.Tensor(w, "float64"), "demo.lorenz_b": rb.Tensor(b, "float64")}


def _float64_outputs(model, counts, batch=200):
    m = lm.LFADS(model.hp).double().eval()
    m.load_state_dict({k: v.detach().to(torch.float32).to(torch.float64) for k, v in model.state_dict().items()})
    outs = {"factors": [], "logrates": []}
    with torch.no_grad():
        for i in range(0, counts.shape[0], batch):
            o = m(torch.as_tensor(counts[i:i + batch], dtype=torch.float64))
            for k in outs:
                outs[k].append(o[k].numpy())
    return {k: np.concatenate(v) for k, v in outs.items()}


def evaluate(model, data_seed=1):
    """Latent R² (fit on N_FIT training trials of seed data_seed, score N_SCORE trials of seed data_seed + 1),
    validation Poisson NLL, for the float64 model and the fixed-point model of its bundle."""
    hp = model.hp
    tr = ld.make_dataset(data_seed, N_FIT)
    va = ld.make_dataset(data_seed + 1, N_SCORE)
    f_tr = _float64_outputs(model, tr["counts"])
    f_va = _float64_outputs(model, va["counts"])
    sd = {k: v.detach().to(torch.float32) for k, v in model.state_dict().items()}
    qt = ex.bundle_tensors(sd, hp)
    man = {"hyperparameters": ex.bundle_hparams(hp),
           "tensors": {k: {"frac_bits": v.frac_bits} for k, v in qt.items()}}
    fixed = fx.FixedLfads(man, {k: v.array for k, v in qt.items()})
    q_tr = fixed.forward(tr["counts"])
    q_va = fixed.forward(va["counts"])
    q_fac_tr, q_fac_va = q_tr["factors"] / 4096.0, q_va["factors"] / 4096.0
    q_lr_va = q_va["logrates"] / 4096.0
    x = va["counts"]

    def nll(lr):
        return float(np.mean(np.exp(lr) - x * lr))
    r2 = ld.latent_r2(f_tr["factors"], tr["latents"], f_va["factors"], va["latents"])
    r2q = ld.latent_r2(q_fac_tr, tr["latents"], q_fac_va, va["latents"])
    return {"latent_r2": round(r2, 5), "latent_r2_fixed": round(r2q, 5), "latent_r2_loss_fixed": round(r2 - r2q, 5),
            "valid_nll": round(nll(f_va["logrates"]), 5), "valid_nll_fixed": round(nll(q_lr_va), 5),
            "valid_nll_true_rates": round(nll(va["logrates"]), 5),
            "max_abs_dlogrates_fixed_vs_float64": round(float(np.max(np.abs(q_lr_va - f_va["logrates"]))), 5),
            "fit_trials": N_FIT, "scored_trials": N_SCORE, "data_seeds": [data_seed, data_seed + 1],
            "metric": "lorenz_data.latent_r2: linear map with intercept fitted on the fit trials, R² per latent "
                      "dimension on the scored trials, uniform mean over the 3 dimensions"}
