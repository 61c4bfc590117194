//! Sign-in limits: per client address and per account, kept in memory (per node). A leaf:
//! the state holds one, the sign-in handler asks it.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// Sign-in limits: per client address and per account, so neither one client trying many
/// accounts nor many clients trying one account get far.
pub(crate) struct SignInLimiter {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
}

impl SignInLimiter {
    pub fn new(per_ip_per_minute: u32, per_account_per_minute: u32) -> Self {
        let quota = |n: u32| {
            let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
            Quota::per_minute(n).allow_burst(n)
        };
        Self {
            by_ip: RateLimiter::keyed(quota(per_ip_per_minute)),
            by_account: RateLimiter::keyed(quota(per_account_per_minute)),
        }
    }

    /// Counts one attempt; `Err` with the seconds to wait when over either limit.
    pub fn check(&self, ip: IpAddr, account: &str) -> Result<(), AppError> {
        let wait = |not_until: governor::NotUntil<_>| AppError::TooManyAttempts {
            retry_after_secs: not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                + 1,
        };
        self.by_ip.check_key(&ip).map_err(wait)?;
        self.by_account
            .check_key(&account.to_lowercase())
            .map_err(wait)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_attempts_are_limited_per_account_and_per_address() {
        let limiter = SignInLimiter::new(100, 3);
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        for _ in 0..3 {
            limiter.check(ip, "ana@example.com").expect("allowed");
        }
        assert!(
            limiter.check(ip, "ANA@example.com").is_err(),
            "same account"
        );
        limiter.check(ip, "ben@example.com").expect("other account");

        let limiter = SignInLimiter::new(2, 100);
        limiter.check(ip, "a@x.com").expect("1");
        limiter.check(ip, "b@x.com").expect("2");
        assert!(limiter.check(ip, "c@x.com").is_err(), "same address");
    }
}
