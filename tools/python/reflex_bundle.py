"""Reflex model bundles (decoders/BUNDLE.md, format version 1) and the fixed-point export rules of
decoders/FIXED_POINT.md (version 1, sections 2 and 4).

A bundle is a ZIP archive holding ``manifest.json`` and one ``tensors/<name>.bin`` per tensor (raw little-endian
values, row-major). Writing is deterministic: entries are sorted by name and carry a fixed timestamp, so the same
tensors and manifest always give the same bytes.

Only numpy and the standard library are needed here (no torch).
"""
import hashlib
import io
import json
import math
import os
import zipfile

import numpy as np

FORMAT = "reflex-bundle"
FORMAT_VERSION = 1
FIXED_POINT_VERSION = 1

# FIXED_POINT.md section 2: constants of version 1.
ACT_FRAC = 12    # states, activations, log-rates: Q12
PRE_FRAC = 10    # pre-activations (LUT inputs): Q10
GATE_FRAC = 14   # sigmoid / tanh outputs: Q14
LUT_N = 4096     # entries per activation table, domain [-8, 8) with step 2^-8
COUNT_FRAC = 0   # input counts: Q0

ARITHMETIC = {
    "fixed_point_version": FIXED_POINT_VERSION,
    "act_frac": ACT_FRAC,
    "pre_frac": PRE_FRAC,
    "gate_frac": GATE_FRAC,
    "lut_n": LUT_N,
}

# dtype name (BUNDLE.md) -> little-endian numpy dtype
DTYPES = {
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
    "int8": np.dtype("i1"),
    "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "uint8": np.dtype("u1"),
}

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class BundleError(ValueError):
    """A bundle that cannot be written or read; the message names the offending tensor or key."""


# ----------------------------------------------------------------------------------------------------------------
# Rounding and quantisation (FIXED_POINT.md section 2)
# ----------------------------------------------------------------------------------------------------------------

def round_half_away(x):
    """Round to the nearest integer, ties away from zero: sign(x) * floor(|x| + 0.5).

    numpy's np.round rounds ties to even, which FIXED_POINT.md forbids. Returns float64."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def saturate(x, bits):
    """Clamp integers to the signed range of `bits` bits."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(x, lo, hi)


def weight_frac_bits(w):
    """F_W: the largest f in [0, 15] with round(max|W| * 2^f) <= 32767 (15 for an empty or all-zero matrix).

    Raises BundleError when even f = 0 does not fit (|w| >= 32767.5)."""
    w = np.asarray(w, dtype=np.float64)
    m = float(np.max(np.abs(w))) if w.size else 0.0
    if not math.isfinite(m):
        raise BundleError("non-finite weight")
    for f in range(15, -1, -1):
        if round_half_away(m * (1 << f)) <= 32767:
            return f
    raise BundleError("weight magnitude %g does not fit int16 at 0 fractional bits" % m)


def quantize_weight(w):
    """Returns (int16 W_q, F_W) with W_q = round_half_away(W * 2^F_W)."""
    f = weight_frac_bits(w)
    q = round_half_away(np.asarray(w, dtype=np.float64) * (1 << f))
    return q.astype(np.int16), f


def quantize_bias(b, frac_bits):
    """b_q = sat_32(round_half_away(b * 2^frac_bits)) with frac_bits = F_W + F_v (the accumulator scale)."""
    q = round_half_away(np.asarray(b, dtype=np.float64) * float(2 ** frac_bits))
    return saturate(q, 32).astype(np.int32)


def quantize_state(v, frac_bits=ACT_FRAC):
    """An activation-format vector (initial states h0, g0): sat_16(round_half_away(v * 2^12))."""
    q = round_half_away(np.asarray(v, dtype=np.float64) * (1 << frac_bits))
    return saturate(q, 16).astype(np.int16)


def _lut(fn):
    i = np.arange(LUT_N, dtype=np.float64)
    p = -8.0 + (i + 0.5) * 2.0 ** -8
    return round_half_away(fn(p) * (1 << GATE_FRAC)).astype(np.int16)


def lut_sigmoid():
    """FIXED_POINT.md section 4: lut_sigmoid[i] = round_half_away(sigma(-8 + (i + 0.5) 2^-8) 2^14), int16[4096]."""
    return _lut(lambda p: 1.0 / (1.0 + np.exp(-p)))


def lut_tanh():
    """FIXED_POINT.md section 4: lut_tanh[i] = round_half_away(tanh(-8 + (i + 0.5) 2^-8) 2^14), int16[4096]."""
    return _lut(np.tanh)


def lut_index(p):
    """index(p) = clamp((p + 8 * 2^PRE) >> (PRE - 8), 0, LUT_N - 1) for an integer Q10 pre-activation sum p."""
    p = np.asarray(p, dtype=np.int64)
    return np.clip((p + (8 << PRE_FRAC)) >> (PRE_FRAC - 8), 0, LUT_N - 1)


# ----------------------------------------------------------------------------------------------------------------
# Tensors
# ----------------------------------------------------------------------------------------------------------------

class Tensor:
    """One bundle tensor: a numpy array stored with a BUNDLE.md dtype, plus frac_bits for fixed-point tensors."""

    __slots__ = ("array", "dtype", "frac_bits")

    def __init__(self, array, dtype=None, frac_bits=None):
        a = np.asarray(array)
        if dtype is None:
            dtype = {np.dtype("float32"): "float32", np.dtype("float64"): "float64", np.dtype("int8"): "int8",
                     np.dtype("int16"): "int16", np.dtype("int32"): "int32", np.dtype("int64"): "int64",
                     np.dtype("uint8"): "uint8"}.get(a.dtype.newbyteorder("="))
            if dtype is None:
                raise BundleError("unsupported dtype %s" % a.dtype)
        if dtype not in DTYPES:
            raise BundleError("unknown dtype %r" % dtype)
        self.array = np.ascontiguousarray(a.astype(DTYPES[dtype]))
        self.dtype = dtype
        self.frac_bits = frac_bits


def _tensor_bytes(t):
    return t.array.astype(DTYPES[t.dtype], copy=False).tobytes(order="C")


def write_bundle(path, model_type, name, created_by, hyperparameters, tensors, arithmetic=True, extra=None):
    """Write a bundle to `path` (a .rbundle ZIP file).

    tensors: dict name -> Tensor (or numpy array, stored with its own dtype). A float tensor with a NaN or an
    infinity is refused, naming it. extra: further top-level manifest keys (e.g. "golden"). Returns the manifest."""
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_type": model_type,
        "name": name,
        "created_by": created_by,
        "hyperparameters": hyperparameters,
    }
    if arithmetic:
        manifest["arithmetic"] = dict(ARITHMETIC)
    entries = {}
    meta = {}
    for tname in sorted(tensors):
        t = tensors[tname]
        if not isinstance(t, Tensor):
            t = Tensor(t)
        if "/" in tname or "\\" in tname or not tname:
            raise BundleError("tensor %r: a name may not be empty or contain a path separator" % tname)
        if t.dtype.startswith("float") and not np.all(np.isfinite(t.array)):
            raise BundleError("tensor %s: non-finite value" % tname)
        data = _tensor_bytes(t)
        m = {"dtype": t.dtype, "shape": [int(s) for s in t.array.shape],
             "sha256": hashlib.sha256(data).hexdigest()}
        if t.frac_bits is not None:
            m["frac_bits"] = int(t.frac_bits)
        meta[tname] = m
        entries["tensors/%s.bin" % tname] = data
    manifest["tensors"] = meta
    if extra:
        for k, v in extra.items():
            if k in manifest:
                raise BundleError("extra manifest key %r collides with a standard key" % k)
            manifest[k] = v
    tmp = str(path) + ".tmp"
    d = os.path.dirname(os.path.abspath(str(path)))
    os.makedirs(d, exist_ok=True)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        def put(arcname, data):
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=9)
        put("manifest.json", (json.dumps(manifest, indent=1, sort_keys=False) + "\n").encode("utf-8"))
        for arcname in sorted(entries):
            put(arcname, entries[arcname])
    os.replace(tmp, path)
    return manifest


def _expected_size(shape, dtype):
    n = 1
    for s in shape:
        if not isinstance(s, int) or s < 0:
            raise BundleError("bad shape %r" % (shape,))
        n *= s
    return n * DTYPES[dtype].itemsize


def read_bundle(path):
    """Read and validate a bundle (ZIP file or unpacked directory). Returns (manifest, dict name -> numpy array).

    Refuses, naming the tensor: a missing file, an unknown dtype, a size or SHA-256 mismatch, a non-finite float.
    Refuses an unknown format or format_version."""
    if os.path.isdir(path):
        def get(arc):
            p = os.path.join(path, arc)
            if not os.path.isfile(p):
                return None
            with open(p, "rb") as f:
                return f.read()
        zf = None
    else:
        zf = zipfile.ZipFile(path, "r")
        names = set(zf.namelist())

        def get(arc):
            return zf.read(arc) if arc in names else None
    try:
        raw = get("manifest.json")
        if raw is None:
            raise BundleError("%s: no manifest.json" % path)
        manifest = json.loads(raw.decode("utf-8"))
        if manifest.get("format") != FORMAT:
            raise BundleError("%s: format %r is not %r" % (path, manifest.get("format"), FORMAT))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BundleError("%s: unsupported format_version %r" % (path, manifest.get("format_version")))
        tensors = {}
        for tname, m in manifest.get("tensors", {}).items():
            dtype = m.get("dtype")
            if dtype not in DTYPES:
                raise BundleError("tensor %s: unknown dtype %r" % (tname, dtype))
            shape = m.get("shape")
            if not isinstance(shape, list):
                raise BundleError("tensor %s: missing shape" % tname)
            data = get("tensors/%s.bin" % tname)
            if data is None:
                raise BundleError("tensor %s: missing file tensors/%s.bin" % (tname, tname))
            want = _expected_size(shape, dtype)
            if len(data) != want:
                raise BundleError("tensor %s: file has %d bytes, shape %s of %s needs %d"
                                  % (tname, len(data), shape, dtype, want))
            digest = hashlib.sha256(data).hexdigest()
            if digest != m.get("sha256"):
                raise BundleError("tensor %s: sha256 mismatch (file %s, manifest %s)"
                                  % (tname, digest, m.get("sha256")))
            a = np.frombuffer(data, dtype=DTYPES[dtype]).reshape(shape).copy()
            if dtype.startswith("float") and not np.all(np.isfinite(a)):
                raise BundleError("tensor %s: non-finite value" % tname)
            tensors[tname] = a
        return manifest, tensors
    finally:
        if zf is not None:
            zf.close()
