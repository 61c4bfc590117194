#!/usr/bin/env python3
"""Reads a running site's iCalendar feeds with the `icalendar` library (the parser behind many
Python calendar tools; strict about RFC 5545 content lines) and checks what Google, Apple and
Outlook calendars need to subscribe to them.

    python3 tools/check_ics.py http://127.0.0.1:8080

Reads /calendar.ics, one feed per country and importance filter, and the feed of every
indicator linked from the calendar page. Fails (exit 1) on a feed that does not parse, a line
over 75 octets, a missing VERSION or PRODID, an event without UID, DTSTAMP, DTSTART or SUMMARY,
a UID used twice, a timed DTSTART not in UTC, an all-day event whose DTEND is not the next day,
or a URL outside the site. Prints one line per feed read.
"""

import datetime
import re
import sys
import urllib.request

import icalendar


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.headers.get("content-type", ""), r.read()


def check(base, path, problems):
    ctype, body = fetch(base + path)
    if not ctype.startswith("text/calendar"):
        problems.append(f"{path}: content type {ctype!r}")
    for n, line in enumerate(body.split(b"\r\n"), 1):
        if len(line) > 75:
            problems.append(f"{path}: line {n} is {len(line)} octets")
    try:
        cal = icalendar.Calendar.from_ical(body)
    except Exception as e:  # noqa: BLE001 - any parser error is the finding
        problems.append(f"{path}: does not parse: {e}")
        return 0
    for prop in ("VERSION", "PRODID"):
        if prop not in cal:
            problems.append(f"{path}: no {prop}")
    uids = set()
    events = cal.walk("VEVENT")
    for ev in events:
        uid = str(ev.get("UID", ""))
        for prop in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            if prop not in ev:
                problems.append(f"{path}: event {uid or '?'} has no {prop}")
        if uid in uids:
            problems.append(f"{path}: UID {uid} twice")
        uids.add(uid)
        start = ev.decoded("DTSTART") if "DTSTART" in ev else None
        if isinstance(start, datetime.datetime):
            if start.utcoffset() != datetime.timedelta(0):
                problems.append(f"{path}: {uid}: a timed start not in UTC")
        elif isinstance(start, datetime.date):
            end = ev.decoded("DTEND") if "DTEND" in ev else None
            if end != start + datetime.timedelta(days=1):
                problems.append(f"{path}: {uid}: an all-day event should end the next day")
        url = str(ev.get("URL", ""))
        if url and not url.startswith(base):
            problems.append(f"{path}: {uid}: URL {url} is outside the site")
    print(f"{path}: {len(events)} events parse with icalendar {icalendar.__version__}")
    return len(events)


def main():
    base = sys.argv[1].rstrip("/")
    problems = []
    paths = ["/calendar.ics"]
    _, page = fetch(base + "/calendar?date=" + datetime.date.today().isoformat())
    page = page.decode()
    for slug in sorted(set(re.findall(r'href="/calendar\?country=([a-z0-9-]+)', page))):
        paths.append(f"/calendar.ics?country={slug}")
    for level in ("medium", "high"):
        paths.append(f"/calendar.ics?importance={level}")
    for slug in sorted(set(re.findall(r'href="/calendar/([a-z0-9-]+)"', page))):
        paths.append(f"/calendar/{slug}.ics")
    total = sum(check(base, p, problems) for p in paths)
    if total == 0:
        problems.append("no events in any feed")
    for p in problems:
        print("FAIL " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
