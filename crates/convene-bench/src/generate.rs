//! The national-scale directory: organisations, locations and services as
//! full ORUK 3.0 service documents (the nested form `parse_service`
//! accepts), the postcodes they use, and the queries the benchmark asks.
//! Everything comes from one seed, so a seed always gives the same files.

use std::collections::HashSet;

use convene_domain::directory::taxonomy::{NEEDS, TAXONOMY_NAME, need_id, taxonomy_id};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::geography::{Spot, TOWNS, TownPicker, postcode_in};
use crate::rng::Rng;
use crate::words::*;

/// How big a directory to make.
#[derive(Debug, Clone)]
pub struct Size {
    pub services: usize,
    pub locations: usize,
    pub organisations: usize,
    /// Postcodes the benchmark searches near (not used by any location).
    pub query_postcodes: usize,
    pub seed: u64,
}

#[derive(Debug)]
struct Organisation {
    id: Uuid,
    name: String,
    description: String,
    town: usize,
    /// Indexes into the locations, in order of creation.
    locations: Vec<usize>,
    /// How many services it has had so far (to spread them over its places).
    services: usize,
}

#[derive(Debug)]
struct Location {
    id: Uuid,
    /// The organisation whose place it is.
    owner: usize,
    name: String,
    street: String,
    spot: Spot,
    postcode: String,
}

/// A postcode row for `postcodes.csv` (ONSPD columns pcds, lat, long, lsoa21).
#[derive(Debug, Clone, PartialEq)]
pub struct PostcodeRow {
    pub postcode: String,
    pub latitude: f64,
    pub longitude: f64,
    pub lsoa: String,
}

/// Places and organisations, made before any service.
#[derive(Debug)]
pub struct Directory {
    size: Size,
    organisations: Vec<Organisation>,
    locations: Vec<Location>,
    query_postcodes: Vec<PostcodeRow>,
}

/// A neighbourhood name like "Ashfield" or "St Anne's Brook".
fn neighbourhood(rng: &mut Rng) -> String {
    if rng.chance(0.25) {
        let prefix = rng.pick(PLACE_PREFIXES);
        let suffix: &&str = rng.pick(PLACE_SUFFIXES);
        format!("{prefix} {}", capitalised(suffix))
    } else {
        format!("{}{}", rng.pick(PLACE_STEMS), rng.pick(PLACE_SUFFIXES))
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn lsoa_for(postcode: &str) -> String {
    // A stable made-up LSOA code per postcode district.
    let district = postcode.split(' ').next().unwrap_or(postcode);
    let number = district
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("E01{:06}", number % 1_000_000)
}

impl Directory {
    /// Makes the organisations, locations and query postcodes.
    pub fn new(size: Size) -> Directory {
        let picker = TownPicker::default();
        let mut rng = Rng::stream(size.seed, "organisations");
        let organisations: Vec<Organisation> = (0..size.organisations.max(1))
            .map(|_| {
                let town = picker.pick(&mut rng);
                let place = neighbourhood(&mut rng);
                let kind = rng.pick(ORGANISATION_KINDS);
                Organisation {
                    id: rng.uuid(),
                    name: format!("{place} {kind}"),
                    description: format!(
                        "{place} {kind} works with {} across {}.",
                        rng.pick(AUDIENCES),
                        TOWNS[town].0
                    ),
                    town,
                    locations: Vec::new(),
                    services: 0,
                }
            })
            .collect();
        let mut directory = Directory {
            size: size.clone(),
            organisations,
            locations: Vec::with_capacity(size.locations),
            query_postcodes: Vec::new(),
        };
        let mut used_postcodes = HashSet::new();
        let mut rng = Rng::stream(size.seed, "locations");
        for index in 0..size.locations.max(1) {
            // Every organisation gets a first place, then places go to
            // organisations at random.
            let owner = if index < directory.organisations.len() {
                index
            } else {
                rng.below(directory.organisations.len())
            };
            let town = directory.organisations[owner].town;
            let spot = picker.spot_in(town, &mut rng);
            let postcode = unique_postcode(town, &mut rng, &mut used_postcodes);
            let venue = format!("{} {}", neighbourhood(&mut rng), rng.pick(VENUES));
            let street = format!(
                "{} {} {}",
                1 + rng.below(240),
                neighbourhood(&mut rng),
                rng.pick(STREET_KINDS)
            );
            directory.locations.push(Location {
                id: rng.uuid(),
                owner,
                name: venue,
                street,
                spot,
                postcode,
            });
            directory.organisations[owner].locations.push(index);
        }
        let mut rng = Rng::stream(size.seed, "query postcodes");
        for _ in 0..size.query_postcodes {
            let town = picker.pick(&mut rng);
            let spot = picker.spot_in(town, &mut rng);
            let postcode = unique_postcode(town, &mut rng, &mut used_postcodes);
            directory.query_postcodes.push(PostcodeRow {
                lsoa: lsoa_for(&postcode),
                postcode,
                latitude: spot.latitude,
                longitude: spot.longitude,
            });
        }
        directory
    }

    /// Every postcode used: the locations', then the query postcodes.
    pub fn postcodes(&self) -> Vec<PostcodeRow> {
        self.locations
            .iter()
            .map(|l| PostcodeRow {
                postcode: l.postcode.clone(),
                latitude: l.spot.latitude,
                longitude: l.spot.longitude,
                lsoa: lsoa_for(&l.postcode),
            })
            .chain(self.query_postcodes.iter().cloned())
            .collect()
    }

    pub fn query_postcodes(&self) -> &[PostcodeRow] {
        &self.query_postcodes
    }

    /// Hands each service document to `write`, in order.
    pub fn services<E>(&mut self, mut write: impl FnMut(Value) -> Result<(), E>) -> Result<(), E> {
        let mut rng = Rng::stream(self.size.seed, "services");
        for index in 0..self.size.services {
            // The first services go one to each place (and so to every
            // organisation, as each has a place), so none is left without;
            // the rest go to organisations at random.
            let (owner, first) = match self.locations.get(index) {
                Some(location) => (location.owner, Some(index)),
                None => (rng.below(self.organisations.len()), None),
            };
            write(self.service(owner, first, &mut rng))?;
        }
        Ok(())
    }

    fn service(&mut self, owner: usize, first: Option<usize>, rng: &mut Rng) -> Value {
        let need_index = rng.below(NEED_WORDS.len());
        let words = &NEED_WORDS[need_index];
        let kind = *rng.pick(words.kinds);
        let organisation = &mut self.organisations[owner];
        // Services spread over their organisation's places in turn.
        let first = first.unwrap_or_else(|| {
            organisation.locations[organisation.services % organisation.locations.len()]
        });
        organisation.services += 1;
        let mut places = vec![first];
        if organisation.locations.len() > 1 && rng.chance(0.15) {
            let second = *rng.pick(&organisation.locations);
            if second != first {
                places.push(second);
            }
        }
        let organisation = &self.organisations[owner];
        let town = TOWNS[organisation.town].0;
        let local = &self.locations[first].name;
        let name = match rng.below(3) {
            0 => format!("{kind} at {local}"),
            1 => format!("{} {kind}", organisation.name),
            _ => format!("{} {kind}", local.split(' ').next().unwrap_or(town)),
        };
        let description = format!(
            "{kind} for {} in {town}. {} {} {}",
            rng.pick(AUDIENCES),
            rng.pick(words.activities),
            rng.pick(words.activities),
            rng.pick(ACCESS)
        );
        let mut needs = vec![need_index];
        if rng.chance(0.3) {
            let other = rng.below(NEED_WORDS.len());
            if other != need_index {
                needs.push(other);
            }
        }
        let id = rng.uuid();
        let mut document = json!({
            "id": id,
            "name": name,
            "description": description,
            "status": "active",
            "email": format!("hello{}@example.org", rng.below(10_000)),
            "url": format!("https://example.org/services/{id}"),
            "organization_id": organisation.id,
            "organization": {
                "id": organisation.id,
                "name": organisation.name,
                "description": organisation.description,
                "website": format!("https://example.org/organisations/{}", organisation.id),
            },
            "cost_options": [cost_option(rng)],
            "languages": languages(rng),
            "schedules": [schedule(rng)],
            "service_at_locations": places
                .iter()
                .map(|place| self.service_at_location(*place, rng))
                .collect::<Vec<_>>(),
            "attributes": needs.iter().map(|need| attribute(*need, rng)).collect::<Vec<_>>(),
            "last_modified": format!(
                "2026-{:02}-{:02}T{:02}:{:02}:00Z",
                1 + rng.below(10),
                1 + rng.below(28),
                rng.below(24),
                rng.below(60)
            ),
        });
        if !words.ages.is_empty() {
            let (min, max) = *rng.pick(words.ages);
            document["minimum_age"] = json!(min);
            document["maximum_age"] = json!(max);
        }
        document
    }

    fn service_at_location(&self, place: usize, rng: &mut Rng) -> Value {
        let location = &self.locations[place];
        json!({
            "id": rng.uuid(),
            "location": {
                "id": location.id,
                "location_type": "physical",
                "name": location.name,
                "latitude": location.spot.latitude,
                "longitude": location.spot.longitude,
                "addresses": [{
                    "id": rng.uuid(),
                    "address_1": location.street,
                    "city": TOWNS[location.spot.town].0,
                    "state_province": "England",
                    "postal_code": location.postcode,
                    "country": "GB",
                    "address_type": "physical",
                }],
            },
        })
    }
}

fn unique_postcode(town: usize, rng: &mut Rng, used: &mut HashSet<String>) -> String {
    loop {
        let code = postcode_in(town, rng);
        if used.insert(code.clone()) {
            return code;
        }
    }
}

fn cost_option(rng: &mut Rng) -> Value {
    if rng.chance(0.65) {
        json!({ "id": rng.uuid(), "option": "Free", "amount": 0 })
    } else {
        let pence = 50 * (1 + rng.below(20));
        json!({
            "id": rng.uuid(),
            "option": "Per session",
            "amount": pence as f64 / 100.0,
            "amount_description": "per session; ask about help with costs",
        })
    }
}

fn languages(rng: &mut Rng) -> Vec<Value> {
    let mut list = vec![json!({ "id": rng.uuid(), "name": "English", "code": "en" })];
    if rng.chance(0.2) {
        let (name, code) = *rng.pick(LANGUAGES);
        list.push(json!({ "id": rng.uuid(), "name": name, "code": code }));
    }
    list
}

fn schedule(rng: &mut Rng) -> Value {
    let first = rng.below(5);
    let days = if rng.chance(0.4) {
        DAYS[first..5].join(",")
    } else {
        DAYS[first].to_string()
    };
    let opens = 8 + rng.below(10);
    let closes = (opens + 1 + rng.below(4)).min(22);
    json!({
        "id": rng.uuid(),
        "freq": "WEEKLY",
        "byday": days,
        "opens_at": format!("{opens:02}:00:00"),
        "closes_at": format!("{closes:02}:00:00"),
        "attending_type": rng.pick(ATTENDING),
        "description": "Term time and school holidays, except bank holidays.",
    })
}

fn attribute(need: usize, rng: &mut Rng) -> Value {
    let code = NEED_WORDS[need].code;
    let (name, description) = NEEDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, description)| (*name, *description))
        .unwrap_or((code, ""));
    json!({
        "id": rng.uuid(),
        "link_type": "service",
        "taxonomy_term_id": need_id(code),
        "taxonomy_term": {
            "id": need_id(code),
            "name": name,
            "description": description,
            "taxonomy": TAXONOMY_NAME,
            "taxonomy_id": taxonomy_id(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_domain::directory::parse_service;

    fn small(seed: u64) -> Size {
        Size {
            services: 600,
            locations: 240,
            organisations: 40,
            query_postcodes: 20,
            seed,
        }
    }

    fn documents(size: Size) -> Vec<Value> {
        let mut directory = Directory::new(size);
        let mut all = Vec::new();
        directory
            .services(|doc| {
                all.push(doc);
                Ok::<(), ()>(())
            })
            .unwrap();
        all
    }

    #[test]
    fn every_generated_service_passes_parse_service() {
        for doc in documents(small(11)) {
            let record = parse_service(&doc).unwrap_or_else(|e| panic!("{e}"));
            assert!(record.warnings.is_empty(), "{:?}", record.warnings);
            assert!(!record.locations.is_empty());
            for place in &record.locations {
                assert!(place.coordinates.is_some() && place.postcode.is_some());
            }
            assert!(!record.terms.is_empty());
            assert!(
                record
                    .terms
                    .iter()
                    .all(|t| NEEDS.iter().any(|(code, _, _)| need_id(code) == t.id)),
                "every term is one of the built-in needs"
            );
        }
    }

    #[test]
    fn a_seed_gives_the_same_directory_and_another_seed_a_different_one() {
        assert_eq!(documents(small(5)), documents(small(5)));
        assert_ne!(documents(small(5)), documents(small(6)));
    }

    #[test]
    fn every_location_and_organisation_is_used_and_every_postcode_is_listed() {
        let size = small(2);
        let directory = Directory::new(size.clone());
        let listed: HashSet<String> = directory
            .postcodes()
            .into_iter()
            .map(|p| p.postcode)
            .collect();
        assert_eq!(listed.len(), size.locations + size.query_postcodes);
        let docs = documents(size.clone());
        let mut locations = HashSet::new();
        let mut organisations = HashSet::new();
        let mut free = 0;
        for doc in &docs {
            let record = parse_service(doc).unwrap();
            organisations.insert(record.organisation_id);
            free += usize::from(record.is_free);
            for place in record.locations {
                locations.insert(place.location_id);
                assert!(listed.contains(place.postcode.unwrap().as_str()));
            }
        }
        assert_eq!(organisations.len(), size.organisations);
        assert_eq!(locations.len(), size.locations);
        assert!(
            free > 0 && free < docs.len(),
            "some services are free, some not"
        );
    }
}
