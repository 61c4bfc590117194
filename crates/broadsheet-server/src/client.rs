//! Who a request comes from, for the per-client rate limits (search, sign-in, sign-up, the
//! APIs). Normally the connection's peer. Behind a reverse proxy every peer is the proxy, so
//! `[proxy] trusted` names the proxies whose `X-Forwarded-For` is believed: the client is the
//! right-most address in that header that is not itself a trusted proxy. A header from anyone
//! else is ignored, so a reader cannot choose their own rate-limit bucket.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use ipnet::IpNet;

use crate::error::AppError;
use crate::state::AppState;

pub use crate::state::ProxyOptions;

/// The client address that rate limits are kept for. Without connection info (in-process
/// tests) the peer counts as loopback.
pub(crate) struct Client(IpAddr);

impl Client {
    pub fn ip(&self) -> IpAddr {
        self.0
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(Self(client_ip(peer, forwarded, &state.trusted_proxies)))
    }
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy; then, walking
/// `X-Forwarded-For` from the right (the entry the nearest proxy added), the first address that
/// is not a trusted proxy. An entry that is not an address stops the walk at the last address
/// vouched for, so garbage cannot name a client.
pub(crate) fn client_ip<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let entries: Vec<&str> = forwarded.flat_map(|v| v.split(',')).collect();
    for entry in entries.iter().rev() {
        let Some(ip) = parse_hop(entry) else {
            return client;
        };
        client = ip;
        if !is_trusted(&client) {
            return client;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, or an address with a port (`[v6]:port`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().expect("net")).collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let got = client_ip(ip("198.51.100.7"), ["203.0.113.9"].into_iter(), &[]);
        assert_eq!(got, ip("198.51.100.7"));
    }

    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let trusted = nets(&["127.0.0.1/32"]);
        let got = client_ip(ip("198.51.100.7"), ["203.0.113.9"].into_iter(), &trusted);
        assert_eq!(got, ip("198.51.100.7"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_entry() {
        let trusted = nets(&["127.0.0.1/32", "10.0.0.0/24"]);
        // The client put a forged address first; the proxies appended what they saw.
        let got = client_ip(
            ip("127.0.0.1"),
            ["1.2.3.4, 203.0.113.9", "10.0.0.5"].into_iter(),
            &trusted,
        );
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn garbage_stops_at_the_last_address_vouched_for() {
        let trusted = nets(&["127.0.0.1/32", "10.0.0.0/24"]);
        for header in [
            "not-an-ip, 10.0.0.5",
            "unknown",
            "",
            " , ",
            "10.0.0.5, 999.1.1.1",
        ] {
            let got = client_ip(ip("127.0.0.1"), [header].into_iter(), &trusted);
            assert!(
                trusted.iter().any(|n| n.contains(&got)),
                "{header:?} gave {got}"
            );
        }
        let got = client_ip(ip("127.0.0.1"), ["garbage, 10.0.0.5"].into_iter(), &trusted);
        assert_eq!(got, ip("10.0.0.5"));
    }

    #[test]
    fn ports_and_mapped_addresses_are_understood() {
        let trusted = nets(&["127.0.0.1/32"]);
        assert_eq!(
            client_ip(
                ip("::ffff:127.0.0.1"),
                ["[2001:db8::1]:4711"].into_iter(),
                &trusted
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["203.0.113.9:80"].into_iter(), &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_configuration_takes_addresses_and_networks_and_names_a_bad_one() {
        let ok: ProxyOptions =
            serde_json::from_str(r#"{"trusted": ["127.0.0.1", "10.0.0.0/8", "::1"]}"#)
                .expect("parse");
        assert_eq!(ok.trusted, nets(&["127.0.0.1/32", "10.0.0.0/8", "::1/128"]));
        let bad = serde_json::from_str::<ProxyOptions>(r#"{"trusted": ["10.0.0.0/99"]}"#)
            .expect_err("refused");
        assert!(bad.to_string().contains("10.0.0.0/99"), "{bad}");
    }

    proptest::proptest! {
        /// Any header, from any peer: an answer, never a panic; the peer itself unless it is a
        /// trusted proxy; otherwise an address the header or the peer named.
        #[test]
        fn any_forwarded_for_names_the_peer_or_an_address_in_it(
            header in "[0-9a-f.:, \\[\\]%\\x00-\\x7f]{0,200}",
            last in 0_u8..=255,
            trusted_peer in proptest::bool::ANY,
        ) {
            let peer = IpAddr::from([127, 0, 0, if trusted_peer { 1 } else { last.max(2) }]);
            let trusted = nets(&["127.0.0.1/32", "10.0.0.0/8"]);
            let got = client_ip(peer, [header.as_str()].into_iter(), &trusted);
            if !trusted_peer {
                proptest::prop_assert_eq!(got, peer);
            } else {
                let named: Vec<IpAddr> = header.split(',').filter_map(parse_hop).collect();
                proptest::prop_assert!(got == peer || named.contains(&got), "{got} from {header:?}");
            }
        }
    }
}
