//! What every HTML page needs besides its own content.

use axum::extract::FromRequestParts;
use axum::http::Extensions;
use axum::http::request::Parts;
use convene_domain::identity::{Action, SessionStage, may};

use crate::assets::ASSET_VERSION;
use crate::csrf::CsrfToken;
use crate::identity::visitor::Visitor;
use crate::security::CspNonce;
use crate::state::AppState;

/// The page frame: service name, asset fingerprint, this response's script
/// nonce and form token, and the navigation the visitor may use.
#[derive(Debug, Clone)]
pub struct Page {
    pub service_name: String,
    pub assets: &'static str,
    pub nonce: String,
    pub csrf_token: String,
    /// The signed-in person's name, when fully signed in.
    pub signed_in_as: Option<String>,
    /// Signed in but not finished (second factor): offers only sign out.
    pub signing_in: bool,
    pub nav: Vec<NavItem>,
    pub demo: bool,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
}

impl Page {
    pub fn from_extensions(extensions: &Extensions, state: &AppState) -> Self {
        let visitor = extensions.get::<Visitor>();
        let complete = visitor.filter(|v| v.stage() == SessionStage::Complete);
        let mut nav = vec![NavItem {
            href: "/find-support".into(),
            label: "Find support",
        }];
        if let Some(visitor) = complete {
            nav.push(NavItem {
                href: "/account".into(),
                label: "Your account",
            });
            let principal = &visitor.principal;
            if let Some(organisation) = principal.memberships.iter().find(|m| {
                may(
                    principal,
                    Action::ManageUsers {
                        organisation_id: m.organisation_id,
                    },
                )
            }) {
                nav.push(NavItem {
                    href: format!("/organisations/{}/users", organisation.organisation_id),
                    label: "Your organisation",
                });
            }
            if !convene_domain::identity::policy::referral_organisations(principal).is_empty() {
                nav.push(NavItem {
                    href: "/referrals".into(),
                    label: "Referrals",
                });
            }
            if may(principal, Action::ManageDirectory) {
                nav.push(NavItem {
                    href: "/directory".into(),
                    label: "Directory",
                });
            }
            if may(principal, Action::SearchAudit) {
                nav.push(NavItem {
                    href: "/audit".into(),
                    label: "Audit trail",
                });
            }
            if may(principal, Action::AdministerPlatform) {
                nav.push(NavItem {
                    href: "/admin".into(),
                    label: "Administration",
                });
            }
        }
        Self {
            service_name: state.settings.instance_name.clone(),
            assets: ASSET_VERSION,
            nonce: extensions
                .get::<CspNonce>()
                .map(|n| n.0.clone())
                .unwrap_or_default(),
            csrf_token: extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            signed_in_as: complete.map(|v| v.account.display_name.clone()),
            signing_in: visitor.is_some() && complete.is_none(),
            nav,
            demo: state.settings.demo_mode,
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
