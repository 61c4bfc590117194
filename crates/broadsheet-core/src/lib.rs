//! Domain types and rules of Broadsheet: articles, sections, authors, tags, media and the
//! small value types (slugs, cursors, credits) that can only hold valid values.
//!
//! No I/O, no async runtime, no database and no HTTP here: every other crate depends on this one.

mod article;
pub mod calendar;
mod cursor;
mod error;
pub mod html;
mod market;
mod newsroom;
pub mod policy;
pub mod prose;
mod section;
mod slug;
mod wire;

pub use article::{
    Article, ArticleInput, ArticleStatus, ArticleSummary, AuthorRef, BODY_MAX, Credit, HeroImage,
    HeroInput, LibraryItem, Media, MediaVariant, NewMedia, SectionRef, TagRef,
};
pub use cursor::{Cursor, Page};
pub use error::CoreError;
pub use market::{Bar, Instrument, InstrumentKind, NewInstrument, Symbol};
pub use newsroom::{
    ArticleAccess, ArticleNote, AuditEntry, Editorial, Email, NoteKind, Permission, Revision, Role,
    Snapshot, User, may_delete, may_edit, may_publish, may_transition,
};
pub use section::{
    Author, MenuItem, NewSection, Section, Tag, build_menu, section_path, section_subtree,
};
pub use slug::Slug;
pub use wire::{
    WIRE_BODY_MAX, WIRE_GUID_MAX, WIRE_HEADLINE_MAX, WireItem, WirePicture, WireSignal,
};

/// Seconds since the Unix epoch, UTC: the one time representation the store and cursors share.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
