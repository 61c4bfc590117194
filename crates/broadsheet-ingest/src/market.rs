//! Market-data CSV files as publishers ship them: one series per file (`Date,Price`; OHLCV,
//! newest first or oldest first), long files with an instrument column (`Date,Country,Rate`),
//! and wide files with one column per instrument. A `CsvMapping` names the columns; sensible
//! defaults cover the common layouts. Empty cells (holidays) are skipped, bad rows rejected
//! with their line and reason, and the rest kept.

use std::collections::BTreeMap;

use broadsheet_core::Bar;
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One instrument per file.
    #[default]
    Single,
    /// A column names the instrument of each row.
    Long,
    /// Every column after the date is an instrument.
    Wide,
}

/// Which columns hold what (header names, matched without regard to case or spaces).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvMapping {
    pub layout: Layout,
    /// Default: the first column.
    pub date: Option<String>,
    /// Default: a column named close, price or value; else the last column (long layout) or
    /// the second (single layout).
    pub close: Option<String>,
    pub open: Option<String>,
    pub high: Option<String>,
    pub low: Option<String>,
    pub volume: Option<String>,
    /// Long layout: the column naming the instrument (default: the second column).
    pub symbol_column: Option<String>,
    /// Treat zero as "no value" (some files fill months not yet published with 0.0).
    pub skip_zero: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty or has no header row")]
    NoHeader,
    #[error("no column {name:?} (the header has: {header})")]
    NoColumn { name: String, header: String },
    #[error("the {0} layout needs at least two columns")]
    TooFewColumns(&'static str),
}

/// The series found in a file, keyed by instrument name ("" for a single-series file), each
/// bar with the line it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedCsv {
    pub series: BTreeMap<String, Vec<(usize, Bar)>>,
    pub rejected: Vec<(usize, String)>,
    /// Cells with no value (holidays, gaps), skipped without complaint.
    pub empty: usize,
    pub rows: usize,
}

impl ParsedCsv {
    pub fn bars(&self) -> usize {
        self.series.values().map(Vec::len).sum()
    }
}

fn norm(s: &str) -> String {
    s.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()
}

/// `2026-11-30`, `2026-11` (the first of the month) or `2026` (1 January).
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if let Some((y, m)) = s.split_once('-')
        && y.len() == 4
        && (1..=2).contains(&m.len())
    {
        return NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1);
    }
    if s.len() == 4 {
        return NaiveDate::from_ymd_opt(s.parse().ok()?, 1, 1);
    }
    None
}

/// A number, `None` for an empty cell (or the placeholders ".", "NA", "null"), or an error.
fn number(cell: &str, skip_zero: bool) -> Result<Option<f64>, String> {
    let t = cell.trim();
    if t.is_empty() || t == "." || t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    match t.replace(',', "").parse::<f64>() {
        Ok(v) if !v.is_finite() => Err(format!("{t:?} is not a finite number")),
        Ok(v) if skip_zero && v == 0.0 => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(format!("{t:?} is not a number")),
    }
}

pub fn parse_csv(bytes: &[u8], m: &CsvMapping) -> Result<ParsedCsv, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|_| CsvError::NoHeader)?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_owned()
        })
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(CsvError::NoHeader);
    }
    let find = |name: &str| -> Result<usize, CsvError> {
        header
            .iter()
            .position(|h| norm(h) == norm(name))
            .ok_or_else(|| CsvError::NoColumn {
                name: name.to_owned(),
                header: header.join(", "),
            })
    };
    let named = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| header.iter().position(|h| norm(h) == *n))
    };
    let optional = |given: &Option<String>, auto: &[&str]| -> Result<Option<usize>, CsvError> {
        match given {
            Some(name) => find(name).map(Some),
            None => Ok(named(auto)),
        }
    };
    let date = match &m.date {
        Some(name) => find(name)?,
        None => 0,
    };

    // (series key or None for per-column keys, value column) pairs, decided once.
    enum Plan {
        Single {
            close: usize,
            open: Option<usize>,
            high: Option<usize>,
            low: Option<usize>,
            volume: Option<usize>,
        },
        Long {
            key: usize,
            close: usize,
        },
        Wide {
            columns: Vec<usize>,
        },
    }
    let plan = match m.layout {
        Layout::Single => {
            let close = match &m.close {
                Some(name) => find(name)?,
                None => named(&["close", "price", "value"])
                    .or((header.len() > 1).then_some(1))
                    .ok_or(CsvError::TooFewColumns("single"))?,
            };
            Plan::Single {
                close,
                open: optional(&m.open, &["open"])?,
                high: optional(&m.high, &["high"])?,
                low: optional(&m.low, &["low"])?,
                volume: optional(&m.volume, &["volume"])?,
            }
        }
        Layout::Long => {
            if header.len() < 3 && (m.symbol_column.is_none() || m.close.is_none()) {
                return Err(CsvError::TooFewColumns("long"));
            }
            let key = match &m.symbol_column {
                Some(name) => find(name)?,
                None => 1,
            };
            let close = match &m.close {
                Some(name) => find(name)?,
                None => named(&["close", "price", "value"]).unwrap_or(header.len() - 1),
            };
            Plan::Long { key, close }
        }
        Layout::Wide => {
            if header.len() < 2 {
                return Err(CsvError::TooFewColumns("wide"));
            }
            Plan::Wide {
                columns: (0..header.len()).filter(|&i| i != date).collect(),
            }
        }
    };

    let mut out = ParsedCsv::default();
    let mut first_seen: BTreeMap<(String, NaiveDate), usize> = BTreeMap::new();
    let mut record = csv::ByteRecord::new();
    // Line numbers counted from byte offsets: the csv crate's own count is off by one after
    // CRLF line ends, and operators need the line their editor shows.
    let mut counted = (0usize, 1usize);
    let mut line_at = |offset: usize| {
        let (from, line) = counted;
        let mut offset = offset.min(bytes.len()).max(from);
        // A record's start may sit on the line end before it (after a "\r", or blank lines).
        while offset < bytes.len() && matches!(bytes[offset], b'\n' | b'\r') {
            offset += 1;
        }
        let line = line + bytes[from..offset].iter().filter(|&&b| b == b'\n').count();
        counted = (offset, line);
        line
    };
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                out.rejected
                    .push((line_at(start), format!("unreadable row: {e}")));
                continue;
            }
        }
        let line = line_at(record.position().map_or(start, |p| p.byte() as usize));
        if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        out.rows += 1;
        let Some(cells) = record
            .iter()
            .map(|c| std::str::from_utf8(c).ok())
            .collect::<Option<Vec<&str>>>()
        else {
            out.rejected.push((line, "not valid UTF-8".into()));
            continue;
        };
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        let Some(day) = parse_day(cell(date)) else {
            out.rejected.push((
                line,
                format!("{}: {:?} is not a date", header[date], cell(date)),
            ));
            continue;
        };
        let mut entries: Vec<(String, Bar)> = Vec::new();
        let value = |i: usize| {
            number(cell(i), m.skip_zero)
                .map_err(|e| format!("{}: {e}", header.get(i).map_or("?", |h| h.as_str())))
        };
        let built: Result<(), String> = (|| {
            match &plan {
                Plan::Single {
                    close,
                    open,
                    high,
                    low,
                    volume,
                } => {
                    let Some(c) = value(*close)? else {
                        return Ok(());
                    };
                    let opt = |i: &Option<usize>| i.map(value).transpose().map(Option::flatten);
                    entries.push((
                        String::new(),
                        Bar {
                            date: day,
                            open: opt(open)?,
                            high: opt(high)?,
                            low: opt(low)?,
                            close: c,
                            volume: opt(volume)?,
                        },
                    ));
                }
                Plan::Long { key, close } => {
                    let name = cell(*key).trim();
                    if name.is_empty() {
                        return Err(format!("{}: empty", header[*key]));
                    }
                    if let Some(c) = value(*close)? {
                        entries.push((
                            name.to_owned(),
                            Bar {
                                date: day,
                                open: None,
                                high: None,
                                low: None,
                                close: c,
                                volume: None,
                            },
                        ));
                    }
                }
                Plan::Wide { columns } => {
                    for &i in columns {
                        if let Some(c) = value(i)? {
                            entries.push((
                                header[i].clone(),
                                Bar {
                                    date: day,
                                    open: None,
                                    high: None,
                                    low: None,
                                    close: c,
                                    volume: None,
                                },
                            ));
                        }
                    }
                }
            }
            Ok(())
        })();
        if let Err(reason) = built {
            out.rejected.push((line, reason));
            continue;
        }
        let expected = match &plan {
            Plan::Wide { columns } => columns.len(),
            _ => 1,
        };
        out.empty += expected - entries.len();
        for (key, bar) in entries {
            match first_seen.get(&(key.clone(), day)) {
                Some(first) => {
                    let what = if key.is_empty() {
                        String::new()
                    } else {
                        format!(" for {key}")
                    };
                    out.rejected.push((
                        line,
                        format!("duplicate date {day}{what} (first on line {first})"),
                    ));
                }
                None => {
                    first_seen.insert((key.clone(), day), line);
                    out.series.entry(key).or_default().push((line, bar));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, m: CsvMapping) -> ParsedCsv {
        parse_csv(text.as_bytes(), &m).expect("parses")
    }

    #[test]
    fn single_series_with_gaps_and_bad_rows() {
        let p = parse(
            "observation_date,SP500\n2016-02-12,1864.78\n2016-02-15,\n2016-02-16,abc\n2016-02-17,1926.82\nnot-a-date,5\n2016-02-17,1\n",
            CsvMapping::default(),
        );
        let bars = &p.series[""];
        assert_eq!(
            bars.iter().map(|(l, b)| (*l, b.close)).collect::<Vec<_>>(),
            [(2, 1864.78), (5, 1926.82)]
        );
        assert_eq!(p.empty, 1);
        assert_eq!(
            p.rejected,
            [
                (4, "SP500: \"abc\" is not a number".to_owned()),
                (
                    6,
                    "observation_date: \"not-a-date\" is not a date".to_owned()
                ),
                (7, "duplicate date 2016-02-17 (first on line 5)".to_owned()),
            ]
        );
        assert_eq!(p.rows, 6);
    }

    #[test]
    fn ohlcv_newest_first_picks_close_not_adj_close() {
        let p = parse(
            "Date,Open,High,Low,Close,Volume,Adj Close\n2015-07-01,126.9,126.94,125.99,126.6,30238800,122.76\n2015-06-30,125.57,126.12,124.86,125.43,44370700,121.62\n",
            CsvMapping::default(),
        );
        let (_, b) = p.series[""][0];
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (
                Some(126.9),
                Some(126.94),
                Some(125.99),
                126.6,
                Some(30238800.0)
            )
        );
    }

    #[test]
    fn long_and_wide_layouts_split_into_series() {
        let long = parse(
            "Date,Country,Exchange rate\n1971-01-01,Australia,0.8944\n1971-01-01,Japan,357.7\n1971-02-01,Australia,\n",
            CsvMapping {
                layout: Layout::Long,
                ..Default::default()
            },
        );
        assert_eq!(
            long.series.keys().collect::<Vec<_>>(),
            ["Australia", "Japan"]
        );
        assert_eq!(long.empty, 1);
        let wide = parse(
            "Data,Australia,Austria,Japan\n1971-01-04,0.8987,,357.73\n1971-01-05,0.8983,,357.81\n",
            CsvMapping {
                layout: Layout::Wide,
                ..Default::default()
            },
        );
        assert_eq!(
            wide.series.keys().collect::<Vec<_>>(),
            ["Australia", "Japan"]
        );
        assert_eq!(wide.series["Japan"].len(), 2);
        assert_eq!(wide.empty, 2);
    }

    #[test]
    fn month_and_year_dates_and_zero_placeholders() {
        let p = parse(
            "Date,Price\n1833-01,18.93\n1834,18.93\n",
            CsvMapping::default(),
        );
        let days: Vec<String> = p.series[""]
            .iter()
            .map(|(_, b)| b.date.to_string())
            .collect();
        assert_eq!(days, ["1833-01-01", "1834-01-01"]);
        let z = parse(
            "Date,SP500,PE10\n2026-05-01,7412.55,0.0\n",
            CsvMapping {
                close: Some("pe10".into()),
                skip_zero: true,
                ..Default::default()
            },
        );
        assert_eq!((z.bars(), z.empty), (0, 1));
    }

    #[test]
    fn header_problems_are_errors_that_name_the_column() {
        assert_eq!(
            parse_csv(b"", &CsvMapping::default()),
            Err(CsvError::NoHeader)
        );
        let e = parse_csv(
            b"Date,Price\n",
            &CsvMapping {
                close: Some("Close".into()),
                ..Default::default()
            },
        )
        .expect_err("no column");
        assert_eq!(
            e.to_string(),
            "no column \"Close\" (the header has: Date, Price)"
        );
        assert_eq!(
            parse_csv(b"Date\n2020-01-01\n", &CsvMapping::default()),
            Err(CsvError::TooFewColumns("single"))
        );
    }

    #[test]
    fn line_numbers_match_the_file_with_crlf_line_ends() {
        let p = parse(
            "Date,Price\r\n2020-01-01,1\r\n2020-01-02,x\r\n\r\n2020-01-03,y\r\n",
            CsvMapping::default(),
        );
        assert_eq!(p.rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(p.series[""][0].0, 2);
    }

    #[test]
    fn invalid_utf8_and_ragged_rows_are_rejected_not_fatal() {
        let p = parse_csv(
            b"Date,Price\n2020-01-01,1\n2020-01-02,\xff\n2020-01-03\n2020-01-04,4,extra\n",
            &CsvMapping::default(),
        )
        .expect("parses");
        assert_eq!(p.bars(), 2);
        assert_eq!(p.rejected, [(3, "not valid UTF-8".to_owned())]);
        assert_eq!(p.empty, 1);
    }
}

/// Rejected items or rows: (item number or line, reason).
pub type Rejections = Vec<(usize, String)>;

/// Where the quotes sit in a JSON document and what their fields are called.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JsonMapping {
    /// JSON pointer to the array of quotes ("" for a top-level array, "/data/prices", …).
    pub pointer: String,
    pub date: String,
    pub close: String,
    pub open: Option<String>,
    pub high: Option<String>,
    pub low: Option<String>,
    pub volume: Option<String>,
}

impl Default for JsonMapping {
    fn default() -> Self {
        Self {
            pointer: String::new(),
            date: "date".into(),
            close: "close".into(),
            open: None,
            high: None,
            low: None,
            volume: None,
        }
    }
}

/// Bars from a JSON document (a vendor's API answer). Items are numbered from 1 in rejections.
pub fn parse_json(bytes: &[u8], m: &JsonMapping) -> Result<(Vec<Bar>, Rejections), String> {
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let items = doc
        .pointer(&m.pointer)
        .and_then(|v| v.as_array())
        .ok_or_else(|| format!("no array at {:?}", m.pointer))?;
    let mut bars = Vec::new();
    let mut rejected = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let num = |field: &str| -> Result<Option<f64>, String> {
            match item.get(field) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::Number(n)) => Ok(n.as_f64()),
                Some(serde_json::Value::String(s)) => {
                    number(s, false).map_err(|e| format!("{field}: {e}"))
                }
                Some(_) => Err(format!("{field}: not a number")),
            }
        };
        let opt =
            |field: &Option<String>| field.as_deref().map(num).transpose().map(Option::flatten);
        let parsed = (|| {
            let date = item
                .get(&m.date)
                .and_then(|d| d.as_str())
                .and_then(|d| parse_day(d.get(..10).unwrap_or(d)))
                .ok_or_else(|| format!("{}: missing or not a date", m.date))?;
            let close = num(&m.close)?.ok_or_else(|| format!("{}: missing", m.close))?;
            Ok::<_, String>(Bar {
                date,
                open: opt(&m.open)?,
                high: opt(&m.high)?,
                low: opt(&m.low)?,
                close,
                volume: opt(&m.volume)?,
            })
        })();
        match parsed {
            Ok(bar) => bars.push(bar),
            Err(e) => rejected.push((i + 1, e)),
        }
    }
    Ok((bars, rejected))
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn vendor_json_in_its_own_shape() {
        let m = JsonMapping {
            pointer: "/data".into(),
            date: "t".into(),
            close: "px".into(),
            high: Some("hi".into()),
            ..Default::default()
        };
        let (bars, rejected) = parse_json(
            br#"{"data": [{"t": "2026-11-27T16:00:00Z", "px": 73.6, "hi": "74.1"}, {"t": "2026-11-30", "px": "x"}, {"px": 1}]}"#,
            &m,
        )
        .expect("parses");
        assert_eq!(bars.len(), 1);
        assert_eq!(
            (bars[0].date.to_string(), bars[0].close, bars[0].high),
            ("2026-11-27".to_owned(), 73.6, Some(74.1))
        );
        assert_eq!(
            rejected,
            [
                (2, "px: \"x\" is not a number".to_owned()),
                (3, "t: missing or not a date".to_owned())
            ]
        );
        assert!(parse_json(b"<html>", &m).is_err());
        assert_eq!(
            parse_json(br#"{"data": 5}"#, &m).err(),
            Some("no array at \"/data\"".to_owned())
        );
    }
}
