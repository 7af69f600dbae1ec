"""Adaptive poll interval (Miniflux entry-frequency) and exponential back-off: pure numbers."""

from __future__ import annotations

from monitor.adaptive import adaptive_interval, backoff_delay, cache_max_age, with_server_floor

HOUR = 3600.0


def test_interval_follows_mean_time_between_new_entries() -> None:
    """Polls every hour finding 2, 0, 1, 1 new entries over 4 h give 4 h / 4 entries = 1 h."""
    t0 = 1_000_000.0
    history = [[t0, 25], [t0 + HOUR, 2], [t0 + 2 * HOUR, 0], [t0 + 3 * HOUR, 1], [t0 + 4 * HOUR, 1]]
    assert adaptive_interval(history, t0 + 4 * HOUR, 900, 300, 6 * HOUR) == HOUR


def test_busy_feed_is_bounded_by_min_interval() -> None:
    """A feed with 40 new entries per 15-min poll is polled at min_interval (300 s), not faster."""
    t0 = 0.0
    history = [[t0 + i * 900, 40] for i in range(5)]
    assert adaptive_interval(history, t0 + 4 * 900, 900, 300, 6 * HOUR) == 300


def test_quiet_feed_goes_to_max_interval() -> None:
    """Three polls after the first with nothing new give max_interval."""
    history = [[0.0, 10], [900.0, 0], [1800.0, 0], [2700.0, 0]]
    assert adaptive_interval(history, 2700.0, 900, 300, 6 * HOUR) == 6 * HOUR


def test_too_few_observations_keep_the_configured_interval() -> None:
    """The first poll (backlog) and two more are not enough: the configured 900 s stays."""
    assert adaptive_interval([[0.0, 30], [900.0, 5], [1800.0, 5]], 1800.0, 900, 300, 6 * HOUR) == 900


def test_server_floor_ttl_and_max_age() -> None:
    """An interval below the feed's <ttl> (3600 s) or Cache-Control max-age (7200 s) is raised to it."""
    assert with_server_floor(600, 3600, None) == 3600
    assert with_server_floor(600, 3600, cache_max_age({"Cache-Control": "public, max-age=7200"})) == 7200
    assert with_server_floor(600, None, cache_max_age({"cache-control": "no-cache, max-age=7200"})) == 600


def test_backoff_doubles_and_is_capped() -> None:
    """Back-off after 1, 2, 3 errors at a 600-s interval is 600, 1200, 2400 s; 20 errors give the 24 h cap."""
    assert [backoff_delay(n, 600, 86400) for n in (0, 1, 2, 3)] == [0, 600, 1200, 2400]
    assert backoff_delay(20, 600, 86400) == 86400
