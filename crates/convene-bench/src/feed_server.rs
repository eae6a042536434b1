//! `serve-feed`: a generated directory served as an ORUK 3.0 feed from
//! memory, so `convene import oruk http://...` can be timed against a feed
//! that answers as fast as the network allows.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

/// Every service: its list form and its whole document as sent.
#[derive(Debug, Default)]
pub struct Feed {
    items: Vec<Value>,
    documents: Vec<String>,
    by_id: HashMap<String, usize>,
}

impl Feed {
    /// Reads `feed.ndjson` (one service per line).
    pub fn read(path: &Path) -> anyhow::Result<Feed> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut feed = Feed::default();
        for (number, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let doc: Value = serde_json::from_str(line)
                .with_context(|| format!("{} line {}: not JSON", path.display(), number + 1))?;
            let id = doc
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{} line {}: no id", path.display(), number + 1))?
                .to_string();
            feed.items.push(json!({
                "id": id,
                "name": doc.get("name"),
                "status": doc.get("status"),
                "organization_id": doc.get("organization_id"),
            }));
            feed.by_id.insert(id, feed.documents.len());
            feed.documents.push(line.to_string());
        }
        Ok(feed)
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    /// One page in ORUK's `Page` shape.
    fn page(&self, page: usize, per_page: usize) -> Value {
        let total = self.items.len();
        let total_pages = total.div_ceil(per_page).max(1);
        let start = (page - 1).saturating_mul(per_page).min(total);
        let end = start.saturating_add(per_page).min(total);
        let contents = &self.items[start..end];
        json!({
            "total_items": total,
            "total_pages": total_pages,
            "page_number": page,
            "size": contents.len(),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": contents.is_empty(),
            "contents": contents,
        })
    }
}

#[derive(Debug, Deserialize)]
struct PageParams {
    page: Option<String>,
    per_page: Option<String>,
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": { "code": "bad_request", "message": message } })),
    )
        .into_response()
}

async fn services(State(feed): State<Arc<Feed>>, Query(params): Query<PageParams>) -> Response {
    let number = |text: Option<&str>, default: usize, max: usize| -> Option<usize> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Some(default),
            Some(t) => t.parse().ok().filter(|n| (1..=max).contains(n)),
        }
    };
    let Some(page) = number(params.page.as_deref(), 1, 1_000_000) else {
        return bad_request("page must be a whole number from 1 to 1000000");
    };
    let Some(per_page) = number(params.per_page.as_deref(), 50, 1_000) else {
        return bad_request("per_page must be a whole number from 1 to 1000");
    };
    axum::Json(feed.page(page, per_page)).into_response()
}

async fn service(State(feed): State<Arc<Feed>>, UrlPath(id): UrlPath<String>) -> Response {
    match feed.by_id.get(&id) {
        Some(index) => (
            [(header::CONTENT_TYPE, "application/json")],
            feed.documents[*index].clone(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "error": { "code": "not_found", "message": "no such service" } })),
        )
            .into_response(),
    }
}

pub fn routes(feed: Arc<Feed>) -> Router {
    Router::new()
        .route("/services", get(services))
        .route("/services/{id}", get(service))
        .with_state(feed)
}

pub async fn serve(dir: &Path, bind: SocketAddr) -> anyhow::Result<()> {
    let feed = Arc::new(Feed::read(&dir.join("feed.ndjson"))?);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    eprintln!(
        "serving {} services as an ORUK feed at http://{}",
        feed.len(),
        listener.local_addr()?
    );
    axum::serve(listener, routes(feed)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(n: usize) -> Feed {
        let mut feed = Feed::default();
        for i in 0..n {
            let id = format!("id-{i}");
            feed.items.push(json!({ "id": id }));
            feed.by_id.insert(id.clone(), i);
            feed.documents.push(json!({ "id": id }).to_string());
        }
        feed
    }

    #[test]
    fn pages_cover_every_item_once_and_say_which_is_last() {
        let feed = feed(5);
        let first = feed.page(1, 2);
        assert_eq!(first["total_pages"], 3);
        assert_eq!(first["contents"][0]["id"], "id-0");
        assert_eq!(first["last_page"], false);
        let last = feed.page(3, 2);
        assert_eq!(last["contents"].as_array().unwrap().len(), 1);
        assert_eq!(last["last_page"], true);
        let beyond = feed.page(9, 2);
        assert_eq!(beyond["empty"], true);
    }
}
