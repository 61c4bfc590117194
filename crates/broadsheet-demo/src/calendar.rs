//! The demo's economic calendar, generated (no third-party data): the fictional countries'
//! indicators with a year and a half of history ending at the figures the demo stories report
//! (Valdoria's inflation down from 7.8% to 3.1%, unemployment at 5.2%, the Bank of Valdoria on
//! hold at 4.25%, Estmark's inflation surprise at 3.9%...), and the releases due in the next
//! two weeks, each at a time relative to the moment the demo is installed.

use broadsheet_core::calendar::{EventValues, Importance, NewIndicator, Scale, Scheduled};
use broadsheet_core::{Slug, Symbol, Timestamp};
use chrono::{Duration, DurationRound, Months};

/// One demo release: its indicator's slug, period, time and figures.
pub struct DemoRelease {
    pub indicator: &'static str,
    pub period: String,
    pub scheduled: Scheduled,
    pub values: EventValues,
    /// The demo story written about it (its headline), if any.
    pub story: Option<&'static str>,
}

struct Spec {
    slug: &'static str,
    country: &'static str,
    title: &'static str,
    category: &'static str,
    importance: Importance,
    unit: &'static str,
    scale: Scale,
    decimals: u8,
    instrument: Option<&'static str>,
}

const INDICATORS: &[Spec] = &[
    Spec {
        slug: "valdoria-cpi-y-y",
        country: "Valdoria",
        title: "CPI y/y",
        category: "Inflation",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 1,
        instrument: Some("EURVDC"),
    },
    Spec {
        slug: "valdoria-policy-rate",
        country: "Valdoria",
        title: "Policy rate decision",
        category: "Central bank",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 2,
        instrument: Some("VDC10Y"),
    },
    Spec {
        slug: "valdoria-unemployment-rate",
        country: "Valdoria",
        title: "Unemployment rate",
        category: "Labour",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 1,
        instrument: None,
    },
    Spec {
        slug: "valdoria-retail-sales-m-m",
        country: "Valdoria",
        title: "Retail sales m/m",
        category: "Consumption",
        importance: Importance::Medium,
        unit: "%",
        scale: Scale::Units,
        decimals: 1,
        instrument: None,
    },
    Spec {
        slug: "valdoria-housing-starts",
        country: "Valdoria",
        title: "Housing starts",
        category: "Housing",
        importance: Importance::Low,
        unit: "",
        scale: Scale::Thousands,
        decimals: 1,
        instrument: None,
    },
    Spec {
        slug: "valdoria-gdp-q-q",
        country: "Valdoria",
        title: "GDP q/q",
        category: "Growth",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 1,
        instrument: Some("CAR40"),
    },
    Spec {
        slug: "valdoria-business-confidence",
        country: "Valdoria",
        title: "Business confidence",
        category: "Business surveys",
        importance: Importance::Medium,
        unit: "",
        scale: Scale::Units,
        decimals: 1,
        instrument: Some("CAR40"),
    },
    Spec {
        slug: "valdoria-trade-balance",
        country: "Valdoria",
        title: "Trade balance",
        category: "Trade",
        importance: Importance::Medium,
        unit: "crowns",
        scale: Scale::Billions,
        decimals: 1,
        instrument: None,
    },
    Spec {
        slug: "estmark-cpi-y-y",
        country: "Estmark",
        title: "CPI y/y",
        category: "Inflation",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 1,
        instrument: None,
    },
    Spec {
        slug: "estmark-policy-rate",
        country: "Estmark",
        title: "Policy rate decision",
        category: "Central bank",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 2,
        instrument: None,
    },
    Spec {
        slug: "estmark-unemployment-rate",
        country: "Estmark",
        title: "Unemployment rate",
        category: "Labour",
        importance: Importance::Medium,
        unit: "%",
        scale: Scale::Units,
        decimals: 1,
        instrument: None,
    },
    Spec {
        slug: "serrano-republic-policy-rate",
        country: "Serrano Republic",
        title: "Policy rate decision",
        category: "Central bank",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 2,
        instrument: None,
    },
    Spec {
        slug: "kaiyo-policy-rate",
        country: "Kaiyo",
        title: "Policy rate decision",
        category: "Central bank",
        importance: Importance::High,
        unit: "%",
        scale: Scale::Units,
        decimals: 2,
        instrument: None,
    },
    Spec {
        slug: "euro-area-manufacturing-pmi",
        country: "Euro area",
        title: "Manufacturing PMI",
        category: "Business surveys",
        importance: Importance::Medium,
        unit: "",
        scale: Scale::Units,
        decimals: 1,
        instrument: None,
    },
];

pub fn indicators() -> Vec<NewIndicator> {
    INDICATORS
        .iter()
        .map(|s| NewIndicator {
            slug: Slug::parse(s.slug).expect("demo slugs are slugs"),
            country: s.country.into(),
            title: s.title.into(),
            category: s.category.into(),
            importance: s.importance,
            unit: s.unit.into(),
            scale: s.scale,
            decimals: s.decimals,
            instrument: s.instrument.and_then(|i| Symbol::parse(i).ok()),
        })
        .collect()
}

/// A small, repeatable wobble in [-1, 1] (no randomness: the demo is the same every time).
fn wobble(i: usize, salt: u32) -> f64 {
    let x = ((i as u32).wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503)) % 2001;
    f64::from(x) / 1000.0 - 1.0
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

fn month_label(t: Timestamp) -> String {
    t.format("%b %Y").to_string()
}

/// A monthly series of `n` releases whose last actual is `last`, released `days_ago` before
/// `now` and every month before that, moving from `first` with a little noise; consensus
/// within a tenth or two of the actual, the previous figure as it was.
#[expect(clippy::too_many_arguments, reason = "a series is its figures")]
fn monthly(
    out: &mut Vec<DemoRelease>,
    indicator: &'static str,
    now: Timestamp,
    hours_ago: i64,
    n: usize,
    first: f64,
    last: f64,
    consensus_last: f64,
    noise: f64,
    decimals: i32,
    story: Option<&'static str>,
    lag_days: i64,
) {
    let latest = (now - Duration::hours(hours_ago))
        .duration_trunc(Duration::minutes(15))
        .unwrap_or(now);
    let mut previous: Option<f64> = None;
    for k in 0..n {
        let back = (n - 1 - k) as u32;
        let at = latest
            .checked_sub_months(Months::new(back))
            .unwrap_or(latest);
        let share = k as f64 / (n - 1).max(1) as f64;
        let actual = if k == n - 1 {
            last
        } else {
            round(
                first + (last - first) * share + noise * wobble(k, indicator.len() as u32),
                decimals,
            )
        };
        let consensus = if k == n - 1 {
            consensus_last
        } else {
            round(actual + noise * 0.6 * wobble(k + 7, 3), decimals)
        };
        // The month the figure describes: `lag_days` before its release.
        let reference = at - Duration::days(lag_days);
        out.push(DemoRelease {
            indicator,
            period: month_label(reference),
            scheduled: Scheduled::exact(at),
            values: EventValues {
                previous,
                revised_previous: None,
                consensus: Some(consensus),
                actual: Some(actual),
            },
            story: if k == n - 1 { story } else { None },
        });
        previous = Some(actual);
    }
}

fn upcoming(
    indicator: &'static str,
    at: Timestamp,
    period: String,
    consensus: f64,
    previous: f64,
) -> DemoRelease {
    DemoRelease {
        indicator,
        period,
        scheduled: Scheduled::exact(at),
        values: EventValues {
            previous: Some(previous),
            revised_previous: None,
            consensus: Some(consensus),
            actual: None,
        },
        story: None,
    }
}

/// Every demo release, relative to `now`.
pub fn releases(now: Timestamp) -> Vec<DemoRelease> {
    let mut out = Vec::new();
    let day = |days: i64, hour: u32| {
        (now + Duration::days(days))
            .date_naive()
            .and_hms_opt(hour, 0, 0)
            .unwrap_or_default()
            .and_utc()
    };
    let reference = |days: i64| month_label(now + Duration::days(days - 40));
    // Valdoria: inflation down from its 7.8% peak to 3.1% in October.
    monthly(
        &mut out,
        "valdoria-cpi-y-y",
        now,
        24 * 20,
        18,
        7.8,
        3.1,
        3.2,
        0.15,
        1,
        None,
        40,
    );
    out.push(upcoming(
        "valdoria-cpi-y-y",
        day(10, 8),
        reference(10),
        2.9,
        3.1,
    ));
    monthly(
        &mut out,
        "valdoria-unemployment-rate",
        now,
        12,
        12,
        6.1,
        5.2,
        5.4,
        0.08,
        1,
        Some("Unemployment falls to 5.2%, lowest since records began"),
        40,
    );
    monthly(
        &mut out,
        "valdoria-retail-sales-m-m",
        now,
        26,
        12,
        0.4,
        -0.6,
        0.2,
        0.4,
        1,
        Some("Retail sales slip as shoppers wait for holiday discounts"),
        40,
    );
    monthly(
        &mut out,
        "valdoria-housing-starts",
        now,
        50,
        12,
        2.9,
        3.9,
        3.4,
        0.2,
        1,
        Some("Housing starts jump as mortgage rates ease"),
        40,
    );
    monthly(
        &mut out,
        "valdoria-trade-balance",
        now,
        24 * 28,
        12,
        -2.1,
        -1.4,
        -1.6,
        0.3,
        1,
        None,
        40,
    );
    out.push(upcoming(
        "valdoria-trade-balance",
        day(2, 9),
        reference(2),
        -1.1,
        -1.4,
    ));
    // Quarterly growth: the next figure is due within the week.
    out.push(DemoRelease {
        indicator: "valdoria-gdp-q-q",
        period: "Q2".into(),
        scheduled: Scheduled::exact(day(-84, 8)),
        values: EventValues {
            previous: Some(0.1),
            revised_previous: None,
            consensus: Some(0.2),
            actual: Some(0.2),
        },
        story: None,
    });
    out.push(upcoming(
        "valdoria-gdp-q-q",
        day(6, 8),
        "Q3".into(),
        0.3,
        0.2,
    ));
    // The Bank of Valdoria: on hold at 4.25% today, as expected.
    for (k, (weeks, rate)) in [(18, 5.0), (12, 4.75), (6, 4.5)].iter().enumerate() {
        let at = day(-7 * weeks, 13);
        out.push(DemoRelease {
            indicator: "valdoria-policy-rate",
            period: String::new(),
            scheduled: Scheduled::exact(at),
            values: EventValues {
                previous: Some(rate + 0.25),
                revised_previous: None,
                consensus: Some(if k == 0 { *rate } else { rate + 0.25 }),
                actual: Some(*rate),
            },
            story: None,
        });
    }
    out.push(DemoRelease {
        indicator: "valdoria-policy-rate",
        period: String::new(),
        scheduled: Scheduled::exact(
            (now - Duration::hours(4))
                .duration_trunc(Duration::minutes(15))
                .unwrap_or(now),
        ),
        values: EventValues {
            previous: Some(4.25),
            revised_previous: None,
            consensus: Some(4.25),
            actual: Some(4.25),
        },
        story: Some("Bank of Valdoria holds rates at 4.25% but signals cut in the new year"),
    });
    // Estmark: inflation above forecasts; the central bank meets in a few days.
    monthly(
        &mut out,
        "estmark-cpi-y-y",
        now,
        52,
        12,
        2.6,
        3.9,
        3.4,
        0.15,
        1,
        Some("Estmark mark rallies as inflation surprises on the upside"),
        10,
    );
    out.push(upcoming(
        "estmark-policy-rate",
        day(4, 12),
        String::new(),
        3.5,
        3.5,
    ));
    monthly(
        &mut out,
        "estmark-unemployment-rate",
        now,
        24 * 29,
        6,
        4.3,
        4.0,
        4.1,
        0.05,
        1,
        None,
        40,
    );
    out.push(upcoming(
        "estmark-unemployment-rate",
        day(1, 7),
        reference(1),
        4.1,
        4.0,
    ));
    // A release due later today (or at the day's end), its figure not yet out.
    let later = (now + Duration::hours(2))
        .duration_trunc(Duration::minutes(15))
        .unwrap_or(now);
    let end_of_day = day(0, 23) + Duration::minutes(45);
    monthly(
        &mut out,
        "valdoria-business-confidence",
        now,
        24 * 30,
        12,
        96.0,
        99.2,
        98.5,
        0.8,
        1,
        None,
        10,
    );
    out.push(upcoming(
        "valdoria-business-confidence",
        if later.date_naive() == now.date_naive() {
            later
        } else {
            end_of_day
        },
        month_label(now),
        99.8,
        99.2,
    ));
    out.push(DemoRelease {
        indicator: "serrano-republic-policy-rate",
        period: String::new(),
        scheduled: Scheduled::exact(
            (now - Duration::hours(58))
                .duration_trunc(Duration::minutes(15))
                .unwrap_or(now),
        ),
        values: EventValues {
            previous: Some(9.25),
            revised_previous: None,
            consensus: Some(9.5),
            actual: Some(9.75),
        },
        story: Some("Serrano central bank raises rates to defend the peso"),
    });
    out.push(DemoRelease {
        indicator: "kaiyo-policy-rate",
        period: String::new(),
        scheduled: Scheduled::exact(
            (now - Duration::hours(75))
                .duration_trunc(Duration::minutes(15))
                .unwrap_or(now),
        ),
        values: EventValues {
            previous: Some(-0.1),
            revised_previous: None,
            consensus: Some(-0.1),
            actual: Some(-0.1),
        },
        story: Some("Kaiyo's central bank keeps negative rates despite weaker currency"),
    });
    monthly(
        &mut out,
        "euro-area-manufacturing-pmi",
        now,
        22,
        12,
        46.2,
        50.1,
        49.6,
        0.4,
        1,
        Some("Euro area factory activity stabilises for the first time in a year"),
        10,
    );
    // The euro-area figure's previous value as the story reports it.
    if let Some(last) = out
        .iter_mut()
        .rev()
        .find(|r| r.indicator == "euro-area-manufacturing-pmi")
    {
        last.values.previous = Some(48.7);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_agrees_with_the_stories() {
        let now = chrono::Utc::now();
        let all = releases(now);
        let last = |slug: &str| {
            all.iter()
                .filter(|r| r.indicator == slug && r.values.actual.is_some())
                .max_by_key(|r| r.scheduled.at)
                .map(|r| r.values.actual)
                .expect("a release with a figure")
        };
        assert_eq!(last("valdoria-cpi-y-y"), Some(3.1));
        assert_eq!(last("valdoria-unemployment-rate"), Some(5.2));
        assert_eq!(last("valdoria-policy-rate"), Some(4.25));
        assert_eq!(last("estmark-cpi-y-y"), Some(3.9));
        assert_eq!(last("serrano-republic-policy-rate"), Some(9.75));
        let slugs: Vec<&str> = INDICATORS.iter().map(|s| s.slug).collect();
        for r in &all {
            assert!(slugs.contains(&r.indicator), "{}", r.indicator);
            assert!(r.scheduled.at > now - Duration::days(600));
            assert!(r.scheduled.at < now + Duration::days(15), "{}", r.indicator);
        }
        // Something is due today, for the home page's module.
        assert!(
            all.iter()
                .any(|r| r.values.actual.is_none() && r.scheduled.date() == now.date_naive())
        );
        // The coming two weeks have releases without figures.
        assert!(
            all.iter()
                .any(|r| r.values.actual.is_none() && r.scheduled.at > now)
        );
        // Each indicator's releases fall on different days (the store's key).
        let mut seen = std::collections::HashSet::new();
        for r in &all {
            assert!(
                seen.insert((r.indicator, r.scheduled.date())),
                "{} twice on a day",
                r.indicator
            );
        }
    }
}
