//! The theme: minijinja templates and static assets, embedded in the binary, each overridable
//! by a file of the same name in a theme directory (`templates/NAME`, `static/NAME`) without
//! recompiling. Assets get content-hashed URLs so they can be cached forever.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, ErrorKind, Value, value::Kwargs};
use rust_embed::RustEmbed;
use serde::Serialize;

#[derive(RustEmbed)]
#[folder = "theme/"]
struct Embedded;

/// Page templates every theme must provide (checked at load so a broken theme fails at start,
/// not on a reader's request).
const PAGES: &[&str] = &[
    "home.html",
    "listing.html",
    "article.html",
    "error.html",
    "search.html",
    "markets.html",
    "instrument.html",
    "subscribe.html",
    "newsletter.html",
    "newsletter_issue.html",
    "email/digest.mjml",
    "email/digest.txt",
    "admin/base.html",
    "admin/sign_in.html",
    "admin/dashboard.html",
    "admin/articles.html",
    "admin/editor.html",
    "admin/revisions.html",
    "admin/media.html",
    "admin/sections.html",
    "admin/tags.html",
    "admin/home.html",
    "admin/users.html",
    "admin/settings.html",
    "admin/audit.html",
    "admin/webhooks.html",
    "admin/api_keys.html",
    "admin/reset.html",
    "admin/new_password.html",
    "admin/setup.html",
    "admin/newsletter.html",
];

/// Upper bound on template work per render: a theme with a runaway loop fails its page
/// instead of pinning a core.
const FUEL: u64 = 20_000_000;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("theme template {name}: {source}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("cannot read theme file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A static file with its content hash.
#[derive(Debug, Clone)]
pub struct Asset {
    pub bytes: Arc<[u8]>,
    pub content_type: &'static str,
    /// `/static/site.1a2b3c4d5e6f7a8b.css`
    pub url: String,
}

pub struct Theme {
    env: Environment<'static>,
    /// Keyed by the file name in the URL (`site.1a2b3c4d5e6f7a8b.css`).
    assets: HashMap<String, Asset>,
}

impl Theme {
    /// Loads the embedded theme, with files from `dir` (if given) taking precedence.
    pub fn load(dir: Option<&Path>) -> Result<Self, RenderError> {
        let assets = load_assets(dir)?;
        let urls: HashMap<String, String> = assets
            .values()
            .map(|a| (logical_name(&a.url), a.url.clone()))
            .collect();

        let mut env = Environment::new();
        env.set_fuel(Some(FUEL));
        env.set_formatter(html_formatter);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|source| RenderError::Template {
                name: "syntax".into(),
                source,
            })?;
        env.set_syntax(syntax);
        let template_dir = dir.map(|d| d.join("templates"));
        env.set_loader(move |name| load_template(template_dir.as_deref(), name));
        env.add_function(
            "asset",
            move |name: &str| -> Result<String, minijinja::Error> {
                urls.get(name).cloned().ok_or_else(|| {
                    minijinja::Error::new(ErrorKind::InvalidOperation, format!("no asset {name:?}"))
                })
            },
        );
        env.add_filter("date", format_date);
        env.add_filter("isodate", iso_date);
        // `{{ site.name|the }}` → "the Broadsheet Daily" or "The Meridian Ledger";
        // `|the(true)` at the start of a sentence.
        env.add_filter("the", |name: &str, start: Option<bool>| {
            broadsheet_core::prose::with_the(name, start.unwrap_or(false)).into_owned()
        });

        for page in PAGES {
            env.get_template(page)
                .map_err(|source| RenderError::Template {
                    name: (*page).into(),
                    source,
                })?;
        }
        Ok(Self { env, assets })
    }

    /// Renders page template `name` with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<String, RenderError> {
        let err = |source| RenderError::Template {
            name: name.into(),
            source,
        };
        self.env
            .get_template(name)
            .map_err(err)?
            .render(minijinja::value::Serde(context))
            .map_err(err)
    }

    /// The asset served under `/static/{file}`.
    pub fn asset(&self, file: &str) -> Option<&Asset> {
        self.assets.get(file)
    }

    /// The fingerprinted URL (`/static/favicon.1a2b….svg`) of an asset by its plain name.
    pub fn asset_url(&self, name: &str) -> Option<&str> {
        self.assets
            .values()
            .find(|a| logical_name(&a.url) == name)
            .map(|a| a.url.as_str())
    }

    /// Every asset, keyed by the file name in its URL.
    pub fn assets(&self) -> impl Iterator<Item = (&str, &Asset)> {
        self.assets.iter().map(|(k, v)| (k.as_str(), v))
    }
}

fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| !part.is_empty() && part != "..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
}

fn load_template(dir: Option<&Path>, name: &str) -> Result<Option<String>, minijinja::Error> {
    if !safe_name(name) {
        return Ok(None);
    }
    if let Some(dir) = dir {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(s) => return Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("cannot read {}: {e}", path.display()),
                ));
            }
        }
    }
    Ok(Embedded::get(&format!("templates/{name}"))
        .map(|f| String::from_utf8_lossy(&f.data).into_owned()))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `/static/site.1a2b3c4d5e6f7a8b.css` -> `site.css`
fn logical_name(url: &str) -> String {
    let file = url.rsplit('/').next().unwrap_or(url);
    let parts: Vec<&str> = file.split('.').collect();
    match parts.as_slice() {
        [stem @ .., _hash, ext] if !stem.is_empty() => format!("{}.{ext}", stem.join(".")),
        _ => file.to_owned(),
    }
}

fn load_assets(dir: Option<&Path>) -> Result<HashMap<String, Asset>, RenderError> {
    let mut files: HashMap<String, Arc<[u8]>> = HashMap::new();
    for path in Embedded::iter() {
        if let Some(name) = path.strip_prefix("static/")
            && let Some(file) = Embedded::get(&path)
        {
            files.insert(name.to_owned(), Arc::from(file.data.as_ref()));
        }
    }
    if let Some(static_dir) = dir.map(|d| d.join("static")).filter(|d| d.is_dir()) {
        let entries = std::fs::read_dir(&static_dir).map_err(|source| RenderError::Io {
            path: static_dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !safe_name(&name) || !entry.path().is_file() {
                continue;
            }
            let bytes = std::fs::read(entry.path()).map_err(|source| RenderError::Io {
                path: entry.path(),
                source,
            })?;
            files.insert(name, Arc::from(bytes));
        }
    }
    Ok(files
        .into_iter()
        .map(|(name, bytes)| {
            let hash = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes));
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name.as_str(), "bin"));
            let file = format!("{stem}.{hash}.{ext}");
            let asset = Asset {
                bytes,
                content_type: content_type(&name),
                url: format!("/static/{file}"),
            };
            (file, asset)
        })
        .collect())
}

/// Autoescaping as minijinja does it, except that `/` is left alone: it is harmless in HTML
/// text and attributes, and escaping it makes every URL path three times longer.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let plain_string = value.as_str().filter(|_| !value.is_safe());
    match (state.auto_escape(), plain_string) {
        (minijinja::AutoEscape::Html, Some(s)) => {
            let mut last = 0;
            for (i, b) in s.bytes().enumerate() {
                let rep = match b {
                    b'&' => "&amp;",
                    b'<' => "&lt;",
                    b'>' => "&gt;",
                    b'"' => "&quot;",
                    b'\'' => "&#x27;",
                    _ => continue,
                };
                out.write_str(&s[last..i]).map_err(minijinja::Error::from)?;
                out.write_str(rep).map_err(minijinja::Error::from)?;
                last = i + 1;
            }
            out.write_str(&s[last..]).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn parse_time(value: &Value) -> Result<chrono::DateTime<chrono::Utc>, minijinja::Error> {
    let s = value.as_str().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.to_utc())
        .map_err(|_| {
            minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("not a timestamp: {s:?}"),
            )
        })
}

/// `{{ t|date }}` -> "30 November 2026"; `{{ t|date(time=true) }}` adds ", 14:05 UTC".
fn format_date(value: Value, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let t = parse_time(&value)?;
    let with_time: Option<bool> = kwargs.get("time")?;
    kwargs.assert_all_used()?;
    Ok(if with_time.unwrap_or(false) {
        t.format("%-d %B %Y, %H:%M UTC").to_string()
    } else {
        t.format("%-d %B %Y").to_string()
    })
}

fn iso_date(value: Value) -> Result<String, minijinja::Error> {
    Ok(parse_time(&value)?.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoescape_escapes_markup_but_not_slashes() {
        let theme = Theme::load(None).expect("theme");
        let mut env = theme.env.clone();
        env.add_template("t.html", "{{ v }}|{{ v|safe }}")
            .expect("template");
        let out = env
            .get_template("t.html")
            .and_then(|t| t.render(minijinja::context! { v => "<a href='/x?a=1&b=\"2\"'>" }))
            .expect("render");
        assert_eq!(
            out,
            "&lt;a href=&#x27;/x?a=1&amp;b=&quot;2&quot;&#x27;&gt;|<a href='/x?a=1&b=\"2\"'>"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(safe_name("home.html"));
        assert!(safe_name("partials/card.html"));
        assert!(!safe_name("../secret"));
        assert!(!safe_name("/etc/passwd"));
        assert!(!safe_name("a//b"));
        assert!(!safe_name(""));
    }

    #[test]
    fn logical_names_strip_the_hash() {
        assert_eq!(
            logical_name("/static/site.0123456789abcdef.css"),
            "site.css"
        );
        assert_eq!(logical_name("/static/a.b.0123.js"), "a.b.js");
    }

    #[test]
    fn theme_directory_overrides_templates_and_assets() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("static")).expect("mkdir");
        std::fs::write(
            dir.path().join("templates/error.html"),
            "custom {{ status }}",
        )
        .expect("write");
        std::fs::write(dir.path().join("static/site.css"), "body{color:red}").expect("write");
        let theme = Theme::load(Some(dir.path())).expect("theme");
        let html = theme
            .render("error.html", minijinja::context! { status => 404 })
            .expect("render");
        assert_eq!(html, "custom 404");
        let (file, _) = theme
            .assets()
            .find(|(_, a)| logical_name(&a.url) == "site.css")
            .expect("css");
        assert_eq!(
            &*theme.asset(file).expect("asset").bytes,
            b"body{color:red}"
        );
    }

    #[test]
    fn a_broken_theme_fails_at_load_with_the_template_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
        std::fs::write(dir.path().join("templates/article.html"), "{% if %}").expect("write");
        let err = Theme::load(Some(dir.path()))
            .err()
            .expect("must fail")
            .to_string();
        assert!(err.contains("article.html"), "{err}");
    }

    #[test]
    fn runaway_loops_run_out_of_fuel() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
        std::fs::write(
            dir.path().join("templates/error.html"),
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
        )
        .expect("write");
        let theme = Theme::load(Some(dir.path())).expect("theme");
        assert!(theme.render("error.html", minijinja::context! {}).is_err());
    }
}
