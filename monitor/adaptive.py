"""Adaptive poll interval and exponential back-off: pure functions over numbers (seconds).

Adaptive interval: Miniflux's "entry frequency" scheduler (``POLLING_SCHEDULER=entry_frequency``,
``internal/model/feed.go``, ``ScheduleNextCheck``): the next interval is the observation window
divided by the number of new entries seen in it, i.e. the mean time between publications, so
a feed is polled about once per new entry; a window with no new entry gives the maximum
interval. We estimate the rate from our own polls (new entries per poll, Poisson maximum
likelihood: count / observed time, as in Cho & Garcia-Molina, "Estimating Frequency of Change",
ACM TOIT 2003, for the case where the number of changes is observed) instead of publication
dates, which feeds get wrong. The result is bounded by the feed's ``min_interval`` and
``max_interval`` and never below what the server asked for: RSS ``<ttl>`` and
``Cache-Control: max-age``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

WINDOW = 7 * 86400.0  #: observation window of the rate estimate (seconds), Miniflux's one week
MIN_OBSERVATIONS = 3  #: successful polls (after the first) needed before the interval adapts

_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def cache_max_age(headers: Mapping[str, str]) -> float | None:
    """Seconds of ``Cache-Control: max-age`` (or ``s-maxage``) in ``headers``, None when absent."""
    value = next((v for k, v in headers.items() if k.lower() == "cache-control"), None)
    if not value or "no-cache" in value.lower() or "no-store" in value.lower():
        return None
    match = _MAX_AGE.search(value)
    return float(match.group(1)) if match else None


def adaptive_interval(history: Sequence[Sequence[float]], now: float, configured: float,
                      min_interval: float, max_interval: float) -> float:
    """Next poll interval (seconds) from the poll ``history`` (``[poll_time, new_entries]`` pairs).

    The first poll is ignored (its "new" entries are the backlog). With fewer than
    :data:`MIN_OBSERVATIONS` later polls in the window the configured interval is kept.
    Otherwise: ``observed_time / new_entries`` clamped to ``[min_interval, max_interval]``,
    ``max_interval`` when no entry was new.
    """
    first = next((i for i in range(1, len(history)) if now - history[i][0] <= WINDOW), None)
    if first is None or len(history) - first < MIN_OBSERVATIONS:
        return float(configured)
    observed = max(now - history[first - 1][0], 1.0)
    new = sum(n for _, n in history[first:])
    if new <= 0:
        return float(max_interval)
    return float(min(max_interval, max(min_interval, observed / new)))


def with_server_floor(interval: float, ttl: float | None, max_age: float | None) -> float:
    """``interval`` raised to the feed's ``<ttl>`` and ``Cache-Control: max-age`` (seconds)."""
    return max([interval, *(v for v in (ttl, max_age) if v)])


def backoff_delay(consecutive_errors: int, base: float, cap: float) -> float:
    """Exponential back-off after ``consecutive_errors`` failures: ``base * 2**(errors-1)``, capped.

    ``base`` is the feed's interval, so one failure keeps the normal rhythm, two double it, and
    so on up to ``cap`` (24 h by default, ``MONITOR_MAX_BACKOFF``).
    """
    if consecutive_errors <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(consecutive_errors - 1, 30)))
