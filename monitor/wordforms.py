"""Lookup forms of one normalized token, for matching rule terms and gazetteer names.

A token is turned into a small set of *candidate* forms; a rule word matches when it is one
of them (or, for prefix terms, a prefix of one). Rule words are only normalized and folded,
never stripped, so a candidate that is not a real word costs nothing: it just matches no rule.
This is what keeps ``وزير`` a minister and ``التعاون`` cooperation, where Snowball's Arabic
stemmer gives ``زير`` and ``تعا`` (issue 5).

Arabic (light stemming after Larkey, Ballesteros & Connell, "Light Stemming for Arabic
Information Retrieval", 2007, but yielding every candidate instead of one stem):

* at most one proclitic group comes off: و ف ب ك ل, the article ال, and their combinations
  (وال بال كال فال لل ولل فلل وبال فبال وكال ...), leaving at least two letters; after لل (the
  preposition li- before the article, whose alef is not written) the article is also given back,
  so names written with it match: للأمم المتحدة finds الأمم المتحدة, للقاعدة finds القاعدة;
* or, on a verb, the future particle س (with و or ف before it) when an imperfect prefix ي ت ن ا
  follows: سيزور gives يزور, ستوقعان gives توقعان;
* then at most one suffix: feminine (ة, after normalization ه), sound plurals (ون ين ات),
  duals (ان تان تين), nisba forms (ي يه يون يين يات) and possessive pronouns (ه ها هم هما هن
  ك كم نا ي, also after the plural ات) and the feminine past-tense ت of verbs (أعلنت) and the
  accusative alif of tanween (اتصالاً هاتفياً);
  a ta marbuta that became ت before a pronoun or dual
  (حكومتها، حكومتان) is given back as ه, and ات plurals also yield the singular in ه;
  a final hamza that sits on ya or waw before a suffix (نظرائه، سفرائها، أعضاؤه: normalized
  نظرايه، سفرايها، اعضاوه) is given back as ء (نظراء، سفراء، اعضاء): the seat of a hamza
  follows the vowels around it, so the final ء of broken plurals in ـاء is written ئ or ؤ once
  a pronoun follows (the kasra or damma of the case ending), and normalization folds those seats.

Latin script (English, French): accents are folded (é -> e, so "Etat" meets "État"), then
plural and feminine endings come off: -s, -es, -ies -> -y, French -aux -> -al, -e, -enne(s)
-> -en. Derivational families (terrorism, terrorist, terroriste; diplomatie, diplomatique)
are matched by prefix terms (``terroris*``, ``diplomati*``) in the rules, not guessed here.
"""

from __future__ import annotations

import re
import unicodedata

from monitor.textnorm import is_arabic_letter

_AR_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "و",
            "ف",
            "ب",
            "ك",
            "ل",
            "ال",
            "وال",
            "فال",
            "بال",
            "كال",
            "لل",
            "ولل",
            "فلل",
            "وب",
            "فب",
            "ول",
            "فل",
            "وك",
            "فك",
            "وبال",
            "فبال",
            "وكال",
            "فكال",
        },
        key=len,
        reverse=True,
    )
)
#: Pronoun suffixes and dual endings: before them ة is written ت.
_AR_AFTER_TA = ("ها", "هم", "هما", "هن", "ه", "ك", "كم", "نا", "ي", "ان", "ين")
_AR_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "ه",
            "ات",
            "ون",
            "ين",
            "ان",
            "تان",
            "تين",
            "ي",
            "يه",
            "يون",
            "يين",
            "يات",
            "ها",
            "هم",
            "هما",
            "هن",
            "ك",
            "كم",
            "نا",
            "اته",
            "اتها",
            "اتهم",
            "يا",
            "ت",
            "ا",
        },
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 2
_MIN_LATIN = 3


def word_forms(token: str) -> tuple[str, ...]:
    """Candidate forms of one normalized token (see module docstring); the token itself first."""
    if token and is_arabic_letter(token[0]):
        return arabic_forms(token)
    return latin_forms(token)


def fold_latin(word: str) -> str:
    """Remove accents from a normalized Latin-script word (``état`` -> ``etat``); others unchanged."""
    if word.isascii() or (word and is_arabic_letter(word[0])):
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


#: Nouns whose first و is a root letter, not "and": وزارة (ministry, normalized وزاره), وزاري
#: (ministerial) would otherwise yield زار (visited), a diplomacy relation term. The verb's own
#: forms keep the clitic (وزار "and visited", وزارت); "وزاره" read as "and visited him" is lost.
_ROOT_WAW = re.compile(r"وزار(?:ه|ات|ي|يه|يين|يون|يا)")


def arabic_forms(token: str) -> tuple[str, ...]:
    """Candidate forms of a normalized Arabic token: clitics and one suffix off (module docstring)."""
    out = dict.fromkeys([token])
    bases = [token]
    root_waw = bool(_ROOT_WAW.fullmatch(token))
    for prefix in _AR_PREFIXES:
        if prefix == "و" and root_waw:
            continue
        if token.startswith(prefix) and len(token) - len(prefix) >= _MIN_STEM:
            bases.append(token[len(prefix) :])
            if prefix.endswith("لل"):  # li- + al-: the article's alef is not written (للأمم = ل + الأمم)
                bases.append("ال" + token[len(prefix) :])
    future = _future_verb(token)
    if future:
        bases.append(future)
    for base in bases:
        out[base] = None
        for suffix in _AR_SUFFIXES:
            if not base.endswith(suffix) or len(base) - len(suffix) < _MIN_STEM:
                continue
            stem = base[: -len(suffix)]
            out[stem] = None
            if suffix in _AR_AFTER_TA and stem.endswith("ت") and len(stem) > _MIN_STEM:
                out[stem[:-1] + "ه"] = None
            if suffix.startswith("ات"):
                out[stem + "ه"] = None
            if stem.endswith(("اي", "او")) and len(stem) > _MIN_STEM + 1:
                out[stem[:-1] + "ء"] = None
    return tuple(out)


def _future_verb(token: str) -> str:
    """The imperfect verb under the future particle sa- (سيزور -> يزور, وستبحث -> تبحث), or "".

    س is a prefix only of imperfect verbs, whose own prefix (ي ت ن ا) follows it; at least three
    letters must remain, so nouns that merely begin with س (سياسة، ستة) give a form no rule holds.
    """
    for conj in ("", "و", "ف"):
        if token.startswith(conj + "س") and len(token) - len(conj) - 1 >= _MIN_STEM + 1:
            rest = token[len(conj) + 1 :]
            if rest[0] in "يتنا":
                return rest
    return ""


def latin_forms(token: str) -> tuple[str, ...]:
    """Candidate forms of a normalized Latin-script token: accents folded, plural/feminine off."""
    word = fold_latin(token)
    out = dict.fromkeys([word])
    if len(word) <= _MIN_LATIN:
        return tuple(out)
    if word.endswith("ies"):
        out[word[:-3] + "y"] = None
    if word.endswith("aux"):
        out[word[:-3] + "al"] = None
    stripped = word[:-1] if word.endswith(("s", "x")) else word
    out[stripped] = None
    if word.endswith("es"):
        out[word[:-2]] = None
    if stripped.endswith("enne"):
        out[stripped[:-2]] = None
    elif stripped.endswith("e") and len(stripped) > _MIN_LATIN + 1:
        out[stripped[:-1]] = None
    return tuple(out)
