import os
import subprocess
import sys
import tempfile
import types
import unittest

import _support
import numpy as np
import torch

import export_lfads as ex
import lfads_model as lm
import reflex_bundle as rb


def mc_maze_state_dict(seed=0):
    torch.manual_seed(seed)
    m = lm.LFADS(lm.mc_maze_hparams())
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, lm.ClippedGRUCell):
                mod.bias_hh.copy_(0.05 * torch.randn_like(mod.bias_hh))
    return {k: v.clone() for k, v in m.state_dict().items()}


class ExportMcMaze(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.sd = mc_maze_state_dict()
        cls.path = os.path.join(cls.dir.name, "mc.rbundle")
        # a Lightning-style checkpoint whose hyper_parameters hold an object of a class that cannot be imported,
        # as lfads-torch's AugmentationStack is when lfads_torch is not installed
        mod = types.ModuleType("lfads_torch_fake_aug")

        class AugmentationStack:
            def __init__(self):
                self.transforms = [1, 2]
        AugmentationStack.__module__ = "lfads_torch_fake_aug"
        AugmentationStack.__qualname__ = "AugmentationStack"
        mod.AugmentationStack = AugmentationStack
        sys.modules["lfads_torch_fake_aug"] = mod
        try:
            hp = dict(encod_seq_len=35, recon_seq_len=45, ci_lag=1, cell_clip=5.0, ext_input_dim=0,
                      train_aug_stack=AugmentationStack(), lr_init=4e-3)
            cls.ckpt = os.path.join(cls.dir.name, "mc.ckpt")
            torch.save({"state_dict": cls.sd, "hyper_parameters": hp, "epoch": 3, "global_step": 9,
                        "optimizer_states": []}, cls.ckpt)
        finally:
            del sys.modules["lfads_torch_fake_aug"]
        cls.cli = subprocess.run([sys.executable, os.path.join(_support.TOOLS, "export_lfads.py"), cls.ckpt,
                                  cls.path, "--name", "mc-maze-test"], capture_output=True, text=True)
        cls.manifest, cls.t = rb.read_bundle(cls.path) if cls.cli.returncode == 0 else (None, None)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_cli_succeeds_without_the_pickled_classes(self):
        self.assertEqual(self.cli.returncode, 0, self.cli.stderr)
        self.assertIn("tools/python/export_lfads.py", self.manifest["created_by"])
        self.assertIn("--name mc-maze-test", self.manifest["created_by"])

    def test_hyperparameters(self):
        hp = self.manifest["hyperparameters"]
        want = dict(encod_data_dim=137, encod_seq_len=35, recon_seq_len=45, ic_enc_dim=64, ci_enc_dim=64,
                    con_dim=64, co_dim=4, ic_dim=64, gen_dim=200, fac_dim=100, ext_input_dim=0, ci_lag=1,
                    cell_clip=5.0, bin_s=0.02, gate_order="zrn", reset="before", causal=False, readout_dim=182,
                    causal_ic="none", controller=True)
        for k, v in want.items():
            self.assertEqual(hp[k], v, k)
        self.assertEqual(self.manifest["model_type"], "lfads")
        self.assertEqual(self.manifest["arithmetic"]["fixed_point_version"], 1)

    def test_float_tensors_keep_names_and_values(self):
        for k, v in self.sd.items():
            self.assertEqual(self.manifest["tensors"][k]["dtype"], "float32", k)
            np.testing.assert_array_equal(self.t[k], v.numpy(), k)

    def test_fac_norm_in_float64(self):
        w = self.sd["decoder.rnn.cell.fac_linear.weight"].double()
        want = (w / w.norm(dim=1, keepdim=True)).float().numpy()
        np.testing.assert_array_equal(self.t["decoder.rnn.cell.fac_norm"], want)
        np.testing.assert_allclose(np.linalg.norm(self.t["decoder.rnn.cell.fac_norm"], axis=1), 1.0, atol=1e-6)

    def test_bundle_checks_against_its_hyperparameters(self):
        ex.check_bundle(self.manifest, self.t)
        bad = dict(self.t)
        bad["decoder.rnn.cell.gen_cell.weight_hh"] = np.zeros((600, 199), np.float32)
        with self.assertRaisesRegex(ValueError, r"tensor decoder.rnn.cell.gen_cell.weight_hh: shape \[600, 199\]"):
            ex.check_bundle(self.manifest, bad)
        bad = dict(self.t)
        bad["lut_tanh"] = bad["lut_tanh"].copy()
        bad["lut_tanh"][7] += 1
        with self.assertRaisesRegex(ValueError, "tensor lut_tanh"):
            ex.check_bundle(self.manifest, bad)
        bad = dict(self.t)
        del bad["readout.0.bias"]
        with self.assertRaisesRegex(ValueError, "tensor readout.0.bias: missing"):
            ex.check_bundle(self.manifest, bad)

    def test_fixed_point_copies(self):
        T, M = self.t, self.manifest["tensors"]
        checks = {  # weight -> (bias, F_v)
            "encoder.ic_enc.fwd_gru.cell.weight_ih": ("encoder.ic_enc.fwd_gru.cell.bias_ih", 0),
            "encoder.ci_enc.bwd_gru.cell.weight_ih": ("encoder.ci_enc.bwd_gru.cell.bias_ih", 0),
            "encoder.ic_enc.fwd_gru.cell.weight_hh": ("encoder.ic_enc.fwd_gru.cell.bias_hh", 12),
            "decoder.rnn.cell.gen_cell.weight_ih": ("decoder.rnn.cell.gen_cell.bias_ih", 12),
            "decoder.rnn.cell.con_cell.weight_ih": ("decoder.rnn.cell.con_cell.bias_ih", 12),
            "encoder.ic_linear.weight": ("encoder.ic_linear.bias", 12),
            "decoder.ic_to_g0.weight": ("decoder.ic_to_g0.bias", 12),
            "decoder.rnn.cell.co_linear.weight": ("decoder.rnn.cell.co_linear.bias", 12),
            "readout.0.weight": ("readout.0.bias", 12),
            "decoder.rnn.cell.fac_norm": (None, 12),
        }
        for w, (b, f_v) in checks.items():
            q, f = T[w + ":q"], M[w + ":q"]["frac_bits"]
            self.assertEqual(q.dtype, np.int16, w)
            src = T[w].astype(np.float64)
            self.assertEqual(f, rb.weight_frac_bits(src), w)
            if w == "decoder.rnn.cell.fac_norm":  # quantised from its float64 form (FIXED_POINT.md section 2)
                raw = T["decoder.rnn.cell.fac_linear.weight"].astype(np.float64)
                src = raw / np.linalg.norm(raw, axis=1, keepdims=True)
                self.assertEqual(f, rb.weight_frac_bits(src))
            np.testing.assert_array_equal(q, rb.round_half_away(src * 2.0 ** f), w)
            if b is not None:
                self.assertEqual(M[b + ":q"]["frac_bits"], f + f_v, b)
                self.assertEqual(T[b + ":q"].dtype, np.int32, b)
                np.testing.assert_array_equal(T[b + ":q"], rb.quantize_bias(T[b], f + f_v), b)
        self.assertNotIn("decoder.rnn.cell.fac_linear.weight:q", T)
        self.assertNotIn("ic_prior.mean:q", T)
        self.assertEqual(M["encoder.ic_enc_h0:q"]["frac_bits"], 12)
        np.testing.assert_array_equal(T["decoder.con_h0:q"], rb.quantize_state(T["decoder.con_h0"]))
        np.testing.assert_array_equal(T["lut_sigmoid"], rb.lut_sigmoid())
        np.testing.assert_array_equal(T["lut_tanh"], rb.lut_tanh())


class ExportRefusals(unittest.TestCase):
    def test_wrong_shape_names_the_tensor(self):
        sd = mc_maze_state_dict()
        sd["decoder.rnn.cell.con_cell.weight_hh"] = torch.zeros(192, 63)
        hp = lm.mc_maze_hparams()
        with self.assertRaisesRegex(ValueError, r"decoder.rnn.cell.con_cell.weight_hh has shape \[192, 63\]"):
            ex.bundle_tensors(sd, hp)

    def test_missing_and_unknown_tensors(self):
        sd = mc_maze_state_dict()
        del sd["readout.0.bias"]
        with self.assertRaisesRegex(ValueError, r"lacks readout.0.bias"):
            ex.bundle_tensors(sd, lm.mc_maze_hparams())
        sd = mc_maze_state_dict()
        sd["readin.0.weight"] = torch.zeros(3, 3)
        with self.assertRaisesRegex(ValueError, r"readin.0.weight"):
            ex.bundle_tensors(sd, lm.mc_maze_hparams())

    def test_nan_refused(self):
        sd = mc_maze_state_dict()
        sd["readout.0.weight"][3, 4] = float("nan")
        with self.assertRaisesRegex(ValueError, r"readout.0.weight has a non-finite value"):
            ex.bundle_tensors(sd, lm.mc_maze_hparams())


class ExportSmallModels(unittest.TestCase):
    def test_no_controller_and_causal_bundles(self):
        with tempfile.TemporaryDirectory() as d:
            for hp in (lm.default_hparams(), lm.causal_hparams()):
                m = lm.LFADS(hp)
                p = os.path.join(d, "m.rbundle")
                ex.export(m.state_dict(), hp, p, "x", "test")
                man, t = rb.read_bundle(p)
                ex.check_bundle(man, t)
                h = man["hyperparameters"]
                self.assertEqual(h["causal"], hp["causal"])
                if hp["causal"]:
                    self.assertEqual(h["causal_ic"], "learned_g0")
                    self.assertEqual(t["decoder.g0:q"].shape, (64,))
                    self.assertEqual(t["encoder.ci_enc_h0"].shape, (1, 1, 64))
                    self.assertEqual(t["decoder.rnn.cell.con_cell.weight_ih"].shape, (192, 68))
                else:
                    self.assertFalse(h["controller"])
                    self.assertEqual(t["decoder.rnn.cell.gen_cell.weight_ih"].shape, (192, 0))
                    self.assertEqual(man["tensors"]["decoder.rnn.cell.gen_cell.weight_ih:q"]["frac_bits"], 15)
                    self.assertEqual(man["tensors"]["decoder.rnn.cell.gen_cell.bias_ih:q"]["frac_bits"], 27)
                    self.assertEqual(t["decoder.con_h0"].shape, (1, 0))
                self.assertLess(os.path.getsize(p), 2 * 1024 * 1024)


class CheckpointLoading(unittest.TestCase):
    def test_bare_state_dict_and_lightning_dict(self):
        with tempfile.TemporaryDirectory() as d:
            m = lm.LFADS(lm.causal_hparams())
            p = os.path.join(d, "sd.pt")
            torch.save(m.state_dict(), p)
            sd, hp = ex.load_checkpoint(p)
            self.assertEqual(set(sd), set(m.state_dict()))
            self.assertEqual(hp, {})
            p2 = os.path.join(d, "x.ckpt")
            torch.save(lm.checkpoint_dict(m, 2, 5), p2)
            sd, hp = ex.load_checkpoint(p2)
            self.assertTrue(hp["causal"])
            out = os.path.join(d, "x.rbundle")
            ckpt = lm.checkpoint_dict(m, 2, 5)
            ckpt["hyper_parameters"]["created_by"] = "/usr/bin/python3 tools/python/train_lfads.py --seed 3"
            torch.save(ckpt, p2)
            ex.main([p2, out])
            man, _ = rb.read_bundle(out)
            self.assertTrue(man["created_by"].startswith(
                "/usr/bin/python3 tools/python/train_lfads.py --seed 3 && /usr/bin/python3 "), man["created_by"])
            p3 = os.path.join(d, "junk.ckpt")
            torch.save([1, 2], p3)
            with self.assertRaisesRegex(ValueError, "neither a Lightning checkpoint"):
                ex.load_checkpoint(p3)


if __name__ == "__main__":
    unittest.main()
