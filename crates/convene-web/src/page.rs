//! What every HTML page needs besides its own content.

use axum::extract::FromRequestParts;
use axum::http::Extensions;
use axum::http::request::Parts;

use crate::assets::ASSET_VERSION;
use crate::security::CspNonce;
use crate::state::AppState;

/// The page frame: service name, asset fingerprint and this response's
/// script nonce.
#[derive(Debug, Clone)]
pub struct Page {
    pub service_name: String,
    pub assets: &'static str,
    pub nonce: String,
}

impl Page {
    pub fn from_extensions(extensions: &Extensions, state: &AppState) -> Self {
        Self {
            service_name: state.settings.instance_name.clone(),
            assets: ASSET_VERSION,
            nonce: extensions
                .get::<CspNonce>()
                .map(|nonce| nonce.0.clone())
                .unwrap_or_default(),
        }
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::from_extensions(&parts.extensions, state))
    }
}
