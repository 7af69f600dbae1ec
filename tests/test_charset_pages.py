"""Case 15 kind: an Arabic page in windows-1256 behind a ~14 kB ASCII head, with and without a
declared charset, served from 127.0.0.1 (fixture written for this test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.extract_html import HtmlExtractor
from monitor.fetch import Fetcher, FetchPolicy
from monitor.model import Document
from tests.conftest import LoopbackServer, Route
from tests.helpers import run_monitor

HEADLINE = "اجتماع وزاري لبحث أمن الحدود"
PARA1 = "أكدت الحكومة أن وزير الداخلية سيستقبل نظيره غدا في العاصمة لمناقشة تأمين المعابر الحدودية."
PARA2 = "وأوضح بيان رسمي أن الطرفين سيبحثان إنشاء غرفة عمليات مشتركة لتبادل المعلومات عن شبكات التهريب."
PARA3 = "ومن المتوقع أن يعقد الوزيران مؤتمرا صحفيا مشتركا في ختام الاجتماع بعد ظهر الخميس المقبل."


def cp1256_page(meta: str = "") -> bytes:
    """The page as windows-1256 bytes; ~14 kB of ASCII ad-slot script precede the article."""
    slots = "\n".join(f'  window.adSlot{i:03d} = {{"id": "slot-{i:03d}", "size": [300, 250]}};'
                      for i in range(260))
    html = (f'<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>\n{meta}<title>akhbar example</title>\n'
            f"<script>\n{slots}\n</script>\n</head>\n<body>\n<article>\n<h1>{HEADLINE}</h1>\n"
            f"<p>{PARA1}</p>\n<p>{PARA2}</p>\n<p>{PARA3}</p>\n</article>\n</body>\n</html>\n")
    data = html.encode("windows-1256")
    assert data.index(b"<article>") > 14_000
    return data


VARIANTS = {
    "undeclared": (cp1256_page(), "text/html"),
    "http-header": (cp1256_page(), "text/html; charset=windows-1256"),
    "meta-tag": (cp1256_page('<meta charset="windows-1256">\n'), "text/html"),
    "wrong-meta": (cp1256_page('<meta charset="windows-1252">\n'), "text/html"),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_cp1256_page_decodes_to_arabic_however_it_is_served(
    http_server: LoopbackServer, variant: str
) -> None:
    """Undeclared, declared in the header, in a meta tag, or wrongly declared: the body is Arabic text."""
    content, content_type = VARIANTS[variant]
    http_server.routes["/news/1"] = Route(200, {"Content-Type": content_type}, content)
    with Fetcher(FetchPolicy(allow_private_addresses=True)) as fetcher:
        result = fetcher.fetch(http_server.url("/news/1"))
    article = HtmlExtractor().extract(Document(source="page", content=result.content,
                                               content_type=result.content_type or "", url=result.final_url))
    assert article.title == HEADLINE
    assert PARA1 in article.text and PARA2 in article.text
    assert article.encoding == "windows-1256"
    assert not any("\u00c0" <= ch <= "\u024f" for ch in article.text), "Latin-range mojibake in the body"


def test_extract_command_reports_the_page_as_json(http_server: LoopbackServer) -> None:
    """`monitor extract URL --json --allow-private` prints one object: title, text, language ar, encoding."""
    http_server.routes["/news/2"] = Route(200, {"Content-Type": "text/html"}, cp1256_page())
    proc = run_monitor("extract", http_server.url("/news/2"), "--json", "--allow-private",
                       env={"MONITOR_LOG_FORMAT": "json"})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["title"] == HEADLINE
    assert PARA3 in data["text"]
    assert (data["language"], data["encoding"], data["declared_language"]) == ("ar", "windows-1256", "ar")
    assert data["url"] == http_server.url("/news/2")
    assert {"date", "author", "sitename", "warnings", "extraction_source"} <= set(data)


def test_extract_command_refuses_loopback_without_allow_private(http_server: LoopbackServer) -> None:
    """Without --allow-private a 127.0.0.1 URL is refused with a one-line error and exit code 1."""
    http_server.routes["/news/3"] = Route(200, {"Content-Type": "text/html"}, cp1256_page())
    proc = run_monitor("extract", http_server.url("/news/3"), "--json",
                       env={"MONITOR_ALLOW_PRIVATE_ADDRESSES": "false"})
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "refused" in proc.stderr and "127.0.0.1" in proc.stderr


@pytest.mark.shared
@pytest.mark.parametrize(("content_type", "meta"), [("text/html", False),
                                                    ("text/html; charset=windows-1256", False),
                                                    ("text/html", True)])
def test_case_15_page_decodes_to_arabic(content_type: str, meta: bool) -> None:
    """../shared/cases/15 served bare, with the header charset, and with a meta tag added."""
    from tests.conftest import shared_path

    data = shared_path("cases", "15-extract-cp1256-undeclared.html").read_bytes()
    if meta:
        data = data.replace(b"<head>", b'<head>\n<meta charset="windows-1256">', 1)
    article = HtmlExtractor().extract(Document(source="case15", content=data, content_type=content_type))
    assert "أعلنت وزارة الخارجية أن الوزير سيلتقي نظيره في العاصمة" in article.text
    assert "مذكرة تفاهم لتبادل المعلومات" in article.text
    assert not any("\u00c0" <= ch <= "\u024f" for ch in article.text)


def test_latin_article_on_a_page_marked_arabic_is_kept_with_a_warning() -> None:
    """When every charset gives Latin text for a page marked lang="ar", the text is kept and flagged."""
    para = "The minister said the new bridge would open to traffic next spring after two years of work. " * 3
    html = f'<html lang="ar" dir="rtl"><head><meta charset="utf-8"></head><body><article><p>{para}</p>'
    content = (html + "</article></body></html>").encode()
    article = HtmlExtractor().extract(Document(source="mixed", content=content, content_type="text/html"))
    assert article.text.startswith("The minister said the new bridge")
    assert any("mostly Latin-range" in w for w in article.warnings)


def test_extract_command_reads_a_file(tmp_path: Path) -> None:
    """`monitor extract FILE --json` needs no server and no Redis."""
    page = tmp_path / "page.html"
    page.write_bytes(cp1256_page('<meta charset="windows-1256">\n'))
    proc = run_monitor("extract", str(page), "--json", env={"MONITOR_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["title"], data["language"], data["encoding"]) == (HEADLINE, "ar", "windows-1256")
