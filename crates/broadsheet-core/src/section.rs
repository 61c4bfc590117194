//! Sections (nested and ordered, each shown in the menu or not), authors and tags, and the pure
//! functions that turn a flat list of sections into the site menu.

use serde::Serialize;

use crate::Slug;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
    pub position: i32,
    pub in_menu: bool,
}

/// A section to create or update (matched on slug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSection {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub parent: Option<Slug>,
    pub position: i32,
    pub in_menu: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Author {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
    pub bio: String,
    pub photo_media_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
}

/// One entry of the site menu with its visible children, in menu order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuItem {
    pub slug: Slug,
    pub name: String,
    pub children: Vec<MenuItem>,
}

/// Builds the menu from all sections: those marked `in_menu`, nested under their parents,
/// ordered by position then name. A hidden section hides its children too; a cycle in the
/// parent links (which the store prevents, but a hand-edited database might hold) ends the
/// descent rather than looping.
pub fn build_menu(sections: &[Section]) -> Vec<MenuItem> {
    fn children(all: &[Section], parent: Option<i64>, depth: usize) -> Vec<MenuItem> {
        if depth > 8 {
            return Vec::new();
        }
        let mut level: Vec<&Section> = all
            .iter()
            .filter(|s| s.parent_id == parent && s.in_menu)
            .collect();
        level.sort_by(|a, b| {
            a.position
                .cmp(&b.position)
                .then_with(|| a.name.cmp(&b.name))
        });
        level
            .into_iter()
            .map(|s| MenuItem {
                slug: s.slug.clone(),
                name: s.name.clone(),
                children: children(all, Some(s.id), depth + 1),
            })
            .collect()
    }
    children(sections, None, 0)
}

/// The ids of `root` and every section below it, so a parent section's page lists its
/// children's stories too.
pub fn section_subtree(sections: &[Section], root: i64) -> Vec<i64> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() && out.len() <= sections.len() {
        let parent = out[i];
        for s in sections.iter().filter(|s| s.parent_id == Some(parent)) {
            if !out.contains(&s.id) {
                out.push(s.id);
            }
        }
        i += 1;
    }
    out
}

/// The chain from the top-level section down to `id`, for breadcrumbs.
pub fn section_path(sections: &[Section], id: i64) -> Vec<&Section> {
    let mut path = Vec::new();
    let mut next = Some(id);
    while let Some(id) = next {
        let Some(s) = sections.iter().find(|s| s.id == id) else {
            break;
        };
        if path.iter().any(|p: &&Section| p.id == s.id) {
            break;
        }
        path.push(s);
        next = s.parent_id;
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(id: i64, slug: &str, parent: Option<i64>, position: i32, in_menu: bool) -> Section {
        Section {
            id,
            slug: Slug::parse(slug).expect("slug"),
            name: slug.to_uppercase(),
            description: String::new(),
            parent_id: parent,
            position,
            in_menu,
        }
    }

    fn names(items: &[MenuItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| {
                if i.children.is_empty() {
                    i.slug.to_string()
                } else {
                    format!("{}({})", i.slug, names(&i.children).join(","))
                }
            })
            .collect()
    }

    #[test]
    fn menu_nests_orders_and_hides() {
        let all = vec![
            sec(1, "world", None, 2, true),
            sec(2, "politics", None, 1, true),
            sec(3, "asia", Some(1), 2, true),
            sec(4, "europe", Some(1), 1, true),
            sec(5, "hidden", None, 0, false),
            sec(6, "under-hidden", Some(5), 0, true),
            sec(7, "quiet", Some(1), 3, false),
        ];
        assert_eq!(names(&build_menu(&all)), ["politics", "world(europe,asia)"]);
        let mut sub = section_subtree(&all, 1);
        sub.sort();
        assert_eq!(sub, [1, 3, 4, 7]);
        let path: Vec<_> = section_path(&all, 3).iter().map(|s| s.id).collect();
        assert_eq!(path, [1, 3]);
    }

    #[test]
    fn cycles_do_not_hang() {
        let all = vec![sec(1, "a", Some(2), 0, true), sec(2, "b", Some(1), 0, true)];
        assert!(build_menu(&all).is_empty());
        assert_eq!(section_subtree(&all, 1).len(), 2);
        assert_eq!(section_path(&all, 1).len(), 2);
    }
}
