//! "Use" on the wire desk: a draft made from an agency item through the one publishing path
//! (`publishing::apply_edit`), with the agency's byline as authors, the agency (and the item's
//! link) as sources, its embargo kept, and its picture fetched under the wire's rules into the
//! media library with its caption and credit, as the hero. The draft is linked back to the
//! item, so a later kill of the story flags it.

use broadsheet_core::{HeroInput, User, WireItem, WireSignal};
use broadsheet_media::Limits;
use broadsheet_store::{Saved, WireRow, WireSource};

use crate::App;
use crate::media::{MediaDetails, Upload, store_upload};
use crate::publishing::{self, Action, Draft, EditError};
use crate::wire::{Fetch, draft_body, fetch};

/// Why an item could not be used.
#[derive(Debug)]
pub enum UseError {
    /// The agency has withdrawn the story.
    Withdrawn,
    /// The draft was refused (the user's role, a rule) or could not be saved.
    Edit(EditError),
}

impl From<EditError> for UseError {
    fn from(e: EditError) -> Self {
        Self::Edit(e)
    }
}

impl From<broadsheet_store::StoreError> for UseError {
    fn from(e: broadsheet_store::StoreError) -> Self {
        Self::Edit(e.into())
    }
}

/// The people in an agency byline ("Paul Byrne and Almudena Calatrava"), as authors; titles and
/// agency names past the fourth name are left to the desk.
fn byline_authors(byline: &str) -> Vec<String> {
    byline
        .replace(" and ", ", ")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 80)
        .take(4)
        .map(str::to_owned)
        .collect()
}

/// Why an item's picture is not in the draft made from it. The editor says so in words
/// (`PictureProblem::as_str` is the code in its address, `sentence` the words), so a fixed set:
/// nothing the agency sent is shown as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureProblem {
    /// The agency's server did not give it (unreachable, an error status, a private address).
    Unreachable,
    /// Larger than the upload limits allow.
    TooLarge,
    /// Not a picture the library takes, or a damaged one.
    NotAPhoto,
}

impl PictureProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            Self::TooLarge => "too-large",
            Self::NotAPhoto => "not-a-photo",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Unreachable, Self::TooLarge, Self::NotAPhoto]
            .into_iter()
            .find(|p| p.as_str() == code)
    }

    /// What the editor tells the journalist.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::Unreachable => {
                "The agency's picture could not be fetched (its server did not give it), so this draft has no hero photo. Upload it, or choose one from the library."
            }
            Self::TooLarge => {
                "The agency's picture is larger than the upload limits allow, so this draft has no hero photo. Upload a smaller copy, or choose one from the library."
            }
            Self::NotAPhoto => {
                "The agency's picture is not a photo the library takes (or it is damaged), so this draft has no hero photo. Upload it as a JPEG, PNG, WebP or GIF, or choose one from the library."
            }
        }
    }
}

/// The picture of an item, fetched under the wire's rules (at most `limits.max_bytes`) and
/// stored like an upload with its caption and credit. `Ok(None)` when it has none; the problem
/// (logged too) when it cannot be had: the draft is made without it.
async fn fetch_picture(
    app: &App,
    user: &User,
    limits: Limits,
    source: Option<&WireSource>,
    item: &WireItem,
) -> Result<Option<i64>, PictureProblem> {
    let Some((picture, href)) = item
        .pictures
        .iter()
        .find_map(|p| Some((p, p.href.as_deref()?)))
    else {
        return Ok(None);
    };
    let allow_private = source.is_some_and(|s| s.allow_private);
    let mut options = app.wire_options;
    options.max_bytes = options.max_bytes.min(limits.max_bytes);
    let bytes = match fetch(&options, href, allow_private, (None, None)).await {
        Ok(Fetch::Body { bytes, .. }) => bytes,
        Ok(Fetch::NotModified) => return Err(PictureProblem::Unreachable),
        Err(e) => {
            tracing::warn!(picture = %href, error = %e, "cannot fetch a wire picture");
            return Err(PictureProblem::Unreachable);
        }
    };
    let clip = |s: &str| s.trim().chars().take(2000).collect::<String>();
    let upload = Upload {
        user_id: user.id,
        file_name: href.rsplit('/').next().unwrap_or("wire-picture").to_owned(),
        claimed: None,
        bytes,
        details: MediaDetails {
            alt: clip(&picture.caption),
            caption: clip(&picture.caption),
            credit: picture.credit.clone(),
        },
    };
    match store_upload(app, limits, upload).await {
        Ok(media) => Ok(Some(media.id)),
        Err(e) => {
            tracing::warn!(picture = %href, error = %e, "a wire picture was refused by the media checks");
            Err(match e {
                crate::media::UploadError::TooLarge(_) => PictureProblem::TooLarge,
                _ => PictureProblem::NotAPhoto,
            })
        }
    }
}

/// A draft made from a wire item, and why its picture is missing when it is.
#[derive(Debug)]
pub struct Used {
    pub saved: Saved,
    pub picture: Option<PictureProblem>,
}

/// Makes a draft from `row` for `user`; `limits` bound its picture as an upload would be.
pub async fn use_item(
    app: &App,
    user: &User,
    limits: Limits,
    row: &WireRow,
) -> Result<Used, UseError> {
    if row.killed || row.item.signal == WireSignal::Kill {
        return Err(UseError::Withdrawn);
    }
    let sources = app.store.wire_sources().await?;
    let source = sources.iter().find(|s| s.id == row.source_id);
    let sections = app.store.sections().await?;
    let section = source
        .map(|s| s.section.clone())
        .filter(|s| sections.iter().any(|x| x.slug.as_str() == s))
        .or_else(|| {
            sections
                .iter()
                .find(|s| s.in_menu)
                .or(sections.first())
                .map(|s| s.slug.to_string())
        })
        .unwrap_or_default();
    let item = &row.item;
    let picture = item.pictures.first();
    let (hero, picture_problem) = match fetch_picture(app, user, limits, source, item).await {
        Ok(hero) => (hero, None),
        Err(problem) => (None, Some(problem)),
    };
    let mut sources_list = vec![item.agency.clone()];
    if let Some(link) = &item.link {
        sources_list.push(link.clone());
    }
    let draft = Draft {
        action: Action::Save,
        headline: item.headline.chars().take(300).collect(),
        standfirst: String::new(),
        slug: None,
        body_markdown: draft_body(item),
        section,
        authors: byline_authors(&item.byline),
        tags: Vec::new(),
        sources: sources_list
            .iter()
            .map(|s| s.replace(',', " ").trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        instruments: Vec::new(),
        importance: 0,
        pinned: false,
        publish_at: None,
        embargo_until: item.embargo.filter(|e| *e > app.now()),
        hero: hero.map(|media_id| HeroInput {
            media_id,
            alt: picture.map(|p| p.caption.clone()).unwrap_or_default(),
            caption: picture.map(|p| p.caption.clone()).unwrap_or_default(),
            credit: picture.map(|p| p.credit.clone()).unwrap_or_default(),
        }),
        seo_title: String::new(),
        seo_description: String::new(),
        note: None,
        base_version: None,
        alert: false,
    };
    let (saved, _) = publishing::apply_edit(app, user, None, draft).await?;
    app.store
        .record_wire_use(row.id, saved.id, app.now())
        .await?;
    tracing::info!(
        item = row.id,
        article = saved.id,
        user = user.id,
        "draft made from a wire item"
    );
    Ok(Used {
        saved,
        picture: picture_problem,
    })
}
