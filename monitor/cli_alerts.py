"""``monitor alerts …`` (list, show, retry, flush-digests, reconcile)
and ``monitor serve`` (alerts feed over HTTP).

``--json`` prints data only on stdout: JSON Lines for ``list``, one object for ``show``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any

import typer

from monitor.cli import EXIT_CONFIG, EXIT_FAILED_INPUTS, connect_or_exit, setup, setup_to_inspect

alerts_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Recorded alerts and their delivery.", rich_markup_mode=None
)


def _recorder(inspect: bool = False):  # type: ignore[no-untyped-def]
    """Settings, config, Redis client and alert recorder; ``inspect`` (read-only commands): a
    config that does not load is a warning, see :func:`monitor.cli.setup_to_inspect`."""
    from monitor.alerts import AlertRecorder
    from monitor.keys import Keys

    settings, config = setup_to_inspect()[:2] if inspect else setup()
    connection = connect_or_exit(settings)
    recorder = AlertRecorder(
        connection,
        Keys(settings.key_prefix),
        config.alerts,
        settings.alert_retention_days * 86400,
        settings.stream_maxlen,
    )
    return settings, config, connection, recorder


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _states(deliveries: dict[str, str]) -> str:
    return ", ".join(f"{ch}: {state}" for ch, state in deliveries.items()) or "-"


@alerts_app.command("list")
def list_alerts(
    limit: Annotated[int, typer.Option(help="How many recent alerts.", min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per alert on stdout.")] = False,
) -> None:
    """Recent alerts, newest first, with the delivery state of each channel."""
    from monitor.alert_feed import alert_view

    settings, _, _, recorder = _recorder(inspect=True)
    alerts = recorder.recent(limit)
    if not alerts:  # on stderr, so --json output stays empty: "none yet" or a wrong prefix or database
        typer.echo(
            f"no alerts under key prefix {settings.key_prefix!r} (MONITOR_KEY_PREFIX) in the Redis of "
            f"MONITOR_REDIS_URL; alerts expire after {settings.alert_retention_days} days",
            err=True,
        )
    for alert in alerts:
        view = alert_view(alert, recorder.deliveries(alert.id))
        if as_json:
            _print_json(view)
        else:
            typer.echo(
                f"{alert.id}  {alert.created_at}  [{view['delivery']}] {alert.rule}: {alert.title}"
                f"  ({alert.outlets} outlet{'s' if alert.outlets != 1 else ''};"
                f" {_states(view['deliveries'])})"
            )


@alerts_app.command("show")
def show_alert(
    alert_id: Annotated[str, typer.Argument(help="Alert id (from `monitor alerts list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="The alert as one JSON object on stdout.")] = False,
) -> None:
    """One alert with its evidence (terms per topic), countries, outlets and delivery state."""
    from monitor.alert_feed import alert_view

    _, _, _, recorder = _recorder(inspect=True)
    alert = recorder.get(alert_id)
    if alert is None:
        typer.echo(f"error: alert {alert_id} not found (unknown or expired)", err=True)
        raise typer.Exit(EXIT_FAILED_INPUTS)
    view = alert_view(alert, recorder.deliveries(alert.id))
    if as_json:
        _print_json(view)
        return
    typer.echo(alert.title)
    typer.echo(
        f"rule: {alert.rule} · mode: {alert.mode} · language: {alert.language} · created: {alert.created_at}"
    )
    typer.echo(
        f"outlets: {alert.outlets} (first: {alert.outlet or '-'}) · items: {', '.join(alert.item_ids)}"
    )
    if alert.escalated_at:
        typer.echo(f"escalated: {alert.escalated_at}")
    typer.echo(f"why: {alert.reason}")
    for topic, evidence in alert.evidence.items():
        typer.echo(f"  {topic} {alert.topics.get(topic, 0):.1f}")
        for ev in evidence:
            typer.echo(f"    {ev.term} ×{ev.count} ({ev.where}, weight {ev.weight:g})")
    if alert.countries:
        typer.echo("countries: " + ", ".join(f"{c} ×{n}" for c, n in alert.countries.items()))
    typer.echo(f"link: {alert.url or '-'}")
    typer.echo(f"delivery: {_states(view['deliveries'])}")


@alerts_app.command("retry")
def retry_alert(
    alert_id: Annotated[str, typer.Argument(help="Alert id.")],
    channel: Annotated[list[str] | None, typer.Option(help="Only this channel (repeatable).")] = None,
    inline: Annotated[
        bool, typer.Option(help="Send now in this process instead of enqueueing RQ jobs.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="The outcome as one JSON object on stdout.")
    ] = False,
) -> None:
    """Send an alert again: to its channels that were not delivered (all of them if none failed)."""
    from monitor.pipeline import Pipeline

    settings, config = setup()
    pipeline = Pipeline(settings, config, connect_or_exit(settings))
    alert = pipeline.alerts.get(alert_id)
    if alert is None:
        typer.echo(f"error: alert {alert_id} not found (unknown or expired)", err=True)
        raise typer.Exit(EXIT_FAILED_INPUTS)
    unknown = [c for c in channel or () if c not in config.alerts.channels]
    if unknown:
        known = ", ".join(config.alerts.channels)
        typer.echo(f"error: --channel {', '.join(unknown)}: not defined in alerts.yaml (channels: {known})", err=True)
        raise typer.Exit(EXIT_CONFIG)
    states = pipeline.alerts.deliveries(alert_id)
    targets = list(channel or [c for c in alert.channels if not states.get(c, "").startswith("delivered")])
    targets = targets or list(alert.channels)
    if inline:
        outcome: dict[str, Any] = {"id": alert_id, "deliveries": pipeline.deliver(alert, targets)}
    else:
        from workers.jobs import enqueue_delivery

        outcome = {
            "id": alert_id,
            "jobs": dict(zip(targets, enqueue_delivery(pipeline, alert, targets), strict=True)),
        }
    if as_json:
        _print_json(outcome)
    else:
        typer.echo(
            f"{alert_id}: "
            + ", ".join(f"{k}: {v}" for k, v in (outcome.get("deliveries") or outcome["jobs"]).items())
        )
    failed = any(str(v).startswith("failed") for v in outcome.get("deliveries", {}).values())
    raise typer.Exit(EXIT_FAILED_INPUTS if failed else 0)


@alerts_app.command("flush-digests")
def flush_digests(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per digest message on stdout.")
    ] = False,
) -> None:
    """Send every waiting digest now (one message per rule and channel), in this process."""
    from monitor.pipeline import Pipeline

    settings, config = setup()
    pipeline = Pipeline(settings, config, connect_or_exit(settings))
    results = pipeline.flush_digests(force=True)
    for result in results:
        if as_json:
            _print_json(result)
        else:
            typer.echo(
                f"{result['rule']} -> {result['channel']}: {result['alerts']} alerts, {result['state']}"
            )
    raise typer.Exit(EXIT_FAILED_INPUTS if any(r["state"] != "delivered" for r in results) else 0)


@alerts_app.command("reconcile")
def reconcile(
    as_json: Annotated[
        bool, typer.Option("--json", help="What the pass did, as one JSON object on stdout.")
    ] = False,
) -> None:
    """Hand alerts whose delivery job never ran (or was lost) to new jobs; close overdue digests.

    The same pass every worker serving the alerts queue runs in its maintenance: alerts unsettled
    for longer than MONITOR_DELIVERY_GRACE_SECONDS with no live delivery job get one per channel.
    """
    from monitor.outbox import periodic_delivery_maintenance
    from monitor.pipeline import Pipeline

    settings, config = setup()
    pipeline = Pipeline(settings, config, connect_or_exit(settings))
    report = periodic_delivery_maintenance(pipeline)
    if as_json:
        _print_json(report.to_json())
        return
    if report.skipped:
        typer.echo("another process is reconciling deliveries now; nothing done")
    for row in report.requeued:
        typer.echo(f"{row['alert_id']} -> {row['channel']}: requeued as job {row['job_id']}"
                   f" (previous job {row['previous_job'] or '-'}: {row['previous_status']})")
    for row in report.failed:
        typer.echo(f"{row['alert_id']} -> {row['channel']}: failed (delivery job lost too often)")
    for row in report.digests:
        typer.echo(f"digest {row['rule']} -> {row['channel']}: {row['alerts']} alerts, job {row['job_id']}")
    for row in report.digest_batches:
        outcome = f"requeued as job {row['job_id']}" if row["action"] == "requeued" else "failed (job lost too often)"
        typer.echo(f"digest {row['rule']} -> {row['channel']}: {row['alerts']} alerts {outcome}"
                   f" (previous job {row['previous_job'] or '-'}: {row['previous_status']})")
    typer.echo(f"{report.checked} due alerts checked, {pipeline.outbox.count_due()} still unsettled")


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default MONITOR_HTTP_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MONITOR_HTTP_PORT).")] = None,
) -> None:
    """Serve the daemon's HTTP routes alone (/alerts.atom, /alerts.json, /metrics, /healthz) until interrupted."""
    from monitor.cli_service import start_http
    from monitor.keys import Keys

    settings, config, connection, _ = _recorder()
    server = start_http(settings, config, connection, Keys(settings.key_prefix), host, port)
    if server is None:
        typer.echo(f"error: cannot listen on {host or settings.http_host}:{port or settings.http_port} "
                   "(MONITOR_HTTP_HOST / MONITOR_HTTP_PORT)", err=True)
        raise typer.Exit(EXIT_CONFIG)
    typer.echo(f"serving {server.url}/alerts.atom, /alerts.json, /metrics and /healthz", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
