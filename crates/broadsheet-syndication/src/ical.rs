//! The economic calendar as iCalendar (RFC 5545), for Google, Apple and Outlook calendars to
//! subscribe to. One VEVENT per release with a stable UID, times in UTC, all-day releases as
//! dates, the figures in the description, and `X-BROADSHEET-*` properties that let another
//! Broadsheet import the feed without losing anything. Text is escaped and lines are folded
//! at 75 octets, never inside a character.

use std::fmt::Write;

use broadsheet_core::Timestamp;
use broadsheet_core::calendar::{Event, Importance, Indicator, Timing};
use chrono::Duration;

use crate::Site;

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded so that no line is over 75 octets.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn stamp(t: Timestamp) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn priority(i: Importance) -> u8 {
    match i {
        Importance::High => 1,
        Importance::Medium => 5,
        Importance::Low => 9,
    }
}

/// The feed: `name` is the calendar's title in the subscriber's list.
pub fn calendar(site: &Site, name: &str, releases: &[(&Indicator, &Event)]) -> String {
    let host = site
        .origin
        .split("://")
        .nth(1)
        .unwrap_or(&site.origin)
        .trim_end_matches('/')
        .to_owned();
    let mut out = String::with_capacity(512 + releases.len() * 700);
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Broadsheet//Economic calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        line(&mut out, l);
    }
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line(&mut out, "X-PUBLISHED-TTL:PT1H");
    for (i, e) in releases {
        event(&mut out, site, &host, i, e);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn event(out: &mut String, site: &Site, host: &str, i: &Indicator, e: &Event) {
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:release-{}@{}", e.id, text(host)));
    line(out, &format!("DTSTAMP:{}", stamp(e.updated_at)));
    line(out, &format!("LAST-MODIFIED:{}", stamp(e.updated_at)));
    match e.scheduled.timing {
        Timing::Exact => {
            line(out, &format!("DTSTART:{}", stamp(e.scheduled.at)));
            line(out, "DURATION:PT15M");
        }
        Timing::AllDay | Timing::Tentative => {
            let day = e.scheduled.date();
            line(out, &format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
            let next = day + Duration::days(1);
            line(out, &format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
        }
    }
    if e.scheduled.timing == Timing::Tentative {
        line(out, "STATUS:TENTATIVE");
    } else {
        line(out, "STATUS:CONFIRMED");
    }
    line(out, "TRANSP:TRANSPARENT");
    let mut summary = format!("{}: {}", i.country, i.title);
    if !e.period.is_empty() {
        let _ = write!(summary, " ({})", e.period);
    }
    line(out, &format!("SUMMARY:{}", text(&summary)));
    let url = site.url(&format!("/calendar/{}", i.slug));
    let mut description = String::new();
    let v = e.values;
    for (label, value) in [
        ("Actual", v.actual),
        ("Forecast", v.consensus),
        ("Previous", v.previous),
        ("Revised", v.revised_previous),
    ] {
        if let Some(value) = value {
            let _ = writeln!(description, "{label}: {}", i.format(value));
        }
    }
    let _ = writeln!(description, "Importance: {}", i.importance.label());
    description.push_str(&url);
    line(out, &format!("DESCRIPTION:{}", text(&description)));
    line(out, &format!("URL:{}", text(&url)));
    if !i.category.is_empty() {
        line(out, &format!("CATEGORIES:{}", text(&i.category)));
    }
    line(out, &format!("PRIORITY:{}", priority(i.importance)));
    // What another Broadsheet needs to import the release exactly.
    line(out, &format!("X-BROADSHEET-INDICATOR:{}", i.slug));
    line(out, &format!("X-BROADSHEET-COUNTRY:{}", text(&i.country)));
    line(out, &format!("X-BROADSHEET-TITLE:{}", text(&i.title)));
    if !e.period.is_empty() {
        line(out, &format!("X-BROADSHEET-PERIOD:{}", text(&e.period)));
    }
    line(
        out,
        &format!("X-BROADSHEET-IMPORTANCE:{}", i.importance.as_str()),
    );
    if !i.unit.is_empty() {
        line(out, &format!("X-BROADSHEET-UNIT:{}", text(&i.unit)));
    }
    line(out, &format!("X-BROADSHEET-SCALE:{}", i.scale.as_str()));
    for (name, value) in [
        ("ACTUAL", v.actual),
        ("CONSENSUS", v.consensus),
        ("PREVIOUS", v.previous),
        ("REVISED", v.revised_previous),
    ] {
        if let Some(value) = value {
            // In the scale X-BROADSHEET-SCALE names.
            line(out, &format!("X-BROADSHEET-{name}:{value}"));
        }
    }
    line(out, "END:VEVENT");
}

#[cfg(test)]
mod tests {
    use super::*;
    use broadsheet_core::Slug;
    use broadsheet_core::calendar::{EventValues, Scale, Scheduled};
    use chrono::{NaiveDate, TimeZone, Utc};

    fn site() -> Site {
        Site {
            name: "The Ledger".into(),
            tagline: String::new(),
            language: "en".into(),
            origin: "https://news.example.com".into(),
            logo: None,
        }
    }

    #[test]
    fn escaped_folded_and_in_utc() {
        let i = Indicator {
            id: 1,
            slug: Slug::parse("valdoria-cpi").expect("test value"),
            country: "Valdoria".into(),
            title: "CPI; y/y, all items — a very long title that will need folding ".repeat(2),
            category: "Inflation".into(),
            importance: Importance::High,
            unit: "%".into(),
            scale: Scale::Units,
            decimals: 1,
            instrument: None,
        };
        let at = Utc
            .with_ymd_and_hms(2026, 12, 8, 13, 30, 0)
            .single()
            .expect("test value");
        let e = Event {
            id: 7,
            indicator_id: 1,
            external_id: None,
            period: "Nov".into(),
            scheduled: Scheduled::exact(at),
            values: EventValues {
                actual: Some(3.4),
                consensus: Some(3.1),
                ..Default::default()
            },
            updated_at: at,
        };
        let mut tentative = e.clone();
        tentative.id = 8;
        tentative.scheduled = Scheduled::day(
            NaiveDate::from_ymd_opt(2026, 12, 31).expect("test value"),
            Timing::Tentative,
        );
        let ics = calendar(
            &site(),
            "The Ledger: calendar",
            &[(&i, &e), (&i, &tentative)],
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{l:?} is {} octets", l.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("UID:release-7@news.example.com"));
        assert!(unfolded.contains("DTSTART:20261208T133000Z"));
        assert!(unfolded.contains("CPI\\; y/y\\, all items"), "{unfolded}");
        assert!(unfolded.contains("DESCRIPTION:Actual: 3.4%\\nForecast: 3.1%\\n"));
        assert!(unfolded.contains("DTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270101"));
        assert!(unfolded.contains("STATUS:TENTATIVE"));
    }
}
