//! `convene import`: directory feeds and postcodes from files.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use convene_domain::clock::{SharedClock, SystemClock};
use convene_domain::directory::feed::service_documents;
use convene_jobs::feed::{FetchOptions, fetch_services};
use convene_jobs::import::{import_postcodes, import_services};
use convene_store::directory::services;
use convene_store::{Store, instance};

use crate::cli::ImportCommand;

/// The largest feed file read into memory at once.
const MAX_FEED_BYTES: u64 = 512 * 1024 * 1024;

pub async fn run(store: &Store, command: &ImportCommand) -> anyhow::Result<bool> {
    match command {
        ImportCommand::Oruk {
            url,
            full,
            concurrency,
            timeout_seconds,
        } => oruk_url(store, url, *full, *concurrency, *timeout_seconds).await,
        ImportCommand::OrukFile { file } => oruk_file(store, file).await,
        ImportCommand::OrukCsv { dir } => crate::tabular::import(store, dir).await,
        ImportCommand::Postcodes { file } => {
            let reader = std::fs::File::open(file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let report = import_postcodes(store, std::io::BufReader::new(reader))
                .await
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "Loaded {} postcodes ({} rows without a usable position skipped).",
                report.loaded, report.skipped
            );
            Ok(true)
        }
    }
}

async fn oruk_url(
    store: &Store,
    url: &str,
    full: bool,
    concurrency: usize,
    timeout_seconds: u64,
) -> anyhow::Result<bool> {
    if !(1..=32).contains(&concurrency) {
        anyhow::bail!("--concurrency must be between 1 and 32");
    }
    if !(1..=600).contains(&timeout_seconds) {
        anyhow::bail!("--timeout-seconds must be between 1 and 600");
    }
    let clock: SharedClock = Arc::new(SystemClock);
    let started = clock.now();
    let key = format!("import_last:{}", url.trim_end_matches('/'));
    let since = if full {
        None
    } else {
        instance::fact(store.conn(), &key)
            .await?
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(&text).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let options = FetchOptions {
        concurrency,
        timeout: std::time::Duration::from_secs(timeout_seconds),
        modified_after: since,
        ..Default::default()
    };
    let documents = fetch_services(url, &options)
        .await
        .map_err(|e| anyhow!("{e}; nothing was imported"))?;
    let source = format!("import:{}", url.trim_end_matches('/'));
    let report = import_services(store, &clock, &documents, &source).await?;
    // A full fetch lists every active service of the feed: what was imported
    // from it before and is no longer listed has closed.
    let mut closed = 0;
    if since.is_none() && report.refused.is_empty() {
        let listed: std::collections::HashSet<uuid::Uuid> = documents
            .iter()
            .filter_map(|d| {
                d.get("id")
                    .and_then(|v| v.as_str())
                    .and_then(|t| uuid::Uuid::parse_str(t).ok())
            })
            .collect();
        let now = clock.now();
        closed = store
            .transaction(move |txn| {
                Box::pin(
                    async move { services::deactivate_missing(txn, &source, &listed, now).await },
                )
            })
            .await?
            .len();
    }
    for error in &report.refused {
        eprintln!("refused: {error}");
    }
    for id in &report.conflicts {
        eprintln!(
            "conflict: service {id} was edited in Convene since it was imported; not overwritten"
        );
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    // The next run asks only for what changed after this one began, unless
    // something was refused: then the next run tries those again.
    if report.refused.is_empty() {
        instance::set_fact(store.conn(), &key, &started.to_rfc3339()).await?;
    }
    let scope = match since {
        Some(t) => format!(" (changed since {})", t.format("%Y-%m-%d %H:%M UTC")),
        None => String::new(),
    };
    println!(
        "{url}{scope}: {} fetched; {}; {closed} no longer listed, marked inactive",
        documents.len(),
        report.summary()
    );
    Ok(report.refused.is_empty())
}

async fn oruk_file(store: &Store, file: &Path) -> anyhow::Result<bool> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_FEED_BYTES {
        anyhow::bail!(
            "{} is {size} bytes; the limit is {MAX_FEED_BYTES}",
            file.display()
        );
    }
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
    let documents = service_documents(&text)
        .map_err(|e| anyhow!("{}: {e}; nothing was imported", file.display()))?;
    let clock: SharedClock = Arc::new(SystemClock);
    let source = format!(
        "import:{}",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    );
    let report = import_services(store, &clock, &documents, &source).await?;
    for error in &report.refused {
        eprintln!("refused: {error}");
    }
    for id in &report.conflicts {
        eprintln!(
            "conflict: service {id} was edited in Convene since it was imported; not overwritten"
        );
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    println!("{}: {}", file.display(), report.summary());
    Ok(report.refused.is_empty())
}
