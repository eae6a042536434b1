//! Fetching an ORUK 3.0 feed over HTTP: every page of `/services`, then each
//! `/services/{id}` (several at once, never too many), bounded in time and
//! size. Import runs (`import_run`) stage what is fetched, so a feed that
//! fails half-way changes nothing in the directory.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Requests at once for service details.
    pub concurrency: usize,
    /// Each request, from connecting to the last byte.
    pub timeout: Duration,
    /// The largest response accepted.
    pub max_response_bytes: usize,
    pub per_page: u32,
    /// Only services changed after this (incremental imports).
    pub modified_after: Option<DateTime<Utc>>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            timeout: Duration::from_secs(30),
            max_response_bytes: 20 * 1024 * 1024,
            per_page: 200,
            modified_after: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: {reason}")]
    Request { url: String, reason: String },
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: not an ORUK page ({reason})")]
    NotAPage { url: String, reason: String },
    #[error("{0} is not an http(s) URL")]
    BadUrl(String),
}

/// A feed being read: its base URL (e.g. `https://directory.example/oruk`)
/// and one HTTP client for every request.
#[derive(Debug, Clone)]
pub struct FeedClient {
    base: String,
    client: reqwest::Client,
    options: FetchOptions,
}

impl FeedClient {
    pub fn new(base: &str, options: &FetchOptions) -> Result<Self, FetchError> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(FetchError::BadUrl(base));
        }
        // Redirects are not followed: a feed address checked as public
        // must not hand the request on to one that is not.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| FetchError::Request {
                url: base.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            base,
            client,
            options: options.clone(),
        })
    }

    /// The ids of every service the feed lists, page by page.
    pub async fn list(&self) -> Result<Vec<String>, FetchError> {
        let (base, options) = (&self.base, &self.options);
        let mut ids: Vec<String> = Vec::new();
        let mut page = 1u64;
        loop {
            let mut url = format!("{base}/services?page={page}&per_page={}", options.per_page);
            if let Some(after) = options.modified_after {
                url.push_str(&format!(
                    "&modified_after={}",
                    after.format("%Y-%m-%dT%H:%M:%SZ")
                ));
            }
            let body = get_json(&self.client, &url, options.max_response_bytes).await?;
            let not_a_page = |reason: &str| FetchError::NotAPage {
                url: url.clone(),
                reason: reason.to_string(),
            };
            let contents = body
                .get("contents")
                .and_then(Value::as_array)
                .ok_or_else(|| not_a_page("no contents"))?;
            for item in contents {
                let id = item
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| not_a_page("an item without an id"))?;
                ids.push(id.to_string());
            }
            let last = body
                .get("last_page")
                .and_then(Value::as_bool)
                .unwrap_or(contents.is_empty());
            let total_pages = body
                .get("total_pages")
                .and_then(Value::as_u64)
                .unwrap_or(page);
            if last || contents.is_empty() || page >= total_pages {
                break;
            }
            page += 1;
            if page > 100_000 {
                return Err(not_a_page("more than 100,000 pages"));
            }
        }
        Ok(ids)
    }

    /// The full documents of `ids`, in the same order, several requests at
    /// once but never more than the configured bound.
    pub async fn fetch(&self, ids: &[String]) -> Result<Vec<Value>, FetchError> {
        let limit = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for (index, id) in ids.iter().enumerate() {
            // Ids come from the feed: keep them to one path segment.
            if id.is_empty() || id.contains(['/', '?', '#', '%']) {
                return Err(FetchError::NotAPage {
                    url: format!("{}/services", self.base),
                    reason: format!("{id:?} is not a usable service id"),
                });
            }
            let url = format!("{}/services/{id}", self.base);
            let (client, limit, max) = (
                self.client.clone(),
                limit.clone(),
                self.options.max_response_bytes,
            );
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                get_json(&client, &url, max).await.map(|doc| (index, doc))
            });
        }
        let mut documents: Vec<Option<Value>> = vec![None; ids.len()];
        while let Some(joined) = tasks.join_next().await {
            let (index, doc) = joined.map_err(|e| FetchError::Request {
                url: self.base.clone(),
                reason: e.to_string(),
            })??;
            documents[index] = Some(doc);
        }
        Ok(documents.into_iter().flatten().collect())
    }
}

/// Every service document of the feed at `base`, fetched before anything
/// is returned.
pub async fn fetch_services(base: &str, options: &FetchOptions) -> Result<Vec<Value>, FetchError> {
    let feed = FeedClient::new(base, options)?;
    let ids = feed.list().await?;
    feed.fetch(&ids).await
}

async fn get_json(client: &reqwest::Client, url: &str, max: usize) -> Result<Value, FetchError> {
    let fail = |reason: String| FetchError::Request {
        url: url.to_string(),
        reason,
    };
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(describe(&e)))?;
    if !response.status().is_success() {
        return Err(fail(format!("answered {}", response.status())));
    }
    if response
        .content_length()
        .is_some_and(|len| len as usize > max)
    {
        return Err(FetchError::TooLarge {
            url: url.to_string(),
            limit: max,
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(describe(&e)))? {
        body.extend_from_slice(&chunk);
        if body.len() > max {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit: max,
            });
        }
    }
    serde_json::from_slice(&body).map_err(|e| FetchError::NotAPage {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "could not connect".to_string()
    } else {
        error.to_string()
    }
}
