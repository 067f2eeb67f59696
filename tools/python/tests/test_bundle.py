import hashlib
import json
import os
import tempfile
import unittest
import zipfile

import _support  # noqa: F401
import numpy as np

import reflex_bundle as rb


def _rewrite_zip(src, dst, edit):
    """Copy a bundle, passing every (name, bytes) through edit(name, data) -> bytes or None (drop)."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
        for n in zi.namelist():
            d = edit(n, zi.read(n))
            if d is not None:
                zo.writestr(n, d)


class BundleRoundTrip(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "m.rbundle")
        rng = np.random.default_rng(0)
        self.tensors = {
            "a.weight": rng.standard_normal((3, 5)).astype(np.float32),
            "a.weight:q": rb.Tensor(np.arange(15, dtype=np.int16).reshape(3, 5) - 7, "int16", 13),
            "b": rb.Tensor(np.array([-2 ** 31, 2 ** 31 - 1, 0], dtype=np.int32), "int32", 25),
            "c": rng.standard_normal((2, 1, 4)),
            "empty": rb.Tensor(np.zeros((6, 0), np.float32), "float32"),
            "u8": np.array([0, 255], dtype=np.uint8),
            "i64": np.array([-(2 ** 62)], dtype=np.int64),
            "i8": np.array([-128, 127], dtype=np.int8),
        }
        self.manifest = rb.write_bundle(self.path, "lfads", "t", "test", {"gen_dim": 5}, self.tensors)

    def tearDown(self):
        self.dir.cleanup()

    def test_round_trip_values_dtypes_shapes(self):
        m, t = rb.read_bundle(self.path)
        self.assertEqual(m["format"], "reflex-bundle")
        self.assertEqual(m["format_version"], 1)
        self.assertEqual(m["arithmetic"], {"fixed_point_version": 1, "act_frac": 12, "pre_frac": 10,
                                           "gate_frac": 14, "lut_n": 4096})
        self.assertEqual(set(t), set(self.tensors))
        for k, v in self.tensors.items():
            a = v.array if isinstance(v, rb.Tensor) else v
            np.testing.assert_array_equal(t[k], a)
            self.assertEqual(t[k].dtype.newbyteorder("="), a.dtype.newbyteorder("="), k)
            self.assertEqual(list(t[k].shape), m["tensors"][k]["shape"])
        self.assertEqual(m["tensors"]["a.weight:q"]["frac_bits"], 13)
        self.assertNotIn("frac_bits", m["tensors"]["a.weight"])
        self.assertEqual(m["tensors"]["empty"]["shape"], [6, 0])

    def test_little_endian_row_major_and_sha256(self):
        with zipfile.ZipFile(self.path) as z:
            raw = z.read("tensors/a.weight.bin")
            manifest = json.loads(z.read("manifest.json"))
        self.assertEqual(raw, self.tensors["a.weight"].astype("<f4").tobytes(order="C"))
        self.assertEqual(hashlib.sha256(raw).hexdigest(), manifest["tensors"]["a.weight"]["sha256"])
        with zipfile.ZipFile(self.path) as z:
            qraw = z.read("tensors/a.weight:q.bin")
        self.assertEqual(qraw[:4], bytes([0xF9, 0xFF, 0xFA, 0xFF]))  # -7, -6 as little-endian int16

    def test_deterministic_bytes(self):
        other = os.path.join(self.dir.name, "m2.rbundle")
        rb.write_bundle(other, "lfads", "t", "test", {"gen_dim": 5}, self.tensors)
        with open(self.path, "rb") as f1, open(other, "rb") as f2:
            self.assertEqual(f1.read(), f2.read())

    def test_directory_layout_reads_the_same(self):
        d = os.path.join(self.dir.name, "unpacked")
        with zipfile.ZipFile(self.path) as z:
            z.extractall(d)
        m, t = rb.read_bundle(d)
        np.testing.assert_array_equal(t["c"], self.tensors["c"])

    def test_hash_mismatch_names_tensor(self):
        bad = os.path.join(self.dir.name, "bad.rbundle")

        def edit(n, d):
            if n == "tensors/c.bin":
                d = bytearray(d)
                d[3] ^= 1
                return bytes(d)
            return d
        _rewrite_zip(self.path, bad, edit)
        with self.assertRaisesRegex(rb.BundleError, r"tensor c: sha256 mismatch"):
            rb.read_bundle(bad)

    def test_size_mismatch_names_tensor(self):
        bad = os.path.join(self.dir.name, "bad.rbundle")

        def edit(n, d):
            if n == "manifest.json":
                m = json.loads(d)
                m["tensors"]["a.weight"]["shape"] = [3, 6]
                return json.dumps(m).encode()
            return d
        _rewrite_zip(self.path, bad, edit)
        with self.assertRaisesRegex(rb.BundleError, r"tensor a.weight: file has 60 bytes, shape \[3, 6\]"):
            rb.read_bundle(bad)

    def test_missing_file_and_unknown_dtype(self):
        bad = os.path.join(self.dir.name, "bad.rbundle")
        _rewrite_zip(self.path, bad, lambda n, d: None if n == "tensors/b.bin" else d)
        with self.assertRaisesRegex(rb.BundleError, r"tensor b: missing file"):
            rb.read_bundle(bad)

        def edit(n, d):
            if n == "manifest.json":
                m = json.loads(d)
                m["tensors"]["u8"]["dtype"] = "bfloat16"
                return json.dumps(m).encode()
            return d
        _rewrite_zip(self.path, bad, edit)
        with self.assertRaisesRegex(rb.BundleError, r"tensor u8: unknown dtype 'bfloat16'"):
            rb.read_bundle(bad)

    def test_unknown_format_version_refused(self):
        bad = os.path.join(self.dir.name, "bad.rbundle")

        def edit(n, d):
            if n == "manifest.json":
                m = json.loads(d)
                m["format_version"] = 2
                return json.dumps(m).encode()
            return d
        _rewrite_zip(self.path, bad, edit)
        with self.assertRaisesRegex(rb.BundleError, "unsupported format_version 2"):
            rb.read_bundle(bad)

    def test_non_finite_refused_on_write_and_read(self):
        with self.assertRaisesRegex(rb.BundleError, "tensor x: non-finite"):
            rb.write_bundle(os.path.join(self.dir.name, "n.rbundle"), "lfads", "t", "test", {},
                            {"x": np.array([1.0, np.nan], np.float32)})
        bad = os.path.join(self.dir.name, "bad.rbundle")
        nan = np.array([np.inf], "<f8").tobytes()

        def edit(n, d):
            if n == "manifest.json":
                m = json.loads(d)
                m["tensors"]["c"]["shape"] = [1]
                m["tensors"]["c"]["sha256"] = hashlib.sha256(nan).hexdigest()
                return json.dumps(m).encode()
            return nan if n == "tensors/c.bin" else d
        _rewrite_zip(self.path, bad, edit)
        with self.assertRaisesRegex(rb.BundleError, "tensor c: non-finite"):
            rb.read_bundle(bad)


if __name__ == "__main__":
    unittest.main()
