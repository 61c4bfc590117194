//! Times the server-side SVG chart for five years of daily closes (about 1,300 points), the
//! largest chart an instrument page draws, against writing the same points as CSV text (the
//! cheapest thing a page could do with them). Run: `cargo run --release --example chart_bench`.

use std::hint::black_box;
use std::time::Instant;

use broadsheet_render::charts::line_chart;
use chrono::{Duration, NaiveDate};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let start = NaiveDate::from_ymd_opt(2021, 11, 30).unwrap_or_default();
    let mut v = 6000.0f64;
    let points: Vec<(NaiveDate, f64)> = (0..1300)
        .map(|i| {
            v *= 1.0 + ((i * 7919) % 200) as f64 / 10_000.0 - 0.01;
            (start + Duration::days(i), v)
        })
        .collect();
    let runs = 3000;
    let mut chart = Vec::with_capacity(runs);
    let mut csv = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        black_box(line_chart(
            black_box(&points),
            "Carrow 40 (CAR40), daily close, 5Y",
            "From 6,000 to 8,412.6.",
            1,
        ));
        chart.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let mut s = String::with_capacity(points.len() * 20);
        for (d, v) in black_box(&points) {
            s.push_str(&format!("{d},{v:.1}\n"));
        }
        black_box(s);
        csv.push(t.elapsed().as_secs_f64() * 1e3);
    }
    chart.sort_by(f64::total_cmp);
    csv.sort_by(f64::total_cmp);
    let svg = line_chart(&points, "t", "d", 1);
    println!(
        "5-year chart ({} points, {} KB of SVG), {runs} renders:",
        points.len(),
        svg.len() / 1024
    );
    println!(
        "  svg chart   p50 {:.3} ms  p99 {:.3} ms",
        percentile(&chart, 0.5),
        percentile(&chart, 0.99)
    );
    println!(
        "  csv text    p50 {:.3} ms  p99 {:.3} ms",
        percentile(&csv, 0.5),
        percentile(&csv, 0.99)
    );
    println!(
        "  ratio chart/csv at p99: {:.2}",
        percentile(&chart, 0.99) / percentile(&csv, 0.99)
    );
}
