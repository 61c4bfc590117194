//! A stable fingerprint of an `ArticleInput`, so re-importing unchanged content writes nothing
//! and leaves `updated_at` (and with it ETags and Last-Modified) alone.

use broadsheet_core::ArticleInput;
use xxhash_rust::xxh3::Xxh3;

pub(crate) fn input_hash(a: &ArticleInput) -> String {
    let mut h = Xxh3::new();
    let mut field = |s: &str| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    field(a.external_id.as_deref().unwrap_or(""));
    field(a.slug.as_ref().map_or("", |s| s.as_str()));
    field(&a.headline);
    field(&a.standfirst);
    field(&a.body_markdown);
    field(&a.body_html);
    field(a.section.as_str());
    field(&a.section_name);
    let instruments: Vec<String> = a.instruments.iter().map(ToString::to_string).collect();
    for list in [&a.authors, &a.tags, &a.sources, &instruments] {
        field(&list.len().to_string());
        for item in list {
            field(item);
        }
    }
    if let Some(hero) = &a.hero {
        field(&hero.media_id.to_string());
        field(&hero.alt);
        field(&hero.caption);
        field(hero.credit.photographer.as_deref().unwrap_or(""));
        field(hero.credit.agency.as_deref().unwrap_or(""));
        field(hero.credit.via.as_deref().unwrap_or(""));
    }
    field(a.status.as_str());
    field(&a.importance.to_string());
    field(
        &a.published_at
            .map(|p| p.timestamp())
            .unwrap_or(i64::MIN)
            .to_string(),
    );
    let ed = &a.editorial;
    field(
        &ed.embargo_until
            .map(|t| t.timestamp())
            .unwrap_or(i64::MIN)
            .to_string(),
    );
    field(if ed.pinned { "pinned" } else { "" });
    field(&ed.seo_title);
    field(&ed.seo_description);
    format!("{:032x}", h.digest128())
}
