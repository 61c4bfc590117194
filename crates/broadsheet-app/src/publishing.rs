//! Publishing: the one path every edit takes, from the editor's form, the Admin API and the
//! wire desk's "Use" alike. A `Draft` (plain, typed data; each desk parses its own input into
//! it) goes in with the user and the action; the newsroom rules (`may_edit`,
//! `may_transition`) are checked, the article's rules applied (a headline, a body, a section
//! that exists, alt text for a photo, a schedule in the future), the body rendered and
//! sanitised once, the article saved with its revision, the caches and the index brought up
//! to date, and a breaking-news alert started when one was asked for.
//!
//! `authorize` is the first step on its own, so that a desk can refuse an edit the user may
//! not make before it reports what is wrong with the input (the order the editor has always
//! answered in).

use broadsheet_core::{
    Article, ArticleAccess, ArticleInput, ArticleStatus, Editorial, HeroInput, NoteKind, Section,
    Slug, Symbol, User, may_edit, may_transition,
};
use broadsheet_store::{Saved, StoreError};
use chrono::{DateTime, Utc};

use crate::context::App;
use crate::error::Error;

/// What an edit asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Keep the article's status (a new article is a draft).
    Save,
    Draft,
    Submit,
    Schedule,
    Publish,
    Unpublish,
}

impl Action {
    /// The editor's and the API's names; `preview` and anything unknown are not saves.
    pub fn parse(name: &str) -> Result<Self, EditError> {
        Ok(match name {
            "" | "save" => Self::Save,
            "draft" => Self::Draft,
            "submit" => Self::Submit,
            "schedule" => Self::Schedule,
            "publish" => Self::Publish,
            "unpublish" => Self::Unpublish,
            "preview" => return Err(EditError::Invalid("a preview is not saved".into())),
            other => return Err(EditError::Invalid(format!("unknown action {other:?}"))),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Save => "save",
            Self::Draft => "draft",
            Self::Submit => "submit",
            Self::Schedule => "schedule",
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
        }
    }

    /// The status the action moves an article in `current` to.
    pub fn target(self, current: Option<ArticleStatus>) -> ArticleStatus {
        match self {
            Self::Save => current.unwrap_or(ArticleStatus::Draft),
            Self::Draft => ArticleStatus::Draft,
            Self::Submit => ArticleStatus::InReview,
            Self::Schedule => ArticleStatus::Scheduled,
            Self::Publish => ArticleStatus::Published,
            Self::Unpublish => ArticleStatus::Unpublished,
        }
    }
}

/// An edit as plain data. Each desk parses its own input (a form's strings, the API's JSON, a
/// wire item) into this; the rules that hold whatever the desk are applied by `apply_edit`.
#[derive(Debug, Clone)]
pub struct Draft {
    pub action: Action,
    pub headline: String,
    pub standfirst: String,
    /// A new slug asked for; `None` keeps the article's (or makes one from the headline).
    pub slug: Option<Slug>,
    /// The body as Markdown: the HTML is rendered from it here, once.
    pub body_markdown: String,
    /// The section's slug; it must exist.
    pub section: String,
    /// Empty: the user's own name.
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub sources: Vec<String>,
    pub instruments: Vec<Symbol>,
    /// 0 to 3.
    pub importance: i32,
    pub pinned: bool,
    pub publish_at: Option<DateTime<Utc>>,
    pub embargo_until: Option<DateTime<Utc>>,
    /// The hero photo with its alt text, caption and credit (alt text is required).
    pub hero: Option<HeroInput>,
    pub seo_title: String,
    pub seo_description: String,
    /// A correction or update to record with this save.
    pub note: Option<(NoteKind, String)>,
    /// The version the edit is based on: a save based on any other is refused.
    pub base_version: Option<i64>,
    /// Alert the subscribers who asked for breaking news once it is public.
    pub alert: bool,
}

impl Draft {
    /// The article as it stands, to change one thing (the API's publish and unpublish).
    pub fn of(article: &Article, action: Action) -> Self {
        Self {
            action,
            headline: article.headline.clone(),
            standfirst: article.standfirst.clone(),
            slug: Some(article.slug.clone()),
            body_markdown: article.body_markdown.clone(),
            section: article.section.slug.to_string(),
            authors: article.authors.iter().map(|a| a.name.clone()).collect(),
            tags: article.tags.iter().map(|t| t.name.clone()).collect(),
            sources: article.sources.clone(),
            instruments: article.instruments.clone(),
            // Imports and the demo rate stories on a wider scale than the newsroom's four steps:
            // saved again as the nearest step, as the editor shows them.
            importance: article.importance.clamp(0, 3),
            pinned: article.pinned,
            publish_at: article.published_at,
            embargo_until: article.embargo_until,
            hero: article.hero.as_ref().map(|h| HeroInput {
                media_id: h.media.id,
                alt: h.alt.clone(),
                caption: h.caption.clone(),
                credit: h.credit.clone(),
            }),
            seo_title: article.seo_title.clone(),
            seo_description: article.seo_description.clone(),
            note: None,
            base_version: Some(article.version),
            alert: false,
        }
    }
}

/// A slug asked for by a desk, or the newsroom's message about it.
pub fn parse_slug(s: &str) -> Result<Slug, String> {
    Slug::parse(s).map_err(|_| {
        format!("The slug {s:?} may only use lower-case letters, digits and single hyphens.")
    })
}

/// A market instrument named in a story, or the newsroom's message about it.
pub fn parse_instrument(s: &str) -> Result<Symbol, String> {
    Symbol::parse(s).map_err(|e| format!("Market instrument {s:?}: {}.", e.reason))
}

/// The newsroom's four steps of importance.
pub fn check_importance(i: i32) -> Result<i32, String> {
    if (0..=3).contains(&i) {
        Ok(i)
    } else {
        Err("Importance is a number from 0 to 3.".to_owned())
    }
}

/// A correction or update note; `None` when either part is empty.
pub fn parse_note(kind: &str, text: &str) -> Result<Option<(NoteKind, String)>, String> {
    match (kind, text.trim()) {
        ("", _) | (_, "") => Ok(None),
        (kind, text) => Ok(Some((
            kind.parse::<NoteKind>().map_err(|e| e.reason)?,
            text.to_owned(),
        ))),
    }
}

/// Why an edit was not saved.
#[derive(Debug)]
pub enum EditError {
    /// The user's role may not do this; the message says why.
    Forbidden(String),
    /// Something in the edit is wrong; the message says what.
    Invalid(String),
    /// Based on a stale version, with the latest version's number.
    Conflict {
        why: String,
        latest: Option<i64>,
    },
    Failed(Error),
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<Error> for EditError {
    fn from(e: Error) -> Self {
        Self::Failed(e)
    }
}

/// How the newsroom's labels name a status.
pub fn status_label(s: ArticleStatus) -> &'static str {
    match s {
        ArticleStatus::Draft => "Draft",
        ArticleStatus::InReview => "In review",
        ArticleStatus::Scheduled => "Scheduled",
        ArticleStatus::Published => "Published",
        ArticleStatus::Unpublished => "Unpublished",
    }
}

/// Whether the article is the user's own (they created it or are on its byline), and its
/// status: what the `may_*` rules decide on.
pub fn access(article: &Article, user: &User) -> ArticleAccess {
    let own = article.created_by == Some(user.id)
        || user
            .author_id
            .is_some_and(|id| article.authors.iter().any(|a| a.id == id));
    ArticleAccess {
        own,
        status: article.status,
    }
}

/// Why a user may not edit an article, in the newsroom's words.
pub fn cannot_edit_message(article: &Article) -> String {
    format!(
        "You cannot edit this article ({}). Contributors edit their own drafts; authors their \
         own articles; editors any article.",
        status_label(article.status).to_lowercase()
    )
}

fn access_or_new(article: Option<&Article>, user: &User) -> ArticleAccess {
    article.map_or(
        ArticleAccess {
            own: true,
            status: ArticleStatus::Draft,
        },
        |a| access(a, user),
    )
}

/// The newsroom's rules for this user, article and action; the status the action leads to.
pub fn authorize(
    user: &User,
    article: Option<&Article>,
    action: Action,
) -> Result<ArticleStatus, EditError> {
    let access = access_or_new(article, user);
    if let Some(a) = article
        && !may_edit(user.role, access)
    {
        return Err(EditError::Forbidden(cannot_edit_message(a)));
    }
    let current = article.map(|a| a.status);
    let target = action.target(current);
    if Some(target) != current && !may_transition(user.role, access, target) {
        return Err(EditError::Forbidden(format!(
            "Your role ({}) cannot move this article to “{}”. Submit it for review instead.",
            user.role.label(),
            status_label(target).to_lowercase()
        )));
    }
    Ok(target)
}

/// A hero photo newly chosen for a story brings what the library knows about it: each of its
/// alt text, caption and credit that the draft leaves empty is the library's (entered at
/// upload, or the agency's for a wire picture). The same photo kept keeps what the writer made
/// of it, even an emptied caption.
async fn with_library_details(
    app: &App,
    article: Option<&Article>,
    mut draft: Draft,
) -> Result<Draft, EditError> {
    let Some(hero) = draft.hero.as_mut() else {
        return Ok(draft);
    };
    let kept = article
        .and_then(|a| a.hero.as_ref())
        .is_some_and(|h| h.media.id == hero.media_id);
    if kept {
        return Ok(draft);
    }
    let Some(item) = app.store.media_item(hero.media_id).await? else {
        return Ok(draft);
    };
    if hero.alt.trim().is_empty() {
        hero.alt = item.alt;
    }
    if hero.caption.trim().is_empty() {
        hero.caption = item.caption;
    }
    if hero.credit.clone().trimmed().is_empty() {
        hero.credit = item.credit;
    }
    Ok(draft)
}

/// Checks the rules, saves the draft as `user`, brings the caches and the index up to date
/// and starts a breaking-news alert if one was asked for. Returns what was saved and the
/// status it was saved with (publishing with a time still to come schedules).
pub async fn apply_edit(
    app: &App,
    user: &User,
    article: Option<&Article>,
    draft: Draft,
) -> Result<(Saved, ArticleStatus), EditError> {
    let target = authorize(user, article, draft.action)?;
    let current = article.map(|a| a.status);
    let sections = app.store.sections().await?;
    let alert = draft.alert;
    let draft = with_library_details(app, article, draft).await?;
    let input =
        to_input(draft, article, target, user, &sections, app.now()).map_err(EditError::Invalid)?;
    // "Publish" that turned into scheduling (a future time) needs the same right.
    if Some(input.status) != current
        && !may_transition(user.role, access_or_new(article, user), input.status)
    {
        return Err(EditError::Forbidden(format!(
            "Your role ({}) cannot schedule or publish this article.",
            user.role.label()
        )));
    }
    match app.store.save_article(&input).await {
        Ok(saved) => {
            app.sync_changes().await?;
            if alert
                && input.status == ArticleStatus::Published
                && crate::newsletter::send::start_alert(app, saved.id).await?
            {
                tracing::info!(article = saved.id, "breaking-news alert started");
            }
            Ok((saved, input.status))
        }
        Err(StoreError::Conflict(why)) => {
            let latest = match article {
                Some(a) => app.store.article_by_id(a.id).await?.map(|a| a.version),
                None => None,
            };
            Err(EditError::Conflict { why, latest })
        }
        Err(StoreError::Invalid(e)) => Err(EditError::Invalid(format!("Not saved: {e}."))),
        Err(e) => Err(e.into()),
    }
}

/// Saves an old revision's content as a new version of `article`, based on version `base`;
/// the status and publication time stay as they are (restoring text never publishes or
/// unpublishes anything). `None` when there is no such revision. The caller has checked that
/// `user` may edit the article.
pub async fn restore_revision(
    app: &App,
    user: &User,
    article: &Article,
    version: i64,
    base: i64,
) -> Result<Option<Saved>, Error> {
    let Some(rev) = app.store.revision(article.id, version).await? else {
        return Ok(None);
    };
    let s = rev.snapshot;
    let part = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    let section = Slug::parse(&s.section).map_err(|e| Error::Internal(e.to_string()))?;
    let sections = app.store.sections().await?;
    let section_name = sections
        .iter()
        .find(|x| x.slug == section)
        .map(|x| x.name.clone())
        .unwrap_or_else(|| article.section.name.clone());
    let input = ArticleInput {
        external_id: article.external_id.clone(),
        slug: Slug::parse(&s.slug).ok(),
        headline: s.headline,
        standfirst: s.standfirst,
        body_markdown: s.body_markdown,
        section,
        section_name,
        authors: s.authors,
        tags: s.tags,
        hero: s.hero_media_id.map(|media_id| HeroInput {
            media_id,
            alt: s.hero_alt,
            caption: s.hero_caption,
            credit: broadsheet_core::Credit {
                photographer: part(&s.credit_photographer),
                agency: part(&s.credit_agency),
                via: part(&s.credit_via),
            },
        }),
        sources: s.sources,
        instruments: article.instruments.clone(),
        status: article.status,
        importance: s.importance,
        published_at: article.published_at,
        editorial: Editorial {
            id: Some(article.id),
            base_version: Some(base),
            embargo_until: article.embargo_until,
            pinned: article.pinned,
            seo_title: s.seo_title,
            seo_description: s.seo_description,
            note: None,
            actor: Some(user.id),
        },
    };
    let saved = app.store.save_article(&input).await?;
    app.sync_changes().await?;
    Ok(Some(saved))
}

/// The article to save from a draft, or the message to show the user.
fn to_input(
    draft: Draft,
    existing: Option<&Article>,
    status: ArticleStatus,
    user: &User,
    sections: &[Section],
    now: DateTime<Utc>,
) -> Result<ArticleInput, String> {
    let headline = draft.headline.trim().to_owned();
    if headline.is_empty() {
        return Err("Please write a headline.".into());
    }
    if draft.body_markdown.trim().is_empty() {
        return Err("Please write the story: the body is empty.".into());
    }
    let section = sections
        .iter()
        .find(|s| s.slug.as_str() == draft.section)
        .ok_or_else(|| "Please choose a section.".to_owned())?;
    let mut authors = draft.authors;
    if authors.is_empty() {
        authors.push(user.name.clone());
    }
    let hero = match draft.hero {
        None => None,
        Some(h) if h.alt.trim().is_empty() => {
            return Err("Describe the hero photo for readers who cannot see it (alt text).".into());
        }
        Some(h) => {
            let part = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            Some(HeroInput {
                media_id: h.media_id,
                alt: h.alt.trim().to_owned(),
                caption: h.caption.trim().to_owned(),
                credit: broadsheet_core::Credit {
                    photographer: part(h.credit.photographer),
                    agency: part(h.credit.agency),
                    via: part(h.credit.via),
                },
            })
        }
    };
    let (publish_at, embargo_until) = (draft.publish_at, draft.embargo_until);
    let status = match status {
        ArticleStatus::Scheduled => match publish_at.or(embargo_until) {
            None => return Err("Choose the time to publish at, then schedule.".into()),
            Some(t) if t <= now => {
                return Err(
                    "That time has passed: use “Publish now”, or pick a later time.".into(),
                );
            }
            Some(_) => ArticleStatus::Scheduled,
        },
        // "Publish" with a time still to come is scheduling.
        ArticleStatus::Published if publish_at.is_some_and(|t| t > now) => ArticleStatus::Scheduled,
        other => other,
    };
    Ok(ArticleInput {
        external_id: existing.and_then(|a| a.external_id.clone()),
        slug: draft.slug,
        headline,
        standfirst: draft.standfirst.trim().to_owned(),
        body_markdown: draft.body_markdown,
        section: section.slug.clone(),
        section_name: section.name.clone(),
        authors,
        tags: draft.tags,
        hero,
        sources: draft.sources,
        instruments: draft.instruments,
        status,
        importance: draft.importance,
        published_at: publish_at.or(existing.and_then(|a| a.published_at)),
        editorial: Editorial {
            id: existing.map(|a| a.id),
            base_version: existing.and(draft.base_version),
            embargo_until,
            pinned: draft.pinned,
            seo_title: draft.seo_title.trim().to_owned(),
            seo_description: draft.seo_description.trim().to_owned(),
            note: draft.note,
            actor: Some(user.id),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_and_lead_to_their_status() {
        assert_eq!(Action::parse("").expect("save"), Action::Save);
        assert_eq!(
            Action::Save.target(Some(ArticleStatus::Published)),
            ArticleStatus::Published
        );
        assert_eq!(Action::Save.target(None), ArticleStatus::Draft);
        for a in ["draft", "submit", "schedule", "publish", "unpublish"] {
            assert_eq!(Action::parse(a).expect(a).as_str(), a);
        }
        assert!(
            matches!(Action::parse("preview"), Err(EditError::Invalid(m)) if m.contains("preview"))
        );
        assert!(matches!(Action::parse("burn"), Err(EditError::Invalid(m)) if m.contains("burn")));
    }
}
