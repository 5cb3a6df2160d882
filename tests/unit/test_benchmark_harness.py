"""Smoke test of the benchmark harness (``python -m benchmarks --quick``): it runs and reports.

Timings in quick mode are meaningless; this only checks that the command works,
that every target is reported and that the JSON output is a flat object.
"""

import json
import math
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not (ROOT / "benchmarks" / "run.py").exists(), reason="benchmarks/ not present")
def test_quick_benchmark_run_writes_flat_json(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(out.read_text())
    assert results["quick"] is True and results["blas_threads"] == 1
    for key in ("pcd_b10_time_ratio", "pcd_b100_time_ratio", "gibbs_f64_speedup", "gibbs_f32_speedup",
                "cd_large_matmul_efficiency", "exact_logz_peak_mib", "ais_seconds", "ais_abs_error_max"):
        assert isinstance(results[key], float) and math.isfinite(results[key]) and results[key] > 0
    assert all(not isinstance(value, (dict, list)) for value in results.values())
    assert "PASS" in completed.stdout or "FAIL" in completed.stdout
    assert sum(key.startswith("pass_") for key in results) == 12
