//! Sign-in limits: per client address and per account, kept in memory (per node). A leaf:
//! the state holds one, the sign-in handler asks it.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// Sign-in limits, so that neither one client trying many accounts nor many clients trying one
/// account get far, and no one client can lock someone else out:
/// - per client address (every account it tries);
/// - per account *from one address*: a client that guesses at one account is stopped after a
///   few tries, and only it: the owner, signing in from elsewhere, is not;
/// - per account from all addresses together, a higher ceiling: a guess spread over many
///   addresses is still bounded. A client refused by either of the first two does not use up
///   the account's ceiling, so it takes several addresses, not one, to lock an account out.
pub(crate) struct SignInLimiter {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_account_from: DefaultKeyedRateLimiter<(String, IpAddr)>,
    by_account: DefaultKeyedRateLimiter<String>,
}

impl SignInLimiter {
    pub fn new(per_ip: u32, per_account_from_one_ip: u32, per_account: u32) -> Self {
        let quota = |n: u32| {
            let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
            Quota::per_minute(n).allow_burst(n)
        };
        Self {
            by_ip: RateLimiter::keyed(quota(per_ip)),
            by_account_from: RateLimiter::keyed(quota(per_account_from_one_ip)),
            by_account: RateLimiter::keyed(quota(per_account)),
        }
    }

    /// Counts one attempt; `Err` with the seconds to wait when over a limit.
    pub fn check(&self, ip: IpAddr, account: &str) -> Result<(), AppError> {
        let wait = |not_until: governor::NotUntil<_>| AppError::TooManyAttempts {
            retry_after_secs: not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                + 1,
        };
        let account = account.to_lowercase();
        self.by_ip.check_key(&ip).map_err(wait)?;
        self.by_account_from
            .check_key(&(account.clone(), ip))
            .map_err(wait)?;
        self.by_account.check_key(&account).map_err(wait)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_attempts_are_limited_per_account_and_address_per_address_and_per_account() {
        let limiter = SignInLimiter::new(100, 3, 5);
        let ip: IpAddr = "127.0.0.2".parse().expect("ip");
        let other: IpAddr = "127.0.0.3".parse().expect("ip");
        for _ in 0..3 {
            limiter.check(ip, "ana@example.com").expect("allowed");
        }
        assert!(
            limiter.check(ip, "ANA@example.com").is_err(),
            "same account, same address"
        );
        for _ in 0..5 {
            let _ = limiter.check(ip, "ana@example.com");
        }
        limiter
            .check(other, "ana@example.com")
            .expect("4 of 5: the owner, from elsewhere, is not locked out by one address");
        limiter.check(ip, "ben@example.com").expect("other account");
        let third: IpAddr = "127.0.0.4".parse().expect("ip");
        limiter.check(third, "ana@example.com").expect("5 of 5");
        assert!(
            limiter.check(third, "ana@example.com").is_err(),
            "the account's ceiling over all addresses"
        );

        let limiter = SignInLimiter::new(2, 100, 100);
        limiter.check(ip, "a@x.com").expect("1");
        limiter.check(ip, "b@x.com").expect("2");
        assert!(limiter.check(ip, "c@x.com").is_err(), "same address");
    }
}
