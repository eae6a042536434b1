//! One CSV file read into rows: the header checked, each cell turned into
//! JSON, each bad cell reported against its row.

use serde_json::{Map, Number, Value};
use uuid::Uuid;

use super::tables::{Cell, Table};
use super::{RowProblem, TabularError};

/// One row of a table.
#[derive(Debug)]
pub(super) struct Row {
    /// As a spreadsheet counts: the header is row 1.
    pub line: usize,
    pub id: String,
    /// The filled cells, in the table's column order; ids stay text.
    pub fields: Map<String, Value>,
    /// Indices into the problem list.
    pub problems: Vec<usize>,
}

pub(super) fn read_file(
    table: &Table,
    file: &str,
    text: &str,
    problems: &mut Vec<RowProblem>,
    notes: &mut Vec<String>,
) -> Result<Vec<Row>, TabularError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let unreadable = |row: usize, error: csv::Error| TabularError::Unreadable {
        file: file.to_string(),
        row,
        reason: error.to_string(),
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| unreadable(1, e))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for (i, name) in header.iter().enumerate() {
        // Unnamed columns (a spreadsheet's trailing commas) are not read.
        if name.is_empty() {
            continue;
        }
        if header[..i].contains(name) {
            return Err(TabularError::DuplicateColumn {
                file: file.to_string(),
                column: name.clone(),
            });
        }
        if table.cell(name).is_none() {
            notes.push(format!(
                "{file}: the column {name} is not an ORUK column and was not read"
            ));
        }
    }
    if let Some(missing) = table
        .required
        .iter()
        .find(|c| !header.iter().any(|h| h == *c))
    {
        return Err(TabularError::MissingColumn {
            file: file.to_string(),
            column: (*missing).to_string(),
        });
    }
    // Columns that hold ids: checked as UUIDs and trimmed.
    let is_id = |column: &str| {
        column == "id"
            || table.parents.iter().any(|p| p.column == column)
            || table.embeds.iter().any(|e| e.column == column)
    };

    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| unreadable(line, e))?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut report = |column: &str, reason: String| {
            problems.push(RowProblem {
                file: file.to_string(),
                row: line,
                column: column.to_string(),
                reason,
                services: Vec::new(),
            });
            problems.len() - 1
        };
        let mut row = Row {
            line,
            id: String::new(),
            fields: Map::new(),
            problems: Vec::new(),
        };
        if record.len() != header.len() {
            row.problems.push(report(
                "",
                format!(
                    "has {} cells where the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        for column in table.columns() {
            let Some(at) = header.iter().position(|h| h == column) else {
                continue;
            };
            let raw = record.get(at).unwrap_or("");
            if raw.trim().is_empty() {
                continue;
            }
            let value = if is_id(column) {
                let id = raw.trim();
                if Uuid::parse_str(id).is_err() {
                    row.problems
                        .push(report(column, format!("{id:?} is not a UUID")));
                }
                Value::String(id.to_string())
            } else {
                match table.cell(column).unwrap_or(Cell::Text) {
                    Cell::Text => Value::String(raw.to_string()),
                    Cell::Number => match number(raw) {
                        Some(n) => Value::Number(n),
                        None => {
                            row.problems
                                .push(report(column, format!("{raw:?} is not a number")));
                            continue;
                        }
                    },
                }
            };
            row.fields.insert(column.to_string(), value);
        }
        match row.fields.get("id").and_then(Value::as_str) {
            Some(id) => row.id = id.to_string(),
            None => row
                .problems
                .push(report("id", "every row needs an id".to_string())),
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A whole number stays whole (so `12` reads back as `12`, not `12.0`).
fn number(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Some(n.into());
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(n.into());
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}
