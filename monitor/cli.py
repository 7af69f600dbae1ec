"""The ``monitor`` command line (typer).

Data goes to stdout (``--json``: JSON Lines), logs to stderr. Exit codes: 0 success,
1 some inputs failed (each named in a one-line error), 2 bad settings or config.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import structlog
import typer

from monitor.config import Config
from monitor.errors import ConfigError, DocumentError
from monitor.logs import configure_logging
from monitor.settings import Settings

HELP = (
    "Multilingual news monitoring: poll feeds, extract and classify articles, alert once per story.\n\n"
    "Data goes to stdout (--json: JSON Lines), logs to stderr. Exit codes: 0 success, "
    "1 some inputs failed (each named in a one-line error), 2 bad settings or config."
)
app = typer.Typer(add_completion=False, no_args_is_help=True, help=HELP, rich_markup_mode=None)
log = structlog.get_logger("monitor.cli")

EXIT_FAILED_INPUTS = 1
EXIT_CONFIG = 2


def _settings(stream=None) -> Settings:  # type: ignore[no-untyped-def]
    """Load settings and configure logging; exit 2 with a one-line error when invalid."""
    try:
        settings = Settings.load()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc
    configure_logging(settings.log_format, settings.log_level, stream)
    return settings


def setup(stream=None) -> tuple[Settings, Config]:  # type: ignore[no-untyped-def]
    """Load settings and config, configure logging; exit 2 with a one-line error when invalid."""
    settings = _settings(stream)
    try:
        return settings, Config.load(settings.config_dir)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc


def daemon_setup(stream=None) -> tuple[Settings, Config, str | None]:  # type: ignore[no-untyped-def]
    """:func:`setup` for the daemon's long-running parts (``run``, ``worker``, ``scheduler``).

    A config folder that loads is copied as the last good one
    (:mod:`monitor.config_snapshot`). One that does not load, when a copy of it exists, is
    logged (``config_invalid_running_last_good``, with the error) and the copy is run, so a part
    restarted while an edit is broken keeps ingesting; the third value is then the error, for
    :func:`monitor.config_health.record_reload`. With no copy, exit 2 as :func:`setup` does.
    """
    from monitor import config_snapshot

    settings = _settings(stream)
    try:
        config = Config.load(settings.config_dir)
    except ConfigError as exc:
        last = config_snapshot.load_last_good(settings.config_dir, settings.state_dir)
        snapshot = config_snapshot.snapshot_dir(settings.config_dir, settings.state_dir)
        if last is None:
            typer.echo(f"error: {exc}", err=True)
            typer.echo(f"error: and no last good copy of this config folder to run instead ({snapshot})", err=True)
            raise typer.Exit(EXIT_CONFIG) from exc
        config, taken_at = last
        log.error("config_invalid_running_last_good", error=str(exc), snapshot=str(snapshot),
                  snapshot_taken_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(taken_at)),
                  hint="mend the file: the running parts pick the edit up within a second")
        return settings, config, str(exc)
    config_snapshot.save(config, settings.state_dir)
    return settings, config, None


def setup_to_inspect() -> tuple[Settings, Config, str | None]:
    """:func:`setup` for commands that only look at the running system (``status``, ``alerts
    list``/``show``, ``feeds list``): a config folder that does not load is a warning on stderr,
    not an exit, since the daemon runs on the rules it had and its operator needs to see it. The
    third value is the config error (None when the files load); bad settings still exit 2."""
    settings = _settings()
    config, error = Config.load_what_loads(settings.config_dir)
    if error:
        typer.echo(
            f"warning: the config does not load: {error}\n"
            "warning: a running daemon keeps the rules and feeds it had; showing what the files that load say",
            err=True,
        )
    return settings, config, error


#: first and longest pause (seconds) of a daemon part waiting for Redis at start (``wait=True``)
WAIT_START, WAIT_CAP = 1.0, 30.0


def connect_or_exit(settings: Settings, *, wait: bool = False):  # type: ignore[no-untyped-def]
    """A checked Redis client; when nothing answers, exit 2 at once with a one-line error naming
    MONITOR_REDIS_URL, or with ``wait`` (daemon parts: worker, scheduler) log ``redis_unavailable``
    and try again after 1 s doubling to 30 s until Redis answers."""
    from redis.backoff import ExponentialBackoff

    from monitor.redisconn import connect

    backoff = ExponentialBackoff(cap=WAIT_CAP, base=WAIT_START)
    for failures in itertools.count():
        try:
            return connect(settings.redis_url)
        except ConfigError as exc:
            if not wait:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(EXIT_CONFIG) from exc
            delay = backoff.compute(failures)
            log.warning("redis_unavailable", error=str(exc), retry_in_seconds=delay)
        time.sleep(delay)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named, and the files inside folders named (sorted), skipping ``*.expect.json``."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.endswith(".expect.json"))
        else:
            out.append(path)
    return out


def _emit(data: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        dup = f" duplicate of {data['duplicate_of']}" if data.get("duplicate_of") else ""
        alerts = f" ALERT {', '.join(data['alerts'])}" if data.get("alerts") else ""
        labels = ", ".join(data.get("labels", [])) or "-"
        typer.echo(f"{data['source']}: [{data['language']}] {data['title']} | topics: {labels}{dup}{alerts}")
    sys.stdout.flush()


@app.command()
def replay(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: plain text or HTML documents.")],
    inline: Annotated[bool, typer.Option(help="Run the stages in this process instead of enqueueing RQ jobs.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document on stdout.")] = False,
    wait: Annotated[bool, typer.Option(help="Without --inline: wait for the jobs and print their results.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait.")] = 300.0,
    config_dir: Annotated[
        Path | None,
        typer.Option(help="With --inline: folder with topics.yaml and alerts.yaml (default: MONITOR_CONFIG_DIR)."),
    ] = None,
) -> None:
    """Run documents (plain text or HTML files, or folders of them) through the whole pipeline:
    in this process with --inline, else as RQ jobs for the workers. In a plain-text file the
    headline is the last short line above the first paragraph of prose (the title line of a file
    written as title, blank line, text), and lines of page chrome around the article are cut."""
    from monitor.extract import read_document

    if config_dir is not None:
        if not inline:  # queued jobs run in the workers, under the workers' config
            typer.echo("error: --config-dir needs --inline (queued jobs use the workers' config)", err=True)
            raise typer.Exit(EXIT_CONFIG)
        os.environ["MONITOR_CONFIG_DIR"] = str(config_dir)
    settings, config = setup()
    connection = connect_or_exit(settings)
    failed = 0
    docs = []
    for path in expand_paths(paths):
        try:
            docs.append(read_document(path, settings.max_document_bytes))
        except DocumentError as exc:
            failed += 1
            typer.echo(f"error: {exc}", err=True)
    if inline:
        from monitor.pipeline import Pipeline

        pipeline = Pipeline(settings, config, connection)
        for doc in docs:
            try:
                outcome = pipeline.process(doc)
            except DocumentError as exc:
                failed += 1
                typer.echo(f"error: {exc}", err=True)
                continue
            for alert in outcome.alerts:
                pipeline.deliver(alert)
            _emit(outcome.to_json(), as_json)
    else:
        failed += _replay_queued(settings, connection, docs, as_json, wait, timeout)
    raise typer.Exit(EXIT_FAILED_INPUTS if failed else 0)


def _replay_queued(settings, connection, docs, as_json: bool, wait: bool, timeout: float) -> int:  # type: ignore[no-untyped-def]
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    from monitor.keys import Keys
    from workers.jobs import enqueue_document

    keys = Keys(settings.key_prefix)
    jobs = {enqueue_document(connection, keys, doc, settings.job_timeout): doc for doc in docs}
    for job_id, doc in jobs.items():
        log.info("document_enqueued", source=doc.source, job_id=job_id)
    if not wait:
        for job_id, doc in jobs.items():
            typer.echo(json.dumps({"source": doc.source, "job_id": job_id}) if as_json else f"{doc.source}: {job_id}")
        return 0
    failed = 0
    deadline = time.monotonic() + timeout
    pending = dict(jobs)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            status = job.get_status(refresh=True)
            if status == JobStatus.FINISHED:
                _emit(job.return_value() or {}, as_json)
                del pending[job_id]
            elif status in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED):
                result = job.latest_result()
                reason = (result.exc_string or "").strip().splitlines()[-1] if result and result.exc_string else status
                typer.echo(f"error: {pending.pop(job_id).source}: {reason}", err=True)
                failed += 1
        time.sleep(0.2)
    for doc in pending.values():
        typer.echo(f"error: {doc.source}: not processed within {timeout:.0f} s (is a worker running?)", err=True)
        failed += 1
    return failed


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Quit when the queues are empty.")] = False,
    # polls before entries: a poll is one request, and a backlog of thousands of entries from one
    # feed must not hold every other feed's polls (a bad-input trial saw 117 polls wait 3.5 minutes)
    queues: Annotated[
        str, typer.Option(help="Comma-separated queues to serve, in priority order.")
    ] = "alerts,polls,entries",
    name: Annotated[str | None, typer.Option(help="Worker name in Redis (default: RQ's unique id).")] = None,
) -> None:
    """Run one RQ worker on the project's queues (the stages are built once, before forking)."""
    from rq.serializers import JSONSerializer

    from monitor.keys import Keys
    from monitor.rqworker import MonitorWorker
    from workers import context

    settings, config, config_error = daemon_setup(sys.stdout)
    connection = connect_or_exit(settings, wait=not burst)  # a daemon waits for Redis; a burst run does not
    keys = Keys(settings.key_prefix)
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    try:
        names = [keys.queue(q) for q in wanted]
    except ValueError as exc:
        typer.echo(f"error: --queues: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc
    if set(wanted) - {"polls"}:  # a polls-only worker needs no article pipeline
        context.init(settings, config, config_error)
    if "entries" in wanted:
        from monitor.extract_html import warm_up as warm_up_extraction

        warm_up_extraction()  # dateparser's per-locale regexes and justext stop lists, before RQ forks
    if "polls" in wanted:
        from workers.polls import warm_up

        warm_up(settings)  # poll code and its lazy tables loaded once, before RQ forks per job
    w = MonitorWorker(names, connection=connection, serializer=JSONSerializer, keys=keys, name=name,
                      maintenance_interval=settings.maintenance_interval)
    w.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())


# Subcommand groups register after the app exists (each lives in its own module).
from monitor.cli_alerts import alerts_app, serve  # noqa: E402
from monitor.cli_extract import extract_command  # noqa: E402
from monitor.cli_feeds import feeds_app  # noqa: E402
from monitor.cli_scheduler import scheduler_command  # noqa: E402
from monitor.cli_service import register as _register_service  # noqa: E402
from monitor.cli_topics import register as _register_topics  # noqa: E402

app.add_typer(feeds_app, name="feeds")
app.add_typer(alerts_app, name="alerts")
app.command("scheduler")(scheduler_command)
app.command("extract")(extract_command)
app.command("serve")(serve)
_register_service(app)
_register_topics(app)


def main() -> None:
    """Console-script entry point."""
    app()
