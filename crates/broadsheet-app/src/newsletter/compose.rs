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
    /// The lead's picture (the others have none, to keep the mail light). Issues frozen before
    /// pictures were added have none.
    #[serde(default)]
    pub image: Option<Picture>,
}

/// A story's photo in the mail: an absolute URL of a JPEG copy about as wide as the mail
/// (mail clients do not all show WebP), its alt text, caption and credit line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

/// One instrument of the market strip in the mail's short market summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketLine {
    pub name: String,
    pub value: String,
    pub unit: String,
    pub percent: String,
    /// "up", "down" or "flat".
    pub direction: String,
    /// "up 0.52%": the change in words, not in colour alone.
    pub direction_text: String,
    /// The day of the close, e.g. "Fri 4 Dec".
    pub as_of: String,
    pub url: String,
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
    /// The instruments of the site's market strip at their latest close.
    #[serde(default)]
    pub markets: Vec<MarketLine>,
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
            markets: self.markets.clone(),
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
        image: None,
    }
}

/// The mail's copy of a story's hero photo: the JPEG variant nearest 1,200 px wide (twice the
/// mail's 600 px column), or the original when it is a JPEG, PNG or GIF without variants. Vector
/// art (SVG) has no picture in the mail: Gmail and Outlook do not show SVG images.
pub(crate) fn picture(app: &App, hero: &broadsheet_core::HeroImage) -> Option<Picture> {
    let media = &hero.media;
    let best = media
        .variants
        .iter()
        .filter(|v| v.format == "jpeg")
        .min_by_key(|v| v.width.abs_diff(1200));
    let (path, width, height) = match best {
        Some(v) => (v.path.as_str(), v.width, v.height),
        None if ["image/jpeg", "image/png", "image/gif"].contains(&media.mime.as_str()) => {
            (media.path.as_str(), media.width, media.height)
        }
        None => return None,
    };
    Some(Picture {
        url: app.site().url(&format!("/media/{path}")),
        width,
        height,
        alt: hero.alt.clone(),
        caption: hero.caption.clone(),
        credit: hero.credit.to_string(),
    })
}

/// The market strip's instruments at their latest close, for the mail's summary.
async fn markets(app: &App) -> Result<Vec<MarketLine>, Error> {
    // Staleness is shown by the date on each line, so no cut-off is needed here.
    let quotes = crate::quotes::strip(app, chrono::NaiveDate::MIN).await?;
    Ok(quotes
        .into_iter()
        .map(|q| MarketLine {
            url: app.site().url(&q.url),
            as_of: q.as_of.format("%a %-d %b").to_string(),
            name: q.name,
            value: q.value,
            unit: q.unit,
            percent: q.percent,
            direction: q.direction.to_owned(),
            direction_text: q.direction_text,
        })
        .collect())
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
    let mut lead_item = item(app, &lead);
    lead_item.image = lead.hero.as_ref().and_then(|h| picture(app, h));
    Ok(DigestContent {
        lead: Some(lead_item),
        top: top.into_iter().map(|a| item(app, a)).collect(),
        sections: blocks,
        markets: markets(app).await?,
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
