"""Boilerplate that trafilatura lets through: teaser lists, share and ad labels, consent notices.

The phrase lists below are the one place where these words live, in English, French and
Arabic. They are matched on :func:`monitor.textnorm.normalize`-d text (case, accents kept,
Arabic alef/hamza/ta marbuta folded) with edge punctuation stripped, so ``À LIRE AUSSI :``,
``à lire aussi`` and ``» Lire aussi`` are one phrase, and ``اقرأ أيضاً`` matches ``اقرا ايضا``.

Two passes (the kind, not the strings):

* **On the HTML tree** (:func:`prune_teaser_blocks`, before trafilatura): a short element
  whose text is a teaser heading ("À lire aussi", "Related", "اقرأ أيضا"...) followed by a
  block made mostly of links (two links or more, link text >= 60 % of the block's text) is
  cut, with everything after it inside the same parent (case 17, after mediacloud/metadata-lib#86).
* **On the extracted text** (:func:`clean_text`): lines that are a share label, an advertising
  label, a navigation or paywall label, a teaser heading (with the run of headline-like lines
  after it), an inline "Lire aussi : <headline>" line, or a cookie/consent notice are cut; a
  line of comment-section rules is cut with everything after it.

Every cut is logged as ``boilerplate_cut`` with what kind and how many characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from lxml import etree
from lxml import html as lxml_html

from monitor.textnorm import normalize

log = structlog.get_logger(__name__)

#: Headings that introduce lists of other articles.
TEASER_HEADINGS: dict[str, tuple[str, ...]] = {
    "en": (
        "read also", "also read", "read more", "see also", "related", "related articles", "related stories",
        "related news", "related content", "related topics", "related coverage", "more on this story",
        "more stories", "more news", "more from", "most read", "most popular", "most viewed", "most shared",
        "top stories", "latest news", "latest stories", "trending", "trending now", "you may also like",
        "you might also like", "recommended", "recommended for you", "editor's picks", "don't miss",
        "in other news", "what to read next", "more in this section",
    ),
    "fr": (
        "à lire aussi", "a lire aussi", "lire aussi", "à lire également", "lire également", "à voir aussi",
        "voir aussi", "sur le même sujet", "sur le même thème", "dans la même rubrique", "les plus lus",
        "articles les plus lus", "les plus partagés", "les plus commentés", "dernières actualités",
        "dernières infos", "dernières nouvelles", "à découvrir", "à découvrir aussi", "articles liés",
        "articles similaires", "vous aimerez aussi", "vous aimerez aussi lire", "nos articles",
        "nos recommandations", "en continu", "l'essentiel de l'actu", "plus d'actualités",
    ),
    "ar": (
        "اقرأ أيضا", "اقرأ أيضاً", "إقرأ أيضا", "اقرأ ايضا", "اقرأ المزيد", "مواضيع ذات صلة", "أخبار ذات صلة",
        "مقالات ذات صلة", "ذات صلة", "الأكثر قراءة", "الأكثر مشاهدة", "الأكثر تداولا", "الأكثر تداولاً",
        "آخر الأخبار", "أخبار متعلقة", "اخترنا لك", "قد يعجبك أيضا", "قد يهمك أيضا", "قد يهمك", "شاهد أيضا",
        "المزيد من الأخبار", "موضوعات متعلقة", "اقرأ كذلك",
    ),
}
#: Share-button labels (a line that is one of these, or starts with one and is short).
SHARE_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("share", "share this", "share this article", "share this story", "share on facebook",
           "share on twitter", "share on x", "share on whatsapp", "share on linkedin", "share via email",
           "tweet", "tweet this", "link this", "digg this", "email this", "print this", "reprints",
           "email", "print", "copy link", "link copied", "comments", "facebook", "twitter",
           "whatsapp", "linkedin", "pinterest", "telegram", "follow us"),
    "fr": ("partager", "partager sur", "partager sur facebook", "partager sur twitter", "partager sur x",
           "partager par e-mail", "partager cet article", "tweeter", "imprimer", "envoyer par e-mail",
           "copier le lien", "lien copié", "suivez-nous", "commenter", "réagir"),
    "ar": ("شارك", "مشاركة", "شارك على فيسبوك", "شارك على تويتر", "شارك عبر واتساب", "شارك الخبر",
           "طباعة", "نسخ الرابط", "تابعنا", "فيسبوك", "تويتر", "واتساب", "تيليجرام"),
}
#: Advertising labels left where an ad slot was.
AD_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("advertisement", "advertising", "ad", "ads", "sponsored", "sponsored content", "promoted",
           "story continues below advertisement", "continue reading below", "article continues below"),
    "fr": ("publicité", "pub", "contenu sponsorisé", "contenu partenaire", "annonce",
           "la suite après la publicité", "suite après la publicité", "article réservé aux abonnés"),
    "ar": ("إعلان", "اعلان", "إعلانات", "محتوى مدفوع", "مساحة إعلانية", "محتوى برعاية"),
}
#: Navigation and paywall labels: "continue reading", "subscribers only", "full article"...
NAV_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("continue reading", "continue reading the main story", "supported by", "full article",
           "full coverage", "read the full story", "subscribe", "sign up", "log in", "back to top",
           "skip to content",
           "skip advertisement", "read this story in", "listen to this article", "show comments",
           "subscribe to continue reading", "this article is for subscribers only"),
    "fr": ("la suite est réservée aux abonnés", "article réservé aux abonnés", "réservé aux abonnés",
           "lire la suite", "lire plus tard", "s'abonner", "abonnez-vous", "se connecter", "retour en haut",
           "écouter cet article", "offrir cet article", "voir les commentaires"),
    "ar": ("اقرأ المزيد", "للمزيد", "اشترك", "تسجيل الدخول", "العودة إلى الأعلى", "التعليقات"),
}
#: Phrases that make a line a cookie/consent notice (the line is cut when it contains one).
CONSENT_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("we use cookies", "this site uses cookies", "this website uses cookies", "uses cookies to",
           "accept cookies", "accept all cookies", "cookie policy", "cookie settings", "manage cookies",
           "by continuing to use this site", "by using this site, you agree", "your privacy choices",
           "consent to the use of cookies", "manage consent"),
    "fr": ("nous utilisons des cookies", "ce site utilise des cookies", "utilise des cookies",
           "accepter les cookies", "tout accepter", "politique de cookies", "gérer les cookies",
           "paramétrer les cookies", "en poursuivant votre navigation", "vos choix de confidentialité",
           "gérer mes choix", "gérer mon consentement", "gérer le consentement",
           "paramétrer votre consentement", "retirer votre consentement", "modifier votre consentement"),
    "ar": ("ملفات تعريف الارتباط", "نستخدم ملفات", "سياسة الكوكيز", "ملفات الكوكيز", "قبول الكوكيز",
           "باستمرارك في استخدام"),
}

#: Phrases of comment-section rules; such a line and everything after it are cut (they close pages).
COMMENT_POLICY_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("comments policy", "comment policy", "community guidelines", "comments are moderated",
           "views expressed in the comments", "we welcome comments", "commenting rules", "house rules"),
    "fr": ("charte de modération", "commentaires sont modérés", "règles de modération",
           "propos tenus dans les commentaires", "charte des commentaires"),
    "ar": ("مراجعة التعليقات", "تحذف التعليقات", "حذف التعليقات", "حذف تعليق", "قواعد الموقع",
           "قواعد التعليق", "الآراء الواردة أدناه", "التعليقات المنشورة"),
}

_EDGE_PUNCT = " \t\u200f\u200e:：|»«›‹>•·-–—…!.؛،,()[]\"'“”"
_SENTENCE_END = tuple(".!?؟。…»\"”")
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "p", "span", "div", "header", "li", "a",
                 "section", "aside", "label"}
#: A teaser heading element has at most this many characters of text.
_MAX_HEADING_CHARS = 60
#: Link text share above which a block is "made mostly of links".
LINK_DENSITY = 0.6
#: Consecutive share labels that mark the end of the article (when in the text's second half).
SHARE_RUN = 3
#: A body is suspect when boilerplate-like lines make up this share of it or more.
SUSPECT_SHARE = 0.5


def _key(text: str) -> str:
    return normalize(text).strip(_EDGE_PUNCT)


def _any_of(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern found wherever one of ``phrases`` occurs as a substring (never, for none)."""
    return re.compile("|".join(re.escape(p) for p in phrases) or r"(?!)")


def _phrase_set(table: dict[str, tuple[str, ...]]) -> frozenset[str]:
    return frozenset(_key(p) for phrases in table.values() for p in phrases)


@dataclass(frozen=True)
class Cut:
    """One cut: its kind (``teaser_block``, ``teaser``, ``share``, ``ad``, ``consent``, ``nav``,
    ``comment_policy``) and the text cut."""

    kind: str
    text: str


class BoilerplateFilter:
    """Cuts boilerplate from HTML trees and extracted text; phrase sets are built once in ``__init__``."""

    def __init__(self) -> None:
        self._teasers = _phrase_set(TEASER_HEADINGS)
        self._share = _phrase_set(SHARE_LABELS)
        self._share_prefixes = tuple(s for s in self._share if " " in s)
        self._ads = _phrase_set(AD_LABELS)
        self._consent = tuple(sorted(_phrase_set(CONSENT_PHRASES)))
        self._comment_policy = tuple(sorted(_phrase_set(COMMENT_POLICY_PHRASES)))
        self._nav = _phrase_set(NAV_LABELS)
        self._nav_prefixes = tuple(sorted(self._nav))
        # The same phrases as prefix tuples for str.startswith and as alternations of literals,
        # so that classify_line tests each line in C instead of a Python loop over phrases.
        self._share_starts = tuple(s + " " for s in self._share_prefixes)
        long_teasers = [t for t in sorted(self._teasers) if len(t) > 6]
        self._teaser_starts = tuple(t + " " for t in long_teasers) + tuple(t + ":" for t in long_teasers)
        self._consent_re = _any_of(self._consent)
        self._comment_policy_re = _any_of(self._comment_policy)
        self._nav_re = _any_of(tuple(p for p in self._nav_prefixes if len(p) > 14))

    # HTML tree ---------------------------------------------------------------
    def is_teaser_heading(self, text: str) -> bool:
        """True when ``text`` (a heading or a label) is one of :data:`TEASER_HEADINGS`."""
        return len(text) <= _MAX_HEADING_CHARS and _key(text) in self._teasers

    def prune_teaser_blocks(self, tree: lxml_html.HtmlElement, source: str = "") -> list[Cut]:
        """Cut every teaser heading followed by a block of links, and all that follows it in its parent.

        Modifies ``tree`` in place. Returns the cuts (also logged as ``boilerplate_cut``).
        """
        cuts: list[Cut] = []
        gone: set[lxml_html.HtmlElement] = set()  # cut elements and everything inside them
        for el in list(tree.iter(*_HEADING_TAGS)):
            if el.getparent() is None or el in gone:
                continue
            text = _text_of(el)
            if not self.is_teaser_heading(text.strip()):
                continue
            following = _following_text_siblings(el)
            if not following or not _mostly_links(following[0]):
                continue
            removed = [el, *following]
            cut_text = " | ".join(" ".join(e.text_content().split()) for e in removed)
            for e in removed:
                gone.update(e.iter())
                e.drop_tree()
            cuts.append(Cut("teaser_block", cut_text))
        _log_cuts(cuts, source)
        return cuts

    # extracted text ------------------------------------------------------------
    def classify_line(self, line: str) -> str | None:
        """The boilerplate kind of one extracted line (a :class:`Cut` kind) or None."""
        key = _key(line)
        if not key:
            return None
        words = len(key.split())
        if key in self._teasers:
            return "teaser"
        if key in self._ads:
            return "ad"
        if key in self._share or (words <= 6 and key.startswith(self._share_starts)):
            return "share"
        if words <= 30 and key.startswith(self._teaser_starts):
            return "teaser"
        if words <= 80 and self._consent_re.search(key):
            return "consent"
        if self._comment_policy_re.search(key):
            return "comment_policy"
        if key in self._nav or (words <= 25 and self._nav_re.search(key)):
            return "nav"
        return None

    def clean_text(self, text: str, source: str = "") -> tuple[str, list[Cut]]:
        """Cut boilerplate lines from extracted text (lines are paragraphs).

        A teaser heading line also takes the run of headline-like lines after it (short lines
        that do not end like a sentence). A line of comment rules, or a run of
        :data:`SHARE_RUN` share labels in the second half of the text, ends the article: the
        rest is page rails and is cut too. Returns (clean text, cuts); the cuts are logged.
        """
        lines = text.split("\n")
        keep: list[str] = []
        cuts: list[Cut] = []
        in_teaser = False
        share_run = 0
        for n, line in enumerate(lines):
            stripped = line.strip()
            kind = self.classify_line(stripped) if stripped else None
            if kind is None and in_teaser and stripped and _headline_like(stripped):
                kind = "teaser"
            elif kind is None:
                in_teaser = False
            share_run = share_run + 1 if kind == "share" else (share_run if not stripped else 0)
            ends_article = kind == "comment_policy" or (share_run >= SHARE_RUN and 2 * n >= len(lines))
            if ends_article:
                cuts.append(Cut(kind or "share", " ".join(ln.strip() for ln in lines[n:])))
                break
            if kind is None:
                keep.append(line)
                continue
            in_teaser = in_teaser or (kind == "teaser" and _key(stripped) in self._teasers)
            cuts.append(Cut(kind, stripped))
        _log_cuts(cuts, source)
        return re.sub(r"\n{3,}", "\n\n", "\n".join(keep)).strip(), cuts

    def boilerplate_share(self, text: str) -> float:
        """Share (0..1) of ``text``'s characters in lines that read as boilerplate or as link labels
        (short lines not ending like a sentence)."""
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        total = sum(len(ln) for ln in lines)
        if not total:
            return 1.0
        bad = sum(len(ln) for ln in lines if self.classify_line(ln) or _headline_like(ln))
        return bad / total


def _text_of(el: lxml_html.HtmlElement) -> str:
    """``el.text_content()`` (all descendant text, no tail) by libxml2's text serializer: the same
    string without an XPath evaluation per call (~40% less time over the ~700 elements a page)."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _following_text_siblings(el: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """Element siblings after ``el`` that carry text (scripts and empty wrappers skipped)."""
    out = []
    for sib in el.itersiblings():
        if not isinstance(sib.tag, str) or sib.tag in ("script", "style", "noscript"):
            continue
        if sib.text_content().strip():
            out.append(sib)
    return out


def _mostly_links(block: lxml_html.HtmlElement) -> bool:
    """True when ``block`` holds two links or more whose text is >= :data:`LINK_DENSITY` of its text."""
    links = block.findall(".//a") + ([block] if block.tag == "a" else [])
    if len(links) < 2:
        return False
    total = len(" ".join(block.text_content().split()))
    linked = sum(len(" ".join(a.text_content().split())) for a in links)
    return total > 0 and linked / total >= LINK_DENSITY


def _headline_like(line: str) -> bool:
    """A short line (< 20 words) that does not end like a sentence: a teaser headline or a label."""
    return len(line.split()) < 20 and not line.rstrip().endswith(_SENTENCE_END)


def _log_cuts(cuts: Iterable[Cut], source: str) -> None:
    for cut in cuts:
        log.info("boilerplate_cut", source=source, kind=cut.kind, chars=len(cut.text), text=cut.text[:120])
