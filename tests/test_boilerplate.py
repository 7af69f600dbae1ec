"""Boilerplate that trafilatura lets through is cut (teaser lists, share/ad labels, consent notices)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.boilerplate import BoilerplateFilter
from monitor.classify import Classifier, load_countries
from monitor.config import Config
from monitor.extract_html import HtmlExtractor
from monitor.model import Document, EntryInfo

ROOT = Path(__file__).resolve().parent.parent

# Case 17 kind, written for this test: a French economy article whose "À lire aussi" list
# (inside the same content div) mentions an attack and hostages.
MILK_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Le prix du lait payé aux éleveurs remonte en Normandie - Exemple Matin</title></head><body>
<nav><a href="/">Accueil</a> <a href="/eco">Économie</a></nav>
<div class="article-content">
<h1>Le prix du lait payé aux éleveurs remonte en Normandie</h1>
<p>Le prix du lait payé aux producteurs normands a progressé de 3 % en un mois, selon les chiffres
publiés mercredi par l'interprofession laitière régionale, une première hausse depuis le début de l'année.</p>
<p>Les coopératives expliquent cette remontée par une demande plus forte de fromages à l'exportation et par
une collecte en léger recul après un printemps particulièrement pluvieux dans le bocage.</p>
<p>Les éleveurs saluent une bouffée d'oxygène mais rappellent que le coût de l'alimentation animale reste
élevé, et demandent une revalorisation durable du prix du litre dans les contrats annuels.</p>
<div class="share"><a href="#">Partager sur Facebook</a> <a href="#">Partager sur X</a></div>
<p class="ad-label">PUBLICITÉ</p>
<h2>À lire aussi</h2>
<ul>
<li><a href="/a">Attentat déjoué dans une gare : deux hommes interpellés par la DGSI</a></li>
<li><a href="/b">Prise d'otages dans une banque : le suspect s'est rendu</a></li>
<li><a href="/c">Le ministre des Affaires étrangères reçu par son homologue</a></li>
</ul>
<h2>Les plus lus</h2>
<ul><li><a href="/d">Terrorisme : le procès des attentats s'ouvre lundi</a></li>
<li><a href="/e">Météo</a></li></ul>
</div>
<footer>Exemple Matin</footer></body></html>"""


@pytest.fixture(scope="module")
def extractor() -> HtmlExtractor:
    return HtmlExtractor()


def _extract(extractor: HtmlExtractor, html: str, entry: EntryInfo | None = None):  # type: ignore[no-untyped-def]
    doc = Document(source="page.html", content=html.encode("utf-8"), content_type="text/html",
                   url="https://exemple-matin.example.fr/eco/lait", entry=entry or EntryInfo())
    return extractor.extract(doc)


def test_teaser_list_after_the_article_is_cut(extractor: HtmlExtractor) -> None:
    """The "À lire aussi" heading, its linked headlines and what follows it are gone; the article stays."""
    article = _extract(extractor, MILK_PAGE)
    assert "Le prix du lait payé aux producteurs normands a progressé de 3 %" in article.text
    assert "revalorisation durable du prix du litre" in article.text
    for gone in ("Attentat déjoué", "otages", "Affaires étrangères", "À lire aussi", "Les plus lus",
                 "Terrorisme", "Partager sur", "PUBLICITÉ"):
        assert gone not in article.text, gone


def test_economy_article_with_attack_teasers_gets_no_security_topic(extractor: HtmlExtractor) -> None:
    """After the cut, the repository's topic rules give neither counter-terrorism nor diplomacy."""
    article = _extract(extractor, MILK_PAGE)
    config = Config.load(ROOT / "config")
    labels = Classifier(config.topics, load_countries()).classify(article.title, article.text, "fr").labels
    assert "counter-terrorism" not in labels
    assert "diplomacy" not in labels


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Read also", "teaser"), ("RELATED STORIES", "teaser"), ("Most read", "teaser"),
        ("À lire aussi :", "teaser"), ("Sur le même sujet", "teaser"),
        ("Lire aussi | Le budget voté", "teaser"),
        ("اقرأ أيضاً", "teaser"), ("مواضيع ذات صلة", "teaser"), ("الأكثر قراءة", "teaser"),
        ("Share on Facebook", "share"), ("Partager sur X", "share"), ("شارك", "share"),
        ("Advertisement", "ad"), ("PUBLICITÉ", "ad"), ("إعلان", "ad"),
        ("We use cookies to improve your experience. Accept all cookies", "consent"),
        ("En poursuivant votre navigation, vous acceptez l'utilisation de cookies.", "consent"),
        ("Gérer mon consentement", "consent"),
        ("نستخدم ملفات تعريف الارتباط لتحسين تجربتك", "consent"),
        ("La suite est réservée aux abonnés.", "nav"),
    ],
)
def test_boilerplate_lines_are_recognised_in_three_languages(line: str, kind: str) -> None:
    """Each kind of label is recognised whatever its case, accents, hamza forms or trailing punctuation."""
    assert BoilerplateFilter().classify_line(line) == kind


def test_article_sentences_are_not_boilerplate() -> None:
    """Prose that merely mentions sharing, advertising or a related story is kept."""
    filt = BoilerplateFilter()
    for line in (
        "The ministry said it would share the report with parliament next week.",
        "Advertising revenue fell by a third, the company said on Tuesday.",
        "Les deux affaires sont liées, selon le parquet, qui a ouvert une enquête.",
        # consent as the subject of the news, not a cookie banner (a body line was cut for this word)
        "Le juge a retenu le défaut de consentement, a précisé l'avocate de la plaignante.",
    ):
        assert filt.classify_line(line) is None


def test_english_related_block_and_arabic_read_also_block_are_cut(extractor: HtmlExtractor) -> None:
    """The generic rule works on any heading tag and list markup, in English and Arabic."""
    para = "The council approved the budget after a long debate about school funding and road repairs. " * 3
    html = (f"<html lang='en'><body><article><h1>Council approves budget</h1><p>{para}</p>"
            "<div><strong>Related</strong></div><div><a href='/1'>Bomb threat at airport</a>"
            "<a href='/2'>Embassy closed</a><a href='/3'>Hostage crisis ends</a></div>"
            "</article></body></html>")
    article = _extract(extractor, html)
    assert "approved the budget" in article.text and "Bomb threat" not in article.text
    ar_para = "وافق المجلس البلدي على الميزانية الجديدة بعد نقاش طويل حول تمويل المدارس وصيانة الطرق. " * 3
    ar_html = (f"<html lang='ar' dir='rtl'><body><article><h1>المجلس يقر الميزانية</h1><p>{ar_para}</p>"
               "<h3>اقرأ أيضا</h3><ul><li><a href='/1'>إحباط هجوم إرهابي</a></li>"
               "<li><a href='/2'>إغلاق السفارة</a></li></ul></article></body></html>")
    article = _extract(extractor, ar_html)
    assert "وافق المجلس البلدي" in article.text and "إحباط هجوم" not in article.text


def test_a_page_that_is_mostly_boilerplate_falls_back_to_the_entry(extractor: HtmlExtractor) -> None:
    """A cookie wall with no article is suspect; the entry's summary is used and recorded as the source."""
    html = ("<html lang='en'><body><div class='consent'><p>We use cookies to give you the best "
            "experience. Accept all cookies or manage consent in your settings.</p><p>Accept all</p>"
            "</div></body></html>")
    summary = ("The regional parliament of Example Province passed a law on water rights on Monday, "
               "after three years of negotiation between farmers, cities and the national river agency. ")
    article = _extract(extractor, html, EntryInfo(title="Water law passed", summary=summary * 2))
    assert article.extraction_source == "entry-summary"
    assert article.text.startswith("The regional parliament of Example Province")
    assert article.title == "Water law passed"


@pytest.mark.shared
def test_case_17_page_loses_its_related_headlines(extractor: HtmlExtractor) -> None:
    """../shared/cases/17: the wheat article keeps its sentences and loses teasers, share and ad labels."""
    from tests.conftest import shared_path

    html = shared_path("cases", "17-extract-related-headlines.html").read_text(encoding="utf-8")
    article = _extract(extractor, html)
    assert "Le cours du blé a baissé de 4 %" in article.text
    assert "stabilisation du prix de la farine" in article.text
    for gone in ("Attentat déjoué", "Otages libérés", "Affaires étrangères", "À lire aussi", "Partager sur",
                 "PUBLICITÉ"):
        assert gone not in article.text, gone
    config = Config.load(ROOT / "config")
    labels = Classifier(config.topics, load_countries()).classify(article.title, article.text, "fr").labels
    assert labels == []
