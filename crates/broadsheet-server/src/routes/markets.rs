//! `/markets` (grouped tables with sparklines), `/markets/{symbol}` (chart with ranges, day and
//! 52-week ranges, recent closes) and `/markets/{symbol}/data.csv` (the full history).

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::{FromRequestParts, Path, State};
use axum::response::{IntoResponse, Response};
use broadsheet_core::{Bar, Instrument, Symbol};
use broadsheet_render::charts;
use broadsheet_store::{KEY_ALL, KEY_MARKET};
use chrono::Duration;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;

use crate::error::AppError;
use crate::market::{Quote, format_number, quote};
use crate::state::{AppState, Rendered};
use crate::views;

/// A `{symbol}` path segment; anything that is not a symbol names nothing: 404.
pub(crate) struct SymbolParam(pub Symbol);

impl<S: Send + Sync> FromRequestParts<S> for SymbolParam {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        Symbol::parse(&raw)
            .map(Self)
            .map_err(|_| AppError::NotFound)
    }
}

#[derive(Serialize)]
struct Row {
    quote: Quote,
    sparkline: String,
}

#[derive(Serialize)]
struct Group {
    name: String,
    rows: Vec<Row>,
}

pub(crate) async fn markets(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    state
        .cached("/markets".into(), &headers, async {
            let mut groups: BTreeMap<(i32, String), Vec<Row>> = BTreeMap::new();
            for i in state.store.instruments().await? {
                let bars = state.store.latest_bars(i.id, 60).await?;
                let Some(q) = quote(&i, &bars, state.fresh_since()) else {
                    continue;
                };
                let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
                let first = groups
                    .keys()
                    .find(|k| k.1 == i.group)
                    .map_or(i.position, |k| k.0);
                groups
                    .entry((first, i.group.clone()))
                    .or_default()
                    .push(Row {
                        quote: q,
                        sparkline: charts::sparkline(&closes, 120, 28),
                    });
            }
            let groups: Vec<Group> = groups
                .into_iter()
                .map(|((_, name), rows)| Group { name, rows })
                .collect();
            let sections = state.store.sections().await?;
            let chrome = views::chrome(&state, &sections, "", "/markets").await;
            #[derive(Serialize)]
            struct Page {
                groups: Vec<Group>,
                calendar: Vec<broadsheet_app::calendar::Release>,
            }
            let calendar = super::calendar::today(&state, 12).await;
            let html = views::render(&state, "markets.html", chrome, Page { groups, calendar })?;
            Ok(Rendered {
                html,
                deps: vec![
                    KEY_MARKET.into(),
                    KEY_ALL.into(),
                    broadsheet_store::KEY_CALENDAR.into(),
                ],
                last_modified: None,
            })
        })
        .await
}

const RANGES: &[(&str, Option<i64>)] = &[
    ("1M", Some(31)),
    ("6M", Some(183)),
    ("1Y", Some(366)),
    ("5Y", Some(1827)),
    ("Max", None),
];

#[derive(Serialize)]
struct RangeLink {
    label: &'static str,
    url: String,
    active: bool,
}

#[derive(Serialize)]
struct RecentBar {
    date: String,
    open: String,
    high: String,
    low: String,
    close: String,
}

#[derive(Serialize)]
struct InstrumentPage {
    quote: Quote,
    group: String,
    ranges: Vec<RangeLink>,
    chart: String,
    chart_caption: String,
    day_range: Option<String>,
    year_range: Option<String>,
    recent: Vec<RecentBar>,
    /// The charted closes as a table (sampled to at most 60 rows), for screen readers and
    /// anyone who prefers numbers.
    chart_data: Vec<(String, String)>,
    /// "updated 30 November 2026, 14:05 UTC from push": when and whence the latest value came.
    updated: Option<String>,
    /// The economic releases linked to the instrument: each indicator's latest figure, or its
    /// next release.
    releases: Vec<broadsheet_app::calendar::Release>,
}

fn parse_range(query: Option<&str>) -> Result<usize, AppError> {
    let mut chosen = 2; // 1Y
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if name == "range" {
            chosen = RANGES
                .iter()
                .position(|(label, _)| label.eq_ignore_ascii_case(&value))
                .ok_or_else(|| {
                    AppError::BadRequest("the range is one of 1M, 6M, 1Y, 5Y or Max".into())
                })?;
        }
    }
    Ok(chosen)
}

async fn load(state: &AppState, symbol: &Symbol) -> Result<Instrument, AppError> {
    state
        .store
        .instrument_by_symbol(symbol)
        .await?
        .ok_or(AppError::NotFound)
}

pub(crate) async fn instrument(
    State(state): State<AppState>,
    SymbolParam(symbol): SymbolParam,
    uri: http::Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let range = parse_range(uri.query())?;
    let key = format!("/markets/{symbol}?range={}", RANGES[range].0);
    state
        .cached(key, &headers, async {
            let i = load(&state, &symbol).await?;
            let latest = state.store.latest_bars(i.id, 2).await?;
            let q = quote(&i, &latest, state.fresh_since()).ok_or(AppError::NotFound)?;
            let last_day = q.as_of;
            let from = RANGES[range].1.map(|days| last_day - Duration::days(days));
            let bars = state.store.bars(i.id, from, Some(last_day)).await?;
            let year = state
                .store
                .bars(i.id, Some(last_day - Duration::days(365)), Some(last_day))
                .await?;
            let d = i.decimals;
            let points: Vec<_> = bars.iter().map(|b| (b.date, b.close)).collect();
            let title = format!(
                "{} ({}), daily close, {}",
                i.name, i.symbol, RANGES[range].0
            );
            let desc = match (bars.first(), bars.last()) {
                (Some(a), Some(b)) => format!(
                    "From {} on {} to {} on {}; low {}, high {}.",
                    format_number(a.close, d),
                    a.date,
                    format_number(b.close, d),
                    b.date,
                    format_number(
                        bars.iter().map(|x| x.close).fold(f64::INFINITY, f64::min),
                        d
                    ),
                    format_number(
                        bars.iter()
                            .map(|x| x.close)
                            .fold(f64::NEG_INFINITY, f64::max),
                        d
                    )
                ),
                _ => "No data in this range.".into(),
            };
            let range_of = |bs: &[Bar]| -> Option<String> {
                let lo = bs
                    .iter()
                    .map(|b| b.low.unwrap_or(b.close))
                    .fold(f64::INFINITY, f64::min);
                let hi = bs
                    .iter()
                    .map(|b| b.high.unwrap_or(b.close))
                    .fold(f64::NEG_INFINITY, f64::max);
                (lo <= hi).then(|| format!("{} – {}", format_number(lo, d), format_number(hi, d)))
            };
            let opt = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format_number(v, d));
            let step = points.len().div_ceil(60).max(1);
            let mut chart_data: Vec<(String, String)> = points
                .iter()
                .step_by(step)
                .map(|(day, v)| (day.to_string(), format_number(*v, d)))
                .collect();
            if let Some((day, v)) = points.last()
                && chart_data
                    .last()
                    .is_none_or(|(last, _)| *last != day.to_string())
            {
                chart_data.push((day.to_string(), format_number(*v, d)));
            }
            let updated = state
                .store
                .latest_bar_origin(i.id)
                .await?
                .and_then(|(source, at)| {
                    let at = chrono::DateTime::from_timestamp(at, 0)?;
                    Some(format!(
                        "updated {} from {source}",
                        at.format("%-d %B %Y, %H:%M UTC")
                    ))
                });
            let tz = state.site().tz();
            let mut releases = Vec::new();
            for indicator in state.store.indicators().await? {
                if indicator.instrument.as_ref() == Some(&i.symbol)
                    && let Some(r) =
                        broadsheet_app::calendar::current(&state, &indicator.slug, tz).await?
                {
                    releases.push(r);
                }
            }
            let page = InstrumentPage {
                releases,
                updated,
                chart_data,
                group: i.group.clone(),
                ranges: RANGES
                    .iter()
                    .enumerate()
                    .map(|(n, (label, _))| RangeLink {
                        label,
                        url: format!("/markets/{}?range={label}", i.symbol),
                        active: n == range,
                    })
                    .collect(),
                chart: charts::line_chart(&points, &title, &desc),
                chart_caption: format!("{title}. {desc}"),
                day_range: latest
                    .last()
                    .and_then(|b| range_of(std::slice::from_ref(b)).filter(|_| b.high.is_some())),
                year_range: range_of(&year),
                recent: year
                    .iter()
                    .rev()
                    .take(10)
                    .map(|b| RecentBar {
                        date: b.date.to_string(),
                        open: opt(b.open),
                        high: opt(b.high),
                        low: opt(b.low),
                        close: format_number(b.close, d),
                    })
                    .collect(),
                quote: q,
            };
            let sections = state.store.sections().await?;
            let path = format!("/markets/{}", i.symbol);
            let chrome = views::chrome(&state, &sections, "", &path).await;
            let html = views::render(&state, "instrument.html", chrome, page)?;
            Ok(Rendered {
                html,
                deps: vec![
                    KEY_MARKET.into(),
                    KEY_ALL.into(),
                    broadsheet_store::KEY_CALENDAR.into(),
                ],
                last_modified: None,
            })
        })
        .await
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    SymbolParam(symbol): SymbolParam,
) -> Result<Response, AppError> {
    let i = load(&state, &symbol).await?;
    let bars = state.store.bars(i.id, None, None).await?;
    let mut out = String::with_capacity(bars.len() * 48 + 64);
    out.push_str("date,open,high,low,close,volume\n");
    let cell = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for b in &bars {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{}",
            b.date,
            cell(b.open),
            cell(b.high),
            cell(b.low),
            b.close,
            cell(b.volume)
        );
    }
    let mut response = out.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.csv\"", i.symbol)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}
