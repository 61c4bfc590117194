//! The newsroom's rules: roles, who may do what to which article, accounts' e-mail addresses,
//! corrections, revisions and the editorial fields an article carries beyond its text.
//!
//! Every authorization decision of the admin pages and APIs is one of the functions here, so
//! the rules are tested once, exhaustively, without a server.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ArticleStatus, CoreError, Timestamp};

/// A newsroom role. Each role can do everything the ones before it can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Writes drafts and submits them for review; cannot publish.
    #[default]
    Contributor,
    /// Publishes their own articles.
    Author,
    /// Edits and publishes any article; manages sections, menu, tags and the home page.
    Editor,
    /// Everything, plus users and site settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Contributor, Self::Author, Self::Editor, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contributor => "contributor",
            Self::Author => "author",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Contributor => "Contributor",
            Self::Author => "Author",
            Self::Editor => "Editor",
            Self::Admin => "Administrator",
        }
    }
}

impl FromStr for Role {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                CoreError::invalid(
                    "role",
                    format!("{s:?} is not one of admin, editor, author, contributor"),
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a route needs of the signed-in user. The admin router declares one per route and the
/// authorization matrix test walks them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Any signed-in member of the newsroom.
    Signed,
    /// Sections, menu, tags, home page curation, the audit log.
    ManageSite,
    /// Users and site settings.
    Admin,
}

impl Permission {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Self::Signed => true,
            Self::ManageSite => role >= Role::Editor,
            Self::Admin => role == Role::Admin,
        }
    }
}

/// The facts about one article an authorization decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleAccess {
    /// Whether the acting user created the article (or is one of its bylined users).
    pub own: bool,
    pub status: ArticleStatus,
}

/// May `role` open and save the article? Editors and admins: any. Authors: their own.
/// Contributors: their own while it is still a draft (once submitted it is the desk's).
pub fn may_edit(role: Role, article: ArticleAccess) -> bool {
    match role {
        Role::Editor | Role::Admin => true,
        Role::Author => article.own,
        Role::Contributor => article.own && article.status == ArticleStatus::Draft,
    }
}

/// May `role` move an article from `article.status` to `to`? Editing rights come first;
/// publishing, scheduling and unpublishing need an editor, or an author on their own article.
pub fn may_transition(role: Role, article: ArticleAccess, to: ArticleStatus) -> bool {
    if !may_edit(role, article) {
        return false;
    }
    use ArticleStatus::*;
    match to {
        Draft | InReview => {
            // Pulling a published story back to draft is unpublishing by another name.
            !matches!(article.status, Published | Scheduled) || may_publish(role, article.own)
        }
        Scheduled | Published | Unpublished => may_publish(role, article.own),
    }
}

/// May `role` publish (or schedule, or unpublish) an article it does or does not own?
pub fn may_publish(role: Role, own: bool) -> bool {
    match role {
        Role::Editor | Role::Admin => true,
        Role::Author => own,
        Role::Contributor => false,
    }
}

/// May `role` delete the article? Only editors, and contributors/authors their own drafts.
pub fn may_delete(role: Role, article: ArticleAccess) -> bool {
    match role {
        Role::Editor | Role::Admin => true,
        Role::Author | Role::Contributor => {
            article.own && matches!(article.status, ArticleStatus::Draft)
        }
    }
}

/// An e-mail address, trimmed and lower-cased; checked for the shape `local@domain.tld`
/// without pretending to implement RFC 5322.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let s = raw.trim().to_lowercase();
        let bad = |why: &str| Err(CoreError::invalid("email", why.to_owned()));
        if s.is_empty() {
            return bad("is empty");
        }
        if s.len() > 254 {
            return bad("is longer than 254 characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("needs an @");
        };
        if local.is_empty() || local.len() > 64 {
            return bad("needs a name before the @");
        }
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return bad("needs a domain such as example.com after the @");
        }
        // Format characters (right-to-left overrides, zero-width spaces) would make an address
        // read differently from what it is, in the admin and in a spreadsheet.
        let invisible = |c: char| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}');
        if s.chars().any(|c| {
            c.is_whitespace() || c.is_control() || invisible(c) || "<>()[]\\,;:\"".contains(c)
        }) {
            return bad("contains characters an address cannot have");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, CoreError> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member of the newsroom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// The byline profile articles by this user are credited to.
    pub author_id: Option<i64>,
    pub disabled: bool,
    pub created_at: Timestamp,
}

/// A correction or an update shown at the foot of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    Correction,
    Update,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Correction => "correction",
            Self::Update => "update",
        }
    }
}

impl FromStr for NoteKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "correction" => Ok(Self::Correction),
            "update" => Ok(Self::Update),
            _ => Err(CoreError::invalid(
                "note kind",
                format!("{s:?} is neither correction nor update"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleNote {
    pub kind: NoteKind,
    pub text: String,
    pub at: Timestamp,
}

/// The newsroom's fields of an article being saved, beyond its content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Editorial {
    /// Update this article (the newsroom edits by id; imports match on `external_id`).
    pub id: Option<i64>,
    /// The version the editor started from: a save based on any other is refused.
    pub base_version: Option<i64>,
    /// Nothing is public before this time, whatever the status says.
    pub embargo_until: Option<Timestamp>,
    /// Shown among the top stories on the home page regardless of age.
    pub pinned: bool,
    pub seo_title: String,
    pub seo_description: String,
    /// A correction or update to record with this save.
    pub note: Option<(NoteKind, String)>,
    /// Who is saving (recorded with the revision; the creator of a new article).
    pub actor: Option<i64>,
}

impl Editorial {
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.seo_title.chars().count() > 200 {
            return Err(CoreError::invalid(
                "seo title",
                "is longer than 200 characters",
            ));
        }
        if self.seo_description.chars().count() > 400 {
            return Err(CoreError::invalid(
                "seo description",
                "is longer than 400 characters",
            ));
        }
        if let Some((_, text)) = &self.note {
            if text.trim().is_empty() {
                return Err(CoreError::invalid("note", "is empty"));
            }
            if text.chars().count() > 2000 {
                return Err(CoreError::invalid("note", "is longer than 2000 characters"));
            }
        }
        Ok(())
    }
}

/// What a revision keeps: every field an editor can change, as they were after one save.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub headline: String,
    pub standfirst: String,
    pub slug: String,
    pub body_markdown: String,
    pub section: String,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub sources: Vec<String>,
    pub status: String,
    pub importance: i32,
    pub published_at: Option<i64>,
    pub embargo_until: Option<i64>,
    pub pinned: bool,
    pub seo_title: String,
    pub seo_description: String,
    pub hero_media_id: Option<i64>,
    pub hero_alt: String,
    pub hero_caption: String,
    pub credit_photographer: String,
    pub credit_agency: String,
    pub credit_via: String,
}

impl Snapshot {
    /// The snapshot as labelled text lines, the form revisions are compared in.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |label: &str, value: &str| {
            if !value.is_empty() {
                out.push_str(label);
                out.push_str(": ");
                out.push_str(value);
                out.push('\n');
            }
        };
        line("Headline", &self.headline);
        line("Standfirst", &self.standfirst);
        line("Slug", &self.slug);
        line("Section", &self.section);
        line("Authors", &self.authors.join(", "));
        line("Tags", &self.tags.join(", "));
        line("Sources", &self.sources.join(", "));
        line("Status", &self.status);
        line("Importance", &self.importance.to_string());
        line("Pinned", if self.pinned { "yes" } else { "" });
        line("SEO title", &self.seo_title);
        line("SEO description", &self.seo_description);
        line("Hero alt", &self.hero_alt);
        line("Hero caption", &self.hero_caption);
        line("Photographer", &self.credit_photographer);
        line("Agency", &self.credit_agency);
        line("Via", &self.credit_via);
        out.push('\n');
        out.push_str(&self.body_markdown);
        if !self.body_markdown.ends_with('\n') {
            out.push('\n');
        }
        out
    }
}

/// One stored revision of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub article_id: i64,
    pub version: i64,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub at: Timestamp,
    pub snapshot: Snapshot,
}

/// An entry of the audit log: who did what to which article, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub action: String,
    pub article_id: Option<i64>,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    const STATUSES: [ArticleStatus; 5] = [Draft, InReview, Scheduled, Published, Unpublished];

    #[test]
    fn contributors_never_publish_and_lose_the_pen_on_submission() {
        for status in STATUSES {
            for own in [true, false] {
                let a = ArticleAccess { own, status };
                for to in [Scheduled, Published, Unpublished] {
                    assert!(!may_transition(Role::Contributor, a, to), "{a:?} -> {to:?}");
                }
                assert_eq!(may_edit(Role::Contributor, a), own && status == Draft);
            }
        }
        let own_draft = ArticleAccess {
            own: true,
            status: Draft,
        };
        assert!(may_transition(Role::Contributor, own_draft, InReview));
    }

    #[test]
    fn authors_publish_only_their_own() {
        for status in STATUSES {
            let own = ArticleAccess { own: true, status };
            let other = ArticleAccess { own: false, status };
            assert!(may_transition(Role::Author, own, Published));
            assert!(!may_transition(Role::Author, other, Published));
            assert!(!may_edit(Role::Author, other));
        }
    }

    #[test]
    fn editors_and_admins_do_anything_to_any_article() {
        for role in [Role::Editor, Role::Admin] {
            for status in STATUSES {
                let a = ArticleAccess { own: false, status };
                assert!(may_edit(role, a));
                assert!(may_delete(role, a));
                for to in STATUSES {
                    assert!(may_transition(role, a, to));
                }
            }
        }
    }

    /// The whole policy, written out: for every role, own or someone else's article, and
    /// status, whether the role may Edit, Delete and Publish it, and move it to draft, in
    /// review, scheduled, published, unpublished (`d i s p u`; `-`: refused). A change to any
    /// rule shows here as a line that no longer holds.
    const POLICY: &str = "
        contributor own   draft       ED- di---
        contributor own   in_review   --- -----
        contributor own   scheduled   --- -----
        contributor own   published   --- -----
        contributor own   unpublished --- -----
        contributor other draft       --- -----
        contributor other in_review   --- -----
        contributor other scheduled   --- -----
        contributor other published   --- -----
        contributor other unpublished --- -----
        author      own   draft       EDP dispu
        author      own   in_review   E-P dispu
        author      own   scheduled   E-P dispu
        author      own   published   E-P dispu
        author      own   unpublished E-P dispu
        author      other draft       --- -----
        author      other in_review   --- -----
        author      other scheduled   --- -----
        author      other published   --- -----
        author      other unpublished --- -----
        editor      own   draft       EDP dispu
        editor      own   in_review   EDP dispu
        editor      own   scheduled   EDP dispu
        editor      own   published   EDP dispu
        editor      own   unpublished EDP dispu
        editor      other draft       EDP dispu
        editor      other in_review   EDP dispu
        editor      other scheduled   EDP dispu
        editor      other published   EDP dispu
        editor      other unpublished EDP dispu
        admin       own   draft       EDP dispu
        admin       own   in_review   EDP dispu
        admin       own   scheduled   EDP dispu
        admin       own   published   EDP dispu
        admin       own   unpublished EDP dispu
        admin       other draft       EDP dispu
        admin       other in_review   EDP dispu
        admin       other scheduled   EDP dispu
        admin       other published   EDP dispu
        admin       other unpublished EDP dispu
    ";

    #[test]
    fn every_role_status_and_action_is_as_the_policy_table_says() {
        let mut seen = std::collections::BTreeSet::new();
        for line in POLICY.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [role, own, status, edp, moves] = f[..] else {
                panic!("{line}");
            };
            let role: Role = role.parse().expect("role");
            let own = own == "own";
            let status = STATUSES
                .into_iter()
                .find(|s| s.as_str() == status)
                .expect("status");
            let a = ArticleAccess { own, status };
            let flag = |s: &str, i: usize| s.as_bytes()[i] != b'-';
            assert_eq!(may_edit(role, a), flag(edp, 0), "edit: {line}");
            assert_eq!(may_delete(role, a), flag(edp, 1), "delete: {line}");
            assert_eq!(may_publish(role, own), flag(edp, 2), "publish: {line}");
            for (i, to) in STATUSES.into_iter().enumerate() {
                assert_eq!(
                    may_transition(role, a, to),
                    flag(moves, i),
                    "to {to:?}: {line}"
                );
            }
            assert!(seen.insert((role, own, status.as_str())), "twice: {line}");
        }
        assert_eq!(
            seen.len(),
            Role::ALL.len() * 2 * STATUSES.len(),
            "every case"
        );
    }

    #[test]
    fn permissions_by_role() {
        let expect = [
            (Permission::Signed, [true, true, true, true]),
            (Permission::ManageSite, [false, false, true, true]),
            (Permission::Admin, [false, false, false, true]),
        ];
        for (p, allowed) in expect {
            for (role, ok) in Role::ALL.into_iter().zip(allowed) {
                assert_eq!(p.allows(role), ok, "{p:?} {role:?}");
            }
        }
    }

    #[test]
    fn emails_are_normalised_or_rejected_with_a_reason() {
        assert_eq!(
            Email::parse("  Ana.Ruiz@Example.COM ").map(|e| e.to_string()),
            Ok("ana.ruiz@example.com".to_owned())
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@example",
            "ana@.com",
            "a b@example.com",
            "ana@exa..mple.com",
            "<script>@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(300))).is_err());
    }

    #[test]
    fn roles_round_trip_and_unknown_ones_are_named() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        let e = "owner".parse::<Role>().expect_err("unknown role");
        assert!(e.to_string().contains("owner"));
    }

    #[test]
    fn snapshot_text_lists_set_fields_then_the_body() {
        let s = Snapshot {
            headline: "Rates held".into(),
            body_markdown: "First.\n\nSecond.".into(),
            tags: vec!["rates".into(), "ecb".into()],
            ..Default::default()
        };
        assert_eq!(
            s.to_text(),
            "Headline: Rates held\nTags: rates, ecb\nImportance: 0\n\nFirst.\n\nSecond.\n"
        );
    }
}
