//! Choosing the digest's stories and rendering its e-mails. The stories are chosen once per
//! issue and frozen into the issue (`DigestContent`), so every subscriber, a resumed send and
//! the web archive all show the same issue. Each subscriber's copy keeps only the sections they
//! chose; copies are rendered once per distinct choice and personalised by link substitution.

use std::collections::HashSet;

use broadsheet_core::{ArticleSummary, build_menu, section_subtree};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::context::App;
use crate::error::Error;

/// Placeholders replaced per recipient in a rendered copy.
pub const PREFS_LINK: &str = "%%PREFERENCES_URL%%";
pub const UNSUBSCRIBE_LINK: &str = "%%UNSUBSCRIBE_URL%%";

const TOP: usize = 5;
const PER_SECTION: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: i64,
    pub headline: String,
    pub standfirst: String,
    pub url: String,
    pub section: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub slug: String,
    pub name: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestContent {
    pub lead: Option<Item>,
    pub top: Vec<Item>,
    pub sections: Vec<Block>,
}

impl DigestContent {
    /// The copy for a subscriber interested in `sections` (empty: all of them).
    pub fn for_sections(&self, sections: &[String]) -> Self {
        if sections.is_empty() {
            return self.clone();
        }
        Self {
            lead: self.lead.clone(),
            top: self.top.clone(),
            sections: self
                .sections
                .iter()
                .filter(|b| sections.contains(&b.slug))
                .cloned()
                .collect(),
        }
    }
}

pub fn item(app: &App, a: &ArticleSummary) -> Item {
    Item {
        id: a.id,
        headline: a.headline.clone(),
        standfirst: a.standfirst.clone(),
        url: app.site().url(&format!("/article/{}", a.slug)),
        section: a.section.name.clone(),
    }
}

/// The most important stories of the 24 hours before `now`: the editors' pinned stories and
/// importance first, then the newest; the lead, the top stories, then each menu section's best.
pub async fn choose(app: &App, now: chrono::DateTime<chrono::Utc>) -> Result<DigestContent, Error> {
    let since = now - Duration::hours(24);
    let ranked: Vec<ArticleSummary> = app
        .store
        .top_stories(now, 500, 500)
        .await?
        .into_iter()
        .filter(|a| a.published_at > since)
        .collect();
    let mut ranked = ranked.into_iter();
    let Some(lead) = ranked.next() else {
        return Ok(DigestContent::default());
    };
    let rest: Vec<ArticleSummary> = ranked.collect();
    let top: Vec<&ArticleSummary> = rest.iter().take(TOP).collect();
    let mut used: HashSet<i64> = top.iter().map(|a| a.id).chain([lead.id]).collect();
    let all_sections = app.store.sections().await?;
    let mut blocks = Vec::new();
    for entry in build_menu(&all_sections) {
        let Some(section) = all_sections.iter().find(|s| s.slug == entry.slug) else {
            continue;
        };
        let ids = section_subtree(&all_sections, section.id);
        let items: Vec<Item> = rest
            .iter()
            .filter(|a| ids.contains(&a.section.id) && !used.contains(&a.id))
            .take(PER_SECTION)
            .map(|a| item(app, a))
            .collect();
        used.extend(items.iter().map(|i| i.id));
        if !items.is_empty() {
            blocks.push(Block {
                slug: entry.slug.to_string(),
                name: entry.name.clone(),
                items,
            });
        }
    }
    Ok(DigestContent {
        lead: Some(item(app, &lead)),
        top: top.into_iter().map(|a| item(app, a)).collect(),
        sections: blocks,
    })
}

#[derive(Serialize)]
struct EmailContext<'a> {
    /// `digest` or `alert`.
    kind: &'a str,
    site: &'a crate::site::SiteConfig,
    subject: &'a str,
    intro: &'a str,
    date: String,
    digest: &'a DigestContent,
    preferences_url: &'static str,
    unsubscribe_url: &'static str,
    web_url: String,
}

/// A rendered copy before personalisation: HTML (from MJML) and plain text.
#[derive(Debug, Clone)]
pub struct Copy {
    pub html: String,
    pub text: String,
}

/// Renders the digest e-mail for `content` with the theme's `email/digest.mjml` (through
/// mrml) and `email/digest.txt`.
pub fn render(
    app: &App,
    kind: &str,
    subject: &str,
    intro: &str,
    issue_id: i64,
    created: chrono::DateTime<chrono::Utc>,
    content: &DigestContent,
) -> Result<Copy, Error> {
    let site = app.site();
    let ctx = EmailContext {
        kind,
        site: &site,
        subject,
        intro,
        date: created
            .with_timezone(&site.tz())
            .format("%A %-d %B %Y")
            .to_string(),
        digest: content,
        preferences_url: PREFS_LINK,
        unsubscribe_url: UNSUBSCRIBE_LINK,
        web_url: site.url(&format!("/newsletter/{issue_id}")),
    };
    let mjml = app.theme.render("email/digest.mjml", &ctx)?;
    let text = app.theme.render("email/digest.txt", &ctx)?;
    let parsed = mrml::parse(&mjml)
        .map_err(|e| Error::Internal(format!("the digest template is not valid MJML: {e}")))?;
    let options = mrml::prelude::render::RenderOptions {
        // No web fonts: the e-mail uses the reader's own, like the site.
        fonts: Default::default(),
        ..Default::default()
    };
    let html = parsed
        .element
        .render(&options)
        .map_err(|e| Error::Internal(format!("cannot render the digest: {e}")))?;
    Ok(Copy { html, text })
}
