//! Identity pages: signing in and out, accounts, organisation users,
//! invitations, password resets and platform administration.

pub mod account;
pub mod admin;
pub mod cookies;
pub mod extract;
pub mod links;
pub mod oidc;
pub mod organisation_users;
pub mod sign_in;
pub mod signing;
pub mod visitor;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in::show).post(sign_in::submit))
        .route(
            "/sign-in/second-factor",
            get(sign_in::show_second_factor).post(sign_in::submit_second_factor),
        )
        .route("/sign-in/oidc/{organisation_id}", post(oidc::start))
        .route(oidc::CALLBACK_PATH, get(oidc::callback))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/account", get(account::show))
        .route(
            "/account/password",
            get(account::show_password).post(account::change_password),
        )
        .route(
            "/account/second-factor",
            get(account::show_enrol).post(account::enrol),
        )
        .route(
            "/account/recovery-codes",
            post(account::regenerate_recovery_codes),
        )
        .route(
            "/account/sessions/{session_id}/end",
            post(account::end_session),
        )
        .route(
            "/account/tokens/{token_id}/revoke",
            post(account::revoke_token),
        )
        .route(
            "/invitations/{token}",
            get(links::show_invitation).post(links::accept_invitation),
        )
        .route(
            "/password-reset",
            get(links::show_forgotten).post(links::request_reset),
        )
        .route(
            "/password-reset/{token}",
            get(links::show_reset).post(links::complete_reset),
        )
        .route(
            "/organisations/{organisation_id}/users",
            get(organisation_users::list),
        )
        .route(
            "/organisations/{organisation_id}/users/invite",
            get(organisation_users::show_invite).post(organisation_users::invite),
        )
        .route(
            "/organisations/{organisation_id}/users/{user_id}/role",
            post(organisation_users::change_role),
        )
        .route(
            "/organisations/{organisation_id}/users/{user_id}/disable",
            post(organisation_users::disable),
        )
        .route(
            "/organisations/{organisation_id}/users/{user_id}/enable",
            post(organisation_users::enable),
        )
        .route("/admin", get(admin::show))
        .route("/admin/organisations", post(admin::create_organisation))
}
