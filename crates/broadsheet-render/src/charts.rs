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

/// A line chart of daily closes with a labelled value axis and first/last dates.
pub fn line_chart(
    points: &[(NaiveDate, f64)],
    title: &str,
    description: &str,
    decimals: u8,
) -> String {
    const W: f64 = 800.0;
    const H: f64 = 320.0;
    const LEFT: f64 = 64.0;
    const BOTTOM: f64 = 28.0;
    let mut s = String::with_capacity(4096 + points.len() * 16);
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="none"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(title),
        escape(description)
    );
    let Some((lo, hi)) = bounds(points.iter().map(|p| p.1)) else {
        s.push_str("</svg>");
        return s;
    };
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - BOTTOM - 8.0;
    let y = |v: f64| 8.0 + (hi - v) / (hi - lo) * plot_h;
    for i in 0..=4 {
        let v = lo + (hi - lo) * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d9dce1" stroke-width="1"/><text x="{}" y="{:.1}" text-anchor="end" font-size="12" fill="#555b66">{v:.prec$}</text>"##,
            W - 8.0,
            LEFT - 6.0,
            y(v) + 4.0,
            y = y(v),
            prec = usize::from(decimals)
        );
    }
    let n = points.len().max(2) - 1;
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", LEFT + i as f64 * plot_w / n as f64, y(*v)))
        .collect();
    let _ = write!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#0a5aa0" stroke-width="2" stroke-linejoin="round" vector-effect="non-scaling-stroke"/>"##,
        path.join(" ")
    );
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            s,
            r##"<text x="{LEFT}" y="{}" font-size="12" fill="#555b66">{}</text><text x="{}" y="{}" text-anchor="end" font-size="12" fill="#555b66">{}</text>"##,
            H - 8.0,
            first.0,
            W - 8.0,
            H - 8.0,
            last.0
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
            2,
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
            2,
        );
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"chart-title\">WTI &lt;crude&gt;</title>"));
        assert!(svg.contains("Daily closes &amp; more"));
        assert!(svg.contains("2020-04-17") && svg.contains("2020-04-21"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert!(line_chart(&[], "t", "d", 2).ends_with("</svg>"));
    }
}
