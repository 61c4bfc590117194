//! The application's settings (`[newsletter]`, `[webhooks]`, `[wire]`), kept apart from the
//! use cases so that the context can hold them without depending on the use cases back.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Webhook settings (`[webhooks]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookOptions {
    /// How long a receiver has to answer.
    pub timeout_secs: u64,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i64,
    /// The wait before the first retry; each later one doubles it (at most six hours).
    pub retry_base_secs: i64,
    /// Deliver to receivers on loopback or private addresses too (a receiver on this machine
    /// or the internal network). Off by default: a webhook is otherwise a way for anyone with
    /// the admin to reach, and read the status of, services that are not public.
    pub allow_private: bool,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            max_attempts: 8,
            retry_base_secs: 30,
            allow_private: false,
        }
    }
}

impl WebhookOptions {
    /// The HTTP client a delivery to `pinned` is sent with.
    pub(crate) fn client(&self, pinned: &crate::outbound::Pinned) -> reqwest::Client {
        // A receiver answers for itself: no redirects (following one would send the payload on).
        pinned
            .builder()
            .timeout(Duration::from_secs(self.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(self.timeout_secs.clamp(1, 10)))
            .user_agent(concat!("Broadsheet-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    }
}

/// Wire settings (`[wire]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WireOptions {
    /// How long one fetch (a feed, a picture) may take, body included.
    pub fetch_timeout_secs: u64,
    /// Largest document fetched or pushed.
    pub max_bytes: usize,
    /// Most items taken from one document.
    pub max_items: usize,
    /// Consecutive failures after which a feed is paused until an editor resumes it.
    pub pause_after: i64,
}

impl Default for WireOptions {
    fn default() -> Self {
        Self {
            fetch_timeout_secs: 30,
            max_bytes: broadsheet_ingest::wire::MAX_DOCUMENT_BYTES,
            max_items: 10_000,
            pause_after: 5,
        }
    }
}

/// Newsletter settings (`[newsletter]` in the configuration file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewsletterOptions {
    /// Local time (site time zone) the daily digest goes out, `HH:MM`; empty turns it off.
    pub send_time: String,
    /// The sentence under "Welcome to …" in the sign-up box.
    pub pitch: String,
    /// Seconds before the sign-up dialog appears to a new visitor.
    pub modal_delay_secs: u32,
    /// Or when they have scrolled this far down a page (percent).
    pub modal_scroll_percent: u32,
    /// How many times the dialog is shown to one browser at most, counted in its local storage
    /// (no cookie); 0 turns the dialog off. It is never shown again after a Close or a sign-up
    /// through any form.
    pub modal_max_shows: u32,
    /// Messages sent at once.
    pub concurrency: usize,
    /// Messages per second at most; 0 for no limit.
    pub messages_per_second: u32,
    /// Attempts before a temporarily failing address is given up for this issue.
    pub max_attempts: i64,
    /// First retry after this many seconds, doubling with every attempt.
    pub retry_base_secs: i64,
    /// No second confirmation mail to an address within this many seconds.
    pub resend_confirmation_secs: i64,
    /// Unconfirmed sign-ups are deleted after this many hours (the link expires with them).
    pub confirm_hours: i64,
    /// Sign-ups per minute from one client address.
    pub sign_ups_per_minute: u32,
    /// The shortest time, in seconds, a person takes to fill in the form.
    pub min_fill_secs: i64,
    /// How long a sender holds a claimed message before another may take it over. The sender
    /// renews it as it goes and begins a message only with half of it in hand; a message may
    /// take two SMTP timeouts (connecting, then sending), so this should be more than four
    /// times `[mail] timeout_secs` (`broadsheet` warns at start when it is not).
    pub lease_secs: i64,
}

impl Default for NewsletterOptions {
    fn default() -> Self {
        Self {
            send_time: "07:00".into(),
            pitch: "Sign up for daily updates for the most important stories unfolding in the \
                    global economy"
                .into(),
            modal_delay_secs: 20,
            modal_scroll_percent: 50,
            modal_max_shows: 1,
            concurrency: 4,
            messages_per_second: 0,
            max_attempts: 6,
            retry_base_secs: 60,
            resend_confirmation_secs: 600,
            confirm_hours: 48,
            sign_ups_per_minute: 10,
            min_fill_secs: 3,
            lease_secs: 180,
        }
    }
}
