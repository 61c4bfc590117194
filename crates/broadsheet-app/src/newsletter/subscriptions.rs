//! Subscribing: a sign-up (with the checks that tell a person from a bot) and its
//! confirmation mail, and confirming through the signed link (with the welcome mail the first
//! time). The sign-up pages are the server's; what a sign-up does is here.

use broadsheet_core::Email;
use broadsheet_core::prose::with_the as the;
use broadsheet_store::{Subscriber, SubscriberStatus};

use super::links::{LinkError, Purpose, preferences_url, sign, verify};
use crate::context::App;
use crate::error::Error;

/// What became of a sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUp {
    /// Recorded; a confirmation mail went out unless one did a moment ago.
    Recorded,
    /// A bot (the hidden field filled, no or a forged form time): nothing stored or sent,
    /// and the caller answers as it would a person.
    Automated,
    /// Sent sooner after the page was made than a person fills in a form, which autofill and
    /// Enter can do: nothing stored or sent yet, and the caller offers a visible second step
    /// (`links::second_step`), never a silent drop.
    TooFast,
}

/// Signs `email` up. `honeypot` is the hidden field people leave empty; `form_time` the
/// signed time the form was made (`links::form_time`), or the second step's token
/// (`links::second_step`), which skips the timing check.
pub async fn sign_up(
    app: &App,
    email: &Email,
    honeypot: &str,
    form_time: &str,
) -> Result<SignUp, Error> {
    let now = app.now().timestamp();
    let options = &app.newsletter.options;
    let secret = &app.newsletter.secret;
    if !honeypot.is_empty() {
        return Ok(SignUp::Automated);
    }
    match verify(secret, Purpose::FormTime, form_time, now) {
        Ok(t) if now - t < options.min_fill_secs => return Ok(SignUp::TooFast),
        Ok(_) => {}
        Err(_) if verify(secret, Purpose::SecondStep, form_time, now).is_ok() => {}
        Err(_) => return Ok(SignUp::Automated),
    }
    let signup = app
        .store
        .sign_up(email, &[], app.now(), options.resend_confirmation_secs)
        .await?;
    if signup.send_confirmation
        && let Err(e) = send_confirmation(app, &signup.subscriber).await
    {
        // Kept as a sign-up; the next attempt may send at once.
        app.store.confirmation_failed(signup.subscriber.id).await?;
        return Err(e);
    }
    Ok(SignUp::Recorded)
}

async fn send_confirmation(app: &App, s: &Subscriber) -> Result<(), Error> {
    let site = app.site();
    let options = &app.newsletter.options;
    let expires = app.now().timestamp() + options.confirm_hours * 3600;
    let link = site.url(&format!(
        "/subscribe/confirm/{}",
        sign(&app.newsletter.secret, Purpose::Confirm, s.id, expires)
    ));
    let text = format!(
        "Please confirm that you want {name} daily newsletter:\n\n{link}\n\nThe link works \
         for {hours} hours. If you did not sign up, ignore this message and you will hear \
         nothing more from us.\n",
        name = the(&site.name, false),
        hours = options.confirm_hours
    );
    app.mailer
        .send(&broadsheet_mail::Email {
            to: s.email.to_string(),
            subject: format!("Confirm your subscription to {} daily", site.name),
            text,
            ..Default::default()
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot send a confirmation");
            Error::Unavailable(
                "We could not send the confirmation e-mail just now. Please try again in a few minutes."
                    .into(),
            )
        })
}

/// What a confirmation link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// Subscribed now (the welcome mail was sent, or tried): the subscriber's id.
    FirstTime(i64),
    /// Confirmed before: the subscriber's id.
    Already(i64),
}

/// Why a confirmation link did nothing.
#[derive(Debug)]
pub enum ConfirmError {
    Link(LinkError),
    Failed(Error),
}

impl From<broadsheet_store::StoreError> for ConfirmError {
    fn from(e: broadsheet_store::StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// Confirms the subscription a link was signed for; the first time, sends the welcome (a
/// welcome that fails to send does not undo the confirmation).
pub async fn confirm(app: &App, token: &str) -> Result<Confirmed, ConfirmError> {
    let now = app.now();
    let id = verify(
        &app.newsletter.secret,
        Purpose::Confirm,
        token,
        now.timestamp(),
    )
    .map_err(ConfirmError::Link)?;
    let before = app.store.subscriber(id).await?;
    let Some(after) = app.store.confirm_subscriber(id, now).await? else {
        return Err(ConfirmError::Link(LinkError::Expired));
    };
    let first_time = before.is_some_and(|b| b.status == SubscriberStatus::Pending)
        && after.status == SubscriberStatus::Active;
    if !first_time {
        return Ok(Confirmed::Already(id));
    }
    let site = app.site();
    let prefs = preferences_url(app, id);
    if let Err(e) = app
        .mailer
        .send(&broadsheet_mail::Email {
            to: after.email.to_string(),
            subject: format!("Welcome to {}", site.name),
            text: format!(
                "You are subscribed to {} daily digest: the most important stories of the \
                 day, every morning.\n\nChoose sections, alerts or a pause, or unsubscribe, \
                 at any time:\n{prefs}\n",
                the(&site.name, false)
            ),
            ..Default::default()
        })
        .await
    {
        tracing::warn!(error = %e, "cannot send a welcome");
    }
    Ok(Confirmed::FirstTime(id))
}
