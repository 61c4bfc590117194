//! schema.org structured data as JSON-LD: `NewsArticle` and `BreadcrumbList` for stories,
//! `NewsMediaOrganization` and `WebSite` (with its `SearchAction`) for the front page, plus
//! `script` to embed any of them in a page safely.

use broadsheet_core::Article;
use serde_json::{Value, json};

use crate::{Site, picture};

/// The publisher, with its logo when the site has one (or the caller's fallback icon).
pub fn organization(site: &Site, logo: Option<&str>) -> Value {
    let mut org = json!({
        "@type": "NewsMediaOrganization",
        "name": site.name,
        "url": site.url("/"),
    });
    if let Some(logo) = site.logo_url().as_deref().or(logo) {
        org["logo"] = json!({ "@type": "ImageObject", "url": logo });
    }
    org
}

/// A story: what Google's article and Top Stories results ask for, and what aggregators read.
/// `logo` is the fallback publisher logo for a site without one of its own.
pub fn news_article(site: &Site, article: &Article, logo: Option<&str>) -> Value {
    let url = site.article_url(article);
    let mut value = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": { "@type": "WebPage", "@id": url },
        "url": url,
        "headline": headline(&article.headline),
        "datePublished": article.published_at.unwrap_or(article.created_at).to_rfc3339(),
        "dateModified": article.updated_at.to_rfc3339(),
        "author": article.authors.iter().map(|a| json!({
            "@type": "Person",
            "name": a.name,
            "url": site.url(&format!("/author/{}", a.slug)),
        })).collect::<Vec<_>>(),
        "publisher": organization(site, logo),
        "articleSection": article.section.name,
        "isAccessibleForFree": true,
        "inLanguage": site.language,
    });
    if !article.standfirst.is_empty() {
        value["description"] = json!(article.standfirst);
    }
    if !article.tags.is_empty() {
        value["keywords"] = json!(
            article
                .tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
        );
    }
    if let Some(hero) = &article.hero {
        let p = picture(site, hero);
        let mut image = json!({
            "@type": "ImageObject",
            "url": p.url,
            "width": p.width,
            "height": p.height,
        });
        if !hero.caption.is_empty() {
            image["caption"] = json!(hero.caption);
        }
        if !hero.credit.is_empty() {
            image["creditText"] = json!(hero.credit.to_string());
        }
        value["image"] = json!([image]);
    }
    value
}

/// Google shows at most 110 characters of a headline; longer ones are cut at a word.
fn headline(text: &str) -> String {
    if text.chars().count() <= 110 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(109).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end())
}

/// Home › Section › Subsection: (name, path) pairs after the front page.
pub fn breadcrumb(site: &Site, crumbs: &[(String, String)]) -> Value {
    let items = std::iter::once((site.name.clone(), "/".to_owned()))
        .chain(crumbs.iter().cloned())
        .enumerate()
        .map(|(i, (name, path))| {
            json!({
                "@type": "ListItem",
                "position": i + 1,
                "name": name,
                "item": site.url(&path),
            })
        })
        .collect::<Vec<_>>();
    json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": items,
    })
}

/// The front page: the publication and its site search.
pub fn home(site: &Site, logo: Option<&str>) -> Vec<Value> {
    let mut org = organization(site, logo);
    org["@context"] = json!("https://schema.org");
    vec![
        org,
        json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site.name,
            "url": site.url("/"),
            "inLanguage": site.language,
            "potentialAction": {
                "@type": "SearchAction",
                "target": {
                    "@type": "EntryPoint",
                    "urlTemplate": format!("{}?q={{search_term_string}}", site.url("/search")),
                },
                "query-input": "required name=search_term_string",
            },
        }),
    ]
}

/// JSON-LD ready to sit inside `<script type="application/ld+json">`: every `<` is written as
/// `\u003c`, so no value (a headline with `</script>` in it) can end the element early.
pub fn script(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_cannot_close_its_element() {
        let v = json!({ "headline": "</script><script>alert(1)</script>" });
        let s = script(&v);
        assert!(!s.contains('<'), "{s}");
        let back: Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back, v);
    }

    #[test]
    fn long_headlines_are_cut_at_a_word() {
        let long = "word ".repeat(40);
        let h = headline(&long);
        assert!(h.chars().count() <= 110, "{h}");
        assert!(h.ends_with("word…"), "{h}");
        assert_eq!(headline("Short"), "Short");
    }
}
