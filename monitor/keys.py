"""Every Redis key name and RQ queue name, under one configurable prefix.

Tests and several deployments can share one Redis server by using different
prefixes. No other module builds key strings.
"""

from __future__ import annotations

from dataclasses import dataclass

QUEUES = ("polls", "entries", "alerts")


@dataclass(frozen=True)
class Keys:
    """Key builder bound to a prefix (``Settings.key_prefix``)."""

    prefix: str

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # RQ queues ---------------------------------------------------------------
    def queue(self, name: str) -> str:
        """RQ queue name for ``name`` in :data:`QUEUES` (RQ stores it as ``rq:queue:<this>``)."""
        if name not in QUEUES:
            raise ValueError(f"unknown queue {name!r}; known: {', '.join(QUEUES)}")
        return self._k(name)

    # documents staged for replay jobs -----------------------------------------
    def staged_document(self, doc_id: str) -> str:
        return self._k("doc", doc_id)

    # items, stories, dedup ----------------------------------------------------
    def item(self, item_id: str) -> str:
        return self._k("item", item_id)

    def items_stream(self) -> str:
        return self._k("items")

    def seen_url(self, url_hash: str) -> str:
        return self._k("seen", "url", url_hash)

    def seen_text(self, text_hash: str) -> str:
        return self._k("seen", "text", text_hash)

    def story(self, story_id: str) -> str:
        return self._k("story", story_id)

    def story_items(self, story_id: str) -> str:
        return self._k("story", story_id, "items")

    def story_outlets(self, story_id: str) -> str:
        return self._k("story", story_id, "outlets")

    def lsh_bucket(self, generation: int, band: int, bucket: str) -> str:
        """HASH of one LSH band's buckets for one time generation (field: rest of the band hash).

        Always ``lsh_bucket_prefix() + f"{generation}:{band}:{bucket}"`` (the dedup Lua script
        builds the names from the prefix).
        """
        return self._k("lsh", str(generation), str(band), bucket)

    def lsh_bucket_prefix(self) -> str:
        """The common prefix of every :meth:`lsh_bucket` key."""
        return self._k("lsh", "")

    def minhash(self, item_id: str) -> str:
        return self._k("minhash", item_id)

    # alerts ----------------------------------------------------------------
    def alert(self, alert_id: str) -> str:
        return self._k("alert", alert_id)

    def alerts_stream(self) -> str:
        return self._k("alerts")

    def alert_once(self, rule: str, story_id: str) -> str:
        return self._k("alert-once", rule, story_id)

    def alert_delivery(self, alert_id: str) -> str:
        return self._k("alert", alert_id, "delivery")

    def alert_delivery_jobs(self, alert_id: str) -> str:
        """Hash channel -> id of the RQ job delivering the alert there (``requeues:<channel>``: count)."""
        return self._k("alert", alert_id, "jobs")

    def deliveries_due(self) -> str:
        """Sorted set of alert ids with a channel not yet settled, scored by when (epoch seconds) the
        alert was recorded or last handed to a delivery job (``monitor/outbox.py``)."""
        return self._k("alerts-due")

    def deliveries_reconcile_lock(self) -> str:
        """Held while one process runs the delivery reconciler (``monitor/outbox.py``)."""
        return self._k("alerts-reconcile")

    def digest(self, rule: str, channel: str) -> str:
        """List of ``"<epoch seconds> <alert id>"`` waiting for the next digest of rule and channel."""
        return self._k("digest", rule, channel)

    def digest_scheduled(self, rule: str, channel: str) -> str:
        """Marker: a flush job is scheduled for the digest of rule and channel."""
        return self._k("digest-scheduled", rule, channel)

    def digest_batch(self, batch_id: str) -> str:
        """Hash of one taken digest (``rule``, ``channel``, ``alert_ids``, ``job``, ``requeues``, ``taken_at``),
        kept until its message is delivered or failed for good (``monitor/digest.py``)."""
        return self._k("digest-batch", batch_id)

    def digests_due(self) -> str:
        """Sorted set of digest batch ids not yet settled, scored by when (epoch seconds) the batch was
        handed to its current delivery job (``monitor/outbox.py`` hands lost ones to new jobs)."""
        return self._k("digests-due")

    # feeds -----------------------------------------------------------------
    def feed_state(self, feed_id: str) -> str:
        return self._k("feed", feed_id, "state")

    def feed_seen(self, feed_id: str) -> str:
        return self._k("feed", feed_id, "seen")

    def poll_slot(self, feed_id: str, slot: int) -> str:
        return self._k("poll-slot", feed_id, str(slot))

    def scheduler_leader(self) -> str:
        return self._k("scheduler", "leader")

    def host_limit(self, host: str) -> str:
        """Sorted set of the requests in flight to ``host`` (member: token, score: lease expiry)."""
        return self._k("host", host)

    def host_last_start(self, host: str) -> str:
        """Epoch seconds of the last request started to ``host`` (rate of starts)."""
        return self._k("host", host, "last-start")

    def host_next_page(self, host: str) -> str:
        """Epoch seconds from which the next article page of ``host`` may be fetched: each entry job
        reserves its turn here (:meth:`monitor.politeness.HostLimiter.reserve_page`)."""
        return self._k("host", host, "next-page")

    def host_backoff(self, host: str) -> str:
        """Epoch seconds until which ``host`` asked us (429) to stay away."""
        return self._k("host", host, "backoff")

    def feed_poll_lock(self, feed_id: str) -> str:
        """Held while one poll of ``feed_id`` runs, so two polls of one feed never overlap."""
        return self._k("feed", feed_id, "polling")

    def scheduler_feeds(self) -> str:
        """Hash feed id -> JSON of the schedule the scheduler applies (for ``feeds list``)."""
        return self._k("scheduler", "feeds")

    # service: metrics counters, supervisor heartbeat ----------------------------
    def metrics(self) -> str:
        """Hash of counters and histogram buckets shared by every process (``monitor/metrics.py``)."""
        return self._k("metrics")

    def config_errors(self) -> str:
        """Hash part (``rules``: topics.yaml and alerts.yaml in the workers, ``feeds``: feeds.yaml in
        the scheduler) -> JSON of the last failed reload (error, unix time, process); a part's field
        is removed when its files load again (``monitor/config_health.py``)."""
        return self._k("config", "errors")

    def pattern(self) -> str:
        """Glob matching every key of this prefix (for clean-up in tests and tools)."""
        return self._k("*")
