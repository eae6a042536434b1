use std::net::IpAddr;
use std::sync::Arc;

use convene_domain::clock::SharedClock;
use convene_domain::identity::sessions::SessionPolicy;
use convene_domain::sealing::DataKeys;
use convene_search::DirectoryIndex;
use convene_store::Store;
use convene_store::directory::totals::ServiceTotals;
use url::Url;

use crate::mail::Mailer;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub settings: Arc<WebSettings>,
    pub mailer: Arc<dyn Mailer>,
    /// The directory search index, following the database.
    pub directory: Arc<DirectoryIndex>,
    /// The keys personal data is sealed with.
    pub keys: Arc<DataKeys>,
    /// Totals of the ORUK API's service lists, until the directory changes.
    pub service_totals: Arc<ServiceTotals>,
}

impl AppState {
    /// Brings the search index up to date after this instance changed the
    /// directory, so the change shows in the next search here at once
    /// (other instances follow within a second). The change is already
    /// committed, so a failure here is only logged: the follower retries.
    pub async fn directory_changed(&self) {
        if let Err(error) = convene_search::catch_up(&self.directory, &self.store).await {
            tracing::warn!(%error, "the search index could not catch up yet");
        }
    }
}

/// The parts of the configuration the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Where people reach this instance; decides HSTS, cookie security and
    /// the links in emails.
    pub base_url: Url,
    /// Shown in page titles and on the home page.
    pub instance_name: String,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Proxies whose `X-Forwarded-For` is believed. Any other peer's header
    /// is ignored, so nobody can choose the address their failures count
    /// against.
    pub trusted_proxies: Vec<IpAddr>,
    pub session_policy: SessionPolicy,
    /// Set only by `convene demo` on a demo database: the second-factor page
    /// shows the current code, clearly labelled, so testers need no app.
    pub demo_mode: bool,
    /// Coordinators may import feeds from private and loopback addresses.
    pub import_from_private_addresses: bool,
    /// The bearer token GOV.UK Notify sends with its callbacks; none: the
    /// callbacks are refused.
    pub notify_callback_token: Option<Secret>,
    /// The bearer token Prometheus scrapes `/metrics` with; none: only
    /// from this machine.
    pub metrics_token: Option<Secret>,
    /// Requests a client may make to the public pages a minute.
    pub public_limit: crate::rate_limit::PublicLimit,
}

/// A secret setting: compared in constant time, never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// `None` for an empty setting.
    pub fn new(value: &str) -> Option<Self> {
        let value = value.trim();
        (!value.is_empty()).then(|| Self(value.to_string()))
    }

    /// Whether an `Authorization` header carries this secret as a bearer
    /// token.
    pub fn matches_bearer(&self, header: Option<&str>) -> bool {
        let Some(given) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return false;
        };
        convene_domain::identity::tokens::constant_time_eq(
            given.trim().as_bytes(),
            self.0.as_bytes(),
        )
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[secret]")
    }
}

impl WebSettings {
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            instance_name: "Convene".to_string(),
            max_body_bytes: 1024 * 1024,
            trusted_proxies: Vec::new(),
            session_policy: SessionPolicy::default(),
            demo_mode: false,
            import_from_private_addresses: false,
            notify_callback_token: None,
            metrics_token: None,
            public_limit: crate::rate_limit::PublicLimit::new(600),
        }
    }

    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// An absolute link to `path` on this instance.
    pub fn link(&self, path: &str) -> String {
        self.base_url
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| path.to_string())
    }
}
