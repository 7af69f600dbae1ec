"""Entry dates from feeds: to UTC ISO 8601, or None with a flag, never a guess (case 09).

Accepted forms: RFC 822/2822 dates (``Sun, 12 May 2024 10:00:00 +0300``), ISO 8601 / W3C-DTF
(``2024-05-12T10:00:00+03:00``), and the same RFC 822 shape with Arabic, French, German,
Portuguese or Spanish day and month names and Arabic-Indic digits.

Zones:

- numeric offsets, ``Z``, ``GMT``/``UT``/``UTC`` and the North-American names that RFC 822 §5
  itself defines (``EST``, ``EDT``, ``CST``, ``CDT``, ``MST``, ``MDT``, ``PST``, ``PDT``) are
  applied as written, plus a few names that mean one thing only (``CET``, ``CEST``, ``EET``,
  ``EEST``, ``WET``, ``WEST``, ``MSK``, ``JST``);
- any other abbreviation (``AST`` is Arabia *or* Atlantic, ``IST``, ``BST``, ``GST``...) is
  ambiguous: read in the feed's timezone hint when there is one, else the date is left
  unparsed (feedparser silently reads ``AST`` as Atlantic);
- no zone at all: the feed's timezone hint, else UTC, and ``timezone_assumed`` says which.

A date without a time of day, or that none of these forms reads, gives ``published=None``
and ``date_unparsed=True``; the caller shows the first-seen time instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_FIXED_ZONES = {
    "Z": 0, "GMT": 0, "UT": 0, "UTC": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "MSK": 3, "JST": 9,
}
_MONTHS = {
    "Jan": "jan january janv janvier januar jänner jaenner janeiro ene enero يناير جانفي",
    "Feb": "feb february fév fev févr fevr février fevrier februar fevereiro febrero فبراير شباط فيفري",
    "Mar": "mar march mars mär märz maerz mrz março marco marzo مارس آذار اذار",
    "Apr": "apr april avr avril abr abril أبريل ابريل إبريل نيسان أفريل افريل",
    "May": "may mai maio mayo مايو أيار ايار ماي",
    "Jun": "jun june juin juni junho junio يونيو يونية حزيران جوان",
    "Jul": "jul july juil juillet juli julho julio يوليو يولية تموز جويلية يوليوز",
    "Aug": "aug august août aout aoû ago agosto أغسطس اغسطس آب غشت أوت اوت",
    "Sep": "sep sept september septembre set setembro septiembre setiembre سبتمبر أيلول ايلول شتنبر",
    "Oct": "oct october octobre okt oktober out outubro octubre أكتوبر اكتوبر",
    "Nov": "nov november novembre novembro noviembre نوفمبر نونبر",
    "Dec": "dec december déc décembre decembre dez dezember dezembro dic diciembre ديسمبر دجنبر",
}
_MONTH_PHRASES = {  # Levantine two-word month names, replaced before single words
    "تشرين الأول": "Oct", "تشرين الاول": "Oct", "تشرين الثاني": "Nov",
    "كانون الأول": "Dec", "كانون الاول": "Dec", "كانون الثاني": "Jan",
}
_MONTH_WORDS = {word: abbr for abbr, words in _MONTHS.items() for word in words.split()}
_WEEKDAYS = frozenset(
    "mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday sunday "
    "lun mar mer jeu ven sam dim lundi mardi mercredi jeudi vendredi samedi dimanche "
    "mo di mi do fr sa so montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag "
    "seg ter qua qui sex sáb dom segunda terça quarta quinta sexta sábado domingo "
    "الأحد الاحد الاثنين الإثنين الثلاثاء الأربعاء الاربعاء الخميس الجمعة السبت".split()
)
_DIGITS = str.maketrans({**{chr(0x0660 + d): str(d) for d in range(10)},
                         **{chr(0x06F0 + d): str(d) for d in range(10)}, "،": ","})
_LEADING_WEEKDAY = re.compile(r"^\s*([^\W\d_]+)\.?\s*,\s*")
#: A full weekday name directly before the day number, without the comma ("dimanche 29 novembre").
#: Only full names: "Mar 12" is March in English, not mardi.
_LEADING_FULL_WEEKDAY = re.compile(r"^\s*([^\W\d_]{5,}|ال[^\W\d_]+)\s+(?=\d)")
_WORD = re.compile(r"[^\W\d_]+")
_RFC822 = re.compile(
    r"^(?P<day>\d{1,2})\s+(?P<mon>[A-Z][a-z]{2})\.?,?\s+(?P<year>\d{4}|\d{2})"
    r"(?:,?\s+(?:at\s+|à\s+|um\s+)?(?P<h>\d{1,2})[:h](?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?)?"
    r"\s*(?P<zone>.*)$"
)
_MONTH_FIRST = re.compile(r"^(?P<mon>[A-Z][a-z]{2})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<rest>.*)$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_NUMERIC_ZONE = re.compile(r"^(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})$")
_MONTH_NUMBER = {abbr: i for i, abbr in enumerate(_MONTHS, start=1)}


@dataclass(frozen=True)
class EntryDate:
    """A parsed entry date.

    Attributes:
        published: UTC ISO 8601 (``2024-05-12T07:00:00Z``) or None.
        timezone_assumed: the zone used because the feed gave none (the feed's timezone hint or
            ``UTC``), else None.
        date_unparsed: True when there was no date or it could not be read without guessing.
    """

    published: str | None
    timezone_assumed: str | None = None
    date_unparsed: bool = False


UNPARSED = EntryDate(None, None, True)


def zone_from_hint(hint: str | None) -> tzinfo | None:
    """The ``zoneinfo`` zone named by a feed's timezone hint (``Asia/Riyadh``), or None if unknown."""
    if not hint:
        return None
    try:
        return ZoneInfo(hint)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_entry_date(raw: str | None, timezone_hint: str | None = None) -> EntryDate:
    """Read a feed's date string (see the module docstring for forms and zone rules)."""
    if not raw or not raw.strip():
        return UNPARSED
    text = _normalize(raw)
    if _ISO.match(text):
        return _from_iso(text, timezone_hint)
    return _from_rfc822(text, timezone_hint)


def _normalize(raw: str) -> str:
    text = " ".join(raw.translate(_DIGITS).split())
    for phrase, abbr in _MONTH_PHRASES.items():
        text = text.replace(phrase, abbr)
    m = _LEADING_WEEKDAY.match(text) or _LEADING_FULL_WEEKDAY.match(text)
    if m and m.group(1).lower() in _WEEKDAYS:
        text = text[m.end():]
    text = _WORD.sub(lambda w: _MONTH_WORDS.get(w.group(0).lower(), w.group(0)), text)
    m = _MONTH_FIRST.match(text)
    if m:
        text = f"{m.group('day')} {m.group('mon')} {m.group('rest')}"
    return text


def _from_iso(text: str, hint: str | None) -> EntryDate:
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return UNPARSED
    return _finish(value, None if value.tzinfo else "", hint)


def _from_rfc822(text: str, hint: str | None) -> EntryDate:
    m = _RFC822.match(text)
    if not m or m.group("h") is None or m.group("mon") not in _MONTH_NUMBER:
        return UNPARSED
    year = int(m.group("year"))
    if year < 100:
        year += 2000 if year < 50 else 1900  # RFC 2822 §4.3
    try:
        value = datetime(year, _MONTH_NUMBER[m.group("mon")], int(m.group("day")),
                         int(m.group("h")), int(m.group("m")), int(m.group("s") or 0))
    except ValueError:
        return UNPARSED
    return _finish(value, m.group("zone").strip(), hint)


def _finish(value: datetime, zone: str | None, hint: str | None) -> EntryDate:
    """Apply ``zone`` (None: ``value`` is aware already; "": none given; else the zone text)."""
    if zone is None:
        return EntryDate(_iso(value))
    zone = zone.strip("() ")
    if zone:
        offset = _zone_offset(zone)
        if offset is not None:
            return EntryDate(_iso(value.replace(tzinfo=offset)))
        if not re.fullmatch(r"[A-Za-z]{1,5}", zone):
            return UNPARSED
    hinted = zone_from_hint(hint)
    if hinted is not None:
        return EntryDate(_iso(value.replace(tzinfo=hinted)), timezone_assumed=hint)
    if zone:  # an abbreviation we will not guess (AST, IST, BST...) and no hint
        return UNPARSED
    return EntryDate(_iso(value.replace(tzinfo=UTC)), timezone_assumed="UTC")


def _zone_offset(zone: str) -> tzinfo | None:
    if zone.upper() in _FIXED_ZONES:
        return timezone(timedelta(hours=_FIXED_ZONES[zone.upper()]))
    m = _NUMERIC_ZONE.match(zone)
    if not m:
        return None
    minutes = int(m.group("hh")) * 60 + int(m.group("mm"))
    if minutes >= 24 * 60:
        return None
    return timezone(timedelta(minutes=minutes if m.group("sign") == "+" else -minutes))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
