import unittest

import _support  # noqa: F401
import numpy as np

import lorenz_data as ld


class LorenzData(unittest.TestCase):
    """Check values the Java demo's generator must reproduce (tools/python/README.md, 'Lorenz data')."""

    def test_splitmix64_reference_values(self):
        self.assertEqual([int(v) for v in ld.splitmix64(1234567, np.arange(3))],
                         [6457827717110365317, 3203168211198807973, 9817491932198370423])
        self.assertEqual(ld.uniform(1, np.arange(3)).tolist(),
                         [0.5665615751722809, 0.7457817572627011, 0.9710027535867962])

    def test_population_and_trials(self):
        w, b = ld.readout()
        self.assertEqual(w.shape, (70, 3))
        self.assertEqual(w[0].tolist(), [0.004132237923067494, -0.5532782517652226, 0.7345760702380981])
        self.assertEqual(b[0], -1.40835922261646)
        d = ld.make_dataset(3, 2)
        self.assertEqual(d["latents"][0, 0].tolist(), [0.3876319063307724, 0.5849760257187422, -0.8598254465254473])
        self.assertEqual(d["latents"][1, 72].tolist(),
                         [-0.18213519741038084, 0.21648470026065086, 0.15311376909585056])
        self.assertEqual(d["counts"][0, 0, :10].tolist(), [0, 0, 0, 0, 1, 0, 2, 1, 1, 0])
        self.assertEqual([int(d["counts"][0].sum()), int(d["counts"][1].sum())], [2079, 1881])

    def test_trials_are_independent_of_the_batch(self):
        a = ld.make_dataset(5, 4)
        b = ld.make_dataset(5, 2, first_trial=2)
        np.testing.assert_array_equal(a["counts"][2:], b["counts"])

    def test_poisson_sampler_mean(self):
        u = ld.uniform(11, np.arange(200000))
        k = ld.poisson_inverse_cdf(np.full(u.shape, 2.5), u)
        self.assertAlmostEqual(float(k.mean()), 2.5, delta=0.02)
        self.assertAlmostEqual(float(k.var()), 2.5, delta=0.05)

    def test_latent_r2(self):
        rng = np.random.default_rng(0)
        lat = rng.standard_normal((10, 20, 3))
        fac = np.concatenate([lat @ rng.standard_normal((3, 3)), np.zeros((10, 20, 1))], 2) + 1.0
        self.assertAlmostEqual(ld.latent_r2(fac[:5], lat[:5], fac[5:], lat[5:]), 1.0, places=10)
        self.assertLess(ld.latent_r2(rng.standard_normal((5, 20, 4)), lat[:5], rng.standard_normal((5, 20, 4)),
                                     lat[5:]), 0.1)
