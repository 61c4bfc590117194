//! Syndication: what carries stories beyond their own pages. Feeds (`feed`: RSS 2.0, Atom 1.0
//! and JSON Feed 1.1, written through the rss and atom_syndication crates and serde), sitemaps
//! (`sitemap`: index, article sitemaps, Google News, images, through sitemap-rs) and schema.org
//! structured data (`jsonld`: NewsArticle, BreadcrumbList, Organization, WebSite).
//!
//! Pure functions from core types to bytes: no I/O, no store, no HTTP. Every URL they write is
//! absolute, built from `Site::origin`.

pub mod feed;
pub mod ical;
pub mod jsonld;
pub mod ninjs;
pub mod sitemap;

use broadsheet_core::{Article, HeroImage};

/// What every document needs to know about the publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub name: String,
    pub tagline: String,
    /// BCP 47, e.g. `en`.
    pub language: String,
    /// Scheme and host with no trailing slash: `https://news.example.com`.
    pub origin: String,
    /// Path under /media/ of the logo, if any.
    pub logo: Option<String>,
}

impl Site {
    /// The absolute URL of a site path (`/article/x` → `https://news.example.com/article/x`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin.trim_end_matches('/'))
    }

    pub fn article_url(&self, article: &Article) -> String {
        self.url(&format!("/article/{}", article.slug))
    }

    /// A stable id for an article that survives a change of slug: a `tag:` URI (RFC 4151).
    pub fn article_id(&self, id: i64, published: chrono::DateTime<chrono::Utc>) -> String {
        let host = self
            .origin
            .split("://")
            .nth(1)
            .unwrap_or(&self.origin)
            .split([':', '/'])
            .next()
            .unwrap_or("localhost");
        format!("tag:{host},{}:article-{id}", published.format("%Y-%m-%d"))
    }

    pub fn media_url(&self, path: &str) -> String {
        self.url(&format!("/media/{path}"))
    }

    pub fn logo_url(&self) -> Option<String> {
        self.logo.as_deref().map(|l| self.media_url(l))
    }
}

/// The picture a feed or a search engine should show for a story: its largest JPEG or the
/// stored file itself, with its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub url: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    /// Known for the stored file; unknown (0) for a resized copy.
    pub bytes: u64,
}

pub fn picture(site: &Site, hero: &HeroImage) -> Picture {
    let media = &hero.media;
    match media
        .variants
        .iter()
        .filter(|v| v.format == "jpeg")
        .max_by_key(|v| v.width)
    {
        Some(v) if v.width >= media.width => Picture {
            url: site.media_url(&v.path),
            mime: "image/jpeg".into(),
            width: v.width,
            height: v.height,
            bytes: 0,
        },
        _ => Picture {
            url: site.media_url(&media.path),
            mime: media.mime.clone(),
            width: media.width,
            height: media.height,
            bytes: media.bytes,
        },
    }
}

/// Makes root-relative links and sources in sanitised HTML absolute, for HTML read away from
/// the site (feed readers, apps). Protocol-relative (`//host`) URLs are left alone.
pub fn absolutize(html: &str, site: &Site) -> String {
    let origin = site.origin.trim_end_matches('/');
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(pos) = find_attr(rest) {
        let (before, after) = rest.split_at(pos.0);
        out.push_str(before);
        out.push_str(&after[..pos.1]);
        let value = &after[pos.1..];
        if value.starts_with('/') && !value.starts_with("//") {
            out.push_str(origin);
        }
        rest = value;
    }
    out.push_str(rest);
    out
}

/// The next ` href="` or ` src="`: (offset of the attribute, length up to the value).
fn find_attr(s: &str) -> Option<(usize, usize)> {
    let href = s.find(" href=\"").map(|i| (i, 7));
    let src = s.find(" src=\"").map(|i| (i, 6));
    match (href, src) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            name: "The Ledger".into(),
            tagline: "t".into(),
            language: "en".into(),
            origin: "https://news.example.com/".into(),
            logo: None,
        }
    }

    #[test]
    fn absolutize_makes_root_relative_urls_absolute_only() {
        let html = r##"<p><a href="/article/a">a</a> <a href="https://x.org/">x</a> <img src="/media/p.jpg" alt=""> <a href="//cdn.org/y">y</a> <a href="#n">n</a></p>"##;
        assert_eq!(
            absolutize(html, &site()),
            r##"<p><a href="https://news.example.com/article/a">a</a> <a href="https://x.org/">x</a> <img src="https://news.example.com/media/p.jpg" alt=""> <a href="//cdn.org/y">y</a> <a href="#n">n</a></p>"##
        );
        assert_eq!(absolutize("no links", &site()), "no links");
    }

    #[test]
    fn article_ids_are_tag_uris_on_the_host() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .map(|t| t.to_utc())
            .unwrap_or_default();
        assert_eq!(
            site().article_id(7, t),
            "tag:news.example.com,2026-03-01:article-7"
        );
        let local = Site {
            origin: "http://127.0.0.1:8080".into(),
            ..site()
        };
        assert_eq!(local.article_id(7, t), "tag:127.0.0.1,2026-03-01:article-7");
    }
}
