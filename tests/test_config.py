"""Config files: errors name the file, the line and the key; settings errors name the variable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.config import Config
from monitor.errors import ConfigError
from monitor.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def test_shipped_config_is_valid() -> None:
    """The repository's config loads with both default topics and an alert rule."""
    config = Config.load(ROOT / "config")
    assert {"counter-terrorism", "diplomacy"} <= set(config.topics.topics)
    assert config.alerts.rules[0].name == "security-desk"


def test_unknown_key_names_file_line_and_path(config_dir: Path) -> None:
    """A misspelt key in an alert rule is reported with file, line and rules[0].chanels."""
    (config_dir / "alerts.yaml").write_text(
        "channels:\n  log: 'log://'\nrules:\n  - name: desk\n    topics: [diplomacy]\n    chanels: [log]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"alerts\.yaml:6: rules\[0\]\.chanels: unknown key"):
        Config.load(config_dir)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://exa mple..com:99999/feed", r"feeds\.yaml:3: feeds\[0\]\.url: not a valid URL: Port out of range"),
        ("http://example..com/feed", r"feeds\.yaml:3: feeds\[0\]\.url: host 'example\.\.com' is not a valid domain"),
        ("http://news example.org/rss", r"feeds\.yaml:3: .*host 'news example\.org' is not a valid domain name"),
        ("http:///rss", r"feeds\.yaml:3: .*the URL has no host"),
        ("http://-bad-.com/rss", r"feeds\.yaml:3: .*host '-bad-\.com' is not a valid domain name \(a label starts"),
        ("http://256.1.1.1/rss", r"feeds\.yaml:3: .*host '256\.1\.1\.1' is neither an IP address nor a domain name"),
    ],
)
def test_a_feed_url_that_cannot_be_fetched_is_refused_on_its_line(config_dir: Path, url: str, error: str) -> None:
    """A bad host or port loaded and then failed inside the socket layer at every poll, with a
    traceback and no feed error (a bad-input trial): it is refused where it is written."""
    (config_dir / "feeds.yaml").write_text(f"feeds:\n  - id: wire\n    url: \"{url}\"\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=error):
        Config.load(config_dir)


def test_feeds_with_nothing_under_it_says_what_to_write(config_dir: Path) -> None:
    """Not pydantic's 'Input should be a valid tuple' (a bad-input trial)."""
    (config_dir / "feeds.yaml").write_text("feeds:\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds\.yaml:1: feeds: no feeds under it: list them \('- id: \.\.\.'\), "
                       r"or write 'feeds: \[\]' for none"):
        Config.load(config_dir)


def test_a_repeated_feed_id_is_reported_on_the_repeat(config_dir: Path) -> None:
    """Not on line 1: on the line of the second ``id: good``."""
    (config_dir / "feeds.yaml").write_text(
        "feeds:\n  - id: good\n    url: https://a.example.org/rss\n  - id: other\n    url: https://b.example.org/rss\n"
        "  - id: good\n    url: https://c.example.org/rss\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"feeds\.yaml:6: \(top level\): feed id 'good' is used twice"):
        Config.load(config_dir)


def test_invalid_yaml_names_line(config_dir: Path) -> None:
    """Broken YAML syntax gives the file and the line."""
    (config_dir / "topics.yaml").write_text("topics:\n  a: [1, 2\n  b: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"topics\.yaml:3:\d+: invalid YAML"):
        Config.load(config_dir)


def test_rule_with_unknown_topic_is_named(config_dir: Path) -> None:
    """An alert rule naming a topic that topics.yaml lacks is refused, naming rule and topic."""
    (config_dir / "alerts.yaml").write_text(
        "rules:\n  - name: desk\n    topics: [piracy]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"rules\[0\] \(desk\): unknown topic 'piracy'"):
        Config.load(config_dir)


def test_undefined_channel_is_named(config_dir: Path) -> None:
    """A rule that sends to a channel not defined under channels is refused."""
    (config_dir / "alerts.yaml").write_text(
        "channels: {log: 'log://'}\nrules:\n  - name: desk\n    topics: [diplomacy]\n    channels: [slack]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="channel 'slack' is not defined"):
        Config.load(config_dir)


def test_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """MONITOR_MAX_DOCUMENT_BYTES=-1 is refused naming that variable."""
    monkeypatch.setenv("MONITOR_MAX_DOCUMENT_BYTES", "-1")
    with pytest.raises(ConfigError, match="MONITOR_MAX_DOCUMENT_BYTES"):
        Settings.load()


def test_setting_that_is_not_json_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list setting given as '10,30' (not JSON) is refused naming the variable, not with a traceback."""
    monkeypatch.setenv("MONITOR_ALERT_RETRY_INTERVALS", "10,30")
    with pytest.raises(ConfigError, match="MONITOR_ALERT_RETRY_INTERVALS: not valid JSON"):
        Settings.load()
