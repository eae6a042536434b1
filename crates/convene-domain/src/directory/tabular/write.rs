//! Service documents written as ORUK tables: each nested object becomes a
//! row of its table, linked to its parent by id; shared objects (locations,
//! organisations, taxonomy terms) are written once.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::TabularError;
use super::tables::{Kind, TABLES, Table};

/// The tables, as (file name, CSV text), every table written even when it
/// has no rows; and notes on anything the tabular form has no place for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TabularWrite {
    pub files: Vec<(String, String)>,
    pub notes: Vec<String>,
}

struct Writer {
    tables: &'static [Table],
    rows: Vec<Vec<Vec<String>>>,
    seen: HashMap<(Kind, String), usize>,
    notes: BTreeSet<String>,
}

/// Writes every document (and the taxonomies, as ORUK taxonomy objects).
/// Values are written as they are: no formula escaping, since ORUK
/// consumers need the raw text; cells are quoted where CSV needs it.
pub fn write_tables(
    documents: &[Value],
    taxonomies: &[Value],
) -> Result<TabularWrite, TabularError> {
    let mut writer = Writer {
        rows: TABLES.iter().map(|_| Vec::new()).collect(),
        tables: &TABLES,
        seen: HashMap::new(),
        notes: BTreeSet::new(),
    };
    for document in documents {
        writer.emit(Kind::Service, document, None);
    }
    for taxonomy in taxonomies {
        writer.emit(Kind::Taxonomy, taxonomy, None);
    }
    let mut files = Vec::new();
    for (table, rows) in writer.tables.iter().zip(&writer.rows) {
        let failed = |e: &dyn std::fmt::Display| TabularError::Write {
            file: table.file.to_string(),
            reason: e.to_string(),
        };
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(table.columns()).map_err(|e| failed(&e))?;
        for row in rows {
            csv.write_record(row).map_err(|e| failed(&e))?;
        }
        let bytes = csv.into_inner().map_err(|e| failed(&e))?;
        let text = String::from_utf8(bytes).map_err(|e| failed(&e))?;
        files.push((table.file.to_string(), text));
    }
    Ok(TabularWrite {
        files,
        notes: writer.notes.into_iter().collect(),
    })
}

impl Writer {
    fn position(&self, kind: Kind) -> usize {
        self.tables.iter().position(|t| t.kind == kind).unwrap_or(0)
    }

    /// Writes one object and everything in it; its id, if it has one.
    fn emit(&mut self, kind: Kind, value: &Value, link: Option<(&str, &str)>) -> Option<String> {
        let at = self.position(kind);
        let file = self.tables[at].file;
        let Some(object) = value.as_object() else {
            self.notes.insert(format!(
                "{file}: an entry that is not an object was not written"
            ));
            return None;
        };
        let Some(id) = object.get("id").and_then(Value::as_str).map(str::to_string) else {
            self.notes
                .insert(format!("{file}: an entry without an id was not written"));
            return None;
        };
        let mut embedded: HashMap<&str, String> = HashMap::new();
        for embed in self.tables[at].embeds {
            if let Some(inner) = object.get(embed.key).filter(|v| v.is_object())
                && let Some(inner_id) = self.emit(embed.kind, inner, None)
            {
                embedded.insert(embed.column, inner_id);
            }
        }
        let mut row = Vec::new();
        for column in self.tables[at].columns() {
            let cell = match (link, object.get(column)) {
                (Some((linked, parent)), _) if linked == column => parent.to_string(),
                (_, Some(value)) => self.cell(file, column, value),
                (_, None) => embedded.get(column).cloned().unwrap_or_default(),
            };
            row.push(cell);
        }
        match self.seen.get(&(kind, id.clone())) {
            Some(&first) if self.rows[at][first] != row => {
                self.notes.insert(format!(
                    "{file}: {id} differs between the services that hold it; the first was written"
                ));
            }
            Some(_) => {}
            None => {
                self.seen.insert((kind, id.clone()), self.rows[at].len());
                self.rows[at].push(row);
            }
        }
        let child_keys = self.children(kind, object, &id);
        self.note_unwritten(at, object, &child_keys);
        Some(id)
    }

    /// Writes the objects nested in `object` (of `kind`, with `id`); the
    /// keys they were under.
    fn children(&mut self, kind: Kind, object: &Map<String, Value>, id: &str) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut nested = Vec::new();
        for table in self.tables {
            for parent in table.parents {
                if parent.kinds.contains(&kind) {
                    keys.push(parent.key);
                    nested.push((table.kind, parent.key, parent.column));
                }
            }
        }
        for (child, key, column) in nested {
            if let Some(items) = object.get(key).and_then(Value::as_array) {
                for item in items {
                    self.emit(child, item, Some((column, id)));
                }
            }
        }
        keys
    }

    fn cell(&mut self, file: &str, column: &str, value: &Value) -> String {
        match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Null => String::new(),
            Value::Array(_) | Value::Object(_) => {
                self.notes.insert(format!(
                    "{file}: {column} holds a list or object, which a cell cannot; not written"
                ));
                String::new()
            }
        }
    }

    fn note_unwritten(&mut self, at: usize, object: &Map<String, Value>, child_keys: &[&str]) {
        let table = &self.tables[at];
        for key in object.keys() {
            let placed = table.cell(key).is_some()
                || table.embeds.iter().any(|e| e.key == key)
                || child_keys.contains(&key.as_str());
            if !placed {
                self.notes.insert(format!(
                    "{}: the field {key} has no column and was not written",
                    table.file
                ));
            }
        }
    }
}
