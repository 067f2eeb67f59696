"""Synthetic Lorenz spiking data (decoders/LFADS.md, "Lorenz benchmark data"; the choices are documented in README.md).

Every random number comes from SplitMix64 so that the Java demo can reproduce the data bit for bit (up to a
last-ulp difference between numpy's and Java's exp, which can very rarely change one Poisson count):

    uniform(seed, k) = (splitmix64_output_k(seed) >>> 11) * 2^-53,  k = 0, 1, 2, ...
    splitmix64_output_k(seed): z = seed + (k + 1) * 0x9E3779B97F4A7C15 (mod 2^64)
                               z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
                               z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
                               return z ^ (z >>> 31)

which is the k-th output of the standard SplitMix64 generator seeded with `seed`.

Recipe (all float64):
- Neuron population (stream READOUT_SEED, shared by every data set so that a trained model fits the demo data):
  for n in 0..N-1 (row-major): W[n][0..2] = 2u-1 (3 draws, times W_SCALE), then b[n] = B_CENTER + B_SPREAD*(2u-1).
- Trial i of a data set with seed s: uniforms from stream s, starting at index i*(3 + T*N):
  x0 = -15 + 30u, y0 = -15 + 30u, z0 = 10 + 30u; then Euler steps of DT with SIGMA, RHO, BETA
  (dx = SIGMA(y-x), dy = x(RHO-z) - y, dz = xy - BETA z; all three from the old state, then s += DT*d):
  TRANSIENT steps, then for t in 0..T-1: latent[t] = (s - MEAN) / SCALE, then STEPS_PER_BIN steps.
- logλ[t][n] = b[n] + ((W[n][0] latent[t][0] + W[n][1] latent[t][1]) + W[n][2] latent[t][2]);
  λ = exp(logλ) counts per bin;
  count[t][n] = inverse-CDF Poisson sample with the uniform at index i*(3+T*N) + 3 + t*N + n:
      k = 0; p = exp(-λ); F = p; while (u > F and k < 1000) { k += 1; p *= λ / k; F += p }
"""
import numpy as np

GAMMA = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
DT = 0.01
TRANSIENT = 300
STEPS_PER_BIN = 2
MEAN = (0.0, 0.0, 25.0)
SCALE = (10.0, 10.0, 10.0)
READOUT_SEED = 20261124
W_SCALE = 1.0
B_CENTER = -1.3
B_SPREAD = 0.3
N_NEURONS = 70
N_BINS = 73
BIN_S = 0.02
POISSON_MAX = 1000


def splitmix64(seed, index):
    """The outputs number `index` (array of ints >= 0) of SplitMix64 seeded with `seed`, as uint64."""
    with np.errstate(over="ignore"):
        idx = np.asarray(index, dtype=np.uint64)
        z = np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + (idx + np.uint64(1)) * np.uint64(GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(M2)
        return z ^ (z >> np.uint64(31))


def uniform(seed, index):
    """Uniform doubles in [0, 1): (splitmix64 >>> 11) * 2^-53."""
    return (splitmix64(seed, index) >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)


def readout(n_neurons=N_NEURONS):
    """(W [N,3], b [N]) of the neuron population."""
    per = 4
    u = uniform(READOUT_SEED, np.arange(n_neurons * per)).reshape(n_neurons, per)
    w = (2.0 * u[:, :3] - 1.0) * W_SCALE
    b = B_CENTER + B_SPREAD * (2.0 * u[:, 3] - 1.0)
    return w, b


def lorenz_latents(seed, n_trials, n_bins=N_BINS, n_neurons=N_NEURONS, first_trial=0):
    """Normalised Lorenz states [n_trials, n_bins, 3] of trials first_trial .. first_trial+n_trials-1."""
    stride = 3 + n_bins * n_neurons
    base = (np.arange(first_trial, first_trial + n_trials, dtype=np.int64) * stride)[:, None]
    u = uniform(seed, base + np.arange(3)[None, :])
    x = -15.0 + 30.0 * u[:, 0]
    y = -15.0 + 30.0 * u[:, 1]
    z = 10.0 + 30.0 * u[:, 2]

    def step(x, y, z):
        dx = SIGMA * (y - x)
        dy = x * (RHO - z) - y
        dz = x * y - BETA * z
        return x + DT * dx, y + DT * dy, z + DT * dz

    for _ in range(TRANSIENT):
        x, y, z = step(x, y, z)
    out = np.empty((n_trials, n_bins, 3))
    for t in range(n_bins):
        out[:, t, 0] = (x - MEAN[0]) / SCALE[0]
        out[:, t, 1] = (y - MEAN[1]) / SCALE[1]
        out[:, t, 2] = (z - MEAN[2]) / SCALE[2]
        for _ in range(STEPS_PER_BIN):
            x, y, z = step(x, y, z)
    return out


def poisson_inverse_cdf(lam, u):
    """Vectorised inverse-CDF Poisson sampling, operation for operation the loop in the module docstring."""
    lam = np.asarray(lam, dtype=np.float64)
    k = np.zeros(lam.shape, dtype=np.int64)
    p = np.exp(-lam)
    cdf = p.copy()
    active = u > cdf
    while np.any(active):
        k[active] += 1
        p[active] = p[active] * (lam[active] / k[active])
        cdf[active] = cdf[active] + p[active]
        active = (u > cdf) & (k < POISSON_MAX)
    return k


def make_dataset(seed, n_trials, n_bins=N_BINS, n_neurons=N_NEURONS, first_trial=0):
    """Returns dict: counts int64 [n,T,N], latents [n,T,3], logrates [n,T,N] (true), w, b."""
    w, b = readout(n_neurons)
    lat = lorenz_latents(seed, n_trials, n_bins, n_neurons, first_trial)
    # b + ((w0 z0 + w1 z1) + w2 z2), in this order, so Java repeats it exactly
    wz = w[None, None, :, 0] * lat[:, :, 0:1] + w[None, None, :, 1] * lat[:, :, 1:2]
    wz = wz + w[None, None, :, 2] * lat[:, :, 2:3]
    logr = b[None, None, :] + wz
    stride = 3 + n_bins * n_neurons
    base = (np.arange(first_trial, first_trial + n_trials, dtype=np.int64) * stride)[:, None, None]
    idx = base + 3 + np.arange(n_bins)[None, :, None] * n_neurons + np.arange(n_neurons)[None, None, :]
    counts = poisson_inverse_cdf(np.exp(logr), uniform(seed, idx))
    return {"counts": counts, "latents": lat, "logrates": logr, "w": w, "b": b}


def latent_r2(train_factors, train_latents, test_factors, test_latents):
    """Fit latents ~ A·factors + c by least squares on the train trials ([n,T,fac] and [n,T,3]), score the test
    trials: R² per latent dimension (1 - SS_res/SS_tot about the test mean), averaged uniformly over the 3."""
    Xtr = train_factors.reshape(-1, train_factors.shape[-1])
    Ytr = train_latents.reshape(-1, train_latents.shape[-1])
    Xtr = np.concatenate([Xtr, np.ones((Xtr.shape[0], 1))], 1)
    coef, *_ = np.linalg.lstsq(Xtr, Ytr, rcond=None)
    Xte = test_factors.reshape(-1, test_factors.shape[-1])
    Yte = test_latents.reshape(-1, test_latents.shape[-1])
    pred = np.concatenate([Xte, np.ones((Xte.shape[0], 1))], 1) @ coef
    ss_res = np.sum((Yte - pred) ** 2, axis=0)
    ss_tot = np.sum((Yte - Yte.mean(axis=0)) ** 2, axis=0)
    return float(np.mean(1.0 - ss_res / ss_tot))
