//! Rows of every table put together into nested service documents: each
//! child row into the object its link names, each shared object (location,
//! organisation, taxonomy term) copied where it is referred to.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::RowProblem;
use super::rows::Row;
use super::tables::{Kind, Table};
use crate::directory::document::tidy;

/// One table as read (with no rows when its file was absent).
#[derive(Debug)]
pub(super) struct Loaded {
    pub file: String,
    pub table: &'static Table,
    pub rows: Vec<Row>,
}

/// A row, by its table's position and its own.
type At = (usize, usize);

/// A child row: where it is, and the key and link column it nests by.
type Child = (At, &'static str, &'static str);

struct Sets<'a> {
    loaded: &'a [Loaded],
    /// (kind, id) to the first row with that id.
    by_id: HashMap<(Kind, String), At>,
    children: HashMap<(Kind, String), Vec<Child>>,
}

/// The service documents and taxonomies; problems found linking rows are
/// added, and every problem names the services left out because of it.
pub(super) fn documents(
    loaded: &mut [Loaded],
    problems: &mut Vec<RowProblem>,
    notes: &mut Vec<String>,
) -> (Vec<Value>, Vec<Value>) {
    let by_id = index(loaded, problems);
    let children = link(loaded, &by_id, problems, notes);
    let sets = Sets {
        loaded,
        by_id,
        children,
    };
    let mut documents = Vec::new();
    let mut taxonomies = Vec::new();
    for (t, table) in loaded.iter().enumerate() {
        for (r, row) in table.rows.iter().enumerate() {
            match table.table.kind {
                // A second row with a used id is reported already.
                Kind::Service
                    if sets
                        .by_id
                        .get(&(Kind::Service, row.id.clone()))
                        .is_none_or(|at| *at == (t, r)) =>
                {
                    let mut tainted = BTreeSet::new();
                    let document = sets.build((t, r), None, &mut tainted);
                    if tainted.is_empty() {
                        documents.push(tidy(document).unwrap_or(Value::Null));
                    } else {
                        let service = match row.id.as_str() {
                            "" => format!("in row {}", row.line),
                            id => id.to_string(),
                        };
                        for (t, r) in tainted {
                            for p in &loaded[t].rows[r].problems {
                                problems[*p].services.push(service.clone());
                            }
                        }
                    }
                }
                Kind::Taxonomy if row.problems.is_empty() => {
                    taxonomies.push(Value::Object(row.fields.clone()));
                }
                _ => {}
            }
        }
    }
    (documents, taxonomies)
}

fn problem(
    problems: &mut Vec<RowProblem>,
    loaded: &Loaded,
    row: usize,
    column: &str,
    reason: String,
) -> usize {
    problems.push(RowProblem {
        file: loaded.file.clone(),
        row: loaded.rows[row].line,
        column: column.to_string(),
        reason,
        services: Vec::new(),
    });
    problems.len() - 1
}

/// Every row by id; a second row with an id already used is a problem.
fn index(loaded: &mut [Loaded], problems: &mut Vec<RowProblem>) -> HashMap<(Kind, String), At> {
    let mut by_id: HashMap<(Kind, String), At> = HashMap::new();
    for (t, table) in loaded.iter_mut().enumerate() {
        for r in 0..table.rows.len() {
            let id = table.rows[r].id.clone();
            if id.is_empty() {
                continue;
            }
            if let Some(&(_, first)) = by_id.get(&(table.table.kind, id.clone())) {
                let line = table.rows[first].line;
                let p = problem(
                    problems,
                    table,
                    r,
                    "id",
                    format!("the id {id} is already used in row {line}"),
                );
                table.rows[r].problems.push(p);
            } else {
                by_id.insert((table.table.kind, id), (t, r));
            }
        }
    }
    by_id
}

/// Finds each row's parent, and checks each reference to a shared object.
/// A row whose parent or reference is missing is reported, never dropped
/// unsaid.
fn link(
    loaded: &mut [Loaded],
    by_id: &HashMap<(Kind, String), At>,
    problems: &mut Vec<RowProblem>,
    notes: &mut Vec<String>,
) -> HashMap<(Kind, String), Vec<Child>> {
    let files: HashMap<Kind, String> = loaded
        .iter()
        .map(|l| (l.table.kind, l.file.clone()))
        .collect();
    let mut children: HashMap<(Kind, String), Vec<Child>> = HashMap::new();
    let mut found: Vec<(At, &'static str, String)> = Vec::new();
    for (t, table) in loaded.iter().enumerate() {
        for (r, row) in table.rows.iter().enumerate() {
            for embed in table.table.embeds {
                if let Some(id) = row.fields.get(embed.column).and_then(Value::as_str)
                    && !by_id.contains_key(&(embed.kind, id.to_string()))
                {
                    let reason = format!("no row of {} has the id {id}", files[&embed.kind]);
                    if embed.optional {
                        notes.push(format!(
                            "{} row {}, column {}: {reason}; kept as the id alone",
                            table.file, row.line, embed.column
                        ));
                    } else {
                        found.push(((t, r), embed.column, reason));
                    }
                }
            }
            if !table.table.parents.is_empty() {
                let filled = table.table.parents.iter().find_map(|p| {
                    row.fields
                        .get(p.column)
                        .and_then(Value::as_str)
                        .map(|id| (p, id))
                });
                match filled {
                    None => {
                        let columns: Vec<&str> =
                            table.table.parents.iter().map(|p| p.column).collect();
                        found.push((
                            (t, r),
                            columns[0],
                            format!(
                                "the row belongs to nothing: fill in {}",
                                columns.join(" or ")
                            ),
                        ));
                    }
                    Some((parent, id)) => {
                        let owners: Vec<Kind> = parent
                            .kinds
                            .iter()
                            .copied()
                            .filter(|k| by_id.contains_key(&(*k, id.to_string())))
                            .collect();
                        match owners.as_slice() {
                            [owner] => children
                                .entry((*owner, id.to_string()))
                                .or_default()
                                .push(((t, r), parent.key, parent.column)),
                            [] if parent.kinds.len() == 1 => found.push((
                                (t, r),
                                parent.column,
                                format!("no row of {} has the id {id}", files[&parent.kinds[0]]),
                            )),
                            [] => found.push((
                                (t, r),
                                parent.column,
                                format!("nothing in the set has the id {id}"),
                            )),
                            _ => found.push((
                                (t, r),
                                parent.column,
                                format!("the id {id} is used by more than one kind of object"),
                            )),
                        }
                    }
                }
            }
        }
    }
    for ((t, r), column, reason) in found {
        let p = problem(problems, &loaded[t], r, column, reason);
        loaded[t].rows[r].problems.push(p);
    }
    children
}

impl Sets<'_> {
    /// The object of one row with everything nested in it. Rows with
    /// problems are noted in `tainted`.
    fn build(&self, (t, r): At, link_column: Option<&str>, tainted: &mut BTreeSet<At>) -> Value {
        let loaded = &self.loaded[t];
        let row = &loaded.rows[r];
        if !row.problems.is_empty() {
            tainted.insert((t, r));
        }
        let mut object: Map<String, Value> = row.fields.clone();
        if let Some(column) = link_column {
            object.remove(column);
        }
        for embed in loaded.table.embeds {
            let Some(id) = row.fields.get(embed.column).and_then(Value::as_str) else {
                continue;
            };
            if let Some(&at) = self.by_id.get(&(embed.kind, id.to_string())) {
                object.insert(embed.key.to_string(), self.build(at, None, tainted));
                if !embed.keep_column {
                    object.remove(embed.column);
                }
            }
        }
        if let Some(children) = self.children.get(&(loaded.table.kind, row.id.clone())) {
            for (at, key, column) in children {
                let child = self.build(*at, Some(column), tainted);
                let list = object
                    .entry((*key).to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(child);
                }
            }
        }
        Value::Object(object)
    }
}
