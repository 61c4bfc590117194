//! The economic calendar's use cases. One path takes releases in, whatever brings them (a CSV
//! or `.ics` file from the command line, a vendor's push, the admin form): `record_rows`
//! finds or creates each indicator, puts the figures into its scale and saves them with a
//! version, and `edit_release` is the newsroom's edit. One path reads them out for readers
//! (`Release`, `releases`, `agenda`): the calendar page, the home and markets modules, the
//! story embed, the API and the iCalendar feed all show the same figures the same way.

use std::collections::{BTreeMap, HashMap};

use broadsheet_core::calendar::{
    Event, EventValues, Importance, Indicator, NewEvent, NewIndicator, Scale, Scheduled, Surprise,
    Timing, country_slug, parse_value,
};
use broadsheet_core::{CoreError, Slug, Timestamp};
use broadsheet_ingest::calendar::{CalendarRow, Zone};
use broadsheet_store::{Calendar, EventEdit, EventFilter, EventSave, StoreError};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::newsletter::compose::{DigestContent, Item};
use crate::{App, Error};

/// What recording a file or a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Indicators created on the way.
    pub new_indicators: usize,
}

/// A figure written in `written` into the indicator's scale (215 thousands into units is
/// 215,000; into thousands, 215).
fn into_scale(v: Option<f64>, written: Scale, scale: Scale) -> Option<f64> {
    v.map(|v| ((v * written.factor() / scale.factor()) * 1e9).round() / 1e9)
}

fn new_indicator(row: &CalendarRow) -> NewIndicator {
    let spec = &row.indicator;
    NewIndicator {
        slug: spec.slug.clone(),
        country: spec.country.clone(),
        title: spec.title.clone(),
        category: spec.category.clone().unwrap_or_default(),
        importance: spec.importance.unwrap_or(Importance::Medium),
        unit: spec.unit.clone().unwrap_or_default(),
        scale: spec.scale.unwrap_or_default(),
        decimals: spec.decimals.unwrap_or(1),
        instrument: None,
    }
}

/// Records releases read from a file (each with its line): indicators are found by slug or
/// created from the first row that names them; figures are put into the indicator's scale;
/// a release is matched on its id, else its indicator and day, so the same file recorded
/// twice changes nothing. Returns the counts and each refused row with its reason.
pub async fn record_rows(
    app: &App,
    rows: Vec<(usize, CalendarRow)>,
    source: &str,
) -> Result<(Recorded, Vec<(usize, String)>), Error> {
    let store: &dyn Calendar = app.store.as_ref();
    let mut known: HashMap<String, Indicator> = store
        .indicators()
        .await?
        .into_iter()
        .map(|i| (i.slug.as_str().to_owned(), i))
        .collect();
    let mut out = Recorded::default();
    let mut refused = Vec::new();
    let mut events: Vec<(usize, NewEvent)> = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let indicator = match known.get(row.indicator.slug.as_str()) {
            Some(i) => i.clone(),
            None => {
                let new = new_indicator(&row);
                if let Err(e) = new.validate() {
                    refused.push((line, e.to_string()));
                    continue;
                }
                let made = store.upsert_indicator(&new).await?;
                out.new_indicators += 1;
                known.insert(made.slug.as_str().to_owned(), made.clone());
                made
            }
        };
        let v = row.values;
        // A plain figure is in the indicator's scale unless the row says otherwise.
        let written = row.indicator.scale.unwrap_or(indicator.scale);
        let event = NewEvent {
            indicator_id: indicator.id,
            external_id: row.external_id,
            period: row.period,
            scheduled: row.scheduled,
            values: EventValues {
                previous: into_scale(v.previous, written, indicator.scale),
                revised_previous: into_scale(v.revised_previous, written, indicator.scale),
                consensus: into_scale(v.consensus, written, indicator.scale),
                actual: into_scale(v.actual, written, indicator.scale),
            },
        };
        match event.validate() {
            Ok(()) => events.push((line, event)),
            Err(e) => refused.push((line, e.to_string())),
        }
    }
    let (counts, more) = save(store, events, source).await?;
    out.inserted = counts.inserted;
    out.updated = counts.updated;
    out.unchanged = counts.unchanged;
    refused.extend(more);
    refused.sort_by_key(|r| r.0);
    if out.inserted + out.updated + out.new_indicators > 0 {
        app.sync_changes().await?;
    }
    Ok((out, refused))
}

/// Saves in batches; a batch that conflicts (a release moved onto a day its indicator already
/// has one on) is saved one by one, so only the conflicting rows are refused.
async fn save<T: Copy>(
    store: &dyn Calendar,
    events: Vec<(T, NewEvent)>,
    source: &str,
) -> Result<(Recorded, Vec<(T, String)>), Error> {
    let mut counts = Recorded::default();
    let mut refused = Vec::new();
    let mut tally = |saved: &[EventSave]| {
        for s in saved {
            match s {
                EventSave::Inserted(_) => counts.inserted += 1,
                EventSave::Updated(_) => counts.updated += 1,
                EventSave::Unchanged(_) => counts.unchanged += 1,
            }
        }
    };
    for chunk in events.chunks(500) {
        let batch: Vec<NewEvent> = chunk.iter().map(|(_, e)| e.clone()).collect();
        match store.save_events(&batch, source).await {
            Ok(saved) => tally(&saved),
            Err(StoreError::Conflict(_) | StoreError::Invalid(_)) => {
                for (tag, e) in chunk {
                    match store.save_events(std::slice::from_ref(e), source).await {
                        Ok(saved) => tally(&saved),
                        Err(StoreError::Conflict(why)) => refused.push((*tag, why)),
                        Err(StoreError::Invalid(why)) => refused.push((*tag, why.to_string())),
                        Err(other) => return Err(other.into()),
                    }
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok((counts, refused))
}

/// A figure as a vendor pushes it: a number in the indicator's scale, or text ("215K",
/// "-0.3%", "n/a").
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Figure {
    Number(f64),
    Text(String),
}

/// One pushed release. It names its release by `id` (the vendor's), or by `indicator` and
/// `date`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushedRelease {
    pub id: Option<String>,
    pub indicator: Option<String>,
    pub date: Option<NaiveDate>,
    /// `HH:MM` in `timezone` (default UTC); none for an all-day release.
    pub time: Option<String>,
    pub timezone: Option<String>,
    /// An exact instant instead of date and time.
    pub at: Option<Timestamp>,
    pub tentative: Option<bool>,
    pub period: Option<String>,
    pub actual: Option<Figure>,
    pub consensus: Option<Figure>,
    pub previous: Option<Figure>,
    pub revised_previous: Option<Figure>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReleaseRefused {
    /// The release's place in the push, from 0.
    pub index: usize,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PushOutcome {
    pub accepted: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<ReleaseRefused>,
}

fn figure(f: &Option<Figure>, scale: Scale, name: &str) -> Result<Option<f64>, String> {
    match f {
        None => Ok(None),
        Some(Figure::Number(n)) if n.is_finite() => Ok(Some(*n)),
        Some(Figure::Number(_)) => Err(format!("{name} is not a finite number")),
        Some(Figure::Text(t)) => {
            parse_value(t, scale, false).map_err(|e| format!("{name}: {}", e.reason))
        }
    }
}

async fn pushed_event(app: &App, p: &PushedRelease) -> Result<NewEvent, String> {
    let store: &dyn Calendar = app.store.as_ref();
    let existing = match &p.id {
        Some(id) => find_by_external_id(app, id).await?,
        None => None,
    };
    let indicator = match (&p.indicator, &existing) {
        (Some(slug), _) => {
            let slug = Slug::parse(slug).map_err(|_| "unknown indicator".to_owned())?;
            store
                .indicator_by_slug(&slug)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("unknown indicator {slug:?}"))?
        }
        (None, Some(e)) => indicator_by_id(app, e.indicator_id).await?,
        (None, None) if p.id.is_some() => {
            return Err(
                "unknown event: no release has this id; send its indicator and date to add it"
                    .into(),
            );
        }
        (None, None) => return Err("name the release by id, or by indicator and date".into()),
    };
    let scheduled = match (p.at, p.date, &existing) {
        (Some(at), _, _) => Scheduled::exact(at),
        (None, Some(date), _) => match p.time.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None if p.tentative == Some(true) => Scheduled::day(date, Timing::Tentative),
            None => Scheduled::day(date, Timing::AllDay),
            Some(t) => {
                let time = NaiveTime::parse_from_str(t, "%H:%M")
                    .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
                    .map_err(|_| format!("{t:?} is not a time (HH:MM)"))?;
                let zone = match p.timezone.as_deref() {
                    None => Zone::parse("UTC").ok_or("UTC")?,
                    Some(z) => Zone::parse(z).ok_or_else(|| format!("{z:?} is not a time zone"))?,
                };
                Scheduled::exact(zone.resolve(date.and_time(time))?)
            }
        },
        (None, None, Some(e)) => e.scheduled,
        (None, None, None) => return Err("a new release needs a date (or at)".into()),
    };
    let event = NewEvent {
        indicator_id: indicator.id,
        external_id: p.id.clone(),
        period: p
            .period
            .clone()
            .or_else(|| existing.as_ref().map(|e| e.period.clone()))
            .unwrap_or_default(),
        scheduled,
        values: EventValues {
            previous: figure(&p.previous, indicator.scale, "previous")?,
            revised_previous: figure(&p.revised_previous, indicator.scale, "revised_previous")?,
            consensus: figure(&p.consensus, indicator.scale, "consensus")?,
            actual: figure(&p.actual, indicator.scale, "actual")?,
        },
    };
    event.validate().map_err(|e| e.to_string())?;
    Ok(event)
}

async fn find_by_external_id(app: &App, id: &str) -> Result<Option<Event>, String> {
    app.store
        .event_by_external_id(id)
        .await
        .map_err(|e| e.to_string())
}

async fn indicator_by_id(app: &App, id: i64) -> Result<Indicator, String> {
    let all = app.store.indicators().await.map_err(|e| e.to_string())?;
    all.into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| "unknown indicator".to_owned())
}

/// Records a vendor's push: each release is checked on its own and refused with its reason
/// (an unknown indicator or event, a bad time or figure); pages showing the others refresh at
/// once.
pub async fn push(app: &App, releases: &[PushedRelease]) -> Result<PushOutcome, Error> {
    let mut events = Vec::new();
    let mut rejected = Vec::new();
    for (index, p) in releases.iter().enumerate() {
        match pushed_event(app, p).await {
            Ok(e) => events.push((index, e)),
            Err(error) => rejected.push(ReleaseRefused { index, error }),
        }
    }
    let sent = events.len();
    let (counts, refused) = save(app.store.as_ref(), events, "push").await?;
    let accepted = sent - refused.len();
    rejected.extend(
        refused
            .into_iter()
            .map(|(index, error)| ReleaseRefused { index, error }),
    );
    rejected.sort_by_key(|r| r.index);
    if counts.inserted + counts.updated > 0 {
        app.sync_changes().await?;
    }
    Ok(PushOutcome {
        accepted,
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
        rejected,
    })
}

/// The newsroom's edit of a release: period, time and every figure as the form has them, kept
/// as a version under the editor's name; every page showing it is refreshed.
pub async fn edit_release(
    app: &App,
    id: i64,
    edit: &EventEdit,
    by: &str,
) -> Result<Option<Event>, Error> {
    let after = app
        .store
        .edit_event(id, edit, &format!("admin:{by}"))
        .await?;
    app.sync_changes().await?;
    Ok(after)
}

/// Sends one alert mail for a release's figure, to subscribers who want alerts (breaking news
/// and figures alike); once per release, however often it is asked for. `false` when it was
/// sent before or the release has no figure yet.
pub async fn start_alert(app: &App, event: &Event) -> Result<bool, Error> {
    let key = format!("calendar:{}", event.id);
    if app.store.issue_by_key(&key).await?.is_some() {
        return Ok(false);
    }
    let indicator = indicator_by_id(app, event.indicator_id)
        .await
        .map_err(Error::Internal)?;
    let r = Release::new(&indicator, event, app.site().tz());
    let Some(actual) = &r.actual else {
        return Ok(false);
    };
    let mut headline = format!("{} {}: {actual}", indicator.country, indicator.title);
    if !r.period.is_empty() {
        headline = format!(
            "{} {} ({}): {actual}",
            indicator.country, indicator.title, r.period
        );
    }
    let standfirst = r.summary();
    let content = DigestContent {
        lead: Some(Item {
            id: -event.id,
            headline: headline.clone(),
            standfirst,
            url: app.site().url(&r.url),
            section: "Economic calendar".into(),
            image: None,
        }),
        ..Default::default()
    };
    // Mail needs absolute links: refuse without a public address, before anything is made.
    app.mail_base()?;
    crate::newsletter::send::start_alert_issue(app, key, headline, &content).await
}

/// A release as readers see it: the indicator's words, the time in a zone, the figures
/// formatted in the indicator's unit, and the surprise in words and with an arrow.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Release {
    pub id: i64,
    pub indicator: String,
    pub country: String,
    pub country_slug: String,
    pub title: String,
    pub category: String,
    pub importance: Importance,
    pub importance_label: &'static str,
    pub importance_symbol: &'static str,
    pub period: String,
    /// The scheduled instant (midnight UTC of the day for an all-day or tentative release).
    pub at: Timestamp,
    pub timing: Timing,
    /// The day in the zone shown (`YYYY-MM-DD`).
    pub date: String,
    /// The same day for a reader: "8 Dec".
    pub short_date: String,
    /// "13:30", "All day" or "Tentative".
    pub time: String,
    pub unit: String,
    pub scale: Scale,
    /// The figures as numbers in the indicator's unit and scale.
    pub values: EventValues,
    pub actual: Option<String>,
    pub consensus: Option<String>,
    pub previous: Option<String>,
    pub revised_previous: Option<String>,
    pub surprise: Option<Surprise>,
    /// "above the forecast", "below the forecast", "in line with the forecast".
    pub surprise_text: Option<String>,
    pub surprise_arrow: Option<&'static str>,
    pub url: String,
}

impl Release {
    pub fn new(i: &Indicator, e: &Event, tz: Tz) -> Self {
        let local = e.scheduled.at.with_timezone(&tz);
        let (day, time) = match e.scheduled.timing {
            Timing::Exact => (local.date_naive(), local.format("%H:%M").to_string()),
            Timing::AllDay => (e.scheduled.date(), "All day".into()),
            Timing::Tentative => (e.scheduled.date(), "Tentative".into()),
        };
        let f = |v: Option<f64>| v.map(|v| i.format(v));
        let surprise = i.surprise(&e.values);
        Release {
            id: e.id,
            indicator: i.slug.as_str().to_owned(),
            country: i.country.clone(),
            country_slug: i.country_slug(),
            title: i.title.clone(),
            category: i.category.clone(),
            importance: i.importance,
            importance_label: i.importance.label(),
            importance_symbol: i.importance.symbol(),
            period: e.period.clone(),
            at: e.scheduled.at,
            timing: e.scheduled.timing,
            date: day.to_string(),
            short_date: day.format("%-d %b").to_string(),
            time,
            unit: i.unit.clone(),
            scale: i.scale,
            values: e.values,
            actual: f(e.values.actual),
            consensus: f(e.values.consensus),
            previous: f(e.values.previous),
            revised_previous: f(e.values.revised_previous),
            surprise,
            surprise_text: surprise.map(|s| match s {
                Surprise::InLine => "in line with the forecast".to_owned(),
                s => format!("{} the forecast", s.words()),
            }),
            surprise_arrow: surprise.map(Surprise::arrow),
            url: format!("/calendar/{}", i.slug),
        }
    }

    /// One sentence with the figures: "3.4%, above the forecast of 3.1%; previous 3.1%."
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match (&self.actual, &self.consensus, &self.surprise_text) {
            (Some(a), Some(c), Some(_)) => parts.push(format!(
                "{a}, {} of {c}",
                match self.surprise {
                    Some(Surprise::InLine) => "in line with the forecast".to_owned(),
                    Some(s) => format!("{} the forecast", s.words()),
                    None => String::new(),
                }
            )),
            (Some(a), _, _) => parts.push(a.clone()),
            (None, Some(c), _) => parts.push(format!("forecast {c}")),
            (None, None, _) => {}
        }
        if let Some(p) = self.revised_previous.as_ref().or(self.previous.as_ref()) {
            parts.push(format!("previous {p}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("{}.", parts.join("; "))
        }
    }
}

/// Which releases a reader asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agenda {
    /// The first day, in `tz`.
    pub from: NaiveDate,
    pub days: u32,
    pub country: Option<String>,
    /// This importance and above.
    pub importance: Option<Importance>,
    pub tz: Tz,
}

/// One day of the calendar.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Day {
    pub date: String,
    /// "Tuesday 8 December 2026".
    pub label: String,
    pub today: bool,
    pub releases: Vec<Release>,
}

/// Every indicator by id.
pub async fn indicators(app: &App) -> Result<HashMap<i64, Indicator>, Error> {
    Ok(app
        .store
        .indicators()
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

/// The releases of an agenda, grouped by day in its zone (days without releases are left
/// out). All-day and tentative releases keep their date whatever the zone.
pub async fn agenda(app: &App, a: &Agenda) -> Result<Vec<Day>, Error> {
    let indicators = indicators(app).await?;
    // A day in the zone spans at most 14 hours either side of UTC midnight.
    let from = a.from.and_time(NaiveTime::MIN).and_utc() - Duration::hours(15);
    let until = a.from.and_time(NaiveTime::MIN).and_utc()
        + Duration::days(i64::from(a.days))
        + Duration::hours(15);
    let events = app
        .store
        .events(&EventFilter {
            from: Some(from),
            until: Some(until),
            limit: 5000,
            ..Default::default()
        })
        .await?;
    let last = a.from + Duration::days(i64::from(a.days));
    let today = app.now().with_timezone(&a.tz).date_naive();
    let mut days: BTreeMap<NaiveDate, Vec<Release>> = BTreeMap::new();
    for e in &events {
        let Some(i) = indicators.get(&e.indicator_id) else {
            continue;
        };
        if a.country
            .as_deref()
            .is_some_and(|c| c != country_slug(&i.country))
        {
            continue;
        }
        if a.importance.is_some_and(|min| i.importance < min) {
            continue;
        }
        let r = Release::new(i, e, a.tz);
        let Ok(date) = NaiveDate::parse_from_str(&r.date, "%Y-%m-%d") else {
            continue;
        };
        if date < a.from || date >= last {
            continue;
        }
        days.entry(date).or_default().push(r);
    }
    Ok(days
        .into_iter()
        .map(|(date, mut releases)| {
            // Timed releases in time order; all-day and tentative ones first.
            releases.sort_by_key(|r| (r.timing == Timing::Exact, r.at, r.id));
            Day {
                date: date.to_string(),
                label: date.format("%A %-d %B %Y").to_string(),
                today: date == today,
                releases,
            }
        })
        .collect())
}

/// Monday of the week a day is in.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The countries that have indicators, as (slug, name), by name.
pub async fn countries(app: &App) -> Result<Vec<(String, String)>, Error> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for i in app.store.indicators().await? {
        out.entry(i.country.clone())
            .or_insert_with(|| country_slug(&i.country));
    }
    Ok(out.into_iter().map(|(name, slug)| (slug, name)).collect())
}

/// An indicator's history, oldest first, and its releases to come.
pub struct History {
    pub indicator: Indicator,
    pub past: Vec<Release>,
    pub next: Option<Release>,
    /// Every event, newest first (for linked stories).
    pub events: Vec<Event>,
}

pub async fn history(app: &App, slug: &Slug, tz: Tz) -> Result<Option<History>, Error> {
    let Some(indicator) = app.store.indicator_by_slug(slug).await? else {
        return Ok(None);
    };
    let events = app
        .store
        .events(&EventFilter {
            indicator_id: Some(indicator.id),
            limit: 1000,
            newest_first: true,
            ..Default::default()
        })
        .await?;
    let now = app.now();
    let mut past: Vec<Release> = events
        .iter()
        .filter(|e| e.values.actual.is_some() || e.scheduled.at <= now)
        .map(|e| Release::new(&indicator, e, tz))
        .collect();
    past.reverse();
    let next = events
        .iter()
        .filter(|e| e.values.actual.is_none() && e.scheduled.at > now)
        .min_by_key(|e| e.scheduled.at)
        .map(|e| Release::new(&indicator, e, tz));
    Ok(Some(History {
        indicator,
        past,
        next,
        events,
    }))
}

/// The release a story embed shows: the latest with a figure or whose time has come, else
/// the next.
pub async fn current(app: &App, slug: &Slug, tz: Tz) -> Result<Option<Release>, Error> {
    let Some(h) = history(app, slug, tz).await? else {
        return Ok(None);
    };
    Ok(h.past.last().cloned().or(h.next))
}

/// The release of an indicator on a day (in `tz`), for an embed that names its day.
pub async fn on_day(
    app: &App,
    slug: &Slug,
    day: NaiveDate,
    tz: Tz,
) -> Result<Option<Release>, Error> {
    let Some(h) = history(app, slug, tz).await? else {
        return Ok(None);
    };
    let day = day.to_string();
    Ok(h.events
        .iter()
        .map(|e| Release::new(&h.indicator, e, tz))
        .find(|r| r.date == day))
}

/// Checks a figure typed into the admin form, in the indicator's scale.
pub fn parse_figure(s: &str, scale: Scale) -> Result<Option<f64>, CoreError> {
    parse_value(s, scale, false)
}
