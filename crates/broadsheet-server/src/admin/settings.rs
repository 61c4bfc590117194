//! Site settings (admins): name, tagline, language, time zone, public address and the other
//! settings stored over the configuration, each change audited and applied on every node.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use broadsheet_store::NewAudit;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::site::{Done, saved, sync_error};
use super::{Page, see_other};
use crate::auth::{Admin, Session};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct SettingsForm {
    #[serde(skip_serializing)]
    csrf: String,
    name: String,
    tagline: String,
    language: String,
    time_zone: String,
    logo: String,
}

#[derive(Serialize)]
struct SettingsPage {
    form: SettingsForm,
    zones: Vec<&'static str>,
    logos: Vec<broadsheet_core::LibraryItem>,
}

async fn settings_page(
    state: &AppState,
    session: &Session,
    form: SettingsForm,
    page: Page<'_>,
) -> Result<Response, AppError> {
    page.render(
        state,
        Some(session),
        SettingsPage {
            form,
            zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
            logos: state.store.media_library(None, 100).await?,
        },
    )
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let site = state.site();
    let form = SettingsForm {
        csrf: String::new(),
        name: site.name.clone(),
        tagline: site.tagline.clone(),
        language: site.language.clone(),
        time_zone: site.time_zone.clone(),
        logo: site.logo.clone().unwrap_or_default(),
    };
    settings_page(
        &state,
        &session,
        form,
        Page::new("admin/settings.html", "Site settings", "settings").notice(saved(&d)),
    )
    .await
}

/// A BCP 47 tag of the simple kind sites use (`en`, `en-GB`, `pt-BR`, `zh-Hant`).
fn valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

pub(crate) async fn save_settings(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let problem = if f.name.trim().is_empty() || f.name.chars().count() > 120 {
        Some("The site name has 1 to 120 characters.")
    } else if f.tagline.chars().count() > 200 {
        Some("The tagline has at most 200 characters.")
    } else if !valid_language(f.language.trim()) {
        Some("The language is a code such as en, en-GB or fr.")
    } else if f.time_zone.parse::<chrono_tz::Tz>().is_err() {
        Some("Choose a time zone from the list, such as Europe/London.")
    } else {
        None
    };
    let logo_ok = f.logo.is_empty()
        || state
            .store
            .media_library(None, 500)
            .await?
            .iter()
            .any(|m| m.media.path == f.logo);
    if let Some(problem) =
        problem.or((!logo_ok).then_some("Choose the logo from the media library."))
    {
        return settings_page(
            &state,
            &session,
            f,
            Page::new("admin/settings.html", "Site settings", "settings")
                .status(StatusCode::UNPROCESSABLE_ENTITY)
                .error(problem),
        )
        .await;
    }
    for (key, value) in [
        ("site.name", f.name.trim()),
        ("site.tagline", f.tagline.trim()),
        ("site.language", f.language.trim()),
        ("site.time_zone", f.time_zone.trim()),
        ("site.logo", f.logo.trim()),
    ] {
        state.store.set_setting(key, value).await?;
    }
    state
        .store
        .record_audit(&NewAudit {
            user_id: Some(session.user.id),
            action: "settings changed",
            article_id: None,
            detail: format!("name {:?}, time zone {}", f.name.trim(), f.time_zone.trim()),
        })
        .await?;
    state.sync_changes().await.map_err(sync_error)?;
    Ok(see_other("/admin/settings?saved=1"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn language_tags() {
        for ok in ["en", "en-GB", "pt-BR", "zh-Hant"] {
            assert!(super::valid_language(ok), "{ok}");
        }
        for bad in ["", "EN", "english", "en_GB", "e", "en-"] {
            assert!(!super::valid_language(bad), "{bad}");
        }
    }
}
