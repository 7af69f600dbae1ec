"""alerts.yaml errors name the rule and the field; message templates render the evidence, Arabic intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.alert_render import load_templates, render, render_digest
from monitor.config import AlertsFile, Config
from monitor.errors import ConfigError
from monitor.model import Alert, Evidence
from tests.alert_support import TITLE, config_dir

HEADER = 'channels:\n  log: "log://"\nrules:\n'
FEEDS = "feeds:\n  - id: wire-world\n    url: https://news.example.org/world.rss\n    tags: [wire]\n"


def load_error(tmp_path: Path, yaml: str, extra: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as err:
        Config.load(config_dir(tmp_path, yaml, extra))
    return str(err.value)


def test_unknown_key_names_file_line_rule_and_field(tmp_path: Path) -> None:
    """A misspelt field in rule two: the error gives alerts.yaml, its line, rules[1].chanels and the name."""
    yaml = HEADER + "  - name: a\n    topics: [diplomacy]\n  - name: b\n    chanels: [log]\n"
    assert load_error(tmp_path, yaml).endswith("alerts.yaml:7: rules[1].chanels: unknown key (in 'b')")


def test_unknown_channel_names_the_rule_and_its_line(tmp_path: Path) -> None:
    """A rule sending to an undefined channel is refused naming the rule, the channel and the
    rule's own line (it used to point at the file's top-level 'channels:')."""
    message = load_error(tmp_path, HEADER + "  - name: desk\n    channels: [slack]\n")
    assert message.endswith("alerts.yaml:5: rules[0] (desk): channel 'slack' is not defined under 'channels'")


def test_one_value_without_brackets_is_a_list_of_one(tmp_path: Path) -> None:
    """countries: JO means countries: [JO], as an analyst writes it for one value."""
    folder = config_dir(tmp_path, HEADER + "  - name: desk\n    countries: JO\n    channels: log\n")
    [rule] = Config.load(folder).alerts.rules
    assert (rule.countries, rule.channels) == (("JO",), ("log",))


def test_unknown_topic_names_the_rule(tmp_path: Path) -> None:
    """exclude_topics naming a topic topics.yaml lacks is refused naming the rule and the topic."""
    message = load_error(tmp_path, HEADER + "  - name: desk\n    exclude_topics: [sports]\n")
    assert "rules[0] (desk): unknown topic 'sports'" in message


def test_filters_that_could_never_match_are_refused_with_the_fix(tmp_path: Path) -> None:
    """A country or language given by name, an unknown code, a feed id or tag that feeds.yaml lacks:
    each would load and never fire, so all are refused in one run, each on its line, a name or an
    alpha-3 code (MLI) with the code to write."""
    yaml = HEADER + (
        "  - name: jordan-watch\n"
        "    countries: [Jordan, XX, MLI]\n"
        "    feeds: [nosuchfeed]\n"
        "    tags: [nosuchtag]\n"
        "    languages: [arabic]\n"
    )
    message = load_error(tmp_path, yaml, {"feeds.yaml": FEEDS})
    assert message.splitlines() == [
        f"{tmp_path}/config/alerts.yaml:8: rules[0] (jordan-watch): language 'arabic': write its ISO 639-1 code "
        "'ar', as items carry it",
        f"{tmp_path}/config/alerts.yaml:5: rules[0] (jordan-watch): country 'Jordan': write its code JO",
        f"{tmp_path}/config/alerts.yaml:5: rules[0] (jordan-watch): country 'XX': not a gazetteer code "
        "(ISO 3166-1 alpha-2, or EU)",
        f"{tmp_path}/config/alerts.yaml:5: rules[0] (jordan-watch): country 'MLI': write its code ML",
        f"{tmp_path}/config/alerts.yaml:6: rules[0] (jordan-watch): no feed 'nosuchfeed' in feeds.yaml "
        "(feed ids: wire-world)",
        f"{tmp_path}/config/alerts.yaml:7: rules[0] (jordan-watch): no feed in feeds.yaml has the tag 'nosuchtag'",
    ]


def test_a_language_name_is_refused_with_its_code(tmp_path: Path) -> None:
    """languages: [English] would never fire (items carry "en"): the error gives the code."""
    message = load_error(tmp_path, HEADER + "  - name: desk\n    languages: [English]\n")
    assert message.endswith(
        "alerts.yaml:5: rules[0] (desk): language 'English': write its ISO 639-1 code 'en', as items carry it"
    )


def test_codes_in_another_case_are_taken_as_items_carry_them(tmp_path: Path) -> None:
    """jo, EN and en-US mean JO, en and en: the rule keeps the codes items carry, and loads (en-US used
    to pass the check and stay en-US, so the rule never fired)."""
    folder = config_dir(
        tmp_path, HEADER + "  - name: desk\n    countries: [jo, EU]\n    languages: [EN, ar, en-US, fr_CA]\n"
    )
    [rule] = Config.load(folder).alerts.rules
    assert (rule.countries, rule.languages) == (("JO", "EU"), ("en", "ar", "en", "fr"))


def test_norway_is_no_and_a_rule_that_excludes_its_own_topic_is_refused(tmp_path: Path) -> None:
    """YAML reads NO as false: in countries it can only be Norway, in languages Norwegian. A rule whose
    only topic is also excluded could never fire: refused on the exclude_topics line."""
    folder = config_dir(tmp_path, HEADER + "  - name: oslo\n    countries: [NO, FR]\n    languages: [no]\n")
    [rule] = Config.load(folder).alerts.rules
    assert (rule.countries, rule.languages) == (("NO", "FR"), ("no",))
    yaml = HEADER + "  - name: never\n    topics: [diplomacy]\n    exclude_topics: [diplomacy]\n"
    (tmp_path / "second").mkdir()
    message = load_error(tmp_path / "second", yaml)
    assert message.endswith(
        "alerts.yaml:6: rules[0] (never): topic 'diplomacy' is in topics too: the rule could never fire"
    )


def test_a_tab_and_a_legacy_encoding_in_alerts_yaml_say_what_to_do(tmp_path: Path) -> None:
    """A tab after "name:" is a YAML error whose message says spaces; a windows-1256 file names its
    line and the conversion instead of Python's codec message."""
    message = load_error(tmp_path, HEADER + "  - name:\tdesk\n")
    assert message.endswith("alerts.yaml:4:10: invalid YAML: found character '\\t' that cannot start any token "
                            "(a tab: YAML indents and separates with spaces only)")
    (tmp_path / "legacy").mkdir()
    folder = config_dir(tmp_path / "legacy", "rules: []\n")
    (folder / "alerts.yaml").write_bytes(("rules:\n  - name: desk\n    # مكتب الأمن\n").encode("cp1256"))
    with pytest.raises(ConfigError) as err:
        Config.load(folder)
    assert str(err.value).startswith(f"{folder}/alerts.yaml:3: not valid UTF-8 (byte 28: b'\\xe3')")


def test_bad_mode_and_escalation_name_the_field(tmp_path: Path) -> None:
    """mode must be immediate or digest; escalate_at_outlets at least 2: each error names its field."""
    message = load_error(tmp_path, HEADER + "  - name: desk\n    mode: weekly\n    escalate_at_outlets: 1\n")
    assert "alerts.yaml:5: rules[0].mode: Input should be 'immediate' or 'digest' (in 'desk')" in message
    assert "rules[0].escalate_at_outlets: Input should be greater than or equal to 2 (in 'desk')" in message


def test_a_fallback_rule_first_in_the_file_is_refused(tmp_path: Path) -> None:
    """A fallback rule has to come below the rules whose stories it leaves out (a trial put it first
    and got both rules firing for one story)."""
    message = load_error(tmp_path, HEADER + "  - name: rest\n    fallback: true\n  - name: desk\n")
    assert message.endswith(
        "alerts.yaml:5: rules[0] (rest): fallback: true on the first rule: no rule above it to fall back from "
        "(put it below the rules whose stories it leaves out)"
    )


def test_invalid_apprise_url_names_the_channel(tmp_path: Path) -> None:
    """A channel URL Apprise cannot parse is a config error naming the channel."""
    message = load_error(tmp_path, 'channels:\n  pager: "nosuchservice://x"\nrules: []\n')
    assert "alerts.yaml:2: channels.pager: not a valid Apprise URL" in message


def test_duplicate_rule_name_is_refused(tmp_path: Path) -> None:
    """Two rules with one name are refused (alerts are unique per rule name and story)."""
    message = load_error(tmp_path, HEADER + "  - name: desk\n  - name: desk\n")
    # on the second rule's line (a trial got line 1, the top of the file)
    assert message.endswith("alerts.yaml:5: rules[1] (desk): rule name 'desk' is used twice (first in rules[0])")


def test_template_with_unknown_placeholder_names_file_and_placeholder(tmp_path: Path) -> None:
    """A user template using $headlin is refused naming the template field, the file and the placeholder."""
    message = load_error(tmp_path, "template: mine.txt\nrules: []\n", {"mine.txt": "$headlin\n\n$link\n"})
    assert "alerts.yaml: template (" in message and "mine.txt): unknown placeholder(s) headlin" in message


def test_missing_template_file_is_named(tmp_path: Path) -> None:
    """A template path that does not exist is refused naming the field and the path."""
    message = load_error(tmp_path, "markdown_template: nowhere.md\nrules: []\n")
    assert "markdown_template: cannot read " in message and "nowhere.md" in message


def alert(**changes: object) -> Alert:
    base = dict(
        id="a" * 32,
        rule="security-desk",
        story_id="s1",
        item_id="i1",
        title=TITLE,
        url=None,
        language="ar",
        topics={"counter-terrorism": 17.2, "diplomacy": 9.0},
        evidence={
            "counter-terrorism": [
                Evidence("مكافحة الإرهاب", 1, "title", 4.0),
                Evidence("مكافحة الإرهاب", 3, "body", 4.0),
                Evidence("متطرف*", 1, "body", 2.0),
            ],
            "diplomacy": [Evidence("زيارة رسمية", 1, "body", 3.0), Evidence("وزير*", 2, "body", 1.5)],
        },
        countries={"EG": 4, "EU": 3},
        channels=["log"],
        reason="rule security-desk: ...",
        created_at="2024-05-01T08:00:00+00:00",
        outlet="example-news",
        outlets=1,
    )
    base.update(changes)
    return Alert(**base)  # type: ignore[arg-type]


def test_plain_text_message_keeps_arabic_and_merges_term_counts() -> None:
    """Default plain text: the headline as title; title and body matches of a term add up; no link line."""
    title, body = render(alert(), load_templates(AlertsFile(), Path(".")))
    assert title == TITLE
    assert body.splitlines() == [
        TITLE,
        "example-news · ar · 2024-05-01T08:00:00+00:00",
        "Topics: counter-terrorism 17.2, diplomacy 9.0",
        "Why: counter-terrorism: مكافحة الإرهاب ×4, متطرف* ×1; diplomacy: زيارة رسمية ×1, وزير* ×2",
        "Countries: EG ×4, EU ×3",
        "Outlets: 1",
        "Rule: security-desk",
    ]


def test_markdown_message_escapes_markup_and_links_the_article() -> None:
    """Default Markdown: bold headline, list of facts, Markdown characters in names escaped, link in <>."""
    title, body = render(
        alert(rule="desk_one", url="https://news.example.org/a?b=1"),
        load_templates(AlertsFile(), Path(".")),
        markdown=True,
    )
    assert title == TITLE
    lines = body.splitlines()
    assert lines[0] == f"**{TITLE}**"
    assert "- Rule: desk\\_one" in lines
    assert lines[-1] == "<https://news.example.org/a?b=1>"


def test_user_template_replaces_the_default(tmp_path: Path) -> None:
    """A template file from alerts.yaml is used: first line title, rest body, empty lines dropped."""
    (tmp_path / "short.txt").write_text(
        "ALERT $rule\n\n$headline ($outlets)\nLink: $link\n", encoding="utf-8"
    )
    templates = load_templates(AlertsFile(template="short.txt"), tmp_path)
    assert render(alert(), templates) == ("ALERT security-desk", f"{TITLE} (1)")


def test_digest_joins_alert_bodies_under_one_title() -> None:
    """A digest of two alerts has one title counting them and both headlines in the body."""
    second = alert(id="b" * 32, title="Second headline")
    title, body = render_digest("desk", [alert(), second], load_templates(AlertsFile(), Path(".")))
    assert title == "desk: 2 alerts"
    assert body.index(TITLE) < body.index("— — —") < body.index("Second headline")
