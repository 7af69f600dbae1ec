"""Run the benchmarks and print a table (``--json``: one JSON object on the last stdout line).

    python bench/run.py [--json] [--quick] [--only NAME[,NAME...]]

Figures (one module each, each a function returning a dict): extract (``extract_ratio``),
classify (``classify_docs_per_s``), dedup, polling, memory, latency. A figure whose component
has not landed, or that fails, reports ``"status": "unavailable: <why>"`` / ``"error: <why>"``
and the others still run. Every figure uses a private ``redis-server`` started here on a free
loopback port (no persistence), never the shared Redis. ``--quick`` is a smoke mode with small
sizes (figures not meaningful). Logs of the measured code go to a file, not to the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from benchkit import Ctx, machine, private_redis, scratch_dir  # noqa: E402

FIGURES = {
    "extract": "bench_extract",
    "classify": "bench_classify",
    "dedup": "bench_dedup",
    "polling": "bench_polling",
    "memory": "bench_memory",
    "latency": "bench_latency",
}


def run_figure(name: str, ctx: Ctx) -> dict[str, Any]:
    """Run one figure module; never raises (a failure becomes the figure's ``status``)."""
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(FIGURES[name])
        result = module.run(ctx)
    except ImportError as exc:
        result = {"status": f"unavailable: {exc}"}
    except Exception as exc:  # one broken figure must not stop the others
        traceback.print_exc(file=sys.stderr)
        result = {"status": f"error: {type(exc).__name__}: {exc}"}
    result.setdefault("status", "ok")
    result["seconds"] = round(time.perf_counter() - t0, 1)
    try:
        ctx.flush()
    except Exception:  # a dead private Redis is reported by the next figure
        pass
    return result


def _rows(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in _rows(f"{prefix}.{k}" if prefix else k, v)]
    if isinstance(value, float):
        return [(prefix, f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}")]
    return [(prefix, str(value))]


def table(report: dict[str, Any]) -> str:
    """The report as an aligned two-column text table, one block per figure."""
    lines = []
    m = report["machine"]
    lines.append(f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
                 f"Redis {m['redis']}, load {m['loadavg']} at start")
    for name, fig in report["figures"].items():
        lines.append("")
        lines.append(f"== {name}")
        rows = _rows("", fig)
        width = max(len(k) for k, _ in rows)
        lines.extend(f"  {k.ljust(width)}  {v}" for k, v in rows)
    lines.append("")
    quick = " (quick mode: sizes too small to mean anything)" if report["quick"] else ""
    lines.append(f"total: {report['total_s']} s{quick}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object on the last stdout line")
    parser.add_argument("--quick", action="store_true", help="smoke mode: small sizes")
    parser.add_argument("--only", default="", help=f"comma-separated figures among {', '.join(FIGURES)}")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        parser.error(f"--only: unknown figure(s) {', '.join(unknown)}; known: {', '.join(FIGURES)}")

    from monitor.logs import configure_logging

    t0 = time.perf_counter()
    report: dict[str, Any] = {"machine": machine(), "quick": args.quick, "figures": {}}
    with scratch_dir() as tmp:
        log_path = tmp / "bench.log"
        with log_path.open("w") as log_stream:
            configure_logging("json", "info", log_stream)
            with private_redis(tmp) as url:
                ctx = Ctx(redis_url=url, quick=args.quick, tmp=tmp)
                for name in names:
                    print(f"bench: {name} ...", file=sys.stderr, flush=True)
                    report["figures"][name] = run_figure(name, ctx)
                report["notes"] = ctx.notes
    report["total_s"] = round(time.perf_counter() - t0, 1)
    report["loadavg_end"] = [round(x, 2) for x in __import__("os").getloadavg()]
    if args.json:
        print(table(report), file=sys.stderr)
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
