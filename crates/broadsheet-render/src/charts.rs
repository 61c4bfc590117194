//! Charts drawn on the server as SVG: no script, crisp at any width (viewBox), and accessible
//! (role="img" with a title and a description; pages add the data as a table).

use std::fmt::Write;

use chrono::NaiveDate;

use broadsheet_core::html::escape;

fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    // A flat series still gets some height.
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        hi.abs().max(1.0) * 0.01
    };
    Some((lo - pad, hi + pad))
}

/// A small trend line for a table row; decorative (the row states the numbers).
pub fn sparkline(values: &[f64], width: u32, height: u32) -> String {
    let Some((lo, hi)) = bounds(values.iter().copied()) else {
        return String::new();
    };
    let n = values.len().max(2) - 1;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * f64::from(width) / n as f64,
                (hi - v) / (hi - lo) * f64::from(height)
            )
        })
        .collect();
    let rising = values.last() >= values.first();
    format!(
        r#"<svg class="sparkline {dir}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-hidden="true" focusable="false"><polyline points="{pts}" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/></svg>"#,
        dir = if rising { "up" } else { "down" },
        pts = points.join(" ")
    )
}

/// 8412.6 -> "8,412.60" with `decimals` places.
pub fn format_number(v: f64, decimals: u8) -> String {
    let s = format!("{:.*}", usize::from(decimals), v.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Value-axis ticks at round numbers (1, 2 or 5 × 10ⁿ apart) inside `lo..=hi`: the widest
/// spacing that gives nearest five of them (three to eight), and the decimals their labels
/// need.
pub fn value_ticks(lo: f64, hi: f64) -> (Vec<f64>, u8) {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (Vec::new(), 0);
    }
    // A little slack so that 0.0013 / 0.0001 counts as 13, not 12.999….
    let span = |step: f64| {
        (
            (lo / step - 1e-9).ceil() as i64,
            (hi / step + 1e-9).floor() as i64,
        )
    };
    // The spacing whose tick count is nearest five; of two as near, the wider.
    let top = (hi - lo).log10().floor() as i32;
    let mut step = 10f64.powi(top - 2);
    let mut best = i64::MAX;
    for k in (top - 2)..=(top + 1) {
        for m in [1.0, 2.0, 5.0] {
            let candidate = m * 10f64.powi(k);
            let (a, b) = span(candidate);
            let miss = (b - a + 1 - 5).abs();
            if miss <= best {
                best = miss;
                step = candidate;
            }
        }
    }
    let (first, last) = span(step);
    let ticks = (first..=last)
        // `i * step` keeps round values round (no accumulated error); + 0.0 turns -0 into 0.
        .map(|i| i as f64 * step + 0.0)
        .collect();
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as u8;
    (ticks, decimals)
}

/// How far apart the date ticks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateStep {
    Weeks(u32),
    Months(u32),
    Years(i32),
}

/// Date-axis ticks at calendar boundaries (Mondays, the first of a month or quarter, the first
/// of a year or decade) strictly after `first` and up to `last`: the smallest interval that
/// gives at most six, with their labels.
pub fn date_ticks(first: NaiveDate, last: NaiveDate) -> (DateStep, Vec<(NaiveDate, String)>) {
    use chrono::Datelike;
    const MAX: usize = 6;
    let candidates = [
        DateStep::Weeks(1),
        DateStep::Weeks(2),
        DateStep::Months(1),
        DateStep::Months(2),
        DateStep::Months(3),
        DateStep::Months(6),
        DateStep::Years(1),
        DateStep::Years(2),
        DateStep::Years(5),
        DateStep::Years(10),
        DateStep::Years(20),
        DateStep::Years(50),
        DateStep::Years(100),
    ];
    let ticks_for = |step: DateStep| -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut d = match step {
            DateStep::Weeks(_) => {
                first
                    + chrono::Duration::days(i64::from(7 - first.weekday().num_days_from_monday()))
            }
            DateStep::Months(k) => {
                let m0 = first.year() * 12 + first.month0() as i32 + 1;
                let m = m0 + (k as i32 - m0.rem_euclid(k as i32)) % k as i32;
                NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1)
                    .unwrap_or(last)
            }
            DateStep::Years(k) => {
                let y = first.year() + 1;
                let y = y + (k - y.rem_euclid(k)) % k;
                NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(last)
            }
        };
        while d <= last && out.len() <= MAX {
            if d > first {
                out.push(d);
            }
            d = match step {
                DateStep::Weeks(k) => d + chrono::Duration::days(7 * i64::from(k)),
                DateStep::Months(k) => d
                    .checked_add_months(chrono::Months::new(k))
                    .unwrap_or(last + chrono::Duration::days(1)),
                DateStep::Years(k) => NaiveDate::from_ymd_opt(d.year() + k, 1, 1)
                    .unwrap_or(last + chrono::Duration::days(1)),
            };
        }
        out
    };
    for step in candidates {
        let ticks = ticks_for(step);
        if ticks.len() <= MAX {
            let labels = ticks
                .into_iter()
                .map(|d| {
                    let label = match step {
                        DateStep::Weeks(_) => d.format("%-d %b").to_string(),
                        DateStep::Months(_) if d.month() == 1 => d.format("%b %Y").to_string(),
                        DateStep::Months(_) => d.format("%b").to_string(),
                        DateStep::Years(_) => d.format("%Y").to_string(),
                    };
                    (d, label)
                })
                .collect();
            return (step, labels);
        }
    }
    (DateStep::Years(100), Vec::new())
}

/// A stable id for a chart's title and description, so that several charts on one page (a
/// story with two embeds) never share one.
fn chart_id(title: &str, description: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(format!("{title}\n{description}").as_bytes());
    format!("chart-{:08x}", h as u32)
}

/// A line chart of daily closes. The lines are drawn in a stretched inner SVG; the labels sit in
/// the outer SVG, whose units are CSS pixels, at percentages of its size. So the labels keep
/// their size (12 px) at any width, from a phone to a desktop, with round-valued gridlines and
/// date ticks at calendar boundaries. On narrow screens the stylesheet hides every other date
/// label (class `minor`).
pub fn line_chart(points: &[(NaiveDate, f64)], title: &str, description: &str) -> String {
    let dates: Vec<NaiveDate> = points.iter().map(|p| p.0).collect();
    let values: Vec<Option<f64>> = points.iter().map(|p| Some(p.1)).collect();
    chart(
        &dates,
        &[Series {
            values: &values,
            dashed: false,
        }],
        title,
        description,
    )
}

/// One line of a chart: a value (or a gap) per date.
pub struct Series<'a> {
    pub values: &'a [Option<f64>],
    /// Drawn dashed (a forecast), else solid (what happened).
    pub dashed: bool,
}

/// An economic release's history: the actual figures as a solid line and the consensus
/// forecasts as a dashed one, one point per release, with the same axes and labels as the
/// market charts. A release without a figure leaves a gap.
pub fn release_chart(
    dates: &[NaiveDate],
    actual: &[Option<f64>],
    consensus: &[Option<f64>],
    title: &str,
    description: &str,
) -> String {
    chart(
        dates,
        &[
            Series {
                values: consensus,
                dashed: true,
            },
            Series {
                values: actual,
                dashed: false,
            },
        ],
        title,
        description,
    )
}

fn chart(days: &[NaiveDate], series: &[Series<'_>], title: &str, description: &str) -> String {
    // The plot's own units; it is stretched to the figure's size.
    const W: f64 = 1000.0;
    const H: f64 = 400.0;
    // The plot in the outer SVG: from TOP px down to PLOT % of the height; date labels below.
    const TOP: f64 = 18.0;
    const PLOT: f64 = 84.0;
    const LABEL: &str = r##"fill="#555b66" stroke="#fff" stroke-width="3" paint-order="stroke""##;
    let id = chart_id(title, description);
    let mut s = String::with_capacity(4096 + days.len() * 16);
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" aria-labelledby="{id}-title {id}-desc" font-size="12"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(description)
    );
    let Some((lo, hi)) = bounds(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied()),
    ) else {
        s.push_str("</svg>");
        return s;
    };
    let y = |v: f64| (hi - v) / (hi - lo) * H;
    let n = days.len().max(2) - 1;
    let x = |i: usize| i as f64 * W / n as f64;
    let (ticks, tick_decimals) = value_ticks(lo, hi);
    let (first, last) = match (days.first(), days.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => unreachable!("bounds() found a value"),
    };
    let (_, mut dates) = date_ticks(first, last);
    if dates.len() < 2 {
        // Less than two boundaries in range (a few days): label the ends instead.
        dates = vec![
            (first, first.format("%-d %b %Y").to_string()),
            (last, last.format("%-d %b %Y").to_string()),
        ];
    }
    // Each date tick sits at the first close on or after it.
    let date_x: Vec<(f64, &str)> = dates
        .iter()
        .filter_map(|(d, label)| {
            let i = days.iter().position(|day| day >= d)?;
            Some((x(i) / W * 100.0, label.as_str()))
        })
        .collect();
    let _ = write!(
        s,
        r##"<svg y="{TOP}" width="100%" height="{PLOT}%" viewBox="0 0 {W} {H}" preserveAspectRatio="none" aria-hidden="true"><g stroke="#d9dce1" stroke-width="1" vector-effect="non-scaling-stroke">"##
    );
    for v in &ticks {
        let _ = write!(
            s,
            r#"<line x1="0" x2="{W}" y1="{y:.1}" y2="{y:.1}" vector-effect="non-scaling-stroke"/>"#,
            y = y(*v)
        );
    }
    for (pct, _) in &date_x {
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" x2="{x:.1}" y1="0" y2="{H}" vector-effect="non-scaling-stroke"/>"#,
            x = pct * W / 100.0
        );
    }
    s.push_str("</g>");
    for line in series {
        // A gap (a release without the figure) ends one polyline and starts the next.
        let mut runs: Vec<Vec<String>> = vec![Vec::new()];
        for (i, v) in line.values.iter().enumerate() {
            match v {
                Some(v) => {
                    if let Some(run) = runs.last_mut() {
                        run.push(format!("{:.1},{:.1}", x(i), y(*v)));
                    }
                }
                None => runs.push(Vec::new()),
            }
        }
        let (colour, dash) = if line.dashed {
            ("#8a4b00", r#" stroke-dasharray="6 5""#)
        } else {
            ("#0a5aa0", "")
        };
        for run in runs.iter().filter(|r| !r.is_empty()) {
            let _ = write!(
                s,
                r##"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash} stroke-linejoin="round" vector-effect="non-scaling-stroke"/>"##,
                run.join(" ")
            );
        }
    }
    s.push_str("</svg>");
    // Value labels: just above their gridlines at the left edge, with a white halo over the line.
    // Percentages of the outer height cannot add the TOP offset, so `dy` does.
    for v in &ticks {
        let pct = y(*v) / H * PLOT;
        let _ = write!(
            s,
            r#"<text x="2" y="{pct:.2}%" dy="{dy}" {LABEL}>{}</text>"#,
            format_number(*v, tick_decimals),
            dy = TOP - 4.0,
        );
    }
    for (k, (pct, label)) in date_x.iter().enumerate() {
        let anchor = if *pct < 6.0 {
            "start"
        } else if *pct > 94.0 {
            "end"
        } else {
            "middle"
        };
        // On a phone every other label is hidden when there are more than three.
        let minor = if date_x.len() > 3 && k % 2 == 1 {
            r#" class="minor""#
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<text x="{pct:.2}%" y="100%" dy="-4" text-anchor="{anchor}"{minor} {LABEL}>{label}</text>"#
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_and_marks_direction() {
        let s = sparkline(&[1.0, 2.0, 3.0], 100, 20);
        assert!(
            s.contains(r#"class="sparkline up""#) && s.contains("0.0,") && s.contains("100.0,"),
            "{s}"
        );
        assert!(sparkline(&[3.0, 1.0], 100, 20).contains("down"));
        assert_eq!(sparkline(&[], 100, 20), "");
        assert!(
            !sparkline(&[5.0, 5.0], 100, 20).contains("NaN"),
            "flat series"
        );
    }

    #[test]
    fn chart_svg_matches_its_snapshot() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let points: Vec<(NaiveDate, f64)> = [
            "2020-04-15",
            "2020-04-16",
            "2020-04-17",
            "2020-04-20",
            "2020-04-21",
        ]
        .iter()
        .zip([19.87, 19.87, 18.27, -36.98, 8.91])
        .map(|(day, v)| (d(day), v))
        .collect();
        let svg = line_chart(
            &points,
            "WTI (WTI), daily close, 1M",
            "From 19.87 on 2020-04-15 to 8.91 on 2020-04-21.",
        );
        insta::assert_snapshot!("wti_chart", svg.replace("><", ">\n<"));
        insta::assert_snapshot!("sparkline", sparkline(&[3.0, 1.0, 2.0, 5.0], 120, 28));
    }

    #[test]
    fn chart_is_accessible_and_escapes_its_text() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let svg = line_chart(
            &[
                (d("2020-04-17"), 18.31),
                (d("2020-04-20"), -36.98),
                (d("2020-04-21"), 8.91),
            ],
            "WTI <crude>",
            "Daily closes & more",
        );
        assert!(svg.contains(r#"role="img""#));
        let id = chart_id("WTI <crude>", "Daily closes & more");
        assert!(svg.contains(&format!(
            "<title id=\"{id}-title\">WTI &lt;crude&gt;</title>"
        )));
        assert!(svg.contains(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)));
        assert_ne!(id, chart_id("WTI <crude>", "other"), "two charts, two ids");
        assert!(svg.contains("Daily closes &amp; more"));
        assert!(
            svg.contains("17 Apr 2020") && svg.contains("21 Apr 2020"),
            "{svg}"
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert!(line_chart(&[], "t", "d").ends_with("</svg>"));
    }

    #[test]
    fn value_ticks_are_round_numbers() {
        // The gridlines the issue found at 154.42 / 104.29 / 54.17.
        let (ticks, d) = value_ticks(54.17, 154.42);
        assert_eq!(ticks, vec![60.0, 80.0, 100.0, 120.0, 140.0]);
        assert_eq!(d, 0);
        let (ticks, d) = value_ticks(1.0712, 1.0958);
        assert_eq!(d, 3);
        assert_eq!(ticks.len(), 5, "{ticks:?}");
        assert!((ticks[0] - 1.075).abs() < 1e-9, "{ticks:?}");
        let (ticks, _) = value_ticks(-36.98, 19.87);
        assert_eq!(ticks, vec![-30.0, -20.0, -10.0, 0.0, 10.0]);
        assert!(
            !ticks.iter().any(|t| t.is_sign_negative() && *t == 0.0),
            "no -0"
        );
        for (lo, hi) in [
            (0.001, 0.0013),
            (7_500.0, 8_900.0),
            (-1e9, 1e9),
            (3.0, 3.0000001),
        ] {
            let (ticks, _) = value_ticks(lo, hi);
            assert!((3..=8).contains(&ticks.len()), "{lo}..{hi}: {ticks:?}");
            for t in &ticks {
                assert!(*t >= lo - 1e-12 && *t <= hi + 1e-12);
                let step = ticks[1] - ticks[0];
                let m = step / 10f64.powf(step.log10().floor());
                assert!(
                    [1.0, 2.0, 5.0].iter().any(|r| (m - r).abs() < 1e-6),
                    "step {step}"
                );
            }
        }
        assert_eq!(value_ticks(5.0, 5.0).0, Vec::<f64>::new());
        assert_eq!(value_ticks(f64::NAN, 5.0).0, Vec::<f64>::new());
    }

    #[test]
    fn date_ticks_fall_on_calendar_boundaries() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        // A month: Mondays.
        let (step, ticks) = date_ticks(d("2026-11-04"), d("2026-12-04"));
        assert_eq!(step, DateStep::Weeks(1));
        assert_eq!(ticks[0], (d("2026-11-09"), "9 Nov".to_owned()));
        // A year: every other month, the year named on January.
        let (step, ticks) = date_ticks(d("2025-12-04"), d("2026-12-04"));
        assert_eq!(step, DateStep::Months(2));
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["Jan 2026", "Mar", "May", "Jul", "Sep", "Nov"]);
        // Two years: quarters.
        let (step, _) = date_ticks(d("2024-12-04"), d("2026-12-04"));
        assert_eq!(step, DateStep::Months(6));
        // Forty years: decades, not only the ends.
        let (step, ticks) = date_ticks(d("1986-01-02"), d("2026-12-04"));
        assert_eq!(step, DateStep::Years(10));
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["1990", "2000", "2010", "2020"]);
        // Five years: years.
        let (step, _) = date_ticks(d("2021-12-04"), d("2026-12-04"));
        assert_eq!(step, DateStep::Years(1));
        for (a, b) in [("2026-12-01", "2026-12-01"), ("0001-01-01", "9999-12-31")] {
            let (_, ticks) = date_ticks(d(a), d(b));
            assert!(ticks.len() <= 6);
        }
    }

    #[test]
    fn chart_labels_keep_their_pixel_size_at_any_width() {
        // The labels are in the outer SVG, which has no viewBox: its units are CSS pixels.
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let points: Vec<(NaiveDate, f64)> = (0..400)
            .map(|i| {
                (
                    d("2025-01-01") + chrono::Duration::days(i),
                    100.0 + (i as f64 / 7.0).sin() * 50.0,
                )
            })
            .collect();
        let svg = line_chart(&points, "t", "d");
        let outer = &svg[..svg.find("<svg y=").expect("inner plot")];
        assert!(!outer.contains("viewBox"), "{outer}");
        assert!(outer.contains(r#"font-size="12""#));
        assert!(
            svg.contains(r#"class="minor""#),
            "alternate date labels can hide on phones"
        );
    }

    #[test]
    fn a_release_chart_draws_the_actual_solid_the_consensus_dashed_and_gaps_as_gaps() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let days = [
            d("2026-07-15"),
            d("2026-08-14"),
            d("2026-09-15"),
            d("2026-10-15"),
        ];
        // A release without a figure breaks the actual's line in two.
        let actual = [Some(3.4), None, Some(3.1), Some(2.9)];
        let consensus = [Some(3.5), Some(3.2), Some(3.0), Some(3.0)];
        let svg = release_chart(&days, &actual, &consensus, "CPI", "Four releases");
        let dashed = svg.matches("stroke-dasharray").count();
        let lines = svg.matches("<polyline").count();
        assert_eq!(dashed, 1, "one consensus line: {svg}");
        assert_eq!(lines, 3, "the consensus, and the actual in two runs: {svg}");
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title"));
        // Nothing to draw: an empty chart with its title, not a panic.
        let empty = release_chart(&days, &[None; 4], &[None; 4], "CPI", "No figures yet");
        assert!(!empty.contains("<polyline"));
    }
}
