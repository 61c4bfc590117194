//! The economic calendar through its routes: the reader's pages and their filters, an
//! indicator's history, the iCalendar feeds, the Content API, a vendor's push, and the
//! newsroom entering an actual figure that every page showing the release picks up at once.

use axum::body::Body;
use broadsheet_core::Role;
use broadsheet_core::calendar::{EventValues, Scheduled};
use broadsheet_ingest::calendar::{CalendarMapping, parse_ics};
use broadsheet_server::create_api_key;
use broadsheet_store::{ApiKeyKind, EventFilter};
use chrono::{Duration, Utc};
use http::{Request, StatusCode};
use scraper::{Html, Selector};
use serde_json::Value;

use crate::newsroom::{location, member};
use crate::support::{PUSH_TOKEN, Site};

fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(css).expect("selector"))
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// A release of `slug` due a second ago (so today, and already due), with a forecast and no
/// figure: its id and time.
async fn release_now(site: &Site, slug: &str, consensus: f64) -> (i64, chrono::DateTime<Utc>) {
    let i = site
        .store
        .indicator_by_slug(&broadsheet_core::Slug::parse(slug).expect("slug"))
        .await
        .expect("store")
        .expect("indicator");
    let at = chrono::DurationRound::duration_trunc(Utc::now(), Duration::minutes(1)).expect("time");
    let saved = site
        .store
        .save_events(
            &[broadsheet_core::calendar::NewEvent {
                indicator_id: i.id,
                external_id: None,
                period: "Test".into(),
                scheduled: Scheduled::exact(at),
                values: EventValues {
                    consensus: Some(consensus),
                    previous: Some(3.1),
                    ..Default::default()
                },
            }],
            "test",
        )
        .await
        .expect("save");
    site.state.sync_changes().await.expect("sync");
    (saved[0].id(), at)
}

#[tokio::test]
async fn the_week_is_grouped_by_day_with_surprises_and_importance_in_words() {
    let site = Site::demo().await;
    let r = site.get("/calendar").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    let days = texts(&html, ".calendar-day h2");
    assert!(!days.is_empty(), "{html}");
    // Every release that is out says how it compares, in words; arrows are hidden from
    // screen readers, and importance is written, not only coloured.
    let surprises = texts(&html, ".calendar-day .surprise");
    assert!(!surprises.is_empty());
    for s in &surprises {
        assert!(
            s.ends_with("above the forecast")
                || s.ends_with("below the forecast")
                || s.ends_with("in line with the forecast"),
            "{s}"
        );
    }
    for i in texts(&html, ".calendar-day .importance") {
        assert!(
            ["High importance", "Medium importance", "Low importance"]
                .iter()
                .any(|w| i.ends_with(w)),
            "{i}"
        );
    }
    assert!(html.contains("Times in <strong>UTC</strong> (UTC+00:00)"));
    // Filters are links that work without a script.
    let high = site.get("/calendar?importance=high").await.text();
    assert!(
        texts(&high, ".calendar-day .importance")
            .iter()
            .all(|i| i.contains("High"))
    );
    let estmark = site.get("/calendar?country=estmark&date=2026-12-01").await;
    assert_eq!(estmark.status, StatusCode::OK);
    for c in texts(&estmark.text(), ".release-country") {
        assert_eq!(c, "Estmark");
    }
    // Another zone moves the times and says so.
    let tokyo = site.get("/calendar?tz=Asia/Tokyo").await.text();
    assert!(tokyo.contains("Times in <strong>Asia/Tokyo</strong> (UTC+09:00)"));
    assert!(tokyo.contains("tz=Asia%2FTokyo"), "links keep the zone");
}

#[tokio::test]
async fn bad_calendar_queries_get_a_page_that_says_why() {
    let site = Site::demo().await;
    for (q, status, words) in [
        ("view=month", StatusCode::BAD_REQUEST, "day or week"),
        ("date=31/12/2026", StatusCode::BAD_REQUEST, "YYYY-MM-DD"),
        ("date=99999-01-01", StatusCode::BAD_REQUEST, "YYYY-MM-DD"),
        ("date=0001-01-01", StatusCode::BAD_REQUEST, "between 1900"),
        (
            "importance=urgent",
            StatusCode::BAD_REQUEST,
            "low, medium or high",
        ),
        ("tz=Mars%2FOlympus", StatusCode::BAD_REQUEST, "IANA"),
        ("tz=%3Cscript%3E", StatusCode::BAD_REQUEST, "IANA"),
        ("country=atlantis", StatusCode::NOT_FOUND, ""),
    ] {
        let r = site.get(&format!("/calendar?{q}")).await;
        assert_eq!(r.status, status, "{q}");
        assert!(r.text().contains(words), "{q}: {}", r.text());
        assert!(!r.text().contains("<script>"), "{q}");
    }
    assert_eq!(
        site.get("/calendar/no-such-thing").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/calendar/NOT%20A%20SLUG").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/calendar/nope.ics").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_indicator_page_has_its_history_chart_next_release_and_stories() {
    let site = Site::demo().await;
    let r = site.get("/calendar/valdoria-cpi-y-y").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<h1>Valdoria CPI y/y</h1>"));
    let rows = texts(&html, ".history-table tbody tr");
    assert!(rows.len() >= 12, "{rows:?}");
    assert!(
        rows[0].contains("3.1%") && rows[0].contains("below the forecast"),
        "{}",
        rows[0]
    );
    assert!(html.contains(r#"<svg class="chart" role="img""#), "a chart");
    assert!(html.contains("stroke-dasharray"), "the consensus is dashed");
    assert!(texts(&html, ".release-next p")[0].contains("Forecast: 2.9%"));
    assert!(html.contains(r#""@type":"Dataset""#));
    assert!(html.contains("/calendar/valdoria-cpi-y-y/data.csv"));
    // A central bank's page lists the story written about its decision.
    let rate = site.get("/calendar/valdoria-policy-rate").await.text();
    assert!(
        texts(&rate, "section[aria-labelledby=stories-title] li")
            .iter()
            .any(|s| s.contains("Bank of Valdoria holds rates at 4.25%")),
        "{rate}"
    );
    // The instrument it moves links back, with the latest figure.
    let instrument = site.get("/markets/EURVDC").await.text();
    assert!(instrument.contains("Economic releases that move it"));
    assert!(instrument.contains(r#"href="/calendar/valdoria-cpi-y-y""#));
    assert!(rate.contains(r#"Moves: <a href="/markets/VDC10Y">"#));
    let csv = site.get("/calendar/valdoria-cpi-y-y/data.csv").await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let body = csv.text();
    assert!(
        body.starts_with(
            "scheduled_utc,timing,period,actual,consensus,previous,revised_previous\n"
        )
    );
    assert_eq!(
        body.lines().count(),
        20,
        "18 releases, the one to come, the header"
    );
}

#[tokio::test]
async fn the_feeds_are_icalendar_that_reads_back_as_the_same_releases() {
    let site = Site::demo().await;
    let r = site
        .get("/calendar.ics?country=valdoria&importance=high")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "text/calendar; charset=utf-8");
    let ics = r.text();
    assert!(ics.lines().all(|l| l.len() <= 76), "folded at 75 octets");
    let parsed = parse_ics(ics.as_bytes(), &CalendarMapping::default()).expect("ics");
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert!(!parsed.rows.is_empty());
    for (_, row) in &parsed.rows {
        assert_eq!(row.indicator.country, "Valdoria");
        assert_eq!(
            row.indicator.importance,
            Some(broadsheet_core::calendar::Importance::High)
        );
    }
    let cpi = parsed
        .rows
        .iter()
        .filter(|(_, r)| r.indicator.slug.as_str() == "valdoria-cpi-y-y")
        .max_by_key(|(_, r)| (r.values.actual.is_some(), r.scheduled.at))
        .expect("CPI");
    assert_eq!(cpi.1.values.actual, Some(3.1));
    let one = site.get("/calendar/valdoria-cpi-y-y.ics").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.text().matches("BEGIN:VEVENT").count(), 19);
    assert_eq!(
        site.get("/calendar.ics?importance=none").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_content_api_lists_releases_and_an_indicators_history() {
    let site = Site::demo().await;
    let (key, _) = create_api_key(site.store.as_ref(), "tests", ApiKeyKind::Content, None)
        .await
        .expect("key");
    let from = (Utc::now() - Duration::days(40)).date_naive();
    let to = Utc::now().date_naive();
    let r = site
        .get(&format!(
            "/api/v1/calendar?key={key}&from={from}&to={to}&country=valdoria&importance=high"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v: Value = serde_json::from_str(&r.text()).expect("json");
    let releases = v["releases"].as_array().expect("releases");
    assert!(!releases.is_empty());
    let cpi = releases
        .iter()
        .find(|r| r["indicator"] == "valdoria-cpi-y-y")
        .expect("the October CPI");
    assert_eq!(cpi["values"]["actual"], 3.1);
    assert_eq!(cpi["actual"], "3.1%");
    assert_eq!(cpi["surprise"], "below");
    assert_eq!(v["meta"]["time_zone"], "UTC");
    let h: Value = serde_json::from_str(
        &site
            .get(&format!("/api/v1/calendar/valdoria-cpi-y-y?key={key}"))
            .await
            .text(),
    )
    .expect("json");
    assert_eq!(h["indicator"]["unit"], "%");
    assert_eq!(h["releases"].as_array().map(Vec::len), Some(18));
    assert_eq!(h["next"]["consensus"], "2.9%");
    for (q, param) in [
        ("from=2026-13-01", "from"),
        ("from=2026-12-10&to=2026-12-01", "to"),
        ("from=2026-01-01&to=2026-12-31", "to"),
        ("importance=urgent", "importance"),
        ("tz=Nowhere", "tz"),
        ("from=1066-10-14", "from"),
    ] {
        let r = site.get(&format!("/api/v1/calendar?key={key}&{q}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert!(r.text().contains(param), "{q}: {}", r.text());
    }
    assert_eq!(
        site.get(&format!("/api/v1/calendar/atlantis-gdp?key={key}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/api/v1/calendar").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn push(site: &Site, token: Option<&str>, body: &str) -> crate::support::Reply {
    let mut req =
        Request::post("/api/calendar/releases").header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    site.request(req.body(Body::from(body.to_owned())).expect("request"))
        .await
}

#[tokio::test]
async fn a_vendor_pushes_releases_each_checked_on_its_own() {
    let site = Site::demo().await;
    let good = r#"{"releases": [
        {"indicator": "valdoria-gdp-q-q", "date": "2027-01-15", "time": "08:00", "timezone": "Europe/London", "period": "Q4", "consensus": "0.4%"},
        {"indicator": "atlantis-gdp", "date": "2027-01-15"},
        {"id": "no-such-release", "actual": 1},
        {"indicator": "valdoria-gdp-q-q", "date": "2027-01-16", "time": "25:00"},
        {"indicator": "valdoria-gdp-q-q", "date": "2027-01-17", "actual": "lots"}
    ]}"#;
    let r = push(&site, Some(PUSH_TOKEN), good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v: Value = serde_json::from_str(&r.text()).expect("json");
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["inserted"], 1);
    let reasons: Vec<(u64, String)> = v["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap_or(99),
                r["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].1.contains("unknown indicator"), "{reasons:?}");
    assert!(reasons[1].1.contains("unknown event"), "{reasons:?}");
    assert!(reasons[2].1.contains("not a time"), "{reasons:?}");
    assert!(reasons[3].1.contains("not a number"), "{reasons:?}");
    // The same push again changes nothing.
    let again: Value =
        serde_json::from_str(&push(&site, Some(PUSH_TOKEN), good).await.text()).expect("json");
    assert_eq!(again["unchanged"], 1);
    assert_eq!(again["inserted"], 0);
    // Times in a named zone are kept as the instant they name.
    let h: Value = serde_json::from_str(
        &site
            .get(&format!(
                "/api/v1/calendar/valdoria-gdp-q-q?key={}",
                create_api_key(site.store.as_ref(), "t", ApiKeyKind::Content, None)
                    .await
                    .expect("key")
                    .0
            ))
            .await
            .text(),
    )
    .expect("json");
    assert_eq!(h["next"]["period"], "Q3", "the demo's next one is first");
    let events = site
        .store
        .events(&EventFilter {
            from: Some(Utc::now() + Duration::days(20)),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("events");
    let q4 = events.iter().find(|e| e.period == "Q4").expect("Q4");
    assert_eq!(q4.scheduled.at.to_rfc3339(), "2027-01-15T08:00:00+00:00");
    assert_eq!(q4.values.consensus, Some(0.4));

    // Housing starts are counted in thousands: a plain figure is already in thousands, a
    // letter converts.
    let starts = r#"{"releases": [
        {"indicator": "valdoria-housing-starts", "date": "2027-02-01", "actual": "4.1"},
        {"indicator": "valdoria-housing-starts", "date": "2027-02-02", "actual": "3,900"},
        {"indicator": "valdoria-housing-starts", "date": "2027-02-03", "actual": "3.8K"},
        {"indicator": "valdoria-housing-starts", "date": "2027-02-04", "actual": 4.2}
    ]}"#;
    let r = push(&site, Some(PUSH_TOKEN), starts).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let stored: Vec<Option<f64>> = site
        .store
        .events(&EventFilter {
            from: Some(
                chrono::NaiveDate::from_ymd_opt(2027, 2, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .expect("day")
                    .and_utc(),
            ),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("events")
        .iter()
        .map(|e| e.values.actual)
        .collect();
    assert_eq!(stored, [Some(4.1), Some(3900.0), Some(3.8), Some(4.2)]);

    for (token, body, status) in [
        (None, good, StatusCode::UNAUTHORIZED),
        (Some("wrong"), good, StatusCode::UNAUTHORIZED),
        (Some(PUSH_TOKEN), "{not json", StatusCode::BAD_REQUEST),
        (
            Some(PUSH_TOKEN),
            r#"{"releases": [], "extra": 1}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            Some(PUSH_TOKEN),
            r#"{"releases": [{"indicator": "atlantis-gdp", "date": "2027-01-15"}]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = push(&site, token, body).await;
        assert_eq!(r.status, status, "{body}");
        let expected = if status == StatusCode::UNPROCESSABLE_ENTITY {
            "application/json"
        } else {
            "application/problem+json"
        };
        assert_eq!(r.header("content-type"), expected, "{body}");
    }
}

#[tokio::test]
async fn an_actual_entered_in_the_admin_shows_everywhere_at_once() {
    let site = Site::demo().await;
    let (id, at) = release_now(&site, "valdoria-cpi-y-y", 3.0).await;
    let story = "/article/bank-of-valdoria-holds-rates-at-4-25-but-signals-cut-in-the-new-year";
    // Warm the caches: the release is not out yet.
    let before = site.get("/calendar").await.text();
    assert!(before.contains(&format!(r#"id="release-{id}""#)));
    let home = site.get("/").await.text();
    assert!(
        home.contains(&format!(r#"id="release-{id}""#)),
        "today's module"
    );
    let embed = texts(
        &site.get(story).await.text(),
        ".embed-release .release-actual",
    );
    assert!(embed[0].starts_with("due "), "{embed:?}");

    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let page = editor.get(&site, &format!("/admin/calendar/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let date = at.date_naive().to_string();
    let time = at.format("%H:%M").to_string();
    let form = |actual: &'static str| {
        vec![
            ("actual", actual),
            ("consensus", "3.0"),
            ("previous", "3.1"),
            ("date", date.as_str()),
            ("timing", "exact"),
            ("time", time.as_str()),
            ("period", "Nov"),
            (
                "stories",
                "bank-of-valdoria-holds-rates-at-4-25-but-signals-cut-in-the-new-year",
            ),
        ]
    };
    // A figure that is not one is refused with the reason, and nothing changes.
    let bad = editor
        .post(&site, &format!("/admin/calendar/{id}"), &form("three"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .contains("actual: &quot;three&quot; is not a number"),
        "{}",
        bad.text()
    );
    let saved = editor
        .post(&site, &format!("/admin/calendar/{id}"), &form("3.4%"))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert_eq!(location(&saved), format!("/admin/calendar/{id}?saved=1"));

    let row = |html: &str| texts(html, &format!("#release-{id} .release-actual"));
    assert_eq!(
        row(&site.get("/calendar").await.text()),
        ["3.4% ▲ above the forecast"]
    );
    assert_eq!(
        row(&site.get("/").await.text()),
        ["3.4% ▲ above the forecast"]
    );
    assert_eq!(
        texts(
            &site.get(story).await.text(),
            ".embed-release .release-actual"
        ),
        ["3.4% ▲ above the forecast"]
    );
    // The story is linked, and the version kept.
    let indicator = site.get("/calendar/valdoria-cpi-y-y").await.text();
    assert!(indicator.contains("Bank of Valdoria holds rates"));
    let versions = texts(
        &editor
            .get(&site, &format!("/admin/calendar/{id}"))
            .await
            .text(),
        "table.list tbody tr",
    );
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions[0].contains("admin:editor@example.com") && versions[0].contains("3.4%"));

    // A link to a story that does not exist is refused by name.
    let mut f = form("3.4%");
    f.retain(|(k, _)| *k != "stories");
    f.push(("stories", "no-such-story"));
    let missing = editor
        .post(&site, &format!("/admin/calendar/{id}"), &f)
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.text().contains("no-such-story"));

    // Authors do not edit the calendar.
    let author = member(&site, "author@example.com", Role::Author).await;
    assert_eq!(
        author.get(&site, "/admin/calendar").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn editors_add_indicators_and_releases_with_reasons_for_bad_ones() {
    let site = Site::demo().await;
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let r = editor
        .post(
            &site,
            "/admin/calendar",
            &[
                ("action", "indicator"),
                ("country", "Valdoria"),
                ("title", "Industrial production y/y"),
                ("category", "Industry"),
                ("importance", "medium"),
                ("unit", "%"),
                ("scale", "units"),
                ("decimals", "1"),
                ("instrument", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let bad = editor
        .post(
            &site,
            "/admin/calendar",
            &[
                ("action", "indicator"),
                ("country", "Valdoria"),
                ("title", "X"),
                ("importance", "urgent"),
                ("scale", "units"),
                ("decimals", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("not an importance"));
    let add = |date: &'static str, time: &'static str| {
        vec![
            ("action", "release"),
            ("indicator", "valdoria-industrial-production-y-y"),
            ("date", date),
            ("timing", "exact"),
            ("time", time),
            ("period", "Nov"),
            ("consensus", "1.5"),
            ("previous", "1.2"),
        ]
    };
    let ok = editor
        .post(&site, "/admin/calendar", &add("2027-01-08", "09:00"))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let twice = editor
        .post(&site, "/admin/calendar", &add("2027-01-08", "11:00"))
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.text().contains("already has a release on that day"));
    let no_time = editor
        .post(&site, "/admin/calendar", &add("2027-01-09", ""))
        .await;
    assert_eq!(no_time.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_time.text().contains("needs the time"));
    let page = site
        .get("/calendar/valdoria-industrial-production-y-y")
        .await
        .text();
    assert!(page.contains("Forecast: <strong>1.5%</strong>"), "{page}");
}

#[tokio::test]
async fn a_release_alert_goes_out_once_to_subscribers_who_want_alerts() {
    let site = Site::build_full(
        None,
        true,
        broadsheet_server::Options::default(),
        Some("https://news.example.com"),
    )
    .await;
    let (id, at) = release_now(&site, "valdoria-cpi-y-y", 3.0).await;
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let date = at.date_naive().to_string();
    let time = at.format("%H:%M").to_string();
    let form = vec![
        ("actual", "2.8"),
        ("consensus", "3.0"),
        ("date", date.as_str()),
        ("timing", "exact"),
        ("time", time.as_str()),
        ("alert", "1"),
    ];
    let r = editor
        .post(&site, &format!("/admin/calendar/{id}"), &form)
        .await;
    assert_eq!(
        location(&r),
        format!("/admin/calendar/{id}?saved=1&alerted=1")
    );
    let issue = site
        .store
        .issue_by_key(&format!("calendar:{id}"))
        .await
        .expect("store")
        .expect("an alert issue");
    assert_eq!(issue.subject, "Valdoria CPI y/y: 2.8%");
    assert!(
        issue.content.contains("below the forecast of 3.0%"),
        "{}",
        issue.content
    );
    assert!(
        issue
            .content
            .contains("https://news.example.com/calendar/valdoria-cpi-y-y")
    );
    let again = editor
        .post(&site, &format!("/admin/calendar/{id}"), &form)
        .await;
    assert_eq!(
        location(&again),
        format!("/admin/calendar/{id}?saved=1"),
        "once"
    );
}

#[tokio::test]
async fn the_editor_picks_the_release_a_story_is_about() {
    use crate::newsroom::{form_of, post_form, with};
    let site = Site::demo().await;
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let (release, _) = release_now(&site, "valdoria-gdp-q-q", 0.3).await;
    let story = site
        .store
        .article_by_slug(
            &broadsheet_core::Slug::parse("exporters-report-strongest-order-books-since-2019")
                .expect("slug"),
        )
        .await
        .expect("store")
        .expect("a demo story");
    let form = form_of(&site, &editor, story.id).await;
    let offered = editor
        .get(&site, &format!("/admin/articles/{}", story.id))
        .await
        .text();
    assert!(
        offered.contains(&format!(
            r#"<option value="{release}">Valdoria GDP q/q (Test)"#
        )),
        "the release is offered"
    );
    let saved = post_form(
        &site,
        &editor,
        &format!("/admin/articles/{}", story.id),
        &with(
            &form,
            &[("release", &release.to_string()), ("action", "save")],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = site.get("/calendar/valdoria-gdp-q-q").await.text();
    assert!(
        page.contains("Exporters report strongest order books since 2019"),
        "{page}"
    );
    // Reopened, the choice is shown; a link made from the release's page is kept by a save
    // that does not change the choice.
    let again = form_of(&site, &editor, story.id).await;
    assert!(again.contains(&("release".to_owned(), release.to_string())));
    let other = site
        .store
        .events(&EventFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .expect("events")[0]
        .id;
    site.store
        .set_event_articles(other, &[story.id])
        .await
        .expect("link");
    let kept = post_form(
        &site,
        &editor,
        &format!("/admin/articles/{}", story.id),
        &with(&again, &[("action", "save")]),
    )
    .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    let mut linked = site.store.article_events(story.id).await.expect("links");
    linked.sort_unstable();
    let mut expected = vec![other, release];
    expected.sort_unstable();
    assert_eq!(linked, expected);
    // Choosing none removes only the release the form showed as chosen.
    let shown_form = form_of(&site, &editor, story.id).await;
    let shown: i64 = shown_form
        .iter()
        .find(|(k, _)| k == "release")
        .and_then(|(_, v)| v.parse().ok())
        .expect("a release is shown");
    let cleared = post_form(
        &site,
        &editor,
        &format!("/admin/articles/{}", story.id),
        &with(&shown_form, &[("release", ""), ("action", "save")]),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    let left: Vec<i64> = expected.into_iter().filter(|id| *id != shown).collect();
    assert_eq!(
        site.store.article_events(story.id).await.expect("links"),
        left
    );
}

#[tokio::test]
async fn an_embed_that_names_its_day_keeps_showing_that_release() {
    let site = Site::demo().await;
    let events = site
        .store
        .events(&EventFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("events");
    let cpi = site
        .store
        .indicator_by_slug(&broadsheet_core::Slug::parse("valdoria-cpi-y-y").expect("slug"))
        .await
        .expect("store")
        .expect("indicator");
    // An older release of Valdoria's inflation, with its own figure.
    let old = events
        .iter()
        .filter(|e| e.indicator_id == cpi.id && e.values.actual.is_some())
        .nth(3)
        .expect("an older release");
    let day = old.scheduled.at.date_naive();
    let then = broadsheet_core::calendar::format_value(
        old.values.actual.expect("a figure"),
        "%",
        broadsheet_core::calendar::Scale::Units,
        1,
    );
    let body = format!(
        "Latest:\n\n{{{{event valdoria-cpi-y-y}}}}\n\nThat month:\n\n{{{{event valdoria-cpi-y-y {day}}}}}\n\nNo release that day: {{{{event valdoria-cpi-y-y 1999-01-01}}}}"
    );
    let saved = site
        .store
        .save_article(&crate::pages::article(
            "cal-embed",
            "economy",
            "Inflation then and now",
            &body,
        ))
        .await
        .expect("save");
    let page = site.get(&format!("/article/{}", saved.slug)).await.text();
    let shown = texts(&page, ".embed-release .release-actual");
    assert_eq!(shown.len(), 2, "{page}");
    assert_eq!(shown[0], "3.1% ▼ below the forecast", "the latest figure");
    assert!(shown[1].starts_with(&then), "that day's figure: {shown:?}");
    assert!(
        page.contains("{{event valdoria-cpi-y-y 1999-01-01}}"),
        "a day without a release is left as written"
    );
    // The embeds are blocks of their own, never inside a paragraph.
    assert!(!page.contains("<p><aside"), "{page}");
}
