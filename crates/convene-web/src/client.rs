//! The client's address, for throttling and the audit trail.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The address of the person's device as far as we can trust it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn text(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

/// The peer's address, unless the peer is a configured trusted proxy: then
/// the nearest address in `X-Forwarded-For` that is not itself a trusted
/// proxy. Headers from anyone else are ignored.
pub fn resolve(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    let mut chain: Vec<IpAddr> = Vec::new();
    for part in header.split(',') {
        match part.trim().parse::<IpAddr>() {
            Ok(ip) => chain.push(ip),
            // A malformed hop: trust nothing before it.
            Err(_) => chain.clear(),
        }
    }
    chain
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .or(Some(peer))
}

pub async fn client_address(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let address = resolve(peer, forwarded, &state.settings.trusted_proxies);
    request.extensions_mut().insert(ClientAddress(address));
    next.run(request).await
}

impl axum::extract::FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientAddress>()
            .cloned()
            .unwrap_or(ClientAddress(None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_trusted_proxies_may_name_the_client() {
        let proxy = ip("10.0.0.2");
        // A direct client cannot forge its address with a header.
        assert_eq!(
            resolve(Some(ip("203.0.113.9")), Some("198.51.100.1"), &[proxy]),
            Some(ip("203.0.113.9"))
        );
        // Through the proxy, the last hop it added is believed...
        assert_eq!(
            resolve(Some(proxy), Some("198.51.100.1, 203.0.113.9"), &[proxy]),
            Some(ip("203.0.113.9"))
        );
        // ...not whatever the client put first.
        assert_eq!(
            resolve(Some(proxy), Some("1.2.3.4, 203.0.113.9"), &[proxy]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(resolve(Some(proxy), None, &[proxy]), Some(proxy));
        assert_eq!(resolve(None, Some("1.2.3.4"), &[proxy]), None);
    }
}
