//! IPTC ninjs 2.1 ("news in JSON"): a story as news agencies and their clients exchange it.
//! The hero picture travels as an association of type `picture` with its renditions, its
//! caption as a headline, its alt text as a description and its structured credit in `by`,
//! `copyrightholder` and `infosources`.

use broadsheet_core::Article;
use serde_json::{Value, json};

use crate::{Site, absolutize};

pub const VERSION: &str = "2.1";
pub const SCHEMA: &str = "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json";

/// The article as a ninjs 2.1 news item, with absolute links.
pub fn article(site: &Site, a: &Article) -> Value {
    let published = a.published_at.unwrap_or(a.created_at);
    let body = absolutize(&a.body_html, site);
    let words = words(&a.body_html);
    let mut item = json!({
        "standard": { "name": "ninjs", "version": VERSION, "schema": SCHEMA },
        "uri": site.article_id(a.id, a.created_at),
        "type": "text",
        "representationtype": "full",
        "profile": if a.hero.is_some() { "text-photo" } else { "text-only" },
        "version": a.version.to_string(),
        "firstcreated": published.to_rfc3339(),
        "versioncreated": a.updated_at.to_rfc3339(),
        "pubstatus": "usable",
        "language": site.language,
        "copyrightholder": site.name,
        "copyrightnotice": format!("© {} {}", published.format("%Y"), site.name),
        "slugline": a.slug.as_str(),
        "headlines": [{ "role": "main", "contenttype": "text/plain", "value": a.headline }],
        "bodies": [{
            "role": "main",
            "contenttype": "text/html",
            "wordcount": words,
            "value": body,
        }],
        "altids": [{ "role": "url", "value": site.article_url(a) }],
    });
    if !a.standfirst.is_empty() {
        item["descriptions"] =
            json!([{ "role": "summary", "contenttype": "text/plain", "value": a.standfirst }]);
    }
    if !a.authors.is_empty() {
        item["by"] = json!(
            a.authors
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        );
        item["people"] = json!(
            a.authors
                .iter()
                .map(|p| json!({
                    "name": p.name,
                    "rel": "author",
                    "uri": site.url(&format!("/author/{}", p.slug)),
                }))
                .collect::<Vec<_>>()
        );
    }
    let mut subjects = vec![json!({
        "name": a.section.name,
        "rel": "section",
        "uri": site.url(&format!("/section/{}", a.section.slug)),
    })];
    subjects.extend(a.tags.iter().map(|t| {
        json!({
            "name": t.name,
            "rel": "about",
            "uri": site.url(&format!("/tag/{}", t.slug)),
        })
    }));
    item["subjects"] = json!(subjects);
    if !a.sources.is_empty() {
        item["infosources"] = json!(
            a.sources
                .iter()
                .map(|s| json!({ "name": s, "role": "source" }))
                .collect::<Vec<_>>()
        );
    }
    if let Some(external) = &a.external_id {
        item["altids"]
            .as_array_mut()
            .expect("altids is an array")
            .push(json!({ "role": "external", "value": external }));
    }
    if let Some(hero) = &a.hero {
        let m = &hero.media;
        let mut renditions = vec![json!({
            "name": "original",
            "href": site.media_url(&m.path),
            "contenttype": m.mime,
            "width": m.width,
            "height": m.height,
            "sizeinbytes": m.bytes,
        })];
        renditions.extend(m.variants.iter().map(|v| {
            json!({
                "name": format!("{}-{}", v.format, v.width),
                "href": site.media_url(&v.path),
                "contenttype": format!("image/{}", v.format),
                "width": v.width,
                "height": v.height,
            })
        }));
        let mut picture = json!({
            "name": "featureimage",
            "uri": site.media_url(&m.path),
            "type": "picture",
            "representationtype": "full",
            "renditions": renditions,
        });
        if !hero.caption.is_empty() {
            picture["headlines"] = json!([{ "role": "caption", "value": hero.caption }]);
        }
        if !hero.alt.is_empty() {
            picture["descriptions"] = json!([{ "role": "alt", "value": hero.alt }]);
        }
        if let Some(photographer) = &hero.credit.photographer {
            picture["by"] = json!(photographer);
        }
        if let Some(agency) = &hero.credit.agency {
            picture["copyrightholder"] = json!(agency);
        }
        if !hero.credit.is_empty() {
            picture["copyrightnotice"] = json!(hero.credit.to_string());
            if let Some(via) = &hero.credit.via {
                picture["infosources"] = json!([{ "name": via, "role": "distributor" }]);
            }
        }
        item["associations"] = json!([picture]);
    }
    item
}

/// Words in sanitised HTML: runs of text between tags, split on whitespace.
fn words(html: &str) -> usize {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_ignore_markup() {
        assert_eq!(words("<p>One <a href=\"/x\">two</a></p><p>three</p>"), 3);
        assert_eq!(words(""), 0);
    }
}
