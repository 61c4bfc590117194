//! Market data inside stories: `{{quote SYMBOL}}` becomes the instrument's latest value and
//! change, `{{chart SYMBOL RANGE}}` its chart. The tags stay as text in the stored body and are
//! expanded when the page is rendered, so a cached story shows current values (article pages
//! depend on the `market` cache key).

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
                Some(html) => out.push_str(&html),
                None => out.push_str(original),
            },
            None => out.push_str(original),
        }
    }
    out.push_str(rest);
    Ok(out)
}

async fn render(state: &AppState, tag: &Tag) -> Result<Option<String>, AppError> {
    let (Tag::Quote(symbol) | Tag::Chart(symbol, ..)) = tag;
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
    }
}
