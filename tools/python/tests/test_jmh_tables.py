import json
import os
import tempfile
import unittest

import _support  # noqa: F401

import jmh_tables


def _result(name, raw, unit="ns/op", alloc=0.002, params=None):
    r = {"benchmark": "io.reflex.demo." + name, "mode": "avgt", "params": params or {},
         "primaryMetric": {"score": sum(sum(f) for f in raw) / sum(len(f) for f in raw), "scoreError": 1.0,
                           "scoreUnit": unit, "rawData": raw},
         "secondaryMetrics": {"·gc.alloc.rate.norm": {"score": alloc, "scoreUnit": "B/op"},
                              "·gc.count": {"score": 0.0, "scoreUnit": "counts"}}}
    return r


class JmhTablesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        with open(os.path.join(self.dir, "runtime.json"), "w") as f:
            json.dump([_result("PipelineBenchmark.pipelineFrame", [[3000.0, 3500.0, 3100.0], [2900.0, 9000.0]]),
                       _result("LslPushPullBenchmark.pushPull", [[80.0, 90.0, 85.0]], params={"channels": "8"})],
                      f)
        with open(os.path.join(self.dir, "run.json"), "w") as f:
            json.dump({"date": "2026-12-03T12:00:00Z", "commit": "abc1234", "cpus": 2, "cpu": "EPYC",
                       "os": "Linux 6.1", "jdk": "openjdk 17.0.15", "quick": True, "load_average": 1.5}, f)

    def test_rows_take_the_median_and_range_of_every_iteration_of_every_fork(self):
        text, by_module, run = jmh_tables.tables(self.dir)
        rows = by_module["runtime"]
        self.assertEqual(rows[0]["benchmark"], "PipelineBenchmark.pipelineFrame")
        self.assertEqual(rows[0]["median"], 3100.0)  # of 2900, 3000, 3100, 3500, 9000
        self.assertEqual((rows[0]["min"], rows[0]["max"]), (2900.0, 9000.0))
        self.assertEqual(rows[0]["iterations"], 5)
        self.assertEqual(rows[1]["params"], "channels=8")
        self.assertIn("| PipelineBenchmark.pipelineFrame | – | 3100 | 2900–9000 | ns/op | 0.002 | 0 |", text)
        self.assertIn("commit abc1234", text)
        self.assertIn("quick settings", text)

    def test_update_rewrites_only_the_generated_block(self):
        doc = os.path.join(self.dir, "benchmarks.md")
        with open(doc, "w") as f:
            f.write("# Benchmarks\n\nhand-written\n\n" + jmh_tables.BEGIN + "\nold tables\n" + jmh_tables.END
                    + "\n\nafter\n")
        self.assertEqual(jmh_tables.main([self.dir, "--update", doc]), 0)
        with open(doc) as f:
            s = f.read()
        self.assertTrue(s.startswith("# Benchmarks\n\nhand-written\n\n" + jmh_tables.BEGIN))
        self.assertNotIn("old tables", s)
        self.assertIn("PipelineBenchmark.pipelineFrame", s)
        self.assertTrue(s.endswith(jmh_tables.END + "\n\nafter\n"))

    def test_a_document_without_the_block_and_a_foreign_file_are_refused(self):
        doc = os.path.join(self.dir, "plain.md")
        with open(doc, "w") as f:
            f.write("# nothing generated here\n")
        self.assertEqual(jmh_tables.main([self.dir, "--update", doc]), 2)
        with open(doc) as f:
            self.assertEqual(f.read(), "# nothing generated here\n")
        with open(os.path.join(self.dir, "stim.json"), "w") as f:
            json.dump({"not": "a list"}, f)
        with self.assertRaises(ValueError):
            jmh_tables.tables(self.dir)


if __name__ == "__main__":
    unittest.main()
