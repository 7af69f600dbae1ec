"""Helpers for tests: running the ``monitor`` command as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_monitor(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m monitor ARGS`` from the repository root with ``env`` added to the environment."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def json_lines(stdout: str) -> list[dict[str, Any]]:
    """Parse JSON Lines output (every non-empty line must be JSON)."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
