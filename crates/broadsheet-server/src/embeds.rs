//! Market data inside stories: `{{quote SYMBOL}}` becomes the instrument's latest value and
//! change, `{{chart SYMBOL RANGE}}` its chart, `{{event INDICATOR}}` an economic release's
//! figures (the latest out, else the next due) with its surprise. The tags stay as text in the
//! stored body and are expanded when the page is rendered, so a cached story shows current
//! values (article pages depend on the `market` cache key, and on `calendar` when they embed a
//! release: `uses_calendar`).

use std::fmt::Write;

use broadsheet_core::Symbol;
use broadsheet_render::charts;
use chrono::Duration;

use crate::error::AppError;
use crate::market::{format_number, quote};
use crate::state::AppState;

#[derive(Debug, PartialEq, Eq)]
enum Tag {
    Quote(String),
    Chart(String, Option<i64>, &'static str),
    /// An indicator's release: its latest (or next), or the one released on a day.
    Event(String, Option<chrono::NaiveDate>),
}

/// Whether a body embeds a release (its page then depends on the `calendar` key).
pub(crate) fn uses_calendar(html: &str) -> bool {
    html.contains("{{event ")
}

fn parse_tag(inner: &str) -> Option<Tag> {
    let mut words = inner.split_whitespace();
    match words.next()? {
        "quote" => {
            let symbol = words.next()?;
            words
                .next()
                .is_none()
                .then(|| Tag::Quote(symbol.to_owned()))
        }
        "event" => {
            let slug = words.next()?.to_owned();
            let day = match words.next() {
                None => None,
                Some(d) => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?),
            };
            words.next().is_none().then_some(Tag::Event(slug, day))
        }
        "chart" => {
            let symbol = words.next()?.to_owned();
            let (days, label) = match words.next().map(str::to_ascii_uppercase).as_deref() {
                None | Some("1Y") => (Some(366), "1Y"),
                Some("1M") => (Some(31), "1M"),
                Some("6M") => (Some(183), "6M"),
                Some("5Y") => (Some(1827), "5Y"),
                Some("MAX") => (None, "Max"),
                Some(_) => return None,
            };
            words
                .next()
                .is_none()
                .then_some(Tag::Chart(symbol, days, label))
        }
        _ => None,
    }
}

/// Replaces the embed tags in sanitised article HTML. Text that only looks like a tag, or names
/// an unknown instrument, is left as it is.
pub(crate) async fn expand(state: &AppState, html: &str) -> Result<String, AppError> {
    if !html.contains("{{") {
        return Ok(html.to_owned());
    }
    let mut out = String::with_capacity(html.len() + 1024);
    let mut rest = html;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}").filter(|&e| e <= 64) else {
            out.push_str("{{");
            rest = after;
            continue;
        };
        let original = &rest[start..start + 2 + end + 2];
        rest = &after[end + 2..];
        match parse_tag(&after[..end]) {
            Some(tag) => match render(state, &tag).await? {
                Some(html) => {
                    // A figure or an aside alone in its paragraph replaces the paragraph: a
                    // `<p>` cannot hold one.
                    let block = !matches!(tag, Tag::Quote(_));
                    if block && out.ends_with("<p>") && rest.starts_with("</p>") {
                        out.truncate(out.len() - 3);
                        rest = &rest[4..];
                    }
                    out.push_str(&html);
                }
                None => out.push_str(original),
            },
            None => out.push_str(original),
        }
    }
    out.push_str(rest);
    Ok(out)
}

async fn render(state: &AppState, tag: &Tag) -> Result<Option<String>, AppError> {
    let (Tag::Quote(symbol) | Tag::Chart(symbol, ..)) = tag else {
        let Tag::Event(slug, day) = tag else {
            return Ok(None);
        };
        return release(state, slug, *day).await;
    };
    let Ok(symbol) = Symbol::parse(symbol) else {
        return Ok(None);
    };
    let Some(i) = state.store.instrument_by_symbol(&symbol).await? else {
        return Ok(None);
    };
    let latest = state.store.latest_bars(i.id, 2).await?;
    let Some(q) = quote(&i, &latest, state.fresh_since()) else {
        return Ok(None);
    };
    let arrow = match q.direction {
        "up" => "▲",
        "down" => "▼",
        _ => "■",
    };
    let mut html = String::new();
    match tag {
        Tag::Quote(_) => {
            let _ = write!(
                html,
                r#"<a class="embed-quote {dir}" href="{url}"><span class="q-name">{name}</span> <span class="q-value">{value}</span> <span class="q-change"><span aria-hidden="true">{arrow}</span> {pct}<span class="visually-hidden">, {words}</span></span></a>"#,
                dir = q.direction,
                url = q.url,
                name = escape(&q.name),
                value = q.value,
                pct = q.percent,
                words = q.direction_text,
            );
        }
        Tag::Event(..) => return Ok(None),
        Tag::Chart(_, days, label) => {
            let from = days.map(|d| q.as_of - Duration::days(d));
            let bars = state.store.bars(i.id, from, Some(q.as_of)).await?;
            let points: Vec<_> = bars.iter().map(|b| (b.date, b.close)).collect();
            let title = format!("{} ({}), daily close, {label}", i.name, i.symbol);
            let desc = match (bars.first(), bars.last()) {
                (Some(a), Some(b)) => format!(
                    "From {} on {} to {} on {}.",
                    format_number(a.close, i.decimals),
                    a.date,
                    format_number(b.close, i.decimals),
                    b.date
                ),
                _ => "No data in this range.".into(),
            };
            let _ = write!(
                html,
                r#"<figure class="embed-chart chart-figure">{}<figcaption>{} <a href="{}">More on {}</a></figcaption></figure>"#,
                charts::line_chart(&points, &title, &desc),
                escape(&format!("{title}. {desc}")),
                q.url,
                escape(&i.name)
            );
        }
    }
    Ok(Some(html))
}

/// `{{event INDICATOR}}`: the indicator's latest release out (else the next), so a story about
/// what is coming keeps showing the newest figure; `{{event INDICATOR 2026-11-18}}`: the release
/// of that day (in the site's zone), so a story about one figure keeps showing it. With its
/// figures and surprise, in words and arrows.
async fn release(
    state: &AppState,
    slug: &str,
    day: Option<chrono::NaiveDate>,
) -> Result<Option<String>, AppError> {
    let Ok(slug) = broadsheet_core::Slug::parse(slug) else {
        return Ok(None);
    };
    let tz = state.site().tz();
    let found = match day {
        None => broadsheet_app::calendar::current(state, &slug, tz).await?,
        Some(day) => broadsheet_app::calendar::on_day(state, &slug, day, tz).await?,
    };
    let Some(r) = found else {
        return Ok(None);
    };
    let mut html = String::new();
    let period = if r.period.is_empty() {
        String::new()
    } else {
        format!(" ({})", escape(&r.period))
    };
    let _ = write!(
        html,
        r#"<aside class="embed-release" aria-label="Economic calendar: {country} {title}"><p class="release-head"><a href="{url}">{country} {title}{period}</a> <span class="importance importance-{imp}"><span aria-hidden="true">{symbol}</span> {label} importance</span></p><dl class="release-figures">"#,
        country = escape(&r.country),
        title = escape(&r.title),
        url = r.url,
        imp = r.importance.as_str(),
        symbol = r.importance_symbol,
        label = r.importance_label,
    );
    let cell = |v: &Option<String>| v.as_deref().map_or("–".to_owned(), escape);
    let actual = match (&r.actual, &r.surprise, &r.surprise_text, r.surprise_arrow) {
        (Some(a), Some(s), Some(words), Some(arrow)) => format!(
            r#"{} <span class="surprise surprise-{}"><span aria-hidden="true">{arrow}</span> {words}</span>"#,
            escape(a),
            s.as_str()
        ),
        (Some(a), ..) => escape(a),
        (None, ..) => format!("due {} {}", r.date, escape(&r.time)),
    };
    let _ = write!(
        html,
        r#"<div><dt>Actual</dt><dd class="release-actual">{actual}</dd></div><div><dt>Forecast</dt><dd>{}</dd></div><div><dt>Previous</dt><dd>{}</dd></div></dl></aside>"#,
        cell(&r.consensus),
        cell(&r.revised_previous.clone().or_else(|| r.previous.clone())),
    );
    Ok(Some(html))
}

use broadsheet_core::html::escape;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_strictly() {
        assert_eq!(parse_tag("quote EURVDC"), Some(Tag::Quote("EURVDC".into())));
        assert_eq!(
            parse_tag("chart GOLD 5y"),
            Some(Tag::Chart("GOLD".into(), Some(1827), "5Y"))
        );
        assert_eq!(
            parse_tag("chart GOLD"),
            Some(Tag::Chart("GOLD".into(), Some(366), "1Y"))
        );
        assert_eq!(parse_tag("chart GOLD 2W"), None);
        assert_eq!(parse_tag("quote"), None);
        assert_eq!(parse_tag("quote A B"), None);
        assert_eq!(parse_tag("weather today"), None);
        assert_eq!(
            parse_tag("event valdoria-cpi"),
            Some(Tag::Event("valdoria-cpi".into(), None))
        );
        assert_eq!(
            parse_tag("event valdoria-cpi 2026-11-18"),
            Some(Tag::Event(
                "valdoria-cpi".into(),
                chrono::NaiveDate::from_ymd_opt(2026, 11, 18)
            ))
        );
        assert_eq!(parse_tag("event a b"), None);
        assert_eq!(parse_tag("event a 2026-11-18 c"), None);
    }
}
