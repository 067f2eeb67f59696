"""Center-out data exported by the Java source, and the velocity metrics of the center-out LFADS model.

The data come from ``io.reflex.decoders.synth.CenterOutDataset`` (decoders), which bins the Java
``CenterOutSource`` exactly as the live pipeline does (counts summed over 20 samples, kinematics averaged), so a
model trained on them sees the population the demo runs: the neurons' tuning is drawn from the source's seed, and
there is deliberately no Python re-implementation of the source.

    java -cp decoders/target/classes io.reflex.decoders.synth.CenterOutDataset OUT.npz --skip-bins 180000 ...

Archive (``numpy.load(path, allow_pickle=False)``): ``counts`` int16 [bins, channels], ``rates`` float32
[bins, channels] (the Poisson means), ``kinematics`` float64 [bins, 4] (px, py, vx, vy), ``target`` int16 [bins],
``meta_json`` uint8 (UTF-8 JSON: format, version, source parameters, the span). ``load`` checks all of it.

Metrics (evaluation only; the live demo fits its own readout in Java):
- ``r2``: 1 - SS_res/SS_tot per output, averaged over outputs (``io.reflex.decoders.Metrics.meanR2``).
- ``ridge_fit``: y = W x + b on centred x and y with an absolute penalty lam on the centred normal equations, the
  same model as ``WienerDecoder(channels, outputs, lags=1, lambda)``.
- ``KalmanVelocity``: the affine velocity Kalman filter with the steady-state gain, fitted as
  ``io.reflex.decoders.linear.KalmanDecoder`` fits it (least squares A, W, H, Q with the constant state).
"""
import json

import numpy as np

FORMAT = "reflex-centerout-dataset"
VERSION = 1
ARRAYS = {"counts": np.int16, "rates": np.float32, "kinematics": np.float64, "target": np.int16,
          "meta_json": np.uint8}
META_KEYS = ("seed", "channels", "sample_rate_hz", "bin_samples", "bin_s", "first_bin", "bins", "first_sample",
             "base_rate_min_hz", "base_rate_max_hz", "modulation_min_hz_per_mps", "modulation_max_hz_per_mps",
             "target_count", "target_radius_m", "reach_ms", "hold_ms", "trial_samples")
MAX_BINS = 10_000_000


def load(path):
    """Reads and validates an archive; returns a dict with ``counts`` (int16 [n, C]), ``rates`` (float32),
    ``pos`` and ``vel`` (float64 [n, 2]), ``target`` (int16 [n]) and ``meta`` (dict). Raises ValueError naming the
    array or key that is wrong."""
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in ARRAYS if k not in z.files]
        if missing:
            raise ValueError("%s: missing array(s) %s (not a %s archive?)" % (path, ", ".join(missing), FORMAT))
        a = {}
        for k, dt in ARRAYS.items():
            v = z[k]
            if v.dtype != np.dtype(dt):
                raise ValueError("%s: array %s has dtype %s, expected %s" % (path, k, v.dtype, np.dtype(dt)))
            a[k] = v
    try:
        meta = json.loads(bytes(a["meta_json"]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError("%s: meta_json is not UTF-8 JSON: %s" % (path, e))
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ValueError("%s: meta_json format %r version %r, expected %s version %d"
                         % (path, meta.get("format"), meta.get("version"), FORMAT, VERSION))
    for k in META_KEYS:
        if k not in meta:
            raise ValueError("%s: meta_json lacks %s" % (path, k))
    n, c = int(meta["bins"]), int(meta["channels"])
    if not 1 <= n <= MAX_BINS or c < 1:
        raise ValueError("%s: meta_json bins %d / channels %d out of range" % (path, n, c))
    shapes = {"counts": (n, c), "rates": (n, c), "kinematics": (n, 4), "target": (n,)}
    for k, s in shapes.items():
        if a[k].shape != s:
            raise ValueError("%s: array %s has shape %s, meta_json says %s" % (path, k, a[k].shape, s))
    if a["counts"].min() < 0:
        raise ValueError("%s: array counts has a negative value" % path)
    for k in ("rates", "kinematics"):
        if not np.all(np.isfinite(a[k])):
            raise ValueError("%s: array %s has a non-finite value" % (path, k))
    if a["rates"].min() < 0:
        raise ValueError("%s: array rates has a negative value" % path)
    if a["target"].min() < 0 or a["target"].max() >= int(meta["target_count"]):
        raise ValueError("%s: array target outside [0, target_count)" % path)
    return {"counts": a["counts"], "rates": a["rates"], "pos": a["kinematics"][:, :2],
            "vel": a["kinematics"][:, 2:], "target": a["target"], "meta": meta}


def source_manifest(meta):
    """The source parameters a model bundle records (from an archive's meta)."""
    keys = ("generator", "seed", "channels", "sample_rate_hz", "bin_samples", "bin_s", "base_rate_min_hz",
            "base_rate_max_hz", "modulation_min_hz_per_mps", "modulation_max_hz_per_mps", "target_count",
            "target_radius_m", "reach_ms", "hold_ms", "trial_samples", "binning")
    return {k: meta[k] for k in keys if k in meta}


def span(meta):
    """[first_bin, first_bin + bins) of an archive, with the same in seconds."""
    b0, n, bs = int(meta["first_bin"]), int(meta["bins"]), float(meta["bin_s"])
    return {"first_bin": b0, "end_bin": b0 + n, "first_s": round(b0 * bs, 6), "end_s": round((b0 + n) * bs, 6)}


def poisson_nll(logrates, counts):
    """Mean of exp(logλ) - x·logλ (the training loss, without the constant log x!)."""
    return float(np.mean(np.exp(logrates) - counts * logrates))


# ----------------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------------

def r2_per_output(truth, pred):
    """1 - SS_res/SS_tot per column (SS_tot about the truth's mean over these rows); NaN where truth is constant."""
    truth = np.asarray(truth, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if truth.ndim == 1:
        truth, pred = truth[:, None], pred[:, None]
    ss_res = np.sum((truth - pred) ** 2, axis=0)
    ss_tot = np.sum((truth - truth.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.nan)


def r2(truth, pred):
    """Mean R² over the outputs (Metrics.meanR2)."""
    return float(np.mean(r2_per_output(truth, pred)))


def ridge_fit(x, y, lam=1.0):
    """(W [q, p], b [q]) minimising |Yc - Xc Wᵀ|² + lam |W|² on centred rows; b = ȳ - W x̄."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] < 2:
        raise ValueError("ridge_fit needs x [n, p] and y [n, q] with the same n >= 2")
    if not lam >= 0:
        raise ValueError("lam must be >= 0")
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - xm, y - ym
    g = xc.T @ xc + lam * np.eye(x.shape[1])
    w = np.linalg.solve(g, xc.T @ yc).T
    return w, ym - w @ xm


def ridge_predict(fit, x):
    w, b = fit
    return np.asarray(x, dtype=np.float64) @ w.T + b


def readout_r2(features, vel, cal_bins=500, lam=1.0):
    """Fit the ridge map features -> vel on rows [0, cal_bins) and score R² (mean over vx, vy) on the rest.
    Returns (r2, per-output r2 list, predictions of the scored rows)."""
    if features.shape[0] != vel.shape[0] or features.shape[0] < cal_bins + 2:
        raise ValueError("need more than cal_bins + 1 rows of features and velocity")
    fit = ridge_fit(features[:cal_bins], vel[:cal_bins], lam)
    pred = ridge_predict(fit, features[cal_bins:])
    per = r2_per_output(vel[cal_bins:], pred)
    return float(np.mean(per)), [float(v) for v in per], pred


class KalmanVelocity:
    """Affine velocity Kalman filter (KalmanDecoder with constantState = true, Gain.STEADY_STATE): state
    x = (vx, vy), x_t = A x_{t-1} + a + w, z_t = H x_t + c + q, least-squares fit, steady-state gain."""

    NOISE_RIDGE = 1e-9

    def __init__(self, z, x):
        z = np.asarray(z, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        n, d = x.shape
        if z.shape[0] != n or n < z.shape[1] + d + 2:
            raise ValueError("Kalman fit needs at least channels + state + 1 rows")
        xs = np.concatenate([x, np.ones((n, 1))], axis=1)
        x1, x2 = xs[:-1], xs[1:]
        at = np.linalg.solve(x1.T @ x1, x1.T @ x2)            # (m, m): x2 ≈ x1 @ at
        trans = at.T
        self.A, self.a = trans[:d, :d], trans[:d, d]
        r = x2[:, :d] - x1 @ at[:, :d]
        w = r.T @ r / (n - 1)
        ht = np.linalg.solve(xs.T @ xs, xs.T @ z)             # (m, C)
        obs = ht.T
        self.H, self.c = obs[:, :d], obs[:, d]
        e = z - xs @ ht
        q = e.T @ e / n
        w = w + self.NOISE_RIDGE * np.trace(w) / d * np.eye(d)
        q = q + self.NOISE_RIDGE * np.trace(q) / q.shape[0] * np.eye(q.shape[0])
        qi = np.linalg.inv(q)
        s = self.H.T @ qi @ self.H
        g = self.H.T @ qi
        p = np.zeros((d, d))
        k_prev = None
        for _ in range(100000):
            pp = self.A @ p @ self.A.T + w
            p = np.linalg.inv(np.linalg.inv(pp) + s)
            k = p @ g
            if k_prev is not None and np.linalg.norm(k - k_prev) < 1e-9:
                break
            k_prev = k
        else:
            raise ValueError("Riccati recursion did not converge")
        self.K = k
        kh = np.eye(d) - k @ self.H
        self.F = kh @ self.A
        self.f = kh @ self.a - k @ self.c

    def run(self, z):
        """Filters z [T, C] from x = 0; returns the state after each bin [T, d]."""
        z = np.asarray(z, dtype=np.float64)
        xk = np.zeros(self.A.shape[0])
        out = np.empty((z.shape[0], xk.shape[0]))
        kz = z @ self.K.T
        for t in range(z.shape[0]):
            xk = self.F @ xk + self.f + kz[t]
            out[t] = xk
        return out


def kalman_r2(counts, vel, cal_bins=500):
    """Kalman fitted on rows [0, cal_bins), run over every row from x = 0, scored on the rest (as readout_r2)."""
    kf = KalmanVelocity(counts[:cal_bins], vel[:cal_bins])
    pred = kf.run(counts)[cal_bins:]
    per = r2_per_output(vel[cal_bins:], pred)
    return float(np.mean(per)), [float(v) for v in per], pred
