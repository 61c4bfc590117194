//! `/admin/webhooks`: subscriptions (add, delete, send a test) and the delivery log. Admins
//! only: a webhook sends stories and subscribers' addresses to another system.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use broadsheet_store::{EVENTS, NewWebhook, StoreError, WebhookDelivery};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Page, local_label, see_other};
use crate::auth::{Admin, random_token};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    delivery: WebhookDelivery,
    status: &'static str,
    when: String,
    next: String,
}

#[derive(Serialize)]
struct WebhooksPage {
    hooks: Vec<broadsheet_store::Webhook>,
    deliveries: Vec<Row>,
    events: &'static [&'static str],
    form: HookForm,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct HookForm {
    #[serde(skip_serializing)]
    csrf: String,
    url: String,
    description: String,
    /// Checked event names, in a `Form` as repeated `events=` fields.
    #[serde(skip)]
    events: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Notice {
    saved: String,
    deleted: String,
    pinged: String,
}

async fn render(
    state: &AppState,
    session: &crate::auth::Session,
    page: Page<'_>,
    form: HookForm,
) -> Result<Response, AppError> {
    let hooks = state.store.webhooks().await?;
    let tz = state.site().tz();
    let deliveries = state
        .store
        .webhook_deliveries(100)
        .await?
        .into_iter()
        .map(|d| Row {
            status: d.status.as_str(),
            when: local_label(Some(d.created_at), tz),
            next: if d.status == broadsheet_store::HookStatus::Pending {
                local_label(Some(d.next_attempt_at), tz)
            } else {
                String::new()
            },
            delivery: d,
        })
        .collect();
    page.render(
        state,
        Some(session),
        WebhooksPage {
            hooks,
            deliveries,
            events: &EVENTS,
            form,
        },
    )
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let notice = if !n.saved.is_empty() {
        Some("Webhook added. Its secret is in the list: give it to the receiver.".to_owned())
    } else if !n.deleted.is_empty() {
        Some("Webhook deleted.".to_owned())
    } else if !n.pinged.is_empty() {
        Some("Test event queued: it is sent within a few seconds.".to_owned())
    } else {
        None
    };
    render(
        &state,
        &session,
        Page::new("admin/webhooks.html", "Webhooks", "webhooks").notice(notice),
        HookForm::default(),
    )
    .await
}

/// The form's fields; `events` repeats, which serde's `Form` cannot collect, so it is read here.
fn parse_form(body: &str) -> HookForm {
    let mut f = HookForm::default();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match k.as_ref() {
            "csrf" => f.csrf = v.into_owned(),
            "url" => f.url = v.trim().to_owned(),
            "description" => f.description = v.trim().chars().take(200).collect(),
            "events" => f.events.push(v.into_owned()),
            _ => {}
        }
    }
    f
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(session): Admin,
    body: String,
) -> Result<Response, AppError> {
    let form = parse_form(&body);
    session.check_csrf(&form.csrf)?;
    let hook = NewWebhook {
        url: form.url.clone(),
        events: form.events.clone(),
        secret: format!("whsec_{}", random_token()),
        description: form.description.clone(),
    };
    match state.store.create_webhook(&hook).await {
        Ok(h) => {
            tracing::info!(webhook = h.id, user = session.user.id, "webhook added");
            Ok(see_other("/admin/webhooks?saved=1"))
        }
        Err(StoreError::Invalid(e)) => {
            render(
                &state,
                &session,
                Page::new("admin/webhooks.html", "Webhooks", "webhooks")
                    .status(StatusCode::UNPROCESSABLE_ENTITY)
                    .error(format!("Not added: {e}.")),
                form,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct HookAction {
    csrf: String,
    id: String,
    action: String,
}

pub(crate) async fn act(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<HookAction>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let id: i64 =
        f.id.parse()
            .map_err(|_| AppError::BadRequest("the webhook is not valid".into()))?;
    match f.action.as_str() {
        "delete" => {
            if !state.store.delete_webhook(id).await? {
                return Err(AppError::NotFound);
            }
            Ok(see_other("/admin/webhooks?deleted=1"))
        }
        "ping" => {
            // A test event goes to every subscription; receivers see `event: "ping"` only
            // through this button, so it is queued for the one hook directly.
            let hook = state
                .store
                .webhooks()
                .await?
                .into_iter()
                .find(|h| h.id == id)
                .ok_or(AppError::NotFound)?;
            state
                .store
                .record_event_for(
                    hook.id,
                    "ping",
                    &serde_json::json!({ "message": "A test event from the newsroom." }),
                )
                .await?;
            Ok(see_other("/admin/webhooks?pinged=1"))
        }
        other => Err(AppError::BadRequest(format!("unknown action {other:?}"))),
    }
}
