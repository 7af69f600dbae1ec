"""``monitor classify`` and ``monitor topics eval`` run as a user runs them (subprocess, real files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.topic_eval import MAX_LINE_ERRORS
from tests.helpers import json_lines

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m monitor ARGS`` from the repository root, ``stdin`` piped in."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=ROOT,
        input=stdin,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


ARABIC = {
    "id": "a1",
    "title": "وزير الخارجية المصري يستقبل نظيره الأردني في القاهرة",
    "text": "بحث الوزيران العلاقات الثنائية وسبل تعزيز التعاون بين البلدين، وأكدا دعمهما للمفاوضات الجارية.",
}
ENGLISH = {
    "id": 7,
    "language": "en",
    "title": "Suicide bomber kills 9 in Mogadishu",
    "text": "Al-Shabaab claimed responsibility for the attack on a hotel, police in Somalia said.",
}


def test_classify_writes_one_json_line_per_item_with_detected_language() -> None:
    """Two items in, two JSON lines out: ids kept, Arabic detected, labels, countries and evidence given."""
    result = run("classify", stdin=json.dumps(ARABIC, ensure_ascii=False) + "\n" + json.dumps(ENGLISH) + "\n")
    assert result.returncode == 0, result.stderr
    first, second = json_lines(result.stdout)
    assert first["id"] == "a1" and first["language"] == "ar"
    assert first["labels"] == ["diplomacy"]
    assert first["countries"] == {"EG": 2, "JO": 1}
    assert {"وزير الخارجية", "نظير", "العلاقات الثنائية"} <= {
        e["term"] for e in first["evidence"]["diplomacy"]
    }
    assert set(first["topics"]) == {"counter-terrorism", "diplomacy"}
    assert second["id"] == 7 and second["language"] == "en"
    assert second["labels"] == ["counter-terrorism"]
    assert second["countries"] == {"SO": 2}
    bomb = {"where": "title", "term": "suicide bomb*", "count": 1, "weight": 4.0, "negated": False}
    assert bomb in second["evidence"]["counter-terrorism"]


def test_classify_refuses_a_windows_1256_line_and_reads_a_bom() -> None:
    """An Arabic line saved as windows-1256 is a bad line with the conversion to run (it used to be
    read with replacement marks and classified as Korean, silently); a UTF-8 BOM is no error."""
    legacy = json.dumps(ARABIC, ensure_ascii=False).encode("cp1256")
    stdin = b"\xef\xbb\xbf" + json.dumps(ENGLISH).encode() + b"\n" + legacy + b"\n"
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "classify"], cwd=ROOT, input=stdin, capture_output=True, timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert [doc["id"] for doc in json_lines(result.stdout.decode())] == [7]
    offset = legacy.index(b"\xe6")  # the first non-ASCII byte: و of the title in windows-1256
    assert result.stderr.decode().splitlines() == [
        f"error: line 2: not valid UTF-8 (byte {offset}: b'\\xe6'); if the whole file is legacy Arabic, convert it "
        "first (iconv -f windows-1256 -t utf-8), but not a file whose other lines are UTF-8: that would garble them"
    ]


def test_classify_reports_bad_lines_by_number_and_processes_the_rest() -> None:
    """Line 2 (not JSON) and line 3 (no id) get one-line errors; lines 1 and 4 are classified; exit code 1."""
    lines = [json.dumps(ENGLISH), "{not json", json.dumps({"title": "x", "text": "y"}), json.dumps(ARABIC)]
    result = run("classify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    assert [doc["id"] for doc in json_lines(result.stdout)] == [7, "a1"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors[0].startswith("error: line 2: invalid JSON")
    assert errors[1] == "error: line 3: missing 'id'"
    assert len(errors) == 2


def test_topics_eval_json_gives_precision_recall_and_errors_with_evidence(tmp_path: Path) -> None:
    """One true positive, one false positive, one false negative: P = R = 0.5, both errors listed."""
    items = [
        {
            "id": "tp",
            "language": "en",
            "labels": ["counter-terrorism"],
            "title": "Car bomb kills five",
            "text": "Militants detonated a car bomb; Islamic State claimed responsibility.",
        },
        {
            "id": "fp",
            "language": "en",
            "labels": [],
            "title": "Terrorism film wins award",
            "text": "A drama about terrorism and a terrorist cell won the festival prize.",
        },
        {
            "id": "fn",
            "language": "en",
            "labels": ["counter-terrorism"],
            "title": "Police hunt suspect",
            "text": "Police searched a flat after the incident.",
        },
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    result = run("topics", "eval", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    ct = report["topics"]["counter-terrorism"]["all"]
    assert (ct["tp"], ct["fp"], ct["fn"]) == (1, 1, 1)
    assert (ct["precision"], ct["recall"], ct["f1"]) == (0.5, 0.5, 0.5)
    assert report["topics"]["counter-terrorism"]["en"]["support"] == 2
    errors = {(e["id"], e["kind"]) for e in report["errors"]}
    assert errors == {("fp", "false_positive"), ("fn", "false_negative")}
    fp = next(e for e in report["errors"] if e["id"] == "fp")
    assert "terroris* ×1 (title)" in fp["evidence"]
    assert fp["held"] is None


def test_topics_eval_says_why_a_score_at_the_threshold_is_no_label(tmp_path: Path) -> None:
    """A false negative whose score reached the threshold on context terms alone carries the reason,
    in the JSON and after its evidence in the table."""
    item = {
        "id": "kidnap",
        "language": "fr",
        "labels": ["counter-terrorism"],
        "title": "Un ressortissant étranger enlevé au Niger",
        "text": "Un travailleur humanitaire a été enlevé dimanche soir par des hommes armés non identifiés.",
    }
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    report = json.loads(run("topics", "eval", str(path), "--json").stdout)
    (error,) = report["errors"]
    assert error["score"] >= 5.0 and error["kind"] == "false_negative"
    reason = "only context terms matched: a label also needs a match of a 'terms' entry"
    assert error["held"] == reason
    assert f"(held: {reason})" in run("topics", "eval", str(path)).stdout


def test_topics_eval_prints_a_table_per_topic_and_language() -> None:
    """Without --json the committed held-out slice prints a table with one row per topic and language."""
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "data").glob("dev_*.jsonl"))
    result = run("topics", "eval", *files, "--split", "heldout")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "100 items"
    rows = [line.split()[:2] for line in lines[2:10]]
    assert rows == [[t, s] for t in ("counter-terrorism", "diplomacy") for s in ("all", "ar", "en", "fr")]


def test_topics_eval_names_file_and_line_of_a_bad_label(tmp_path: Path) -> None:
    """A labelled line without text is a config error (exit 2) naming the file and line."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "language": "en", "labels": [], "text": "ok"}\n{"id": "b", "labels": []}\n')
    result = run("topics", "eval", str(path))
    assert result.returncode == 2
    assert f"{path}:2: not a labelled item: the field 'text' is missing" in result.stderr


def test_topics_eval_shows_a_dash_for_a_slice_with_nothing_to_measure(tmp_path: Path) -> None:
    """A language with no positive and no prediction for a topic has no precision or recall: the
    table shows "-" rather than 0.000, which read as a failure in an analyst trial."""
    path = tmp_path / "two.jsonl"
    path.write_text(
        '{"id": "a", "language": "en", "labels": ["diplomacy"], "title": "Egypt and Sudan sign a border '
        'agreement", "text": "The foreign ministers signed the memorandum of understanding in Cairo."}\n'
        '{"id": "b", "language": "fr", "labels": [], "title": "Météo", "text": "Il pleuvra demain."}\n'
    )
    result = run("topics", "eval", str(path))
    assert result.returncode == 0, result.stderr
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in result.stdout.splitlines()[2:10]}
    assert rows[("counter-terrorism", "fr")] == ["-", "-", "-", "0", "0", "0"]
    assert rows[("diplomacy", "en")] == ["1.000", "1.000", "1.000", "1", "0", "0"]


@pytest.mark.parametrize(
    ("second", "error"),
    [
        ('{"id": "b", "language": "en", "labels": ["diplomcy"], "text": "x"}', "label 'diplomcy' is not a configured"),
        ('{"id": "b", "language": "en", "labels": "diplomacy", "text": "x"}', "labels must be a list of topic names"),
        ('{"id": "a", "language": "en", "labels": [], "text": "x"}', "id 'a' is already used on line 1"),
        ('{"id": "b", "language": "en", "labels": [], "text": "x", "split": "test"}', "split 'test' is not one of"),
        ('{"id": "b", "language": "english", "labels": [], "text": "x"}', "language 'english': write its ISO"),
    ],
)
def test_topics_eval_refuses_labels_that_would_skew_the_scores(tmp_path: Path, second: str, error: str) -> None:
    """A mistyped label, a label string, a repeated id or an unknown split would silently count an
    item wrongly: each is refused on its line (exit 2)."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "language": "en", "labels": ["diplomacy"], "text": "ok"}\n' + second + "\n")
    result = run("topics", "eval", str(path))
    assert result.returncode == 2
    assert f"{path}:2: not a labelled item: {error}" in result.stderr


def test_topics_eval_lists_every_bad_line_in_one_run(tmp_path: Path) -> None:
    """An analyst fixing an exported file sees all its bad lines at once, not one per run; past
    MAX_LINE_ERRORS the rest are counted. Good lines between them change nothing."""
    path = tmp_path / "export.jsonl"
    good = '{"id": "ok%d", "language": "fr", "labels": [], "text": "Le conseil municipal vote le budget."}'
    bad = [
        '{"id": "a", "language": "en", "labels": ["diplomcy"], "text": "x"}',
        "not json",
        "[1, 2]",
        '{"id": "b", "language": "ar", "labels": []}',
    ] + [f'{{"id": "c{i}", "language": "en", "labels": "diplomacy", "text": "x"}}' for i in range(MAX_LINE_ERRORS)]
    path.write_text("\n".join(line for i, b in enumerate(bad) for line in (good % i, b)) + "\n")
    result = run("topics", "eval", str(path))
    assert result.returncode == 2
    listed = [line.removeprefix("error: ") for line in result.stderr.splitlines()]
    assert listed[:4] == [
        f"{path}:2: not a labelled item: label 'diplomcy' is not a configured topic (counter-terrorism, diplomacy)",
        f"{path}:4: not a labelled item: not valid JSON: Expecting value at column 1",
        f"{path}:6: not a labelled item: a JSON object is needed, not list",
        f"{path}:8: not a labelled item: the field 'text' is missing",
    ]
    assert listed[MAX_LINE_ERRORS - 1] == f"{path}:{2 * MAX_LINE_ERRORS}: not a labelled item: labels must be a list " \
        "of topic names, not 'diplomacy'"
    assert listed[MAX_LINE_ERRORS:] == ["... and 4 more"]


def test_topics_eval_warns_when_the_split_selects_nothing(tmp_path: Path) -> None:
    """--split heldout on a file without split fields scores 0 items: said on stderr (an analyst's
    trial took the empty table for a result)."""
    path = tmp_path / "one.jsonl"
    path.write_text('{"id": "a", "language": "fr", "labels": [], "title": "Météo", "text": "Il pleuvra."}\n')
    result = run("topics", "eval", str(path), "--split", "heldout")
    assert result.returncode == 0 and result.stdout.startswith("0 items")
    assert "warning: no item of split 'heldout' (an item without a 'split' field is dev)" in result.stderr


def test_topics_eval_without_the_corpus_says_so_once(tmp_path: Path) -> None:
    """400 corpus references and no corpus folder: one error, not one per line."""
    result = run("topics", "eval", "tests/data/corpus_labels.jsonl", "--corpus", str(tmp_path / "none"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: tests/data/corpus_labels.jsonl:1: references an item of the shared corpus, but no corpus folder "
        "is here (monitor topics eval --corpus FOLDER; ../shared/corpus by default)"
    ]


def test_topics_eval_lists_the_bad_lines_of_every_file_and_ids_repeated_across_files(tmp_path: Path) -> None:
    """Two bad files: the second's bad line is listed beside the first's. Two good files sharing an
    id: refused (one item counted twice skews the scores)."""
    one, two, three, copy = (tmp_path / f"{n}.jsonl" for n in ("one", "two", "three", "copy"))
    good = '{"id": "b", "language": "en", "labels": [], "text": "The council votes."}\n'
    one.write_text('{"id": "a", "language": "en", "labels": ["diplomcy"], "text": "x"}\n' + good, encoding="utf-8")
    two.write_text('{"id": "c", "language": "fr", "labels": [], "title": "x", "text": null}\n', encoding="utf-8")
    three.write_text(good, encoding="utf-8")
    copy.write_text(good, encoding="utf-8")
    result = run("topics", "eval", str(one), str(two))
    assert result.returncode == 2
    assert [line.removeprefix("error: ") for line in result.stderr.splitlines()] == [
        f"{one}:1: not a labelled item: label 'diplomcy' is not a configured topic (counter-terrorism, diplomacy)",
        f"{two}:1: not a labelled item: 'title' and 'text' must be strings",
    ]
    twice = run("topics", "eval", str(three), str(copy))
    assert twice.returncode == 2
    assert twice.stderr.splitlines() == [
        f"error: {copy}: id 'b' is also in {three} (an item counted twice skews the scores)"
    ]


def test_topics_eval_reads_a_bom_crlf_and_a_raw_line_separator_inside_a_text(tmp_path: Path) -> None:
    """A file saved with a BOM and CRLF line ends, and a text holding a raw U+2028 (allowed in JSON
    strings), is read as its two items, not refused or split in three."""
    path = tmp_path / "export.jsonl"
    rows = [
        {"id": "x1", "language": "en", "labels": ["counter-terrorism"],
         "title": "Suicide bomber kills 9 in Mogadishu", "text": "Al-Shabaab claimed\u2028the attack."},
        {"id": "x2", "language": "en", "labels": [], "title": "Council votes budget", "text": "A quiet session."},
    ]
    body = "\r\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    result = run("topics", "eval", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["items"] == 2
    assert report["topics"]["counter-terrorism"]["all"]["tp"] == 1


def test_classify_takes_language_tags_as_their_iso_code_and_refuses_names() -> None:
    """"EN" and "en-US" are en; "english" is a bad line with the code to write (it used to apply
    every language's rules and echo "english" back)."""
    lines = [
        json.dumps({**ENGLISH, "id": 1, "language": "en-US"}),
        json.dumps({**ENGLISH, "id": 2, "language": "EN"}),
        json.dumps({**ENGLISH, "id": 3, "language": "english"}),
    ]
    result = run("classify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    assert [(d["id"], d["language"]) for d in json_lines(result.stdout)] == [(1, "en"), (2, "en")]
    assert result.stderr.splitlines() == [
        "error: line 3: language 'english': write its ISO 639-1 code 'en', as items carry it"
    ]
