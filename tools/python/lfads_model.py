"""A compact PyTorch LFADS whose parameter names and shapes are exactly lfads-torch's
(arsedler9/lfads-torch@007a555; decoders/LFADS.md section 2), so that its checkpoints and
lfads-torch's export the same way.

Inference semantics (decoders/LFADS.md section 1.3): the posterior mean (``sample_posteriors=False``), dropout
off in eval mode, ``ClippedGRUCell`` with gate blocks z | r | n, the reset applied before the hidden matmul, the
state clamped to +-cell_clip, ``bias_hh`` frozen. The readin is the identity and ``ext_input_dim`` is 0.

Two structural options beyond lfads-torch:
- no controller: ``ci_enc_dim = con_dim = co_dim = 0`` (the published FPGA design's shape). As in lfads-torch the
  controller modules (``encoder.ci_enc*``, ``decoder.rnn.cell.con_cell``, ``co_linear``) are then absent,
  ``decoder.con_h0`` is (1, 0) and ``decoder.rnn.cell.gen_cell.weight_ih`` is (3*gen_dim, 0).
- ``causal=True``: the CI encoder has only its forward GRU (``encoder.ci_enc.fwd_gru.cell.*``,
  ``encoder.ci_enc_h0`` of shape (1, 1, ci_enc_dim)), the controller input is ``[F_{t-ci_lag} or 0 ; f_{t-1}]``
  (width ci_enc_dim + fac_dim), and there is no IC encoder: the initial generator state is a learned parameter
  ``decoder.g0`` of shape (gen_dim,) (``causal_ic = "learned_g0"``; ic_enc_dim = ic_dim = 0, and
  ``encoder.ic_enc*``, ``encoder.ic_linear``, ``decoder.ic_to_g0`` and ``ic_prior.*`` are absent). Every output at
  bin t then depends only on bins 0..t-ci_lag, and one bin costs one CI step, one controller step and one
  generator step.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

HP_KEYS = ("encod_data_dim", "encod_seq_len", "recon_seq_len", "ic_enc_dim", "ci_enc_dim", "con_dim", "co_dim",
           "ic_dim", "gen_dim", "fac_dim", "ext_input_dim", "ci_lag", "cell_clip", "readout_dim", "causal",
           "bin_s", "dropout_rate")


def default_hparams(**kw):
    """The published FPGA design's shape (uw-acme fake_Lfads.py test model): 70 neurons x 73 bins, GRU 64
    encoders, IC 64, GRU 64 generator, 4 factors, 70 log-rates, no controller."""
    hp = dict(encod_data_dim=70, encod_seq_len=73, recon_seq_len=73, ic_enc_dim=64, ci_enc_dim=0, con_dim=0,
              co_dim=0, ic_dim=64, gen_dim=64, fac_dim=4, ext_input_dim=0, ci_lag=1, cell_clip=5.0,
              readout_dim=70, causal=False, bin_s=0.02, dropout_rate=0.0)
    hp.update(kw)
    return hp


def causal_hparams(**kw):
    """The causal variant of the FPGA-sized model: forward CI encoder 64, controller 64, 4 controller outputs,
    learned g0, no IC encoder."""
    hp = default_hparams(ic_enc_dim=0, ic_dim=0, ci_enc_dim=64, con_dim=64, co_dim=4, causal=True)
    hp.update(kw)
    return hp


def mc_maze_hparams(**kw):
    """lfads-torch's NLB MC_Maze configuration (decoders/LFADS.md section 1.1)."""
    hp = dict(encod_data_dim=137, encod_seq_len=35, recon_seq_len=45, ic_enc_dim=64, ci_enc_dim=64, con_dim=64,
              co_dim=4, ic_dim=64, gen_dim=200, fac_dim=100, ext_input_dim=0, ci_lag=1, cell_clip=5.0,
              readout_dim=182, causal=False, bin_s=0.02, dropout_rate=0.3)
    hp.update(kw)
    return hp


ACT_FRAC, PRE_FRAC, GATE_FRAC = 12, 10, 14     # FIXED_POINT.md section 2: states Q12, pre-activations Q10, gates Q14
LUT_N, LUT_LO = 4096, -8.0                      # FIXED_POINT.md section 4: 4096 entries over [-8, 8), step 2^-8


class FixedPointSim:
    """Training only: imitates decoders/FIXED_POINT.md's roundings inside the float forward pass, on the trials
    (rows) that `mask` selects, with straight-through gradients (the rounding error is a constant to autograd).

    Simulated: Q10 rounding (half up) of the input and hidden pre-activations, each separately; the activation
    tables' lookup (index = floor of the Q10 sum over 4, entry = the function at the cell's centre rounded to Q14);
    Q12 rounding of r*h, of every GRU state, of ic_mean, g0, the factors and the log-rates. Not simulated: the
    per-tensor weight quantisation (its effect on the demo model's log-rates is below 4e-3) and int16 saturation.
    `noise` > 0 adds uniform noise of `noise` times the table's half step (2^-9) to every table input of the
    selected rows, on top of the exact rounding."""

    def __init__(self, mask, noise=0.0):
        self.mask = mask            # (batch,) or (batch, 1): 1 = round this trial as the fixed-point model, 0 = float
        self.noise = float(noise)
        centres = LUT_LO + (torch.arange(LUT_N, dtype=torch.float64) + 0.5) * 2.0 ** -8
        self.tables = {}
        for fn in (torch.sigmoid, torch.tanh):
            t = fn(centres) * 2.0 ** GATE_FRAC
            t = torch.sign(t) * torch.floor(torch.abs(t) + 0.5) / 2.0 ** GATE_FRAC     # round half away
            self.tables[fn] = t.to(torch.float32)

    def _apply(self, v, exact):
        mask = self.mask.reshape((-1,) + (1,) * (v.dim() - 1))
        return v + mask * (exact - v).detach()

    def round(self, v, frac):
        """v rounded half up to Q(frac) on the selected rows."""
        return self._apply(v, torch.floor(v.detach() * 2.0 ** frac + 0.5) / 2.0 ** frac)

    def lut(self, fn, p):
        """fn(p) (sigmoid or tanh) on float rows, the FIXED_POINT.md table entry on the selected rows. `p` is the
        sum of two Q10 pre-activations (already rounded by round())."""
        p_tab = p.detach()
        if self.noise > 0.0:
            p_tab = p_tab + (2.0 * torch.rand_like(p_tab) - 1.0) * (self.noise * 2.0 ** -9)
        q = torch.floor(p_tab * 2.0 ** PRE_FRAC + 0.5)                                # Q10 integer (exact)
        idx = torch.clamp(torch.floor((q + 8.0 * 2 ** PRE_FRAC) / 2 ** (PRE_FRAC - 8)), 0, LUT_N - 1).long()
        y = fn(p)
        return self._apply(y, self.tables[fn][idx])


def use_controller(hp):
    return hp["ci_enc_dim"] > 0 and hp["con_dim"] > 0 and hp["co_dim"] > 0


class ClippedGRUCell(nn.GRUCell):
    """lfads-torch's GRU cell: rows [0,H) = z (update), [H,2H) = r (reset), [2H,3H) = n (candidate);
    n = tanh(W_ih[n] x + b_ih[n] + W_hh[n] (r * h) + b_hh[n]); h' = clamp(z h + (1 - z) n, -clip, clip).
    bias_hh is frozen (zero at init) but part of the state_dict and applied."""

    def __init__(self, input_size, hidden_size, clip_value=float("inf")):
        super().__init__(input_size, hidden_size, bias=True)
        self.clip_value = clip_value
        # Training only: std of Gaussian noise added to each new state (robustness to fixed-point rounding).
        self.state_noise = 0.0
        # Training only: a FixedPointSim that rounds the rows it selects as FIXED_POINT.md does (None = off).
        self.fixed_sim = None
        with torch.no_grad():
            self.bias_hh.zero_()
            self.bias_ih.zero_()
            self.bias_ih[: 2 * hidden_size] = 1.0
        self.bias_hh.requires_grad = False

    def input_part(self, x):
        """W_ih x + b_ih for a batch (any leading shape); lets a sequence precompute its input projections."""
        return F.linear(x, self.weight_ih, self.bias_ih)

    def step(self, x_all, hidden):
        """One step given the precomputed input projection x_all = W_ih x + b_ih."""
        H = self.hidden_size
        x_z, x_r, x_n = torch.split(x_all, H, dim=-1)
        h_zr = F.linear(hidden, self.weight_hh[: 2 * H], self.bias_hh[: 2 * H])
        h_z, h_r = torch.split(h_zr, H, dim=-1)
        sim = self.fixed_sim if self.training else None
        if sim is not None:
            return self._step_fixed_sim(sim, x_all, h_zr, hidden)
        z = torch.sigmoid(x_z + h_z)
        r = torch.sigmoid(x_r + h_r)
        h_n = F.linear(r * hidden, self.weight_hh[2 * H:], self.bias_hh[2 * H:])
        n = torch.tanh(x_n + h_n)
        hidden = hidden * z + (1.0 - z) * n
        if self.training and self.state_noise > 0.0:
            hidden = hidden + self.state_noise * torch.randn_like(hidden)
        return torch.clamp(hidden, -self.clip_value, self.clip_value)

    def _step_fixed_sim(self, sim, x_all, h_zr, hidden):
        """step() with FIXED_POINT.md section 5's roundings on the rows sim selects (straight-through)."""
        H = self.hidden_size
        ax = sim.round(x_all, PRE_FRAC)
        a_zr = sim.round(h_zr, PRE_FRAC)
        z = sim.lut(torch.sigmoid, ax[..., :H] + a_zr[..., :H])
        r = sim.lut(torch.sigmoid, ax[..., H:2 * H] + a_zr[..., H:])
        rh = sim.round(r * hidden, ACT_FRAC)
        a_n = sim.round(F.linear(rh, self.weight_hh[2 * H:], self.bias_hh[2 * H:]), PRE_FRAC)
        n = sim.lut(torch.tanh, ax[..., 2 * H:] + a_n)
        hidden = sim.round(hidden * z + (1.0 - z) * n, ACT_FRAC)
        return torch.clamp(hidden, -self.clip_value, self.clip_value)

    def forward(self, input, hidden):
        return self.step(self.input_part(input), hidden)


class ClippedGRU(nn.Module):
    """Runs a ClippedGRUCell over a (batch, time, features) sequence; returns all states and the last one."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x, h0):
        xa = self.cell.input_part(x)
        h = h0
        out = []
        for t in range(x.shape[1]):
            h = self.cell.step(xa[:, t], h)
            out.append(h)
        return torch.stack(out, dim=1), h


class BidirectionalClippedGRU(nn.Module):
    def __init__(self, input_size, hidden_size, clip_value, backward=True):
        super().__init__()
        self.fwd_gru = ClippedGRU(ClippedGRUCell(input_size, hidden_size, clip_value))
        if backward:
            self.bwd_gru = ClippedGRU(ClippedGRUCell(input_size, hidden_size, clip_value))

    def forward(self, x, h0):
        """h0: (2 or 1, batch, H). Returns (fwd outputs, bwd outputs or None, fwd last, bwd last or None).
        The backward outputs are in forward time order: B_t has seen x_t..x_{T-1}."""
        f_out, f_last = self.fwd_gru(x, h0[0])
        if not hasattr(self, "bwd_gru"):
            return f_out, None, f_last, None
        b_out, b_last = self.bwd_gru(torch.flip(x, [1]), h0[1])
        return f_out, torch.flip(b_out, [1]), f_last, b_last


class KernelNormalizedLinear(nn.Linear):
    """y = W_hat x with W_hat[i,:] = W[i,:] / max(||W[i,:]||_2, 1e-12); no bias (as lfads-torch's)."""

    def forward(self, x):
        return F.linear(x, F.normalize(self.weight, p=2, dim=1), self.bias)


def fac_norm(weight):
    """The kernel-normalised factor matrix in float64 (what the bundle's decoder.rnn.cell.fac_norm holds)."""
    w = weight.detach().to(torch.float64)
    return w / torch.clamp(torch.linalg.norm(w, dim=1, keepdim=True), min=1e-12)


def _init_linear(lin):
    # lfads-torch init_linear_: weight ~ N(0, 1/fan_in), bias 0.
    nn.init.normal_(lin.weight, std=1.0 / math.sqrt(max(lin.in_features, 1)))
    if lin.bias is not None:
        nn.init.zeros_(lin.bias)


class Encoder(nn.Module):
    def __init__(self, hp):
        super().__init__()
        D, clip = hp["encod_data_dim"], hp["cell_clip"]
        if not hp["causal"]:
            self.ic_enc_h0 = nn.Parameter(torch.zeros(2, 1, hp["ic_enc_dim"]))
            self.ic_enc = BidirectionalClippedGRU(D, hp["ic_enc_dim"], clip)
            self.ic_linear = nn.Linear(2 * hp["ic_enc_dim"], 2 * hp["ic_dim"])
            _init_linear(self.ic_linear)
        if use_controller(hp):
            ndir = 1 if hp["causal"] else 2
            self.ci_enc_h0 = nn.Parameter(torch.zeros(ndir, 1, hp["ci_enc_dim"]))
            self.ci_enc = BidirectionalClippedGRU(D, hp["ci_enc_dim"], clip, backward=not hp["causal"])


class DecoderCell(nn.Module):
    def __init__(self, hp):
        super().__init__()
        clip = hp["cell_clip"]
        self.gen_cell = ClippedGRUCell(hp["ext_input_dim"] + hp["co_dim"], hp["gen_dim"], clip)
        self.fac_linear = KernelNormalizedLinear(hp["gen_dim"], hp["fac_dim"], bias=False)
        if use_controller(hp):
            ci_width = hp["ci_enc_dim"] * (1 if hp["causal"] else 2)
            self.con_cell = ClippedGRUCell(ci_width + hp["fac_dim"], hp["con_dim"], clip)
            self.co_linear = nn.Linear(hp["con_dim"], 2 * hp["co_dim"])
            _init_linear(self.co_linear)


class DecoderRNN(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.cell = DecoderCell(hp)


class Decoder(nn.Module):
    def __init__(self, hp):
        super().__init__()
        if hp["causal"]:
            self.g0 = nn.Parameter(torch.zeros(hp["gen_dim"]))
        else:
            self.ic_to_g0 = nn.Linear(hp["ic_dim"], hp["gen_dim"])
            _init_linear(self.ic_to_g0)
        self.rnn = DecoderRNN(hp)
        self.con_h0 = nn.Parameter(torch.zeros(1, hp["con_dim"]))


class MultivariateNormal(nn.Module):
    """Prior parameter holder with lfads-torch's names (unused at inference)."""

    def __init__(self, size, mean=0.0, variance=0.1):
        super().__init__()
        self.mean = nn.Parameter(torch.full((size,), float(mean)))
        self.logvar = nn.Parameter(torch.full((size,), math.log(variance)))


class AutoregressiveMultivariateNormal(nn.Module):
    def __init__(self, size, tau=10.0, nvar=0.1):
        super().__init__()
        self.logtaus = nn.Parameter(torch.full((size,), math.log(tau)))
        self.lognvars = nn.Parameter(torch.full((size,), math.log(nvar)))


class LFADS(nn.Module):
    """LFADS with lfads-torch parameter names. forward(x) takes counts (batch, encod_seq_len, encod_data_dim)
    and returns a dict of the posterior-mean quantities of decoders/LFADS.md section 1.3."""

    def __init__(self, hp):
        super().__init__()
        hp = dict(hp)
        for k in HP_KEYS:
            if k not in hp:
                raise ValueError("hyperparameter %s missing" % k)
        if hp["ext_input_dim"] != 0:
            raise ValueError("ext_input_dim must be 0 (external inputs are not supported)")
        if hp["recon_seq_len"] < hp["encod_seq_len"]:
            raise ValueError("recon_seq_len %d < encod_seq_len %d" % (hp["recon_seq_len"], hp["encod_seq_len"]))
        if hp["causal"] and not use_controller(hp):
            raise ValueError("a causal model needs a controller (ci_enc_dim, con_dim, co_dim > 0)")
        if not use_controller(hp) and (hp["ci_enc_dim"] or hp["con_dim"] or hp["co_dim"]):
            raise ValueError("without a controller ci_enc_dim, con_dim and co_dim must all be 0")
        if hp["causal"] and (hp["ic_enc_dim"] or hp["ic_dim"]):
            raise ValueError("a causal model (learned g0) has ic_enc_dim = ic_dim = 0")
        if not hp["causal"] and (hp["ic_enc_dim"] <= 0 or hp["ic_dim"] <= 0):
            raise ValueError("ic_enc_dim and ic_dim must be > 0")
        self.hp = hp
        self.encoder = Encoder(hp)
        self.decoder = Decoder(hp)
        self.readout = nn.ModuleList([nn.Linear(hp["fac_dim"], hp["readout_dim"])])
        # lfads-torch FanInLinear: weight ~ N(0, 1/fan_in), bias 0.
        _init_linear(self.readout[0])
        if not hp["causal"]:
            self.ic_prior = MultivariateNormal(hp["ic_dim"])
        self.co_prior = AutoregressiveMultivariateNormal(hp["co_dim"])
        self.dropout = nn.Dropout(hp["dropout_rate"])
        self.fixed_sim = None

    def set_fixed_sim(self, sim):
        """Training only: a FixedPointSim (or None) for every rounding of the forward pass; eval mode (inference,
        export, evaluation) never simulates."""
        self.fixed_sim = sim
        for mod in self.modules():
            if isinstance(mod, ClippedGRUCell):
                mod.fixed_sim = sim

    @property
    def use_con(self):
        return use_controller(self.hp)

    def forward(self, x):
        hp = self.hp
        B, T, _ = x.shape
        if T != hp["encod_seq_len"]:
            raise ValueError("input has %d bins, the model expects encod_seq_len %d" % (T, hp["encod_seq_len"]))
        Tr, L = hp["recon_seq_len"], hp["ci_lag"]
        x = self.dropout(x)
        enc = self.encoder
        out = {}
        cell = self.decoder.rnn.cell
        if hp["causal"]:
            g = self.decoder.g0.unsqueeze(0).expand(B, -1)
            out["ic_mean"] = x.new_zeros(B, 0)
        else:
            h0 = enc.ic_enc_h0.expand(-1, B, -1)
            _, _, hf, hb = enc.ic_enc(x, h0)
            e = self.dropout(torch.cat([hf, hb], dim=1))
            ic_mean = enc.ic_linear(e)[:, : hp["ic_dim"]]
            sim = self.fixed_sim if self.training else None
            if sim is not None:
                ic_mean = sim.round(ic_mean, ACT_FRAC)
            out["ic_mean"] = ic_mean
            g = self.decoder.ic_to_g0(ic_mean)
            if sim is not None:
                g = sim.round(g, ACT_FRAC)
        out["g0"] = g
        if self.use_con:
            h0 = enc.ci_enc_h0.expand(-1, B, -1)
            f_out, b_out, _, _ = enc.ci_enc(x, h0)
            # ci_t = [F_{t-L} if L <= t < T ; B_{t+L} if t+L <= T-1], zeros elsewhere, in particular for every
            # forward-prediction step t >= T (lfads-torch pads, truncates to T, then pads the Tr - T steps)
            ci_f = F.pad(F.pad(f_out, (0, 0, L, 0))[:, :T], (0, 0, 0, Tr - T))
            parts = [ci_f]
            if b_out is not None:
                ci_b = F.pad(F.pad(b_out, (0, 0, 0, L))[:, L:L + T], (0, 0, 0, Tr - T))
                parts.append(ci_b)
            ci = self.dropout(torch.cat(parts, dim=2))
            con_in_ci = cell.con_cell.input_part(
                torch.cat([ci, ci.new_zeros(B, Tr, hp["fac_dim"])], dim=2))
            # The factor part of the controller input is added per step (it depends on the previous step).
            w_fac_in = cell.con_cell.weight_ih[:, ci.shape[2]:]
            c = self.decoder.con_h0.expand(B, -1)
            out["ci"] = ci
        else:
            c = x.new_zeros(B, 0)
            out["ci"] = x.new_zeros(B, Tr, 0)
        f = cell.fac_linear(g)
        gens, cons, cos, facs = [], [], [], []
        zero_u = x.new_zeros(B, 0)
        gen_in_bias = cell.gen_cell.input_part(zero_u) if not self.use_con else None
        for t in range(Tr):
            if self.use_con:
                xa = con_in_ci[:, t] + F.linear(self.dropout(f), w_fac_in)
                c = cell.con_cell.step(xa, c)
                u = cell.co_linear(c)[:, : hp["co_dim"]]
                g = cell.gen_cell.step(cell.gen_cell.input_part(u), g)
            else:
                u = zero_u
                g = cell.gen_cell.step(gen_in_bias, g)
            f = cell.fac_linear(self.dropout(g))
            if self.training and self.fixed_sim is not None:
                f = self.fixed_sim.round(f, ACT_FRAC)
            gens.append(g)
            cons.append(c)
            cos.append(u)
            facs.append(f)
        out["gen_states"] = torch.stack(gens, 1)
        out["con_states"] = torch.stack(cons, 1)
        out["co"] = torch.stack(cos, 1)
        out["factors"] = torch.stack(facs, 1)
        out["logrates"] = self.readout[0](out["factors"])
        if self.training and self.fixed_sim is not None:
            out["logrates"] = self.fixed_sim.round(out["logrates"], ACT_FRAC)
        return out

    # ------------------------------------------------------------------------------------------------------------
    # Continuous streams (causal models): chunks of bins from a carried state
    # ------------------------------------------------------------------------------------------------------------

    def stream_reset_state(self, batch):
        """The state after a reset, for stream(): the learned initial states expanded to `batch` rows, WITH their
        gradients (training learns ci_enc_h0, con_h0 and g0 through it); f = fac(g0) (rounded to Q12 on the rows a
        FixedPointSim selects, in training). Call it after set_fixed_sim."""
        if not self.hp["causal"]:
            raise ValueError("stream needs a causal model (causal=True)")
        hp = self.hp
        g0 = self.decoder.g0.unsqueeze(0).expand(batch, -1)
        f0 = self.decoder.rnn.cell.fac_linear(g0)
        sim = self.fixed_sim if self.training else None
        if sim is not None:
            f0 = sim.round(f0, ACT_FRAC)
        return {"h_ci": self.encoder.ci_enc_h0[0].expand(batch, -1), "c": self.decoder.con_h0.expand(batch, -1),
                "g": g0, "f": f0, "lagged": g0.new_zeros(batch, hp["ci_lag"], hp["ci_enc_dim"])}

    @staticmethod
    def stream_select(mask, a, b):
        """Row-wise choice between two stream states: rows where mask (batch,) is True from `a`, others from `b`
        (e.g. a = stream_reset_state for the rows that restart, b = the carried state)."""
        out = {k: torch.where(mask.reshape(-1, 1), a[k], b[k]) for k in ("h_ci", "c", "g", "f")}
        out["lagged"] = torch.where(mask.reshape(-1, 1, 1), a["lagged"], b["lagged"])
        return out

    @staticmethod
    def stream_detach(state):
        """The state without its autograd history (truncated back-propagation between chunks)."""
        return {k: (v.detach() if torch.is_tensor(v) else v) for k, v in state.items()}

    def stream(self, x, state=None):
        """Causal model: runs the bins x (batch, T, D) of a continuous stream from `state` (None = a reset) and
        returns (outputs, new state). T is free (not encod_seq_len): a stream has no trial length. Outputs: factors,
        logrates, gen_states, con_states, co, ci (as forward()). From a reset, stream(x) equals forward(x) for
        T = encod_seq_len, and running a stream in chunks equals running it at once (tests/test_lfads_model.py), so
        the model trains on chunks of a long stream with the state carried between them exactly as the live loop
        steps it (causal_step). In training mode dropout and the FixedPointSim (set_fixed_sim) apply as in
        forward(); the new state keeps its autograd history (stream_detach truncates it)."""
        hp = self.hp
        if not hp["causal"]:
            raise ValueError("stream needs a causal model (causal=True)")
        B, T, _ = x.shape
        L, E = hp["ci_lag"], hp["ci_enc_dim"]
        if state is None:
            state = self.stream_reset_state(B)
        sim = self.fixed_sim if self.training else None
        enc, cell = self.encoder, self.decoder.rnn.cell
        x = self.dropout(x)
        f_out, _, h_last, _ = enc.ci_enc(x, state["h_ci"].unsqueeze(0))
        if L > 0:
            seq = torch.cat([state["lagged"], f_out], dim=1)     # oldest first: F_{t-L} is entry t
            ci, lagged = seq[:, :T], seq[:, T:]
        else:
            ci, lagged = f_out, state["lagged"]
        ci = self.dropout(ci)
        con_in_ci = cell.con_cell.input_part(torch.cat([ci, ci.new_zeros(B, T, hp["fac_dim"])], dim=2))
        w_fac_in = cell.con_cell.weight_ih[:, E:]
        c, g, f = state["c"], state["g"], state["f"]
        gens, cons, cos, facs = [], [], [], []
        for t in range(T):
            c = cell.con_cell.step(con_in_ci[:, t] + F.linear(self.dropout(f), w_fac_in), c)
            u = cell.co_linear(c)[:, : hp["co_dim"]]
            g = cell.gen_cell.step(cell.gen_cell.input_part(u), g)
            f = cell.fac_linear(self.dropout(g))
            if sim is not None:
                f = sim.round(f, ACT_FRAC)
            gens.append(g)
            cons.append(c)
            cos.append(u)
            facs.append(f)
        out = {"gen_states": torch.stack(gens, 1), "con_states": torch.stack(cons, 1), "co": torch.stack(cos, 1),
               "factors": torch.stack(facs, 1), "ci": ci}
        out["logrates"] = self.readout[0](out["factors"])
        if sim is not None:
            out["logrates"] = sim.round(out["logrates"], ACT_FRAC)
        return out, {"h_ci": h_last, "c": c, "g": g, "f": f, "lagged": lagged}

    # ------------------------------------------------------------------------------------------------------------
    # Streaming (causal) inference: one bin at a time, O(1) per bin
    # ------------------------------------------------------------------------------------------------------------

    def causal_state(self, batch=1):
        """Initial streaming state of a causal model: CI encoder state, controller state, generator state,
        the previous factors and the last ci_lag CI encoder outputs (zeros before the first bins)."""
        if not self.hp["causal"]:
            raise ValueError("causal_state needs a causal model (causal=True)")
        hp = self.hp
        g = self.decoder.g0.detach().unsqueeze(0).expand(batch, -1).clone()
        return {"h_ci": self.encoder.ci_enc_h0.detach()[0].expand(batch, -1).clone(),
                "c": self.decoder.con_h0.detach().expand(batch, -1).clone(),
                "g": g, "f": self.decoder.rnn.cell.fac_linear(g),
                "lagged": [g.new_zeros(batch, hp["ci_enc_dim"]) for _ in range(hp["ci_lag"])], "t": 0}

    def causal_step(self, x_t, state):
        """One bin x_t (batch, D) -> log-rates (batch, readout_dim); updates `state` in place. Equal to forward()'s
        step t for t < encod_seq_len (tested)."""
        enc, cell = self.encoder, self.decoder.rnn.cell
        h = enc.ci_enc.fwd_gru.cell(x_t, state["h_ci"])
        state["h_ci"] = h
        if state["lagged"]:
            ci = state["lagged"].pop(0)
            state["lagged"].append(h)
        else:
            ci = h
        state["c"] = cell.con_cell(torch.cat([ci, state["f"]], dim=1), state["c"])
        u = cell.co_linear(state["c"])[:, : self.hp["co_dim"]]
        state["g"] = cell.gen_cell(u, state["g"])
        state["f"] = cell.fac_linear(state["g"])
        state["t"] += 1
        return self.readout[0](state["f"])


def checkpoint_dict(model, epoch=0, global_step=0):
    """A Lightning-style checkpoint dict, as lfads-torch's .ckpt files hold (keys without a prefix)."""
    return {"state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "hyper_parameters": dict(model.hp), "epoch": int(epoch), "global_step": int(global_step),
            "pytorch-lightning_version": "none (tools/python/train_lfads.py)"}


def hparams_from_state_dict(sd, base=None):
    """Infer the structural hyperparameters of an lfads-torch state_dict from its tensor shapes.

    Sequence lengths, ci_lag, cell_clip and bin_s cannot be inferred; they come from `base` (a dict, e.g. the
    checkpoint's hyper_parameters) or the MC_Maze defaults."""
    hp = mc_maze_hparams()
    if base:
        hp.update({k: base[k] for k in base if k in HP_KEYS})
    g = "decoder.rnn.cell.gen_cell."
    gen_dim = sd[g + "weight_hh"].shape[1]
    fac_dim = sd["decoder.rnn.cell.fac_linear.weight"].shape[0]
    hp.update(gen_dim=int(gen_dim), fac_dim=int(fac_dim), readout_dim=int(sd["readout.0.weight"].shape[0]))
    causal = "decoder.g0" in sd
    hp["causal"] = bool(causal)
    if causal:
        hp.update(ic_enc_dim=0, ic_dim=0)
        hp["encod_data_dim"] = int(sd["encoder.ci_enc.fwd_gru.cell.weight_ih"].shape[1])
    else:
        hp["ic_enc_dim"] = int(sd["encoder.ic_enc.fwd_gru.cell.weight_hh"].shape[1])
        hp["ic_dim"] = int(sd["decoder.ic_to_g0.weight"].shape[1])
        hp["encod_data_dim"] = int(sd["encoder.ic_enc.fwd_gru.cell.weight_ih"].shape[1])
    if "decoder.rnn.cell.con_cell.weight_hh" in sd:
        hp["con_dim"] = int(sd["decoder.rnn.cell.con_cell.weight_hh"].shape[1])
        hp["ci_enc_dim"] = int(sd["encoder.ci_enc.fwd_gru.cell.weight_hh"].shape[1])
        hp["co_dim"] = int(sd["decoder.rnn.cell.co_linear.weight"].shape[0] // 2)
    else:
        hp.update(con_dim=0, ci_enc_dim=0, co_dim=0)
    hp["ext_input_dim"] = int(sd[g + "weight_ih"].shape[1]) - hp["co_dim"]
    return hp
