//! The ORUK 3.0 tabular form: a set of CSV files, one per kind of object
//! (`services.csv`, `locations.csv`, `schedules.csv`...), linked by ids.
//! Read into the nested service documents that `parse_service` checks, and
//! written back from them. Which files and columns, and why: ADR 5.

mod assemble;
mod rows;
mod tables;
mod write;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

pub use write::{TabularWrite, write_tables};

/// A set that cannot be read at all: nothing in it is used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabularError {
    #[error("there is no services.csv")]
    NoServices,
    #[error("{file} has no {column} column")]
    MissingColumn { file: String, column: String },
    #[error("{file} has the column {column} twice")]
    DuplicateColumn { file: String, column: String },
    #[error("{file} row {row}: cannot be read as CSV ({reason})")]
    Unreadable {
        file: String,
        row: usize,
        reason: String,
    },
    #[error("cannot write {file}: {reason}")]
    Write { file: String, reason: String },
}

/// One bad row: which file, which row (the header is row 1, as in a
/// spreadsheet), which column, why, and the services left out because of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub file: String,
    pub row: usize,
    pub column: String,
    pub reason: String,
    pub services: Vec<String>,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} row {}", self.file, self.row)?;
        if !self.column.is_empty() {
            write!(f, ", column {}", self.column)?;
        }
        write!(f, ": {}", self.reason)?;
        match self.services.as_slice() {
            [] => Ok(()),
            [one] => write!(f, " (so service {one} was not read)"),
            few if few.len() <= SERVICES_NAMED => {
                write!(f, " (so services {} were not read)", few.join(", "))
            }
            many => write!(
                f,
                " (so {} services were not read, among them {})",
                many.len(),
                many[..SERVICES_NAMED].join(", ")
            ),
        }
    }
}

/// A problem in a shared row (an organisation's, say) may leave out
/// thousands of services: only this many are named.
const SERVICES_NAMED: usize = 5;

/// What a set of tables held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TabularRead {
    /// One nested ORUK service document per good row of services.csv whose
    /// rows in every table are good.
    pub documents: Vec<Value>,
    /// The rows of taxonomies.csv, as ORUK taxonomy objects.
    pub taxonomies: Vec<Value>,
    pub problems: Vec<RowProblem>,
    /// Files and columns not read, and spellings passed over.
    pub notes: Vec<String>,
}

/// Reads a set of tables given as file name (e.g. `services.csv`) to text.
/// Each bad row is reported and the services it belongs to are left out
/// whole; a missing services.csv or required column fails the whole set.
pub fn read_tables(files: &BTreeMap<String, String>) -> Result<TabularRead, TabularError> {
    let mut notes = Vec::new();
    let chosen = choose_files(files, &mut notes);
    let mut problems = Vec::new();
    let mut loaded = Vec::new();
    for (table, chosen) in tables::TABLES.iter().zip(chosen) {
        let rows = match chosen {
            Some((name, text)) => rows::read_file(table, name, text, &mut problems, &mut notes)?,
            None if table.kind == tables::Kind::Service => return Err(TabularError::NoServices),
            None => Vec::new(),
        };
        let name = chosen.map_or(table.file, |(name, _)| name);
        loaded.push(assemble::Loaded {
            file: name.to_string(),
            table,
            rows,
        });
    }
    let (documents, taxonomies) = assemble::documents(&mut loaded, &mut problems, &mut notes);
    Ok(TabularRead {
        documents,
        taxonomies,
        problems,
        notes,
    })
}

/// For each table, the file read: the spelling Convene writes if present,
/// else the other one. Everything passed over gets a note.
fn choose_files<'a>(
    files: &'a BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> Vec<Option<(&'a str, &'a str)>> {
    let find = |wanted: &str| {
        files
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(name, text)| (name.as_str(), text.as_str()))
    };
    let all = &tables::TABLES;
    let chosen: Vec<_> = all
        .iter()
        .map(|table| {
            let written = find(table.file);
            let other = table.also.and_then(find);
            match (written, other) {
                (Some(w), Some((o, _))) => {
                    notes.push(format!("{o} was not read: {} is read instead", w.0));
                    Some(w)
                }
                (w, o) => w.or(o),
            }
        })
        .collect();
    for name in files.keys() {
        let known = all.iter().any(|t| {
            name.eq_ignore_ascii_case(t.file)
                || t.also.is_some_and(|a| name.eq_ignore_ascii_case(a))
        });
        if !known {
            let why = if tables::NOT_READ
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
            {
                "it holds nothing of an ORUK 3.0 service"
            } else {
                "it is not one of the ORUK tables"
            };
            notes.push(format!("{name} was not read: {why}"));
        }
    }
    chosen
}
