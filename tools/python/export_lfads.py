#!/usr/bin/python3
"""Export an LFADS checkpoint (lfads-torch .ckpt or one from train_lfads.py) to a Reflex model bundle.

    /usr/bin/python3 tools/python/export_lfads.py model.ckpt model.rbundle [--name NAME] [--bin-s 0.02] ...

The bundle (decoders/BUNDLE.md) holds every state_dict tensor as float32 under its lfads-torch name, the
kernel-normalised factor matrix ``decoder.rnn.cell.fac_norm`` (computed in float64, stored float32), the
fixed-point copies ``<name>:q`` of decoders/FIXED_POINT.md section 2 (int16 weights, int32 biases at the
accumulator scale, int16 Q12 initial states), the activation tables ``lut_sigmoid`` / ``lut_tanh`` and all
hyperparameters. A real lfads-torch checkpoint unpickles without lfads_torch installed: classes that cannot be
imported (augmentation stacks, hydra objects inside ``hyper_parameters``) load as inert stubs.
"""
import argparse
import os
import pickle
import shlex
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lfads_model as lm  # noqa: E402
import reflex_bundle as rb  # noqa: E402

GEN = "decoder.rnn.cell.gen_cell."
CON = "decoder.rnn.cell.con_cell."
FAC_NORM = "decoder.rnn.cell.fac_norm"


# ----------------------------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------------------------

class _Stub:
    """Stands in for a class that cannot be imported while unpickling a checkpoint's hyper_parameters."""

    def __init__(self, *args, **kwargs):
        self._args = args

    def __setstate__(self, state):
        self.__dict__["_state"] = state

    def __call__(self, *args, **kwargs):
        return self


class _LenientUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Stub,), {"__module__": module})


class _LenientPickle:
    Unpickler = _LenientUnpickler
    load = staticmethod(pickle.load)
    __name__ = "lenient_pickle"


def load_checkpoint(path):
    """Returns (state_dict of CPU tensors, hyper_parameters dict) from a Lightning .ckpt or a bare state_dict."""
    obj = torch.load(path, map_location="cpu", pickle_module=_LenientPickle)
    if isinstance(obj, dict) and "state_dict" in obj:
        sd, hp = obj["state_dict"], obj.get("hyper_parameters") or {}
    elif isinstance(obj, dict) and all(torch.is_tensor(v) for v in obj.values()):
        sd, hp = obj, {}
    else:
        raise ValueError("%s: neither a Lightning checkpoint (no 'state_dict') nor a state_dict" % path)
    hp = {k: hp[k] for k in hp if isinstance(hp[k], (int, float, bool, str))} if hasattr(hp, "keys") else {}
    return {k: v for k, v in sd.items()}, hp


# ----------------------------------------------------------------------------------------------------------------
# Shapes and fixed-point rules
# ----------------------------------------------------------------------------------------------------------------

def _gru(prefix, n_in, hidden):
    return {prefix + "weight_ih": (3 * hidden, n_in), prefix + "weight_hh": (3 * hidden, hidden),
            prefix + "bias_ih": (3 * hidden,), prefix + "bias_hh": (3 * hidden,)}


def expected_shapes(hp):
    """name -> shape of every state_dict tensor an LFADS with these hyperparameters has (lfads-torch names)."""
    D = hp["encod_data_dim"]
    s = {}
    if not hp["causal"]:
        s["encoder.ic_enc_h0"] = (2, 1, hp["ic_enc_dim"])
        for d in ("fwd", "bwd"):
            s.update(_gru("encoder.ic_enc.%s_gru.cell." % d, D, hp["ic_enc_dim"]))
        s["encoder.ic_linear.weight"] = (2 * hp["ic_dim"], 2 * hp["ic_enc_dim"])
        s["encoder.ic_linear.bias"] = (2 * hp["ic_dim"],)
        s["decoder.ic_to_g0.weight"] = (hp["gen_dim"], hp["ic_dim"])
        s["decoder.ic_to_g0.bias"] = (hp["gen_dim"],)
        s["ic_prior.mean"] = (hp["ic_dim"],)
        s["ic_prior.logvar"] = (hp["ic_dim"],)
    else:
        s["decoder.g0"] = (hp["gen_dim"],)
    if lm.use_controller(hp):
        dirs = ("fwd",) if hp["causal"] else ("fwd", "bwd")
        s["encoder.ci_enc_h0"] = (len(dirs), 1, hp["ci_enc_dim"])
        for d in dirs:
            s.update(_gru("encoder.ci_enc.%s_gru.cell." % d, D, hp["ci_enc_dim"]))
        s.update(_gru(CON, len(dirs) * hp["ci_enc_dim"] + hp["fac_dim"], hp["con_dim"]))
        s["decoder.rnn.cell.co_linear.weight"] = (2 * hp["co_dim"], hp["con_dim"])
        s["decoder.rnn.cell.co_linear.bias"] = (2 * hp["co_dim"],)
    s["decoder.con_h0"] = (1, hp["con_dim"])
    s.update(_gru(GEN, hp["co_dim"] + hp["ext_input_dim"], hp["gen_dim"]))
    s["decoder.rnn.cell.fac_linear.weight"] = (hp["fac_dim"], hp["gen_dim"])
    s["readout.0.weight"] = (hp["readout_dim"], hp["fac_dim"])
    s["readout.0.bias"] = (hp["readout_dim"],)
    s["co_prior.logtaus"] = (hp["co_dim"],)
    s["co_prior.lognvars"] = (hp["co_dim"],)
    return s


def matvec_inputs(hp):
    """(weight, bias or None, F_v) for every matrix of the fixed-point forward pass (FIXED_POINT.md sections 2, 5,
    6). F_v is the format of the vector the matrix multiplies: 0 for the encoders' count inputs, 12 otherwise
    (12 by convention for the generator's zero-width input when there is no controller)."""
    out = []
    shapes = expected_shapes(hp)
    for name in shapes:
        if name.endswith("weight_ih"):
            p = name[: -len("weight_ih")]
            f_v = rb.COUNT_FRAC if name.startswith("encoder.") else rb.ACT_FRAC
            out.append((name, p + "bias_ih", f_v))
            out.append((p + "weight_hh", p + "bias_hh", rb.ACT_FRAC))
    for lin in ("encoder.ic_linear", "decoder.ic_to_g0", "decoder.rnn.cell.co_linear", "readout.0"):
        if lin + ".weight" in shapes:
            out.append((lin + ".weight", lin + ".bias", rb.ACT_FRAC))
    out.append((FAC_NORM, None, rb.ACT_FRAC))
    return out


STATE_TENSORS = ("encoder.ic_enc_h0", "encoder.ci_enc_h0", "decoder.con_h0", "decoder.g0")


def bundle_hparams(hp):
    """The manifest's hyperparameters (BUNDLE.md 'LFADS tensors' plus the structural flags)."""
    out = {k: hp[k] for k in ("encod_data_dim", "encod_seq_len", "recon_seq_len", "ic_enc_dim", "ci_enc_dim",
                              "con_dim", "co_dim", "ic_dim", "gen_dim", "fac_dim", "ext_input_dim", "ci_lag",
                              "readout_dim")}
    out = {k: int(v) for k, v in out.items()}
    out["ic_enc_seq_len"] = 0
    out["cell_clip"] = float(hp["cell_clip"])
    out["bin_s"] = float(hp["bin_s"])
    out["gate_order"] = "zrn"
    out["reset"] = "before"
    out["causal"] = bool(hp["causal"])
    out["causal_ic"] = "learned_g0" if hp["causal"] else "none"
    out["controller"] = bool(lm.use_controller(hp))
    out["readin"] = "identity"
    out["inference"] = "posterior_mean"
    return out


def bundle_tensors(sd, hp):
    """name -> rb.Tensor for a validated state_dict: float32 originals, fac_norm, `:q` copies, LUTs."""
    shapes = expected_shapes(hp)
    for name, shape in shapes.items():
        if name not in sd:
            raise ValueError("state_dict lacks %s (expected shape %s)" % (name, list(shape)))
        got = tuple(sd[name].shape)
        if got != tuple(shape):
            raise ValueError("%s has shape %s, the hyperparameters need %s" % (name, list(got), list(shape)))
    extra = sorted(set(sd) - set(shapes))
    if extra:
        raise ValueError("state_dict has tensors this exporter does not understand (non-identity readin, "
                         "external inputs?): %s" % ", ".join(extra))
    out = {}
    f64 = {}
    for name in shapes:
        a = sd[name].detach().cpu().to(torch.float64).numpy()
        if not np.all(np.isfinite(a)):
            raise ValueError("%s has a non-finite value" % name)
        f64[name] = a
        out[name] = rb.Tensor(a.astype(np.float32), "float32")
    # Kernel normalisation in float64 from the float32 weights the bundle stores.
    w = f64["decoder.rnn.cell.fac_linear.weight"].astype(np.float32).astype(np.float64)
    wn = w / np.maximum(np.sqrt(np.sum(w * w, axis=1, keepdims=True)), 1e-12)
    f64[FAC_NORM] = wn
    out[FAC_NORM] = rb.Tensor(wn.astype(np.float32), "float32")
    # Fixed-point copies, from the float32 values the bundle stores (fac_norm from its float64 form).
    for wname, bname, f_v in matvec_inputs(hp):
        w = f64[wname] if wname == FAC_NORM else f64[wname].astype(np.float32).astype(np.float64)
        wq, f_w = rb.quantize_weight(w)
        out[wname + ":q"] = rb.Tensor(wq, "int16", f_w)
        if bname is not None:
            b = f64[bname].astype(np.float32).astype(np.float64)
            out[bname + ":q"] = rb.Tensor(rb.quantize_bias(b, f_w + f_v), "int32", f_w + f_v)
    for s in STATE_TENSORS:
        if s in f64:
            out[s + ":q"] = rb.Tensor(rb.quantize_state(f64[s].astype(np.float32)), "int16", rb.ACT_FRAC)
    out["lut_sigmoid"] = rb.Tensor(rb.lut_sigmoid(), "int16", rb.GATE_FRAC)
    out["lut_tanh"] = rb.Tensor(rb.lut_tanh(), "int16", rb.GATE_FRAC)
    return out


def export(sd, hp, path, name, created_by, extra_tensors=None, extra=None):
    """Write `sd` (state_dict) with hyperparameters `hp` as an LFADS bundle at `path`; returns the manifest."""
    tensors = bundle_tensors(sd, hp)
    if extra_tensors:
        for k, v in extra_tensors.items():
            if k in tensors:
                raise ValueError("extra tensor %s collides with a model tensor" % k)
            tensors[k] = v
    return rb.write_bundle(path, "lfads", name, created_by, bundle_hparams(hp), tensors, extra=extra)


def command_line():
    """The command that is running, as a shell-quoted string relative to the repository root when possible."""
    argv = list(sys.argv)
    script = os.path.abspath(argv[0])
    root = os.path.dirname(os.path.dirname(os.path.dirname(script)))
    rel = os.path.relpath(script, root) if script.startswith(root + os.sep) else argv[0]
    return " ".join(["/usr/bin/python3", shlex.quote(rel)] + [shlex.quote(a) for a in argv[1:]])


def resolve_hparams(sd, ckpt_hp, overrides):
    hp = lm.hparams_from_state_dict(sd, ckpt_hp)
    for k, v in overrides.items():
        if v is not None:
            hp[k] = v
    return hp


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="lfads-torch .ckpt (or a train_lfads.py checkpoint, or a bare state_dict)")
    ap.add_argument("bundle", help="output .rbundle")
    ap.add_argument("--name", help="model name in the manifest (default: the bundle's file name)")
    ap.add_argument("--encod-seq-len", type=int, help="override hyper_parameters.encod_seq_len")
    ap.add_argument("--recon-seq-len", type=int, help="override hyper_parameters.recon_seq_len")
    ap.add_argument("--ci-lag", type=int, help="override hyper_parameters.ci_lag")
    ap.add_argument("--cell-clip", type=float, help="override hyper_parameters.cell_clip")
    ap.add_argument("--bin-s", type=float, help="bin width in seconds (lfads-torch does not record it; "
                                                "default 0.02)")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    sd, ckpt_hp = load_checkpoint(a.checkpoint)
    hp = resolve_hparams(sd, ckpt_hp, {"encod_seq_len": a.encod_seq_len, "recon_seq_len": a.recon_seq_len,
                                       "ci_lag": a.ci_lag, "cell_clip": a.cell_clip, "bin_s": a.bin_s})
    name = a.name or os.path.splitext(os.path.basename(a.bundle))[0]
    m = export(sd, hp, a.bundle, name, command_line())
    print("wrote %s: %d tensors, %d bytes" % (a.bundle, len(m["tensors"]), os.path.getsize(a.bundle)))


if __name__ == "__main__":
    main()
