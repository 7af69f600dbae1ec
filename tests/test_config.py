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
