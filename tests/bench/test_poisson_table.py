#!/usr/bin/env python3
"""bench/poisson_table's tables from kept runs (no fitting): merging the runs of several sessions,
refusing runs of another setting, the RESULTS.md section it rewrites, and clear errors for bad input.

    python3 tests/bench/test_poisson_table.py [--script bench/poisson_table]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "poisson_table")


def report(psnr, device="GPU A", ms=7.0):
    return {"psnr_db": psnr, "gradient_psnr_db": psnr + 20, "laplacian_psnr_db": psnr + 10, "ms_per_step": ms,
            "device": device}


def kept(runs, date="2026-11-27", failed=(), **meta):
    m = {"image": "assets/camera.png", "size": 256, "steps": 10000, "lr": 1e-4, "backend": "cuda",
         "precision": "fp32", "activations": ",".join(runs)}
    m.update(meta)
    return {"meta": m, "date": date, "runs": runs, "failed": [list(f) for f in failed]}


class PoissonTable(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, obj):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(obj if isinstance(obj, str) else json.dumps(obj))
        return path

    def table(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60)

    def row(self, out, network, supervision):
        for line in out.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) > 2 and cells[0] == network and cells[1] == supervision:
                return cells
        self.fail(f"no row {network} / {supervision} in:\n{out}")

    def test_merges_sessions_later_runs_replace_earlier_ones_and_failures(self):
        first = self.write("a.json", kept({"sine": {"gradient": report(32.19), "laplacian": report(15.21)},
                                           "tanh": {"gradient": report(29.32)}},
                                          failed=[("tanh", "laplacian", "out of time")]))
        second = self.write("b.json", kept({"tanh": {"laplacian": report(7.5, device="GPU B")},
                                            "relu-pe": {"laplacian": report(11.0, device="GPU B")}},
                                           date="2026-12-01"))
        r = self.table("--from-json", first, "--from-json", second)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.row(r.stdout, "SIREN", "gradient")[2], "32.19")
        self.assertEqual(self.row(r.stdout, "tanh", "laplacian")[2], "7.50")  # the failure is replaced
        self.assertEqual(self.row(r.stdout, "ReLU P.E.", "laplacian")[2], "11.00")
        self.assertEqual(self.row(r.stdout, "ReLU P.E.", "gradient")[2], "not run")
        self.assertIn("GPU A; GPU B", r.stdout)
        self.assertIn("2026-11-27, 2026-12-01", r.stdout)

    def test_refuses_runs_of_another_setting(self):
        a = self.write("a.json", kept({"sine": {"gradient": report(32.0)}}))
        b = self.write("b.json", kept({"tanh": {"gradient": report(29.0)}}, size=128))
        r = self.table("--from-json", a, "--from-json", b)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("another setting (size 256 vs 128)", r.stderr)

    def test_write_replaces_only_its_section(self):
        runs = self.write("a.json", kept({"sine": {"gradient": report(32.19)}}))
        md = self.write("RESULTS.md", "# Results\n\nbefore\n\n<!-- poisson_table:begin -->\nold table\n"
                                      "<!-- poisson_table:end -->\n\nafter\n")
        r = self.table("--from-json", runs, "--write", md)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = open(md).read()
        self.assertNotIn("old table", text)
        self.assertIn("| SIREN | gradient | 32.19 |", text)
        self.assertTrue(text.startswith("# Results\n\nbefore\n\n<!-- poisson_table:begin -->"))
        self.assertTrue(text.endswith("<!-- poisson_table:end -->\n\nafter\n"))

    def test_bad_input_gives_a_clear_error(self):
        corrupt = self.write("bad.json", "{not json")
        r = self.table("--from-json", corrupt)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("is not a file of runs written by --json", r.stderr)
        r = self.table("--from-json", os.path.join(self.dir.name, "missing.json"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("missing.json", r.stderr)
        for wrong in ({"meta": 5, "date": "x", "runs": {}}, {"meta": {}, "date": "x", "runs": {"sine": 3}},
                      {"meta": {}, "date": "x", "runs": {}, "failed": [[1]]}):
            r = self.table("--from-json", self.write("wrong.json", wrong))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("is not a file of runs written by --json", r.stderr)
            self.assertNotIn("Traceback", r.stderr)
        r = self.table("--supervise", "lap", "--from-json", corrupt)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--supervise takes gradient and/or laplacian", r.stderr)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--script", default=SCRIPT)
    args, rest = p.parse_known_args()
    SCRIPT = args.script
    unittest.main(argv=[sys.argv[0], *rest])
