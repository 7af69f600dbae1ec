"""Entry date parsing: zones, localized names, hints, and no guessing."""

from __future__ import annotations

import pytest

from monitor.feeddates import EntryDate, parse_entry_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 04 Jun 2024 08:00:00 GMT", EntryDate("2024-06-04T08:00:00Z")),
        ("Tue, 04 Jun 2024 08:00:00 EST", EntryDate("2024-06-04T13:00:00Z")),
        ("Tue, 4 Jun 24 08:00 +0530", EntryDate("2024-06-04T02:30:00Z")),
        ("2024-06-04T08:00:00+02:00", EntryDate("2024-06-04T06:00:00Z")),
        ("2024-06-04T08:00:00.250Z", EntryDate("2024-06-04T08:00:00Z")),
        ("2024-06-04 08:00:00", EntryDate("2024-06-04T08:00:00Z", "UTC")),
        ("mar., 04 juin 2024 08:00:00 +0200", EntryDate("2024-06-04T06:00:00Z")),
        ("Di, 04 Juni 2024 08:00:00 +0200", EntryDate("2024-06-04T06:00:00Z")),
        ("الثلاثاء، 4 يونيو 2024 08:00:00 +0300", EntryDate("2024-06-04T05:00:00Z")),
        ("٤ تشرين الأول ٢٠٢٤ ٠٨:٠٠ +0300", EntryDate("2024-10-04T05:00:00Z")),
        ("Jun 4, 2024 08:00:00 GMT", EntryDate("2024-06-04T08:00:00Z")),
        ("mardi 4 juin 2024 08:00:00 +0200", EntryDate("2024-06-04T06:00:00Z")),
        ("الثلاثاء 4 يونيو 2024 08:00:00 +0300", EntryDate("2024-06-04T05:00:00Z")),
        ("Mar 4 2024 08:00:00 GMT", EntryDate("2024-03-04T08:00:00Z")),
        ("Tue, 04 Jun 2024 08:00:00 IST", EntryDate(None, None, True)),
        ("04/06/2024 08:00", EntryDate(None, None, True)),
        ("Tue, 31 Jun 2024 08:00:00 GMT", EntryDate(None, None, True)),
        ("June 2024", EntryDate(None, None, True)),
        ("", EntryDate(None, None, True)),
    ],
)
def test_entry_dates_are_read_to_utc_or_left_unparsed(raw, expected):
    """Each date form gives the exact UTC instant, or None + date_unparsed when unsafe."""
    assert parse_entry_date(raw) == expected


def test_unknown_timezone_hint_is_ignored_not_guessed():
    """A hint zoneinfo does not know is ignored: a zone-less date falls back to UTC, flagged."""
    assert parse_entry_date("Tue, 04 Jun 2024 08:00:00", "Nowhere/Atlantis") == EntryDate(
        "2024-06-04T08:00:00Z", "UTC"
    )
