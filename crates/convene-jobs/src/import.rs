//! Importing ORUK service documents: each record checked, then stored in
//! batches of [`BATCH`] per transaction (a whole service - its places, terms
//! and change - always together), or refused whole with the reason. Used by
//! the command line, by import runs and by tests.

use convene_domain::clock::SharedClock;
use convene_domain::directory::imports::ImportProblems;
use convene_domain::directory::{RecordError, ServiceRecord, parse_service};
use convene_store::directory::bulk;
use convene_store::directory::imports::{self, BatchCounts};
use convene_store::directory::services::{self, Stored};
use convene_store::{Store, StoreError};
use serde_json::Value;
use uuid::Uuid;

/// Services stored per transaction: large enough that a national feed is
/// not held up by commits, small enough that one refused record costs a
/// short retry.
pub const BATCH: usize = 500;

/// What an import did, record by record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Edited in Convene since they were imported: left as they are.
    pub conflicts: Vec<String>,
    pub refused: Vec<RecordError>,
    /// Kept but worth knowing (e.g. coordinates out of range).
    pub warnings: Vec<String>,
}

impl ImportReport {
    pub fn summary(&self) -> String {
        format!(
            "{} created, {} updated, {} unchanged, {} conflicts left for review, {} refused",
            self.created,
            self.updated,
            self.unchanged,
            self.conflicts.len(),
            self.refused.len()
        )
    }

    fn absorb(&mut self, other: ImportReport) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.conflicts.extend(other.conflicts);
        self.refused.extend(other.refused);
        self.warnings.extend(other.warnings);
    }

    fn tally(&mut self, id: Uuid, outcome: Stored) {
        match outcome {
            Stored::Created => self.created += 1,
            Stored::Updated => self.updated += 1,
            Stored::Unchanged => self.unchanged += 1,
            Stored::Conflict => self.conflicts.push(id.to_string()),
        }
    }

    /// The counts and problems an import run keeps for `handled` records.
    pub fn for_run(&self, handled: usize) -> (BatchCounts, ImportProblems) {
        let counts = BatchCounts {
            handled: handled as u64,
            created: self.created as u64,
            updated: self.updated as u64,
            unchanged: self.unchanged as u64,
        };
        let mut problems = ImportProblems::default();
        self.refused.iter().for_each(|e| problems.refuse(e));
        self.conflicts
            .iter()
            .for_each(|c| problems.conflict(c.clone()));
        self.warnings.iter().for_each(|w| problems.warn(w.clone()));
        (counts, problems)
    }
}

/// Imports `documents` from `source` (e.g. `import:feed.json`).
pub async fn import_services(
    store: &Store,
    clock: &SharedClock,
    documents: &[Value],
    source: &str,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    for (number, batch) in documents.chunks(BATCH).enumerate() {
        report.absorb(store_batch(store, clock, batch, number * BATCH, source, None).await?);
    }
    Ok(report)
}

/// Checks and stores one batch; `first` is the position of its first
/// record in the whole import (for naming records without an id). With a
/// `run`, the run's counts move on in the same transaction.
pub async fn store_batch(
    store: &Store,
    clock: &SharedClock,
    documents: &[Value],
    first: usize,
    source: &str,
    run: Option<Uuid>,
) -> Result<ImportReport, StoreError> {
    let mut checked = ImportReport::default();
    let mut records: Vec<ServiceRecord> = Vec::with_capacity(documents.len());
    for (index, document) in documents.iter().enumerate() {
        match parse_service(document) {
            Ok(record) => {
                for warning in &record.warnings {
                    checked
                        .warnings
                        .push(format!("service {}: {warning}", record.id));
                }
                records.push(record);
            }
            Err(mut error) => {
                if error.record == "?" {
                    error.record = format!("#{}", first + index + 1);
                }
                checked.refused.push(error);
            }
        }
    }
    let handled = documents.len();
    let now = clock.now();
    let together = {
        let (records, source, mut report) = (records.clone(), source.to_string(), checked.clone());
        store
            .transaction(move |txn| {
                Box::pin(async move {
                    let outcomes = bulk::upsert_many(txn, &records, &source, now).await?;
                    for (record, outcome) in records.iter().zip(outcomes) {
                        report.tally(record.id, outcome);
                    }
                    if let Some(run) = run {
                        let (counts, problems) = report.for_run(handled);
                        imports::record_batch(txn, run, &counts, &problems).await?;
                    }
                    Ok(report)
                })
            })
            .await
    };
    match together {
        Ok(report) => Ok(report),
        // The database refused something (e.g. an id already used by a
        // location): store the records one by one, refusing only those.
        Err(StoreError::Database(_)) => {
            let mut report = checked;
            for record in records {
                let id = record.id;
                let source = source.to_string();
                let alone = store
                    .transaction(move |txn| {
                        Box::pin(async move { services::upsert(txn, &record, &source, now).await })
                    })
                    .await;
                match alone {
                    Ok(outcome) => report.tally(id, outcome),
                    Err(StoreError::Database(error)) => report.refused.push(RecordError {
                        record: id.to_string(),
                        field: String::new(),
                        reason: format!("the database refused it: {error}"),
                    }),
                    Err(other) => return Err(other),
                }
            }
            // A crash before this line would count this batch's records
            // as unchanged when the run resumes; what is stored is right.
            if let Some(run) = run {
                let (counts, problems) = report.for_run(handled);
                store
                    .transaction(move |txn| {
                        Box::pin(async move {
                            imports::record_batch(txn, run, &counts, &problems).await
                        })
                    })
                    .await?;
            }
            Ok(report)
        }
        Err(other) => Err(other),
    }
}

/// Postcodes read from an ONS postcode directory CSV (ONSPD or NSPL:
/// columns `pcds`, `lat`, `long`, and `lsoa21` or `lsoa11`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostcodeReport {
    pub loaded: usize,
    /// Rows without a usable postcode or position (ONSPD marks terminated
    /// or unlocated postcodes with latitude 99.999999).
    pub skipped: usize,
}

/// The CSV could not be read (nothing is loaded then).
#[derive(Debug, thiserror::Error)]
pub enum PostcodeImportError {
    #[error("the CSV has no {0} column (expected ONSPD/NSPL columns pcds, lat, long)")]
    MissingColumn(&'static str),
    #[error("line {line}: {reason}")]
    BadRow { line: u64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Loads every row in one transaction: a file that fails half-way leaves
/// the postcode table as it was.
pub async fn import_postcodes<R: std::io::Read>(
    store: &Store,
    reader: R,
) -> Result<PostcodeReport, PostcodeImportError> {
    use convene_domain::directory::postcodes::Postcode;
    use convene_store::directory::postcodes::{self, PostcodeLocation};

    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| PostcodeImportError::BadRow {
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    let column = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let postcode_at = column("pcds").ok_or(PostcodeImportError::MissingColumn("pcds"))?;
    let lat_at = column("lat").ok_or(PostcodeImportError::MissingColumn("lat"))?;
    let long_at = column("long").ok_or(PostcodeImportError::MissingColumn("long"))?;
    let lsoa_at = column("lsoa21").or_else(|| column("lsoa11"));

    let mut rows = Vec::new();
    let mut report = PostcodeReport::default();
    for record in csv.records() {
        let record = record.map_err(|e| PostcodeImportError::BadRow {
            line: e.position().map_or(0, |p| p.line()),
            reason: e.to_string(),
        })?;
        let postcode = record.get(postcode_at).map(Postcode::parse);
        let lat = record
            .get(lat_at)
            .and_then(|v| v.trim().parse::<f64>().ok());
        let long = record
            .get(long_at)
            .and_then(|v| v.trim().parse::<f64>().ok());
        match (postcode, lat, long) {
            (Some(Ok(postcode)), Some(lat), Some(long))
                if (-90.0..=90.0).contains(&lat)
                    && lat < 99.0
                    && (-180.0..=180.0).contains(&long) =>
            {
                let lsoa = lsoa_at
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                rows.push(PostcodeLocation {
                    postcode,
                    latitude: lat,
                    longitude: long,
                    lsoa,
                });
            }
            _ => report.skipped += 1,
        }
    }
    report.loaded = rows.len();
    store
        .transaction(move |txn| Box::pin(async move { postcodes::upsert(txn, &rows).await }))
        .await?;
    Ok(report)
}
