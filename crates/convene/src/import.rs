//! `convene import`: directory feeds and postcodes from files.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use convene_domain::clock::{SharedClock, SystemClock};
use convene_domain::directory::feed::service_documents;
use std::io::IsTerminal;

use convene_domain::directory::imports::{ImportProblems, ImportRun, ImportStatus};
use convene_jobs::feed::FetchOptions;
use convene_jobs::import::{import_postcodes, import_services};
use convene_jobs::import_run::{RunOptions, bookmark_key, execute};
use convene_store::directory::imports::{self, NewRun};
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
    let feed = url.trim_end_matches('/').to_string();
    let clock: SharedClock = Arc::new(SystemClock);
    let options = RunOptions {
        fetch: FetchOptions {
            concurrency,
            timeout: std::time::Duration::from_secs(timeout_seconds),
            ..Default::default()
        },
        ..Default::default()
    };
    let run = match imports::unfinished_for(store.conn(), &feed).await? {
        // An earlier attempt stopped part-way: carry on from what it fetched.
        Some(earlier) if earlier.full == full => {
            if earlier.status == ImportStatus::Failed {
                imports::requeue(store.conn(), earlier.id).await?;
            }
            earlier.id
        }
        _ => {
            let since = if full {
                None
            } else {
                instance::fact(store.conn(), &bookmark_key(&feed))
                    .await?
                    .and_then(|text| chrono::DateTime::parse_from_rfc3339(&text).ok())
                    .map(|t| t.with_timezone(&chrono::Utc))
            };
            let new = NewRun {
                id: uuid::Uuid::now_v7(),
                source: feed.clone(),
                full,
                requested_by: None,
                modified_after: since,
            };
            imports::create(store.conn(), &new, clock.now()).await?.id
        }
    };
    let Some(claimed) = imports::claim(store.conn(), Some(run), clock.now(), options.lease).await?
    else {
        anyhow::bail!(
            "an import of {feed} is already under way (see /directory/imports); try again when it has finished"
        );
    };
    if claimed.fetched > 0 || claimed.listed {
        eprintln!(
            "Carrying on with the import of {feed} begun {}: {} of {} services already fetched.",
            claimed.requested_at.format("%Y-%m-%d %H:%M UTC"),
            claimed.fetched,
            claimed.total
        );
    }
    let show = |run: &ImportRun| {
        if std::io::stderr().is_terminal() {
            eprint!(
                "\r{}: {} of {} fetched, {} stored   ",
                run.status.label(),
                run.fetched,
                run.total,
                run.stored
            );
        }
    };
    let id = claimed.id;
    let run = tokio::select! {
        run = execute(store, &clock, claimed, &options, &show) => run?,
        // Stopped by the operator: free the run at once (rather than when
        // its lease lapses) so the same command carries on from here.
        _ = tokio::signal::ctrl_c() => {
            imports::finish(store.conn(), id, Err("interrupted".into()), clock.now()).await?;
            imports::get(store.conn(), id).await?.ok_or_else(|| anyhow!("the run disappeared"))?
        }
    };
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    if run.status == ImportStatus::Failed {
        anyhow::bail!(
            "{}; nothing was imported (the {} services fetched are kept: run the same command again to carry on)",
            run.message.as_deref().unwrap_or("the import stopped"),
            run.fetched
        );
    }
    report_problems(&run.problems);
    let scope = match run.modified_after {
        Some(t) => format!(" (changed since {})", t.format("%Y-%m-%d %H:%M UTC")),
        None => String::new(),
    };
    println!(
        "{feed}{scope}: {} fetched; {}; {} no longer listed, marked inactive",
        run.fetched,
        run.summary(),
        run.closed
    );
    Ok(run.problems.refused_count == 0)
}

fn report_problems(problems: &ImportProblems) {
    for refusal in &problems.refused {
        eprintln!(
            "refused: service {}: {}: {}",
            refusal.record, refusal.field, refusal.reason
        );
    }
    for id in &problems.conflicts {
        eprintln!(
            "conflict: service {id} was edited in Convene since it was imported; not overwritten"
        );
    }
    for warning in &problems.warnings {
        eprintln!("warning: {warning}");
    }
    let unlisted = (problems.refused_count + problems.conflict_count + problems.warning_count)
        .saturating_sub(
            (problems.refused.len() + problems.conflicts.len() + problems.warnings.len()) as u64,
        );
    if unlisted > 0 {
        eprintln!("({unlisted} more problems not listed)");
    }
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
