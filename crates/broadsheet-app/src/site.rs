//! The site as configured and as the newsroom edited it: `SiteConfig` with the absolute URLs
//! every link that leaves a page is made from, and the settings the admin may override.

use serde::{Deserialize, Serialize};

/// Site-wide settings shown on pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// The publication's name, shown in the masthead and titles.
    pub name: String,
    /// One line under the name.
    pub tagline: String,
    /// BCP 47 language of the content (`lang` of every page).
    pub language: String,
    /// Public base URL (`https://news.example.com`), for canonical links and the links in
    /// e-mails. An `https` base URL also makes session cookies `Secure`.
    pub base_url: Option<String>,
    /// IANA time zone the newsroom schedules in (`Europe/London`).
    pub time_zone: String,
    /// Path under /media/ of the masthead logo, if any.
    pub logo: Option<String>,
}

impl SiteConfig {
    /// The newsroom's time zone; an unknown name (only a hand-edited config has one) is UTC.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The absolute URL of `path` for links that leave the site (e-mails), or the path alone
    /// without a base URL.
    pub fn url(&self, path: &str) -> String {
        match &self.base_url {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => path.to_owned(),
        }
    }

    /// Scheme and host for the absolute URLs of feeds, sitemaps and structured data. `serve`
    /// sets the base URL to the address it listens on when none is configured, so this is
    /// `http://localhost` only for a state built without one (tests). Never taken from the
    /// request's Host header: a cached page must not carry a URL a client chose.
    pub fn origin(&self) -> String {
        self.base_url
            .as_deref()
            .map_or("http://localhost", |b| b.trim_end_matches('/'))
            .to_owned()
    }

    /// The publication as the syndication crate sees it.
    pub fn syndication(&self) -> broadsheet_syndication::Site {
        broadsheet_syndication::Site {
            name: self.name.clone(),
            tagline: self.tagline.clone(),
            language: self.language.clone(),
            origin: self.origin(),
            logo: self.logo.clone(),
        }
    }
}

/// Settings the admin edits, stored in the database and layered over the configuration.
pub const SITE_SETTINGS: [&str; 5] = [
    "site.name",
    "site.tagline",
    "site.language",
    "site.time_zone",
    "site.logo",
];

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            name: "Broadsheet".into(),
            tagline: "News that matters, served fast".into(),
            language: "en".into(),
            base_url: None,
            time_zone: "UTC".into(),
            logo: None,
        }
    }
}

impl SiteConfig {
    /// This configuration with the admin's stored settings (`SITE_SETTINGS`) laid over it.
    pub fn with_settings(
        mut self,
        stored: impl IntoIterator<Item = (&'static str, String)>,
    ) -> Self {
        for (key, value) in stored {
            match key {
                "site.name" => self.name = value,
                "site.tagline" => self.tagline = value,
                "site.language" => self.language = value,
                "site.time_zone" => self.time_zone = value,
                "site.logo" => self.logo = (!value.is_empty()).then_some(value),
                _ => {}
            }
        }
        self
    }

    /// The public address when it is an absolute http(s) URL: what links in e-mails need.
    pub fn absolute_base(&self) -> Option<&str> {
        self.base_url.as_deref().map(str::trim).filter(|b| {
            (b.starts_with("https://") || b.starts_with("http://"))
                && b.split("://").nth(1).is_some_and(|h| !h.is_empty())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_settings_override_the_configuration() {
        let site = SiteConfig::default().with_settings([
            ("site.name", "The Ledger".to_owned()),
            ("site.logo", String::new()),
        ]);
        assert_eq!(site.name, "The Ledger");
        assert_eq!(site.logo, None);
    }

    #[test]
    fn only_an_http_url_with_a_host_is_an_absolute_base() {
        let with = |b: &str| SiteConfig {
            base_url: Some(b.into()),
            ..SiteConfig::default()
        };
        assert_eq!(
            with("https://news.example.com").absolute_base(),
            Some("https://news.example.com")
        );
        assert_eq!(with("/news").absolute_base(), None);
        assert_eq!(with("https://").absolute_base(), None);
        assert_eq!(SiteConfig::default().absolute_base(), None);
    }
}
