"""Center-out tools: the archive loader, the velocity metrics, LFADS.stream (chunks with a carried state), the
stream sampler, and a tiny end-to-end run of train_lfads_centerout.py and centerout_eval.py --bundle."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import _support
import numpy as np
import torch

import centerout_data as cd
import centerout_eval as ce
import lfads_model as lm
import reflex_bundle as rb
import train_lfads_centerout as tc


def fake_archive(path, bins=600, channels=6, first_bin=0, seed=1, rng_seed=0, **overrides):
    """An archive in CenterOutDataset's format from a small cosine-tuned population (NOT the Java source: only the
    layout matters here). Returns the arrays written."""
    rng = np.random.default_rng(rng_seed)
    t = np.arange(bins) * 0.02
    vel = np.stack([0.3 * np.sin(2 * np.pi * t / 1.6), 0.2 * np.cos(2 * np.pi * t / 1.1)], axis=1)
    pos = np.cumsum(vel, axis=0) * 0.02
    theta = rng.uniform(0, 2 * np.pi, channels)
    rates = np.maximum(0.0, 0.2 + 1.5 * (vel[:, :1] * np.cos(theta) + vel[:, 1:] * np.sin(theta))) \
        .astype(np.float32)
    counts = rng.poisson(rates).astype(np.int16)
    meta = {"format": cd.FORMAT, "version": cd.VERSION, "generator": "test", "seed": seed, "channels": channels,
            "sample_rate_hz": 1000.0, "bin_samples": 20, "bin_s": 0.02, "first_bin": first_bin, "bins": bins,
            "first_sample": first_bin * 20, "base_rate_min_hz": 5.0, "base_rate_max_hz": 20.0,
            "modulation_min_hz_per_mps": 50.0, "modulation_max_hz_per_mps": 150.0, "target_count": 8,
            "target_radius_m": 0.1, "reach_ms": 500.0, "hold_ms": 300.0, "trial_samples": 1600,
            "command": "java fake --skip-bins %d" % first_bin}
    arrays = {"counts": counts, "rates": rates, "kinematics": np.concatenate([pos, vel], axis=1),
              "target": (np.arange(bins) // 80 % 8).astype(np.int16),
              "meta_json": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    arrays.update(overrides)
    np.savez(path, **arrays)
    return arrays


class Archive(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "a.npz")

    def tearDown(self):
        self.dir.cleanup()

    def test_loads_and_splits_the_kinematics(self):
        a = fake_archive(self.path, bins=100, channels=4)
        d = cd.load(self.path)
        np.testing.assert_array_equal(d["counts"], a["counts"])
        np.testing.assert_array_equal(d["vel"], a["kinematics"][:, 2:])
        np.testing.assert_array_equal(d["pos"], a["kinematics"][:, :2])
        self.assertEqual(d["meta"]["bins"], 100)
        self.assertEqual(cd.span(d["meta"]), {"first_bin": 0, "end_bin": 100, "first_s": 0.0, "end_s": 2.0})

    def _refused(self, needle, **overrides):
        fake_archive(self.path, bins=50, channels=3, **overrides)
        with self.assertRaises(ValueError) as cm:
            cd.load(self.path)
        self.assertIn(needle, str(cm.exception))

    def test_refuses_bad_archives_naming_the_problem(self):
        self._refused("dtype", counts=np.zeros((50, 3), np.int32))
        self._refused("shape", rates=np.zeros((49, 3), np.float32))
        self._refused("negative", counts=-np.ones((50, 3), np.int16))
        bad = np.zeros((50, 4))
        bad[3, 2] = np.nan
        self._refused("non-finite", kinematics=bad)
        self._refused("format", meta_json=np.frombuffer(json.dumps({"format": "x", "version": 1}).encode(),
                                                        dtype=np.uint8))
        self._refused("target", target=np.full(50, 9, np.int16))
        np.savez(self.path, counts=np.zeros((2, 2), np.int16))
        with self.assertRaises(ValueError) as cm:
            cd.load(self.path)
        self.assertIn("missing", str(cm.exception))


class Metrics(unittest.TestCase):
    def test_r2_is_one_for_a_perfect_decode_and_zero_for_the_mean(self):
        y = np.random.default_rng(0).normal(size=(50, 2))
        self.assertAlmostEqual(cd.r2(y, y), 1.0)
        self.assertAlmostEqual(cd.r2(y, np.broadcast_to(y.mean(axis=0), y.shape)), 0.0)
        self.assertTrue(np.isnan(cd.r2_per_output(np.ones(5), np.zeros(5))[0]))

    def test_ridge_without_penalty_is_least_squares_with_an_intercept(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(200, 5))
        y = x @ rng.normal(size=(5, 2)) + np.array([0.3, -1.0]) + 0.01 * rng.normal(size=(200, 2))
        w, b = cd.ridge_fit(x, y, 0.0)
        coef, *_ = np.linalg.lstsq(np.concatenate([x, np.ones((200, 1))], axis=1), y, rcond=None)
        np.testing.assert_allclose(w.T, coef[:5], atol=1e-10)
        np.testing.assert_allclose(b, coef[5], atol=1e-10)
        w2, _ = cd.ridge_fit(x, y, 1e4)
        self.assertLess(np.abs(w2).sum(), np.abs(w).sum())

    def test_readout_scores_only_the_bins_after_the_calibration_block(self):
        rng = np.random.default_rng(2)
        f = rng.normal(size=(700, 3))
        vel = f[:, :2] * 2.0 + 1.0
        r2, per, pred = cd.readout_r2(f, vel, cal_bins=500, lam=0.0)
        self.assertEqual(pred.shape, (200, 2))
        self.assertAlmostEqual(r2, 1.0, places=9)
        self.assertEqual(len(per), 2)

    def test_kalman_tracks_a_linear_gaussian_velocity(self):
        rng = np.random.default_rng(3)
        T, C = 3000, 20
        v = np.zeros((T, 2))
        for t in range(1, T):
            v[t] = 0.95 * v[t - 1] + 0.05 * rng.normal(size=2)
        H = rng.normal(size=(C, 2)) * 2.0
        z = v @ H.T + 1.0 + 0.3 * rng.normal(size=(T, C))
        r2, _, pred = cd.kalman_r2(z, v, cal_bins=1000)
        self.assertGreater(r2, 0.9)
        self.assertEqual(pred.shape, (2000, 2))
        kf = cd.KalmanVelocity(z[:1000], v[:1000])
        np.testing.assert_allclose(kf.A, 0.95 * np.eye(2), atol=0.05)


def causal_model(seed=0, D=6, dim=8, fac=3, lag=1, T=12):
    torch.manual_seed(seed)
    hp = lm.causal_hparams(encod_data_dim=D, readout_dim=D, ci_enc_dim=dim, con_dim=dim, gen_dim=dim, co_dim=2,
                           fac_dim=fac, ci_lag=lag, encod_seq_len=T, recon_seq_len=T)
    m = lm.LFADS(hp)
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.add_(0.2 * torch.randn_like(p))
    return m


class Stream(unittest.TestCase):
    def test_stream_from_a_reset_equals_forward_and_chunks_equal_one_run(self):
        for lag in (0, 1, 3):
            m = causal_model(lag=lag).double().eval()
            x = torch.poisson(torch.full((3, 12, 6), 0.8, dtype=torch.float64))
            with torch.no_grad():
                ref = m(x)
                o, _ = m.stream(x)
                np.testing.assert_array_equal(o["logrates"].numpy(), ref["logrates"].numpy())
                np.testing.assert_array_equal(o["factors"].numpy(), ref["factors"].numpy())
                xl = torch.poisson(torch.full((3, 40, 6), 0.8, dtype=torch.float64))
                whole, _ = m.stream(xl)
                parts, st = [], None
                for a, b in ((0, 7), (7, 8), (8, 25), (25, 40)):
                    p, st = m.stream(xl[:, a:b], st)
                    parts.append(p["logrates"])
                np.testing.assert_array_equal(torch.cat(parts, 1).numpy(), whole["logrates"].numpy())
                cs = m.causal_state(3)
                steps = torch.stack([m.causal_step(xl[:, t], cs) for t in range(40)], 1)
                np.testing.assert_allclose(steps.numpy(), whole["logrates"].numpy(), atol=1e-12)

    def test_select_restarts_only_the_chosen_rows(self):
        m = causal_model().double().eval()
        x = torch.poisson(torch.full((2, 10, 6), 0.8, dtype=torch.float64))
        with torch.no_grad():
            _, carried = m.stream(x)
            st = m.stream_select(torch.tensor([True, False]), m.stream_reset_state(2), carried)
            nxt, _ = m.stream(x[:, :4], st)
            fresh, _ = m.stream(x[:1, :4])
            cont, _ = m.stream(x[1:, :4], {k: v[1:] for k, v in carried.items()})
        np.testing.assert_array_equal(nxt["logrates"][0].numpy(), fresh["logrates"][0].numpy())
        np.testing.assert_array_equal(nxt["logrates"][1].numpy(), cont["logrates"][0].numpy())

    def test_reset_state_carries_gradients_to_the_learned_initial_states(self):
        m = causal_model()
        o, st = m.stream(torch.ones(2, 5, 6))
        o["logrates"].sum().backward()
        for p in (m.decoder.g0, m.decoder.con_h0, m.encoder.ci_enc_h0):
            self.assertIsNotNone(p.grad)
            self.assertGreater(float(p.grad.abs().sum()), 0.0)
        self.assertFalse(any(v.requires_grad for v in m.stream_detach(st).values()))

    def test_fixed_stream_is_causal_and_close_to_float(self):
        m = causal_model(D=6, dim=8)
        counts = np.random.default_rng(4).poisson(0.8, size=(60, 6))
        fac_a, lr_a = ce.fixed_stream(m, counts)
        fac_b, lr_b = ce.fixed_stream(m, counts[:25])
        np.testing.assert_array_equal(lr_a[:25], lr_b)
        _, lr_f = ce.float_stream(m, counts, torch.float64)
        self.assertLess(np.abs(lr_a - lr_f).max(), 0.05)
        self.assertEqual(fac_a.shape, (60, 3))


class Sampler(unittest.TestCase):
    def test_streams_advance_by_one_chunk_or_restart_inside_the_archive(self):
        g = torch.Generator().manual_seed(0)
        s = tc.StreamSampler(n=1000, batch=16, chunk=10, carry=1e9, generator=g)
        self.assertTrue(bool(s.fresh.all()))
        for _ in range(300):
            idx = s.index()
            self.assertTrue(bool((idx >= 0).all()) and bool((idx < 1000).all()))
            before = s.pos.clone()
            s.advance()
            moved = ~s.fresh
            self.assertTrue(bool((s.pos[moved] == before[moved] + 10).all()))
            # with carry = 1e9 a stream restarts only at the end of the archive
            self.assertTrue(bool((before[s.fresh] + 20 > 1000).all()))

    def test_carry_one_restarts_every_chunk(self):
        s = tc.StreamSampler(n=100, batch=4, chunk=5, carry=1, generator=torch.Generator().manual_seed(1))
        for _ in range(5):
            s.advance()
            self.assertTrue(bool(s.fresh.all()))

    def test_refuses_an_archive_shorter_than_a_chunk(self):
        with self.assertRaises(ValueError):
            tc.StreamSampler(n=5, batch=1, chunk=10, carry=2, generator=torch.Generator())


class EndToEnd(unittest.TestCase):
    """train_lfads_centerout.py (stability fine-tune on a carried state included) and centerout_eval.py --bundle on
    tiny archives: the commands run, the bundle reads back with its provenance."""

    def test_train_then_evaluate_and_export(self):
        with tempfile.TemporaryDirectory() as d:
            tr, va, ev = (os.path.join(d, n) for n in ("tr.npz", "va.npz", "ev.npz"))
            fake_archive(tr, bins=1500, first_bin=2000, rng_seed=1)
            fake_archive(va, bins=700, first_bin=4000, rng_seed=2)
            fake_archive(ev, bins=700, first_bin=0, rng_seed=3)
            py = [sys.executable, "-B"]
            script = os.path.join(_support.TOOLS, "train_lfads_centerout.py")
            c1 = os.path.join(d, "a.ckpt")
            r = subprocess.run(py + [script, "--train", tr, "--valid", va, "--valid-bins", "600", "--dim", "8",
                                     "--fac-dim", "3", "--chunk", "10", "--batch", "4", "--steps", "3",
                                     "--eval-every", "2", "--save-evals", "--out", c1], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(os.path.exists(os.path.join(d, "a.step2.ckpt")))
            c2 = os.path.join(d, "b.ckpt")
            r = subprocess.run(py + [script, "--train", tr, "--valid", va, "--valid-bins", "600", "--init", c1,
                                     "--dropout", "0", "--stability", "100", "--stability-max", "10",
                                     "--sim-noise", "1", "--lograte-floor", "-1", "--fixed-eval", "--chunk", "10", "--batch", "4", "--steps",
                                     "2", "--eval-every", "2", "--out", c2], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            line = json.loads(r.stderr.strip().splitlines()[-1])
            self.assertIn("fixed_max_dlog", line)
            self.assertIn("valid_vel_r2", line)
            self.assertIn("valid_min_lograte", line)
            # overlapping spans are refused
            r = subprocess.run(py + [script, "--train", tr, "--valid", tr, "--steps", "1", "--out", c2],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("overlap", r.stderr)
            bundle = os.path.join(d, "m.rbundle")
            r = subprocess.run(py + [os.path.join(_support.TOOLS, "centerout_eval.py"), c2, "--data", ev,
                                     "--restart-bins", "100", "--bundle", bundle, "--train", tr, "--valid", va],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            man, t = rb.read_bundle(bundle)
            hp = man["hyperparameters"]
            self.assertTrue(hp["causal"])
            self.assertEqual((hp["ci_enc_dim"], hp["con_dim"], hp["gen_dim"], hp["fac_dim"]), (8, 8, 8, 3))
            chain = man["created_by"].split(" && ")
            self.assertEqual(chain[0], "java fake --skip-bins 2000")
            self.assertEqual(chain[1], "java fake --skip-bins 4000")
            self.assertIn("java fake --skip-bins 0", chain)
            self.assertEqual(sum("train_lfads_centerout.py" in c for c in chain), 2)
            self.assertIn("centerout_eval.py", chain[-1])
            spans = man["demo_data"]["spans"]
            self.assertEqual(spans["train"]["first_bin"], 2000)
            self.assertEqual(spans["evaluation"]["end_bin"], 700)
            self.assertEqual(man["demo_data"]["source"]["seed"], 1)
            self.assertIn("kalman", man["evaluation"]["velocity_r2"])
            self.assertEqual(len(man["training"]["runs"]), 2)


if __name__ == "__main__":
    unittest.main()
