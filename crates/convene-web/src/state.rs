use std::sync::Arc;

use convene_domain::clock::SharedClock;
use convene_store::Store;
use url::Url;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub settings: Arc<WebSettings>,
}

/// The parts of the configuration the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Where people reach this instance; decides HSTS and cookie security.
    pub base_url: Url,
    /// Shown in page titles and on the home page until the database names
    /// the instance itself.
    pub instance_name: String,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl WebSettings {
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            instance_name: "Convene".to_string(),
            max_body_bytes: 1024 * 1024,
        }
    }

    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}
