//! Identifiers: UUIDs everywhere (ORUK requires them).
//!
//! New rows get version 7 ids (time-ordered, so indexes stay compact); the demo
//! derives version 5 ids from names so that its data is the same every time.

use uuid::Uuid;

/// A fresh, time-ordered id for a new row.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The namespace of Convene's name-derived ids.
const CONVENE_NAMESPACE: Uuid = Uuid::from_u128(0x6b1c_0d3e_52a4_4f0e_9a7b_4c11_8e2d_f5a0);

/// A stable id derived from a kind and a name: the same inputs always give the
/// same id. Used for deterministic demo data and for built-in records.
pub fn stable_id(kind: &str, name: &str) -> Uuid {
    Uuid::new_v5(&CONVENE_NAMESPACE, format!("{kind}:{name}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_repeat_and_differ_by_kind() {
        assert_eq!(
            stable_id("organisation", "A"),
            stable_id("organisation", "A")
        );
        assert_ne!(stable_id("organisation", "A"), stable_id("place", "A"));
        assert_eq!(stable_id("place", "A").get_version_num(), 5);
    }

    #[test]
    fn new_ids_are_version_7_and_distinct() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 7);
    }
}
