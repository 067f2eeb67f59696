"""Shared set-up for the tool tests: import paths, a clear message when numpy/torch are missing, one thread, and
a final summary line "N passed, N failed" after unittest's own report (CI reads it)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

try:
    import numpy  # noqa: F401
    import torch
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError("%s: the Python tool tests need Debian's python3-numpy and python3-torch for /usr/bin/python3 "
                      "(sudo apt-get install python3-numpy python3-torch; ./reflex test installs them when run as "
                      "root)" % e) from e

torch.set_num_threads(1)

if not getattr(unittest.TextTestRunner, "_reflex_summary", False):
    _run = unittest.TextTestRunner.run

    def _run_with_summary(self, test):
        result = _run(self, test)
        failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
        passed = result.testsRun - failed - len(result.skipped)
        self.stream.writeln("%d passed, %d failed" % (passed, failed))
        self.stream.flush()
        return result

    unittest.TextTestRunner.run = _run_with_summary
    unittest.TextTestRunner._reflex_summary = True
