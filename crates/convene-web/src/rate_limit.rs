//! Per-client limits on the public pages (find support, and the ORUK API):
//! each client address may make `public_requests_per_minute` requests in a
//! clock minute; more are answered 429 with `Retry-After`. Counted in
//! memory by each instance, which is what each instance needs protecting
//! from. Clients whose address is unknown share one allowance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::state::AppState;

/// More addresses than this in one minute: the oldest minute's counts go.
const MOST_ADDRESSES: usize = 100_000;

/// For each client address: the minute counted, and its requests so far.
type Counts = HashMap<Option<IpAddr>, (i64, u32)>;

/// The allowance, shared by every clone of the settings.
#[derive(Debug, Clone)]
pub struct PublicLimit {
    /// Requests a client may make a minute; 0: no limit.
    pub per_minute: u32,
    counts: Arc<Mutex<Counts>>,
}

impl PublicLimit {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            counts: Arc::default(),
        }
    }

    /// Counts a request by `client` in `minute`; `Err` with the seconds to
    /// wait when the allowance is spent.
    fn admit(&self, client: Option<IpAddr>, now_seconds: i64) -> Result<(), i64> {
        let minute = now_seconds.div_euclid(60);
        let Ok(mut counts) = self.counts.lock() else {
            // A poisoned lock means a panic elsewhere; do not turn it into
            // refusing everyone.
            return Ok(());
        };
        if counts.len() > MOST_ADDRESSES {
            counts.retain(|_, (seen, _)| *seen == minute);
        }
        let entry = counts.entry(client).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= self.per_minute {
            return Err(60 - now_seconds.rem_euclid(60));
        }
        entry.1 += 1;
        Ok(())
    }
}

fn is_public(path: &str) -> bool {
    ["/find-support", "/oruk"]
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
}

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let allowance = &state.settings.public_limit;
    if allowance.per_minute == 0 || !is_public(request.uri().path()) {
        return next.run(request).await;
    }
    let client = request
        .extensions()
        .get::<ClientAddress>()
        .and_then(|a| a.0);
    match allowance.admit(client, state.clock.now().timestamp()) {
        Ok(()) => next.run(request).await,
        Err(retry_after_seconds) => AppError::TooManyAttempts {
            retry_after_seconds,
        }
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_allowance_a_minute() {
        let limit = PublicLimit::new(2);
        let (a, b) = (
            Some(IpAddr::from([192, 0, 2, 1])),
            Some(IpAddr::from([192, 0, 2, 2])),
        );
        assert_eq!(limit.admit(a, 120), Ok(()));
        assert_eq!(limit.admit(a, 130), Ok(()));
        assert_eq!(limit.admit(a, 150), Err(30));
        assert_eq!(limit.admit(b, 150), Ok(()), "another address");
        assert_eq!(limit.admit(a, 180), Ok(()), "the next minute");
        assert!(is_public("/find-support") && is_public("/oruk/services"));
        assert!(!is_public("/find-supporters") && !is_public("/healthz"));
    }
}
