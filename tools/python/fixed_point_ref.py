"""An independent numpy implementation of decoders/FIXED_POINT.md (version 1) sections 1-6 for LFADS bundles.

It reads only a bundle's ``:q`` tensors, LUTs and hyperparameters (never the float tensors) and works in exact
int64, vectorised over a batch of trials. golden.py stores its outputs as ``golden.fixed.*`` so the Java golden
model, the HDL and this file can be compared bit for bit; it also gives the Python-side figures for the fixed
point vs float error.
"""
import numpy as np

import reflex_bundle as rb

ACT, PRE, GATE = rb.ACT_FRAC, rb.PRE_FRAC, rb.GATE_FRAC


def rshift_round(acc, s):
    acc = np.asarray(acc, dtype=np.int64)
    if s > 0:
        return (acc + (np.int64(1) << np.int64(s - 1))) >> np.int64(s)
    if s == 0:
        return acc
    return acc << np.int64(-s)


def requant16(acc, s):
    return rb.saturate(rshift_round(acc, s), 16)


class FixedLfads:
    """Fixed-point LFADS from a bundle (manifest, tensors) as returned by reflex_bundle.read_bundle."""

    def __init__(self, manifest, tensors):
        self.hp = manifest["hyperparameters"]
        self.t = tensors
        self.fb = {k: v.get("frac_bits") for k, v in manifest["tensors"].items()}
        self.sig = tensors["lut_sigmoid"].astype(np.int64)
        self.tanh = tensors["lut_tanh"].astype(np.int64)
        if not np.array_equal(tensors["lut_sigmoid"], rb.lut_sigmoid()) or \
                not np.array_equal(tensors["lut_tanh"], rb.lut_tanh()):
            raise ValueError("the bundle's activation tables differ from FIXED_POINT.md section 4")
        self.clip = int(rb.round_half_away(self.hp["cell_clip"] * (1 << ACT)))

    def _w(self, name):
        return self.t[name + ":q"].astype(np.int64), self.fb[name + ":q"]

    def matvec(self, wname, bname, v, f_v, f_out, rows=None):
        """v: int64 [B, in] in Q(f_v) -> int64 [B, out] in Q(f_out), saturated to int16."""
        w, f_w = self._w(wname)
        if rows is not None:
            w = w[:rows]
        acc = v @ w.T
        if bname is not None:
            b, f_b = self._w(bname)
            if f_b != f_w + f_v:
                raise ValueError("%s:q has frac_bits %d, expected F_W + F_v = %d" % (bname, f_b, f_w + f_v))
            acc = acc + (b if rows is None else b[:rows])
        return requant16(acc, f_w + f_v - f_out)

    def _lut(self, table, p):
        return table[rb.lut_index(p)]

    def gru(self, prefix, x, f_x, h):
        """FIXED_POINT.md section 5. x: int64 [B, I] in Q(f_x) (I may be 0), h: int64 [B, H] in Q12."""
        H = h.shape[1]
        if x.shape[1] == 0:
            b, f_b = self._w(prefix + "bias_ih")
            w_fb = self.fb[prefix + "weight_ih:q"]
            if f_b != w_fb + ACT:
                raise ValueError("%sbias_ih:q frac_bits %d, expected %d" % (prefix, f_b, w_fb + ACT))
            ax = np.broadcast_to(requant16(b, w_fb + ACT - PRE), (h.shape[0], 3 * H))
        else:
            ax = self.matvec(prefix + "weight_ih", prefix + "bias_ih", x, f_x, PRE)
        whh, f_w = self._w(prefix + "weight_hh")
        bhh, f_b = self._w(prefix + "bias_hh")
        if f_b != f_w + ACT:
            raise ValueError("%sbias_hh:q frac_bits %d, expected %d" % (prefix, f_b, f_w + ACT))
        azr = requant16(h @ whh[: 2 * H].T + bhh[: 2 * H], f_w + ACT - PRE)
        z = self._lut(self.sig, ax[:, :H] + azr[:, :H])
        r = self._lut(self.sig, ax[:, H:2 * H] + azr[:, H:])
        rh = requant16(r * h, GATE)
        ahn = requant16(rh @ whh[2 * H:].T + bhh[2 * H:], f_w + ACT - PRE)
        n = self._lut(self.tanh, ax[:, 2 * H:] + ahn)
        acc = (z * h) * 4 + ((1 << GATE) - z) * n
        return np.clip(rshift_round(acc, 16), -self.clip, self.clip)

    def forward(self, counts):
        """counts [B, T, D] -> dict of int64 arrays (Q12): ic_mean, g0, factors, logrates, gen_states,
        con_states, co."""
        hp = self.hp
        x = np.clip(np.asarray(counts, dtype=np.int64), 0, 32767)
        B, T, _ = x.shape
        Tr, L = hp["recon_seq_len"], hp["ci_lag"]
        out = {}
        if hp["causal"]:
            g = np.broadcast_to(self.t["decoder.g0:q"].astype(np.int64), (B, hp["gen_dim"])).copy()
            out["ic_mean"] = np.zeros((B, 0), np.int64)
        else:
            h0 = self.t["encoder.ic_enc_h0:q"].astype(np.int64)
            hf = np.broadcast_to(h0[0, 0], (B, hp["ic_enc_dim"])).copy()
            hb = np.broadcast_to(h0[1, 0], (B, hp["ic_enc_dim"])).copy()
            for t in range(T):
                hf = self.gru("encoder.ic_enc.fwd_gru.cell.", x[:, t], 0, hf)
            for t in reversed(range(T)):
                hb = self.gru("encoder.ic_enc.bwd_gru.cell.", x[:, t], 0, hb)
            ic = self.matvec("encoder.ic_linear.weight", "encoder.ic_linear.bias", np.concatenate([hf, hb], 1),
                             ACT, ACT, rows=hp["ic_dim"])
            out["ic_mean"] = ic
            g = self.matvec("decoder.ic_to_g0.weight", "decoder.ic_to_g0.bias", ic, ACT, ACT)
        out["g0"] = g
        con = hp["ci_enc_dim"] > 0 and hp["con_dim"] > 0 and hp["co_dim"] > 0
        E = hp["ci_enc_dim"]
        if con:
            h0 = self.t["encoder.ci_enc_h0:q"].astype(np.int64)
            h = np.broadcast_to(h0[0, 0], (B, E)).copy()
            fwd = []
            for t in range(T):
                h = self.gru("encoder.ci_enc.fwd_gru.cell.", x[:, t], 0, h)
                fwd.append(h)
            bwd = [None] * T
            if not hp["causal"]:
                h = np.broadcast_to(h0[1, 0], (B, E)).copy()
                for t in reversed(range(T)):
                    h = self.gru("encoder.ci_enc.bwd_gru.cell.", x[:, t], 0, h)
                    bwd[t] = h
            c = np.broadcast_to(self.t["decoder.con_h0:q"].astype(np.int64)[0], (B, hp["con_dim"])).copy()
        else:
            c = np.zeros((B, 0), np.int64)
        f = self._fac(g)
        gens, cons, cos, facs, logr = [], [], [], [], []
        zero = np.zeros((B, E), np.int64)
        for t in range(Tr):
            if con:
                parts = [fwd[t - L] if L <= t < T else zero]
                if not hp["causal"]:
                    parts.append(bwd[t + L] if t + L <= T - 1 else zero)
                c = self.gru("decoder.rnn.cell.con_cell.", np.concatenate(parts + [f], 1), ACT, c)
                u = self.matvec("decoder.rnn.cell.co_linear.weight", "decoder.rnn.cell.co_linear.bias", c, ACT,
                                ACT, rows=hp["co_dim"])
            else:
                u = np.zeros((B, 0), np.int64)
            g = self.gru("decoder.rnn.cell.gen_cell.", u, ACT, g)
            f = self._fac(g)
            gens.append(g)
            cons.append(c)
            cos.append(u)
            facs.append(f)
            logr.append(self.matvec("readout.0.weight", "readout.0.bias", f, ACT, ACT))
        out["gen_states"] = np.stack(gens, 1)
        out["con_states"] = np.stack(cons, 1)
        out["co"] = np.stack(cos, 1)
        out["factors"] = np.stack(facs, 1)
        out["logrates"] = np.stack(logr, 1)
        return out

    def _fac(self, g):
        w, f_w = self._w("decoder.rnn.cell.fac_norm")
        return requant16(g @ w.T, f_w)     # Q(F_W + 12) -> Q12
