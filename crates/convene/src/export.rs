//! `convene export`: every active, approved service, as an ORUK feed file
//! (one full service document per line) or as ORUK tables.

use std::path::Path;

use anyhow::Context;
use convene_domain::directory::document::tidy;
use convene_store::Store;
use convene_store::directory::{services, taxonomies};
use serde_json::{Value, json};

use crate::cli::ExportCommand;

/// Documents are read this many at a time.
const PAGE: u64 = 500;

pub async fn run(store: &Store, command: &ExportCommand) -> anyhow::Result<()> {
    match command {
        ExportCommand::Oruk { file, force } => {
            refuse_to_overwrite(&[file.as_path()], *force)?;
            let documents = active_documents(store).await?;
            let body: String = documents.iter().map(|d| format!("{d}\n")).collect();
            std::fs::write(file, body)
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("Wrote {} services to {}.", documents.len(), file.display());
            Ok(())
        }
        ExportCommand::OrukCsv { dir, force } => crate::tabular::export(store, dir, *force).await,
    }
}

/// What the ORUK API lists: active services as approved (changes waiting
/// for approval live apart, in the versions).
pub async fn active_documents(store: &Store) -> anyhow::Result<Vec<Value>> {
    let filter = services::ServiceFilter {
        active_only: true,
        ..Default::default()
    };
    let mut documents = Vec::new();
    let mut page = 1;
    loop {
        let (batch, total) = services::page(store.conn(), &filter, page, PAGE).await?;
        let done = batch.is_empty() || page * PAGE >= total;
        documents.extend(batch);
        if done {
            return Ok(documents);
        }
        page += 1;
    }
}

/// Every taxonomy, as ORUK taxonomy objects.
pub async fn all_taxonomies(store: &Store) -> anyhow::Result<Vec<Value>> {
    let mut found = Vec::new();
    let mut page = 1;
    loop {
        let (batch, total) = taxonomies::taxonomies(store.conn(), page, PAGE).await?;
        let done = batch.is_empty() || page * PAGE >= total;
        found.extend(batch.into_iter().filter_map(|t| {
            tidy(json!({
                "id": t.id,
                "name": t.name,
                "description": t.description,
                "uri": t.uri,
                "version": t.version,
            }))
        }));
        if done {
            return Ok(found);
        }
        page += 1;
    }
}

/// Checks every path before anything is written, so a refusal leaves
/// nothing half-done.
pub fn refuse_to_overwrite(paths: &[&Path], force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    if let Some(existing) = paths.iter().find(|p| p.exists()) {
        anyhow::bail!(
            "{} already exists; nothing was written (use --force to overwrite)",
            existing.display()
        );
    }
    Ok(())
}
