"""Candidate word forms: Arabic clitics and suffixes, Latin plurals, feminines and accents (pure)."""

from __future__ import annotations

import pytest

from monitor.textnorm import normalize
from monitor.wordforms import fold_latin, word_forms


def forms(word: str) -> set[str]:
    return set(word_forms(normalize(word)))


@pytest.mark.parametrize(
    ("token", "base"),
    [
        ("والإرهاب", "ارهاب"),  # و + ال
        ("بالإرهاب", "ارهاب"),  # ب + ال
        ("للإرهاب", "ارهاب"),  # ل + ال -> لل
        ("فالإرهاب", "ارهاب"),  # ف + ال
        ("وبالإرهاب", "ارهاب"),  # و + ب + ال
        ("كالإرهاب", "ارهاب"),  # ك + ال
        ("ولمصر", "مصر"),  # و + ل
        ("فبمصر", "مصر"),  # ف + ب
        ("للأمم", "الامم"),  # ل + ال -> لل: the article comes back for names written with it
        ("وللقاعدة", "القاعده"),  # و + ل + ال
    ],
)
def test_arabic_proclitics_and_their_combinations_come_off(token: str, base: str) -> None:
    """و ف ب ك ل, the article and combinations such as وال بال لل فال are stripped."""
    assert base in forms(token)


@pytest.mark.parametrize(
    ("token", "base"),
    [
        ("إرهابية", "ارهاب"),  # nisba + feminine
        ("الإرهابيين", "ارهاب"),  # article + nisba plural
        ("الإرهابيون", "ارهاب"),
        ("المصرية", "مصر"),  # article + feminine adjective
        ("المصريين", "مصر"),
        ("المفاوضات", "مفاوضه"),  # sound feminine plural gives the singular in ة
        ("حكومتها", "حكومه"),  # ta marbuta written ت before a pronoun
        ("حكومتان", "حكومه"),  # dual
        ("نظيره", "نظير"),  # possessive pronoun
        ("نظيرها", "نظير"),
        ("سفيرة", "سفير"),  # feminine
        ("اتصالاً", "اتصال"),  # tanween alif (accusative)
        ("أعلنت", "اعلن"),  # feminine past tense
    ],
)
def test_arabic_feminine_plural_dual_and_possessive_suffixes_come_off(token: str, base: str) -> None:
    """Feminine, sound plural, dual, nisba and possessive endings yield the base form."""
    assert base in forms(token)


@pytest.mark.parametrize(
    ("token", "verb"),
    [
        ("سيزور", "يزور"),  # sa- + imperfect
        ("ستوقعان", "توقعان"),  # sa- + feminine dual
        ("وسيبحث", "يبحث"),  # wa- + sa-
        ("فسنعمل", "نعمل"),  # fa- + sa-, first person plural
    ],
)
def test_the_future_particle_comes_off_imperfect_verbs(token: str, verb: str) -> None:
    """سـ before an imperfect verb (its own prefix ي ت ن ا follows) gives the verb as rules list it."""
    assert verb in forms(token)


@pytest.mark.parametrize("noun", ["ستة", "سلام", "سفير", "سوريا"])
def test_nouns_beginning_with_sin_lose_nothing(noun: str) -> None:
    """A noun whose first letter is س, not followed by ي ت ن ا or too short to be a verb, is
    looked up whole (سياسة does give ياسه, a form no rule or name holds)."""
    assert not any(form == normalize(noun)[1:] for form in forms(noun))


def test_snowball_failures_of_the_issue_do_not_happen() -> None:
    """وزير keeps the form وزير (Snowball: زير), التعاون yields تعاون (Snowball: تعا), والإرهاب is stripped.

    Forms are candidates looked up against rule words as written, never a single stem, so
    a word is always found under its whole form as well.
    """
    assert word_forms(normalize("وزير"))[0] == "وزير"
    assert "تعاون" in forms("التعاون")
    assert "ارهاب" in forms("والإرهاب")


def test_the_token_itself_is_always_the_first_form() -> None:
    """An unknown word is still looked up as written (first candidate)."""
    assert word_forms("القاعدة".replace("ة", "ه"))[0] == "القاعده"
    assert word_forms("diplomatie")[0] == "diplomatie"


@pytest.mark.parametrize(
    ("token", "base"),
    [
        ("terrorists", "terrorist"),
        ("embassies", "embassy"),
        ("otages", "otage"),
        ("bilatéraux", "bilateral"),
        ("américaine", "americain"),
        ("iraniennes", "iranien"),
        ("état", "etat"),
    ],
)
def test_latin_plurals_feminines_and_accents(token: str, base: str) -> None:
    """English/French plural and feminine endings come off; accents fold (État meets Etat)."""
    assert base in forms(token)


def test_fold_latin_leaves_arabic_alone() -> None:
    """Accent folding only touches Latin-script words."""
    assert fold_latin("sécurité") == "securite"
    assert fold_latin("إرهاب") == "إرهاب"


def test_fast_normalize_equals_its_translate_definition() -> None:
    """normalize's replace/split fast path equals NFKC, casefold, translate and \\s+ folding."""
    import re
    import unicodedata

    from monitor.textnorm import _AR_DIACRITICS, _AR_TRANSLATE

    def reference(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = _AR_DIACRITICS.sub("", text).translate(_AR_TRANSLATE)
        return re.sub(r"\s+", " ", text).strip()

    samples = [
        "  L’État\u00a0islamique\u202fa revendiqué  l'attentat\t\n",
        "وَأَكَّدَ الإتحادُ الأوروبيّ ـــ رغبته في ٢٠٢٤ و۱۲ إلى مستشفى المؤسسة",
        "Mixed العربية and English\u2009text\x1c with\u3000odd spaces",
        "ﻻ ﷲ ٱلرحمن",
    ]
    for text in samples:
        assert normalize(text) == reference(text)
