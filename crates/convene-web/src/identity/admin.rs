//! Platform administration: the instance's organisations and accounts.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::AuditAction;
use convene_domain::identity::{Account, Role};
use convene_domain::ids::new_id;
use convene_domain::organisations::{Organisation, OrganisationInput, OrganisationKind};
use convene_store::identity::accounts;
use convene_store::{audit, organisations};

use super::extract::Authorised;
use super::extract::permissions::AdministerPlatform;
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

pub struct AccountRow {
    pub account: Account,
    pub roles: Vec<(String, Role)>,
}

#[derive(Template)]
#[template(path = "identity/admin.html")]
struct AdminPage {
    page: Page,
    organisations: Vec<Organisation>,
    accounts: Vec<AccountRow>,
    kinds: [OrganisationKind; 7],
    errors: FormErrors,
    input: OrganisationInput,
}

async fn render(
    state: &AppState,
    page: Page,
    errors: FormErrors,
    input: OrganisationInput,
    status: StatusCode,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let organisations = organisations::list(conn).await?;
    let mut rows = Vec::new();
    for account in accounts::list(conn).await? {
        let mut roles = Vec::new();
        for m in accounts::memberships(conn, account.id).await? {
            let name = organisations
                .iter()
                .find(|o| o.id == m.organisation_id)
                .map(|o| o.details.name.clone())
                .unwrap_or_default();
            roles.push((name, m.role));
        }
        rows.push(AccountRow { account, roles });
    }
    let template = AdminPage {
        page,
        organisations,
        accounts: rows,
        kinds: OrganisationKind::ALL,
        errors,
        input,
    };
    Ok((status, Html(template.render()?)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<AdministerPlatform>,
) -> Result<Response, AppError> {
    let entry = who
        .visitor
        .audit(AuditAction::RecordViewed, &state, &address)
        .on("accounts", "all");
    audit::record(&state.store, entry).await?;
    render(
        &state,
        page,
        FormErrors::default(),
        OrganisationInput::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_organisation(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<AdministerPlatform>,
    Form(input): Form<OrganisationInput>,
) -> Result<Response, AppError> {
    let details = match input.validate() {
        Ok(details) => details,
        Err(errors) => {
            return render(
                &state,
                page,
                errors.into(),
                input,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let id = new_id();
    let now = state.clock.now();
    let entry = who
        .visitor
        .audit(AuditAction::OrganisationCreated, &state, &address)
        .on("organisation", id);
    state
        .store
        .transaction(|txn| {
            Box::pin(async move {
                organisations::insert(txn, id, &details, now).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Redirect::to(&format!("/organisations/{id}/users")).into_response())
}
