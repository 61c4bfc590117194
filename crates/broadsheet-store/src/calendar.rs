//! The economic-calendar part of the store: indicators, their releases with every version of
//! their figures, and the stories linked to a release. Every write logs the `calendar` cache
//! key, so each page that shows a release is refreshed when its figures change.

use async_trait::async_trait;
use broadsheet_core::calendar::{Event, EventValues, Indicator, NewEvent, NewIndicator, Scheduled};
use broadsheet_core::{Slug, Timestamp};

use crate::Result;

/// Cache key of every page that shows the calendar.
pub const KEY_CALENDAR: &str = "calendar";

/// What saving one incoming event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSave {
    Inserted(i64),
    Updated(i64),
    Unchanged(i64),
}

impl EventSave {
    pub fn id(self) -> i64 {
        match self {
            Self::Inserted(id) | Self::Updated(id) | Self::Unchanged(id) => id,
        }
    }
}

/// Which events to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Scheduled at or after.
    pub from: Option<Timestamp>,
    /// Scheduled before.
    pub until: Option<Timestamp>,
    pub indicator_id: Option<i64>,
    /// At most this many, the earliest first (or the latest first with `newest_first`).
    pub limit: u32,
    pub newest_first: bool,
}

/// An admin's edit of one release: every field as it is to be (a value left empty is cleared).
#[derive(Debug, Clone, PartialEq)]
pub struct EventEdit {
    pub period: String,
    pub scheduled: Scheduled,
    pub values: EventValues,
}

/// One version of a release's figures, as it was saved.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRevision {
    pub at: Timestamp,
    /// "import", "push", "admin:editor@example.com".
    pub source: String,
    pub period: String,
    pub scheduled: Scheduled,
    pub values: EventValues,
}

#[async_trait]
pub trait Calendar: Send + Sync {
    /// Creates or updates an indicator, matched on slug.
    async fn upsert_indicator(&self, indicator: &NewIndicator) -> Result<Indicator>;
    /// Every indicator, by country then title.
    async fn indicators(&self) -> Result<Vec<Indicator>>;
    async fn indicator_by_slug(&self, slug: &Slug) -> Result<Option<Indicator>>;
    /// Saves incoming events in one transaction. An event is matched on its external id, else
    /// on its indicator and UTC day; its figures are laid over the stored ones (a missing
    /// figure never blanks a known one), and a version is kept whenever anything changed.
    async fn save_events(&self, events: &[NewEvent], source: &str) -> Result<Vec<EventSave>>;
    async fn events(&self, filter: &EventFilter) -> Result<Vec<Event>>;
    async fn event(&self, id: i64) -> Result<Option<Event>>;
    async fn event_by_external_id(&self, external_id: &str) -> Result<Option<Event>>;
    /// Replaces a release's period, time and figures, keeping a version; `None` when there is
    /// no such release. Moving it onto a day its indicator already has a release on is a
    /// `Conflict`.
    async fn edit_event(&self, id: i64, edit: &EventEdit, source: &str) -> Result<Option<Event>>;
    /// Every version of a release, newest first.
    async fn event_revisions(&self, id: i64) -> Result<Vec<EventRevision>>;
    /// Replaces the stories linked to a release.
    async fn set_event_articles(&self, event_id: i64, article_ids: &[i64]) -> Result<()>;
    /// The stories linked to these releases, as (event id, article id) pairs.
    async fn event_articles(&self, event_ids: &[i64]) -> Result<Vec<(i64, i64)>>;
    /// Replaces the releases a story is linked to (the editor's choice); a release that does
    /// not exist is left out.
    async fn set_article_events(&self, article_id: i64, event_ids: &[i64]) -> Result<()>;
    /// The releases a story is linked to, by id.
    async fn article_events(&self, article_id: i64) -> Result<Vec<i64>>;
}
