"""Topic commands: ``monitor classify`` (JSON Lines in, JSON Lines out) and ``monitor topics eval``.

``classify`` reads one JSON object per stdin line: ``id``, ``title``, ``text``, optional
``language`` (ISO 639-1; detected with py3langid when absent). It writes one JSON line per
good input line to stdout: ``id``, ``language``, ``topics`` (name -> score), ``labels``,
``countries`` (code -> mentions), ``evidence`` (topic -> [{term, count, where, weight,
negated}]; negated matches sit under a negation cue and score nothing).
A bad line gets a one-line error on stderr naming its line number; the other lines are still
processed and the exit code is 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

import typer

from monitor.classify import Classifier, load_countries
from monitor.config import iso_language
from monitor.errors import ConfigError, not_utf8

topics_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Topic rules: evaluation.", rich_markup_mode=None
)

EXIT_FAILED_INPUTS = 1
EXIT_CONFIG = 2
#: Default location of the shared corpus, relative to the working directory (the repository).
DEFAULT_CORPUS = Path("..") / "shared" / "corpus"


class InputLineError(ValueError):
    """A ``classify`` input line that is not a usable item (the message says why)."""


def parse_item(line: str) -> dict[str, Any]:
    """Validate one input line of ``monitor classify``.

    Returns:
        ``{"id", "title", "text", "language"}`` with ``language`` None when absent.

    Raises:
        InputLineError: not JSON, not an object, ``id`` missing, ``title``/``text`` not strings
            (at least one of them non-empty), ``language`` not an ISO 639-1 code (``EN`` and
            ``en-US`` are taken as ``en``).
    """
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputLineError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(row, dict):
        raise InputLineError("expected a JSON object with id, title, text")
    if row.get("id") in (None, ""):
        raise InputLineError("missing 'id'")
    title, text, language = row.get("title", ""), row.get("text", ""), row.get("language")
    if not isinstance(title, str) or not isinstance(text, str):
        raise InputLineError("'title' and 'text' must be strings")
    if not (title.strip() or text.strip()):
        raise InputLineError("both 'title' and 'text' are empty")
    if language is not None and not isinstance(language, str):
        raise InputLineError("'language' must be a string")
    if language:
        try:  # "EN" and "en-US" are en; "english" would apply every language's rules, silently
            language = iso_language(language)
        except ValueError as exc:
            raise InputLineError(str(exc)) from None
    return {"id": row["id"], "title": title, "text": text, "language": language or None}


def classify_stream(
    classifier: Classifier, lines: Iterable[str | bytes], out: TextIO, err: TextIO
) -> int:
    """Classify JSON Lines from ``lines`` into ``out``; return the count of bad lines (told on ``err``).

    ``lines`` may be bytes (stdin's buffer): each line is decoded as UTF-8 (a BOM on the first is
    dropped), and a line that is not UTF-8 is a bad line, not text read with replacement marks.
    """
    detector = None
    bad = 0
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                bad += 1
                err.write(f"error: line {number}: {not_utf8(exc, raw)}\n")
                continue
        else:
            line = raw
        if not line.strip():
            continue
        try:
            item = parse_item(line)
        except InputLineError as exc:
            bad += 1
            err.write(f"error: line {number}: {exc}\n")
            continue
        language = item["language"]
        if language is None:
            if detector is None:
                from monitor.language import LanguageDetector

                detector = LanguageDetector()
            language = detector.detect(item["title"], item["text"]).code
        result = classifier.classify(item["title"], item["text"], language)
        data = result.to_dict()
        out.write(json.dumps({"id": item["id"], "language": language, **data}, ensure_ascii=False) + "\n")
    out.flush()
    return bad


def classify(
    config_dir: Annotated[
        Path | None, typer.Option(help="Folder with topics.yaml (default: MONITOR_CONFIG_DIR).")
    ] = None,
) -> None:
    """Classify JSON Lines items from stdin (id, title, text, language?) and print one JSON line each."""
    classifier = _classifier(config_dir)
    bad = classify_stream(classifier, sys.stdin.buffer, sys.stdout, sys.stderr)
    raise typer.Exit(EXIT_FAILED_INPUTS if bad else 0)


@topics_app.command("eval")
def eval_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help='Labelled JSON Lines files, one item a line: {"id", "language", "labels": [topics], "title", '
            '"text", "split"?: dev|heldout, "kind"?} (see tests/data/GUIDELINE.md).'
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    split: Annotated[
        Literal["dev", "heldout"] | None,
        typer.Option(help="Only items of this split: dev or heldout (an item without a split field is dev)."),
    ] = None,
    corpus: Annotated[
        Path, typer.Option(help="Shared corpus folder for corpus-referenced labels.")
    ] = DEFAULT_CORPUS,
    config_dir: Annotated[
        Path | None, typer.Option(help="Folder with topics.yaml (default: MONITOR_CONFIG_DIR).")
    ] = None,
) -> None:
    """Precision, recall and F1 per topic and language; false positives and negatives with evidence."""
    from monitor.logs import configure_logging
    from monitor.topic_eval import evaluate, load_items

    classifier = _classifier(config_dir)
    configure_logging(level="warning")  # the report is the output; extracting corpus pages logs each cut block
    errors: list[str] = []
    items = []
    first_file: dict[str, Path] = {}
    for path in files:
        try:
            loaded = load_items(path, corpus if corpus.exists() else None, split, classifier.topic_names)
        except ConfigError as exc:
            errors.append(str(exc))  # every file's bad lines in one run, not the first file's only
            continue
        for item in loaded:
            other = first_file.setdefault(item.id, path)
            if other != path:
                errors.append(f"{path}: id {item.id!r} is also in {other} (an item counted twice skews the scores)")
        items += loaded
    if errors:
        typer.echo("error: " + "\n".join(errors), err=True)
        raise typer.Exit(EXIT_CONFIG)
    if split and not items:
        typer.echo(f"warning: no item of split {split!r} (an item without a 'split' field is dev)", err=True)
    report = evaluate(items, classifier.classify, classifier.topic_names)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
        return
    typer.echo(format_report(report.to_json()))


def format_report(data: dict[str, Any]) -> str:
    """Human-readable table of a report's ``to_json()`` form, then its errors."""
    lines = [
        f"{data['items']} items",
        f"{'topic':<20}{'slice':<6}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}{'FP':>5}{'FN':>5}",
    ]
    for topic, slices in data["topics"].items():
        for name, s in sorted(slices.items(), key=lambda kv: (kv[0] != "all", kv[0])):
            # a slice with no positive and no prediction has no precision or recall to show
            p, r, f = ("-", "-", "-") if not s["support"] and not s["fp"] else (
                f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}"
            )
            lines.append(f"{topic:<20}{name:<6}{p:>7}{r:>7}{f:>7}{s['support']:>9}{s['fp']:>5}{s['fn']:>5}")
    for e in data["errors"]:
        kind = "FP" if e["kind"] == "false_positive" else "FN"
        lines.append(
            f"{kind} {e['topic']} {e['id']} [{e['language']}] score={e['score']} {e['title']!r} "
            f"evidence: {', '.join(e['evidence']) or '-'}" + (f" (held: {e['held']})" if e.get("held") else "")
        )
    return "\n".join(lines)


def _classifier(config_dir: Path | None) -> Classifier:
    from monitor.cli import setup
    from monitor.config import load_topics

    if config_dir is None:
        _, config = setup()
        topics = config.topics
    else:
        try:
            topics = load_topics(config_dir / "topics.yaml")
        except ConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_CONFIG) from exc
    try:
        return Classifier(topics, load_countries())
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from exc


def register(app: typer.Typer) -> None:
    """Add ``classify`` and the ``topics`` group to the main ``monitor`` app."""
    app.command("classify")(classify)
    app.add_typer(topics_app, name="topics")
