//! The extractors through which every route states who may use it. A
//! handler that takes [`Authorised<P>`] runs only when the policy allows
//! `P`'s action; there is no other way in.

use std::collections::HashMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use convene_domain::audit::AuditAction;
use convene_domain::identity::{Action, SessionStage, may};
use convene_store::audit;
use uuid::Uuid;

use super::visitor::{Visitor, is_api};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::state::AppState;

/// A visitor who has finished signing in (or holds a valid API token).
#[derive(Debug, Clone)]
pub struct SignedIn(pub Visitor);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let api = is_api(parts.uri.path());
        match parts.extensions.get::<Visitor>() {
            Some(visitor) if visitor.stage() == SessionStage::Complete => {
                Ok(SignedIn(visitor.clone()))
            }
            _ if api => Err(AppError::Unauthorised.into_response()),
            Some(visitor) if visitor.stage() == SessionStage::MustEnrolSecondFactor => {
                Err(Redirect::to("/account/second-factor").into_response())
            }
            Some(_) => Err(Redirect::to("/sign-in/second-factor").into_response()),
            None => Err(Redirect::to("/sign-in").into_response()),
        }
    }
}

/// A visitor part-way through signing in, or fully signed in: for the pages
/// that finish signing in (second factor, enrolment).
#[derive(Debug, Clone)]
pub struct SigningIn(pub Visitor);

impl FromRequestParts<AppState> for SigningIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Visitor>() {
            Some(visitor) if visitor.session().is_some() => Ok(SigningIn(visitor.clone())),
            _ => Err(Redirect::to("/sign-in").into_response()),
        }
    }
}

/// What a route needs: an action of the policy, about the whole instance or
/// about the organisation named by the route's `{organisation_id}`.
pub trait Permission: Send + Sync + 'static {
    /// True when the action concerns the organisation in the path.
    const ORGANISATION: bool;
    fn action(organisation_id: Uuid) -> Action;
}

/// A signed-in visitor allowed to do `P`. For organisation routes, a visitor
/// without the right to that organisation gets 404, exactly as for an
/// organisation that does not exist: ids from elsewhere reveal nothing.
#[derive(Debug, Clone)]
pub struct Authorised<P> {
    pub visitor: Visitor,
    /// The organisation in the path, for organisation routes.
    pub organisation_id: Uuid,
    _permission: PhantomData<P>,
}

impl<P: Permission> FromRequestParts<AppState> for Authorised<P> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(visitor) = SignedIn::from_request_parts(parts, state).await?;
        let organisation_id = if P::ORGANISATION {
            let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound.into_response())?;
            params
                .get("organisation_id")
                .and_then(|id| Uuid::parse_str(id).ok())
                .ok_or_else(|| AppError::NotFound.into_response())?
        } else {
            Uuid::nil()
        };
        let action = P::action(organisation_id);
        if may(&visitor.principal, action) {
            return Ok(Self {
                visitor,
                organisation_id,
                _permission: PhantomData,
            });
        }
        let address = parts
            .extensions
            .get::<ClientAddress>()
            .cloned()
            .unwrap_or(ClientAddress(None));
        let mut entry = visitor.audit(AuditAction::PermissionDenied, state, &address);
        entry.object_type = Some("route".to_string());
        entry.object_id = Some(parts.uri.path().chars().take(200).collect());
        audit::record(&state.store, entry)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        Err(if P::ORGANISATION {
            AppError::NotFound
        } else {
            AppError::Forbidden
        }
        .into_response())
    }
}

impl<P: Permission> Authorised<P> {
    /// An audit entry by the visitor, filed under the route's organisation
    /// when the route is about one.
    pub fn audit(
        &self,
        action: AuditAction,
        state: &AppState,
        address: &ClientAddress,
    ) -> convene_domain::audit::AuditEntry {
        let entry = self.visitor.audit(action, state, address);
        if P::ORGANISATION {
            entry.by_organisation(Some(self.organisation_id))
        } else {
            entry
        }
    }
}

/// The permissions routes ask for.
pub mod permissions {
    use super::*;

    #[derive(Debug)]
    pub struct OwnAccount;
    impl Permission for OwnAccount {
        const ORGANISATION: bool = false;
        fn action(_: Uuid) -> Action {
            Action::ManageOwnAccount
        }
    }

    #[derive(Debug)]
    pub struct AdministerPlatform;
    impl Permission for AdministerPlatform {
        const ORGANISATION: bool = false;
        fn action(_: Uuid) -> Action {
            Action::AdministerPlatform
        }
    }

    #[derive(Debug)]
    pub struct ManageUsers;
    impl Permission for ManageUsers {
        const ORGANISATION: bool = true;
        fn action(organisation_id: Uuid) -> Action {
            Action::ManageUsers { organisation_id }
        }
    }

    #[derive(Debug)]
    pub struct ManageDirectory;
    impl Permission for ManageDirectory {
        const ORGANISATION: bool = false;
        fn action(_: Uuid) -> Action {
            Action::ManageDirectory
        }
    }

    #[derive(Debug)]
    pub struct ApproveServices;
    impl Permission for ApproveServices {
        const ORGANISATION: bool = false;
        fn action(_: Uuid) -> Action {
            Action::ApproveServices
        }
    }

    #[derive(Debug)]
    pub struct SearchAudit;
    impl Permission for SearchAudit {
        const ORGANISATION: bool = false;
        fn action(_: Uuid) -> Action {
            Action::SearchAudit
        }
    }
}

/// Whoever is visiting, signed in or not (for pages open to everyone that
/// behave differently for the signed in, like the sign-in page itself).
#[derive(Debug, Clone)]
pub struct MaybeVisitor(pub Option<Visitor>);

impl FromRequestParts<AppState> for MaybeVisitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeVisitor(parts.extensions.get::<Visitor>().cloned()))
    }
}
