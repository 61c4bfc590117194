//! The economic calendar for readers: `/calendar` (a day or a week of releases, grouped by day,
//! filtered by country and importance through plain links, in the site's time zone or the
//! reader's), `/calendar/{indicator}` (history table, actual-against-consensus chart, next
//! release, stories), `/calendar/{indicator}/data.csv`, and the iCalendar feeds
//! `/calendar.ics` and `/calendar/{indicator}.ics`. Every page is cached with the `calendar`
//! key, so an actual entered in the admin shows within a second.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use broadsheet_app::calendar::{self, Agenda, Release};
use broadsheet_core::Slug;
use broadsheet_core::calendar::{Event, Importance, Indicator, country_slug};
use broadsheet_render::charts;
use broadsheet_store::{EventFilter, KEY_ALL, KEY_CALENDAR};
use chrono::{Duration, NaiveDate, Offset, Utc};
use chrono_tz::Tz;
use http::{HeaderMap, HeaderValue, header};
use serde::Serialize;

use crate::error::AppError;
use crate::state::{AppState, Rendered};
use crate::views;

/// Zones offered in the picker besides the site's own and the one in use.
const ZONES: &[&str] = &[
    "UTC",
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Europe/Moscow",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Day,
    Week,
}

/// `?view=day|week&date=YYYY-MM-DD&country=SLUG&importance=low|medium|high&tz=ZONE`. Other
/// parameters are ignored; a bad value is a 400 page that says which.
#[derive(Debug, Clone)]
struct CalendarQuery {
    view: View,
    date: Option<NaiveDate>,
    country: Option<String>,
    importance: Option<Importance>,
    tz: Option<Tz>,
}

impl CalendarQuery {
    fn parse(query: Option<&str>) -> Result<Self, AppError> {
        let mut q = CalendarQuery {
            view: View::Week,
            date: None,
            country: None,
            importance: None,
            tz: None,
        };
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let value = value.trim();
            match &*name {
                "view" => {
                    q.view = match value {
                        "day" => View::Day,
                        "week" | "" => View::Week,
                        _ => return Err(AppError::BadRequest("the view is day or week".into())),
                    }
                }
                "date" if !value.is_empty() => {
                    let d = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
                        AppError::BadRequest("the date is written YYYY-MM-DD".into())
                    })?;
                    if !(1900..=2200).contains(&chrono::Datelike::year(&d)) {
                        return Err(AppError::BadRequest(
                            "the date is between 1900 and 2200".into(),
                        ));
                    }
                    q.date = Some(d);
                }
                "country" if !value.is_empty() => {
                    let slug = Slug::parse(value)
                        .map_err(|_| AppError::BadRequest("no such country".into()))?;
                    q.country = Some(slug.as_str().to_owned());
                }
                "importance" if !value.is_empty() && value != "all" => {
                    q.importance = Some(value.parse::<Importance>().map_err(|_| {
                        AppError::BadRequest("the importance is low, medium or high".into())
                    })?);
                }
                "tz" if !value.is_empty() => {
                    q.tz = Some(value.parse::<Tz>().map_err(|_| {
                        AppError::BadRequest(
                            "the time zone is an IANA name such as Europe/London".into(),
                        )
                    })?);
                }
                _ => {}
            }
        }
        Ok(q)
    }

    /// A link to the calendar with this query changed by `f`.
    fn href(&self, f: impl FnOnce(&mut CalendarQuery)) -> String {
        let mut q = self.clone();
        f(&mut q);
        let mut out = form_urlencoded::Serializer::new(String::new());
        if q.view == View::Day {
            out.append_pair("view", "day");
        }
        if let Some(d) = q.date {
            out.append_pair("date", &d.to_string());
        }
        if let Some(c) = &q.country {
            out.append_pair("country", c);
        }
        if let Some(i) = q.importance {
            out.append_pair("importance", i.as_str());
        }
        if let Some(tz) = q.tz {
            out.append_pair("tz", tz.name());
        }
        let query = out.finish();
        if query.is_empty() {
            "/calendar".into()
        } else {
            format!("/calendar?{query}")
        }
    }
}

#[derive(Serialize)]
struct Link {
    label: String,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct Zone {
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct CalendarPage {
    heading: String,
    days: Vec<calendar::Day>,
    views: Vec<Link>,
    previous: Link,
    next: Link,
    countries: Vec<Link>,
    importances: Vec<Link>,
    zones: Vec<Zone>,
    zone: String,
    offset: String,
    site_zone: String,
    /// The query as hidden fields for the zone form.
    hidden: Vec<(String, String)>,
    ics: String,
}

/// "UTC+01:00" for a zone on a day.
fn offset_label(tz: Tz, day: NaiveDate) -> String {
    let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let secs = noon.with_timezone(&tz).offset().fix().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("UTC{sign}{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    uri: http::Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let q = CalendarQuery::parse(uri.query())?;
    let site_tz = state.site().tz();
    let tz = q.tz.unwrap_or(site_tz);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let key = format!("{}#{today}", q.href(|_| {}));
    state
        .cached(key, &headers, async {
            let countries = calendar::countries(&state).await?;
            if let Some(c) = &q.country
                && !countries.iter().any(|(slug, _)| slug == c)
            {
                return Err(AppError::NotFound);
            }
            let anchor = q.date.unwrap_or(today);
            let (from, days) = match q.view {
                View::Day => (anchor, 1),
                View::Week => (calendar::week_start(anchor), 7),
            };
            let agenda = Agenda {
                from,
                days,
                country: q.country.clone(),
                importance: q.importance,
                tz,
            };
            let found = calendar::agenda(&state, &agenda).await?;
            let last = from + Duration::days(i64::from(days) - 1);
            let heading = match q.view {
                View::Day if from == today => format!("Today, {}", from.format("%A %-d %B %Y")),
                View::Day => from.format("%A %-d %B %Y").to_string(),
                View::Week if from == calendar::week_start(today) => format!(
                    "This week, {} to {}",
                    from.format("%-d %B"),
                    last.format("%-d %B %Y")
                ),
                View::Week => format!(
                    "Week of {} to {}",
                    from.format("%-d %B"),
                    last.format("%-d %B %Y")
                ),
            };
            let step = i64::from(days);
            let page = CalendarPage {
                heading,
                days: found,
                views: vec![
                    Link {
                        label: "Today".into(),
                        href: q.href(|q| {
                            q.view = View::Day;
                            q.date = None;
                        }),
                        current: q.view == View::Day && from == today,
                    },
                    Link {
                        label: "This week".into(),
                        href: q.href(|q| {
                            q.view = View::Week;
                            q.date = None;
                        }),
                        current: q.view == View::Week && from == calendar::week_start(today),
                    },
                ],
                previous: Link {
                    label: if q.view == View::Day {
                        "Previous day"
                    } else {
                        "Previous week"
                    }
                    .into(),
                    href: q.href(|q| q.date = Some(from - Duration::days(step))),
                    current: false,
                },
                next: Link {
                    label: if q.view == View::Day {
                        "Next day"
                    } else {
                        "Next week"
                    }
                    .into(),
                    href: q.href(|q| q.date = Some(from + Duration::days(step))),
                    current: false,
                },
                countries: std::iter::once(Link {
                    label: "All countries".into(),
                    href: q.href(|q| q.country = None),
                    current: q.country.is_none(),
                })
                .chain(countries.iter().map(|(slug, name)| Link {
                    label: name.clone(),
                    href: q.href(|q| q.country = Some(slug.clone())),
                    current: q.country.as_deref() == Some(slug),
                }))
                .collect(),
                importances: [
                    ("All", None),
                    ("Medium and high", Some(Importance::Medium)),
                    ("High only", Some(Importance::High)),
                ]
                .into_iter()
                .map(|(label, i)| Link {
                    label: label.into(),
                    href: q.href(|q| q.importance = i),
                    current: q.importance == i
                        || (i.is_none() && q.importance == Some(Importance::Low)),
                })
                .collect(),
                zones: {
                    let mut names: Vec<&str> = ZONES.to_vec();
                    for extra in [site_tz.name(), tz.name()] {
                        if !names.contains(&extra) {
                            names.push(extra);
                        }
                    }
                    names
                        .into_iter()
                        .map(|n| Zone {
                            name: n.to_owned(),
                            selected: n == tz.name(),
                        })
                        .collect()
                },
                zone: tz.name().to_owned(),
                offset: offset_label(tz, from),
                site_zone: site_tz.name().to_owned(),
                hidden: {
                    let mut h = Vec::new();
                    if q.view == View::Day {
                        h.push(("view".to_owned(), "day".to_owned()));
                    }
                    if let Some(d) = q.date {
                        h.push(("date".to_owned(), d.to_string()));
                    }
                    if let Some(c) = &q.country {
                        h.push(("country".to_owned(), c.clone()));
                    }
                    if let Some(i) = q.importance {
                        h.push(("importance".to_owned(), i.as_str().to_owned()));
                    }
                    h
                },
                ics: feed_href(q.country.as_deref(), q.importance),
            };
            let sections = state.store.sections().await?;
            let chrome = views::chrome(&state, &sections, "", "/calendar").await;
            let html = views::render(&state, "calendar.html", chrome, page)?;
            Ok(Rendered {
                html,
                deps: vec![KEY_CALENDAR.into(), KEY_ALL.into()],
                last_modified: None,
            })
        })
        .await
}

fn feed_href(country: Option<&str>, importance: Option<Importance>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if let Some(c) = country {
        out.append_pair("country", c);
    }
    if let Some(i) = importance {
        out.append_pair("importance", i.as_str());
    }
    let q = out.finish();
    if q.is_empty() {
        "/calendar.ics".into()
    } else {
        format!("/calendar.ics?{q}")
    }
}

#[derive(Serialize)]
struct Story {
    headline: String,
    url: String,
    date: String,
    period: String,
}

#[derive(Serialize)]
struct InstrumentLink {
    name: String,
    url: String,
}

#[derive(Serialize)]
struct IndicatorPage {
    indicator: Indicator,
    importance_label: &'static str,
    importance_symbol: &'static str,
    unit_text: String,
    next: Option<Release>,
    /// Newest first, at most 24.
    history: Vec<Release>,
    chart: String,
    chart_caption: String,
    stories: Vec<Story>,
    instrument: Option<InstrumentLink>,
    zone: String,
    offset: String,
    ics: String,
    csv: String,
}

/// `/calendar/{indicator}`, and `/calendar/{indicator}.ics`.
pub(crate) async fn indicator(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(slug) = raw.strip_suffix(".ics") {
        let slug = Slug::parse(slug).map_err(|_| AppError::NotFound)?;
        return indicator_feed(state, slug, headers).await;
    }
    let slug = Slug::parse(&raw).map_err(|_| AppError::NotFound)?;
    let tz = state.site().tz();
    let key = format!("/calendar/{slug}");
    state
        .cached(key.clone(), &headers, async {
            let h = calendar::history(&state, &slug, tz)
                .await?
                .ok_or(AppError::NotFound)?;
            let i = &h.indicator;
            let shown: Vec<&Release> = h.past.iter().rev().take(24).collect();
            let charted: Vec<&Release> = h.past.iter().rev().take(36).rev().collect();
            let dates: Vec<NaiveDate> = charted
                .iter()
                .filter_map(|r| NaiveDate::parse_from_str(&r.date, "%Y-%m-%d").ok())
                .collect();
            let actual: Vec<Option<f64>> = charted.iter().map(|r| r.values.actual).collect();
            let consensus: Vec<Option<f64>> = charted.iter().map(|r| r.values.consensus).collect();
            let title = format!("{} {}: actual and consensus", i.country, i.title);
            let desc = match (charted.first(), charted.last()) {
                (Some(a), Some(b)) if charted.len() > 1 => format!(
                    "{} releases from {} to {}; the latest actual {}, consensus {}.",
                    charted.len(),
                    a.date,
                    b.date,
                    b.actual.as_deref().unwrap_or("not yet out"),
                    b.consensus.as_deref().unwrap_or("none")
                ),
                _ => "Not enough releases for a chart yet.".into(),
            };
            let chart = if dates.len() == charted.len() && charted.len() > 1 {
                charts::release_chart(&dates, &actual, &consensus, &title, &desc)
            } else {
                String::new()
            };
            // Stories linked to any release, newest first.
            let ids: Vec<i64> = h.events.iter().map(|e| e.id).collect();
            let links = state.store.event_articles(&ids).await?;
            let now = Utc::now();
            let mut stories = Vec::new();
            for (event_id, article_id) in links {
                let Some(a) = state.store.article_by_id(article_id).await? else {
                    continue;
                };
                if !a.is_public(now) {
                    continue;
                }
                let period = h
                    .events
                    .iter()
                    .find(|e| e.id == event_id)
                    .map(|e| e.period.clone())
                    .unwrap_or_default();
                stories.push((
                    a.published_at,
                    Story {
                        headline: a.headline.clone(),
                        url: format!("/article/{}", a.slug),
                        date: a
                            .published_at
                            .map(|t| t.with_timezone(&tz).format("%-d %B %Y").to_string())
                            .unwrap_or_default(),
                        period,
                    },
                ));
            }
            stories.sort_by_key(|s| std::cmp::Reverse(s.0));
            let instrument = match &i.instrument {
                Some(symbol) => {
                    state
                        .store
                        .instrument_by_symbol(symbol)
                        .await?
                        .map(|ins| InstrumentLink {
                            name: ins.name,
                            url: format!("/markets/{}", ins.symbol),
                        })
                }
                None => None,
            };
            let site = state.site().syndication();
            let jsonld = dataset(&site, i, &h.past);
            let page = IndicatorPage {
                importance_label: i.importance.label(),
                importance_symbol: i.importance.symbol(),
                unit_text: unit_text(i),
                next: h.next.clone(),
                history: shown.into_iter().cloned().collect(),
                chart,
                chart_caption: format!("{title}. {desc}"),
                stories: stories.into_iter().map(|s| s.1).collect(),
                instrument,
                zone: tz.name().to_owned(),
                offset: offset_label(tz, Utc::now().date_naive()),
                ics: format!("/calendar/{}.ics", i.slug),
                csv: format!("/calendar/{}/data.csv", i.slug),
                indicator: i.clone(),
            };
            let sections = state.store.sections().await?;
            let mut chrome = views::chrome(&state, &sections, "", &key).await;
            chrome.jsonld = vec![broadsheet_syndication::jsonld::script(&jsonld)];
            let html = views::render(&state, "calendar_indicator.html", chrome, page)?;
            Ok(Rendered {
                html,
                deps: vec![
                    KEY_CALENDAR.into(),
                    KEY_ALL.into(),
                    broadsheet_store::KEY_MARKET.into(),
                ],
                last_modified: None,
            })
        })
        .await
}

/// "Percent", "Thousands", "Billions of EUR": what the figures are in.
fn unit_text(i: &Indicator) -> String {
    let scale = match i.scale {
        broadsheet_core::calendar::Scale::Units => "",
        s => s.as_str(),
    };
    match (scale, i.unit.as_str()) {
        ("", "%") => "Percent".into(),
        ("", "") => "Number".into(),
        ("", u) => u.to_owned(),
        (s, "") => capitalise(s),
        (s, u) => format!("{} of {u}", capitalise(s)),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// schema.org `Dataset`: the indicator's history, with its CSV download.
fn dataset(
    site: &broadsheet_syndication::Site,
    i: &Indicator,
    past: &[Release],
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": format!("{} {}", i.country, i.title),
        "description": format!(
            "Scheduled releases of {} {}: actual figures against the consensus forecast, with the previous figure.",
            i.country, i.title
        ),
        "url": site.url(&format!("/calendar/{}", i.slug)),
        "spatialCoverage": i.country,
        "creator": { "@type": "Organization", "name": site.name },
        "distribution": [{
            "@type": "DataDownload",
            "encodingFormat": "text/csv",
            "contentUrl": site.url(&format!("/calendar/{}/data.csv", i.slug)),
        }],
        "variableMeasured": i.title,
    });
    if let (Some(a), Some(b)) = (past.first(), past.last()) {
        v["temporalCoverage"] = format!("{}/{}", a.date, b.date).into();
    }
    v
}

/// `/calendar/{indicator}/data.csv`: every release of the indicator.
pub(crate) async fn csv(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let slug = Slug::parse(&raw).map_err(|_| AppError::NotFound)?;
    let i = state
        .store
        .indicator_by_slug(&slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let events = state
        .store
        .events(&EventFilter {
            indicator_id: Some(i.id),
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    let mut out =
        String::from("scheduled_utc,timing,period,actual,consensus,previous,revised_previous\n");
    let cell = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for e in &events {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            e.scheduled.at.format("%Y-%m-%dT%H:%M:%SZ"),
            e.scheduled.timing.as_str(),
            csv_text(&e.period),
            cell(e.values.actual),
            cell(e.values.consensus),
            cell(e.values.previous),
            cell(e.values.revised_previous),
        );
    }
    let mut response = out.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.csv\"", i.slug)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
fn csv_text(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

const ICS_TYPE: &str = "text/calendar; charset=utf-8";

/// How far back and ahead the feeds reach.
const FEED_PAST_DAYS: i64 = 92;
const FEED_AHEAD_DAYS: i64 = 366;

/// `/calendar.ics?country=&importance=`: the releases a filter selects, for calendar apps.
pub(crate) async fn feed(
    State(state): State<AppState>,
    uri: http::Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let q = CalendarQuery::parse(uri.query())?;
    let key = feed_href(q.country.as_deref(), q.importance);
    state
        .cached_as(key, &headers, ICS_TYPE, async {
            let indicators = calendar::indicators(&state).await?;
            if let Some(c) = &q.country
                && !indicators.values().any(|i| country_slug(&i.country) == *c)
            {
                return Err(AppError::NotFound);
            }
            let now = Utc::now();
            let events = state
                .store
                .events(&EventFilter {
                    from: Some(now - Duration::days(FEED_PAST_DAYS)),
                    until: Some(now + Duration::days(FEED_AHEAD_DAYS)),
                    limit: 5000,
                    ..Default::default()
                })
                .await?;
            let chosen: Vec<(&Indicator, &Event)> = events
                .iter()
                .filter_map(|e| Some((indicators.get(&e.indicator_id)?, e)))
                .filter(|(i, _)| {
                    q.country
                        .as_deref()
                        .is_none_or(|c| country_slug(&i.country) == c)
                        && q.importance.is_none_or(|min| i.importance >= min)
                })
                .collect();
            let site = state.site();
            let mut name = format!("{}: economic calendar", site.name);
            if let Some((i, _)) = chosen.first()
                && q.country.is_some()
            {
                let _ = write!(name, ", {}", i.country);
            }
            if let Some(i) = q.importance {
                let _ = write!(name, ", {} importance and above", i.as_str());
            }
            let body = broadsheet_syndication::ical::calendar(&site.syndication(), &name, &chosen);
            Ok(Rendered {
                html: body,
                deps: vec![KEY_CALENDAR.into(), KEY_ALL.into()],
                last_modified: None,
            })
        })
        .await
}

async fn indicator_feed(
    state: AppState,
    slug: Slug,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let key = format!("/calendar/{slug}.ics");
    state
        .cached_as(key, &headers, ICS_TYPE, async {
            let i = state
                .store
                .indicator_by_slug(&slug)
                .await?
                .ok_or(AppError::NotFound)?;
            let events = state
                .store
                .events(&EventFilter {
                    indicator_id: Some(i.id),
                    limit: 1000,
                    newest_first: true,
                    ..Default::default()
                })
                .await?;
            let chosen: Vec<(&Indicator, &Event)> = events.iter().rev().map(|e| (&i, e)).collect();
            let site = state.site();
            let name = format!("{}: {} {}", site.name, i.country, i.title);
            let body = broadsheet_syndication::ical::calendar(&site.syndication(), &name, &chosen);
            Ok(Rendered {
                html: body,
                deps: vec![KEY_CALENDAR.into(), KEY_ALL.into()],
                last_modified: None,
            })
        })
        .await
}

/// Today's releases for the home and markets pages' module, in the site's zone: the high and
/// medium ones, at most `limit`.
pub(crate) async fn today(state: &AppState, limit: usize) -> Vec<Release> {
    let tz = state.site().tz();
    let agenda = Agenda {
        from: Utc::now().with_timezone(&tz).date_naive(),
        days: 1,
        country: None,
        importance: Some(Importance::Medium),
        tz,
    };
    // A store error costs the page its module, not the page.
    match calendar::agenda(state, &agenda).await {
        Ok(days) => days
            .into_iter()
            .flat_map(|d| d.releases)
            .take(limit)
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "today's calendar unavailable");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_strictly_and_links_keep_them() {
        let q = CalendarQuery::parse(Some(
            "view=day&date=2026-12-08&country=valdoria&importance=HIGH&tz=Asia/Tokyo&utm_source=x",
        ))
        .expect("test value");
        assert_eq!(q.view, View::Day);
        assert_eq!(
            q.href(|_| {}),
            "/calendar?view=day&date=2026-12-08&country=valdoria&importance=high&tz=Asia%2FTokyo"
        );
        assert_eq!(q.href(|q| q.country = None).matches("country").count(), 0);
        for bad in [
            "view=month",
            "date=08/12/2026",
            "date=9999-01-01",
            "importance=urgent",
            "tz=Mars/Olympus",
            "country=%00",
        ] {
            assert!(CalendarQuery::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn offsets_follow_the_clock_changes() {
        let ny: Tz = "America/New_York".parse().expect("test value");
        assert_eq!(
            offset_label(ny, NaiveDate::from_ymd_opt(2026, 7, 1).expect("test value")),
            "UTC-04:00"
        );
        assert_eq!(
            offset_label(
                ny,
                NaiveDate::from_ymd_opt(2026, 12, 1).expect("test value")
            ),
            "UTC-05:00"
        );
        let kolkata: Tz = "Asia/Kolkata".parse().expect("test value");
        assert_eq!(
            offset_label(
                kolkata,
                NaiveDate::from_ymd_opt(2026, 1, 1).expect("test value")
            ),
            "UTC+05:30"
        );
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_text("Q3, prelim"), "\"Q3, prelim\"");
    }
}
