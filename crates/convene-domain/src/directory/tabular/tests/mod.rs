//! Tests of the tabular form: the ORUK examples and writing (`examples`),
//! bad rows and sets (`bad_rows`), and a round trip over varied documents
//! (`round_trip`).

mod bad_rows;
mod examples;
mod round_trip;

use std::collections::BTreeMap;

use serde_json::Value;

use super::TabularWrite;
use crate::directory::document::tidy;

pub(super) fn oruk(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/oruk/examples")
        .join(path)
}

pub(super) fn example_set() -> BTreeMap<String, String> {
    let dir = oruk("csv");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("the ORUK examples must be at ../shared/oruk (see the README)");
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

pub(super) fn files_of(written: &TabularWrite) -> BTreeMap<String, String> {
    written.files.iter().cloned().collect()
}

/// What reading gives back for a document: the same, tidied, with the
/// `organization_id` every service carries in the tabular form.
pub(super) fn expected_back(document: &Value) -> Value {
    let mut expected = tidy(document.clone()).unwrap();
    if let Some(id) = expected.pointer("/organization/id").cloned() {
        expected["organization_id"] = id;
    }
    expected
}
