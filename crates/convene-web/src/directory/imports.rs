//! Directory imports from the web: a partnership coordinator gives a feed's
//! address, Convene's worker imports it in the background, and the run's
//! page shows how far it has got (refreshing itself where JavaScript runs,
//! with a button where it does not) and, at the end, what was refused and
//! what was left for review.

use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::AuditAction;
use convene_domain::directory::imports::{ImportRun, ImportStatus, is_public_address};
use convene_domain::ids::new_id;
use convene_store::directory::imports::{self, NewRun};
use convene_store::identity::accounts;
use convene_store::{audit, instance};
use serde_json::json;
use url::Url;
use uuid::Uuid;

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::ApproveServices;
use crate::page::Page;
use crate::state::AppState;

/// Runs shown on the imports page.
const RECENT: u64 = 20;

pub struct RunView {
    pub run: ImportRun,
    pub by: String,
    pub progress: String,
}

#[derive(Template)]
#[template(path = "directory/imports.html")]
struct ImportsPage {
    page: Page,
    runs: Vec<RunView>,
    address: String,
    full: bool,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "directory/import.html")]
struct ImportPage {
    page: Page,
    view: RunView,
}

async fn view(state: &AppState, run: ImportRun) -> Result<RunView, AppError> {
    let by = match run.requested_by {
        Some(id) => accounts::get(state.store.conn(), id)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_default(),
        None => "the command line".to_string(),
    };
    let progress = progress_text(&run);
    Ok(RunView { run, by, progress })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    _who: Authorised<ApproveServices>,
) -> Result<Response, AppError> {
    render_list(&state, page, String::new(), false, FormErrors::default()).await
}

async fn render_list(
    state: &AppState,
    page: Page,
    address: String,
    full: bool,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let mut runs = Vec::new();
    for run in imports::recent(state.store.conn(), RECENT).await? {
        runs.push(view(state, run).await?);
    }
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = ImportsPage {
        page,
        runs,
        address,
        full,
        errors,
    }
    .render()?;
    Ok((status, Html(body)).into_response())
}

pub async fn start(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<ApproveServices>,
    body: Bytes,
) -> Result<Response, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (given, full) = (field("address"), field("full") == "yes");
    let feed = match check_feed(&given, state.settings.import_from_private_addresses).await {
        Ok(feed) => feed,
        Err(message) => {
            return render_list(
                &state,
                page,
                given,
                full,
                FormErrors::one("address", message),
            )
            .await;
        }
    };
    let conn = state.store.conn();
    // The same feed again: carry on with the attempt already there rather
    // than fetch everything twice.
    if let Some(earlier) = imports::unfinished_for(conn, &feed).await?
        && earlier.full == full
    {
        if earlier.status == ImportStatus::Failed {
            imports::requeue(conn, earlier.id).await?;
        }
        return Ok(Redirect::to(&format!("/directory/imports/{}", earlier.id)).into_response());
    }
    let modified_after = if full {
        None
    } else {
        instance::fact(conn, &format!("import_last:{feed}"))
            .await?
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(&text).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let run = NewRun {
        id: new_id(),
        source: feed.clone(),
        full,
        requested_by: Some(who.visitor.account.id),
        modified_after,
    };
    let mut entry = who
        .audit(AuditAction::DirectoryImportRequested, &state, &address)
        .on("import_run", run.id);
    entry.purpose = Some(if full { "full" } else { "changes" }.to_string());
    let (id, now) = (run.id, state.clock.now());
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                imports::create(txn, &run, now).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Redirect::to(&format!("/directory/imports/{id}")).into_response())
}

/// The feed's base address, or why it cannot be used. Unless private
/// addresses are allowed, every address the host resolves to must be
/// public, so the server cannot be pointed at what only it can reach.
async fn check_feed(given: &str, allow_private: bool) -> Result<String, String> {
    if given.is_empty() {
        return Err("Enter the address of the feed".into());
    }
    let url = Url::parse(given).map_err(|_| {
        "Enter the address of the feed, like https://directory.example.org/oruk".to_string()
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("The address must start with https:// or http://".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Leave any user name or password out of the address".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("Enter the feed's base address, without anything after ? or #".into());
    }
    let Some(host) = url.host_str() else {
        return Err("The address has no site name".into());
    };
    if !allow_private {
        let port = url.port_or_known_default().unwrap_or(443);
        let host = host.trim_matches(['[', ']']).to_string();
        let found = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await;
        let addresses: Vec<_> = match found {
            Ok(Ok(addresses)) => addresses.collect(),
            _ => return Err(format!("Convene could not find {host}: check the address")),
        };
        if addresses.is_empty() || addresses.iter().any(|a| !is_public_address(a.ip())) {
            return Err(
                "That address is on a private network; Convene imports only from public addresses"
                    .into(),
            );
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

async fn run_or_404(state: &AppState, id: Uuid) -> Result<ImportRun, AppError> {
    imports::get(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    _who: Authorised<ApproveServices>,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let run = run_or_404(&state, id).await?;
    let view = view(&state, run).await?;
    Ok(Html(ImportPage { page, view }.render()?).into_response())
}

/// How far a run is, for the page's script.
pub async fn progress(
    State(state): State<AppState>,
    _who: Authorised<ApproveServices>,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let run = run_or_404(&state, id).await?;
    Ok(Json(json!({
        "status": run.status.code(),
        "active": run.status.is_active(),
        "percent": run.percent_done(),
        "text": progress_text(&run),
    }))
    .into_response())
}

/// One sentence on where a run is.
pub fn progress_text(run: &ImportRun) -> String {
    match run.status {
        ImportStatus::Queued => "Waiting to start.".to_string(),
        ImportStatus::Fetching if !run.listed => "Reading the feed's list of services.".to_string(),
        ImportStatus::Fetching => format!(
            "{}% done: fetched {} of {} services.",
            run.percent_done(),
            run.fetched,
            run.total
        ),
        ImportStatus::Storing => format!(
            "{}% done: saved {} of {} services to the directory.",
            run.percent_done(),
            run.stored,
            run.total
        ),
        ImportStatus::Finished => format!("Finished: {}.", run.summary()),
        ImportStatus::Failed => format!(
            "Stopped after fetching {} of {} services. Nothing has changed in the directory.",
            run.fetched, run.total
        ),
    }
}

/// Tries a stopped run again from where it stopped.
pub async fn retry(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<ApproveServices>,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let run = run_or_404(&state, id).await?;
    let mut entry = who
        .audit(AuditAction::DirectoryImportRequested, &state, &address)
        .on("import_run", run.id);
    entry.purpose = Some("retry".to_string());
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                // Already queued or under way: nothing to do.
                if imports::requeue(txn, id).await? {
                    audit::record_in(txn, entry).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(Redirect::to(&format!("/directory/imports/{id}")).into_response())
}
