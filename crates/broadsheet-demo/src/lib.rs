//! The demo site: a fictional economic-news publication written for Broadsheet (sections,
//! authors, 30+ articles), hero images drawn by code, and `install`, which writes it all
//! through the `Store` into an empty (or earlier demo) site.

mod art;
pub mod calendar;
mod install;
pub mod market;

use broadsheet_core::{Credit, Slug};
use serde::Deserialize;

pub use art::{HEIGHT, STYLES, WIDTH, draw};
pub use install::{InstallError, Installed, install};

const SITE: &str = include_str!("../content/site.toml");
const ARTICLES: &str = include_str!("../content/articles.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct DemoSite {
    pub site: SiteInfo,
    pub sections: Vec<DemoSection>,
    pub authors: Vec<DemoAuthor>,
    #[serde(skip)]
    pub articles: Vec<DemoArticle>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SiteInfo {
    pub name: String,
    pub tagline: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoSection {
    pub slug: String,
    pub name: String,
    pub parent: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoAuthor {
    pub name: String,
    pub bio: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoArticle {
    pub headline: String,
    pub standfirst: String,
    pub section: String,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub sources: Vec<String>,
    /// Symbols of the demo instruments the story concerns.
    #[serde(default)]
    pub instruments: Vec<String>,
    pub importance: i32,
    pub hours_ago: i64,
    pub art: String,
    pub alt: String,
    pub caption: String,
    pub photographer: Option<String>,
    pub agency: Option<String>,
    pub via: Option<String>,
    pub body: String,
}

impl DemoArticle {
    pub fn credit(&self) -> Credit {
        Credit {
            photographer: self.photographer.clone(),
            agency: self.agency.clone(),
            via: self.via.clone(),
        }
    }

    /// A stable id so that running the demo twice updates rather than duplicates.
    pub fn external_id(&self) -> String {
        let slug = Slug::derive(&self.headline)
            .map(Slug::into_string)
            .unwrap_or_default();
        format!("demo-{slug}")
    }
}

#[derive(Deserialize)]
struct Articles {
    articles: Vec<DemoArticle>,
}

/// The demo content. It is embedded and checked by the tests below, so this cannot fail at
/// run time in a released binary; an error here names the broken file.
pub fn site() -> Result<DemoSite, String> {
    let mut site: DemoSite = toml::from_str(SITE).map_err(|e| format!("demo site.toml: {e}"))?;
    let articles: Articles =
        toml::from_str(ARTICLES).map_err(|e| format!("demo articles.toml: {e}"))?;
    site.articles = articles.articles;
    Ok(site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_content_is_complete_and_consistent() {
        let site = site().expect("demo content parses");
        assert!(
            site.articles.len() >= 30,
            "{} articles",
            site.articles.len()
        );
        let top: Vec<&str> = site
            .sections
            .iter()
            .filter(|s| s.parent.is_none())
            .map(|s| s.name.as_str())
            .collect();
        for needed in ["Politics", "Economy", "Markets", "World", "Technology"] {
            assert!(top.contains(&needed), "missing section {needed}");
        }
        for s in &site.sections {
            assert!(Slug::parse(&s.slug).is_ok(), "{}", s.slug);
            if let Some(p) = &s.parent {
                assert!(site.sections.iter().any(|x| &x.slug == p), "parent {p}");
            }
        }
        let mut ids = std::collections::HashSet::new();
        for a in &site.articles {
            assert!(
                site.sections.iter().any(|s| s.slug == a.section),
                "{}",
                a.section
            );
            for name in &a.authors {
                assert!(
                    site.authors.iter().any(|x| &x.name == name),
                    "author {name}"
                );
            }
            assert!(!a.alt.is_empty() && !a.caption.is_empty(), "{}", a.headline);
            assert!(!a.credit().is_empty(), "{}", a.headline);
            assert!(ids.insert(a.external_id()), "duplicate {}", a.headline);
            assert!(
                art::STYLES.contains(&a.art.as_str()),
                "unknown art {}",
                a.art
            );
            let today = chrono::Utc::now().date_naive();
            for s in &a.instruments {
                assert!(
                    market::instruments(today)
                        .iter()
                        .any(|i| i.instrument.symbol.as_str() == s),
                    "instrument {s}"
                );
            }
        }
    }
}
