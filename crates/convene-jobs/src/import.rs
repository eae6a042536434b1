//! Importing ORUK service documents: each record checked and stored whole in
//! its own transaction, or refused whole with the reason. Used by the
//! command line now and by scheduled and web-started imports later.

use convene_domain::clock::SharedClock;
use convene_domain::directory::{RecordError, parse_service};
use convene_store::directory::services::{self, Stored};
use convene_store::{Store, StoreError};
use serde_json::Value;

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
}

/// Imports `documents` from `source` (e.g. `import:feed.json`).
pub async fn import_services(
    store: &Store,
    clock: &SharedClock,
    documents: &[Value],
    source: &str,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    for (index, document) in documents.iter().enumerate() {
        let record = match parse_service(document) {
            Ok(record) => record,
            Err(mut error) => {
                if error.record == "?" {
                    error.record = format!("#{}", index + 1);
                }
                report.refused.push(error);
                continue;
            }
        };
        for warning in &record.warnings {
            report
                .warnings
                .push(format!("service {}: {warning}", record.id));
        }
        let now = clock.now();
        let source = source.to_string();
        let id = record.id;
        let outcome = store
            .transaction(move |txn| {
                Box::pin(async move { services::upsert(txn, &record, &source, now).await })
            })
            .await;
        match outcome {
            Ok(Stored::Created) => report.created += 1,
            Ok(Stored::Updated) => report.updated += 1,
            Ok(Stored::Unchanged) => report.unchanged += 1,
            Ok(Stored::Conflict) => report.conflicts.push(id.to_string()),
            // A record the database refuses (e.g. an id already used by a
            // location) is refused alone; the rest carry on.
            Err(StoreError::Database(error)) => report.refused.push(RecordError {
                record: id.to_string(),
                field: String::new(),
                reason: format!("the database refused it: {error}"),
            }),
            Err(other) => return Err(other),
        }
    }
    Ok(report)
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
