"""The meeting as an iCalendar object (RFC 5545), written by hand: one VEVENT in a
VCALENDAR, times in UTC, text escaped (backslash, comma, semicolon, newline) and lines
folded at 75 octets (a CRLF followed by a space, never inside a UTF-8 character)."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

PRODID = "-//CTG//Conventions territoriales globales//FR"
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    value = (value or "").replace("\x00", "")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded so that no physical line exceeds 75 octets (§3.1)."""
    chunks: list[str] = []
    current, size, limit = [], 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # the leading space counts
        current.append(char)
        size += width
    chunks.append("".join(current))
    return "\r\n ".join(chunks)


def utc_stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "ctg.local"


def meeting_uid(meeting_id: int) -> str:
    """Stable for a meeting: a re-sent convocation updates the same calendar event."""
    return f"reunion-{meeting_id}@{site_host()}"


def organizer_address() -> str:
    sender = settings.DEFAULT_FROM_EMAIL
    if "<" in sender and ">" in sender:
        sender = sender.split("<", 1)[1].split(">", 1)[0]
    return sender.strip()


def meeting_calendar(
    *,
    meeting_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    summary: str,
    location: str,
    description: str,
    url: str,
    sequence: int,
    method: str = "REQUEST",
    organizer_name: str = "CTG",
    now: datetime.datetime | None = None,
) -> str:
    """The calendar text, CRLF line ends."""
    now = now or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{meeting_uid(meeting_id)}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(start)}",
        f"DTEND:{utc_stamp(end)}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines += [
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
        f'ORGANIZER;CN="{organizer_name.replace(chr(34), "")}":mailto:{organizer_address()}',
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
