//! Line-by-line comparison of two texts, as the revision page and the wire desk show it.

use serde::Serialize;

#[derive(Serialize)]
pub(crate) struct DiffLine {
    /// `add`, `remove` or `same`.
    kind: &'static str,
    text: String,
}

/// A line-by-line comparison of two texts, as the revision and wire pages show it.
pub(crate) fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            kind: match c.tag() {
                similar::ChangeTag::Insert => "add",
                similar::ChangeTag::Delete => "remove",
                similar::ChangeTag::Equal => "same",
            },
            text: c.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}
