"""OPML import/export of the feed list: folders and categories become tags, existing entries stay."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor.config import FeedsFile, load_yaml_model
from monitor.opml import read_opml
from tests.feed_helpers import write_config
from tests.helpers import run_monitor

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Reader export</title></head>
  <body>
    <outline text="Middle East" title="Middle East">
      <outline type="rss" text="Example Arabic Wire" xmlUrl="https://ar.example.net/rss.xml" language="ar"/>
      <outline type="rss" text="الأخبار" xmlUrl="https://akhbar.example.org/feed"/>
    </outline>
    <outline type="rss" text="Example Wire" xmlUrl="https://wire.example.com/rss"
             category="/diplomacy,security/terrorism"/>
    <outline type="rss" text="Example Wire" xmlUrl="https://wire.example.com/rss-2"/>
    <outline type="rss" text="Already there" xmlUrl="https://kept.example.org/rss"/>
  </body>
</opml>
"""


def _env(env: dict[str, str], tmp_path: Path, feeds: list[dict]) -> tuple[dict[str, str], Path]:
    config = write_config(tmp_path / "config", feeds)
    return {**env, "MONITOR_CONFIG_DIR": str(config)}, config / "feeds.yaml"


def test_read_opml_folders_and_categories_become_tags(tmp_path: Path) -> None:
    """Folder titles and `category` paths give tags; feeds come in document order."""
    path = tmp_path / "export.opml"
    path.write_text(OPML, encoding="utf-8")
    feeds = read_opml(path)
    assert [(f.url, f.tags) for f in feeds] == [
        ("https://ar.example.net/rss.xml", ["Middle East"]),
        ("https://akhbar.example.org/feed", ["Middle East"]),
        ("https://wire.example.com/rss", ["diplomacy", "security", "terrorism"]),
        ("https://wire.example.com/rss-2", []),
        ("https://kept.example.org/rss", []),
    ]
    assert feeds[0].language == "ar"


def test_import_merges_keeping_existing_entries_and_comments(env: dict[str, str], tmp_path: Path) -> None:
    """Import adds 4 feeds with unique ids (title slug, else host); the existing feed and comment stay."""
    env2, feeds_yaml = _env(
        env,
        tmp_path,
        [{"id": "kept", "url": "https://kept.example.org/rss", "interval": 1200, "tags": ["mine"]}],
    )
    feeds_yaml.write_text("# my comment\n" + feeds_yaml.read_text(), encoding="utf-8")
    opml = tmp_path / "export.opml"
    opml.write_text(OPML, encoding="utf-8")
    proc = run_monitor("feeds", "import", str(opml), env=env2)
    assert proc.returncode == 0, proc.stderr
    text = feeds_yaml.read_text(encoding="utf-8")
    assert text.startswith("# my comment\n")
    feeds = load_yaml_model(feeds_yaml, FeedsFile).feeds
    assert [(f.id, f.url, f.tags) for f in feeds] == [
        ("kept", "https://kept.example.org/rss", ("mine",)),
        ("example-arabic-wire", "https://ar.example.net/rss.xml", ("Middle East",)),
        ("akhbar.example.org", "https://akhbar.example.org/feed", ("Middle East",)),
        ("example-wire", "https://wire.example.com/rss", ("diplomacy", "security", "terrorism")),
        ("example-wire-2", "https://wire.example.com/rss-2", ()),
    ]
    assert feeds[0].interval == 1200
    again = run_monitor("feeds", "import", str(opml), env=env2)
    assert again.returncode == 0, again.stderr
    assert len(load_yaml_model(feeds_yaml, FeedsFile).feeds) == 5


def test_export_then_import_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    """`feeds export` OPML imported into an empty feed list gives the same URLs, titles and tags."""
    feeds = [
        {
            "id": "wire",
            "url": "https://wire.example.com/rss",
            "title": "Example Wire",
            "tags": ["diplomacy", "en"],
        },
        {
            "id": "akhbar",
            "url": "https://akhbar.example.org/feed",
            "title": "أخبار المثال",
            "tags": ["mena"],
            "language": "ar",
        },
    ]
    env_a, _ = _env(env, tmp_path / "a", feeds)
    out = run_monitor("feeds", "export", env=env_a)
    assert out.returncode == 0, out.stderr
    assert '<opml version="2.0">' in out.stdout
    assert 'category="diplomacy,en"' in out.stdout
    opml = tmp_path / "out.opml"
    opml.write_text(out.stdout, encoding="utf-8")
    env_b, feeds_yaml = _env(env, tmp_path / "b", [])
    proc = run_monitor("feeds", "import", str(opml), env=env_b)
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(feeds_yaml.read_text(encoding="utf-8"))["feeds"]
    assert [(f["url"], f["title"], f.get("tags"), f.get("language")) for f in data] == [
        ("https://wire.example.com/rss", "Example Wire", ["diplomacy", "en"], None),
        ("https://akhbar.example.org/feed", "أخبار المثال", ["mena"], "ar"),
    ]
    assert [f["id"] for f in data] == ["example-wire", "akhbar.example.org"]


def test_import_of_a_non_opml_file_names_it(env: dict[str, str], tmp_path: Path) -> None:
    """An HTML file given to import exits 2 with an error naming the file."""
    env2, _ = _env(env, tmp_path, [])
    bad = tmp_path / "page.opml"
    bad.write_text("<html><body>hi</body></html>", encoding="utf-8")
    proc = run_monitor("feeds", "import", str(bad), env=env2)
    assert proc.returncode == 2
    assert f"error: {bad}: not an OPML file" in proc.stderr


def test_import_skips_an_outline_that_cannot_be_a_feed_and_keeps_the_rest(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A javascript: outline is skipped with a warning naming it; the other feeds are imported."""
    env2, feeds_yaml = _env(env, tmp_path, [])
    opml = tmp_path / "mixed.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline type="rss" text="Trap" xmlUrl="javascript:alert(1)"/>'
        '<outline type="rss" text="Good Wire" xmlUrl="https://good.example.org/rss"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    proc = run_monitor("feeds", "import", str(opml), env=env2)
    assert proc.returncode == 0, proc.stderr
    [warning] = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert "skipped outline Trap <javascript:alert(1)>: must be an http:// or https:// URL" in warning
    assert [f.url for f in load_yaml_model(feeds_yaml, FeedsFile).feeds] == ["https://good.example.org/rss"]
