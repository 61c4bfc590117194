//! The Content API's handlers: parse the query (a malformed parameter is a 400 naming it),
//! then answer through the page cache as JSON.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse as _, Response};
use broadsheet_core::{
    Article, ArticleSummary, Author, Cursor, HeroImage, Section, Slug, Symbol, section_subtree,
};
use broadsheet_store::{
    ArticleQuery, KEY_ALL, KEY_HOME, KEY_MARKET, key_article, key_author, key_section, key_tag,
};
use chrono::{DateTime, NaiveDate, Utc};
use http::HeaderMap;
use serde::Serialize;
use serde_json::{Value, json};

use super::{ApiError, ContentKey, cache_key};
use crate::client::Client;
use crate::error::AppError;
use crate::state::{AppState, Rendered};

const JSON: &str = "application/json";
const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

/// Query parameters by name (the last of repeated ones wins); `key` is the caller's key.
struct Params(HashMap<String, String>);

impl Params {
    fn new(query: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn slug(&self, name: &'static str) -> Result<Option<Slug>, ApiError> {
        self.get(name)
            .map(|v| Slug::parse(v).map_err(|_| ApiError::invalid(name, "is not a slug")))
            .transpose()
    }

    fn limit(&self) -> Result<u32, ApiError> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )),
            },
        }
    }

    /// An RFC 3339 time, or a date meaning its midnight UTC.
    fn time(&self, name: &'static str) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        if let Ok(t) = DateTime::parse_from_rfc3339(v) {
            return Ok(Some(t.with_timezone(&Utc)));
        }
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Some(t.and_utc()))
            .ok_or_else(|| ApiError::invalid(name, "must be an RFC 3339 time or a YYYY-MM-DD date"))
    }

    fn date(&self, name: &'static str) -> Result<Option<NaiveDate>, ApiError> {
        self.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| ApiError::invalid(name, "must be a YYYY-MM-DD date"))
            })
            .transpose()
    }
}

fn slug_param(param: &'static str, value: &str) -> Result<Slug, ApiError> {
    Slug::parse(value).map_err(|_| ApiError::NotFound(format!("no such {param}")))
}

async fn answer(
    state: &AppState,
    key: String,
    headers: &HeaderMap,
    render: impl Future<Output = Result<(Value, Vec<String>, Option<DateTime<Utc>>), ApiError>>,
) -> Result<Response, ApiError> {
    // The cache speaks AppError; an API error met while rendering is carried through it.
    let mut failure = None;
    let result = state
        .cached_as(key, headers, JSON, async {
            match render.await {
                Ok((value, deps, last_modified)) => Ok(Rendered {
                    html: value.to_string(),
                    deps,
                    last_modified,
                }),
                Err(e) => {
                    failure = Some(e);
                    Err(AppError::NotFound)
                }
            }
        })
        .await;
    match (result, failure) {
        (Ok(mut response), _) => {
            // Answers are shared by every key in this server's cache, but a shared cache
            // elsewhere must not hand them to a client without a key: clients keep them and
            // revalidate (a 304 costs next to nothing).
            response.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("private, no-cache"),
            );
            response.headers_mut().insert(
                http::header::VARY,
                http::HeaderValue::from_static("Authorization, Accept-Encoding"),
            );
            Ok(response)
        }
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct Image {
    url: String,
    width: u32,
    height: u32,
    alt: String,
    caption: String,
    credit: String,
    photographer: Option<String>,
    agency: Option<String>,
    via: Option<String>,
}

fn image(site: &broadsheet_syndication::Site, hero: &HeroImage) -> Image {
    let p = broadsheet_syndication::picture(site, hero);
    Image {
        url: p.url,
        width: p.width,
        height: p.height,
        alt: hero.alt.clone(),
        caption: hero.caption.clone(),
        credit: hero.credit.to_string(),
        photographer: hero.credit.photographer.clone(),
        agency: hero.credit.agency.clone(),
        via: hero.credit.via.clone(),
    }
}

fn summary(site: &broadsheet_syndication::Site, a: &ArticleSummary) -> Value {
    json!({
        "id": a.id,
        "slug": a.slug,
        "url": site.url(&format!("/article/{}", a.slug)),
        "headline": a.headline,
        "standfirst": a.standfirst,
        "section": { "slug": a.section.slug, "name": a.section.name },
        "authors": a.authors.iter().map(|p| json!({ "slug": p.slug, "name": p.name })).collect::<Vec<_>>(),
        "image": a.hero.as_ref().map(|h| image(site, h)),
        "published_at": a.published_at.to_rfc3339(),
        "updated_at": a.updated_at.to_rfc3339(),
    })
}

fn full(site: &broadsheet_syndication::Site, a: &Article) -> Value {
    json!({
        "id": a.id,
        "slug": a.slug,
        "url": site.article_url(a),
        "headline": a.headline,
        "standfirst": a.standfirst,
        "body_html": broadsheet_syndication::absolutize(&a.body_html, site),
        "section": { "slug": a.section.slug, "name": a.section.name },
        "authors": a.authors.iter().map(|p| json!({ "slug": p.slug, "name": p.name })).collect::<Vec<_>>(),
        "tags": a.tags.iter().map(|t| json!({ "slug": t.slug, "name": t.name })).collect::<Vec<_>>(),
        "image": a.hero.as_ref().map(|h| image(site, h)),
        "sources": a.sources,
        "version": a.version,
        "published_at": a.published_at.unwrap_or(a.created_at).to_rfc3339(),
        "updated_at": a.updated_at.to_rfc3339(),
    })
}

/// `GET /api/v1/articles?section=&tag=&author=&published_after=&published_before=
/// &updated_since=&limit=&cursor=`
pub(crate) async fn articles(
    State(state): State<AppState>,
    _key: ContentKey,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::new(query.as_deref());
    let section = p.slug("section")?;
    let tag = p.slug("tag")?;
    let author = p.slug("author")?;
    let published_from = p.time("published_after")?;
    let published_until = p.time("published_before")?;
    let updated_since = p.time("updated_since")?;
    if let (Some(a), Some(b)) = (published_from, published_until)
        && a >= b
    {
        return Err(ApiError::invalid(
            "published_before",
            "must be later than published_after",
        ));
    }
    let limit = p.limit()?;
    let cursor = p
        .get("cursor")
        .map(|c| {
            Cursor::parse(c)
                .map_err(|_| ApiError::invalid("cursor", "is not a cursor this API gave out"))
        })
        .transpose()?;
    let key = cache_key("/api/v1/articles", query.as_deref());
    let st = state.clone();
    answer(&state, key, &headers, async move {
        let mut q = ArticleQuery {
            published_from,
            published_until,
            updated_since,
            ..Default::default()
        };
        let mut deps = vec![KEY_ALL.to_owned(), KEY_HOME.to_owned()];
        if let Some(slug) = &section {
            let sections = st.store.sections().await?;
            let s = sections
                .iter()
                .find(|s| &s.slug == slug)
                .ok_or_else(|| ApiError::invalid("section", "no such section"))?;
            q.sections = Some(section_subtree(&sections, s.id));
            deps.push(key_section(s.id));
        }
        if let Some(slug) = &tag {
            let t = st
                .store
                .tag_by_slug(slug)
                .await?
                .ok_or_else(|| ApiError::invalid("tag", "no such tag"))?;
            q.tag = Some(t.id);
            deps.push(key_tag(t.id));
        }
        if let Some(slug) = &author {
            let a = st
                .store
                .author_by_slug(slug)
                .await?
                .ok_or_else(|| ApiError::invalid("author", "no such author"))?;
            q.author = Some(a.id);
            deps.push(key_author(a.id));
        }
        let page = st.store.query_public(&q, Utc::now(), cursor, limit).await?;
        let site = st.site().syndication();
        let next_cursor = page.next.map(|c| c.to_string());
        let next = next_cursor.as_ref().map(|c| {
            let mut pairs: Vec<(String, String)> =
                form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
                    .filter(|(k, _)| k != "cursor" && k != "key")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
            pairs.push(("cursor".into(), c.clone()));
            let qs = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            site.url(&format!("/api/v1/articles?{qs}"))
        });
        let last_modified = page.items.iter().map(|a| a.updated_at).max();
        let body = json!({
            "articles": page.items.iter().map(|a| summary(&site, a)).collect::<Vec<_>>(),
            "meta": { "limit": limit, "next_cursor": next_cursor, "next": next },
        });
        Ok((body, deps, last_modified))
    })
    .await
}

async fn public_article(state: &AppState, slug: &Slug) -> Result<Article, ApiError> {
    let mut article = state
        .store
        .public_article_by_slug(slug, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound("no such article".into()))?;
    article.body_html = crate::embeds::expand(state, &article.body_html).await?;
    Ok(article)
}

/// `GET /api/v1/articles/{slug}`
pub(crate) async fn article(
    State(state): State<AppState>,
    _key: ContentKey,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slug = slug_param("article", &slug)?;
    let key = cache_key(&format!("/api/v1/articles/{slug}"), None);
    let st = state.clone();
    answer(&state, key, &headers, async move {
        let a = public_article(&st, &slug).await?;
        let site = st.site().syndication();
        let deps = vec![
            key_article(a.id),
            KEY_ALL.into(),
            KEY_MARKET.into(),
            broadsheet_store::KEY_CALENDAR.into(),
        ];
        Ok((
            json!({ "article": full(&site, &a) }),
            deps,
            Some(a.updated_at),
        ))
    })
    .await
}

/// `GET /api/v1/articles/{slug}/ninjs`: the story as IPTC ninjs 2.1.
pub(crate) async fn ninjs(
    State(state): State<AppState>,
    _key: ContentKey,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slug = slug_param("article", &slug)?;
    let key = cache_key(&format!("/api/v1/articles/{slug}/ninjs"), None);
    let st = state.clone();
    answer(&state, key, &headers, async move {
        let a = public_article(&st, &slug).await?;
        let site = st.site().syndication();
        let deps = vec![
            key_article(a.id),
            KEY_ALL.into(),
            KEY_MARKET.into(),
            broadsheet_store::KEY_CALENDAR.into(),
        ];
        Ok((
            broadsheet_syndication::ninjs::article(&site, &a),
            deps,
            Some(a.updated_at),
        ))
    })
    .await
}

fn section_json(site: &broadsheet_syndication::Site, all: &[Section], s: &Section) -> Value {
    json!({
        "slug": s.slug,
        "name": s.name,
        "description": s.description,
        "parent": s.parent_id.and_then(|p| all.iter().find(|x| x.id == p)).map(|p| p.slug.as_str()),
        "url": site.url(&format!("/section/{}", s.slug)),
    })
}

/// `GET /api/v1/sections`
pub(crate) async fn sections(
    State(state): State<AppState>,
    _key: ContentKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let st = state.clone();
    answer(
        &state,
        cache_key("/api/v1/sections", None),
        &headers,
        async move {
            let all = st.store.sections().await?;
            let site = st.site().syndication();
            let list: Vec<Value> = all.iter().map(|s| section_json(&site, &all, s)).collect();
            Ok((json!({ "sections": list }), vec![KEY_ALL.into()], None))
        },
    )
    .await
}

/// `GET /api/v1/sections/{slug}`
pub(crate) async fn section(
    State(state): State<AppState>,
    _key: ContentKey,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slug = slug_param("section", &slug)?;
    let st = state.clone();
    let key = cache_key(&format!("/api/v1/sections/{slug}"), None);
    answer(&state, key, &headers, async move {
        let all = st.store.sections().await?;
        let s = all
            .iter()
            .find(|s| s.slug == slug)
            .ok_or_else(|| ApiError::NotFound("no such section".into()))?;
        let site = st.site().syndication();
        Ok((
            json!({ "section": section_json(&site, &all, s) }),
            vec![KEY_ALL.into(), key_section(s.id)],
            None,
        ))
    })
    .await
}

fn author_json(site: &broadsheet_syndication::Site, a: &Author) -> Value {
    json!({
        "slug": a.slug,
        "name": a.name,
        "bio": a.bio,
        "url": site.url(&format!("/author/{}", a.slug)),
    })
}

/// `GET /api/v1/authors`: everyone with a public story.
pub(crate) async fn authors(
    State(state): State<AppState>,
    _key: ContentKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let st = state.clone();
    answer(
        &state,
        cache_key("/api/v1/authors", None),
        &headers,
        async move {
            let list = st.store.public_authors(Utc::now()).await?;
            let site = st.site().syndication();
            let list: Vec<Value> = list.iter().map(|a| author_json(&site, a)).collect();
            Ok((
                json!({ "authors": list }),
                vec![KEY_ALL.into(), KEY_HOME.into()],
                None,
            ))
        },
    )
    .await
}

/// `GET /api/v1/authors/{slug}`
pub(crate) async fn author(
    State(state): State<AppState>,
    _key: ContentKey,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slug = slug_param("author", &slug)?;
    let st = state.clone();
    let key = cache_key(&format!("/api/v1/authors/{slug}"), None);
    answer(&state, key, &headers, async move {
        let a = st
            .store
            .author_by_slug(&slug)
            .await?
            .ok_or_else(|| ApiError::NotFound("no such author".into()))?;
        let site = st.site().syndication();
        Ok((
            json!({ "author": author_json(&site, &a) }),
            vec![KEY_ALL.into(), key_author(a.id)],
            None,
        ))
    })
    .await
}

fn tag_json(site: &broadsheet_syndication::Site, t: &broadsheet_core::Tag, n: i64) -> Value {
    json!({
        "slug": t.slug,
        "name": t.name,
        "articles": n,
        "url": site.url(&format!("/tag/{}", t.slug)),
    })
}

/// `GET /api/v1/tags`: every tag on a public story, with how many.
pub(crate) async fn tags(
    State(state): State<AppState>,
    _key: ContentKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let st = state.clone();
    answer(
        &state,
        cache_key("/api/v1/tags", None),
        &headers,
        async move {
            let list = st.store.public_tags(Utc::now()).await?;
            let site = st.site().syndication();
            let list: Vec<Value> = list.iter().map(|(t, n)| tag_json(&site, t, *n)).collect();
            Ok((
                json!({ "tags": list }),
                vec![KEY_ALL.into(), KEY_HOME.into()],
                None,
            ))
        },
    )
    .await
}

/// `GET /api/v1/tags/{slug}`
pub(crate) async fn tag(
    State(state): State<AppState>,
    _key: ContentKey,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slug = slug_param("tag", &slug)?;
    let st = state.clone();
    let key = cache_key(&format!("/api/v1/tags/{slug}"), None);
    answer(&state, key, &headers, async move {
        let (t, n) = st
            .store
            .public_tags(Utc::now())
            .await?
            .into_iter()
            .find(|(t, _)| t.slug == slug)
            .ok_or_else(|| ApiError::NotFound("no such tag".into()))?;
        let site = st.site().syndication();
        Ok((
            json!({ "tag": tag_json(&site, &t, n) }),
            vec![KEY_ALL.into(), KEY_HOME.into(), key_tag(t.id)],
            None,
        ))
    })
    .await
}

/// `GET /api/v1/search?q=&section=&limit=&offset=&sort=`: the site search, as JSON. Not
/// cached (queries rarely repeat) and held to the search rate limit as well.
pub(crate) async fn search(
    State(state): State<AppState>,
    _key: ContentKey,
    client: Client,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::new(query.as_deref());
    let q = p.get("q").unwrap_or("").trim().to_owned();
    if q.is_empty() {
        return Err(ApiError::invalid("q", "is required"));
    }
    if q.chars().count() > 500 {
        return Err(ApiError::invalid("q", "is longer than 500 characters"));
    }
    let limit = p.limit()?;
    let offset = match p.get("offset") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 10_000)
            .ok_or_else(|| ApiError::invalid("offset", "must be a whole number up to 10000"))?,
    };
    let sort = match p.get("sort") {
        None | Some("relevance") => broadsheet_search::Sort::Relevance,
        Some("newest") => broadsheet_search::Sort::Newest,
        Some(_) => return Err(ApiError::invalid("sort", "must be relevance or newest")),
    };
    let section = p.slug("section")?;
    state.check_search_rate(client.ip())?;
    let query = broadsheet_app::search::Query {
        text: q,
        section,
        newest: sort == broadsheet_search::Sort::Newest,
        offset,
        limit: limit as usize,
        ..Default::default()
    };
    let resolved = broadsheet_app::search::resolve(&state, &query)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if resolved.unknown.contains(&"section") {
        return Err(ApiError::invalid("section", "no such section"));
    }
    let results = broadsheet_app::search::run(&state, &state.search, resolved.request)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let site = state.site().syndication();
    let body = json!({
        "total": results.total,
        "results": results.hits.iter().map(|h| json!({
            "id": h.id,
            "slug": h.slug,
            "url": site.url(&format!("/article/{}", h.slug)),
            "headline": h.headline,
            "section": { "slug": h.section_slug, "name": h.section_name },
            "authors": h.authors.iter().map(|a| json!({ "slug": a.slug, "name": a.name })).collect::<Vec<_>>(),
            "published_at": h.published_at.to_rfc3339(),
            "snippet_html": h.snippet_html,
        })).collect::<Vec<_>>(),
        "did_you_mean": results.did_you_mean,
        "meta": { "limit": limit, "offset": offset },
    });
    Ok((
        [
            (http::header::CONTENT_TYPE, JSON),
            (http::header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response())
}

/// `GET /api/v1/markets`: every instrument with its latest close.
pub(crate) async fn markets(
    State(state): State<AppState>,
    _key: ContentKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let st = state.clone();
    answer(
        &state,
        cache_key("/api/v1/markets", None),
        &headers,
        async move {
            let mut list = Vec::new();
            for i in st.store.instruments().await? {
                let bars = st.store.latest_bars(i.id, 2).await?;
                let last = bars.last().map(|b| {
                let prev = bars.len().checked_sub(2).map(|k| bars[k].close);
                json!({
                    "date": b.date,
                    "close": b.close,
                    "change": prev.map(|p| b.close - p),
                    "change_percent": prev.filter(|p| *p != 0.0).map(|p| (b.close - p) / p * 100.0),
                })
            });
                list.push(json!({
                    "symbol": i.symbol,
                    "name": i.name,
                    "kind": i.kind,
                    "unit": i.unit,
                    "decimals": i.decimals,
                    "group": i.group,
                    "last": last,
                }));
            }
            Ok((
                json!({ "instruments": list }),
                vec![KEY_MARKET.into()],
                None,
            ))
        },
    )
    .await
}

/// `GET /api/v1/markets/{symbol}?from=&to=`: daily bars, oldest first (the last year by
/// default).
pub(crate) async fn instrument(
    State(state): State<AppState>,
    _key: ContentKey,
    Path(symbol): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let symbol =
        Symbol::parse(&symbol).map_err(|_| ApiError::NotFound("no such instrument".into()))?;
    let p = Params::new(query.as_deref());
    let from = p.date("from")?;
    let to = p.date("to")?;
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    let from = from.or_else(|| Some(Utc::now().date_naive() - chrono::Duration::days(365)));
    let key = cache_key(&format!("/api/v1/markets/{symbol}"), query.as_deref());
    let st = state.clone();
    answer(&state, key, &headers, async move {
        let i = st
            .store
            .instrument_by_symbol(&symbol)
            .await?
            .ok_or_else(|| ApiError::NotFound("no such instrument".into()))?;
        let bars = st.store.bars(i.id, from, to).await?;
        Ok((
            json!({
                "instrument": {
                    "symbol": i.symbol,
                    "name": i.name,
                    "kind": i.kind,
                    "unit": i.unit,
                    "decimals": i.decimals,
                    "group": i.group,
                },
                "bars": bars,
            }),
            vec![KEY_MARKET.into()],
            None,
        ))
    })
    .await
}

/// The most days one calendar request may span.
const CALENDAR_MAX_DAYS: i64 = 92;

/// `GET /api/v1/calendar?from=&to=&country=&importance=&tz=`: releases between two days
/// (today and the six after by default), each with its figures as numbers and as a reader
/// sees them, and the surprise.
pub(crate) async fn calendar(
    State(state): State<AppState>,
    _key: ContentKey,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    use broadsheet_core::calendar::Importance;
    let p = Params::new(query.as_deref());
    let tz: chrono_tz::Tz = match p.get("tz") {
        Some(v) => v.parse().map_err(|_| {
            ApiError::invalid("tz", "must be an IANA time zone such as Europe/London")
        })?,
        None => state.site().tz(),
    };
    let within = |name: &'static str, d: Option<NaiveDate>| match d {
        Some(d) if !(1900..=2200).contains(&chrono::Datelike::year(&d)) => Err(ApiError::invalid(
            name,
            "must be between the years 1900 and 2200",
        )),
        d => Ok(d),
    };
    let from = within("from", p.date("from")?)?
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive());
    let to = within("to", p.date("to")?)?.unwrap_or(from + chrono::Duration::days(6));
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= CALENDAR_MAX_DAYS {
        return Err(ApiError::invalid(
            "to",
            format!("must be within {CALENDAR_MAX_DAYS} days of from"),
        ));
    }
    let country = p.slug("country")?;
    let importance = p
        .get("importance")
        .map(|v| {
            v.parse::<Importance>()
                .map_err(|_| ApiError::invalid("importance", "must be low, medium or high"))
        })
        .transpose()?;
    let key = cache_key("/api/v1/calendar", query.as_deref());
    let st = state.clone();
    answer(&state, key, &headers, async move {
        let agenda = broadsheet_app::calendar::Agenda {
            from,
            days: (to - from).num_days() as u32 + 1,
            country: country.map(|c| c.as_str().to_owned()),
            importance,
            tz,
        };
        let days = broadsheet_app::calendar::agenda(&st, &agenda)
            .await
            .map_err(AppError::from)?;
        let releases: Vec<_> = days.into_iter().flat_map(|d| d.releases).collect();
        Ok((
            json!({
                "releases": releases,
                "meta": { "from": from, "to": to, "time_zone": tz.name() },
            }),
            vec![broadsheet_store::KEY_CALENDAR.into()],
            None,
        ))
    })
    .await
}

/// `GET /api/v1/calendar/{indicator}`: an indicator, its releases oldest first, and the next.
pub(crate) async fn indicator(
    State(state): State<AppState>,
    _key: ContentKey,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slug = slug_param("indicator", &slug)?;
    let key = cache_key(&format!("/api/v1/calendar/{slug}"), None);
    let st = state.clone();
    answer(&state, key, &headers, async move {
        let tz = st.site().tz();
        let h = broadsheet_app::calendar::history(&st, &slug, tz)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| ApiError::NotFound("no such indicator".into()))?;
        Ok((
            json!({
                "indicator": h.indicator,
                "releases": h.past,
                "next": h.next,
            }),
            vec![broadsheet_store::KEY_CALENDAR.into()],
            None,
        ))
    })
    .await
}
