//! `broadsheet market import`: every CSV in ../shared/data/market loads in its own layout, with
//! counts and spot values checked by hand against the files; bad rows are reported by line.

use std::path::PathBuf;

use broadsheet_core::Symbol;
use broadsheet_store::{Market, SqliteStore};
use chrono::NaiveDate;

use crate::support::{run, stderr, stdout};

fn market_dir() -> Option<PathBuf> {
    crate::support::shared_data("market corpus test").map(|d| d.join("market"))
}

async fn close(store: &SqliteStore, symbol: &str, day: &str) -> Option<f64> {
    let i = store
        .instrument_by_symbol(&Symbol::parse(symbol).expect("symbol"))
        .await
        .expect("read")?;
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("day");
    store
        .bars(i.id, Some(d), Some(d))
        .await
        .expect("bars")
        .first()
        .map(|b| b.close)
}

#[tokio::test]
async fn every_shared_market_csv_imports_in_its_own_layout() {
    let Some(market) = market_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    // (file, extra flags, bars, instruments) — bars counted independently from the files:
    // rows with a value in the price column (or cells, for the wide file).
    let files: &[(&str, &[&str], usize, usize)] = &[
        (
            "commodities/gold_annual.csv",
            &["--kind", "commodity", "--symbol", "GOLD_Y"],
            192,
            1,
        ),
        (
            "commodities/gold_monthly.csv",
            &["--kind", "commodity", "--symbol", "GOLD"],
            2322,
            1,
        ),
        (
            "commodities/oil_brent_daily.csv",
            &[
                "--kind",
                "commodity",
                "--symbol",
                "BRENT",
                "--unit",
                "USD/bbl",
            ],
            9958,
            1,
        ),
        (
            "commodities/oil_brent_weekly.csv",
            &["--kind", "commodity", "--symbol", "BRENT_W"],
            2049,
            1,
        ),
        (
            "commodities/oil_brent_monthly.csv",
            &["--kind", "commodity", "--symbol", "BRENT_M"],
            471,
            1,
        ),
        (
            "commodities/oil_brent_year.csv",
            &["--kind", "commodity", "--symbol", "BRENT_Y"],
            39,
            1,
        ),
        (
            "commodities/oil_wti_daily.csv",
            &["--kind", "commodity", "--symbol", "WTI"],
            10226,
            1,
        ),
        (
            "commodities/oil_wti_weekly.csv",
            &["--kind", "commodity", "--symbol", "WTI_W"],
            2120,
            1,
        ),
        (
            "commodities/oil_wti_monthly.csv",
            &["--kind", "commodity", "--symbol", "WTI_M"],
            487,
            1,
        ),
        (
            "commodities/oil_wti_year.csv",
            &["--kind", "commodity", "--symbol", "WTI_Y"],
            40,
            1,
        ),
        (
            "equities/yahoo_AAPL_daily_ohlcv_2010-2015.csv",
            &["--kind", "stock", "--symbol", "AAPL"],
            1259,
            1,
        ),
        (
            "equities/yahoo_AMZN_daily_ohlcv_2010-2015.csv",
            &["--kind", "stock", "--symbol", "AMZN"],
            1259,
            1,
        ),
        (
            "equities/yahoo_FB_daily_ohlcv_2010-2015.csv",
            &["--kind", "stock", "--symbol", "FB"],
            784,
            1,
        ),
        (
            "equities/yahoo_GOOGL_daily_ohlcv_2010-2015.csv",
            &["--kind", "stock", "--symbol", "GOOGL"],
            1259,
            1,
        ),
        (
            "equities/yahoo_IBM_daily_ohlcv_2010-2015.csv",
            &["--kind", "stock", "--symbol", "IBM"],
            1259,
            1,
        ),
        (
            "equities/yahoo_MSFT_daily_ohlcv_2010-2015.csv",
            &["--kind", "stock", "--symbol", "MSFT"],
            1259,
            1,
        ),
        (
            "equities/yahoo_ORCL_daily_ohlcv_2010-2015.csv",
            &["--kind", "stock", "--symbol", "ORCL"],
            1259,
            1,
        ),
        (
            "fx/fx_annual_long.csv",
            &[
                "--kind",
                "currency",
                "--layout",
                "long",
                "--symbol-prefix",
                "USDA_",
            ],
            993,
            21,
        ),
        (
            "fx/fx_daily_wide_per_usd_1971-2017.csv",
            &[
                "--kind",
                "currency",
                "--layout",
                "wide",
                "--symbol-prefix",
                "USD_",
            ],
            217_806,
            22,
        ),
        (
            "fx/fx_monthly_long_1971-2026.csv",
            &[
                "--kind",
                "currency",
                "--layout",
                "long",
                "--symbol-prefix",
                "USDM_",
            ],
            17_237,
            34,
        ),
        (
            "indices/sp500_daily_fred_2016-2026.csv",
            &["--kind", "index", "--symbol", "SPX"],
            2514,
            1,
        ),
        (
            "indices/sp500_monthly_shiller_1871-2026.csv",
            &["--kind", "index", "--symbol", "SPX_M", "--skip-zero"],
            1866,
            1,
        ),
        (
            "indices/vix_daily_ohlc_1990-2026.csv",
            &["--kind", "index", "--symbol", "VIX"],
            9235,
            1,
        ),
        (
            "indices/vix_monthly_1990-2026.csv",
            &["--kind", "index", "--symbol", "VIX_M"],
            439,
            1,
        ),
        (
            "indices/yahoo_DJI_daily_ohlcv_2010-2015.csv",
            &["--kind", "index", "--symbol", "DJI"],
            1259,
            1,
        ),
        (
            "indices/yahoo_GSPC_daily_ohlcv_2010-2015.csv",
            &["--kind", "index", "--symbol", "GSPC"],
            1259,
            1,
        ),
        (
            "indices/yahoo_IXIC_daily_ohlcv_2010-2015.csv",
            &["--kind", "index", "--symbol", "IXIC"],
            1259,
            1,
        ),
    ];
    let on_disk = std::fs::read_dir(market.join("commodities"))
        .expect("dir")
        .count()
        + ["equities", "fx", "indices"]
            .iter()
            .map(|d| std::fs::read_dir(market.join(d)).expect("dir").count())
            .sum::<usize>();
    assert_eq!(files.len(), on_disk, "every shared CSV is covered");
    for (file, flags, bars, instruments) in files {
        let path = market.join(file);
        let mut args = vec!["market", "import", path.to_str().expect("path")];
        args.extend_from_slice(flags);
        let out = run(&args, dir.path());
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let expected = format!(
            "imported {bars} bars for {instruments} instruments ({bars} new, 0 updated, 0 unchanged)"
        );
        assert!(
            stdout(&out).starts_with(&expected),
            "{file}: {}",
            stdout(&out)
        );
    }
    // Spot values, read off the files by hand.
    let store = SqliteStore::open(&dir.path().join("broadsheet.db"))
        .await
        .expect("open");
    for (symbol, day, value) in [
        ("BRENT", "2008-07-03", 143.95),
        ("WTI", "2020-04-20", -36.98),
        ("AAPL", "2015-07-01", 126.599998),
        ("USD_JAPAN", "1971-01-04", 357.73),
        ("USDM_EURO", "2026-01-01", 0.8515),
        ("VIX", "1990-01-02", 17.24),
        ("GOLD", "2008-10-01", 807.0),
        ("SPX", "2026-02-11", 6941.47),
    ] {
        assert_eq!(
            close(&store, symbol, day).await,
            Some(value),
            "{symbol} {day}"
        );
    }
    assert_eq!(
        close(&store, "SPX", "2016-02-15").await,
        None,
        "a holiday stays a gap"
    );
    let aapl = store
        .instrument_by_symbol(&Symbol::parse("AAPL").expect("s"))
        .await
        .expect("read")
        .expect("aapl");
    let first = store.bars(aapl.id, None, None).await.expect("bars")[0];
    assert_eq!(
        (first.date.to_string(), first.volume),
        ("2010-07-01".to_owned(), Some(255_724_000.0)),
        "newest-first file stored oldest first"
    );

    let brent = store
        .instrument_by_symbol(&Symbol::parse("BRENT").expect("s"))
        .await
        .expect("read")
        .expect("brent");
    assert!(
        !brent.in_ticker,
        "imports stay out of the strip unless asked"
    );
    let path = market.join("commodities/oil_brent_daily.csv");
    let out = run(
        &[
            "market",
            "import",
            path.to_str().expect("path"),
            "--kind",
            "commodity",
            "--symbol",
            "BRENT",
            "--ticker",
            "--position",
            "3",
            "--group",
            "Energy",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let brent = store
        .instrument_by_symbol(&Symbol::parse("BRENT").expect("s"))
        .await
        .expect("read")
        .expect("brent");
    assert_eq!(
        (brent.in_ticker, brent.position, brent.group.as_str()),
        (true, 3, "Energy")
    );

    // Importing again changes nothing.
    let path = market.join("commodities/oil_brent_daily.csv");
    let again = run(
        &[
            "market",
            "import",
            path.to_str().expect("path"),
            "--kind",
            "commodity",
            "--symbol",
            "BRENT",
        ],
        dir.path(),
    );
    assert!(
        stdout(&again)
            .starts_with("imported 9958 bars for 1 instruments (0 new, 0 updated, 9958 unchanged)"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn bad_rows_are_reported_by_line_and_good_rows_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "Date,Open,High,Low,Close\n2020-01-02,10,11,9,10.5\n2020-01-03,10,11,9,abc\nnot a date,1,1,1,1\n2020-01-06,1,1,1,-4\n2020-01-02,1,1,1,1\n2999-01-01,1,1,1,1\n2020-01-07,5,4,6,5\n2020-01-08,,,,\n2020-01-09,1,2,1,1.5\n",
    )
    .expect("write");
    let file = csv.to_str().expect("path");
    let out = run(
        &[
            "market", "import", file, "--kind", "index", "--symbol", "TEST",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    for expected in [
        "line 3: Close: \"abc\" is not a number",
        "line 4: Date: \"not a date\" is not a date",
        "line 5: invalid close: -4 is negative; index values cannot be",
        "line 6: duplicate date 2020-01-02 (first on line 2)",
        "line 7: invalid date: 2999-01-01 is in the future",
        "line 8: invalid high: 4 is below the low 6",
    ] {
        assert!(err.contains(expected), "{expected:?} in\n{err}");
    }
    assert!(stdout(&out).starts_with("imported 2 bars for 1 instruments (2 new, 0 updated, 0 unchanged), 1 empty cells skipped, 6 rows rejected"), "{}", stdout(&out));

    let missing_kind = run(&["market", "import", file, "--symbol", "TEST"], dir.path());
    assert!(
        stderr(&missing_kind).starts_with("error: --kind is required"),
        "{}",
        stderr(&missing_kind)
    );
    let wrong_column = run(
        &[
            "market",
            "import",
            file,
            "--kind",
            "index",
            "--symbol",
            "T",
            "--close-column",
            "Price",
        ],
        dir.path(),
    );
    assert!(
        stderr(&wrong_column)
            .contains("no column \"Price\" (the header has: Date, Open, High, Low, Close)"),
        "{}",
        stderr(&wrong_column)
    );
    let bad_symbol = run(
        &[
            "market", "import", file, "--kind", "index", "--symbol", "<b>",
        ],
        dir.path(),
    );
    assert!(
        stderr(&bad_symbol).contains("is not a symbol"),
        "{}",
        stderr(&bad_symbol)
    );
    let mapping = dir.path().join("m.toml");
    std::fs::write(
        &mapping,
        "[columns]\nclose = \"Open\"\n[instrument]\nsymbol = \"OPENS\"\nkind = \"index\"\n",
    )
    .expect("write");
    let mapped = run(
        &[
            "market",
            "import",
            file,
            "--mapping",
            mapping.to_str().expect("path"),
        ],
        dir.path(),
    );
    assert!(
        stdout(&mapped).starts_with("imported 4 bars"),
        "{}\n{}",
        stdout(&mapped),
        stderr(&mapped)
    );
}
