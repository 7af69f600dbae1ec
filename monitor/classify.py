"""Topic classification with weighted term rules (config/topics.yaml) and country mentions.

How a text is scored, per topic:

1. Title and body are normalized (:func:`monitor.textnorm.normalize`) and tokenized.
2. Each token is expanded to candidate forms (:func:`monitor.wordforms.word_forms`: Arabic
   clitics and suffixes off, Latin accents folded and plural/feminine endings off).
3. Forms are looked up in one dictionary built at start-up from every rule term and every
   gazetteer name: single words, prefix terms (``terroris*``), and the first word of
   multi-word phrases, whose following words are then checked against the next tokens'
   forms. Lookups are memoized per token, so the cost per document depends on its length,
   not on the number of terms.
4. Words covered by an exclusion phrase of a topic never count for it (nor as a country name);
   within a topic each word counts once,
   for the longest (then heaviest) term covering it. ``against`` terms (counter-evidence,
   e.g. sport vocabulary) have negative weights. A term under a negation cue of its topic
   ("police ruled out a terrorist motive", "écarte à ce stade un acte terroriste") does not
   count: the cue reaches ``negation_window`` tokens forward (``negated_by``) or backward
   (``negated_after``), the window rule of NegEx (Chapman et al., J. Biomed. Inform. 2001).
5. A term's contribution is ``weight * (1 + ln(count))`` (sublinear tf scaling, Manning,
   Raghavan & Schütze, *Introduction to Information Retrieval*, 2008, §6.4.1), multiplied by
   the topic's ``title_weight`` for title matches and, in the body, divided by the pivoted
   length norm of the topic (``length_pivot``, ``length_slope``; Singhal, Buckley & Mitra,
   SIGIR 1996) so a long article needs more evidence than a short item.
6. A topic is a label when its score reaches ``threshold`` and it is more than a passing
   mention: at least ``min_distinct_terms`` different terms matched, or one matched in the
   title or the lede (the first :data:`LEDE_TOKENS` body tokens). This is the labelling
   guideline's test (tests/data/GUIDELINE.md: "in the headline or the lede, or at least a
   paragraph"): one term once deep in a long body ("the barriers installed as a
   counter-terrorism measure") does not make the item about the topic. ``context`` terms
   (institutions and actors: a foreign ministry, the EU, a security service) add to the score,
   but a label also needs one ``terms`` match (an act or a relation: talks, a visit, an attack,
   a claim), so a page that only names institutions is not labelled: consular news quoting the
   foreign ministry, an election story full of EU and NATO. This is the event-versus-entity
   distinction of event extraction, where an event mention needs a trigger and entity mentions
   are only its arguments (ACE 2005 annotation guidelines for events, LDC, 2005).
7. ``relations`` terms (verbs and nouns of relations between states: "urges", "fustige",
   "تندد", "rapprochement") score only as a relation event: one in the title or the lede,
   while the title and lede name at least ``min_sides`` different sides (countries by their
   gazetteer code, capitals as metonyms: "Rabat accueille froidement la proposition d'Alger";
   international bodies in the topic's ``parties`` by their code: "défie la Cédéao"), adds the topic's
   ``relation_weight`` once (``title_relation_weight`` when the term is in the title, if set;
   ``title_adjacent_relation_weight`` when it also stands right next to a side there, "Saudi
   warns U.S.", not "New Zealand museum agrees ...") and counts as a term in the lede. This is the source-actor, verb,
   target-actor pattern of political event coding (CAMEO: Gerner, Schrodt, Yilmaz & Abu-Jabr,
   "Conflict and Mediation Event Observations", 2002), which short feed items often carry
   without any diplomatic noun. The evidence reads ``term + codes`` ("accueille + DZ, MA").
   ``roles`` (offices of people who act for their state: an ambassador, an envoy, a foreign
   minister) are relation terms of the title only: "السفير الروسي بواشنطن: ..." is ``سفير + RU, US``,
   CAMEO's actor-with-role coding, while in a lede such an office is more often a source than the
   subject ("the foreign minister said two nationals died"). With ``min_sides`` 1 and
   ``country_sides`` off the same rule makes one-actor events: counter-terrorism's attack methods
   beside a militant group kept as context ("Taliban kidnap aid worker": ``kidnap* + TALIBAN``).
   People who stand for their state (``actors`` in topics.yaml: "Macron", "لافروف") are sides
   too, and an event between two of them of different states scores ``actor_relation_weight``:
   heads of state and ministers acting on each other are a government-to-government event.
   ``meetings`` terms ("meeting", "tête-à-tête", "اجتماع") make only that kind of event, with
   both people named in the same part (title, or lede) as the term: beside two countries they
   would label a board meeting. Dependent territories are their sovereign's side (``SOVEREIGN``):
   a French president in La Réunion is not on a visit between two states; and when the title and
   lede name only one state and its territory, no topic relating states is labelled at all ("Danish
   prime minister on official visit to Greenland"), the reason kept as a negated evidence entry.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from monitor.config import LanguageRules, TopicConfig, TopicsFile, file_stamp
from monitor.errors import ConfigError
from monitor.model import Classification, Evidence
from monitor.textnorm import normalize, word_tokens
from monitor.wordforms import fold_latin, word_forms

_Where = Literal["title", "body"]
#: Capitalised English acronyms that case folding would turn into common words ("US" -> "us",
#: "IS" -> "is"): written out before matching, unless the whole part is in capitals.
ACRONYMS = {"US": "U.S.", "IS": "Islamic State"}
_ACRONYM = re.compile(r"\b(" + "|".join(ACRONYMS) + r")\b")
#: Shortest prefix a ``*`` term may have (shorter ones would match half the dictionary).
MIN_PREFIX = 3
#: Pseudo-topic under which gazetteer names are indexed.
_COUNTRY = "\x00country"
#: Key of the gazetteer entry listing phrases that hold a country's name without mentioning it.
NOT_A_COUNTRY_KEY = "not-a-country"
_SERIAL = itertools.count()
#: Memo entries kept per classifier before the memo is cleared (bounded memory).
_MEMO_MAX = 500_000
#: Dependent territories -> the state that conducts their foreign relations, for the sides of
#: relation events only (their own codes stay in ``countries``): a French president visiting
#: Saint-Pierre-et-Miquelon or La Réunion is a domestic trip, not a visit between two states.
#: Source: the ISO 3166-1 entries' "dependency"/"part of" remarks (UN Statistics Division, M49
#: "Standard country or area codes"); disputed and partly recognised entities (EH, PS, TW, XK)
#: are left as they are.
SOVEREIGN = {
    **dict.fromkeys(("BL", "GF", "GP", "MF", "MQ", "NC", "PF", "PM", "RE", "TF", "WF", "YT"), "FR"),
    **dict.fromkeys(("AS", "GU", "MP", "PR", "UM", "VI"), "US"),
    **dict.fromkeys(
        ("AI", "BM", "FK", "GG", "GI", "GS", "IM", "IO", "JE", "KY", "MS", "PN", "SH", "TC", "VG"), "GB"
    ),
    **dict.fromkeys(("AW", "BQ", "CW", "SX"), "NL"),
    **dict.fromkeys(("FO", "GL"), "DK"),
    **dict.fromkeys(("BV", "SJ"), "NO"),
    **dict.fromkeys(("CC", "CX", "HM", "NF"), "AU"),
    **dict.fromkeys(("CK", "NU", "TK"), "NZ"),
    "AX": "FI",
    **dict.fromkeys(("HK", "MO"), "CN"),
}
#: Body tokens that make up the lede: about the first two sentences of wire copy (an agency
#: lede runs 25-40 words), and the whole of most feed summaries.
LEDE_TOKENS = 50
# a headline-less item's first sentence, when it ends within this many characters, is its headline
HEADLESS_HEADLINE_MAX_CHARS = 300
_SENTENCE_END = re.compile(r"[.!?؟。](?=[\s\u00bb\u201d\"'»]*(?:\s|$))")


@dataclass(frozen=True, eq=False)  # identity hash: each compiled rule is one object
class _Rule:
    topic: str
    language: str
    term: str  # as written in topics.yaml (for countries: the ISO code)
    words: tuple[str, ...]  # normalized, accent-folded words; the last may be a prefix
    prefix: bool
    weight: float
    exclusion: bool = False
    #: A ``context`` term: adds to the score, but cannot make a label without a ``terms`` match.
    context: bool = False
    #: A negation cue: ``+n`` negates matches starting within ``n`` tokens after it
    #: (``negated_by``), ``-n`` matches ending within ``n`` tokens before it (``negated_after``).
    negation: int = 0
    #: A ``relations`` term: scores only beside two states (see :meth:`Classifier.classify`).
    relation: bool = False
    #: A ``parties`` name: an international body counted as a state for the relations.
    party: bool = False
    #: A ``roles`` office: a relation term that counts in the title only.
    title_only: bool = False
    #: An ``actors`` name (a person standing for a state): a side of relations (as an actor, for
    #: ``meetings``), and a mention of the state.
    actor: bool = False
    #: A ``meetings`` term: a relation term that scores only between two actors of different states.
    actors_only: bool = False
    #: Sort key of its matches: longer phrases first, then heavier terms, then longer terms (names);
    #: the serial number makes keys unique so hit tuples never compare rules.
    rank: tuple[int, float, int, int] = (0, 0.0, 0, 0)
    #: Only its matches in the title and the lede are used (``relations``, ``roles``, ``meetings``
    #: and ``parties``): matches further into the body are not collected.
    front_only: bool = False

    @classmethod
    def make(
        cls,
        topic: str,
        language: str,
        term: str,
        words: tuple[str, ...],
        prefix: bool,
        weight: float,
        exclusion: bool = False,
        context: bool = False,
        negation: int = 0,
        relation: bool = False,
        party: bool = False,
        title_only: bool = False,
        actor: bool = False,
        actors_only: bool = False,
    ) -> _Rule:
        """A rule with its ``rank`` filled in. A country's ``term`` is its code, so a one-word name
        ranks by its own length: مصراتة (Misrata, LY) before مصر (EG), which the token also yields
        once its ending is stripped (phrases of as many words keep the gazetteer's order)."""
        length = len(words[0]) if topic == _COUNTRY and len(words) == 1 else len(term)
        rank = (-len(words), -weight, -length, next(_SERIAL))
        return cls(
            topic, language, term, words, prefix, weight, exclusion, context, negation, relation, party, title_only,
            actor, actors_only, rank, relation or party,
        )


#: Memo entry of a token: (single-word rules, phrase rules by their second word,
#: two-word phrase rules whose second word is a prefix, the single-word rules that are not
#: ``front_only``).
_Entry = tuple[tuple[_Rule, ...], dict[str, list[_Rule]], tuple[_Rule, ...], tuple[_Rule, ...]]
_NO_ENTRY: _Entry = ((), {}, (), ())


#: Headings of "related / latest headlines" blocks (normalized). When extraction leaves such a
#: block in the body (case 17: teasers about an attack under a wheat-price article), the body is
#: scored up to the heading only, so teaser headlines cannot label the article.
RELATED_HEADINGS = frozenset(
    normalize(h)
    for h in (
        "à lire aussi",
        "lire aussi",
        "à lire également",
        "lire également",
        "sur le même sujet",
        "voir aussi",
        "dernières actualités",
        "les plus lus",
        "articles liés",
        "à voir aussi",
        "read more",
        "read also",
        "see also",
        "related",
        "related articles",
        "related stories",
        "more stories",
        "latest news",
        "most read",
        "more on this story",
        "you may also like",
        "recommended",
        "اقرأ أيضا",
        "اقرأ أيضاً",
        "إقرأ أيضا",
        "إقرأ أيضاً",
        "مقالات ذات صلة",
        "أخبار ذات صلة",
        "اخبار ذات صلة",
        "الأكثر قراءة",
        "آخر الأخبار",
        "شاهد أيضا",
        "شاهد أيضاً",
        "موضوعات ذات صلة",
    )
)
_HEADING_MAX_CHARS = 40


def cut_related(text: str) -> str:
    """``text`` up to the first line that is a related-headlines heading (:data:`RELATED_HEADINGS`).

    Only lines of at most 40 characters are compared (after stripping spaces and ``:``), so
    the check costs little on long bodies; text without such a line is returned unchanged.
    """
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip().rstrip(":").strip()
        if stripped and len(stripped) <= _HEADING_MAX_CHARS and normalize(stripped) in RELATED_HEADINGS:
            return text[:offset]
        offset += len(line) + 1
    return text


def rule_words(text: str) -> tuple[str, ...]:
    """Normalized, accent-folded words of a rule term or gazetteer name (``*`` removed)."""
    return tuple(fold_latin(w) for w in word_tokens(text.rstrip("*")))


class Classifier:
    """Compiled topic rules and country names; call :meth:`classify` many times.

    Args:
        topics: validated ``topics.yaml`` (its ``actors`` are compiled beside the countries).
        countries: language -> {country name or demonym -> code (ISO 3166-1 alpha-2 or ``EU``)};
            see :func:`load_countries`.

    Raises:
        ConfigError: a term that normalizes to no word, a prefix term shorter than
            :data:`MIN_PREFIX` letters, naming the topic, the language and the term; or the
            first of :func:`gazetteer_problems` (``load_topics`` reports them all, with lines).
    """

    def __init__(self, topics: TopicsFile, countries: dict[str, dict[str, str]] | None = None) -> None:
        problems = gazetteer_problems(topics, countries or {})
        if problems:
            loc, msg = problems[0]
            raise ConfigError(f"topics.yaml: {'.'.join(loc)}: {msg}")
        self._topics = topics.topics
        self._party_countries = topics.party_countries
        self._languages: set[str] = set()
        # language -> first word -> rules; "" holds every language (used when the language is unknown)
        self._exact: dict[str, dict[str, list[_Rule]]] = defaultdict(lambda: defaultdict(list))
        self._prefix: dict[str, dict[str, list[_Rule]]] = defaultdict(lambda: defaultdict(list))
        self._longest_prefix = 0  # letters of the longest prefix term's stem (``terroris*``: 8)
        for name, topic in topics.topics.items():
            for lang, rules in topic.languages.items():
                self._languages.add(lang)
                self._add_rules(name, topic, lang, rules)
        for lang, names in (countries or {}).items():
            self._languages.add(lang)
            for country_name, code in names.items():
                words = rule_words(country_name)
                if words:  # a not-a-country phrase ("Gulf of Guinea") excludes the name inside it
                    self._add(_Rule.make(_COUNTRY, lang, code, words, False, 1.0, exclusion=not code))
        self._add_actors(topics.actors)
        self._memo: dict[str, dict[str, _Entry]] = {lang: {} for lang in (*self._languages, "")}
        # language -> the memo's tokens that start some rule (most tokens start none)
        self._active: dict[str, dict[str, _Entry]] = {lang: {} for lang in self._memo}
        self._forms_memo: dict[str, tuple[str, ...]] = {}
        # language -> (word, next word) -> phrase rules whose first two words they match
        self._pairs: dict[str, dict[tuple[str, str], tuple[_Rule, ...]]] = {lang: {} for lang in self._memo}

    def _add_actors(self, actors: dict[str, dict[str, tuple[str, ...]]]) -> None:
        """Compile ``actors`` beside the countries (checked by :func:`gazetteer_problems`)."""
        for code, by_language in actors.items():
            for lang, actor_names in by_language.items():
                self._languages.add(lang)
                for actor_name in actor_names:
                    words = rule_words(actor_name)
                    if words:
                        self._add(_Rule.make(_COUNTRY, lang, code, words, False, 1.0, actor=True))

    def _add_rules(self, name: str, topic: TopicConfig, lang: str, rules: LanguageRules) -> None:
        """Compile every section of one topic's rules in one language."""
        for term, weight in rules.terms.items():
            self._add(_compile(name, lang, term, weight, exclusion=False))
        for term, weight in rules.context.items():
            self._add(_compile(name, lang, term, weight, exclusion=False, context=True))
        for term in rules.exclude:
            self._add(_compile(name, lang, term, 0.0, exclusion=True))
        for term, weight in rules.against.items():
            self._add(_compile(name, lang, term, -weight, exclusion=False))
        for term in rules.negated_by:
            self._add(_compile(name, lang, term, 0.0, exclusion=False, negation=topic.negation_window))
        for term in rules.negated_after:
            self._add(_compile(name, lang, term, 0.0, exclusion=False, negation=-topic.negation_window))
        if topic.relation_weight:
            # relations anywhere up front; roles in the title only; meetings between actors only
            for terms, title_only, actors_only in (
                (rules.relations, False, False),
                (rules.roles, True, False),
                (rules.meetings, False, True),
            ):
                for term in terms:
                    self._add(
                        _compile(
                            name, lang, term, topic.relation_weight, exclusion=False, relation=True,
                            title_only=title_only, actors_only=actors_only,
                        )
                    )
            for party, code in rules.parties.items():
                rule = _compile(name, lang, party, topic.relation_weight, exclusion=False, party=True)
                self._add(dataclasses.replace(rule, term=code))  # matched by name, reported by code

    @property
    def topic_names(self) -> list[str]:
        """Configured topics, in config order."""
        return list(self._topics)

    def _add(self, rule: _Rule) -> None:
        single_prefix = rule.prefix and len(rule.words) == 1
        for lang in (rule.language, ""):
            table = self._prefix[lang] if single_prefix else self._exact[lang]
            table[rule.words[0]].append(rule)
        if single_prefix:
            self._longest_prefix = max(self._longest_prefix, len(rule.words[0]))

    def _forms(self, token: str) -> tuple[str, ...]:
        forms = self._forms_memo.get(token)
        if forms is None:
            if len(self._forms_memo) > _MEMO_MAX:
                self._forms_memo.clear()
            forms = self._forms_memo[token] = word_forms(token)
        return forms

    def _entry(self, token: str, lang: str) -> _Entry:
        """Rules whose first word matches ``token``, split for fast phrase checks."""
        exact, prefix = self._exact.get(lang, {}), self._prefix.get(lang, {})
        found: list[_Rule] = []
        for form in self._forms(token):
            found.extend(exact.get(form, ()))
            if prefix:  # no prefix key is longer than the longest prefix term: a 600,000-letter run
                # (a page with no spaces) costs as much as a word, not the square of its length
                for k in range(MIN_PREFIX, min(len(form), self._longest_prefix) + 1):
                    found.extend(prefix.get(form[:k], ()))
        if not found:
            return _NO_ENTRY
        singles: list[_Rule] = []
        by_second: dict[str, list[_Rule]] = defaultdict(list)
        second_prefix: list[_Rule] = []
        for rule in dict.fromkeys(found):
            if len(rule.words) == 1:
                singles.append(rule)
            elif rule.prefix and len(rule.words) == 2:
                second_prefix.append(rule)
            else:
                by_second[rule.words[1]].append(rule)
        return tuple(singles), dict(by_second), tuple(second_prefix), tuple(r for r in singles if not r.front_only)

    def _entries(self, toks: list[str], lang: str) -> dict[str, _Entry]:
        """Token -> entry for ``lang`` of the tokens that start some rule, completed with the new
        tokens of ``toks`` (the memo of every token seen is kept beside it).

        Set operations keep the per-document work in C: only tokens never seen before are
        looked up, and only tokens that start some rule are visited position by position.
        """
        memo, active = self._memo[lang], self._active[lang]
        new = set(toks).difference(memo)
        if new:
            if len(memo) + len(new) > _MEMO_MAX:
                memo.clear()
                active.clear()
                self._forms_memo.clear()
                self._pairs[lang].clear()
                new = set(toks)
            for tok in new:
                entry = memo[tok] = self._entry(tok, lang)
                if entry is not _NO_ENTRY:
                    active[tok] = entry
        return active

    def _matches(self, toks: list[str], lang: str, front: int) -> dict[_Rule, tuple[int, int, int]]:
        """Rule -> (matches, token index of the first match, matches under a negation cue) in one
        token list, exclusions applied. Matches of ``front_only`` rules are collected in the
        first ``front`` tokens only (they cover no tokens, so the other rules' counts are the
        same; a quarter of all matches in a 3 KB article are relation terms past the lede)."""
        active = self._entries(toks, lang)
        pairs = self._pairs[lang]
        hits: list[tuple[tuple[int, float, int, int], int, int, _Rule]] = []
        last = len(toks) - 1
        for i in itertools.compress(range(len(toks)), map(active.__contains__, toks)):
            singles, by_second, second_prefix, anywhere = active[toks[i]]
            far = i >= front
            for rule in anywhere if far else singles:
                hits.append((rule.rank, i, i + 1, rule))
            if i < last and (by_second or second_prefix):
                pair = (toks[i], toks[i + 1])
                started = pairs.get(pair)
                if started is None:  # most pairs start nothing: the memo saves their form probes
                    if len(pairs) > _MEMO_MAX:
                        pairs.clear()
                    started = pairs[pair] = self._phrases_started(toks[i + 1], by_second, second_prefix)
                for rule in started:
                    if far and rule.front_only:
                        continue
                    if len(rule.words) == 2 or self._rest_at(toks, i, rule):
                        hits.append((rule.rank, i, i + len(rule.words), rule))
        return _count(hits) if hits else {}

    def _phrases_started(
        self, second: str, by_second: dict[str, list[_Rule]], second_prefix: tuple[_Rule, ...]
    ) -> tuple[_Rule, ...]:
        """Phrase rules of a first word's entry whose second word matches the token ``second``
        (one dict probe per form); words 3.. are checked at each position."""
        forms = self._forms(second)
        out = [rule for rule in second_prefix if any(f.startswith(rule.words[1]) for f in forms)]
        for form in forms:
            out.extend(by_second.get(form, ()))
        return tuple(out)

    def _rest_at(self, toks: list[str], i: int, rule: _Rule) -> bool:
        """Do words 3.. of a phrase rule match the tokens after ``i + 1``?"""
        words = rule.words
        if i + len(words) > len(toks):
            return False
        last = len(words) - 1
        for j in range(2, len(words)):
            forms = self._forms(toks[i + j])
            if rule.prefix and j == last:
                if not any(f.startswith(words[j]) for f in forms):
                    return False
            elif words[j] not in forms:
                return False
        return True

    def _party_mentions(self, countries: dict[str, int], party_seen: dict[tuple[_Where, str], int]) -> None:
        """Add to ``countries`` the parties of ``party_countries`` named up front ((part, party code)
        -> matches): "Houthis claim attack on ship" is Yemen's item for an alert rule on YE."""
        for (_, party), count in party_seen.items():
            if party in self._party_countries:
                countries[self._party_countries[party]] += count

    def _rules_language(self, language: str | None) -> str:
        """The rules' language for an ISO 639-1 code or a BCP 47 tag ("fr-FR", "EN"); "" (every
        language's rules) when the rules have no such language."""
        code = language.replace("_", "-").split("-")[0].lower() if language else ""
        return code if code in self._languages else ""

    def _relation_events(
        self,
        tally: _Tally,
        relations: dict[str, tuple[str, _Where]],
        meetings: dict[str, tuple[str, _Where]],
        states: set[str],
        actor_states: dict[_Where, set[str]],
        parties: dict[str, set[str]],
        adjacent: set[str],
    ) -> None:
        """Score each topic's relation term up front as an event when enough sides are named up
        front (module docstring, 7): ``actor_relation_weight`` when two of the states are named by
        actors, otherwise ``relation_weight``. A topic with no relation term up front but a
        ``meetings`` term scores it only in the first case, with the two actors named in the same
        part as the term (title, or lede): "Trump left after a meeting" under a headline naming
        Putin and Trump is not their meeting. A title event of a topic in ``adjacent`` scores
        ``title_adjacent_relation_weight`` when the topic sets it (see :class:`_Headline`)."""
        for name in dict.fromkeys([*relations, *meetings]):
            topic = self._topics[name]
            relation = relations.get(name)
            if name in meetings and meetings[name][1] == "title" and len(actor_states["title"]) >= 2:
                if relation and relation[1] == "body":
                    relation = None  # the headline's meeting of two leaders is the event, not a lede verb
            term, where = relation or meetings[name]
            actors = actor_states["title"] | actor_states["body"] if relation else actor_states[where]
            leaders = bool(topic.country_sides and topic.actor_relation_weight and len(actors) >= 2)
            if not relation and not leaders:
                continue
            sides = (sorted(states) if topic.country_sides else []) + sorted(parties[name])
            if len(sides) >= topic.min_sides:
                if leaders:
                    weight = topic.actor_relation_weight
                elif where == "title" and name in adjacent and topic.title_adjacent_relation_weight:
                    weight = topic.title_adjacent_relation_weight
                elif where == "title" and topic.title_relation_weight:
                    weight = topic.title_relation_weight
                else:
                    weight = topic.relation_weight
                tally.add_relation(name, f"{term} + {', '.join(sides)}", where, weight)

    def classify(self, title: str, text: str, language: str | None = None) -> Classification:
        """Score ``title`` and ``text`` against every topic and count country mentions.

        Args:
            language: ISO 639-1 code or a BCP 47 tag starting with one ("fr-FR"); when the
                rules have this language, only its rules and names apply, otherwise those of
                every language do.

        Returns:
            :class:`~monitor.model.Classification` with scores rounded to 2 decimals,
            labels in config order, evidence sorted by contribution (negated matches last),
            countries most mentioned first.
        """
        lang = self._rules_language(language)
        headless = not title.strip()
        title, text = headline_of_headless(text) if headless else (title, text)
        tally = _Tally(self._topics, headline_only=not headless)
        countries: dict[str, int] = defaultdict(int)
        sides = _Sides()
        parties: dict[str, set[str]] = defaultdict(set)  # topic -> its parties named up front
        party_seen: dict[tuple[_Where, str], int] = {}  # (part, party code) -> matches of its first name
        relations: dict[str, tuple[str, _Where]] = {}  # topic -> first relation term up front, where
        meetings: dict[str, tuple[str, _Where]] = {}  # topic -> first meeting term up front, where
        headline = _Headline()
        parts: tuple[tuple[_Where, str], ...] = (("title", title), ("body", cut_related(text)))
        for where, part in parts:
            toks = word_tokens(expand_acronyms(part) if lang in ("en", "") else part)
            factors = tally.factors(where, len(toks))
            front = len(toks) if where == "title" else LEDE_TOKENS
            for rule, (count, at, negated) in self._matches(toks, lang, front).items():
                in_front = where == "title" or 0 <= at < LEDE_TOKENS
                if where == "title" and count:
                    headline.add(rule, at)
                if rule.topic == _COUNTRY:
                    # a leader named stands for the state in alert filters too ("Tamim receives a
                    # call from the Iranian president" is QA's item for a Gulf desk's rule on QA)
                    countries[rule.term] += count
                    if in_front:
                        sides.add(rule.term, where, rule.actor)
                elif rule.relation:
                    if count and (where == "title" if rule.title_only else in_front):
                        (meetings if rule.actors_only else relations).setdefault(rule.topic, (rule.term, where))
                elif rule.party:
                    if count and in_front:
                        parties[rule.topic].add(rule.term)
                        party_seen.setdefault((where, rule.term), count)  # "Houthi" and "Houthis": one name
                else:
                    tally.add(rule, count, negated, where, factors[rule.topic], in_front)
        self._party_mentions(countries, party_seen)
        self._relation_events(
            tally, relations, meetings, sides.states, sides.actor_states, parties, headline.adjacent()
        )
        tally.headline_only()
        home = sides.at_home()
        if home:
            tally.at_home(home)
        return Classification(
            topics={k: round(v, 2) for k, v in tally.scores.items()},
            labels=tally.labels(),
            evidence=tally.sorted_evidence(),
            held=tally.held(),
            countries=dict(sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))),
        )


def headline_of_headless(text: str) -> tuple[str, str]:
    """(title, text) for an item without a headline: its first sentence plays the headline.

    Wire briefs, tickers and headline-less feed entries open with one sentence that says the news
    ("Le Mali a protesté auprès de l'Algérie ..."), which a titled item says in its headline.
    The sentence ends (``.``, ``!``, ``?``, ``؟``) between 25 and
    :data:`HEADLESS_HEADLINE_MAX_CHARS` characters; a text as short as that with no sentence end
    (a post ending in a link or hashtags) is one sentence. Otherwise ``("", text)`` is returned.
    """
    m = _SENTENCE_END.search(text, 25, HEADLESS_HEADLINE_MAX_CHARS)  # past "U.S." and "M. X"
    if not m:
        short = len(text) <= HEADLESS_HEADLINE_MAX_CHARS
        return (text.strip(), "") if short else ("", text)
    return text[: m.end()].strip(), text[m.end():].strip()


class _Sides:
    """The states named in the title and the lede: by name, and by the people who stand for them."""

    def __init__(self) -> None:
        self.states: set[str] = set()  # dependent territories folded into their sovereign
        self.actor_states: dict[_Where, set[str]] = {"title": set(), "body": set()}
        self.territories: set[str] = set()  # dependent territories named

    def add(self, code: str, where: _Where, actor: bool) -> None:
        """A country (or a person standing for it, ``actor``) named up front."""
        state = SOVEREIGN.get(code, code)
        self.states.add(state)
        if state != code:
            self.territories.add(code)
        if actor:
            self.actor_states[where].add(state)

    def at_home(self) -> str:
        """"GL is DK" when only one state and its dependent territories are named, else ""."""
        if self.territories and len(self.states) == 1:
            return f"{', '.join(sorted(self.territories))} is {next(iter(self.states))}"
        return ""


class _Headline:
    """Where the title's relation terms and sides are, to tell a headline whose verb stands next
    to a state ("Saudi warns U.S. ...", "Baghdad, Washington agree", "نددت كوريا الشمالية") from one
    where a state only qualifies a noun ("New Zealand museum agrees to return items", "Myanmar
    model ... denied entry to Thailand"). Headlines keep subject and verb together (the
    compressed subject-verb-object order of headline grammar); a verb beside a side is that
    side's act. Positions are each rule's first match, in title tokens."""

    def __init__(self) -> None:
        self.sides: list[tuple[int, int]] = []  # spans of countries and actors
        self.parties: dict[str, list[tuple[int, int]]] = defaultdict(list)  # topic -> spans of its parties
        self.relations: dict[str, list[tuple[int, int]]] = defaultdict(list)  # topic -> spans of its verbs

    def add(self, rule: _Rule, at: int) -> None:
        """A match of ``rule`` in the title starting at token ``at``."""
        span = (at, at + len(rule.words))
        if rule.topic == _COUNTRY:
            self.sides.append(span)
        elif rule.party:
            self.parties[rule.topic].append(span)
        elif rule.relation and not rule.actors_only:
            self.relations[rule.topic].append(span)

    def adjacent(self) -> set[str]:
        """Topics with a relation term right before or after a side (a country, an actor, a party)."""
        return {
            topic
            for topic, verbs in self.relations.items()
            if any(v0 == s1 or v1 == s0 for v0, v1 in verbs for s0, s1 in (*self.sides, *self.parties[topic]))
        }


class _Tally:
    """Scores, evidence and labelling conditions of one text, topic by topic."""

    def __init__(self, topics: dict[str, TopicConfig], headline_only: bool = True) -> None:
        self.topics = topics
        self.scores: dict[str, float] = {name: 0.0 for name in topics}
        self.body_tokens = 0  # tokens of the body, set by factors()
        # False for a headless brief whose first sentence stands in for its headline: a brief of one
        # sentence is not a headline list's line (measured: its relation events were false alarms)
        self.headline_only_applies = headline_only
        self.evidence: dict[str, list[Evidence]] = {name: [] for name in topics}
        self.distinct: dict[str, set[str]] = {name: set() for name in topics}
        self.up_front: set[str] = set()  # topics with a term in the title or the lede
        self.core: set[str] = set()  # topics with a match of a ``terms`` entry (not only context)
        self.home: set[str] = set()  # topics relating states, for an item about one state at home

    def factors(self, where: _Where, length: int) -> dict[str, float]:
        """Topic -> multiplier of a match in the title, or in a body of ``length`` tokens
        (title weight; pivoted length normalization, module docstring, 5)."""
        if where == "title":
            return {name: topic.title_weight for name, topic in self.topics.items()}
        self.body_tokens = length
        return {
            name: 1.0 / ((1.0 - topic.length_slope) + topic.length_slope * length / topic.length_pivot)
            for name, topic in self.topics.items()
        }

    def add(self, rule: _Rule, count: int, negated: int, where: _Where, factor: float, in_front: bool) -> None:
        """Add ``count`` matches of ``rule`` found where their weight is multiplied by ``factor``."""
        if negated:  # shown to the analyst, scores nothing
            self.evidence[rule.topic].append(Evidence(rule.term, negated, where, rule.weight, negated=True))
        if not count:
            return
        self.scores[rule.topic] += rule.weight * (1.0 + math.log(count)) * factor
        if rule.weight > 0:
            self.distinct[rule.topic].add(rule.term)
            if not rule.context:
                self.core.add(rule.topic)
            if in_front:
                self.up_front.add(rule.topic)
        self.evidence[rule.topic].append(Evidence(rule.term, count, where, rule.weight))

    def add_relation(self, name: str, label: str, where: _Where, weight: float) -> None:
        """A relation term beside two states up front: a trigger with its source and target
        arguments (module docstring, 7), so it counts as a term in the title or lede, worth
        ``weight``."""
        self.scores[name] += weight
        self.distinct[name].add(label)
        self.core.add(name)
        self.up_front.add(name)
        self.evidence[name].append(Evidence(label, 1, where, weight))

    def headline_only(self) -> None:
        """When the item is a headline alone (its body had no token), multiply each topic's score
        by its ``headline_only_factor``."""
        if self.body_tokens or not self.headline_only_applies:
            return
        for name, topic in self.topics.items():
            self.scores[name] *= topic.headline_only_factor

    def at_home(self, reason: str) -> None:
        """The title and lede name one state and its dependent territory only (a president in La
        Réunion): no topic that relates states (``country_sides``) is labelled; the reason stays in
        the evidence as a negated entry."""
        for name, topic in self.topics.items():
            if topic.country_sides and self.scores[name] > 0:
                self.home.add(name)
                self.evidence[name].append(Evidence(f"at home: {reason}", 1, "title", 0.0, negated=True))

    def labels(self) -> list[str]:
        """Topics at or above threshold with a core match and more than a passing mention (6)."""
        return [name for name, topic in self.topics.items() if self._held_by(name, topic) is None]

    def held(self) -> dict[str, str]:
        """Topic -> why it is not labelled although its score reached the threshold, said so an
        analyst tuning rules sees what is missing."""
        return {name: why for name, topic in self.topics.items() if (why := self._held_by(name, topic))}

    def _held_by(self, name: str, topic: TopicConfig) -> str | None:
        """None when ``name`` is a label; "" when its score is under the threshold; else which
        other condition of a label it misses."""
        if self.scores[name] < topic.threshold:
            return ""
        if name in self.home:
            return "a domestic item: the title and lede name one state and its territories (see 'at home')"
        if name not in self.core:
            return "only context terms matched: a label also needs a match of a 'terms' entry"
        if len(self.distinct[name]) < topic.min_distinct_terms and name not in self.up_front:
            return (
                f"{len(self.distinct[name])} distinct term(s), none in the title or lede: a label needs "
                f"{topic.min_distinct_terms} distinct terms, or one in the title or lede"
            )
        return None

    def sorted_evidence(self) -> dict[str, list[Evidence]]:
        """Evidence of the topics that have any, strongest first and negated matches last."""
        for evs in self.evidence.values():
            evs.sort(key=lambda e: (e.negated, -e.weight * e.count, e.term, e.where))
        return {k: v for k, v in self.evidence.items() if v}


def expand_acronyms(text: str) -> str:
    """``text`` with the :data:`ACRONYMS` written out ("US-China ties" -> "U.S.-China ties"),
    unless it is all capitals (a shouted headline: "WHAT IS NEXT")."""
    if text.isupper():
        return text
    return _ACRONYM.sub(lambda m: ACRONYMS[m.group(1)], text)


_NOTHING: frozenset[int] = frozenset()


def _count(hits: list[tuple[tuple[int, float, int, int], int, int, _Rule]]) -> dict[_Rule, tuple[int, int, int]]:
    """(matches, first token index, negated matches) per rule after exclusions; within a topic each
    token counts once, for the first rule in rank order, so "مكافحة الإرهاب" is not also counted
    as "إرهاب". A positive match under a negation cue of its topic covers its tokens (no shorter
    term counts there either) but is not counted: the NegEx window rule (Chapman et al. 2001).
    A cue inside an exclusion phrase ("have not ruled out", "لم تستبعد") negates nothing.
    An exclusion holds for its own topic ("state sponsor of terrorism" is no counter-terrorism term
    but is a diplomacy one), and for the country names of every topic.
    ``relations`` terms and ``parties`` take part in exclusion and negation but cover no tokens."""
    excluded: dict[str, set[int]] = defaultdict(set)
    cues = []
    scored = []
    for hit in hits:  # one pass: exclusions and cues are rare, most hits are plain terms
        rule = hit[3]
        if rule.exclusion:
            excluded[rule.topic].update(range(hit[1], hit[2]))
            excluded[_COUNTRY].update(range(hit[1], hit[2]))
        elif rule.negation:
            cues.append(hit)
        else:
            scored.append(hit)
    negated_start, negated_end = _negation_windows(cues, excluded)
    scored.sort()
    covered: dict[str, set[int]] = defaultdict(set)
    counts: dict[_Rule, int] = defaultdict(int)
    negated: dict[_Rule, int] = defaultdict(int)
    first: dict[_Rule, int] = {}
    for _, start, end, rule in scored:
        # a relation term is counted beside the other terms and never hides them
        seen: set[int] = set() if rule.relation or rule.party else covered[rule.topic]
        out = excluded[rule.topic] if excluded else _NOTHING
        if end - start == 1:
            if start in out or start in seen:
                continue
            seen.add(start)
        else:
            span = range(start, end)
            if out.intersection(span) or seen.intersection(span):
                continue
            seen.update(span)
        if cues and rule.weight > 0 and (start in negated_start[rule.topic] or end - 1 in negated_end[rule.topic]):
            negated[rule] += 1
            continue
        counts[rule] += 1
        first[rule] = min(first.get(rule, start), start)
    if not negated:
        return {rule: (n, first[rule], 0) for rule, n in counts.items()}
    return {rule: (counts[rule], first.get(rule, -1), negated[rule]) for rule in counts.keys() | negated.keys()}


def _negation_windows(
    cues: list[tuple[tuple[int, float, int, int], int, int, _Rule]], excluded: dict[str, set[int]]
) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """Per topic, the token positions where a match starts (``negated_by`` cues) or ends
    (``negated_after`` cues) under a negation. A cue inside an exclusion negates nothing."""
    negated_start: dict[str, set[int]] = defaultdict(set)
    negated_end: dict[str, set[int]] = defaultdict(set)
    for _, start, end, rule in cues:
        if excluded[rule.topic].intersection(range(start, end)):
            continue  # an excluded cue is a double negative ("have not ruled out"): no negation
        if rule.negation > 0:
            negated_start[rule.topic].update(range(end, end + rule.negation))
        else:
            negated_end[rule.topic].update(range(start + rule.negation, start))
    return negated_start, negated_end


def _compile(
    topic: str,
    language: str,
    term: str,
    weight: float,
    exclusion: bool,
    context: bool = False,
    negation: int = 0,
    relation: bool = False,
    party: bool = False,
    title_only: bool = False,
    actors_only: bool = False,
) -> _Rule:
    prefix = term.endswith("*")
    words = rule_words(term)
    where = f"topics.yaml: topic {topic!r}, language {language!r}"
    if not words:
        raise ConfigError(f"{where}: term {term!r} has no words")
    if prefix and len(words[-1]) < MIN_PREFIX:
        raise ConfigError(f"{where}: prefix term {term!r} needs at least {MIN_PREFIX} letters before '*'")
    return _Rule.make(
        topic, language, term, words, prefix, weight, exclusion, context, negation, relation, party, title_only,
        actors_only=actors_only,
    )


def gazetteer_problems(
    topics: TopicsFile, countries: dict[str, dict[str, str]]
) -> list[tuple[tuple[str, ...], str]]:
    """What in ``topics`` contradicts the country gazetteer ``countries`` (language -> name ->
    code), as ``(location in topics.yaml, message)`` pairs, e.g. ``(("actors",), "'QQ' is not a
    country code of the gazetteer")``; empty when nothing does:

    * a party (an international body, a militant group, a region) under a country's code would
      merge with that country as one side;
    * an actor under a code the gazetteer lacks would be a side no country name ever matches;
    * an actor named like a gazetteer country (French "Hollande" is the Netherlands) would count
      as that country;
    * a ``party_countries`` entry names a party code no topic has, or a code the gazetteer lacks.
    """
    codes = {code for names in countries.values() for code in names.values()} - {""}
    names: dict[tuple[str, tuple[str, ...]], str] = {}  # (language, words) -> code, first name wins
    for lang, by_name in countries.items():
        for name, code in by_name.items():
            names.setdefault((lang, rule_words(name)), code)
    problems: list[tuple[tuple[str, ...], str]] = []
    for topic_name, topic in topics.topics.items():
        for lang, rules in topic.languages.items():
            for party, code in rules.parties.items():
                if code in codes:
                    problems.append((
                        ("topics", topic_name, "languages", lang, "parties"),
                        f"party {party!r} has the code {code!r}, which is a country's in the gazetteer, so the "
                        "two would merge as one side; give it a code of its own (e.g. SAHEL, ECOWAS)",
                    ))
    problems.extend(_party_country_problems(topics, codes))
    for code, by_language in topics.actors.items():
        if code not in codes:
            problems.append((("actors", code), f"{code!r} is not a country code of the gazetteer"))
            continue
        for lang, actor_names in by_language.items():
            for actor_name in actor_names:
                country = names.get((lang, rule_words(actor_name)))
                if country:
                    problems.append((
                        ("actors", code, lang),
                        f"{actor_name!r} is also a country name of the gazetteer ({country}) and would count "
                        "as that country; write the full name",
                    ))
    return problems


def _party_country_problems(topics: TopicsFile, codes: set[str]) -> list[tuple[tuple[str, ...], str]]:
    """``party_countries`` entries naming a party code no topic has, or a code the gazetteer lacks."""
    party_codes = {code for t in topics.topics.values() for r in t.languages.values() for code in r.parties.values()}
    problems: list[tuple[tuple[str, ...], str]] = []
    for party, code in topics.party_countries.items():
        if party not in party_codes:
            problems.append((("party_countries", party), f"{party!r} is no party code of any topic's parties"))
        elif code not in codes:
            problems.append((("party_countries", party), f"{code!r} is not a country code of the gazetteer"))
    return problems


def load_countries(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Read the country gazetteer (default: ``monitor/data/countries.yaml``).

    The parse (about 0.1 s) is kept while the file's mtime and size stay the same: a config
    load reads the gazetteer three times (topics check, alert-rule check, classifier). Each
    call returns its own copy.

    Returns:
        language -> {name or demonym -> code}. Phrases of the file's ``not-a-country`` entry
        (the Gulf of Guinea, Real Madrid) map to the code ``""``: the classifier does not count
        the country name inside them.

    Raises:
        ConfigError: the file is unreadable or not of the form ``CODE: {lang: [names]}``.
    """
    path = path or Path(__file__).parent / "data" / "countries.yaml"
    parsed = _parse_countries(path, file_stamp(path))
    return {lang: dict(names) for lang, names in parsed.items()}


@functools.lru_cache(maxsize=4)
def _parse_countries(path: Path, stamp: tuple[int, int] | None) -> dict[str, dict[str, str]]:
    """:func:`load_countries`' parse, cached per file and ``stamp`` (:func:`file_stamp`)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for code, by_lang in data.items():
            for lang, names in by_lang.items():
                for name in names:
                    out[lang][str(name)] = "" if code == NOT_A_COUNTRY_KEY else str(code)
        return dict(out)
    except (OSError, yaml.YAMLError, AttributeError, TypeError) as exc:
        raise ConfigError(f"{path}: invalid country gazetteer: {exc}") from exc
