//! Signed links: `ID.EXPIRY.SIGNATURE`, HMAC-SHA256 over the purpose, id and expiry with the
//! site's secret (made once and kept in the database). No password, no lookup table; a link
//! for one purpose never works for another, and one edited by hand fails.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::context::App;
use crate::secrets::same;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    Invalid,
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    Preferences,
    Unsubscribe,
    FormTime,
    /// The second step offered to a sign-up sent faster than a person types (autofill and
    /// Enter): the reader confirms with a button and the timing check is not made again.
    SecondStep,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Preferences => "preferences",
            Self::Unsubscribe => "unsubscribe",
            Self::FormTime => "form-time",
            Self::SecondStep => "second-step",
        }
    }
}

fn mac(secret: &[u8], purpose: Purpose, id: i64, expires: i64) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(format!("{}|{id}|{expires}", purpose.as_str()).as_bytes());
    let bytes = m.finalize().into_bytes();
    bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sign(secret: &[u8], purpose: Purpose, id: i64, expires: i64) -> String {
    format!("{id}.{expires}.{}", mac(secret, purpose, id, expires))
}

/// The id a token was signed for, if the signature holds and `now` is before its expiry.
pub fn verify(secret: &[u8], purpose: Purpose, token: &str, now: i64) -> Result<i64, LinkError> {
    let mut parts = token.splitn(3, '.');
    let (Some(id), Some(expires), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LinkError::Invalid);
    };
    let (Ok(id), Ok(expires)) = (id.parse::<i64>(), expires.parse::<i64>()) else {
        return Err(LinkError::Invalid);
    };
    if !same(&mac(secret, purpose, id, expires), sig) {
        return Err(LinkError::Invalid);
    }
    if now >= expires {
        return Err(LinkError::Expired);
    }
    Ok(id)
}

/// The sign-up form's time stamp, signed: a sign-up sent sooner after the page was made than
/// a person can fill in the form is refused as a bot's.
pub fn form_time(app: &App) -> String {
    let now = app.now().timestamp();
    sign(&app.newsletter.secret, Purpose::FormTime, now, now + 86_400)
}

/// The token of the sign-up's second step ("please confirm you are not a robot"), valid for an
/// hour.
pub fn second_step(app: &App) -> String {
    let now = app.now().timestamp();
    sign(
        &app.newsletter.secret,
        Purpose::SecondStep,
        now,
        now + 3_600,
    )
}

/// The preferences page of subscriber `id`, valid for 400 days.
pub fn preferences_url(app: &App, id: i64) -> String {
    let far = app.now().timestamp() + 400 * 86_400;
    app.site().url(&format!(
        "/newsletter/preferences/{}",
        sign(&app.newsletter.secret, Purpose::Preferences, id, far)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_only_unchanged_unexpired_and_for_their_purpose() {
        let key = b"secret";
        let t = sign(key, Purpose::Confirm, 42, 1000);
        assert_eq!(verify(key, Purpose::Confirm, &t, 999), Ok(42));
        assert_eq!(
            verify(key, Purpose::Confirm, &t, 1000),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify(key, Purpose::Unsubscribe, &t, 1),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            verify(b"other", Purpose::Confirm, &t, 1),
            Err(LinkError::Invalid)
        );
        let forged = t.replacen("42.", "43.", 1);
        assert_eq!(
            verify(key, Purpose::Confirm, &forged, 1),
            Err(LinkError::Invalid)
        );
        let longer = t.replacen(".1000.", ".99999.", 1);
        assert_eq!(
            verify(key, Purpose::Confirm, &longer, 1),
            Err(LinkError::Invalid)
        );
        for junk in ["", "1", "a.b.c", "1.2", "1.2.3.4"] {
            assert_eq!(
                verify(key, Purpose::Confirm, junk, 1),
                Err(LinkError::Invalid),
                "{junk}"
            );
        }
    }

    proptest::proptest! {
        /// A link signs one id for one purpose until it expires: any token that was not made
        /// by `sign` (or is changed in any one character) is refused, and nothing panics.
        #[test]
        fn only_a_token_sign_made_verifies(
            id in proptest::num::i64::ANY,
            expires in 1_i64..i64::MAX,
            junk in "\\PC{0,80}",
            at in 0_usize..64,
        ) {
            let secret = b"a secret long enough for the property test";
            let token = sign(secret, Purpose::Preferences, id, expires);
            proptest::prop_assert_eq!(verify(secret, Purpose::Preferences, &token, expires - 1), Ok(id));
            proptest::prop_assert!(verify(secret, Purpose::Unsubscribe, &token, expires - 1).is_err());
            proptest::prop_assert!(verify(secret, Purpose::Preferences, &junk, 0).is_err());
            let mut changed: Vec<char> = token.chars().collect();
            let i = at % changed.len();
            changed[i] = if changed[i] == '0' { '1' } else { '0' };
            let changed: String = changed.into_iter().collect();
            if changed != token {
                proptest::prop_assert!(verify(secret, Purpose::Preferences, &changed, expires - 1).is_err());
            }
        }
    }
}
