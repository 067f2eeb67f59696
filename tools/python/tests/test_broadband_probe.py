"""broadband-throughput.py's --stall-probe report: the probe's late wake-ups set beside the daemon's deadline misses
per live progress interval."""
import importlib.util
import os
import unittest

import _support  # noqa: F401

_PATH = os.path.join(os.path.dirname(_support.TOOLS), "scripts", "broadband-throughput.py")
_spec = importlib.util.spec_from_file_location("broadband_throughput", _PATH)
bt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bt)


def _live(t, misses):
    return (t, "reflex: live %.1f/600 s  frames %d  dropped 0  deadline misses %d" % (t, int(t * 1000), misses))


class StallReportTest(unittest.TestCase):
    def setUp(self):
        # live progress at 10, 12, 14, 16, 18 s; misses grow in (12, 14] and (16, 18]
        self.lines = [(9.0, "reflex: phase live: decoding"), _live(10, 0), _live(12, 0), _live(14, 2), _live(16, 2),
                      _live(18, 3)]

    def report(self, stalls):
        return bt.stall_report(self.lines, stalls, 16000, [0, 1], 1000, 500)

    def test_a_miss_interval_names_its_longest_stall_and_the_cpus_held_over_1_ms(self):
        r = self.report([(0, 12.5, 2400.0), (1, 12.5001, 1900.0), (1, 13.2, 600.0), (0, 16.7, 800.0)])
        self.assertEqual(4, r["intervals"])
        self.assertEqual([{"from_s": 12.0, "to_s": 14.0, "misses": 2, "longest_stall_us": 2400,
                           "cpus_stalled_over_1ms": [0, 1]},
                          {"from_s": 16.0, "to_s": 18.0, "misses": 1, "longest_stall_us": 800,
                           "cpus_stalled_over_1ms": []}], r["miss_intervals"])
        self.assertEqual(0, r["clean_intervals_with_stall_over_1ms"])
        self.assertEqual((4, 2, 2400), (r["stalls"], r["stalls_over_1ms"], r["max_us"]))

    def test_a_stall_over_1_ms_in_an_interval_without_misses_is_counted_as_clean(self):
        r = self.report([(1, 10.5, 1500.0), (0, 15.0, 900.0)])
        self.assertEqual(1, r["clean_intervals_with_stall_over_1ms"])
        self.assertEqual([0, 0], [m["longest_stall_us"] for m in r["miss_intervals"]])

    def test_a_stall_that_began_before_an_interval_and_lasted_into_it_belongs_to_it(self):
        # due at 11.999 s, 3 ms late: it held the CPU until 12.002 s, inside the first miss interval too
        r = self.report([(0, 11.999, 3000.0)])
        self.assertEqual(3000, r["miss_intervals"][0]["longest_stall_us"])
        self.assertEqual([0], r["miss_intervals"][0]["cpus_stalled_over_1ms"])
        self.assertEqual(1, r["clean_intervals_with_stall_over_1ms"])   # and (10, 12], where it began

    def test_without_live_lines_there_is_nothing_to_set_beside(self):
        r = bt.stall_report([(1.0, "reflex: phase calibration")], [(0, 0.5, 700.0)], 100, [0], 1000, 500)
        self.assertEqual((0, [], 1, 700), (r["intervals"], r["miss_intervals"], r["stalls"], r["max_us"]))


class ProbeSummaryTest(unittest.TestCase):
    def test_late_wake_ups_by_cpu_and_size_and_those_that_held_both_cpus_at_once(self):
        stalls = [(0, 5.0, 2400.0), (1, 5.0005, 1900.0),      # both CPUs held at once
                  (0, 7.0, 1200.0), (1, 7.5, 5600.0),          # each alone (0.5 s apart)
                  (1, 9.0, 600.0), (0, 9.0002, 1100.0)]        # overlap, but one of them under 1 ms
        r = bt.probe_summary(stalls, 120000, [0, 1], 1000, 500, 60)
        self.assertEqual({"0": {"stalls": 3, "over_1ms": 3, "over_2ms": 1, "over_5ms": 0, "max_us": 2400},
                          "1": {"stalls": 3, "over_1ms": 2, "over_2ms": 1, "over_5ms": 1, "max_us": 5600}},
                         r["per_cpu"])
        self.assertEqual((6, 5, 5600, 2), (r["stalls"], r["stalls_over_1ms"], r["max_us"],
                                           r["over_1ms_with_another_cpu"]))
        self.assertEqual([5600, 2400, 1900, 1200, 1100, 600], [s["late_us"] for s in r["longest"]])

    def test_two_stalls_on_one_cpu_are_not_the_machine_held(self):
        r = bt.probe_summary([(0, 1.0, 3000.0), (0, 1.001, 2000.0)], 1000, [0, 1], 1000, 500, 1)
        self.assertEqual(0, r["over_1ms_with_another_cpu"])
        self.assertEqual({"stalls": 0, "over_1ms": 0, "over_2ms": 0, "over_5ms": 0, "max_us": 0}, r["per_cpu"]["1"])

    def test_only_the_twenty_longest_are_listed(self):
        r = bt.probe_summary([(0, float(i), 500.0 + i) for i in range(30)], 30000, [0], 1000, 500, 30)
        self.assertEqual(20, len(r["longest"]))
        self.assertEqual(529, r["longest"][0]["late_us"])


class ProbeStartTest(unittest.TestCase):
    def test_a_probe_that_cannot_start_stops_the_run_before_it_begins_and_says_why(self):
        missing = os.cpu_count() + 8          # no such CPU: refused whether or not this runs as root
        with self.assertRaises(SystemExit) as cm:
            bt.start_probes([missing], 1000, 500)
        self.assertIn("cannot run under SCHED_FIFO 95 on CPU %d" % missing, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
