//! Sitemaps (sitemaps.org 0.9, with Google's image and news extensions) through sitemap-rs,
//! which also enforces the protocol's limits: 50,000 URLs a file, 1,000 news entries, 2,048
//! characters a location.

use broadsheet_core::Timestamp;
use sitemap_rs::image::Image;
use sitemap_rs::news::{News, Publication};
use sitemap_rs::sitemap::Sitemap;
use sitemap_rs::sitemap_index::SitemapIndex;
use sitemap_rs::url::Url;
use sitemap_rs::url_set::UrlSet;

use crate::Site;

/// URLs per article sitemap: the protocol's limit.
pub const URLS_PER_SITEMAP: usize = 50_000;
/// A Google News sitemap holds at most this many stories, from the last two days.
pub const NEWS_LIMIT: usize = 1_000;
pub const NEWS_WINDOW_HOURS: i64 = 48;

/// A page to list, with its pictures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub updated: Timestamp,
    /// Media paths (under /media/) of the pictures on the page.
    pub images: Vec<String>,
}

/// A story for the news sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsEntry {
    pub path: String,
    pub title: String,
    pub published: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("{0}")]
    Limit(String),
    #[error("cannot write the sitemap: {0}")]
    Io(#[from] std::io::Error),
}

fn zoned(t: Timestamp) -> jiff::Zoned {
    jiff::Timestamp::from_second(t.timestamp())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
}

fn to_string(
    write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> Result<String, SitemapError> {
    let mut buf = Vec::new();
    write(&mut buf)?;
    String::from_utf8(buf).map_err(|e| SitemapError::Limit(e.to_string()))
}

/// The index at /sitemap.xml: (path of each sitemap, when it last changed).
pub fn index(
    site: &Site,
    sitemaps: &[(String, Option<Timestamp>)],
) -> Result<String, SitemapError> {
    let list = sitemaps
        .iter()
        .map(|(path, updated)| Sitemap::new(site.url(path), updated.map(zoned)))
        .collect();
    let index = SitemapIndex::new(list).map_err(|e| SitemapError::Limit(e.to_string()))?;
    to_string(|buf| index.write(buf))
}

/// A URL set of pages with their pictures.
pub fn urls(site: &Site, entries: &[Entry]) -> Result<String, SitemapError> {
    let urls = entries
        .iter()
        .map(|e| {
            let mut url = Url::builder(site.url(&e.path));
            url.last_modified(zoned(e.updated));
            if !e.images.is_empty() {
                url.images(
                    e.images
                        .iter()
                        .map(|p| Image::new(site.media_url(p)))
                        .collect(),
                );
            }
            url.build()
                .map_err(|err| SitemapError::Limit(err.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let set = UrlSet::new(urls).map_err(|e| SitemapError::Limit(e.to_string()))?;
    to_string(|buf| set.write(buf))
}

/// The Google News sitemap: stories published in the last 48 hours, newest 1,000 at most.
pub fn news(site: &Site, entries: &[NewsEntry], now: Timestamp) -> Result<String, SitemapError> {
    let since = now - chrono::Duration::hours(NEWS_WINDOW_HOURS);
    let urls = entries
        .iter()
        .filter(|e| e.published >= since && e.published <= now)
        .take(NEWS_LIMIT)
        .map(|e| {
            Url::builder(site.url(&e.path))
                .news(News::new(
                    Publication::new(site.name.clone(), news_language(&site.language)),
                    zoned(e.published),
                    e.title.clone(),
                ))
                .build()
                .map_err(|err| SitemapError::Limit(err.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let set = UrlSet::new(urls).map_err(|e| SitemapError::Limit(e.to_string()))?;
    to_string(|buf| set.write(buf))
}

/// Google News wants an ISO 639 code, with `zh-cn`/`zh-tw` the only regional forms.
fn news_language(tag: &str) -> String {
    let lower = tag.to_ascii_lowercase();
    if lower == "zh-cn" || lower == "zh-tw" {
        return lower;
    }
    lower.split(['-', '_']).next().unwrap_or("en").to_owned()
}

/// robots.txt: the newsroom and personal pages stay out of indexes; the sitemaps are named.
pub fn robots(site: &Site) -> String {
    format!(
        "User-agent: *\nDisallow: /admin/\nDisallow: /newsletter/preferences/\nDisallow: /newsletter/unsubscribe/\nDisallow: /subscribe/confirm/\nDisallow: /search\n\nSitemap: {}\nSitemap: {}\n",
        site.url("/sitemap.xml"),
        site.url("/sitemaps/news.xml")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_languages_are_iso_639() {
        assert_eq!(news_language("en-GB"), "en");
        assert_eq!(news_language("zh-TW"), "zh-tw");
        assert_eq!(news_language("de"), "de");
    }
}
