//! A stable fingerprint of an `ArticleInput`, so re-importing unchanged content writes nothing
//! and leaves `updated_at` (and with it ETags and Last-Modified) alone.

use broadsheet_core::{ArticleInput, Credit, Editorial, HeroInput};
use xxhash_rust::xxh3::Xxh3;

/// `body_html` is the HTML the store derived from the Markdown; it is hashed where the input's
/// own HTML field was before the body had one source, so stored hashes still match.
///
/// Every field of the input is destructured without `..`: a field added to `ArticleInput`,
/// `Editorial`, `HeroInput` or `Credit` does not compile here until it is hashed or named as
/// not content (an edit of a field left out would count as "unchanged" and be dropped). The
/// order and encoding of what is hashed must not change: stored hashes would stop matching,
/// and every article would be rewritten on the next import.
pub(crate) fn input_hash(a: &ArticleInput, body_html: &str) -> String {
    let ArticleInput {
        external_id,
        slug,
        headline,
        standfirst,
        body_markdown,
        section,
        section_name,
        authors,
        tags,
        hero,
        sources,
        instruments,
        status,
        importance,
        published_at,
        editorial,
    } = a;
    let Editorial {
        // Which article and which version an edit is based on, the correction note and who
        // saves are about the save, not the content: they are recorded with the revision.
        id: _,
        base_version: _,
        note: _,
        actor: _,
        embargo_until,
        pinned,
        seo_title,
        seo_description,
    } = editorial;
    let mut h = Xxh3::new();
    let mut field = |s: &str| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    field(external_id.as_deref().unwrap_or(""));
    field(slug.as_ref().map_or("", |s| s.as_str()));
    field(headline);
    field(standfirst);
    field(body_markdown);
    field(body_html);
    field(section.as_str());
    field(section_name);
    let instruments: Vec<String> = instruments.iter().map(ToString::to_string).collect();
    for list in [authors, tags, sources, &instruments] {
        field(&list.len().to_string());
        for item in list {
            field(item);
        }
    }
    if let Some(HeroInput {
        media_id,
        alt,
        caption,
        credit: Credit {
            photographer,
            agency,
            via,
        },
    }) = hero
    {
        field(&media_id.to_string());
        field(alt);
        field(caption);
        field(photographer.as_deref().unwrap_or(""));
        field(agency.as_deref().unwrap_or(""));
        field(via.as_deref().unwrap_or(""));
    }
    field(status.as_str());
    field(&importance.to_string());
    field(
        &published_at
            .map(|p| p.timestamp())
            .unwrap_or(i64::MIN)
            .to_string(),
    );
    field(
        &embargo_until
            .map(|t| t.timestamp())
            .unwrap_or(i64::MIN)
            .to_string(),
    );
    field(if *pinned { "pinned" } else { "" });
    field(seo_title);
    field(seo_description);
    format!("{:032x}", h.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;
    use broadsheet_core::{ArticleStatus, Slug};

    const KNOWN: &str = "6016e665b5b2da7099368d6393136b6c";
    const HTML: &str = "<p>Body</p>";

    fn input() -> ArticleInput {
        ArticleInput {
            external_id: Some("x-1".into()),
            slug: None,
            headline: "Rates held".into(),
            standfirst: "The bank waits".into(),
            body_markdown: "Body".into(),
            section: Slug::parse("economy").expect("slug"),
            section_name: "Economy".into(),
            authors: vec!["A".into()],
            tags: vec![],
            hero: Some(HeroInput {
                media_id: 1,
                alt: "alt".into(),
                caption: "caption".into(),
                credit: Credit::default(),
            }),
            sources: vec![],
            instruments: vec![],
            status: ArticleStatus::Published,
            importance: 0,
            published_at: None,
            editorial: Editorial::default(),
        }
    }

    #[test]
    fn the_hash_of_a_known_input_never_changes() {
        // Pinned: a change here would make every stored article look edited.
        assert_eq!(input_hash(&input(), HTML), KNOWN);
    }

    #[test]
    fn every_content_field_changes_the_hash_and_save_metadata_does_not() {
        let base = input_hash(&input(), HTML);
        type Edit = Box<dyn Fn(&mut ArticleInput)>;
        let edits: Vec<(&str, Edit)> = vec![
            ("headline", Box::new(|a| a.headline.push('!'))),
            ("body", Box::new(|a| a.body_markdown.push('!'))),
            (
                "credit",
                Box::new(|a| {
                    if let Some(h) = a.hero.as_mut() {
                        h.credit.agency = Some("Wire".into());
                    }
                }),
            ),
            ("pinned", Box::new(|a| a.editorial.pinned = true)),
            ("seo", Box::new(|a| a.editorial.seo_title = "t".into())),
        ];
        for (what, edit) in edits {
            let mut a = input();
            edit(&mut a);
            assert_ne!(input_hash(&a, HTML), base, "{what} left the hash alone");
        }
        let mut a = input();
        a.editorial.actor = Some(7);
        a.editorial.base_version = Some(3);
        assert_eq!(input_hash(&a, HTML), base, "who saves is not content");
    }
}
