//! `/admin/calendar`: the newsroom's economic calendar. Editors list the releases around
//! today, add indicators and releases, and open a release to fill in its actual figure (or
//! correct any other), link the stories written about it, and optionally alert subscribers.
//! Every save keeps a version (shown on the release's page) and refreshes every page that
//! shows the release through the `calendar` cache key.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use broadsheet_app::calendar::{self, Release, parse_figure};
use broadsheet_core::calendar::{
    EventValues, Importance, NewEvent, NewIndicator, Scale, Scheduled, Timing,
};
use broadsheet_core::{Slug, Symbol};
use broadsheet_ingest::calendar::Zone;
use broadsheet_store::{EventEdit, EventFilter, StoreError};
use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Page, local_label, see_other};
use crate::auth::{Editor, Session};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Serialize)]
struct IndicatorOption {
    slug: String,
    label: String,
}

#[derive(Serialize)]
struct ListPage {
    days: Vec<calendar::Day>,
    indicators: Vec<IndicatorOption>,
    release: ReleaseForm,
    indicator: IndicatorForm,
    zone: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct ReleaseForm {
    #[serde(skip_serializing)]
    csrf: String,
    indicator: String,
    date: String,
    time: String,
    timing: String,
    period: String,
    previous: String,
    revised_previous: String,
    consensus: String,
    actual: String,
    stories: String,
    alert: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct IndicatorForm {
    #[serde(skip_serializing)]
    csrf: String,
    country: String,
    title: String,
    category: String,
    importance: String,
    unit: String,
    scale: String,
    decimals: String,
    instrument: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Notice {
    added: String,
    indicator: String,
}

async fn list_page(
    state: &AppState,
    session: &Session,
    page: Page<'_>,
    release: ReleaseForm,
    indicator: IndicatorForm,
) -> Result<Response, AppError> {
    let tz = state.site().tz();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let days = calendar::agenda(
        state,
        &calendar::Agenda {
            from: today - Duration::days(7),
            days: 22,
            country: None,
            importance: None,
            tz,
        },
    )
    .await?;
    let indicators = state
        .store
        .indicators()
        .await?
        .into_iter()
        .map(|i| IndicatorOption {
            label: format!("{}: {}", i.country, i.title),
            slug: i.slug.as_str().to_owned(),
        })
        .collect();
    page.render(
        state,
        Some(session),
        ListPage {
            days,
            indicators,
            release,
            indicator,
            zone: tz.name().to_owned(),
        },
    )
}

fn list() -> Page<'static> {
    Page::new("admin/calendar.html", "Economic calendar", "calendar")
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Editor(session): Editor,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let notice = if !n.added.is_empty() {
        Some("Release added.".to_owned())
    } else if !n.indicator.is_empty() {
        Some("Indicator saved.".to_owned())
    } else {
        None
    };
    list_page(
        &state,
        &session,
        list().notice(notice),
        ReleaseForm {
            timing: "exact".into(),
            ..Default::default()
        },
        IndicatorForm {
            importance: "medium".into(),
            decimals: "1".into(),
            ..Default::default()
        },
    )
    .await
}

/// The release form's time: a date and a time in the site's zone, or a date "all day" or
/// "tentative".
fn scheduled(f: &ReleaseForm, tz: chrono_tz::Tz) -> Result<Scheduled, String> {
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| "the date is written YYYY-MM-DD".to_owned())?;
    let timing = f.timing.parse::<Timing>().unwrap_or(Timing::Exact);
    match timing {
        Timing::Exact => {
            let time = NaiveTime::parse_from_str(f.time.trim(), "%H:%M")
                .map_err(|_| "a release at an exact time needs the time (HH:MM)".to_owned())?;
            Ok(Scheduled::exact(
                Zone::Named(tz).resolve(date.and_time(time))?,
            ))
        }
        other => Ok(Scheduled::day(date, other)),
    }
}

fn values(f: &ReleaseForm, scale: Scale) -> Result<EventValues, String> {
    let one =
        |name: &str, v: &str| parse_figure(v, scale).map_err(|e| format!("{name}: {}", e.reason));
    Ok(EventValues {
        previous: one("previous", &f.previous)?,
        revised_previous: one("revised previous", &f.revised_previous)?,
        consensus: one("forecast", &f.consensus)?,
        actual: one("actual", &f.actual)?,
    })
}

/// `POST /admin/calendar`: `action=release` adds a release, `action=indicator` an indicator.
pub(crate) async fn create(
    State(state): State<AppState>,
    Editor(session): Editor,
    body: String,
) -> Result<Response, AppError> {
    let what = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if what == "indicator" {
        let f: IndicatorForm = serde_urlencoded::from_str(&body).unwrap_or_default();
        session.check_csrf(&f.csrf)?;
        return match new_indicator(&f) {
            Ok(i) => match state.store.upsert_indicator(&i).await {
                Ok(_) => {
                    state.sync_changes().await?;
                    Ok(see_other("/admin/calendar?indicator=1"))
                }
                Err(StoreError::Invalid(e)) => {
                    refuse_indicator(&state, &session, f, e.to_string()).await
                }
                Err(e) => Err(e.into()),
            },
            Err(why) => refuse_indicator(&state, &session, f, why).await,
        };
    }
    let f: ReleaseForm = serde_urlencoded::from_str(&body).unwrap_or_default();
    session.check_csrf(&f.csrf)?;
    let tz = state.site().tz();
    let indicator = match Slug::parse(&f.indicator) {
        Ok(slug) => state.store.indicator_by_slug(&slug).await?,
        Err(_) => None,
    };
    let Some(indicator) = indicator else {
        return refuse_release(&state, &session, f, "choose the indicator".into()).await;
    };
    let event = scheduled(&f, tz).and_then(|s| {
        Ok(NewEvent {
            indicator_id: indicator.id,
            external_id: None,
            period: f.period.trim().to_owned(),
            scheduled: s,
            values: values(&f, indicator.scale)?,
        })
    });
    let event = match event.and_then(|e| e.validate().map(|()| e).map_err(|e| e.to_string())) {
        Ok(e) => e,
        Err(why) => return refuse_release(&state, &session, f, why).await,
    };
    let same_day = state
        .store
        .events(&EventFilter {
            indicator_id: Some(indicator.id),
            from: Some(event.scheduled.date().and_time(NaiveTime::MIN).and_utc()),
            until: Some(
                event.scheduled.date().and_time(NaiveTime::MIN).and_utc() + Duration::days(1),
            ),
            limit: 1,
            ..Default::default()
        })
        .await?
        .is_empty();
    if !same_day {
        return refuse_release(
            &state,
            &session,
            f,
            "this indicator already has a release on that day: open it from the list to change it"
                .into(),
        )
        .await;
    }
    let source = format!("admin:{}", session.user.email);
    match state.store.save_events(&[event], &source).await {
        Ok(_) => {
            state.sync_changes().await?;
            Ok(see_other("/admin/calendar?added=1"))
        }
        Err(StoreError::Conflict(why)) => refuse_release(&state, &session, f, why).await,
        Err(e) => Err(e.into()),
    }
}

async fn refuse_release(
    state: &AppState,
    session: &Session,
    f: ReleaseForm,
    why: String,
) -> Result<Response, AppError> {
    list_page(
        state,
        session,
        list()
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .error(format!("The release was not added: {why}.")),
        f,
        IndicatorForm {
            importance: "medium".into(),
            decimals: "1".into(),
            ..Default::default()
        },
    )
    .await
}

async fn refuse_indicator(
    state: &AppState,
    session: &Session,
    f: IndicatorForm,
    why: String,
) -> Result<Response, AppError> {
    list_page(
        state,
        session,
        list()
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .error(format!("The indicator was not saved: {why}.")),
        ReleaseForm {
            timing: "exact".into(),
            ..Default::default()
        },
        f,
    )
    .await
}

fn new_indicator(f: &IndicatorForm) -> Result<NewIndicator, String> {
    let slug = Slug::derive(&format!("{} {}", f.country.trim(), f.title.trim()))
        .ok_or_else(|| "the country and title are required".to_owned())?;
    let instrument = match f.instrument.trim() {
        "" => None,
        s => Some(Symbol::parse(s).map_err(|e| e.reason)?),
    };
    let i = NewIndicator {
        slug,
        country: f.country.trim().to_owned(),
        title: f.title.trim().to_owned(),
        category: f.category.trim().to_owned(),
        importance: f.importance.parse::<Importance>().map_err(|e| e.reason)?,
        unit: f.unit.trim().to_owned(),
        scale: f.scale.parse::<Scale>().map_err(|e| e.reason)?,
        decimals: f
            .decimals
            .trim()
            .parse::<u8>()
            .map_err(|_| "the decimals are a whole number from 0 to 6".to_owned())?,
        instrument,
    };
    i.validate().map_err(|e| e.to_string())?;
    Ok(i)
}

#[derive(Serialize)]
struct RevisionRow {
    when: String,
    by: String,
    summary: String,
}

#[derive(Serialize)]
struct ReleasePage {
    release: Release,
    form: ReleaseForm,
    revisions: Vec<RevisionRow>,
    zone: String,
    id: i64,
}

fn plain(v: Option<f64>) -> String {
    v.map(|v| {
        let s = format!("{v}");
        s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
    })
    .unwrap_or_default()
}

async fn release_page(
    state: &AppState,
    session: &Session,
    id: i64,
    page: Page<'_>,
    form: Option<ReleaseForm>,
) -> Result<Response, AppError> {
    let tz = state.site().tz();
    let event = state.store.event(id).await?.ok_or(AppError::NotFound)?;
    let indicators = calendar::indicators(state).await?;
    let indicator = indicators
        .get(&event.indicator_id)
        .ok_or(AppError::NotFound)?;
    let release = Release::new(indicator, &event, tz);
    let stories = state
        .store
        .event_articles(&[id])
        .await?
        .into_iter()
        .map(|(_, a)| a);
    let mut slugs = Vec::new();
    for article_id in stories {
        if let Some(a) = state.store.article_by_id(article_id).await? {
            slugs.push(a.slug.to_string());
        }
    }
    let form = form.unwrap_or_else(|| {
        let local = event.scheduled.at.with_timezone(&tz);
        ReleaseForm {
            csrf: String::new(),
            indicator: indicator.slug.to_string(),
            date: match event.scheduled.timing {
                Timing::Exact => local.date_naive().to_string(),
                _ => event.scheduled.date().to_string(),
            },
            time: match event.scheduled.timing {
                Timing::Exact => local.format("%H:%M").to_string(),
                _ => String::new(),
            },
            timing: event.scheduled.timing.as_str().to_owned(),
            period: event.period.clone(),
            previous: plain(event.values.previous),
            revised_previous: plain(event.values.revised_previous),
            consensus: plain(event.values.consensus),
            actual: plain(event.values.actual),
            stories: slugs.join("\n"),
            alert: String::new(),
        }
    });
    let revisions = state
        .store
        .event_revisions(id)
        .await?
        .into_iter()
        .map(|r| {
            let shown = Release::new(
                indicator,
                &broadsheet_core::calendar::Event {
                    values: r.values,
                    scheduled: r.scheduled,
                    period: r.period.clone(),
                    ..event.clone()
                },
                tz,
            );
            RevisionRow {
                when: local_label(Some(r.at), tz),
                by: r.source,
                summary: format!(
                    "{} {}{}: {}",
                    shown.date,
                    shown.time,
                    if shown.period.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", shown.period)
                    },
                    {
                        let s = shown.summary();
                        if s.is_empty() {
                            "no figures".to_owned()
                        } else {
                            s
                        }
                    }
                ),
            }
        })
        .collect();
    page.render(
        state,
        Some(session),
        ReleasePage {
            release,
            form,
            revisions,
            zone: tz.name().to_owned(),
            id,
        },
    )
}

fn id_of(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().map_err(|_| AppError::NotFound)
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    Editor(session): Editor,
    Path(raw): Path<String>,
    Query(n): Query<SavedNotice>,
) -> Result<Response, AppError> {
    let id = id_of(&raw)?;
    let notice = (!n.saved.is_empty()).then(|| {
        if n.alerted.is_empty() {
            "Saved. Pages showing this release are refreshed.".to_owned()
        } else {
            "Saved, and the alert is on its way to subscribers who want alerts.".to_owned()
        }
    });
    release_page(
        &state,
        &session,
        id,
        Page::new("admin/calendar_release.html", "Release", "calendar").notice(notice),
        None,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SavedNotice {
    saved: String,
    alerted: String,
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Editor(session): Editor,
    Path(raw): Path<String>,
    body: String,
) -> Result<Response, AppError> {
    let id = id_of(&raw)?;
    let f: ReleaseForm = serde_urlencoded::from_str(&body).unwrap_or_default();
    session.check_csrf(&f.csrf)?;
    let event = state.store.event(id).await?.ok_or(AppError::NotFound)?;
    let indicators = calendar::indicators(&state).await?;
    let indicator = indicators
        .get(&event.indicator_id)
        .ok_or(AppError::NotFound)?;
    let tz = state.site().tz();
    let page = || Page::new("admin/calendar_release.html", "Release", "calendar");
    let edit = scheduled(&f, tz).and_then(|s| {
        Ok(EventEdit {
            period: f.period.trim().chars().take(40).collect(),
            scheduled: s,
            values: values(&f, indicator.scale)?,
        })
    });
    let edit = match edit {
        Ok(e) => e,
        Err(why) => {
            return release_page(
                &state,
                &session,
                id,
                page()
                    .status(StatusCode::UNPROCESSABLE_ENTITY)
                    .error(format!("Not saved: {why}.")),
                Some(f),
            )
            .await;
        }
    };
    // The stories: slugs or article addresses, one per line or separated by commas.
    let mut article_ids = Vec::new();
    for word in f
        .stories
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let slug = word.rsplit('/').next().unwrap_or(word);
        let found = match Slug::parse(slug) {
            Ok(s) => state.store.article_by_slug(&s).await?,
            Err(_) => None,
        };
        match found {
            Some(a) => article_ids.push(a.id),
            None => {
                return release_page(
                    &state,
                    &session,
                    id,
                    page()
                        .status(StatusCode::UNPROCESSABLE_ENTITY)
                        .error(format!("Not saved: there is no story {word:?}.")),
                    Some(f),
                )
                .await;
            }
        }
    }
    let alert = f.alert == "1";
    let by = session.user.email.to_string();
    let saved = calendar::edit_release(&state, id, &edit, &by).await;
    let after = match saved {
        Ok(Some(e)) => e,
        Ok(None) => return Err(AppError::NotFound),
        Err(broadsheet_app::Error::Store(StoreError::Conflict(why))) => {
            return release_page(
                &state,
                &session,
                id,
                page()
                    .status(StatusCode::CONFLICT)
                    .error(format!("Not saved: {why}.")),
                Some(f),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    state.store.set_event_articles(id, &article_ids).await?;
    state.sync_changes().await?;
    let mut alerted = false;
    if alert && after.values.actual.is_some() {
        match calendar::start_alert(&state, &after).await {
            Ok(sent) => alerted = sent,
            Err(broadsheet_app::Error::Config(why)) => {
                return release_page(
                    &state,
                    &session,
                    id,
                    page().error(format!("Saved, but no alert was sent: {why}")),
                    None,
                )
                .await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(see_other(&format!(
        "/admin/calendar/{id}?saved=1{}",
        if alerted { "&alerted=1" } else { "" }
    )))
}
