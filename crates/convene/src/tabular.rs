//! `convene import oruk-csv DIR` and `convene export oruk-csv DIR`: the
//! directory as ORUK 3.0 tables (see ADR 5 for the files and columns).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use convene_domain::clock::{SharedClock, SystemClock};
use convene_domain::directory::tabular::{read_tables, write_tables};
use convene_jobs::import::import_services;
use convene_store::Store;

use crate::export::{active_documents, all_taxonomies, refuse_to_overwrite};

/// The largest table read, and the most read from one set in all.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
const MAX_SET_BYTES: u64 = 512 * 1024 * 1024;

/// Imports the tables in `dir`. `Ok(false)` when a row or record was
/// refused (the rest went in).
pub async fn import(store: &Store, dir: &Path) -> anyhow::Result<bool> {
    let files = read_dir(dir).map_err(|e| anyhow!("{e:#}; nothing was imported"))?;
    let read =
        read_tables(&files).map_err(|e| anyhow!("{}: {e}; nothing was imported", dir.display()))?;
    let clock: SharedClock = Arc::new(SystemClock);
    let source = format!(
        "import:{}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("tables")
    );
    let report = import_services(store, &clock, &read.documents, &source).await?;
    for note in &read.notes {
        eprintln!("note: {note}");
    }
    for problem in &read.problems {
        eprintln!("refused: {problem}");
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
    println!(
        "{}: {} services read, {} bad rows; {}",
        dir.display(),
        read.documents.len(),
        read.problems.len(),
        report.summary()
    );
    Ok(read.problems.is_empty() && report.refused.is_empty())
}

/// Every `.csv` file in `dir` by name, read whole after checking sizes.
fn read_dir(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?;
    let mut chosen = Vec::new();
    let mut total = 0u64;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read the folder {}", dir.display()))?;
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        let metadata =
            std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if !metadata.is_file() || !name.to_ascii_lowercase().ends_with(".csv") {
            continue;
        }
        let size = metadata.len();
        if size > MAX_FILE_BYTES {
            anyhow::bail!(
                "{} is {size} bytes; the limit for one table is {MAX_FILE_BYTES}",
                path.display()
            );
        }
        total += size;
        if total > MAX_SET_BYTES {
            anyhow::bail!(
                "the tables in {} come to more than {MAX_SET_BYTES} bytes",
                dir.display()
            );
        }
        chosen.push((name, path));
    }
    let mut files = BTreeMap::new();
    for (name, path) in chosen {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {} as UTF-8 text", path.display()))?;
        files.insert(name, text);
    }
    Ok(files)
}

/// Writes every active, approved service (and the taxonomies) as tables in
/// `dir`, which is made if need be.
pub async fn export(store: &Store, dir: &Path, force: bool) -> anyhow::Result<()> {
    let documents = active_documents(store).await?;
    let taxonomies = all_taxonomies(store).await?;
    let written = write_tables(&documents, &taxonomies).map_err(|e| anyhow!("{e}"))?;
    let paths: Vec<_> = written
        .files
        .iter()
        .map(|(name, _)| dir.join(name))
        .collect();
    refuse_to_overwrite(
        &paths.iter().map(|p| p.as_path()).collect::<Vec<_>>(),
        force,
    )?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
    for (path, (_, text)) in paths.iter().zip(&written.files) {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for note in &written.notes {
        eprintln!("note: {note}");
    }
    println!(
        "Wrote {} services as {} tables in {}.",
        documents.len(),
        written.files.len(),
        dir.display()
    );
    Ok(())
}
