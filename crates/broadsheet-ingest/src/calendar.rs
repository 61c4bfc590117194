//! Economic-calendar files as vendors and newsrooms keep them: CSV (comma, semicolon or tab,
//! decimal point or comma, ISO, US or European dates, times in a named zone) through a
//! `CalendarMapping`, and iCalendar (`.ics`: folded lines, `TZID`s, all-day events, unknown
//! properties ignored). Every row becomes a `CalendarRow` or a reason; nothing is written
//! here.

use std::collections::HashMap;
use std::str::FromStr;

use broadsheet_core::Slug;
use broadsheet_core::calendar::{EventValues, Importance, Scale, Scheduled, Timing};
use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

/// A calendar file larger than this is refused before it is read.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// At most this many rows or events in one file.
pub const MAX_ROWS: usize = 200_000;

/// The indicator a row belongs to, as far as the row tells.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorSpec {
    pub slug: Slug,
    pub country: String,
    pub title: String,
    pub category: Option<String>,
    pub importance: Option<Importance>,
    pub unit: Option<String>,
    /// The scale a column named, or the one the row's values were written in ("215K").
    pub scale: Option<Scale>,
    /// The most decimal places among the row's figures.
    pub decimals: Option<u8>,
}

/// One release read from a file. Figures are as written, a letter taken off ("215K" is 215);
/// `indicator.scale` is the scale they are in when the row says (a scale column or a letter),
/// else they are in the indicator's own scale. The application puts them into it.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarRow {
    pub indicator: IndicatorSpec,
    pub external_id: Option<String>,
    pub period: String,
    pub scheduled: Scheduled,
    pub values: EventValues,
}

/// What a file held: good rows, refused rows and harmless repeats, each with its line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedCalendar {
    pub rows: Vec<(usize, CalendarRow)>,
    pub rejected: Vec<(usize, String)>,
    /// Rows that repeat an earlier one exactly: skipped, with the line they repeat.
    pub repeated: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// ISO first; a date with slashes is month/day/year (US); with dots, day.month.year.
    #[default]
    Auto,
    Mdy,
    Dmy,
}

/// Which columns hold what (header names, matched without case, spaces or punctuation), and
/// how the file writes dates, times and numbers. Every field has a default that reads the
/// common layouts (`Date,Time,Country,Event,Actual,Forecast,Previous`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarMapping {
    pub date: Option<String>,
    pub time: Option<String>,
    /// The column naming each row's time zone.
    pub timezone_column: Option<String>,
    /// The zone of times that name none: an IANA name ("America/New_York"); default UTC.
    pub timezone: Option<String>,
    pub country: Option<String>,
    pub title: Option<String>,
    /// A column with the indicator's slug; default: made from country and title.
    pub indicator: Option<String>,
    pub category: Option<String>,
    pub importance: Option<String>,
    pub unit: Option<String>,
    pub scale: Option<String>,
    pub period: Option<String>,
    pub actual: Option<String>,
    pub consensus: Option<String>,
    pub previous: Option<String>,
    pub revised: Option<String>,
    pub id: Option<String>,
    pub date_order: DateOrder,
    /// Default: a decimal comma when the file is separated by semicolons.
    pub decimal_comma: Option<bool>,
    /// Default: whichever of `,` `;` and tab the header line uses most.
    pub delimiter: Option<char>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarFileError {
    #[error("the file is empty or has no header row")]
    NoHeader,
    #[error("no column {name:?} (the header has: {header})")]
    NoColumn { name: String, header: String },
    #[error("the file has no {0} column (the header has: {1})")]
    Missing(&'static str, String),
    #[error("{0:?} is not a time zone (use an IANA name such as Europe/London)")]
    Zone(String),
    #[error("the file is over {MAX_FILE_BYTES} bytes")]
    TooLarge,
    #[error("the file is not iCalendar: it does not begin with BEGIN:VCALENDAR")]
    NotIcs,
}

fn key(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A zone by IANA name, or a fixed offset ("+02:00", "UTC+2", "Z").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    pub fn parse(s: &str) -> Option<Zone> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("gmt") || t == "Z" {
            return Some(Zone::Fixed(FixedOffset::east_opt(0)?));
        }
        if let Ok(tz) = Tz::from_str(t) {
            return Some(Zone::Named(tz));
        }
        let rest = t
            .strip_prefix("UTC")
            .or_else(|| t.strip_prefix("GMT"))
            .unwrap_or(t);
        let (sign, rest) = match rest.as_bytes().first()? {
            b'+' => (1, &rest[1..]),
            b'-' | 0xe2 => (-1, rest.trim_start_matches(['-', '−'])),
            _ => return None,
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
            None if rest.len() == 4 => (rest[..2].parse().ok()?, rest[2..].parse().ok()?),
            None => (rest.parse().ok()?, 0),
        };
        if h > 14 || m > 59 {
            return None;
        }
        FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed)
    }

    /// The instant a wall-clock time names in this zone. A time that a clock change skips is
    /// an error; one it repeats is its first occurrence.
    pub fn resolve(&self, local: NaiveDateTime) -> Result<DateTime<chrono::Utc>, String> {
        let result = match self {
            Zone::Named(tz) => map_local(tz.from_local_datetime(&local)),
            Zone::Fixed(off) => map_local(off.from_local_datetime(&local)),
        };
        result.ok_or_else(|| {
            format!(
                "{} does not exist in {} (the clocks go forward over it)",
                local.format("%Y-%m-%d %H:%M"),
                self.name()
            )
        })
    }

    fn name(&self) -> String {
        match self {
            Zone::Named(tz) => tz.name().to_owned(),
            Zone::Fixed(off) => off.to_string(),
        }
    }
}

fn map_local<T: TimeZone>(r: LocalResult<DateTime<T>>) -> Option<DateTime<chrono::Utc>> {
    match r {
        LocalResult::Single(t) => Some(t.with_timezone(&chrono::Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&chrono::Utc)),
        LocalResult::None => None,
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('.').to_ascii_lowercase();
    if s.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| s.starts_with(m))
        .map(|i| i as u32 + 1)
}

/// `2026-12-08`, `2026/12/08`, `12/08/2026` (US, unless `Dmy`), `08.12.2026`, `8 Dec 2026`,
/// `Dec 8, 2026`, `20261208`.
pub fn parse_date(s: &str, order: DateOrder) -> Result<NaiveDate, String> {
    let t = s.trim();
    let bad = || format!("{t:?} is not a date");
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d);
    }
    if t.len() == 8
        && t.bytes().all(|b| b.is_ascii_digit())
        && let Ok(d) = NaiveDate::parse_from_str(t, "%Y%m%d")
    {
        return Ok(d);
    }
    let parts: Vec<&str> = t
        .split(['/', '.', '-', ' ', ','])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let num = |p: &str| p.parse::<u32>().ok();
    let ymd = |y: u32, m: u32, d: u32| {
        let y = if y < 100 { y + 2000 } else { y };
        NaiveDate::from_ymd_opt(y as i32, m, d)
    };
    let found = if parts[0].len() == 4 {
        ymd(
            num(parts[0]).ok_or_else(bad)?,
            num(parts[1]).ok_or_else(bad)?,
            num(parts[2]).ok_or_else(bad)?,
        )
    } else if let Some(m) = month_number(parts[0]) {
        ymd(
            num(parts[2]).ok_or_else(bad)?,
            m,
            num(parts[1]).ok_or_else(bad)?,
        )
    } else if let Some(m) = month_number(parts[1]) {
        ymd(
            num(parts[2]).ok_or_else(bad)?,
            m,
            num(parts[0]).ok_or_else(bad)?,
        )
    } else {
        let (a, b, y) = (
            num(parts[0]).ok_or_else(bad)?,
            num(parts[1]).ok_or_else(bad)?,
            num(parts[2]).ok_or_else(bad)?,
        );
        let day_first = match order {
            DateOrder::Dmy => true,
            DateOrder::Mdy => false,
            DateOrder::Auto => t.contains('.'),
        };
        if day_first {
            ymd(y, b, a)
        } else {
            ymd(y, a, b)
        }
        .ok_or_else(|| {
            format!(
                "{t:?} is not a date (read as {})",
                if day_first {
                    "day/month/year"
                } else {
                    "month/day/year"
                }
            )
        })
        .map(Some)?
    };
    found.ok_or_else(bad)
}

/// `08:30`, `8:30am`, `2:00 PM`, `14:00:00`; `None` for "All Day", "Tentative" or empty.
fn parse_time(s: &str) -> Result<Option<(NaiveTime, Timing)>, String> {
    let t = s.trim().to_ascii_lowercase();
    match t.as_str() {
        "" | "all day" | "allday" | "all_day" | "day" => return Ok(None),
        "tentative" | "tba" | "tbd" => {
            return Ok(Some((NaiveTime::MIN, Timing::Tentative)));
        }
        _ => {}
    }
    let (clock, pm) = if let Some(c) = t.strip_suffix("pm") {
        (c.trim(), Some(true))
    } else if let Some(c) = t.strip_suffix("am") {
        (c.trim(), Some(false))
    } else {
        (t.as_str(), None)
    };
    let mut parts = clock.split(':');
    let h: u32 = parts
        .next()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| format!("{s:?} is not a time"))?;
    let m: u32 = parts
        .next()
        .map_or(Some(0), |m| m.parse().ok())
        .ok_or_else(|| format!("{s:?} is not a time"))?;
    let sec: u32 = parts
        .next()
        .map_or(Some(0), |x| x.parse().ok())
        .ok_or_else(|| format!("{s:?} is not a time"))?;
    let h = match pm {
        Some(true) if h < 12 => h + 12,
        Some(false) if h == 12 => 0,
        Some(_) if h > 12 => return Err(format!("{s:?} is not a time")),
        _ => h,
    };
    NaiveTime::from_hms_opt(h, m, sec)
        .map(|t| Some((t, Timing::Exact)))
        .ok_or_else(|| format!("{s:?} is not a time"))
}

/// The number of decimals a figure was written with ("3.10%" → 2).
fn written_decimals(s: &str, decimal_comma: bool) -> Option<u8> {
    let sep = if decimal_comma { ',' } else { '.' };
    let digits: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == sep)
        .collect();
    digits
        .split_once(sep)
        .map(|(_, f)| f.len().min(6) as u8)
        .or(Some(0))
}

/// A figure as written and the scale its letter named ("215K" → 215, thousands).
fn figure(s: &str, decimal_comma: bool) -> Result<(Option<f64>, Option<Scale>), String> {
    let letter = s
        .trim()
        .trim_end_matches('%')
        .trim()
        .chars()
        .last()
        .and_then(|c| match c.to_ascii_uppercase() {
            'K' => Some(Scale::Thousands),
            'M' => Some(Scale::Millions),
            'B' => Some(Scale::Billions),
            'T' => Some(Scale::Trillions),
            _ => None,
        });
    let v =
        broadsheet_core::calendar::parse_value(s, letter.unwrap_or(Scale::Units), decimal_comma)
            .map_err(|e| e.reason)?;
    Ok((v, letter.filter(|_| v.is_some())))
}

/// The indicator's slug: the given one, else country and title ("valdoria-cpi-y-y").
fn indicator_slug(given: Option<&str>, country: &str, title: &str) -> Result<Slug, String> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Slug::parse(s).map_err(|e| e.reason),
        None => Slug::derive(&format!("{country} {title}"))
            .ok_or_else(|| "the country and title make no indicator name".to_owned()),
    }
}

fn detect_delimiter(first_line: &str) -> u8 {
    let count = |c: char| first_line.matches(c).count();
    let (semi, comma, tab) = (count(';'), count(','), count('\t'));
    if tab > comma && tab > semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

struct Columns {
    idx: HashMap<&'static str, usize>,
}

impl Columns {
    fn get<'r>(&self, name: &str, record: &'r csv::StringRecord) -> &'r str {
        self.idx
            .get(name)
            .and_then(|&i| record.get(i))
            .unwrap_or("")
    }
}

/// Reads a calendar CSV.
pub fn parse_csv(bytes: &[u8], m: &CalendarMapping) -> Result<ParsedCalendar, CalendarFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(CalendarFileError::TooLarge);
    }
    let text = String::from_utf8_lossy(bytes);
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = m
        .delimiter
        .map_or_else(|| detect_delimiter(first_line), |c| c as u8);
    let decimal_comma = m.decimal_comma.unwrap_or(delimiter == b';');
    let default_zone = match &m.timezone {
        Some(z) => Zone::parse(z).ok_or_else(|| CalendarFileError::Zone(z.clone()))?,
        None => Zone::Fixed(FixedOffset::east_opt(0).ok_or(CalendarFileError::NoHeader)?),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| CalendarFileError::NoHeader)?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(CalendarFileError::NoHeader);
    }
    let keys: Vec<String> = header.iter().map(|h| key(h)).collect();
    let listed = header.join(", ");
    let find =
        |given: &Option<String>, aliases: &[&str]| -> Result<Option<usize>, CalendarFileError> {
            match given {
                Some(name) => keys
                    .iter()
                    .position(|k| *k == key(name))
                    .map(Some)
                    .ok_or_else(|| CalendarFileError::NoColumn {
                        name: name.clone(),
                        header: listed.clone(),
                    }),
                None => Ok(aliases
                    .iter()
                    .find_map(|a| keys.iter().position(|k| k == a))),
            }
        };
    let mut idx = HashMap::new();
    for (name, given, aliases) in [
        (
            "date",
            &m.date,
            &["date", "day", "releasedate", "datetime"][..],
        ),
        ("time", &m.time, &["time", "releasetime", "timeutc"][..]),
        ("zone", &m.timezone_column, &["timezone", "tz", "zone"][..]),
        (
            "country",
            &m.country,
            &["country", "area", "region", "currency"][..],
        ),
        (
            "title",
            &m.title,
            &["event", "title", "name", "indicatorname"][..],
        ),
        (
            "indicator",
            &m.indicator,
            &["indicator", "slug", "series"][..],
        ),
        ("category", &m.category, &["category", "type"][..]),
        (
            "importance",
            &m.importance,
            &["importance", "impact", "priority"][..],
        ),
        ("unit", &m.unit, &["unit", "units"][..]),
        ("scale", &m.scale, &["scale"][..]),
        (
            "period",
            &m.period,
            &["period", "reference", "refperiod"][..],
        ),
        ("actual", &m.actual, &["actual"][..]),
        (
            "consensus",
            &m.consensus,
            &["consensus", "forecast", "expected", "survey"][..],
        ),
        ("previous", &m.previous, &["previous", "prior", "prev"][..]),
        (
            "revised",
            &m.revised,
            &["revised", "revisedprevious", "revisedfrom"][..],
        ),
        ("id", &m.id, &["id", "eventid", "uid"][..]),
    ] {
        if let Some(i) = find(given, aliases)? {
            idx.insert(name, i);
        }
    }
    for required in ["date", "country", "title"] {
        if !idx.contains_key(required) {
            return Err(CalendarFileError::Missing(required, listed));
        }
    }
    let cols = Columns { idx };
    let mut out = ParsedCalendar::default();
    // The first line each release was seen on, with its row, to tell repeats from conflicts.
    let mut seen: HashMap<String, (usize, CalendarRow)> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if n >= MAX_ROWS {
            out.rejected.push((
                line,
                format!("the file has over {MAX_ROWS} rows; the rest is not read"),
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match csv_row(&cols, &record, m, default_zone, decimal_comma) {
            Ok(row) => {
                let id = row
                    .external_id
                    .clone()
                    .unwrap_or_else(|| format!("{}@{}", row.indicator.slug, row.scheduled.date()));
                match seen.get(&id) {
                    Some((first, earlier)) if *earlier == row => out.repeated.push((line, *first)),
                    Some((first, _)) => out.rejected.push((
                        line,
                        format!(
                            "gives other figures for the release on line {first} (the same indicator and day); line {first} is kept"
                        ),
                    )),
                    None => {
                        seen.insert(id, (line, row.clone()));
                        out.rows.push((line, row));
                    }
                }
            }
            Err(reason) => out.rejected.push((line, reason)),
        }
    }
    Ok(out)
}

fn csv_row(
    c: &Columns,
    r: &csv::StringRecord,
    m: &CalendarMapping,
    default_zone: Zone,
    decimal_comma: bool,
) -> Result<CalendarRow, String> {
    let text = |name: &str| -> Result<String, String> {
        let v = c.get(name, r).trim();
        if v.chars().any(char::is_control) {
            return Err(format!("the {name} has control characters"));
        }
        Ok(v.to_owned())
    };
    let country = text("country")?;
    let title = text("title")?;
    if country.is_empty() {
        return Err("no country".into());
    }
    if title.is_empty() {
        return Err("no event title".into());
    }
    let zone = match text("zone")?.as_str() {
        "" => default_zone,
        z => Zone::parse(z).ok_or_else(|| format!("{z:?} is not a time zone"))?,
    };
    let date_cell = text("date")?;
    let scheduled = if let Ok(t) = DateTime::parse_from_rfc3339(&date_cell) {
        Scheduled::exact(t.with_timezone(&chrono::Utc))
    } else {
        let (date_part, time_part) =
            match (date_cell.split_once([' ', 'T']), c.idx.contains_key("time")) {
                (Some((d, t)), false) if parse_date(d, m.date_order).is_ok() => {
                    (d.to_owned(), t.to_owned())
                }
                _ => (date_cell.clone(), text("time")?),
            };
        let date = parse_date(&date_part, m.date_order)?;
        match parse_time(&time_part)? {
            None => Scheduled::day(date, Timing::AllDay),
            Some((_, Timing::Tentative)) => Scheduled::day(date, Timing::Tentative),
            Some((t, _)) => Scheduled::exact(zone.resolve(date.and_time(t))?),
        }
    };
    let mut scale_hint = match text("scale")?.as_str() {
        "" => None,
        s => Some(s.parse::<Scale>().map_err(|e| e.reason)?),
    };
    let mut decimals: Option<u8> = None;
    let mut values = EventValues::default();
    for (name, slot) in [
        ("actual", &mut values.actual),
        ("consensus", &mut values.consensus),
        ("previous", &mut values.previous),
        ("revised", &mut values.revised_previous),
    ] {
        let cell = text(name)?;
        let (v, letter) = figure(&cell, decimal_comma).map_err(|e| format!("{name}: {e}"))?;
        if v.is_some() {
            decimals = decimals.max(written_decimals(&cell, decimal_comma));
            if scale_hint.is_none() {
                scale_hint = letter;
            }
        }
        *slot = v;
    }
    let importance = match text("importance")?.as_str() {
        "" => None,
        s => Some(s.parse::<Importance>().map_err(|e| e.reason)?),
    };
    let unit = text("unit")?;
    let unit = if unit.is_empty() {
        ["actual", "consensus", "previous"]
            .iter()
            .any(|n| c.get(n, r).trim().ends_with('%'))
            .then(|| "%".to_owned())
    } else {
        Some(unit)
    };
    let indicator = IndicatorSpec {
        slug: indicator_slug(Some(c.get("indicator", r)), &country, &title)?,
        country,
        title,
        category: Some(text("category")?).filter(|s| !s.is_empty()),
        importance,
        unit,
        scale: scale_hint,
        decimals,
    };
    let id = text("id")?;
    Ok(CalendarRow {
        indicator,
        external_id: (!id.is_empty()).then_some(id),
        period: text("period")?,
        scheduled,
        values,
    })
}

// ---- iCalendar ----

/// One content line: name, parameters, value (still escaped).
#[derive(Debug)]
struct Property {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn parse_content_line(line: &str) -> Option<Property> {
    // The name and parameters end at the first colon outside double quotes.
    let mut in_quotes = false;
    let mut split = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                split = Some(i);
                break;
            }
            _ => {}
        }
    }
    let split = split?;
    let (head, value) = (&line[..split], &line[split + 1..]);
    let mut parts = head.split(';');
    let name = parts.next()?.trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('"').to_owned(),
            ))
        })
        .collect();
    Some(Property {
        name,
        params,
        value: value.to_owned(),
    })
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Lines with their folds undone (a line beginning with a space or tab continues the last),
/// each with the number of the physical line it began on.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.1.push_str(rest);
            continue;
        }
        if !raw.is_empty() {
            out.push((i + 1, raw.to_owned()));
        }
    }
    out
}

fn ics_time(p: &Property, default_zone: Zone) -> Result<Scheduled, String> {
    let v = p.value.trim();
    let date_only = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || (v.len() == 8 && !v.contains('T'));
    if date_only {
        let d = NaiveDate::parse_from_str(v, "%Y%m%d")
            .map_err(|_| format!("DTSTART {v:?} is not a date"))?;
        return Ok(Scheduled::day(d, Timing::AllDay));
    }
    let (stamp, utc) = match v.strip_suffix(['Z', 'z']) {
        Some(s) => (s, true),
        None => (v, false),
    };
    let local = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("DTSTART {v:?} is not a date and time"))?;
    if utc {
        return Ok(Scheduled::exact(local.and_utc()));
    }
    let zone = match p.param("TZID") {
        Some(id) => Zone::parse(id.trim_start_matches('/'))
            .ok_or_else(|| format!("the time zone {id:?} is not known (use an IANA name)"))?,
        None => default_zone,
    };
    Ok(Scheduled::exact(zone.resolve(local)?))
}

/// "Label: value" lines of a description ("Actual: 3.1%", "Forecast: 3.0%").
fn described(description: &str, label: &[&str]) -> Option<String> {
    description.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        label
            .iter()
            .any(|l| key(k) == *l)
            .then(|| v.trim().to_owned())
    })
}

/// Reads an iCalendar file: each VEVENT is one release. Events that repeat by rule are
/// refused (a release calendar lists each release); unknown properties are ignored.
pub fn parse_ics(bytes: &[u8], m: &CalendarMapping) -> Result<ParsedCalendar, CalendarFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(CalendarFileError::TooLarge);
    }
    let text = String::from_utf8_lossy(bytes);
    let lines = unfold(text.trim_start_matches('\u{feff}'));
    if !lines
        .first()
        .is_some_and(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(CalendarFileError::NotIcs);
    }
    let mut default_zone = match &m.timezone {
        Some(z) => Zone::parse(z).ok_or_else(|| CalendarFileError::Zone(z.clone()))?,
        None => Zone::Fixed(FixedOffset::east_opt(0).ok_or(CalendarFileError::NotIcs)?),
    };
    let mut out = ParsedCalendar::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut event: Option<(usize, Vec<Property>)> = None;
    let mut depth_inside_event = 0usize;
    for (line_no, line) in lines {
        let Some(p) = parse_content_line(&line) else {
            if let Some((start, _)) = &event {
                out.rejected
                    .push((*start, format!("line {line_no} is not a content line")));
                event = None;
            }
            continue;
        };
        match (
            p.name.as_str(),
            p.value.trim().to_ascii_uppercase().as_str(),
        ) {
            ("BEGIN", "VEVENT") if event.is_none() => {
                event = Some((line_no, Vec::new()));
                depth_inside_event = 0;
            }
            ("BEGIN", _) if event.is_some() => depth_inside_event += 1,
            ("END", "VEVENT") if depth_inside_event == 0 => {
                if let Some((start, props)) = event.take() {
                    if out.rows.len() + out.rejected.len() >= MAX_ROWS {
                        out.rejected.push((
                            start,
                            format!("over {MAX_ROWS} events; the rest is not read"),
                        ));
                        break;
                    }
                    match ics_event(&props, default_zone) {
                        Ok(row) => {
                            let id = row.external_id.clone().unwrap_or_else(|| {
                                format!("{}@{}", row.indicator.slug, row.scheduled.date())
                            });
                            if let Some(first) = seen.get(&id) {
                                out.rejected.push((
                                    start,
                                    format!("the same release (UID) as the event on line {first}; that one is kept"),
                                ));
                            } else {
                                seen.insert(id, start);
                                out.rows.push((start, row));
                            }
                        }
                        Err(reason) => out.rejected.push((start, reason)),
                    }
                }
            }
            ("END", _) if event.is_some() => {
                depth_inside_event = depth_inside_event.saturating_sub(1)
            }
            ("X-WR-TIMEZONE", _) if event.is_none() && m.timezone.is_none() => {
                if let Some(z) = Zone::parse(p.value.trim()) {
                    default_zone = z;
                }
            }
            _ => {
                if let Some((_, props)) = &mut event
                    && depth_inside_event == 0
                {
                    props.push(p);
                }
            }
        }
    }
    if let Some((start, _)) = event {
        out.rejected
            .push((start, "the event has no END:VEVENT".into()));
    }
    Ok(out)
}

fn ics_event(props: &[Property], default_zone: Zone) -> Result<CalendarRow, String> {
    let get = |name: &str| props.iter().find(|p| p.name == name);
    let text = |name: &str| get(name).map(|p| unescape(&p.value).trim().to_owned());
    if get("RRULE").is_some() || get("RDATE").is_some() {
        return Err("the event repeats by a rule (RRULE/RDATE); a release calendar lists each release as an event of its own".into());
    }
    let dtstart = get("DTSTART").ok_or("the event has no DTSTART")?;
    let mut scheduled = ics_time(dtstart, default_zone)?;
    let status = text("STATUS").unwrap_or_default();
    if scheduled.timing == Timing::AllDay && status.eq_ignore_ascii_case("TENTATIVE") {
        scheduled.timing = Timing::Tentative;
    }
    let summary = text("SUMMARY").unwrap_or_default();
    let description = text("DESCRIPTION").unwrap_or_default();
    if summary
        .chars()
        .chain(description.chars())
        .any(|c| c.is_control() && c != '\n')
    {
        return Err("the summary or description has control characters".into());
    }
    // Our own feeds name each part; other calendars write "Country: Title (Period)".
    let mut title = text("X-BROADSHEET-TITLE").unwrap_or_default();
    let mut country = text("X-BROADSHEET-COUNTRY")
        .or_else(|| text("LOCATION"))
        .unwrap_or_default();
    let mut period = text("X-BROADSHEET-PERIOD").unwrap_or_default();
    if title.is_empty() {
        let mut s = summary.as_str();
        if period.is_empty()
            && let Some(open) = s.rfind(" (")
            && s.ends_with(')')
        {
            period = s[open + 2..s.len() - 1].to_owned();
            s = &s[..open];
        }
        match s.split_once(": ") {
            Some((c, t)) if country.is_empty() || c == country => {
                country = c.trim().to_owned();
                title = t.trim().to_owned();
            }
            _ => title = s.trim().to_owned(),
        }
    }
    if country.is_empty() {
        return Err("the event names no country (LOCATION or \"Country: Title\")".into());
    }
    if title.is_empty() {
        return Err("the event has no SUMMARY".into());
    }
    let importance = match text("X-BROADSHEET-IMPORTANCE") {
        Some(s) => Some(s.parse::<Importance>().map_err(|e| e.reason)?),
        None => match text("PRIORITY").and_then(|p| p.parse::<u8>().ok()) {
            Some(1..=4) => Some(Importance::High),
            Some(5) => Some(Importance::Medium),
            Some(6..=9) => Some(Importance::Low),
            _ => None,
        },
    };
    let mut values = EventValues::default();
    let mut decimals = None;
    let mut scale = text("X-BROADSHEET-SCALE")
        .map(|s| s.parse::<Scale>().map_err(|e| e.reason))
        .transpose()?;
    for (slot, prop, labels) in [
        (&mut values.actual, "X-BROADSHEET-ACTUAL", &["actual"][..]),
        (
            &mut values.consensus,
            "X-BROADSHEET-CONSENSUS",
            &["consensus", "forecast"][..],
        ),
        (
            &mut values.previous,
            "X-BROADSHEET-PREVIOUS",
            &["previous", "prior"][..],
        ),
        (
            &mut values.revised_previous,
            "X-BROADSHEET-REVISED",
            &["revised", "revisedprevious"][..],
        ),
    ] {
        if let Some(cell) = text(prop).or_else(|| described(&description, labels)) {
            let (v, letter) = figure(&cell, false).map_err(|e| format!("{}: {e}", labels[0]))?;
            if v.is_some() {
                decimals = decimals.max(written_decimals(&cell, false));
                scale = scale.or(letter);
            }
            *slot = v;
        }
    }
    let unit = text("X-BROADSHEET-UNIT").or_else(|| {
        described(
            &description,
            &["actual", "forecast", "consensus", "previous"],
        )
        .filter(|v| v.ends_with('%'))
        .map(|_| "%".to_owned())
    });
    let category = text("CATEGORIES")
        .map(|c| c.split(',').next().unwrap_or("").trim().to_owned())
        .filter(|c| !c.is_empty());
    let uid = text("UID").filter(|u| !u.is_empty());
    let slug = indicator_slug(text("X-BROADSHEET-INDICATOR").as_deref(), &country, &title)?;
    Ok(CalendarRow {
        indicator: IndicatorSpec {
            slug,
            country,
            title,
            category,
            importance,
            unit,
            scale,
            decimals,
        },
        external_id: uid,
        period,
        scheduled,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(s: &str) -> chrono::DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test value")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_plain_csv() {
        let csv = "Date,Time,Country,Event,Importance,Period,Actual,Forecast,Previous\n\
                   2026-12-08,13:30,Valdoria,CPI y/y,High,Nov,3.1%,3.0%,3.4%\n\
                   2026-12-09,All Day,Estmark,Bank holiday,low,,,,\n";
        let p = parse_csv(csv.as_bytes(), &CalendarMapping::default()).expect("test value");
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let (line, row) = &p.rows[0];
        assert_eq!(*line, 2);
        assert_eq!(row.indicator.slug.as_str(), "valdoria-cpi-y-y");
        assert_eq!(row.indicator.unit.as_deref(), Some("%"));
        assert_eq!(row.indicator.decimals, Some(1));
        assert_eq!(row.indicator.importance, Some(Importance::High));
        assert_eq!(row.scheduled, Scheduled::exact(at("2026-12-08T13:30:00Z")));
        assert_eq!(row.values.actual, Some(3.1));
        assert_eq!(row.values.consensus, Some(3.0));
        assert_eq!(p.rows[1].1.scheduled.timing, Timing::AllDay);
    }

    #[test]
    fn semicolons_decimal_commas_and_european_dates() {
        let csv = "Datum;Zeit;Land;Ereignis;Ist;Prognose;Vorher\n08.12.2026;08:00;Estmark;BIP q/q;0,3;0,2;-0,1\n";
        let m = CalendarMapping {
            date: Some("Datum".into()),
            time: Some("Zeit".into()),
            country: Some("Land".into()),
            title: Some("Ereignis".into()),
            actual: Some("Ist".into()),
            consensus: Some("Prognose".into()),
            previous: Some("Vorher".into()),
            timezone: Some("Europe/Berlin".into()),
            ..Default::default()
        };
        let p = parse_csv(csv.as_bytes(), &m).expect("test value");
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let row = &p.rows[0].1;
        assert_eq!(row.values.actual, Some(0.3));
        assert_eq!(row.values.previous, Some(-0.1));
        assert_eq!(row.scheduled, Scheduled::exact(at("2026-12-08T07:00:00Z")));
    }

    #[test]
    fn us_dates_units_signs_and_missing_values() {
        let csv = "Date,Time,Country,Event,Actual,Forecast,Previous\n\
                   12/04/2026,8:30am,United States,Nonfarm payrolls,215K,—,n/a\n\
                   12/04/2026,10:00 AM,United States,Trade balance,-1.2B,,-0.9B\n";
        let m = CalendarMapping {
            timezone: Some("America/New_York".into()),
            ..Default::default()
        };
        let p = parse_csv(csv.as_bytes(), &m).expect("test value");
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let payrolls = &p.rows[0].1;
        assert_eq!(
            payrolls.scheduled,
            Scheduled::exact(at("2026-12-04T13:30:00Z"))
        );
        assert_eq!(
            payrolls.values.actual,
            Some(215.0),
            "as written, in thousands"
        );
        assert_eq!(payrolls.values.consensus, None);
        assert_eq!(payrolls.values.previous, None);
        assert_eq!(payrolls.indicator.scale, Some(Scale::Thousands));
        assert_eq!(p.rows[1].1.values.actual, Some(-1.2));
        assert_eq!(p.rows[1].1.indicator.scale, Some(Scale::Billions));
    }

    #[test]
    fn times_across_a_clock_change() {
        // New York: clocks went forward at 02:00 on 8 March 2026 and back at 02:00 on 1 Nov.
        let csv = "Date,Time,Country,Event\n\
                   2026-03-06,08:30,United States,Before\n\
                   2026-03-09,08:30,United States,After\n\
                   2026-03-08,02:30,United States,Skipped\n\
                   2026-11-01,01:30,United States,Twice\n";
        let m = CalendarMapping {
            timezone: Some("America/New_York".into()),
            ..Default::default()
        };
        let p = parse_csv(csv.as_bytes(), &m).expect("test value");
        let when = |title: &str| {
            p.rows
                .iter()
                .find(|(_, r)| r.indicator.title == title)
                .map(|(_, r)| r.scheduled.at)
        };
        assert_eq!(when("Before"), Some(at("2026-03-06T13:30:00Z")));
        assert_eq!(when("After"), Some(at("2026-03-09T12:30:00Z")));
        assert_eq!(
            when("Twice"),
            Some(at("2026-11-01T05:30:00Z")),
            "the first 01:30"
        );
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].0, 4);
        assert!(
            p.rejected[0].1.contains("does not exist"),
            "{}",
            p.rejected[0].1
        );
    }

    #[test]
    fn bad_rows_get_reasons_and_repeats_are_told_apart() {
        let csv = "Date,Time,Country,Event,Actual\n\
                   2026-12-08,13:30,Valdoria,CPI,3.1\n\
                   2026-12-08,13:30,Valdoria,CPI,3.1\n\
                   2026-12-08,13:30,Valdoria,CPI,3.3\n\
                   31/31/2026,13:30,Valdoria,GDP,1\n\
                   2026-12-08,25:00,Valdoria,GDP,1\n\
                   2026-12-08,13:30,,GDP,1\n\
                   2026-12-08,13:30,Valdoria,GDP,lots\n\
                   2026-12-08,13:30,Valdoria,Ctrl\u{7},1\n";
        let p = parse_csv(csv.as_bytes(), &CalendarMapping::default()).expect("test value");
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.repeated, vec![(3, 2)]);
        let lines: Vec<usize> = p.rejected.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![4, 5, 6, 7, 8, 9], "{:?}", p.rejected);
        assert!(p.rejected[0].1.contains("line 2"));
        assert!(p.rejected[1].1.contains("not a date"));
        assert!(p.rejected[2].1.contains("not a time"));
        assert!(p.rejected[3].1.contains("no country"));
        assert!(p.rejected[4].1.contains("not a number"));
        assert!(p.rejected[5].1.contains("control"));
    }

    #[test]
    fn a_missing_column_or_zone_is_said_once() {
        let e = parse_csv(b"When,What\n2026-12-08,x\n", &CalendarMapping::default())
            .expect_err("an error");
        assert!(e.to_string().contains("no date column"), "{e}");
        let m = CalendarMapping {
            timezone: Some("Mars/Olympus".into()),
            ..Default::default()
        };
        assert!(matches!(
            parse_csv(b"Date,Country,Event\n", &m),
            Err(CalendarFileError::Zone(_))
        ));
        assert!(matches!(
            parse_csv(b"", &CalendarMapping::default()),
            Err(CalendarFileError::NoHeader | CalendarFileError::Missing(..))
        ));
    }

    #[test]
    fn an_ics_with_folds_zones_rules_and_unknown_properties() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Vendor//EN\r\nX-UNKNOWN:whatever\r\n\
BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:cpi-2026-11@vendor\r\nDTSTART;TZID=Europe/Berlin:20261208T080000\r\n\
SUMMARY:Estmark: CPI y/y (Nov)\r\nDESCRIPTION:Actual: 3.9%\\nForecast: 3.4%\\nPrevious: 3\r\n .5%\r\n\
PRIORITY:1\r\nX-FOO;BAR=\"a:b\":baz\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDTSTART:20000101T000000Z\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly@vendor\r\nDTSTART:20261208T133000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Valdoria: Jobless claims\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:holiday@vendor\r\nDTSTART;VALUE=DATE:20261225\r\nSTATUS:TENTATIVE\r\nLOCATION:Valdoria\r\nSUMMARY:Budget statement\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:nowhere@vendor\r\nDTSTART;TZID=Atlantis/Capital:20261208T080000\r\nSUMMARY:Valdoria: X\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
        let p = parse_ics(ics.as_bytes(), &CalendarMapping::default()).expect("test value");
        assert_eq!(p.rows.len(), 2, "{:?}", p.rejected);
        let cpi = &p.rows[0].1;
        assert_eq!(cpi.indicator.country, "Estmark");
        assert_eq!(cpi.indicator.title, "CPI y/y");
        assert_eq!(cpi.period, "Nov");
        assert_eq!(cpi.external_id.as_deref(), Some("cpi-2026-11@vendor"));
        assert_eq!(cpi.scheduled, Scheduled::exact(at("2026-12-08T07:00:00Z")));
        assert_eq!(cpi.values.actual, Some(3.9));
        assert_eq!(cpi.values.previous, Some(3.5), "a folded line");
        assert_eq!(cpi.indicator.importance, Some(Importance::High));
        let budget = &p.rows[1].1;
        assert_eq!(budget.scheduled.timing, Timing::Tentative);
        assert_eq!(budget.indicator.country, "Valdoria");
        assert_eq!(p.rejected.len(), 2);
        assert!(p.rejected[0].1.contains("RRULE"));
        assert!(p.rejected[1].1.contains("Atlantis/Capital"));
        assert!(matches!(
            parse_ics(b"hello", &CalendarMapping::default()),
            Err(CalendarFileError::NotIcs)
        ));
    }
}
