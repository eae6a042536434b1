//! What changed between versions of a service document.

use serde_json::{Map, Value};

/// Gives `edited` the ids of the item it replaces (and of its location and
/// first address), so links from other systems keep working.
pub(super) fn keep_ids(edited: &mut Value, old: &Value) {
    if let Some(id) = old.get("id") {
        edited["id"] = id.clone();
    }
    if let (Some(location), Some(old_location)) = (edited.get_mut("location"), old.get("location"))
    {
        if let Some(id) = old_location.get("id") {
            location["id"] = id.clone();
        }
        let old_address = old_location
            .get("addresses")
            .and_then(|a| a.get(0))
            .and_then(|a| a.get("id"))
            .cloned();
        if let (Some(id), Some(address)) = (
            old_address,
            location.get_mut("addresses").and_then(|a| a.get_mut(0)),
        ) {
            address["id"] = id;
        }
    }
}

/// A fingerprint of a document's content (empty when there is none), to
/// tell whether a service changed since a version was proposed.
pub fn fingerprint(document: Option<&Value>) -> String {
    use sha2::{Digest, Sha256};
    document
        .map(|d| hex::encode(Sha256::digest(d.to_string().as_bytes())))
        .unwrap_or_default()
}

/// The top-level fields whose values differ, for the version history.
pub fn changed_fields(before: Option<&Value>, after: &Value) -> Vec<String> {
    let empty = Map::new();
    let old = before.and_then(Value::as_object).unwrap_or(&empty);
    let new = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old
        .keys()
        .chain(new.keys())
        .filter(|k| k.as_str() != "last_modified")
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect()
}
