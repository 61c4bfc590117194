//! `/sitemap.xml` (the index), `/sitemaps/pages.xml` (front page and sections),
//! `/sitemaps/articles-N.xml` (every public story with its picture, 50,000 a file),
//! `/sitemaps/news.xml` (Google News: the last 48 hours, 1,000 at most) and `/robots.txt`.

use axum::extract::{Path, State};
use axum::response::Response;
use broadsheet_store::{KEY_ALL, KEY_HOME, ListFilter};
use broadsheet_syndication::sitemap::{self, Entry, NewsEntry, URLS_PER_SITEMAP};
use chrono::Utc;
use http::HeaderMap;

use crate::error::AppError;
use crate::state::{AppState, Rendered};

const XML: &str = "application/xml; charset=utf-8";

/// Which file under /sitemaps/.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Pages,
    News,
    /// 1-based.
    Articles(u64),
}

impl File {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "pages.xml" => Some(Self::Pages),
            "news.xml" => Some(Self::News),
            _ => {
                let n = name.strip_prefix("articles-")?.strip_suffix(".xml")?;
                // Digits only, no sign or leading zero: one URL per file.
                if n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                n.parse().ok().filter(|n| *n >= 1).map(Self::Articles)
            }
        }
    }
}

fn deps() -> Vec<String> {
    vec![KEY_HOME.into(), KEY_ALL.into()]
}

pub(crate) async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    state
        .clone()
        .cached_as("/sitemap.xml".into(), &headers, XML, async move {
            let now = Utc::now();
            let files = state
                .store
                .sitemap_files(now, URLS_PER_SITEMAP as u32)
                .await?;
            let newest = files.iter().max().copied();
            let mut list = vec![
                ("/sitemaps/pages.xml".to_owned(), newest),
                ("/sitemaps/news.xml".to_owned(), newest),
            ];
            list.extend(
                files
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (format!("/sitemaps/articles-{}.xml", i + 1), Some(*t))),
            );
            let xml = sitemap::index(&state.site().syndication(), &list)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(Rendered {
                html: xml,
                deps: deps(),
                last_modified: newest,
            })
        })
        .await
}

pub(crate) async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let file = File::parse(&name).ok_or(AppError::NotFound)?;
    state
        .clone()
        .cached_as(format!("/sitemaps/{name}"), &headers, XML, async move {
            let site = state.site().syndication();
            let now = Utc::now();
            let (xml, last_modified) = match file {
                File::Pages => {
                    let sections = state.store.sections().await?;
                    let newest = state
                        .store
                        .list_public(&ListFilter::All, now, None, 1)
                        .await?
                        .items
                        .first()
                        .map_or(now, |a| a.updated_at);
                    let mut entries = vec![Entry {
                        path: "/".into(),
                        updated: newest,
                        images: Vec::new(),
                    }];
                    entries.extend(sections.iter().map(|s| Entry {
                        path: format!("/section/{}", s.slug),
                        updated: newest,
                        images: Vec::new(),
                    }));
                    (sitemap::urls(&site, &entries), Some(newest))
                }
                File::News => {
                    let stories = state
                        .store
                        .list_public(&ListFilter::All, now, None, sitemap::NEWS_LIMIT as u32)
                        .await?
                        .items;
                    let entries = stories
                        .iter()
                        .map(|a| NewsEntry {
                            path: format!("/article/{}", a.slug),
                            title: a.headline.clone(),
                            published: a.published_at,
                        })
                        .collect::<Vec<_>>();
                    let newest = stories.iter().map(|a| a.updated_at).max();
                    (sitemap::news(&site, &entries, now), newest)
                }
                File::Articles(n) => {
                    let offset = (n - 1).saturating_mul(URLS_PER_SITEMAP as u64);
                    let rows = state
                        .store
                        .sitemap_rows(now, offset, URLS_PER_SITEMAP as u32)
                        .await?;
                    // Past the last file (but not the first, which an empty site still has).
                    if rows.is_empty() && n > 1 {
                        return Err(AppError::NotFound);
                    }
                    let entries = rows
                        .iter()
                        .map(|r| Entry {
                            path: format!("/article/{}", r.slug),
                            updated: r.updated_at,
                            images: r.image.iter().cloned().collect(),
                        })
                        .collect::<Vec<_>>();
                    let newest = rows.iter().map(|r| r.updated_at).max();
                    (sitemap::urls(&site, &entries), newest)
                }
            };
            Ok(Rendered {
                html: xml.map_err(|e| AppError::Internal(e.to_string()))?,
                deps: deps(),
                last_modified,
            })
        })
        .await
}

pub(crate) async fn robots(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    state
        .clone()
        .cached_as(
            "/robots.txt".into(),
            &headers,
            "text/plain; charset=utf-8",
            async move {
                Ok(Rendered {
                    html: sitemap::robots(&state.site().syndication()),
                    deps: vec![KEY_ALL.into()],
                    last_modified: None,
                })
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_parse_strictly() {
        assert_eq!(File::parse("pages.xml"), Some(File::Pages));
        assert_eq!(File::parse("news.xml"), Some(File::News));
        assert_eq!(File::parse("articles-1.xml"), Some(File::Articles(1)));
        assert_eq!(File::parse("articles-12.xml"), Some(File::Articles(12)));
        for bad in [
            "articles-0.xml",
            "articles-01.xml",
            "articles-+1.xml",
            "articles-.xml",
            "articles-1.xml.gz",
            "articles-99999999999999999999999.xml",
            "other.xml",
        ] {
            assert_eq!(File::parse(bad), None, "{bad}");
        }
    }
}
