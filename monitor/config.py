"""Loading and validating ``config/feeds.yaml``, ``topics.yaml`` and ``alerts.yaml``.

Every error names the file, the line and the path of the value at fault, e.g.
``config/alerts.yaml:12: rules[0].chanels: unknown key``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import pycountry
import structlog
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError, not_utf8


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# feeds.yaml -----------------------------------------------------------------------
class FeedConfig(_Strict):
    """One feed to poll. ``interval`` and bounds are in seconds."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    url: str
    title: str | None = None
    interval: int = Field(900, ge=1)
    min_interval: int = Field(300, ge=1)
    max_interval: int = Field(6 * 3600, ge=1)
    adaptive: bool = True
    tags: tuple[str, ...] = ()
    language: str | None = None
    timezone: str | None = None
    enabled: bool = True
    ignore_validators: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from monitor.fetch import url_problem  # httpx: imported only where feeds are read

        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        problem = url_problem(value)
        if problem:  # a bad host or port would otherwise fail inside the socket layer at every poll
            raise ValueError(problem)
        return value


    @model_validator(mode="after")
    def _bounds(self) -> FeedConfig:
        if self.min_interval > self.max_interval:
            raise ValueError(f"min_interval {self.min_interval} is above max_interval {self.max_interval}")
        return self


class FeedsFile(_Strict):
    feeds: tuple[FeedConfig, ...] = ()

    @field_validator("feeds", mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        if value is None:  # "feeds:" with nothing under it
            raise ValueError("no feeds under it: list them ('- id: ...'), or write 'feeds: []' for none")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> FeedsFile:
        seen: set[str] = set()
        for feed in self.feeds:
            if feed.id in seen:
                raise ValueError(f"feed id {feed.id!r} is used twice")
            seen.add(feed.id)
        return self


# topics.yaml ----------------------------------------------------------------------
def _phrase_entry(entry: Any) -> Any:
    """One entry of a list of phrases (``exclude``, ``negated_by`` ...), said plainly when it is
    not text: a weight given to it, or a word YAML reads as a number or a boolean."""
    if isinstance(entry, dict):
        phrase = next(iter(entry), "")
        raise ValueError(
            f"entries of this list are phrases without a weight: write '- {phrase}' "
            "(weights belong under terms, context or against)"
        )
    if isinstance(entry, bool) or entry is None:
        raise ValueError(f"YAML reads this entry as {entry}: quote the word")
    if isinstance(entry, int | float):
        raise ValueError(f"YAML reads this entry as the number {entry}: quote it ('{entry}')")
    return entry


#: A list entry that is a phrase alone (see :func:`_phrase_entry`).
_Phrase = Annotated[str, BeforeValidator(_phrase_entry)]


class LanguageRules(_Strict):
    """Rules of one topic in one language.

    ``terms``: term or phrase -> weight; a trailing ``*`` is a prefix match.
    ``exclude``: phrases whose words never count as evidence (false friends).
    ``against``: term -> weight of counter-evidence (e.g. sport vocabulary); a match
    subtracts its weight from the topic score and never makes a label by itself.
    ``context``: term -> weight of supporting evidence that is not the topic's subject by
    itself (institutions and actors: a foreign ministry, the EU, a security service); it adds
    to the score like a term, but a label also needs at least one ``terms`` match.
    ``negated_by``: negation cues ("ruled out", "écarte", "استبعد*"); a term or context match
    that starts within the topic's ``negation_window`` tokens after a cue does not count.
    ``negated_after``: cues that negate what comes before them ("was ruled out"); a match that
    ends within ``negation_window`` tokens before such a cue does not count.
    ``relations``: verbs and nouns of relations between states ("urges", "fustige", "تندد",
    "rapprochement"); one in the title or the lede adds the topic's ``relation_weight`` once,
    and only when the title and lede name at least ``min_sides`` different sides (countries,
    or ``parties`` below).
    ``parties``: name -> code of international bodies that count as one side of such a
    relation, beside the countries ("demande ... à l'OTAN", "défie la Cedeao"): ``OTAN: NATO``;
    names of one body share its code. They score nothing by themselves.
    ``roles``: offices of people who act for their state (an ambassador, an envoy, a foreign
    minister); in the title, with the sides, one makes a relation event as a relation term does
    ("السفير الروسي بواشنطن: ..." is ``سفير + RU, US``). Title only: a headline names the office
    of its subject, a lede often only its source ("the foreign ministry said two nationals died").
    ``meetings``: words for people meeting ("meeting", "tête-à-tête", "اجتماع"); relation terms
    that score only when the title and lede name two people of the ``actors`` list of
    different states ("Biden's first meeting with Xi"). As plain relation terms they would
    label board meetings and party meetings that name two countries.
    """

    terms: dict[str, float] = Field(default_factory=dict)
    context: dict[str, float] = Field(default_factory=dict)
    exclude: tuple[_Phrase, ...] = ()
    against: dict[str, float] = Field(default_factory=dict)
    negated_by: tuple[_Phrase, ...] = ()
    negated_after: tuple[_Phrase, ...] = ()
    relations: tuple[_Phrase, ...] = ()
    parties: dict[str, str] = Field(default_factory=dict)
    roles: tuple[_Phrase, ...] = ()
    meetings: tuple[_Phrase, ...] = ()

    @field_validator("terms", "context", "against", mode="before")
    @classmethod
    def _no_bool_weights(cls, terms: Any) -> Any:
        if terms is None or terms == []:
            raise ValueError("the list is empty: write 'term: weight' lines under it, or remove the key")
        if isinstance(terms, list):
            raise ValueError("write 'term: weight' lines (piracy: 3), not a list of '- term' lines")
        if isinstance(terms, dict):
            for term, weight in terms.items():
                if isinstance(term, bool) or term is None:  # yes: 2, null: 2
                    raise ValueError(
                        f"a term written as yes/no/on/off/true/false/null is read by YAML as {term}: "
                        f"quote the word ('yes': {weight})"
                    )
                if not isinstance(term, str):  # 1982: 2 (a number); quoted in the message so its line is found
                    raise ValueError(f"term '{term}' is a number in YAML: quote it ('{term}': {weight})")
                if isinstance(weight, bool):  # YAML yes/no/on/off would otherwise become 1.0/0.0
                    raise ValueError(
                        f"term {term!r}: weight {weight!r} is not a number "
                        "(YAML reads yes/no, on/off and true/false as a boolean)"
                    )
                if weight is None:
                    raise ValueError(f"term {term!r}: the weight is missing (write it after the colon)")
        return terms

    @field_validator("terms", "context", "against")
    @classmethod
    def _check_terms(cls, terms: dict[str, float]) -> dict[str, float]:
        seen: dict[str, str] = {}
        for term, weight in terms.items():
            _check_term(term)
            if not math.isfinite(weight) or weight <= 0:
                raise ValueError(f"term {term!r}: weight must be a number > 0, not {weight}")
            first = seen.setdefault(_rule_key(term), term)
            if first != term:
                raise ValueError(
                    f"term {term!r} is {first!r} again once case, accents and Arabic letter forms are folded; "
                    "keep one of them (entries merged in with '<<: *anchor' count too)"
                )
        return terms

    @model_validator(mode="after")
    def _one_weight_a_term(self) -> LanguageRules:
        """A term under both ``terms`` and ``context`` has two weights, and only one would count."""
        context = {_rule_key(term): term for term in self.context}
        for term in self.terms:
            other = context.get(_rule_key(term))
            if other is not None:
                raise ValueError(
                    f"context: term {other!r} is also under terms (as {term!r}): only one weight would "
                    "count; keep it in one of them"
                )
        return self

    @field_validator("exclude", "negated_by", "negated_after", "relations", "roles", "meetings")
    @classmethod
    def _check_exclude(cls, exclude: tuple[str, ...]) -> tuple[str, ...]:
        for term in exclude:
            _check_term(term)
        return exclude

    @field_validator("parties")
    @classmethod
    def _check_parties(cls, parties: dict[str, str]) -> dict[str, str]:
        for name, code in parties.items():
            _check_term(name)
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", str(code)):
                raise ValueError(f"party {name!r}: code {code!r} must be letters, digits or '-'")
        return parties


def _rule_key(term: str) -> str:
    """A term as the classifier matches it (normalized, Latin accents folded): two terms with one
    key are the same rule written twice, and only one weight could count."""
    from monitor.textnorm import normalize
    from monitor.wordforms import fold_latin

    return " ".join(fold_latin(word) for word in normalize(term).split())


def _check_language(code: str) -> None:
    """Reject a language key that is not an ISO 639-1 code (its rules would never run)."""
    import pycountry

    if not re.fullmatch(r"[a-z]{2}", code) or pycountry.languages.get(alpha_2=code) is None:
        written = iso_language(code)  # raises with the code to write for a name ("english")
        raise ValueError(f"language {code!r}: write {written!r} (ISO 639-1 codes are lower case)")


#: Languages written in Arabic script: their rules may hold Arabic words, the others may not.
_ARABIC_SCRIPT_LANGUAGES = frozenset({"ar", "fa", "ur", "ps"})


def _check_script(code: str, rules: LanguageRules) -> None:
    """Reject an Arabic-script term under a language written in another script: the rules of
    ``code`` are used for texts of that language (and for texts of unknown language, with every
    language's), so it would never match where it was meant to (an analyst's trial put قرصنة
    under ``en:`` in place of "piracy" and lost its English labels without a word)."""
    from monitor.textnorm import is_arabic_letter

    for field in ("terms", "context", "against", "parties", "exclude", "negated_by", "negated_after", "relations",
                  "roles", "meetings"):
        for term in getattr(rules, field):
            if any(is_arabic_letter(ch) for ch in term):
                raise ValueError(
                    f"{code}.{field}: term {term!r} is in Arabic script under '{code}', whose texts it never "
                    "matches: move it under 'ar:'"
                )


def _check_term(term: str) -> None:
    """Reject terms that cannot match anything sensible (the error names the term)."""
    core = term[:-1] if term.endswith("*") else term
    words = re.findall(r"\w+", core)
    if not words:
        raise ValueError(f"term {term!r} has no letters or digits")
    if "*" in core:
        raise ValueError(f"term {term!r}: '*' is only allowed once, at the end")
    if term.endswith("*") and len(words[-1]) < 3:
        raise ValueError(f"term {term!r}: a prefix term needs at least 3 letters before '*'")
    if re.search(r"\s-\s|^-\s", term):
        raise ValueError(f"term {term!r} looks like two list entries joined (check the indentation)")


class TopicConfig(_Strict):
    """One topic: threshold on the score, weight multiplier for title matches, rules per language."""

    description: str = ""
    threshold: float = Field(4.0, gt=0, allow_inf_nan=False)
    title_weight: float = Field(2.0, ge=0, allow_inf_nan=False)
    min_distinct_terms: int = Field(2, ge=1)
    #: Pivoted length normalization of the body score (Singhal, Buckley & Mitra, "Pivoted
    #: Document Length Normalization", SIGIR 1996): body score is divided by
    #: ``(1 - length_slope) + length_slope * body_tokens / length_pivot``. Slope 0 turns it off.
    length_pivot: int = Field(250, ge=1)
    length_slope: float = Field(0.0, ge=0, lt=1)
    #: Multiplier of the whole score of an item that is a headline alone (a title and no body
    #: text: a headline list's or a ticker's line): the threshold is set for a headline and a
    #: body, and a headline alone has no body to add evidence. Not applied to a headless brief,
    #: whose first sentence is scored as its title (measured: false alarms). 1 turns it off.
    headline_only_factor: float = Field(1.0, gt=0, le=4, allow_inf_nan=False)
    #: Tokens a negation cue reaches (``negated_by`` forward, ``negated_after`` backward). Five,
    #: as in NegEx (Chapman et al., "A Simple Algorithm for Identifying Negated Findings and
    #: Diseases in Discharge Summaries", J. Biomedical Informatics 34(5), 2001).
    negation_window: int = Field(5, ge=1, le=20)
    #: Score added once when a ``relations`` term and at least ``min_sides`` different sides
    #: (countries by their gazetteer code, ``parties`` by theirs) appear in the title and the
    #: lede: a source, a relation verb, a target, as in political event coding (CAMEO, Gerner,
    #: Schrodt et al., "Conflict and Mediation Event Observations", 2002). 0 turns it off.
    relation_weight: float = Field(0.0, ge=0, allow_inf_nan=False)
    #: Sides a relation event needs: 2 for a relation between states; 1 for an act by one named
    #: actor (an attack method with a militant group, when ``country_sides`` is off).
    min_sides: int = Field(2, ge=1)
    #: Whether countries count as sides (diplomacy), or only the topic's ``parties`` do.
    country_sides: bool = True
    #: Score of a relation event when two of the states named up front are named by ``actors``
    #: (people: "Macron reçoit Tebboune", "Putin and Xi hold talks"): two heads of state or
    #: ministers acting on each other are a government-to-government event by themselves (the
    #: government-actor level of CAMEO). 0: such an event scores ``relation_weight`` like any other.
    actor_relation_weight: float = Field(0.0, ge=0, allow_inf_nan=False)
    #: Score of a relation event whose term is in the title (not between two ``actors``): a
    #: headline that is itself a source-verb-target event ("Russia warns U.S. to stop 'hostile'
    #: activity") is stronger evidence than the same verb in the lede, as a title match is for
    #: terms (``title_weight``). 0: the same as ``relation_weight``.
    title_relation_weight: float = Field(0.0, ge=0, allow_inf_nan=False)
    #: Score of a title relation event whose term stands right next to a side ("Saudi warns U.S.",
    #: "Baghdad, Washington agree"), for topics relating states (``country_sides``): the verb is a
    #: state's own act, not a noun's that a state name qualifies ("New Zealand museum agrees ...").
    #: 0: the same as ``title_relation_weight``.
    title_adjacent_relation_weight: float = Field(0.0, ge=0, allow_inf_nan=False)
    languages: dict[str, LanguageRules]

    @field_validator("languages")
    @classmethod
    def _iso_languages(cls, languages: dict[str, LanguageRules]) -> dict[str, LanguageRules]:
        for code, rules in languages.items():
            _check_language(code)
            if code not in _ARABIC_SCRIPT_LANGUAGES:
                _check_script(code, rules)
        return languages

    @model_validator(mode="after")
    def _rules_that_can_work(self) -> TopicConfig:
        if not any(rules.terms for rules in self.languages.values()):
            raise ValueError("no terms in any language: this topic could never label an item")
        relations = any(
            rules.relations or rules.parties or rules.roles or rules.meetings for rules in self.languages.values()
        )
        if relations and not self.relation_weight:
            raise ValueError(
                "relations, roles, meetings or parties are given but relation_weight is 0, so they would never score"
            )
        met = [lang for lang, rules in self.languages.items() if rules.meetings]
        if met and not (self.actor_relation_weight and self.country_sides):
            raise ValueError(
                f"languages.{met[0]}.meetings: meetings score only between two actors of different states, so "
                "they need actor_relation_weight (diplomacy has 7) and country_sides on; this topic has "
                f"{'no actor_relation_weight' if not self.actor_relation_weight else 'country_sides off'}: "
                "set it or remove the meetings"
            )
        if self.relation_weight and not any(
            rules.relations or rules.roles or rules.meetings for rules in self.languages.values()
        ):
            raise ValueError("relation_weight is set but no language has relations, roles or meetings")
        for key in ("title_relation_weight", "title_adjacent_relation_weight", "actor_relation_weight"):
            if getattr(self, key) and not self.relation_weight:
                raise ValueError(
                    f"{key}: is set but relation_weight is 0 or missing, so no relation event is scored: "
                    "set relation_weight (diplomacy has 3.5) or remove it"
                )
        if self.title_adjacent_relation_weight and not self.country_sides:
            raise ValueError(
                "title_adjacent_relation_weight: is set but country_sides is off; it weighs a headline verb "
                "beside a state, for topics relating states (diplomacy): remove it or set country_sides"
            )
        if self.min_sides < 2 and self.country_sides:
            raise ValueError("min_sides 1 needs country_sides: false (any country beside a verb would do)")
        return self


class TopicsFile(_Strict):
    """``topics.yaml``: the topics, and ``actors``.

    ``actors``: country code -> language -> names of people who stand for their state (heads of
    state and government, foreign ministers: "Macron", "لافروف", "Xi Jinping"). Beside the
    gazetteer's country names they are sides of a relation event ("Blinken meets Chinese
    counterpart" has two sides, US and CN), the actor dictionaries of CAMEO coding. Each also
    counts as a mention of its state in an item's ``countries`` (for alert filters). A name keeps its state
    after its holder leaves office.
    """

    topics: dict[str, TopicConfig]
    actors: dict[str, dict[str, tuple[str, ...]]] = Field(default_factory=dict)
    #: Party code (a topic's ``parties``) -> the country code it is a mention of: a Houthi attack is
    #: Yemen's item for an alert rule on YE ("HOUTHI: YE"). Counted where parties are read: the
    #: title and the lede. Checked against the gazetteer (:func:`monitor.classify.gazetteer_problems`).
    party_countries: dict[str, str] = Field(default_factory=dict)

    @field_validator("actors")
    @classmethod
    def _check_actors(cls, actors: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, dict[str, tuple[str, ...]]]:
        seen: dict[tuple[str, str], str] = {}
        for code, by_language in actors.items():
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"{code}: {code!r} is not a two-letter country code (FR, US, ...)")
            for language, names in by_language.items():
                try:
                    _check_language(language)
                except ValueError as exc:
                    raise ValueError(f"{code}: {exc}") from None
                for name in names:
                    _check_term(name)
                    if name.endswith("*"):
                        raise ValueError(f"{code}.{language}: name {name!r}: no '*' in actor names")
                    other = seen.setdefault((language, name.casefold()), code)
                    if other != code:
                        raise ValueError(
                            f"{code}.{language}: {name!r} ({language}) is listed under both {other} and {code}"
                        )
        return actors


# alerts.yaml ----------------------------------------------------------------------
class AlertRule(_Strict):
    """An alert rule: which items fire it and where the alert goes.

    ``topics`` with ``match`` any/all; ``min_score``: lowest topic score that counts;
    ``languages``/``countries``/``feeds``/``tags``: optional filters (any of the listed values);
    ``exclude_topics``: items labelled with one of these never fire; ``mode``: ``immediate`` (one
    message per alert) or ``digest`` (one message per channel every ``digest_minutes`` minutes);
    ``escalate_at_outlets``: notify once more when this many distinct outlets carry the story;
    ``fallback``: fire only for stories that no rule above it in the file fired for (a digest of
    the rest, as a mail filter's last rule).
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    topics: tuple[str, ...] = ()
    match: Literal["any", "all"] = "any"
    min_score: float = 0.0
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude_topics: tuple[str, ...] = ()
    channels: tuple[str, ...] = ("log",)
    mode: Literal["immediate", "digest"] = "immediate"
    digest_minutes: float = Field(60, gt=0)
    escalate_at_outlets: int | None = Field(None, ge=2)
    fallback: bool = False

    @field_validator("topics", "languages", "countries", "feeds", "tags", "exclude_topics", "channels", mode="before")
    @classmethod
    def _one_value_is_a_list(cls, value: Any, info: ValidationInfo) -> Any:
        """``countries: JO`` means ``countries: [JO]`` (a scalar where a list belongs); YAML reads
        Norway's ``NO`` (and Norwegian's ``no``) as false, which here can only mean that code."""
        if isinstance(value, (str, bool)):
            value = [value]
        if isinstance(value, list) and info.field_name in ("countries", "languages"):
            norway = "NO" if info.field_name == "countries" else "no"
            value = [norway if item is False else item for item in value]
        return value

    @field_validator("languages")
    @classmethod
    def _iso_languages(cls, languages: tuple[str, ...]) -> tuple[str, ...]:
        """Each value as :func:`iso_language` reads it (``EN`` and ``en-US`` are ``en``, the code
        items carry); a value that is no code stays as written and is reported by
        :func:`alert_rule_problems` with the rule's other unknown names, in one run."""
        out = []
        for code in languages:
            try:
                out.append(iso_language(code))
            except ValueError:
                out.append(code)
        return tuple(out)

    @field_validator("countries")
    @classmethod
    def _upper_countries(cls, countries: tuple[str, ...]) -> tuple[str, ...]:
        """``jo`` is ``JO``; whether a code is known is checked against the gazetteer in
        :func:`alert_rule_problems`, which needs the gazetteer loaded."""
        return tuple(c.strip().upper() if re.fullmatch(r"\s*[A-Za-z]{2}\s*", c) else c for c in countries)

    @property
    def digest_seconds(self) -> int:
        """The digest window in whole seconds (at least 1)."""
        return max(1, round(self.digest_minutes * 60))


def _alpha_2(value: str) -> str | None:
    """The alpha-2 code of an ISO 3166-1 alpha-3 code (``MLI`` -> ``ML``), else None."""
    country = pycountry.countries.get(alpha_3=value.strip().upper()) if len(value.strip()) == 3 else None
    return country.alpha_2 if country else None


def iso_language(code: str) -> str:
    """An ISO 639-1 code in lower case, as items carry it: ``EN`` is ``en``, and a language tag
    with a region (``en-US``, ``fr_CA``, BCP 47 or POSIX) is its language.

    Raises:
        ValueError: not a code; for a language's name ("English", "arabe") the message gives
            its code, since a rule listing the name would never fire.
    """
    import pycountry

    value = re.split(r"[-_]", code.strip(), maxsplit=1)[0]
    if re.fullmatch(r"[A-Za-z]{2}", value) and pycountry.languages.get(alpha_2=value.lower()) is not None:
        return value.lower()
    try:
        named = pycountry.languages.lookup(value)
    except LookupError:
        named = None
    if named is not None and getattr(named, "alpha_2", None):
        raise ValueError(f"language {code!r}: write its ISO 639-1 code {named.alpha_2!r}, as items carry it")
    raise ValueError(f"language {code!r} is not an ISO 639-1 code (ar, en, fr, ...)")


def _apprise_url(url: str) -> str:
    """``log://`` or a URL Apprise can parse (its plugins validate tokens and hosts)."""
    import apprise

    if url != "log://" and apprise.Apprise.instantiate(url) is None:
        raise ValueError("not a valid Apprise URL (see https://github.com/caronc/apprise/wiki)")
    return url


class AlertsFile(_Strict):
    """``alerts.yaml``: channels (name -> Apprise URL or ``log://``), alert rules, template files.

    ``template`` / ``markdown_template``: paths (relative to the config folder) of files that
    replace the default plain-text / Markdown message (see :mod:`monitor.alert_render`).
    """

    channels: dict[str, Annotated[str, AfterValidator(_apprise_url)]] = Field(
        default_factory=lambda: {"log": "log://"}
    )
    rules: tuple[AlertRule, ...] = ()
    template: str | None = None
    markdown_template: str | None = None


# loading ---------------------------------------------------------------------------
M = TypeVar("M", bound=BaseModel)


def _walk(node: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[yaml.Node | None, int | None]:
    """Walk a composed YAML node along a pydantic error location: the node reached (None when
    the location leaves the document) and the 1-based line of the last step taken."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key, value in node.value:
                if key.value == str(part):
                    nxt, line = value, key.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return None, line
        if node is None:
            break
    return node, line


def _owner_of(data: Any, loc: tuple[Any, ...]) -> str:
    """`` (in 'NAME')`` for the innermost list entry on ``loc`` that has a ``name`` or ``id``, else ``""``."""
    owner = ""
    for part in loc:
        if isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
            if isinstance(data, dict) and isinstance(data.get("name", data.get("id")), str):
                owner = f" (in {data.get('name', data.get('id'))!r})"
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            break
    return owner


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key repeated in one mapping: PyYAML would keep the last
    one silently, so a second ``diplomacy:`` or ``en:`` block would replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" merges; keys written here may override merged ones
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} repeated (first on line {seen[key]})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _term_line(node: yaml.Node | None, msg: str) -> int | None:
    """The line of the entry a validator message names (``term 'X'``, ``party 'X'``) inside the
    section ``node``, or of the key or section it starts with (``languages.en.meetings: ...``,
    ``title_relation_weight: ...``), so the
    error points at the bad term or key, not at its section's header."""
    path = re.match(r"((?:[\w-]+\.)*[\w-]+): ", msg)
    if path and node is not None:
        section, line = _walk(node, tuple(path.group(1).split(".")))
        return _entry_line(section, msg[path.end():]) or line
    return _entry_line(node, msg)


def _entry_line(node: yaml.Node | None, msg: str) -> int | None:
    """The line of the entry of ``node`` that ``msg`` names (``term 'X' ...``, ``party 'X' ...``)."""
    named = re.match(r"(?:term|party) (['\"])(.+?)\1", msg)
    if not named or node is None:
        return None
    entries = [k for k, _ in node.value] if isinstance(node, yaml.MappingNode) else getattr(node, "value", [])
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, yaml.ScalarNode) and entry.value == named.group(2):
            return int(entry.start_mark.line) + 1
    return None


#: PyYAML problems that an indentation slip causes; they are reported where the parser noticed
#: them, often the line after the slip.
_INDENTATION = re.compile(r"expected <block end>|mapping values are not allowed|could not find expected ':'")


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Parse ``path`` as YAML and validate it against ``model``.

    Raises:
        ConfigError: ``"<path>:<line>: <where>: <problem>"`` for unreadable files, YAML syntax
            errors, unknown keys and invalid values.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: {not_utf8(exc, raw)}") from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader) or {}  # a SafeLoader subclass
        node = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        slip = _INDENTATION.search(str(exc.problem))
        hint = " (check the indentation of this line and the line before)" if slip else ""
        if "'\\t'" in str(exc.problem):
            hint = " (a tab: YAML indents and separates with spaces only)"
        raise ConfigError(f"{path}{where}: invalid YAML: {exc.problem}{hint}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
            problems.append(_located(path, node, data, loc, msg))
        raise ConfigError("\n".join(problems)) from exc  # one problem a line


def _located(path: Path, node: yaml.Node | None, data: Any, loc: tuple[Any, ...], msg: str) -> str:
    """``"<path>:<line>: <loc>: <msg>"``, the line found by walking ``loc`` (and the term the
    message names) in the composed document ``node``."""
    section, line = _walk(node, loc)
    line = _term_line(section, msg) or _repeat_line(node, msg) or line
    return f"{path}:{line or '?'}: {_format_loc(loc)}: {msg}{_owner_of(data, loc)}"


def _repeat_line(node: yaml.Node | None, msg: str) -> int | None:
    """For ``"... 'X' is used twice"`` (a feed id): the line of the second scalar ``X`` in the
    document, where the repeat is, instead of the top of the file."""
    named = re.search(r"(['\"])(.+?)\1 is used twice", msg)
    if not named or node is None:
        return None
    found: list[int] = []
    stack = [node]
    while stack and len(found) < 2:
        current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            if current.value == named.group(2):
                found.append(int(current.start_mark.line) + 1)
        elif isinstance(current, yaml.MappingNode):
            stack[:0] = [value for _key, value in current.value]
        elif isinstance(current, yaml.SequenceNode):
            stack[:0] = list(current.value)
    return found[1] if len(found) == 2 else None


def load_topics(path: Path) -> TopicsFile:
    """Load ``topics.yaml`` and check it against the country gazetteer too (a party under a
    country's code, an actor under a code the gazetteer lacks or named like a country).

    Raises:
        ConfigError: ``"<path>:<line>: <where>: <problem>"``, as :func:`load_yaml_model`.
    """
    from monitor.classify import gazetteer_problems, load_countries  # classify imports this module

    topics = load_yaml_model(path, TopicsFile)
    problems = gazetteer_problems(topics, load_countries())
    if problems:
        text = path.read_text(encoding="utf-8")
        node, data = yaml.compose(text), yaml.safe_load(text)
        raise ConfigError("\n".join(_located(path, node, data, loc, msg) for loc, msg in problems))
    return topics


def alert_rule_problems(
    alerts: AlertsFile, topics: TopicsFile, feeds: FeedsFile
) -> list[tuple[tuple[str | int, ...], str]]:
    """What in the alert rules names something the other files or the gazetteer lack: a channel,
    a topic, a language or country code, a feed id or a feed tag; and a rule name used twice. Such
    a rule would load and never fire. All are reported together, one a line.

    Returns:
        (location in alerts.yaml such as ``("rules", 2, "countries", 0)``, message) pairs; empty
        when every name is known. A country's name ("Jordan") gets its code in the message.
    """
    from monitor.classify import load_countries  # classify imports this module

    gazetteer = load_countries()
    by_name = {name.casefold(): code for names in gazetteer.values() for name, code in names.items()}
    codes = set(by_name.values()) - {""}  # "": a not-a-country phrase
    feed_ids = [f.id for f in feeds.feeds]
    listed = ", ".join(feed_ids[:10]) + (" ..." if len(feed_ids) > 10 else "") or "none"
    feed_tags = {tag for f in feeds.feeds for tag in f.tags}

    def unknown(value: str, field: str) -> str | None:
        if field == "channels":
            return None if value in alerts.channels else f"channel {value!r} is not defined under 'channels'"
        if field in ("topics", "exclude_topics"):
            return None if value in topics.topics else f"unknown topic {value!r} (known: {', '.join(topics.topics)})"
        if field == "countries":
            if value in codes:
                return None
            code = by_name.get(value.strip().casefold()) or _alpha_2(value)
            hint = f"write its code {code}" if code else "not a gazetteer code (ISO 3166-1 alpha-2, or EU)"
            return f"country {value!r}: {hint}"
        if field == "feeds":
            return None if value in feed_ids else f"no feed {value!r} in feeds.yaml (feed ids: {listed})"
        if field == "languages":
            try:
                iso_language(value)
            except ValueError as exc:
                return str(exc)
            return None
        return None if value in feed_tags else f"no feed in feeds.yaml has the tag {value!r}"

    problems: list[tuple[tuple[str | int, ...], str]] = [
        (("rules", i, field, j), msg)
        for i, rule in enumerate(alerts.rules)
        for field in ("channels", "topics", "exclude_topics", "languages", "countries", "feeds", "tags")
        for j, value in enumerate(getattr(rule, field))
        if (msg := unknown(value, field))
    ]
    return problems + _rule_shape_problems(alerts)


def _rule_shape_problems(alerts: AlertsFile) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that could never fire as written, whatever the other files say: a name used twice, a
    fallback with no rule above it, a topic both watched and excluded."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    first: dict[str, int] = {}
    for i, rule in enumerate(alerts.rules):
        j = first.setdefault(rule.name, i)
        if j != i:  # alerts are unique per rule name and story: the second rule would never alert
            problems.append((("rules", i, "name"), f"rule name {rule.name!r} is used twice (first in rules[{j}])"))
        if rule.fallback and i == 0:
            problems.append((("rules", i, "fallback"), "fallback: true on the first rule: no rule above it to fall "
                             "back from (put it below the rules whose stories it leaves out)"))
        both = [t for t in rule.exclude_topics if t in rule.topics]
        if both and (rule.match == "all" or set(rule.topics) <= set(rule.exclude_topics)):
            j = rule.exclude_topics.index(both[0])
            problems.append((("rules", i, "exclude_topics", j), f"topic {both[0]!r} is in topics too: the rule "
                             "could never fire"))
    return problems


#: The config files a process reads, in the config folder.
CONFIG_FILES = ("feeds.yaml", "topics.yaml", "alerts.yaml")


def file_stamp(path: Path) -> tuple[int, int] | None:
    """``(mtime in ns, size in bytes)`` of ``path``, or None when it cannot be read; a change
    means the file was written since (an editor's save, a deploy's copy)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def config_stamp(directory: Path) -> tuple[tuple[int, int] | None, ...]:
    """:func:`file_stamp` of each of :data:`CONFIG_FILES` in ``directory``."""
    return tuple(file_stamp(directory / name) for name in CONFIG_FILES)


@dataclass(frozen=True)
class Config:
    """All three config files, validated. ``directory`` is where they were read from."""

    directory: Path
    feeds: FeedsFile
    topics: TopicsFile
    alerts: AlertsFile

    @classmethod
    def load(cls, directory: Path) -> Config:
        """Load ``feeds.yaml``, ``topics.yaml`` and ``alerts.yaml`` from ``directory``.

        A missing ``feeds.yaml`` or ``alerts.yaml`` means none; ``topics.yaml`` is required.

        Raises:
            ConfigError: naming the file and place at fault (including alert rules that name
                unknown topics).
        """
        if not directory.is_dir():
            raise ConfigError(f"{directory.absolute()}: config folder does not exist (MONITOR_CONFIG_DIR)")
        feeds_path, topics_path, alerts_path = (directory / n for n in CONFIG_FILES)
        feeds = load_yaml_model(feeds_path, FeedsFile) if feeds_path.exists() else FeedsFile()
        if not topics_path.exists():
            raise ConfigError(f"{topics_path}: missing (topic rules are required)")
        topics = load_topics(topics_path)
        alerts = load_yaml_model(alerts_path, AlertsFile) if alerts_path.exists() else AlertsFile()
        if not alerts.rules:
            structlog.get_logger(__name__).warning(
                "no_alert_rules", path=str(alerts_path), exists=alerts_path.exists(),
                hint="items are classified and stored, but no alert will fire",
            )
        problems = alert_rule_problems(alerts, topics, feeds)
        if problems:
            node = yaml.compose(alerts_path.read_text(encoding="utf-8"))
            raise ConfigError("\n".join(
                f"{alerts_path}:{_walk(node, loc)[1] or '?'}: rules[{loc[1]}] ({alerts.rules[int(loc[1])].name}): {msg}"
                for loc, msg in problems
            ))
        from monitor.alert_render import load_templates

        load_templates(alerts, directory, alerts_path)  # a bad template file is a config error now
        return cls(directory=directory, feeds=feeds, topics=topics, alerts=alerts)

    @classmethod
    def load_what_loads(cls, directory: Path) -> tuple[Config, str | None]:
        """:meth:`load`, or when that fails, each file that validates on its own and empty
        stand-ins for the others, with the error: for commands that only inspect the running
        system (``status``, ``alerts list``, ``feeds list``), which must work while an edit is
        broken. Never raises :class:`ConfigError`."""
        try:
            return cls.load(directory), None
        except ConfigError as exc:
            error = str(exc)
        parts: dict[str, Any] = {"feeds": FeedsFile(), "topics": TopicsFile.model_construct(topics={}),
                                 "alerts": AlertsFile()}
        for name, model in (("feeds", FeedsFile), ("alerts", AlertsFile)):
            path = directory / f"{name}.yaml"
            try:
                if path.exists():
                    parts[name] = load_yaml_model(path, model)
            except ConfigError:
                pass  # already in ``error``, or a consequence of it
        return cls(directory=directory, **parts), error
