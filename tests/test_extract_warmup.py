"""The extraction warm-up that ``monitor worker`` runs before RQ forks a work-horse per job."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

_PROBE = """
import json
from dateparser.languages.dictionary import Dictionary
import trafilatura.external as external
from monitor.extract_html import warm_up

def state():
    locales = {name for per_key in Dictionary._split_regex_cache.values() for name in per_key}
    return {"locales": sorted(locales), "stoplist_words": len(external.JT_STOPLIST or ())}

before = state()
warm_up()
print(json.dumps({"before": before, "after": state()}))
"""


@functools.cache  # one fresh process (~2 s) serves both tests
def _probe() -> dict[str, dict[str, object]]:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, dict[str, object]] = json.loads(done.stdout)
    return result


def test_warm_up_compiles_dateparser_regexes_for_the_project_languages_in_a_fresh_process() -> None:
    """In a fresh process no dateparser locale is compiled; after warm_up the English and French
    ones (among all others) are, so a forked work-horse finds them ready."""
    result = _probe()
    assert result["before"]["locales"] == []
    after = result["after"]["locales"]
    assert isinstance(after, list)
    assert {"en", "fr"} <= set(after)
    assert len(after) > 100


def test_warm_up_loads_the_justext_stop_lists() -> None:
    """trafilatura's justext fallback stop lists are loaded by warm_up (empty before it)."""
    result = _probe()
    assert result["before"]["stoplist_words"] == 0
    stoplist_words = result["after"]["stoplist_words"]
    assert isinstance(stoplist_words, int) and stoplist_words > 10_000
