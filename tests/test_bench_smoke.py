"""Smoke test of the benchmarks: ``bench/run.py --quick --json`` runs every figure and prints JSON.

Sizes in quick mode are too small for the figures to mean anything; this only proves that every
figure module still runs against the current code (a broken one would report ``error: ...``).
The benchmarks start their own redis-server, so the shared Redis is never touched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not on PATH")
def test_quick_run_prints_one_json_object_with_every_figure_ok() -> None:
    """The last stdout line is a JSON object whose six figures all have status ok."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=140)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(report["figures"]) == {"extract", "classify", "dedup", "polling", "memory", "latency"}
    statuses = {name: fig["status"] for name, fig in report["figures"].items()}
    assert statuses == dict.fromkeys(statuses, "ok"), statuses
    assert report["figures"]["extract"]["jobs_failed"] == 0
    assert report["figures"]["latency"]["alerts_received"] == report["figures"]["latency"]["entries"]
