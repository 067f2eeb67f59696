#!/usr/bin/python3
"""Train the causal LFADS for live velocity decoding on the Java center-out source, as a continuous stream.

    /usr/bin/python3 tools/python/train_lfads_centerout.py --train TRAIN.npz --valid VALID.npz --out X.ckpt \
        [--fac-dim 8] [--chunk 50] [--batch 32] [--carry 20] [--steps 3000] [--lr 1e-2] [--dropout 0.05] ...

The live loop resets the model once and then steps it bin by bin for as long as the session runs, with no trial
markers. Training imitates that: `--batch` streams run through the training archive (centerout_data.load; made by
io.reflex.decoders.synth.CenterOutDataset from the Java source), each optimiser step advances every stream by one
chunk of `--chunk` bins, and the model state is carried from one chunk to the next (LFADS.stream, detached between
chunks: truncated back-propagation). Each stream restarts at a random offset, from the model's reset state, with
probability 1/`--carry` after each chunk (and at the end of the archive), so training sees both the bins right after
a reset and states hundreds of chunks after one.

Model: lfads_model.causal_hparams (forward CI encoder, controller, learned g0, ci_lag 1) with ci_enc_dim = con_dim
= gen_dim = --dim (64: the RTL causal-step core needs the three equal), co_dim --co-dim, fac_dim --fac-dim,
readout_dim = encod_data_dim = the archive's channels, bin_s from the archive. encod_seq_len = recon_seq_len =
--chunk (used only by trial mode; a stream has no length).

Loss = Poisson NLL + train_lfads.py's penalties (L2 on the generator's and controller's recurrent weights, CO_PEN on
the controller outputs). --stability / --stability-max / --sim-noise add the fixed-point-aware terms of train_lfads.py
(lfads_model.FixedPointSim); here the simulated copy carries its own state across chunks, so the penalty sees the
rounding accumulated over the whole stream, as the fixed-point engine would.

--lograte-floor F adds a hinge penalty below F (the fixed-point log-rates are int16 Q12 and saturate at -8; without
it the neurons that the rectified tuning silences are driven towards -inf).

Every --eval-every steps it prints one JSON line (stderr): the validation archive's first --valid-bins bins run as
one stream from one reset, Poisson NLL and the velocity R² of a ridge readout factors -> (vx, vy) fitted on its first
500 bins (centerout_eval.py); with --fixed-eval also the fixed-point model's max |Δ logλ| against float32 over that
stream (fixed_point_ref.py). Saves a Lightning-style checkpoint (train_lfads.py's layout) whose hyper_parameters
carry `created_by` (the Java exports and every training command, joined by " && ") and `training_json`.
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
import centerout_eval as ce  # noqa: E402
import export_lfads as ex  # noqa: E402
import lfads_model as lm  # noqa: E402
from train_lfads import CO_PEN, L2_CON, L2_GEN, poisson_nll  # noqa: E402


class StreamSampler:
    """Positions of `batch` streams in an archive of `n` bins: chunk k of stream j covers bins
    [pos_j, pos_j + chunk). After each chunk a stream moves on by one chunk, or restarts (a reset of its model
    state) at a uniform random offset with probability 1/carry, and always when the next chunk would pass the end.
    carry = 1 restarts every chunk (independent windows from a reset)."""

    def __init__(self, n, batch, chunk, carry, generator):
        if chunk < 1 or n < chunk:
            raise ValueError("the archive has %d bins, a chunk needs %d" % (n, chunk))
        if batch < 1 or carry < 1:
            raise ValueError("batch and carry must be >= 1")
        self.n, self.batch, self.chunk, self.carry, self.gen = n, batch, chunk, float(carry), generator
        self.pos = self._offsets(batch)
        self.fresh = torch.ones(batch, dtype=torch.bool)
        self.chunks_since_reset = torch.zeros(batch, dtype=torch.long)

    def _offsets(self, k):
        return torch.randint(0, self.n - self.chunk + 1, (k,), generator=self.gen)

    def index(self):
        """(batch, chunk) bin indices of the current chunks."""
        return self.pos[:, None] + torch.arange(self.chunk)[None, :]

    def advance(self):
        self.pos = self.pos + self.chunk
        self.chunks_since_reset += 1
        restart = torch.rand(self.batch, generator=self.gen) < 1.0 / self.carry
        restart |= self.pos + self.chunk > self.n
        k = int(restart.sum())
        if k:
            self.pos[restart] = self._offsets(k)
            self.chunks_since_reset[restart] = 0
        self.fresh = restart


def validate(model, valid, bins, fixed_eval):
    model.eval()
    counts = valid["counts"][:bins].astype(np.float64)
    fac, lr = ce.float_stream(model, counts, torch.float32)
    r2, _, _ = cd.readout_r2(fac, valid["vel"][:bins], ce.CAL_BINS, ce.RIDGE_LAMBDA)
    out = {"valid_nll": round(cd.poisson_nll(lr, counts), 5), "valid_vel_r2": round(r2, 4),
           "valid_min_lograte": round(float(lr.min()), 3)}
    if fixed_eval:
        facq, lrq = ce.fixed_stream(model, counts)
        d = np.abs(lrq - lr)
        out["fixed_max_dlog"] = round(float(d.max()), 5)
        out["fixed_bins_over_2e-2"] = int(np.sum(d.max(axis=1) > 2e-2))
        out["valid_vel_r2_fixed"] = round(cd.readout_r2(facq, valid["vel"][:bins], ce.CAL_BINS,
                                                        ce.RIDGE_LAMBDA)[0], 4)
    model.train()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="training archive (CenterOutDataset)")
    ap.add_argument("--valid", required=True, help="validation archive (CenterOutDataset), disjoint from --train")
    ap.add_argument("--valid-bins", type=int, default=3000, help="validation stream length (one reset)")
    ap.add_argument("--dim", type=int, default=64, help="ci_enc_dim = con_dim = gen_dim")
    ap.add_argument("--co-dim", type=int, default=4)
    ap.add_argument("--fac-dim", type=int, default=8)
    ap.add_argument("--ci-lag", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=50, help="bins per chunk (truncated back-propagation length)")
    ap.add_argument("--batch", type=int, default=32, help="streams")
    ap.add_argument("--carry", type=float, default=20.0,
                    help="mean chunks a stream runs before it restarts from a reset (1 = every chunk)")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--lr-min-frac", type=float, default=0.02, help="cosine decay to lr * this")
    ap.add_argument("--dropout", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--init", help="start from this checkpoint (fine-tuning; its dimensions are kept)")
    ap.add_argument("--stability", type=float, default=0.0, metavar="W", help="as train_lfads.py")
    ap.add_argument("--stability-max", type=float, default=0.0, metavar="W",
                    help="as train_lfads.py, with the max taken per stream over the chunk's bins and neurons")
    ap.add_argument("--sim-noise", type=float, default=0.0, metavar="K", help="as train_lfads.py")
    ap.add_argument("--lograte-floor", type=float, default=None, metavar="F",
                    help="add --floor-weight * mean(relu(F - logλ)^2): keeps the log-rates above F (the fixed-point "
                         "log-rates are int16 Q12, so they saturate at -8; silent neurons would otherwise be driven "
                         "towards -inf, where float and fixed differ by the saturation)")
    ap.add_argument("--floor-weight", type=float, default=1.0)
    ap.add_argument("--fixed-eval", action="store_true", help="also report the fixed-point error at each evaluation")
    ap.add_argument("--save-evals", action="store_true",
                    help="also save a checkpoint at every evaluation (OUT without .ckpt + .stepN.ckpt)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.stability > 0 and a.dropout != 0:
        ap.error("--stability needs --dropout 0 (both copies of a batch must see the same network)")
    if (a.stability_max > 0 or a.sim_noise > 0) and a.stability <= 0:
        ap.error("--stability-max and --sim-noise need --stability")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)

    train = cd.load(a.train)
    valid = cd.load(a.valid)
    if cd.source_manifest(train["meta"]) != cd.source_manifest(valid["meta"]):
        ap.error("--train and --valid come from different source parameters")
    t0b, t1b = cd.span(train["meta"])["first_bin"], cd.span(train["meta"])["end_bin"]
    v0b, v1b = cd.span(valid["meta"])["first_bin"], cd.span(valid["meta"])["end_bin"]
    if t0b < v1b and v0b < t1b:
        ap.error("--train [%d, %d) and --valid [%d, %d) overlap" % (t0b, t1b, v0b, v1b))
    channels = train["counts"].shape[1]
    if a.valid_bins > valid["counts"].shape[0] or a.valid_bins <= ce.CAL_BINS + 1:
        ap.error("--valid-bins must be in (%d, %d]" % (ce.CAL_BINS + 1, valid["counts"].shape[0]))

    init_created_by = None
    prev_training = None
    if a.init:
        sd, ckpt_hp = ex.load_checkpoint(a.init)
        hp = ex.resolve_hparams(sd, ckpt_hp, {})
        hp["dropout_rate"] = a.dropout
        model = lm.LFADS(hp)
        model.load_state_dict(sd)
        init_created_by = ckpt_hp.get("created_by")
        if isinstance(ckpt_hp.get("training_json"), str):
            prev_training = json.loads(ckpt_hp["training_json"])
    else:
        hp = lm.causal_hparams(encod_data_dim=channels, readout_dim=channels, ci_enc_dim=a.dim, con_dim=a.dim,
                               gen_dim=a.dim, co_dim=a.co_dim, fac_dim=a.fac_dim, ci_lag=a.ci_lag,
                               encod_seq_len=a.chunk, recon_seq_len=a.chunk, bin_s=float(train["meta"]["bin_s"]),
                               dropout_rate=a.dropout)
        model = lm.LFADS(hp)
    if hp["encod_data_dim"] != channels:
        ap.error("the model has %d inputs, the archive %d channels" % (hp["encod_data_dim"], channels))
    model.train()

    counts = torch.as_tensor(train["counts"].astype(np.float32))
    gen = torch.Generator().manual_seed(a.seed)
    sampler = StreamSampler(counts.shape[0], a.batch, a.chunk, a.carry, gen)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.steps, eta_min=a.lr * a.lr_min_frac)
    cell = model.decoder.rnn.cell
    B = a.batch
    stab_on = a.stability > 0
    rows = 2 * B if stab_on else B
    state = None
    history = []
    t0 = time.time()
    for step in range(1, a.steps + 1):
        xb = counts[sampler.index()]
        if stab_on:
            model.set_fixed_sim(lm.FixedPointSim(torch.cat([torch.zeros(B, 1), torch.ones(B, 1)]), a.sim_noise))
            xin = torch.cat([xb, xb])
            fresh = torch.cat([sampler.fresh, sampler.fresh])
        else:
            xin, fresh = xb, sampler.fresh
        reset = model.stream_reset_state(rows)
        st = reset if state is None else model.stream_select(fresh, reset, state)
        o2, new_state = model.stream(xin, st)
        o = {k: v[:B] for k, v in o2.items()}
        loss = poisson_nll(o["logrates"], xb)
        nll = float(loss)
        stab = stab_max = None
        if stab_on:
            d2 = (o2["logrates"][B:] - o["logrates"]) ** 2
            stab = torch.mean(d2)
            stab_max = torch.mean(torch.amax(d2, dim=(1, 2)))
            loss = loss + a.stability * stab + a.stability_max * stab_max
        if a.lograte_floor is not None:
            loss = loss + a.floor_weight * torch.mean(torch.relu(a.lograte_floor - o["logrates"]) ** 2)
        loss = loss + L2_GEN * torch.mean(cell.gen_cell.weight_hh ** 2)
        loss = loss + L2_CON * torch.mean(cell.con_cell.weight_hh ** 2)
        loss = loss + CO_PEN * torch.mean(o["co"] ** 2)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 200.0)
        opt.step()
        sched.step()
        state = model.stream_detach(new_state)
        sampler.advance()
        if step % a.eval_every == 0 or step == a.steps:
            h = {"step": step, "train_nll": round(nll, 5), "train_loss": round(float(loss), 5),
                 "seconds": round(time.time() - t0, 1)}
            if stab is not None:
                h["stability_msq"] = float("%.4g" % float(stab))
                h["stability_max_sq"] = float("%.4g" % float(stab_max))
            model.set_fixed_sim(None)
            h.update(validate(model, valid, a.valid_bins, a.fixed_eval))
            history.append(h)
            print(json.dumps(h), file=sys.stderr, flush=True)
            if a.save_evals and step != a.steps:
                base = a.out[:-5] if a.out.endswith(".ckpt") else a.out
                save(model, a, "%s.step%d.ckpt" % (base, step), step, history, t0, train, valid, init_created_by,
                     prev_training)
    model.set_fixed_sim(None)
    summary = save(model, a, a.out, a.steps, history, t0, train, valid, init_created_by, prev_training)
    print(json.dumps({"checkpoint": a.out, **{k: v for k, v in summary.items() if k != "runs"}}))


def save(model, a, path, steps, history, t0, train, valid, init_created_by, prev_training):
    """Writes the checkpoint with its provenance (created_by chain, training_json); returns the summary."""
    ckpt = lm.checkpoint_dict(model, epoch=0, global_step=steps)
    cmd = ex.command_line()
    if init_created_by:
        created_by = init_created_by + " && " + cmd
    else:
        created_by = " && ".join([train["meta"]["command"], valid["meta"]["command"], cmd])
    summary = {"steps": steps, "seconds": round(time.time() - t0, 1), "threads": a.threads,
               "torch": torch.__version__, "train_span": cd.span(train["meta"]),
               "valid_span": cd.span(valid["meta"]), "chunk": a.chunk, "batch": a.batch, "carry": a.carry,
               "last_eval": history[-1] if history else None}
    if steps != a.steps:
        summary["stopped_at_step"] = steps
    summary["runs"] = (prev_training.get("runs", []) if prev_training else []) + [
        {"command": cmd, "steps": steps, "seconds": summary["seconds"], "last_eval": summary["last_eval"]}]
    ckpt["hyper_parameters"]["created_by"] = created_by
    ckpt["hyper_parameters"]["training_json"] = json.dumps(summary)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save(ckpt, path)
    return summary


if __name__ == "__main__":
    main()
