//! `/search` (the results page) and `/search/suggest` (JSON for the as-you-type list), both
//! rate-limited per client address.

use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use broadsheet_core::{Section, Slug};
use broadsheet_search::{Hit, MAX_QUERY_CHARS};
use chrono::{NaiveDate, Utc};
use http::request::Parts;
use http::{HeaderValue, header};
use serde::Serialize;

use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;
use crate::views;

const PAGE_SIZE: usize = 10;
const MAX_PAGE: u32 = 100;

pub(crate) fn check_rate(state: &AppState, client: &Client) -> Result<(), AppError> {
    state.check_search_rate(client.ip())
}

/// `/search?q=&section=&author=&tag=&year=&from=&to=&sort=&page=`, parsed. Unknown
/// parameters are ignored; a malformed known one is a 400.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SearchParams {
    q: String,
    section: Option<Slug>,
    author: Option<Slug>,
    tag: Option<Slug>,
    year: Option<i32>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    newest: bool,
    page: u32,
}

impl<S: Send + Sync> FromRequestParts<S> for SearchParams {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        SearchParams::parse(parts.uri.query().unwrap_or(""))
    }
}

impl SearchParams {
    fn parse(query: &str) -> Result<Self, AppError> {
        let bad = |what: &str| AppError::BadRequest(what.to_owned());
        let mut p = SearchParams {
            page: 1,
            ..Default::default()
        };
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            let slug = |v: &str| {
                Slug::parse(v)
                    .map(Some)
                    .map_err(|_| bad("the filter is not a valid name"))
            };
            let date = |v: &str| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| bad("dates must look like 2026-11-30"))
            };
            match &*name {
                "q" => {
                    if value.chars().count() > MAX_QUERY_CHARS {
                        return Err(bad(&format!(
                            "the search is longer than {MAX_QUERY_CHARS} characters"
                        )));
                    }
                    // Control characters mean nothing in a search and must not reach the page.
                    p.q = value
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect::<String>()
                        .trim()
                        .to_owned();
                }
                "section" if !value.is_empty() => p.section = slug(value)?,
                "author" if !value.is_empty() => p.author = slug(value)?,
                "tag" if !value.is_empty() => p.tag = slug(value)?,
                "from" if !value.is_empty() => p.from = date(value)?,
                "to" if !value.is_empty() => p.to = date(value)?,
                "year" if !value.is_empty() => {
                    p.year = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|y| (1000..=9999).contains(y))
                            .ok_or_else(|| bad("the year is not a year"))?,
                    );
                }
                "sort" => match value {
                    "" | "relevance" => p.newest = false,
                    "newest" => p.newest = true,
                    _ => return Err(bad("sort is relevance or newest")),
                },
                "page" => {
                    p.page = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE).contains(n))
                        .ok_or_else(|| bad("the page number is out of range"))?;
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// This search's URL with some parameters changed (`None` removes one).
    fn url_with(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("q", self.q.clone()),
            (
                "section",
                self.section
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            (
                "author",
                self.author
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            (
                "tag",
                self.tag
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            ("year", self.year.map(|y| y.to_string()).unwrap_or_default()),
            ("from", self.from.map(|d| d.to_string()).unwrap_or_default()),
            ("to", self.to.map(|d| d.to_string()).unwrap_or_default()),
            (
                "sort",
                if self.newest {
                    "newest".into()
                } else {
                    String::new()
                },
            ),
        ];
        for (name, value) in changes {
            match pairs.iter_mut().find(|(n, _)| n == name) {
                Some(pair) => pair.1 = value.clone().unwrap_or_default(),
                None => pairs.push((name, value.clone().unwrap_or_default())),
            }
        }
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            s.append_pair(name, value);
        }
        format!("/search?{}", s.finish())
    }
}

#[derive(Serialize)]
struct Link {
    label: String,
    url: String,
    count: Option<u64>,
    active: bool,
}

#[derive(Serialize)]
struct ResultsPage {
    q: String,
    searched: bool,
    total: usize,
    hits: Vec<Hit>,
    first: usize,
    last: usize,
    sections: Vec<Link>,
    years: Vec<Link>,
    filters: Vec<Link>,
    sorts: Vec<Link>,
    did_you_mean: Option<Link>,
    prev: Option<String>,
    next: Option<String>,
    unknown_filter: bool,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    client: Client,
    params: SearchParams,
) -> Result<Response, AppError> {
    check_rate(&state, &client)?;
    let query = broadsheet_app::search::Query {
        text: params.q.clone(),
        section: params.section.clone(),
        author: params.author.clone(),
        tag: params.tag.clone(),
        year: params.year,
        from: params.from,
        to: params.to,
        newest: params.newest,
        offset: (params.page as usize - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let resolved = broadsheet_app::search::resolve(&state, &query).await?;
    let unknown_filter = !resolved.unknown.is_empty();
    let searched = query.asks_anything();
    let (sections, author, tag) = (resolved.sections, resolved.author, resolved.tag);
    let results = if unknown_filter || !searched {
        Default::default()
    } else {
        broadsheet_app::search::run(&state, &state.search, resolved.request).await?
    };

    let name_of = |slug: &str| {
        sections
            .iter()
            .find(|s| s.slug.as_str() == slug)
            .map_or_else(|| slug.to_owned(), |s: &Section| s.name.clone())
    };
    let section_links = results
        .sections
        .iter()
        .map(|(slug, n)| Link {
            label: name_of(slug),
            url: params.url_with(&[("section", Some(slug.clone())), ("page", None)]),
            count: Some(*n),
            active: params.section.as_ref().is_some_and(|s| s.as_str() == slug),
        })
        .collect();
    let year_links = results
        .years
        .iter()
        .map(|(y, n)| Link {
            label: y.to_string(),
            url: params.url_with(&[("year", Some(y.to_string())), ("page", None)]),
            count: Some(*n),
            active: params.year == Some(*y),
        })
        .collect();
    let mut filters = Vec::new();
    let mut remove = |label: String, name: &str| {
        filters.push(Link {
            label,
            url: params.url_with(&[(name, None), ("page", None)]),
            count: None,
            active: true,
        });
    };
    if let Some(s) = &params.section {
        remove(format!("Section: {}", name_of(s.as_str())), "section");
    }
    if let Some(a) = &params.author {
        remove(
            format!(
                "Author: {}",
                author
                    .as_ref()
                    .map_or_else(|| a.to_string(), |x| x.1.clone())
            ),
            "author",
        );
    }
    if let Some(t) = &params.tag {
        remove(
            format!(
                "Tag: {}",
                tag.as_ref().map_or_else(|| t.to_string(), |x| x.1.clone())
            ),
            "tag",
        );
    }
    if let Some(y) = params.year {
        remove(format!("Year: {y}"), "year");
    }
    if let Some(d) = params.from {
        remove(format!("From {d}"), "from");
    }
    if let Some(d) = params.to {
        remove(format!("Until {d}"), "to");
    }
    let sorts = [("Most relevant", false), ("Newest first", true)]
        .into_iter()
        .map(|(label, newest)| Link {
            label: label.into(),
            url: params.url_with(&[
                ("sort", newest.then(|| "newest".to_owned())),
                ("page", None),
            ]),
            count: None,
            active: params.newest == newest,
        })
        .collect();
    let did_you_mean = results.did_you_mean.as_ref().map(|s| Link {
        label: s.clone(),
        url: params.url_with(&[("q", Some(s.clone())), ("page", None)]),
        count: None,
        active: false,
    });
    let first = (params.page as usize - 1) * PAGE_SIZE;
    let last = first + results.hits.len();
    let prev = (params.page > 1)
        .then(|| params.url_with(&[("page", Some((params.page - 1).to_string()))]));
    let next = (last < results.total && params.page < MAX_PAGE)
        .then(|| params.url_with(&[("page", Some((params.page + 1).to_string()))]));
    let page = ResultsPage {
        q: params.q.clone(),
        searched,
        total: results.total,
        hits: results.hits,
        first: first + 1,
        last,
        sections: section_links,
        years: year_links,
        filters,
        sorts,
        did_you_mean,
        prev,
        next,
        unknown_filter,
    };
    let chrome = views::chrome(&state, &sections, "", "/search").await;
    let html = views::render(&state, "search.html", chrome, page)?;
    let mut response = axum::response::Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        http::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    Ok(response)
}

#[derive(Serialize)]
struct SuggestItem {
    label: String,
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Suggestions {
    query: String,
    suggestions: Vec<SuggestItem>,
}

/// `/search/suggest?q=` -> `{"query", "suggestions": [{"label", "kind", "url"}]}`.
pub(crate) async fn suggest(
    State(state): State<AppState>,
    client: Client,
    params: SearchParams,
) -> Result<Response, AppError> {
    check_rate(&state, &client)?;
    let q = params.q.clone();
    let mut items = Vec::new();
    if q.chars().filter(|c| c.is_alphanumeric()).count() >= 2 {
        let lower = q.to_lowercase();
        for s in state
            .store
            .sections()
            .await?
            .iter()
            .filter(|s| s.name.to_lowercase().starts_with(&lower))
            .take(3)
        {
            items.push(SuggestItem {
                label: s.name.clone(),
                kind: "section",
                url: format!("/section/{}", s.slug),
            });
        }
        let index = state.search.clone();
        let prefix = q.clone();
        let found = tokio::task::spawn_blocking(move || index.suggest(&prefix, Utc::now(), 8))
            .await
            .map_err(|e| AppError::Worker(e.to_string()))??;
        items.extend(found.into_iter().map(|s| SuggestItem {
            label: s.headline,
            kind: "article",
            url: format!("/article/{}", s.slug),
        }));
    }
    let body = serde_json::to_vec(&Suggestions {
        query: q,
        suggestions: items,
    })
    .unwrap_or_default();
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_ok(query: &str, expected: SearchParams) {
        assert_eq!(
            SearchParams::parse(query).expect(query),
            expected,
            "{query}"
        );
    }

    fn check_bad(query: &str) {
        assert!(
            matches!(SearchParams::parse(query), Err(AppError::BadRequest(_))),
            "{query}"
        );
    }

    #[test]
    fn parameters_parse_or_answer_400() {
        let base = SearchParams {
            page: 1,
            ..Default::default()
        };
        check_ok("", base.clone());
        check_ok(
            "q=oil+prices&utm=x",
            SearchParams {
                q: "oil prices".into(),
                ..base.clone()
            },
        );
        check_ok(
            "q=%FF%FE",
            SearchParams {
                q: "\u{fffd}\u{fffd}".into(),
                ..base.clone()
            },
        );
        check_ok(
            "sort=newest&page=3&year=1987",
            SearchParams {
                newest: true,
                page: 3,
                year: Some(1987),
                ..base.clone()
            },
        );
        check_ok("section=&author=", base.clone());
        check_bad(&format!("q={}", "a".repeat(MAX_QUERY_CHARS + 1)));
        check_bad("page=0");
        check_bad("page=101");
        check_bad("page=x");
        check_bad("sort=random");
        check_bad("from=yesterday");
        check_bad("year=87");
        check_bad("section=Not%20A%20Slug");
    }

    #[test]
    fn urls_keep_other_parameters_and_encode() {
        let p = SearchParams {
            q: "a&b \"c\"".into(),
            year: Some(1987),
            page: 2,
            ..Default::default()
        };
        assert_eq!(
            p.url_with(&[("page", None)]),
            "/search?q=a%26b+%22c%22&year=1987"
        );
        assert_eq!(
            p.url_with(&[("year", None), ("section", Some("world".into()))]),
            "/search?q=a%26b+%22c%22&section=world"
        );
    }
}
