//! RSS 2.0, Atom 1.0 and JSON Feed 1.1 from a list of articles. The XML goes through the rss
//! and atom_syndication crates (escaping, RFC 822 and RFC 3339 dates, namespaces), JSON Feed
//! through serde structs, so no feed is ever assembled from strings.

use std::collections::BTreeMap;

use broadsheet_core::Article;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Site, absolutize, picture};

/// One of the three feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Self; 3] = [Self::Rss, Self::Atom, Self::Json];

    /// The last path segment of the feed: `feed.xml`, `feed.atom`, `feed.json`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Rss => "feed.xml",
            Self::Atom => "feed.atom",
            Self::Json => "feed.json",
        }
    }

    pub fn from_file_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.file_name() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The MIME type autodiscovery links announce.
    pub fn link_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml",
            Self::Atom => "application/atom+xml",
            Self::Json => "application/feed+json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Rss => "RSS",
            Self::Atom => "Atom",
            Self::Json => "JSON Feed",
        }
    }
}

/// Which feed this is: the site's, or a section's, tag's or author's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedMeta {
    /// "The Ledger" or "The Ledger: Economy".
    pub title: String,
    pub description: String,
    /// The HTML page the feed follows (`/`, `/section/economy`).
    pub page_path: String,
    /// Full text of each story, or only its standfirst.
    pub full_text: bool,
}

impl FeedMeta {
    /// The path of the feed in `format` next to its page: `/feed.xml`, `/section/economy/feed.atom`.
    pub fn feed_path(&self, format: Format) -> String {
        let base = self.page_path.trim_end_matches('/');
        format!("{base}/{}", format.file_name())
    }
}

/// The feed in `format`. `articles` are newest first; their `body_html` is what full-text
/// feeds carry (already sanitised, embeds expanded by the caller).
pub fn render(format: Format, site: &Site, meta: &FeedMeta, articles: &[Article]) -> String {
    match format {
        Format::Rss => rss(site, meta, articles),
        Format::Atom => atom(site, meta, articles),
        Format::Json => json_feed(site, meta, articles),
    }
}

/// When the feed last changed: its newest edit, or the epoch for an empty feed (stable, so an
/// empty feed still has a stable Last-Modified).
pub fn updated(articles: &[Article]) -> DateTime<Utc> {
    articles
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn published(a: &Article) -> DateTime<Utc> {
    a.published_at.unwrap_or(a.created_at)
}

fn categories(a: &Article) -> Vec<String> {
    std::iter::once(a.section.name.clone())
        .chain(a.tags.iter().map(|t| t.name.clone()))
        .collect()
}

fn content(site: &Site, a: &Article) -> String {
    absolutize(&a.body_html, site)
}

pub fn rss(site: &Site, meta: &FeedMeta, articles: &[Article]) -> String {
    use rss::extension::atom::{AtomExtension, Link};
    use rss::extension::dublincore::DublinCoreExtension;

    let items = articles
        .iter()
        .map(|a| {
            let mut item = rss::Item::default();
            item.set_title(a.headline.clone());
            item.set_link(site.article_url(a));
            item.set_guid(rss::Guid {
                value: site.article_id(a.id, a.created_at),
                permalink: false,
            });
            item.set_pub_date(published(a).to_rfc2822());
            if !a.standfirst.is_empty() {
                // Readers treat an RSS description as HTML; a standfirst is text.
                item.set_description(broadsheet_core::html::escape(&a.standfirst));
            }
            if meta.full_text {
                item.set_content(content(site, a));
            }
            item.set_categories(
                categories(a)
                    .into_iter()
                    .map(|name| rss::Category { name, domain: None })
                    .collect::<Vec<_>>(),
            );
            if !a.authors.is_empty() {
                item.set_dublin_core_ext(DublinCoreExtension {
                    creators: a.authors.iter().map(|p| p.name.clone()).collect(),
                    ..Default::default()
                });
            }
            if let Some(hero) = &a.hero {
                let p = picture(site, hero);
                item.set_enclosure(rss::Enclosure {
                    url: p.url,
                    length: p.bytes.to_string(),
                    mime_type: p.mime,
                });
            }
            item
        })
        .collect::<Vec<_>>();
    let mut channel = rss::Channel::default();
    channel.set_title(meta.title.clone());
    channel.set_link(site.url(&meta.page_path));
    channel.set_description(broadsheet_core::html::escape(
        if meta.description.is_empty() {
            &site.tagline
        } else {
            &meta.description
        },
    ));
    channel.set_language(site.language.clone());
    channel.set_generator("Broadsheet".to_owned());
    channel.set_last_build_date(updated(articles).to_rfc2822());
    channel.set_atom_ext(AtomExtension {
        links: vec![Link {
            href: site.url(&meta.feed_path(Format::Rss)),
            rel: "self".into(),
            mime_type: Some(Format::Rss.link_type().into()),
            ..Default::default()
        }],
    });
    if let Some(logo) = site.logo_url() {
        channel.set_image(rss::Image {
            url: logo,
            title: meta.title.clone(),
            link: site.url(&meta.page_path),
            ..Default::default()
        });
    }
    channel.set_items(items);
    channel.to_string()
}

pub fn atom(site: &Site, meta: &FeedMeta, articles: &[Article]) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Link, Person, Text};

    let link = |href: String, rel: &str, mime: Option<&str>| Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(Into::into),
        ..Default::default()
    };
    let entries = articles
        .iter()
        .map(|a| {
            let mut entry = Entry::default();
            entry.set_id(site.article_id(a.id, a.created_at));
            entry.set_title(Text::plain(a.headline.clone()));
            entry.set_updated(a.updated_at.fixed_offset());
            entry.set_published(Some(published(a).fixed_offset()));
            let mut links = vec![link(site.article_url(a), "alternate", Some("text/html"))];
            if let Some(hero) = &a.hero {
                let p = picture(site, hero);
                links.push(Link {
                    length: (p.bytes > 0).then(|| p.bytes.to_string()),
                    ..link(p.url, "enclosure", Some(&p.mime))
                });
            }
            entry.set_links(links);
            if !a.standfirst.is_empty() {
                entry.set_summary(Some(Text::plain(a.standfirst.clone())));
            }
            if meta.full_text {
                entry.set_content(Some(Content {
                    value: Some(content(site, a)),
                    content_type: Some("html".into()),
                    ..Default::default()
                }));
            }
            entry.set_authors(
                a.authors
                    .iter()
                    .map(|p| Person {
                        name: p.name.clone(),
                        uri: Some(site.url(&format!("/author/{}", p.slug))),
                        email: None,
                        ..Default::default()
                    })
                    .collect::<Vec<_>>(),
            );
            entry.set_categories(
                categories(a)
                    .into_iter()
                    .map(|term| Category {
                        term,
                        ..Default::default()
                    })
                    .collect::<Vec<_>>(),
            );
            entry
        })
        .collect::<Vec<_>>();
    let mut feed = Feed::default();
    feed.set_id(site.url(&meta.page_path));
    feed.set_title(Text::plain(meta.title.clone()));
    if !meta.description.is_empty() || !site.tagline.is_empty() {
        feed.set_subtitle(Some(Text::plain(if meta.description.is_empty() {
            site.tagline.clone()
        } else {
            meta.description.clone()
        })));
    }
    feed.set_updated(updated(articles).fixed_offset());
    feed.set_lang(Some(site.language.clone()));
    feed.set_links(vec![
        link(
            site.url(&meta.feed_path(Format::Atom)),
            "self",
            Some(Format::Atom.link_type()),
        ),
        link(site.url(&meta.page_path), "alternate", Some("text/html")),
    ]);
    // A feed needs an author; entries without one inherit the publication.
    feed.set_authors(vec![Person {
        name: site.name.clone(),
        uri: Some(site.url("/")),
        email: None,
        ..Default::default()
    }]);
    feed.set_generator(Some(atom_syndication::Generator {
        value: "Broadsheet".into(),
        ..Default::default()
    }));
    if let Some(logo) = site.logo_url() {
        feed.set_logo(Some(logo));
    }
    feed.set_entries(entries);
    feed.to_string()
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<String>,
    authors: Vec<JsonAuthor>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
    url: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor>,
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<BTreeMap<&'static str, serde_json::Value>>,
}

pub fn json_feed(site: &Site, meta: &FeedMeta, articles: &[Article]) -> String {
    let items = articles
        .iter()
        .map(|a| {
            let picture = a.hero.as_ref().map(|h| picture(site, h));
            JsonItem {
                id: site.article_id(a.id, a.created_at),
                url: site.article_url(a),
                title: a.headline.clone(),
                // A JSON Feed item must have content: the summary stands in when the feed
                // carries no full text.
                content_html: meta.full_text.then(|| content(site, a)),
                content_text: (!meta.full_text).then(|| a.standfirst.clone()),
                summary: a.standfirst.clone(),
                image: picture.as_ref().map(|p| p.url.clone()),
                date_published: published(a).to_rfc3339(),
                date_modified: a.updated_at.to_rfc3339(),
                authors: a
                    .authors
                    .iter()
                    .map(|p| JsonAuthor {
                        name: p.name.clone(),
                        url: site.url(&format!("/author/{}", p.slug)),
                    })
                    .collect(),
                tags: categories(a),
                attachments: picture
                    .into_iter()
                    .map(|p| {
                        let mut m = BTreeMap::new();
                        m.insert("url", p.url.into());
                        m.insert("mime_type", p.mime.into());
                        if p.bytes > 0 {
                            m.insert("size_in_bytes", p.bytes.into());
                        }
                        m
                    })
                    .collect(),
            }
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: site.url(&meta.page_path),
        feed_url: site.url(&meta.feed_path(Format::Json)),
        description: if meta.description.is_empty() {
            &site.tagline
        } else {
            &meta.description
        },
        language: &site.language,
        icon: site.logo_url(),
        authors: vec![JsonAuthor {
            name: site.name.clone(),
            url: site.url("/"),
        }],
        items,
    };
    serde_json::to_string_pretty(&feed).unwrap_or_else(|_| "{}".into())
}
