//! Writes the demo site into a store and a media folder. Running it again updates the same
//! articles (matched on their demo ids) instead of adding copies.

use std::path::Path;

use broadsheet_core::calendar::NewEvent;
use broadsheet_core::{ArticleInput, ArticleStatus, HeroInput, NewMedia, NewSection, Slug, Symbol};
use broadsheet_store::{Store, StoreError};
use chrono::{Duration, Utc};

use crate::{HEIGHT, WIDTH, draw, site};

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0}")]
    Content(String),
    #[error("cannot write demo image {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub site_name: String,
    pub sections: usize,
    pub articles: usize,
}

pub async fn install(store: &dyn Store, media_dir: &Path) -> Result<Installed, InstallError> {
    let site = site().map_err(InstallError::Content)?;
    let bad =
        |what: &str, s: &str| InstallError::Content(format!("demo {what} {s:?} is not a slug"));

    store.set_setting("site.name", &site.site.name).await?;
    store
        .set_setting("site.tagline", &site.site.tagline)
        .await?;
    for (position, s) in site.sections.iter().enumerate() {
        let parent = match &s.parent {
            Some(p) => Some(Slug::parse(p).map_err(|_| bad("section", p))?),
            None => None,
        };
        store
            .upsert_section(&NewSection {
                slug: Slug::parse(&s.slug).map_err(|_| bad("section", &s.slug))?,
                name: s.name.clone(),
                description: s.description.clone(),
                parent,
                position: position as i32 + 1,
                in_menu: true,
            })
            .await?;
    }
    for a in &site.authors {
        store.upsert_author(&a.name, None, &a.bio).await?;
    }

    let dir = media_dir.join("demo");
    std::fs::create_dir_all(&dir).map_err(|source| InstallError::Io {
        path: dir.clone(),
        source,
    })?;
    let now = Utc::now();
    let mut inputs = Vec::with_capacity(site.articles.len());
    for (i, a) in site.articles.iter().enumerate() {
        let svg = draw(&a.art, i as u64 + 1);
        let file = format!("{}.svg", a.external_id());
        let path = dir.join(&file);
        std::fs::write(&path, &svg).map_err(|source| InstallError::Io { path, source })?;
        let media = store
            .upsert_media(&NewMedia {
                path: format!("demo/{file}"),
                mime: "image/svg+xml".into(),
                width: WIDTH,
                height: HEIGHT,
                bytes: svg.len() as u64,
                name: file.clone(),
                alt: a.alt.clone(),
                caption: a.caption.clone(),
                ..Default::default()
            })
            .await?;
        let body = a.body.trim().to_owned();
        inputs.push(ArticleInput {
            external_id: Some(a.external_id()),
            slug: None,
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            body_markdown: body,
            section: Slug::parse(&a.section).map_err(|_| bad("section", &a.section))?,
            section_name: a.section.clone(),
            authors: a.authors.clone(),
            tags: a.tags.clone(),
            hero: Some(HeroInput {
                media_id: media.id,
                alt: a.alt.clone(),
                caption: a.caption.clone(),
                credit: a.credit(),
            }),
            sources: a.sources.clone(),
            instruments: a
                .instruments
                .iter()
                .map(|s| Symbol::parse(s).map_err(|_| bad("instrument", s)))
                .collect::<Result<_, _>>()?,
            status: ArticleStatus::Published,
            importance: a.importance,
            published_at: Some(now - Duration::hours(a.hours_ago) - Duration::minutes(i as i64)),
            editorial: Default::default(),
        });
    }
    for (input, result) in inputs.iter().zip(store.save_articles(&inputs).await?) {
        result.map_err(|e| {
            InstallError::Content(format!("demo article {:?}: {e}", input.headline))
        })?;
    }
    for demo in crate::market::instruments(now.date_naive()) {
        let instrument = store.upsert_instrument(&demo.instrument).await?;
        store.save_bars(instrument.id, &demo.bars, "demo").await?;
    }
    // The calendar, with the stories written about its releases linked to them.
    let mut ids = std::collections::HashMap::new();
    for i in crate::calendar::indicators() {
        let made = store.upsert_indicator(&i).await?;
        ids.insert(made.slug.as_str().to_owned(), made.id);
    }
    let releases = crate::calendar::releases(now);
    let events: Vec<NewEvent> = releases
        .iter()
        .map(|r| NewEvent {
            indicator_id: ids.get(r.indicator).copied().unwrap_or_default(),
            external_id: None,
            period: r.period.clone(),
            scheduled: r.scheduled,
            values: r.values,
        })
        .collect();
    let saved = store.save_events(&events, "demo").await?;
    for (r, s) in releases.iter().zip(saved) {
        let Some(headline) = r.story else { continue };
        let story = site
            .articles
            .iter()
            .find(|a| a.headline == headline)
            .ok_or_else(|| {
                InstallError::Content(format!("the demo calendar names no story {headline:?}"))
            })?;
        if let Some(a) = store.article_by_external_id(&story.external_id()).await? {
            store.set_event_articles(s.id(), &[a.id]).await?;
        }
    }
    Ok(Installed {
        site_name: site.site.name,
        sections: site.sections.len(),
        articles: site.articles.len(),
    })
}
