"""news-monitor: a multilingual content-monitoring ingestion daemon.

Feeds are polled by a scheduler, entries become RQ jobs, workers extract,
deduplicate and classify articles and raise alerts once per story and rule.
"""

__version__ = "0.1.0"
USER_AGENT = f"news-monitor/{__version__} (+https://example.invalid/news-monitor)"
