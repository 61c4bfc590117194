//! The rules for every request Broadsheet makes to an address someone typed in (wire feeds and
//! pictures, webhook receivers), in one place: only http(s); the host resolved here and every
//! address it resolves to checked against loopback, private, link-local, unspecified,
//! multicast, reserved and the IPv6 forms that carry an IPv4 address inside (mapped,
//! compatible, NAT64), unless the setting allows private addresses; and the connection made to
//! the address that was checked (`Pinned`), never to a second lookup's answer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A URL's host and the checked address to connect to for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub url: reqwest::Url,
    pub host: String,
    pub addr: SocketAddr,
}

impl Pinned {
    /// A client builder that connects to the checked address for this host.
    pub fn builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&self.host, self.addr)
    }
}

/// The IPv4 address inside an IPv6 one that carries one: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`, deprecated but routed by some stacks) and the NAT64
/// well-known prefix (`64:ff9b::a.b.c.d`).
fn embedded_v4(v6: std::net::Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let tail = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    let compatible = s[..6].iter().all(|x| *x == 0) && !v6.is_loopback() && !v6.is_unspecified();
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|x| *x == 0);
    (compatible || nat64).then_some(tail)
}

/// Whether an address is one no typed-in URL may reach unless private addresses are allowed.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                // IETF protocol assignments, benchmarking, documentation, reserved.
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || v4.is_documentation()
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || embedded_v4(v6).is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Parses `url`, resolves its host and checks every address it resolves to.
pub async fn pin(url: &str, allow_private: bool) -> Result<Pinned, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url}: only http and https are fetched"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{url}: no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("{host}: cannot resolve: {e}"))?
        .collect();
    let Some(addr) = addrs.first().copied() else {
        return Err(format!("{host}: no address"));
    };
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
        return Err(format!(
            "{host} resolves to a private or loopback address ({}), which is not allowed",
            bad.ip()
        ));
    }
    Ok(Pinned {
        url: parsed,
        host,
        addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_in_every_spelling_are_private() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "fd00::1",
            "192.0.0.8",
            "198.18.0.1",
            "203.0.113.5",
            "240.0.0.1",
        ] {
            assert!(is_private(ip.parse().expect(ip)), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1::",
            "64:ff9b::5db8:d822",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_private(ip.parse().expect(ip)), "{ip}");
        }
    }

    #[tokio::test]
    async fn typed_in_addresses_that_reach_this_machine_are_refused() {
        for url in [
            "http://127.0.0.1:9/hook",
            "http://2130706433/hook",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://localhost/",
        ] {
            let e = pin(url, false).await.expect_err(url);
            assert!(e.contains("not allowed"), "{url}: {e}");
        }
        assert!(
            pin("http://127.0.0.1:9/hook", true).await.is_ok(),
            "allowed"
        );
        assert!(pin("file:///etc/passwd", true).await.is_err());
        assert!(pin("gopher://127.0.0.1/", true).await.is_err());
    }
}
