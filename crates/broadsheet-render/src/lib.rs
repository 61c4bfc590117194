//! Turning content into what readers get: Markdown to sanitised HTML, and pages through the
//! theme's templates (embedded defaults, overridable from a theme directory at run time).
//!
//! Invariant: every piece of HTML that reaches a page from content has passed `sanitize`.

pub mod charts;
mod markdown;
mod theme;

pub use markdown::{plain_text_to_markdown, render_markdown, sanitize};
pub use theme::{Asset, RenderError, Theme};
