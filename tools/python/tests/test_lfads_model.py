import unittest

import _support  # noqa: F401
import numpy as np
import torch

import export_lfads as ex
import lfads_model as lm


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_gru(p, prefix, x, h, clip):
    """decoders/LFADS.md section 1.2, written independently in numpy (float64)."""
    wih, whh = p[prefix + "weight_ih"], p[prefix + "weight_hh"]
    bih, bhh = p[prefix + "bias_ih"], p[prefix + "bias_hh"]
    H = h.shape[-1]
    a = x @ wih.T + bih
    z = sig(a[..., :H] + h @ whh[:H].T + bhh[:H])
    r = sig(a[..., H:2 * H] + h @ whh[H:2 * H].T + bhh[H:2 * H])
    n = np.tanh(a[..., 2 * H:] + (r * h) @ whh[2 * H:].T + bhh[2 * H:])
    return np.clip(z * h + (1 - z) * n, -clip, clip)


def np_lfads(p, hp, x):
    """decoders/LFADS.md section 1.3 in numpy for one trial x [T, D]; returns factors and log-rates [Tr, .]."""
    T, Tr, L, clip = hp["encod_seq_len"], hp["recon_seq_len"], hp["ci_lag"], hp["cell_clip"]
    if hp["causal"]:
        g = p["decoder.g0"].copy()
    else:
        h0 = p["encoder.ic_enc_h0"]
        hf, hb = h0[0, 0].copy(), h0[1, 0].copy()
        for t in range(T):
            hf = np_gru(p, "encoder.ic_enc.fwd_gru.cell.", x[t], hf, clip)
        for t in reversed(range(T)):
            hb = np_gru(p, "encoder.ic_enc.bwd_gru.cell.", x[t], hb, clip)
        ic = (p["encoder.ic_linear.weight"] @ np.concatenate([hf, hb]) + p["encoder.ic_linear.bias"])[
            : hp["ic_dim"]]
        g = p["decoder.ic_to_g0.weight"] @ ic + p["decoder.ic_to_g0.bias"]
    W = p["decoder.rnn.cell.fac_linear.weight"]
    Wn = W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)
    f = Wn @ g
    con = lm.use_controller(hp)
    if con:
        ci_h0 = p["encoder.ci_enc_h0"]
        F, B = [], [None] * T
        h = ci_h0[0, 0].copy()
        for t in range(T):
            h = np_gru(p, "encoder.ci_enc.fwd_gru.cell.", x[t], h, clip)
            F.append(h)
        if not hp["causal"]:
            h = ci_h0[1, 0].copy()
            for t in reversed(range(T)):
                h = np_gru(p, "encoder.ci_enc.bwd_gru.cell.", x[t], h, clip)
                B[t] = h
        c = p["decoder.con_h0"][0].copy()
    E = hp["ci_enc_dim"]
    facs, logr = [], []
    for t in range(Tr):
        if con:
            cf = F[t - L] if L <= t < T else np.zeros(E)
            parts = [cf]
            if not hp["causal"]:
                parts.append(B[t + L] if t + L <= T - 1 else np.zeros(E))
            c = np_gru(p, "decoder.rnn.cell.con_cell.", np.concatenate(parts + [f]), c, clip)
            u = (p["decoder.rnn.cell.co_linear.weight"] @ c + p["decoder.rnn.cell.co_linear.bias"])[
                : hp["co_dim"]]
        else:
            u = np.zeros(0)
        g = np_gru(p, "decoder.rnn.cell.gen_cell.", u, g, clip)
        f = Wn @ g
        facs.append(f)
        logr.append(p["readout.0.weight"] @ f + p["readout.0.bias"])
    return np.array(facs), np.array(logr)


def randomised(hp, seed, scale=1.0):
    torch.manual_seed(seed)
    m = lm.LFADS(hp).double().eval()
    with torch.no_grad():
        for name, t in m.state_dict(keep_vars=True).items():
            t.copy_(scale * torch.randn_like(t) / max(1, t.shape[-1]) ** 0.5)
    return m


class GruCell(unittest.TestCase):
    def test_matches_numpy_reference_including_bias_hh_and_clip(self):
        torch.manual_seed(0)
        cell = lm.ClippedGRUCell(7, 5, clip_value=0.3).double()
        with torch.no_grad():
            for t in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh):
                t.copy_(2.0 * torch.randn_like(t))
        x, h = torch.randn(4, 7, dtype=torch.float64), 0.3 * torch.randn(4, 5, dtype=torch.float64)
        got = cell(x, h).detach().numpy()
        p = {k: v.numpy() for k, v in cell.state_dict().items()}
        want = np_gru(p, "", x.numpy(), h.numpy(), 0.3)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
        self.assertTrue(np.any(np.abs(got) == 0.3))  # the clip is exercised

    def test_gate_order_and_reset_before_matmul(self):
        cell = lm.ClippedGRUCell(1, 2, clip_value=5.0).double()
        H = 2
        with torch.no_grad():
            cell.weight_ih.zero_()
            cell.weight_hh.zero_()
            cell.bias_hh.zero_()
            cell.bias_ih.zero_()
            cell.bias_ih[:H] = 50.0                      # z block saturated at 1: the state is kept
        h = torch.tensor([[0.7, -0.2]], dtype=torch.float64)
        np.testing.assert_allclose(cell(torch.zeros(1, 1, dtype=torch.float64), h).detach().numpy(),
                                   h.numpy(), atol=1e-15)
        with torch.no_grad():
            cell.bias_ih[:H] = -50.0                     # z = 0: h' = n
            cell.bias_ih[H:2 * H] = -50.0                # r = 0: reset before the matmul zeroes W_hh[n] h
            cell.weight_hh[2 * H:] = 3.0
            cell.bias_hh[2 * H:] = 0.25                  # b_hh[n] is applied outside the reset
        out = cell(torch.zeros(1, 1, dtype=torch.float64), h).detach().numpy()
        np.testing.assert_allclose(out, np.tanh([[0.25, 0.25]]), atol=1e-15)

    def test_bias_hh_frozen_and_init(self):
        cell = lm.ClippedGRUCell(3, 4, 5.0)
        self.assertFalse(cell.bias_hh.requires_grad)
        self.assertEqual(cell.bias_hh.abs().sum().item(), 0.0)
        self.assertEqual(cell.bias_ih[:8].tolist(), [1.0] * 8)
        self.assertEqual(cell.bias_ih[8:].tolist(), [0.0] * 4)


class Forward(unittest.TestCase):
    def _check(self, hp, seed):
        m = randomised(hp, seed)
        rng = np.random.default_rng(seed)
        x = rng.poisson(0.5, size=(2, hp["encod_seq_len"], hp["encod_data_dim"])).astype(np.float64)
        o = m(torch.as_tensor(x))
        T = hp["encod_seq_len"]
        self.assertTrue(torch.all(o["ci"][:, T:] == 0))  # no controller input in forward-prediction steps
        p = {k: v.numpy() for k, v in m.state_dict().items()}
        for i in range(2):
            fac, logr = np_lfads(p, hp, x[i])
            np.testing.assert_allclose(o["factors"][i].detach().numpy(), fac, rtol=0, atol=1e-12)
            np.testing.assert_allclose(o["logrates"][i].detach().numpy(), logr, rtol=1e-12, atol=1e-12)
        return o

    def test_controller_model_matches_spec_reference(self):
        hp = lm.mc_maze_hparams(encod_data_dim=9, encod_seq_len=6, recon_seq_len=8, ic_enc_dim=5, ci_enc_dim=4,
                                con_dim=6, co_dim=2, ic_dim=3, gen_dim=7, fac_dim=3, readout_dim=11)
        self._check(hp, 1)

    def test_controller_model_ci_lag_2(self):
        hp = lm.mc_maze_hparams(encod_data_dim=5, encod_seq_len=5, recon_seq_len=7, ic_enc_dim=3, ci_enc_dim=3,
                                con_dim=4, co_dim=2, ic_dim=3, gen_dim=6, fac_dim=2, readout_dim=5, ci_lag=2)
        self._check(hp, 2)

    def test_no_controller_model_matches_spec_reference(self):
        hp = lm.default_hparams(encod_data_dim=6, encod_seq_len=5, recon_seq_len=5, ic_enc_dim=4, ic_dim=4,
                                gen_dim=5, fac_dim=2, readout_dim=6)
        o = self._check(hp, 3)
        self.assertEqual(tuple(o["co"].shape), (2, 5, 0))
        self.assertEqual(tuple(o["con_states"].shape), (2, 5, 0))

    def test_causal_model_matches_spec_reference(self):
        hp = lm.causal_hparams(encod_data_dim=6, encod_seq_len=7, recon_seq_len=7, ci_enc_dim=4, con_dim=5,
                               co_dim=2, gen_dim=5, fac_dim=3, readout_dim=6)
        self._check(hp, 4)


class Causal(unittest.TestCase):
    def test_shapes_and_state_dict(self):
        hp = lm.causal_hparams()
        m = lm.LFADS(hp)
        sd = m.state_dict()
        self.assertEqual(tuple(sd["encoder.ci_enc_h0"].shape), (1, 1, 64))
        self.assertEqual(tuple(sd["decoder.rnn.cell.con_cell.weight_ih"].shape), (192, 64 + 4))
        self.assertEqual(tuple(sd["decoder.rnn.cell.gen_cell.weight_ih"].shape), (192, 4))
        self.assertEqual(tuple(sd["decoder.g0"].shape), (64,))
        self.assertFalse(any(k.startswith("encoder.ic_enc") or k.startswith("encoder.ci_enc.bwd") for k in sd))
        self.assertEqual({k: tuple(v.shape) for k, v in sd.items()}, ex.expected_shapes(hp))
        o = m.eval()(torch.zeros(3, 73, 70))
        self.assertEqual(tuple(o["factors"].shape), (3, 73, 4))
        self.assertEqual(tuple(o["logrates"].shape), (3, 73, 70))
        self.assertEqual(tuple(o["co"].shape), (3, 73, 4))

    def test_outputs_depend_only_on_bins_up_to_t_minus_lag(self):
        hp = lm.causal_hparams(encod_seq_len=12, recon_seq_len=12)
        m = randomised(hp, 5, scale=2.0).float()
        x = torch.poisson(torch.full((1, 12, 70), 0.5))
        base = m(x)["logrates"].detach()
        for t in (0, 5, 11):
            y = x.clone()
            y[0, t] += 3.0
            out = m(y)["logrates"].detach()
            L = hp["ci_lag"]
            self.assertTrue(torch.equal(out[0, : t + L], base[0, : t + L]), t)
            if t + L < 12:
                self.assertFalse(torch.equal(out[0, t + L:], base[0, t + L:]), t)

    def test_streaming_steps_equal_the_trial_forward(self):
        for lag in (0, 1, 3):
            hp = lm.causal_hparams(encod_seq_len=10, recon_seq_len=10, ci_lag=lag)
            m = randomised(hp, 6)
            x = torch.poisson(torch.full((2, 10, 70), 0.7, dtype=torch.float64))
            want = m(x)["logrates"].detach()
            st = m.causal_state(batch=2)
            with torch.no_grad():
                got = torch.stack([m.causal_step(x[:, t], st) for t in range(10)], 1)
            torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


class StateDictNames(unittest.TestCase):
    def test_mc_maze_state_dict_is_lfads_torch_table(self):
        sd = lm.LFADS(lm.mc_maze_hparams()).state_dict()
        spec = {  # decoders/LFADS.md section 2
            "encoder.ic_enc_h0": (2, 1, 64), "encoder.ci_enc_h0": (2, 1, 64),
            "encoder.ic_linear.weight": (128, 128), "encoder.ic_linear.bias": (128,),
            "decoder.con_h0": (1, 64), "decoder.ic_to_g0.weight": (200, 64), "decoder.ic_to_g0.bias": (200,),
            "decoder.rnn.cell.gen_cell.weight_ih": (600, 4), "decoder.rnn.cell.gen_cell.weight_hh": (600, 200),
            "decoder.rnn.cell.gen_cell.bias_ih": (600,), "decoder.rnn.cell.gen_cell.bias_hh": (600,),
            "decoder.rnn.cell.fac_linear.weight": (100, 200),
            "decoder.rnn.cell.con_cell.weight_ih": (192, 228), "decoder.rnn.cell.con_cell.weight_hh": (192, 64),
            "decoder.rnn.cell.con_cell.bias_ih": (192,), "decoder.rnn.cell.con_cell.bias_hh": (192,),
            "decoder.rnn.cell.co_linear.weight": (8, 64), "decoder.rnn.cell.co_linear.bias": (8,),
            "readout.0.weight": (182, 100), "readout.0.bias": (182,),
            "ic_prior.mean": (64,), "ic_prior.logvar": (64,), "co_prior.logtaus": (4,), "co_prior.lognvars": (4,),
        }
        for e in ("ic", "ci"):
            for d in ("fwd", "bwd"):
                p = "encoder.%s_enc.%s_gru.cell." % (e, d)
                spec.update({p + "weight_ih": (192, 137), p + "weight_hh": (192, 64), p + "bias_ih": (192,),
                             p + "bias_hh": (192,)})
        self.assertEqual({k: tuple(v.shape) for k, v in sd.items()}, spec)
        self.assertEqual(sum(v.numel() for v in sd.values()), 404822)  # decoders/LFADS.md section 1.4

    def test_hparams_inferred_from_state_dict(self):
        for hp in (lm.mc_maze_hparams(), lm.default_hparams(), lm.causal_hparams()):
            sd = lm.LFADS(hp).state_dict()
            got = lm.hparams_from_state_dict(sd, {"encod_seq_len": hp["encod_seq_len"],
                                                  "recon_seq_len": hp["recon_seq_len"]})
            for k in ("encod_data_dim", "ic_enc_dim", "ci_enc_dim", "con_dim", "co_dim", "ic_dim", "gen_dim",
                      "fac_dim", "readout_dim", "causal", "ext_input_dim", "encod_seq_len", "recon_seq_len"):
                self.assertEqual(got[k], hp[k], k)


if __name__ == "__main__":
    unittest.main()
