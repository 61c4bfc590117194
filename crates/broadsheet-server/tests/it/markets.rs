//! The market strip on every page, the markets page, instrument pages and CSV download.

use broadsheet_core::{Bar, InstrumentKind, NewInstrument, Symbol};
use http::StatusCode;
use scraper::{Html, Selector};

use crate::support::Site;

fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(css).expect("selector"))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn every_page_carries_the_strip_with_direction_in_words() {
    let site = Site::demo().await;
    for path in [
        "/",
        "/section/markets",
        "/article/copper-hits-18-month-high-on-supply-worries",
        "/search?q=copper",
        "/nope",
    ] {
        let html = site.get(path).await.text();
        let names = texts(&html, ".market-strip .q-name");
        assert_eq!(
            names,
            [
                "Carrow 40",
                "Euro / crown",
                "Brent crude",
                "Gold",
                "Valdoria 10-year yield"
            ],
            "{path}"
        );
        let spoken = texts(&html, ".market-strip .q-change .visually-hidden");
        assert!(
            spoken
                .iter()
                .all(|s| s.starts_with(", up ") || s.starts_with(", down ") || s == ", unchanged"),
            "{path}: {spoken:?}"
        );
    }
    let html = site.get("/").await.text();
    assert!(
        texts(&html, ".market-strip .q-value").contains(&"8,412.6".to_owned()),
        "the value the stories quote"
    );
}

#[tokio::test]
async fn the_markets_page_groups_instruments_with_sparklines() {
    let site = Site::demo().await;
    let r = site.get("/markets").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert_eq!(
        texts(&html, ".market-group h2"),
        ["Indices", "Currencies", "Commodities", "Bonds"]
    );
    assert_eq!(texts(&html, ".market-table tbody tr").len(), 5);
    let doc = Html::parse_document(&html);
    let sparks: Vec<_> = doc
        .select(&Selector::parse("svg.sparkline").expect("sel"))
        .collect();
    assert_eq!(sparks.len(), 5);
    assert!(
        sparks
            .iter()
            .all(|s| s.value().attr("aria-hidden") == Some("true"))
    );
}

#[tokio::test]
async fn an_instrument_page_has_an_accessible_chart_ranges_and_history() {
    let site = Site::demo().await;
    let html = site.get("/markets/car40").await.text();
    assert_eq!(texts(&html, "h1")[0], "Carrow 40 CAR40");
    let doc = Html::parse_document(&html);
    let svg = doc
        .select(&Selector::parse("figure svg.chart").expect("sel"))
        .next()
        .expect("chart");
    assert_eq!(svg.value().attr("role"), Some("img"));
    assert!(texts(&html, "svg.chart title")[0].contains("Carrow 40 (CAR40), daily close, 1Y"));
    assert!(texts(&html, "svg.chart desc")[0].contains("to 8,412.6 on"));
    assert_eq!(
        texts(&html, ".range-links a, .range-links span"),
        ["1M", "6M", "1Y", "5Y", "Max"]
    );
    assert_eq!(texts(&html, ".range-links [aria-current]"), ["1Y"]);
    assert_eq!(texts(&html, ".ranges dt"), ["Day range", "52-week range"]);
    let data_rows = texts(&html, "details.chart-data tbody tr");
    assert!((50..=61).contains(&data_rows.len()), "{}", data_rows.len());
    assert!(
        data_rows.last().is_some_and(|r| r.ends_with("8,412.6")),
        "{data_rows:?}"
    );
    assert_eq!(
        texts(&html, "section table.market-table tbody tr").len(),
        10
    );
    let month = site.get("/markets/CAR40?range=1m").await.text();
    assert!(texts(&month, "svg.chart title")[0].ends_with("1M"));
    assert_eq!(
        site.get("/markets/CAR40?range=2X").await.status,
        StatusCode::BAD_REQUEST
    );
    for missing in [
        "/markets/NOPE",
        "/markets/%3Cscript%3E",
        "/markets/a%20b",
        "/markets/NOPE/data.csv",
    ] {
        assert_eq!(
            site.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    let csv = site.get("/markets/BRENT/data.csv").await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=\"BRENT.csv\""
    );
    let text = csv.text();
    assert!(text.starts_with("date,open,high,low,close,volume\n"));
    assert!(
        text.trim_end().ends_with(",73.6,"),
        "last close, no volume: {}",
        text.lines().last().unwrap_or("")
    );
    assert!(text.lines().count() > 1200);
}

#[tokio::test]
async fn new_prices_refresh_the_strip_and_old_ones_are_marked_with_their_date() {
    let site = Site::demo().await;
    let before = site.get("/").await.text();
    assert!(!texts(&before, ".market-strip .q-value").contains(&"9,999.0".to_owned()));
    let car40 = site
        .store
        .instrument_by_symbol(&Symbol::parse("CAR40").expect("s"))
        .await
        .expect("read")
        .expect("car40");
    let today = chrono::Utc::now().date_naive();
    let bar = Bar {
        date: today,
        open: None,
        high: None,
        low: None,
        close: 9999.0,
        volume: None,
    };
    site.store
        .save_bars(car40.id, &[bar], "test")
        .await
        .expect("save");
    site.state.sync_changes().await.expect("sync");
    let after = site.get("/").await.text();
    assert!(texts(&after, ".market-strip .q-value").contains(&"9,999.0".to_owned()));

    let old = site
        .store
        .upsert_instrument(&NewInstrument {
            symbol: Symbol::parse("OLDIDX").expect("s"),
            name: "Old index".into(),
            kind: InstrumentKind::Index,
            unit: String::new(),
            decimals: 2,
            group: "Indices".into(),
            position: 9,
            in_ticker: true,
        })
        .await
        .expect("instrument");
    let ten_days_ago = today - chrono::Duration::days(10);
    site.store
        .save_bars(
            old.id,
            &[Bar {
                date: ten_days_ago,
                open: None,
                high: None,
                low: None,
                close: 100.0,
                volume: None,
            }],
            "test",
        )
        .await
        .expect("save");
    site.state.sync_changes().await.expect("sync");
    let page = site.get("/section/politics").await.text();
    let stale = texts(&page, ".market-strip .q-stale");
    assert_eq!(stale, [format!("as of {ten_days_ago}")]);
}

#[tokio::test]
async fn stories_embed_live_quotes_and_charts() {
    let site = Site::demo().await;
    let html = site
        .get("/article/carrow-40-closes-at-record-as-rate-cut-hopes-lift-banks-and-builders")
        .await
        .text();
    assert!(!html.contains("{{chart"), "the tag is expanded");
    assert_eq!(
        texts(&html, ".story-body figure.embed-chart svg title"),
        ["Carrow 40 (CAR40), daily close, 6M"]
    );
    let crown = site
        .get("/article/crown-slips-against-euro-after-central-bank-s-dovish-signal")
        .await
        .text();
    assert_eq!(
        texts(&crown, ".story-body .embed-quote .q-name"),
        ["Euro / crown"]
    );
    assert_eq!(
        texts(&crown, ".story-body .embed-quote .q-value"),
        ["11.3200"]
    );
    // A new price reaches the cached story.
    let eur = site
        .store
        .instrument_by_symbol(&Symbol::parse("EURVDC").expect("s"))
        .await
        .expect("read")
        .expect("i");
    let today = chrono::Utc::now().date_naive();
    site.store
        .save_bars(
            eur.id,
            &[Bar {
                date: today,
                open: None,
                high: None,
                low: None,
                close: 11.5,
                volume: None,
            }],
            "test",
        )
        .await
        .expect("save");
    site.state.sync_changes().await.expect("sync");
    let crown = site
        .get("/article/crown-slips-against-euro-after-central-bank-s-dovish-signal")
        .await
        .text();
    assert_eq!(
        texts(&crown, ".story-body .embed-quote .q-value"),
        ["11.5000"]
    );
    // Unknown instruments and look-alike text stay as written.
    let a = crate::pages::article(
        "emb-1",
        "markets",
        "Braces",
        "Unknown {{quote NOSUCH}} and {{chart GOLD 2W}} and {{ not a tag",
    );
    let saved = site.store.save_article(&a).await.expect("save");
    let html = site.get(&format!("/article/{}", saved.slug)).await.text();
    assert!(
        html.contains("{{quote NOSUCH}}")
            && html.contains("{{chart GOLD 2W}}")
            && html.contains("{{ not a tag"),
        "{html}"
    );
}

async fn push(site: &Site, token: Option<&str>, body: Vec<u8>) -> crate::support::Reply {
    let mut req =
        http::Request::post("/api/market/quotes").header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    site.request(req.body(axum::body::Body::from(body)).expect("request"))
        .await
}

#[tokio::test]
async fn a_vendor_pushes_quotes_with_a_token() {
    let site = Site::demo().await;
    let today = chrono::Utc::now().date_naive();
    let body = serde_json::json!({"quotes": [
        {"symbol": "BRENT", "date": today, "close": 75.25, "high": 76.0, "low": 74.1},
        {"symbol": "gold", "date": today, "close": 2400.5},
        {"symbol": "NOSUCH", "date": today, "close": 1.0},
        {"symbol": "CAR40", "date": today, "close": -5.0},
        {"symbol": "CAR40", "date": "2999-01-01", "close": 5.0},
        {"symbol": "<b>", "date": today, "close": 5.0},
    ]});
    let r = push(
        &site,
        Some(crate::support::PUSH_TOKEN),
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["accepted"], 2);
    let errors: Vec<(u64, String)> = v["rejected"]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| {
            (
                x["index"].as_u64().unwrap_or(99),
                x["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "unknown symbol".to_owned()),
            (
                3,
                "invalid close: -5 is negative; index values cannot be".to_owned()
            ),
            (4, "invalid date: 2999-01-01 is in the future".to_owned()),
            (5, "not a symbol".to_owned()),
        ]
    );
    let html = site.get("/").await.text();
    assert!(
        texts(&html, ".market-strip .q-value").contains(&"75.25".to_owned()),
        "the strip shows the pushed price"
    );
    let page = site.get("/markets/BRENT").await.text();
    let meta = texts(&page, ".instrument-quote .meta")[0].clone();
    assert!(meta.contains("from push") && meta.contains("UTC"), "{meta}");
    assert!(texts(&html, ".market-strip .q-value").contains(&"2,400.50".to_owned()));
}

#[tokio::test]
async fn pushes_without_the_right_token_or_in_bad_shape_are_refused_as_problems() {
    let site = Site::demo().await;
    let ok_body = br#"{"quotes": []}"#.to_vec();
    for (token, status) in [(None, 401), (Some("wrong"), 401), (Some(""), 401)] {
        let r = push(&site, token, ok_body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{token:?}");
        assert_eq!(r.header("content-type"), "application/problem+json");
        assert_eq!(r.header("www-authenticate"), "Bearer");
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("problem json");
        assert_eq!(v["status"], 401);
    }
    let token = Some(crate::support::PUSH_TOKEN);
    let big = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(
        push(&site, token, big).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    for bad in [
        &b"{not json"[..],
        br#"{"quotes": [{"symbol": "GOLD"}]}"#,
        br#"{"quotes": [], "extra": 1}"#,
        br#"{"quotes": [{"symbol": "GOLD", "date": "yesterday", "close": 1}]}"#,
    ] {
        let r = push(&site, token, bad.to_vec()).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(bad)
        );
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("problem json");
        assert!(
            v["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("the body is not a valid push")),
            "{v}"
        );
    }
    let none_good = push(
        &site,
        token,
        br#"{"quotes": [{"symbol": "NOSUCH", "date": "2020-01-01", "close": 1}]}"#.to_vec(),
    )
    .await;
    assert_eq!(none_good.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The vendor gets the reasons, not the site's error page.
    assert_eq!(none_good.header("content-type"), "application/json");
    assert!(
        none_good.text().contains(r#""rejected":["#),
        "{}",
        none_good.text()
    );
    // A site without a token configured accepts no pushes at all.
    let closed = Site::build_with(None, true, broadsheet_server::Options::default()).await;
    let r = push(&closed, Some(""), ok_body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&r.body).contains("not enabled"));
}

/// A price source on loopback: CSV, JSON, garbage, an error status and one that never answers.
async fn price_source() -> String {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/csv/{name}",
            get(
                |axum::extract::Path(name): axum::extract::Path<String>| async move {
                    let today = chrono::Utc::now().date_naive();
                    match name.as_str() {
                        "brent" => format!("date,price\n{today},77.77\n"),
                        _ => "date,price\n".to_owned(),
                    }
                },
            ),
        )
        .route(
            "/json/{name}",
            get(|| async {
                let today = chrono::Utc::now().date_naive();
                format!(r#"{{"data": [{{"d": "{today}", "last": 2500.25}}]}}"#)
            }),
        )
        .route(
            "/garbage/{name}",
            get(|| async { "<html>maintenance</html>" }),
        )
        .route(
            "/down/{name}",
            get(|| async { (http::StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .route(
            "/slow/{name}",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn provider(
    name: &str,
    url: String,
    format: &str,
    symbols: &[(&str, &str)],
) -> broadsheet_app::providers::HttpProvider {
    let toml = format!(
        "name = \"{name}\"\nurl = \"{url}\"\nformat = \"{format}\"\ntimeout_secs = 1\nallow_private = true\n[symbols]\n{}\n[json]\npointer = \"/data\"\ndate = \"d\"\nclose = \"last\"\n",
        symbols
            .iter()
            .map(|(a, b)| format!("{a} = \"{b}\""))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let config: broadsheet_app::providers::ProviderConfig = toml::from_str(&toml).expect("config");
    broadsheet_app::providers::HttpProvider::new(config).expect("provider")
}

#[tokio::test]
async fn providers_poll_a_local_source_and_survive_its_failures() {
    use broadsheet_app::providers::poll_once;
    let site = Site::demo().await;
    let base = price_source().await;

    let csv = provider(
        "vendor-csv",
        format!("{base}/csv/{{symbol}}"),
        "csv",
        &[("BRENT", "brent"), ("NOSUCH", "brent"), ("GOLD", "empty")],
    );
    let report = poll_once(&site.state, &csv).await;
    assert_eq!(report.saved, 1);
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.starts_with("NOSUCH: unknown symbol"))
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.starts_with("GOLD: ") && e.contains("no usable quotes"))
    );
    let json = provider(
        "vendor-json",
        format!("{base}/json/{{symbol}}"),
        "json",
        &[("GOLD", "xau")],
    );
    assert_eq!(
        poll_once(&site.state, &json).await,
        broadsheet_app::providers::PollReport {
            saved: 1,
            errors: vec![]
        }
    );
    let html = site.get("/").await.text();
    let values = texts(&html, ".market-strip .q-value");
    assert!(
        values.contains(&"77.77".to_owned()) && values.contains(&"2,500.25".to_owned()),
        "{values:?}"
    );

    for (path, expect) in [
        ("garbage", "needs at least two columns"),
        ("down", "503"),
        ("slow", "timed out"),
    ] {
        let p = provider(
            path,
            format!("{base}/{path}/{{symbol}}"),
            "csv",
            &[("BRENT", "brent")],
        );
        let report = poll_once(&site.state, &p).await;
        assert_eq!(report.saved, 0, "{path}");
        assert_eq!(report.errors.len(), 1, "{path}: {:?}", report.errors);
        assert!(
            report.errors[0].contains(expect),
            "{path}: {:?}",
            report.errors
        );
    }
    let after = texts(&site.get("/").await.text(), ".market-strip .q-value");
    assert!(
        after.contains(&"77.77".to_owned()),
        "the last good value stays"
    );
    // The same source without the operator's `allow_private` is refused: it is on loopback.
    let private: broadsheet_app::providers::ProviderConfig = toml::from_str(&format!(
        "name = \"loopback\"\nurl = \"{base}/csv/{{symbol}}\"\n[symbols]\nBRENT = \"brent\"\n"
    ))
    .expect("config");
    let report = poll_once(
        &site.state,
        &broadsheet_app::providers::HttpProvider::new(private).expect("provider"),
    )
    .await;
    assert_eq!(report.saved, 0);
    assert!(
        report.errors.len() == 1 && report.errors[0].contains("private or loopback"),
        "{:?}",
        report.errors
    );
    assert!(
        broadsheet_app::providers::HttpProvider::new(
            toml::from_str("name = \"x\"\nurl = \"file:///etc/passwd\"\n[symbols]\nA = \"a\"\n")
                .expect("config")
        )
        .is_err(),
        "only http(s) URLs with {{symbol}}"
    );
}

#[tokio::test]
async fn a_story_lists_the_instruments_it_concerns_with_their_values() {
    let site = Site::demo().await;
    let html = site
        .get("/article/bank-of-valdoria-holds-rates-at-4-25-but-signals-cut-in-the-new-year")
        .await
        .text();
    assert_eq!(
        texts(&html, ".story-markets .q-name"),
        ["Valdoria 10-year yield", "Euro / crown", "Carrow 40"]
    );
    assert_eq!(texts(&html, ".story-markets .q-value")[2], "8,412.6");
    let plain = site
        .get("/article/copper-hits-18-month-high-on-supply-worries")
        .await
        .text();
    assert!(
        texts(&plain, ".story-markets").is_empty(),
        "no box without instruments"
    );
}
