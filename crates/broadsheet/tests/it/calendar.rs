//! `broadsheet calendar import` against the real binary: a CSV and an iCalendar file land with
//! a reason for every bad row, importing again changes nothing, and a server already running
//! shows the imported figures within seconds (it learns of them from the change log).

use std::time::{Duration, Instant};

use crate::support::{http_get, run, serve, stderr, stdout};

const CSV: &str = "\
Date;Time;Country;Event;Importance;Period;Actual;Forecast;Previous
08.12.2026;08:00;Valdoria;CPI y/y;High;Nov;3,4%;3,0%;3,1%
08.12.2026;08:00;Valdoria;CPI y/y;High;Nov;3,4%;3,0%;3,1%
09.12.2026;14:30;Valdoria;Retail sales m/m;medium;Nov;—;0,2%;-0,6%
10.12.2026;All Day;Valdoria;Bank holiday;low;;;;
31.02.2026;08:00;Valdoria;GDP q/q;High;Q3;0,3;;
11.12.2026;08:00;Valdoria;Payrolls;High;Nov;215K;lots;190K
";

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Vendor//EN\r\n\
BEGIN:VEVENT\r\nUID:est-cpi-nov@vendor\r\nDTSTART;TZID=Europe/Berlin:20261211T080000\r\n\
SUMMARY:Estmark: CPI y/y (Nov)\r\nDESCRIPTION:Forecast: 3.4%\\nPrevious: 3\r\n .6%\r\nPRIORITY:1\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly@vendor\r\nDTSTART:20261210T133000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Estmark: Jobless claims\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[test]
fn csv_and_ics_files_import_with_reasons_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let csv = dir.path().join("calendar.csv");
    std::fs::write(&csv, CSV).expect("write");
    let ics = dir.path().join("vendor.ics");
    std::fs::write(&ics, ICS).expect("write");
    // A server already running learns of the import from the change log.
    let server = serve(&data, &[]);
    let (status, _) = http_get(&server.addr, "/calendar/valdoria-cpi-y-y");
    assert_eq!(status, 404);

    let out = run(
        &[
            "calendar",
            "import",
            csv.to_str().expect("path"),
            "--timezone",
            "Europe/London",
        ],
        &data,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("line 3: repeats line 2; skipped"), "{err}");
    assert!(
        err.contains("line 6: \"31.02.2026\" is not a date"),
        "{err}"
    );
    assert!(
        err.contains("line 7: consensus: \"lots\" is not a number"),
        "{err}"
    );
    assert!(
        stdout(&out)
            .contains("imported 3 releases (3 new, 0 updated, 0 unchanged; 3 new indicators)"),
        "{}",
        stdout(&out)
    );
    let again = run(
        &[
            "calendar",
            "import",
            csv.to_str().expect("path"),
            "--timezone",
            "Europe/London",
        ],
        &data,
    );
    assert!(
        stdout(&again).contains("(0 new, 0 updated, 3 unchanged; 0 new indicators)"),
        "{}",
        stdout(&again)
    );

    let ics_out = run(&["calendar", "import", ics.to_str().expect("path")], &data);
    assert_eq!(ics_out.status.code(), Some(3));
    assert!(stderr(&ics_out).contains("RRULE"), "{}", stderr(&ics_out));
    assert!(stdout(&ics_out).contains("imported 1 releases (1 new"));

    // The running server shows the figures within seconds, in the site's zone (UTC): 08:00
    // in London in December is 08:00 UTC; 08:00 in Berlin is 07:00 UTC.
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let (status, body) = http_get(&server.addr, "/calendar/valdoria-cpi-y-y");
        if status == 200 || Instant::now() > deadline {
            break body;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        page.contains("<strong>3.4%</strong>") && page.contains("surprise-above"),
        "{page}"
    );
    let (_, week) = http_get(&server.addr, "/calendar?date=2026-12-08&country=estmark");
    assert!(
        week.contains("<time datetime=\"2026-12-11T07:00:00Z\">07:00</time>"),
        "{week}"
    );
    assert!(week.contains("3.6%"), "a folded line read whole");

    let missing = run(&["calendar", "import", "/nonexistent.csv"], &data);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read /nonexistent.csv"));
    let no_columns = dir.path().join("bad.csv");
    std::fs::write(&no_columns, "When,What\n2026-12-08,x\n").expect("write");
    let bad = run(
        &["calendar", "import", no_columns.to_str().expect("path")],
        &data,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("no date column"), "{}", stderr(&bad));
}
