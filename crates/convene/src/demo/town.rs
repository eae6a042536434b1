//! Brackenbury: a fictional town in England, its neighbourhoods and the
//! organisations of its partnership. Phone numbers are in Ofcom's range for
//! drama (01632 960xxx) and addresses use `.example` domains, so nothing here
//! reaches a real person.

use chrono::{DateTime, TimeZone, Utc};
use convene_domain::identity::Role;
use convene_domain::ids::stable_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationInput};
use convene_domain::places::{PlaceDetails, PlaceInput};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const NAME: &str = "Brackenbury Partnership";

pub const SUMMARY: &str = "The Brackenbury Partnership brings the town's schools, community hubs, NHS, council and voluntary organisations together so that every child and family in Eastfield, Millbrook, Northgate, Old Town and Riverside can find support and get it. This is demonstration data about a fictional town.";

/// The fixed moment the demo data claims to have been written.
pub fn seeded_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

/// (name, kind, email local part and domain, phone suffix, address)
const ORGANISATIONS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Brackenbury Learning Trust",
        "trust",
        "office@brackenbury-trust.example",
        "960 000",
        "Trust Office, 4 Station Road, Brackenbury BK1 1AA",
    ),
    (
        "Northgate Primary School",
        "school",
        "office@northgate-primary.example",
        "960 011",
        "Northgate Lane, Brackenbury BK2 4NP",
    ),
    (
        "Eastfield Primary Academy",
        "school",
        "admin@eastfield-academy.example",
        "960 012",
        "Eastfield Road, Brackenbury BK3 2EA",
    ),
    (
        "Millbrook Nursery and Infant School",
        "school",
        "office@millbrook-infants.example",
        "960 013",
        "Mill Street, Brackenbury BK4 3MB",
    ),
    (
        "St Aidan's Church of England Primary School",
        "school",
        "office@st-aidans.example",
        "960 014",
        "Church Walk, Brackenbury BK1 2SA",
    ),
    (
        "Riverside Academy",
        "school",
        "reception@riverside-academy.example",
        "960 015",
        "Quay Road, Brackenbury BK5 1RA",
    ),
    (
        "Brackenbury Sixth Form College",
        "school",
        "enquiries@brackenbury-sixth.example",
        "960 016",
        "College Way, Brackenbury BK1 3SF",
    ),
    (
        "Eastfield Community Hub",
        "hub",
        "hello@eastfield-hub.example",
        "960 021",
        "Eastfield Primary Academy, Eastfield Road, Brackenbury BK3 2EA",
    ),
    (
        "Riverside Family Hub",
        "hub",
        "hello@riverside-hub.example",
        "960 022",
        "Riverside Academy, Quay Road, Brackenbury BK5 1RA",
    ),
    (
        "Brackenbury Community Health NHS Trust",
        "nhs_trust",
        "contact@bch-nhs.example",
        "960 031",
        "Health Centre, Market Square, Brackenbury BK1 1HC",
    ),
    (
        "Brackenbury Hospitals NHS Foundation Trust",
        "nhs_trust",
        "patient.advice@bh-nhs.example",
        "960 032",
        "Brackenbury General Hospital, Hospital Lane, Brackenbury BK6 2GH",
    ),
    (
        "Brackenbury Council Early Help",
        "council_service",
        "earlyhelp@brackenbury-council.example",
        "960 041",
        "Town Hall, Market Square, Brackenbury BK1 1TH",
    ),
    (
        "Brackenbury Council Housing Options",
        "council_service",
        "housing@brackenbury-council.example",
        "960 042",
        "Town Hall, Market Square, Brackenbury BK1 1TH",
    ),
    (
        "Brackenbury Council Youth Service",
        "council_service",
        "youth@brackenbury-council.example",
        "960 043",
        "Old Town Youth Centre, Bridge Street, Brackenbury BK1 4YC",
    ),
    (
        "Millbrook Food Pantry",
        "voluntary_organisation",
        "volunteer@millbrook-pantry.example",
        "960 051",
        "Millbrook Methodist Hall, Mill Street, Brackenbury BK4 3MH",
    ),
    (
        "Brackenbury Money and Debt Advice",
        "voluntary_organisation",
        "advice@bk-money-advice.example",
        "960 052",
        "12 High Street, Brackenbury BK1 1HS",
    ),
    (
        "Riverside Youth Mentoring",
        "voluntary_organisation",
        "mentors@riverside-mentoring.example",
        "960 053",
        "Quay Road, Brackenbury BK5 1QM",
    ),
    (
        "Parents Together Brackenbury",
        "voluntary_organisation",
        "parents@parents-together-bk.example",
        "960 054",
        "Eastfield Community Hub, Eastfield Road, Brackenbury BK3 2EA",
    ),
    (
        "Northgate Warm Spaces Network",
        "voluntary_organisation",
        "warm@northgate-warm.example",
        "960 055",
        "St Aidan's Church Hall, Church Walk, Brackenbury BK1 2SA",
    ),
    (
        "Brackenbury Police Neighbourhood Team",
        "other",
        "neighbourhood@bk-police.example",
        "960 061",
        "Police Station, Bridge Street, Brackenbury BK1 4PS",
    ),
    (
        "University of Brackenbury Civic Partnership",
        "other",
        "civic@brackenbury-university.example",
        "960 071",
        "University Campus, Brackenbury BK7 1UB",
    ),
];

const PLACES: &[(&str, &str)] = &[
    (
        "Eastfield",
        "A 1960s housing estate east of the river, among the 10% most deprived neighbourhoods in England; home to Eastfield Primary Academy and the community hub.",
    ),
    (
        "Millbrook",
        "Terraced streets around the old mill, with many young families and a growing number of children who speak English as an additional language.",
    ),
    (
        "Northgate",
        "The north of the town, mixed private and social housing, where the partnership's warm spaces began.",
    ),
    (
        "Old Town",
        "The town centre and market square, with the council offices, the health centre and the youth centre.",
    ),
    (
        "Riverside",
        "New homes and older flats along the quay, served by Riverside Academy and its family hub.",
    ),
];

/// The demo organisations with stable ids, checked by the domain's rules.
pub fn organisations() -> Vec<(Uuid, OrganisationDetails)> {
    ORGANISATIONS
        .iter()
        .filter_map(|(name, kind, email, phone, address)| {
            let input = OrganisationInput {
                name: (*name).to_string(),
                kind: (*kind).to_string(),
                email: Some((*email).to_string()),
                phone: Some(format!("01632 {phone}")),
                website: None,
                address: Some((*address).to_string()),
            };
            // Demo data is fixed text: a record the rules refuse is a bug the
            // determinism test catches by the count.
            input
                .validate()
                .ok()
                .map(|details| (stable_id("organisation", name), details))
        })
        .collect()
}

pub fn places() -> Vec<(Uuid, PlaceDetails)> {
    PLACES
        .iter()
        .filter_map(|(name, description)| {
            let input = PlaceInput {
                name: (*name).to_string(),
                description: Some((*description).to_string()),
            };
            input
                .validate()
                .ok()
                .map(|details| (stable_id("place", name), details))
        })
        .collect()
}

/// The one password of every demo account.
pub const DEMO_PASSWORD: &str = "brackenbury demo kettle orbit";

/// (email, name, organisation, role): one account per role, plus a receiving
/// practitioner and safeguarding lead at the NHS trust for referrals.
pub const ACCOUNTS: &[(&str, &str, &str, Role)] = &[
    (
        "admin@brackenbury.example",
        "Priya Shah",
        "Brackenbury Learning Trust",
        Role::PlatformAdmin,
    ),
    (
        "coordinator@brackenbury.example",
        "Tom Okafor",
        "Brackenbury Learning Trust",
        Role::Coordinator,
    ),
    (
        "office@northgate-primary.example",
        "Helen Price",
        "Northgate Primary School",
        Role::OrganisationAdmin,
    ),
    (
        "family.support@northgate-primary.example",
        "Amina Khan",
        "Northgate Primary School",
        Role::Practitioner,
    ),
    (
        "dsl@northgate-primary.example",
        "Gareth Lewis",
        "Northgate Primary School",
        Role::SafeguardingLead,
    ),
    (
        "camhs@bch-nhs.example",
        "Dr Ruth Adeyemi",
        "Brackenbury Community Health NHS Trust",
        Role::Practitioner,
    ),
    (
        "safeguarding@bch-nhs.example",
        "Sam Whitfield",
        "Brackenbury Community Health NHS Trust",
        Role::SafeguardingLead,
    ),
    (
        "volunteer@millbrook-pantry.example",
        "Joan Barker",
        "Millbrook Food Pantry",
        Role::Volunteer,
    ),
    (
        "analyst@brackenbury-university.example",
        "Dr Wei Chen",
        "University of Brackenbury Civic Partnership",
        Role::Analyst,
    ),
    (
        "board@brackenbury-trust.example",
        "Margaret Doyle",
        "Brackenbury Learning Trust",
        Role::Viewer,
    ),
];

/// A demo account's second-factor secret, derived from its email so the
/// demo is the same every time (and useless anywhere else).
pub fn totp_secret(email: &str) -> Vec<u8> {
    Sha256::digest(format!("convene-demo-totp:{email}").as_bytes())[..20].to_vec()
}

/// A demo account's password salt, derived the same way.
pub fn password_salt(email: &str) -> [u8; 16] {
    let digest = Sha256::digest(format!("convene-demo-salt:{email}").as_bytes());
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&digest[..16]);
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_record_passes_the_rules() {
        assert_eq!(organisations().len(), ORGANISATIONS.len());
        assert_eq!(places().len(), PLACES.len());
    }
}
