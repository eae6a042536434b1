//! Likely duplicate listings: the same name at the same postcode, or very
//! similar names at one organisation. Suggested to people, never merged by
//! themselves.

use uuid::Uuid;

use super::search::stems;

/// What duplicate detection needs of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
    pub postcodes: Vec<String>,
}

/// Why two listings look like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    SameNameAndPostcode,
    SimilarNameSameOrganisation,
}

/// How alike two names are: shared word stems over all stems (0 to 1).
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let mut a = stems(a);
    let mut b = stems(b);
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.iter().filter(|w| b.contains(w)).count() as f64;
    shared / (a.len() + b.len()) as f64 * 2.0
}

/// Pairs that look like the same service, each pair once.
pub fn likely_duplicates(listings: &[Listing]) -> Vec<(Uuid, Uuid, Reason)> {
    let mut pairs = Vec::new();
    for (i, a) in listings.iter().enumerate() {
        for b in &listings[i + 1..] {
            let same_name = a.name.trim().eq_ignore_ascii_case(b.name.trim());
            let shares_postcode = a.postcodes.iter().any(|p| b.postcodes.contains(p));
            if same_name && shares_postcode {
                pairs.push((a.id, b.id, Reason::SameNameAndPostcode));
            } else if a.organisation_id == b.organisation_id
                && name_similarity(&a.name, &b.name) >= 0.8
            {
                pairs.push((a.id, b.id, Reason::SimilarNameSameOrganisation));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(n: u128, name: &str, organisation: u128, postcode: &str) -> Listing {
        Listing {
            id: Uuid::from_u128(n),
            name: name.into(),
            organisation_id: Uuid::from_u128(organisation),
            postcodes: vec![postcode.into()],
        }
    }

    #[test]
    fn same_name_and_postcode_or_near_names_at_one_organisation() {
        let listings = [
            listing(1, "Food Pantry", 10, "BK4 3MH"),
            listing(2, "food pantry", 11, "BK4 3MH"),
            listing(3, "Stay and play", 12, "BK3 2EA"),
            listing(4, "Stay & Play sessions", 12, "BK5 1RA"),
            listing(5, "Stay and play", 13, "BK1 1AA"),
            listing(6, "Youth club", 12, "BK3 2EA"),
        ];
        let pairs = likely_duplicates(&listings);
        assert!(pairs.contains(&(
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Reason::SameNameAndPostcode
        )));
        assert!(
            pairs
                .iter()
                .all(|(a, b, _)| !(a.as_u128() == 3 && b.as_u128() == 5)),
            "same name elsewhere is not a duplicate"
        );
        assert!(
            !pairs
                .iter()
                .any(|(a, b, _)| a.as_u128() == 3 && b.as_u128() == 6)
        );
        assert_eq!(name_similarity("Stay and play", "Stay and play"), 1.0);
        assert!(name_similarity("Stay and play", "Stay & Play sessions") >= 0.5);
    }
}
