//! Finding support: the rules every search answers by. Words match with
//! English stemming (so "parenting" finds "parent") and common words like
//! "for" or "near" are ignored; every filter given must match (AND); results
//! are ranked by how well the words match, then nearest, then by name.
//!
//! `convene-search` answers from an in-process index; the filters it
//! applies are [`SearchQuery::admits`], and [`search`] here is the plain
//! reference it is tested against.

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc, Weekday};
use rust_stemmers::{Algorithm, Stemmer};
use uuid::Uuid;

use super::areas::Area;
use super::schedules::{WeeklyOpening, is_open_at};

/// One service as search sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub organisation_id: Uuid,
    pub is_free: bool,
    pub minimum_age: Option<u16>,
    pub maximum_age: Option<u16>,
    /// (latitude, longitude) of each place it is delivered.
    pub places: Vec<(f64, f64)>,
    pub term_ids: Vec<Uuid>,
    /// The taxonomies its terms belong to.
    pub taxonomy_ids: Vec<Uuid>,
    pub openings: Vec<WeeklyOpening>,
    /// in_person, online, phone (empty when nobody has said).
    pub delivery_modes: Vec<String>,
    pub languages: Vec<String>,
    pub last_modified: DateTime<Utc>,
    /// The areas it says it serves; empty when it does not say.
    pub areas: Vec<Area>,
}

/// What someone is looking for. Every part given must match (AND).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    pub words: String,
    /// Any of these needs (a service tagged with one of them matches).
    pub needs: Vec<Uuid>,
    /// Tagged with this term (ORUK `taxonomy_term_id`).
    pub term_id: Option<Uuid>,
    /// Tagged with some term of this taxonomy (ORUK `taxonomy_id`).
    pub taxonomy_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    /// Changed on or after this instant (ORUK `modified_after`).
    pub modified_after: Option<DateTime<Utc>>,
    /// For someone of this age (inclusive at both ends of a service's range).
    pub age: Option<u16>,
    /// The service's age range overlaps [from, to] (ORUK `minimum_age`,
    /// `maximum_age`); a service without a limit is open on that side.
    pub ages_from: Option<u16>,
    pub ages_to: Option<u16>,
    pub free_only: bool,
    /// Where the person is, and how far they will go.
    pub near: Option<(f64, f64)>,
    pub radius_miles: Option<f64>,
    /// Serves this point: a service that names its areas must cover it.
    pub covering: Option<(f64, f64)>,
    /// Open at this local (Europe/London) time.
    pub open_at: Option<NaiveDateTime>,
    /// Has an opening on this day, starting at or after `starts_from` and
    /// ending by `ends_by` (one opening must meet all that are given).
    pub day: Option<Weekday>,
    pub starts_from: Option<NaiveTime>,
    pub ends_by: Option<NaiveTime>,
    /// Delivered this way.
    pub delivery: Option<String>,
    /// Offered in this language (any case).
    pub language: Option<String>,
}

/// Miles in one degree of latitude (and at most in one of longitude).
const MILES_PER_DEGREE: f64 = 69.2;

impl SearchQuery {
    fn times_match(&self, openings: &[WeeklyOpening]) -> bool {
        if self.open_at.is_some_and(|at| !is_open_at(openings, at)) {
            return false;
        }
        if self.day.is_none() && self.starts_from.is_none() && self.ends_by.is_none() {
            return true;
        }
        openings.iter().any(|o| {
            self.day.is_none_or(|d| o.days.contains(&d))
                && self.starts_from.is_none_or(|t| o.opens >= t)
                // An opening past midnight ends the next day: never "by" a time today.
                && self.ends_by.is_none_or(|t| o.closes > o.opens && o.closes <= t)
        })
    }

    /// Whether the service carries one of the needs asked for.
    pub fn wants_needs_of(&self, c: &Candidate) -> bool {
        self.needs.is_empty() || c.term_ids.iter().any(|t| self.needs.contains(t))
    }

    /// Whether the service passes every filter except words and needs, and
    /// if so how far its nearest place is (when a place was given).
    /// `None` means it does not match.
    pub fn admits(&self, c: &Candidate) -> Option<Option<f64>> {
        if (self.free_only && !c.is_free)
            || self.organisation_id.is_some_and(|o| o != c.organisation_id)
            || self.term_id.is_some_and(|t| !c.term_ids.contains(&t))
            || self
                .taxonomy_id
                .is_some_and(|t| !c.taxonomy_ids.contains(&t))
            || self.modified_after.is_some_and(|at| c.last_modified < at)
        {
            return None;
        }
        if let Some(age) = self.age
            && (c.minimum_age.is_some_and(|min| age < min)
                || c.maximum_age.is_some_and(|max| age > max))
        {
            return None;
        }
        if self
            .ages_from
            .is_some_and(|from| c.maximum_age.is_some_and(|max| max < from))
            || self
                .ages_to
                .is_some_and(|to| c.minimum_age.is_some_and(|min| min > to))
        {
            return None;
        }
        if self
            .delivery
            .as_ref()
            .is_some_and(|d| !c.delivery_modes.contains(d))
        {
            return None;
        }
        if self.language.as_ref().is_some_and(|wanted| {
            !c.languages
                .iter()
                .any(|l| l.eq_ignore_ascii_case(wanted.trim()))
        }) {
            return None;
        }
        if let Some(point) = self.covering
            && !c.areas.is_empty()
            && !c.areas.iter().any(|area| area.covers(point))
        {
            return None;
        }
        if !self.times_match(&c.openings) {
            return None;
        }
        let Some(here) = self.near else {
            return Some(None);
        };
        let distance = match self.radius_miles {
            // Places clearly too far north or south are not measured.
            Some(radius) => c
                .places
                .iter()
                .filter(|p| (p.0 - here.0).abs() * MILES_PER_DEGREE <= radius + 1.0)
                .map(|p| distance_miles(here, *p))
                .min_by(f64::total_cmp)
                .filter(|d| *d <= radius),
            None => c
                .places
                .iter()
                .map(|p| distance_miles(here, *p))
                .min_by(f64::total_cmp),
        };
        if self.radius_miles.is_some() && distance.is_none() {
            return None;
        }
        Some(distance)
    }
}

/// A match: how well, and how far away its nearest place is.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: Uuid,
    /// Higher is better; 0 when no words were given.
    pub score: f32,
    pub distance_miles: Option<f64>,
}

/// Words too common to say what someone needs; ignored in text and queries.
pub const STOP_WORDS: [&str; 40] = [
    "a", "an", "and", "any", "are", "as", "at", "be", "by", "can", "do", "for", "from", "get",
    "have", "help", "i", "in", "is", "it", "me", "my", "near", "of", "on", "or", "our", "so",
    "support", "that", "the", "their", "there", "this", "to", "us", "we", "with", "you", "your",
];

/// Word stems of `text`, lower-cased, without stop words.
pub fn stems(text: &str) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stemmer.stem(&w).into_owned())
        .collect()
}

/// Great-circle distance in miles.
pub fn distance_miles(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_MILES: f64 = 3958.8;
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_MILES * h.sqrt().asin()
}

/// The order of results: best words first, then nearest, then by name
/// (and id, so the order is total).
pub fn rank_order(a: (&Hit, &str), b: (&Hit, &str)) -> std::cmp::Ordering {
    score_order(a.0, b.0)
        // Lazily: most comparisons are settled by the score, and comparing
        // names for every one of them was most of a broad search's time.
        .then_with(|| a.1.cmp(b.1))
        .then_with(|| a.0.id.cmp(&b.0.id))
}

/// The first part of [`rank_order`]: best words first, then nearest. Cheap,
/// so a search can narrow its candidates with it before comparing names.
pub fn score_order(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then_with(|| {
        a.distance_miles
            .unwrap_or(f64::MAX)
            .total_cmp(&b.distance_miles.unwrap_or(f64::MAX))
    })
}

/// The reference search over a list of services: what matches, best first.
/// Words score by how often each appears, the name counting three times the
/// description; every word must appear.
pub fn search(candidates: &[Candidate], query: &SearchQuery) -> Vec<Hit> {
    let wanted = stems(&query.words);
    let mut hits: Vec<(Hit, &str)> = candidates
        .iter()
        .filter(|c| query.wants_needs_of(c))
        .filter_map(|c| {
            let distance = query.admits(c)?;
            let name = stems(&c.name);
            let description = stems(c.description.as_deref().unwrap_or(""));
            let mut score = 0;
            for word in &wanted {
                let in_name = name.iter().filter(|w| *w == word).count() as u32;
                let in_description = description.iter().filter(|w| *w == word).count() as u32;
                if in_name + in_description == 0 {
                    return None;
                }
                score += 3 * in_name + in_description;
            }
            Some((
                Hit {
                    id: c.id,
                    score: score as f32,
                    distance_miles: distance,
                },
                c.name.as_str(),
            ))
        })
        .collect();
    hits.sort_by(|(a, an), (b, bn)| rank_order((a, an), (b, bn)));
    hits.into_iter().map(|(hit, _)| hit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(
        n: u128,
        name: &str,
        description: &str,
        ages: (Option<u16>, Option<u16>),
        place: (f64, f64),
        free: bool,
    ) -> Candidate {
        Candidate {
            id: Uuid::from_u128(n),
            name: name.into(),
            description: Some(description.into()),
            organisation_id: Uuid::nil(),
            is_free: free,
            minimum_age: ages.0,
            maximum_age: ages.1,
            places: vec![place],
            term_ids: vec![Uuid::from_u128(100 + n % 2)],
            delivery_modes: if n == 2 {
                vec!["online".into()]
            } else {
                vec!["in_person".into()]
            },
            languages: if n == 3 {
                vec!["Polish".into(), "English".into()]
            } else {
                vec!["English".into()]
            },
            taxonomy_ids: vec![Uuid::from_u128(200)],
            last_modified: chrono::DateTime::from_timestamp(1_700_000_000 + n as i64 * 86_400, 0)
                .unwrap(),
            areas: Vec::new(),
            openings: super::super::schedules::openings(
                &serde_json::json!({"schedules": [{"byday": if n == 2 { "FR" } else { "MO,TU" }, "opens_at": if n == 2 { "18:00" } else { "09:00" }, "closes_at": if n == 2 { "21:00" } else { "12:00" }}]}),
            ),
        }
    }

    fn all() -> Vec<Candidate> {
        vec![
            candidate(
                1,
                "Parenting course",
                "For parents of toddlers",
                (Some(0), Some(5)),
                (53.10, -1.80),
                true,
            ),
            candidate(
                2,
                "Youth club",
                "Sport and music for teenagers",
                (Some(11), Some(19)),
                (53.20, -1.80),
                false,
            ),
            candidate(
                3,
                "Parent coffee morning",
                "Meet other parents",
                (None, None),
                (53.11, -1.80),
                true,
            ),
        ]
    }

    fn ids(hits: &[Hit]) -> Vec<u128> {
        hits.iter().map(|h| h.id.as_u128()).collect()
    }

    #[test]
    fn stemming_finds_related_words_and_ranks_names_first() {
        // Both have "parent" once in the name and once in the description:
        // equal scores, so by name.
        let hits = search(
            &all(),
            &SearchQuery {
                words: "parenting".into(),
                ..Default::default()
            },
        );
        assert_eq!(ids(&hits), [3, 1]);
        assert_eq!(hits[0].score, 4.0);
        let hits = search(
            &all(),
            &SearchQuery {
                words: "toddlers".into(),
                ..Default::default()
            },
        );
        assert_eq!(ids(&hits), [1]);
        assert!(
            search(
                &all(),
                &SearchQuery {
                    words: "parent music".into(),
                    ..Default::default()
                }
            )
            .is_empty(),
            "all words must match"
        );
    }

    #[test]
    fn age_edges_are_inclusive() {
        let at = |age| {
            ids(&search(
                &all(),
                &SearchQuery {
                    age: Some(age),
                    ..Default::default()
                },
            ))
        };
        assert_eq!(at(5), [3, 1]);
        assert_eq!(at(6), [3]);
        assert_eq!(at(11), [3, 2]);
        assert_eq!(at(19), [3, 2]);
        assert_eq!(at(20), [3]);
    }

    #[test]
    fn radius_edges_and_nearest_first() {
        let here = (53.10, -1.80);
        let to_three = distance_miles(here, (53.11, -1.80));
        let near = |radius| {
            ids(&search(
                &all(),
                &SearchQuery {
                    near: Some(here),
                    radius_miles: Some(radius),
                    ..Default::default()
                },
            ))
        };
        assert_eq!(
            near(to_three),
            [1, 3],
            "a place exactly at the radius is inside it"
        );
        assert_eq!(near(to_three - 0.001), [1]);
        let everything = search(
            &all(),
            &SearchQuery {
                near: Some(here),
                ..Default::default()
            },
        );
        assert_eq!(ids(&everything), [1, 3, 2]);
        assert!(everything[0].distance_miles.unwrap() < 0.001);
        // One degree of latitude is about 69 miles.
        assert!((distance_miles((53.0, -1.8), (54.0, -1.8)) - 69.1).abs() < 0.2);
    }

    #[test]
    fn opening_times_filter() {
        let monday = |h, m| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
                .unwrap()
                .and_hms_opt(h, m, 0)
                .unwrap()
        };
        let at = |q: SearchQuery| ids(&search(&all(), &q));
        assert_eq!(
            at(SearchQuery {
                open_at: Some(monday(10, 0)),
                ..Default::default()
            }),
            [3, 1]
        );
        assert_eq!(
            at(SearchQuery {
                open_at: Some(monday(19, 0)),
                ..Default::default()
            }),
            Vec::<u128>::new()
        );
        assert_eq!(
            at(SearchQuery {
                day: Some(Weekday::Fri),
                ..Default::default()
            }),
            [2]
        );
        let evening = NaiveTime::from_hms_opt(17, 0, 0);
        assert_eq!(
            at(SearchQuery {
                starts_from: evening,
                ..Default::default()
            }),
            [2]
        );
        assert_eq!(
            at(SearchQuery {
                ends_by: NaiveTime::from_hms_opt(12, 0, 0),
                ..Default::default()
            }),
            [3, 1],
            "closing exactly at the limit counts"
        );
        assert_eq!(
            at(SearchQuery {
                day: Some(Weekday::Mon),
                starts_from: evening,
                ..Default::default()
            }),
            Vec::<u128>::new(),
            "one opening must meet both"
        );
    }

    #[test]
    fn delivery_and_language() {
        let at = |q: SearchQuery| ids(&search(&all(), &q));
        assert_eq!(
            at(SearchQuery {
                delivery: Some("online".into()),
                ..Default::default()
            }),
            [2]
        );
        assert_eq!(
            at(SearchQuery {
                language: Some("polish".into()),
                ..Default::default()
            }),
            [3]
        );
        assert_eq!(
            at(SearchQuery {
                language: Some("Welsh".into()),
                ..Default::default()
            }),
            Vec::<u128>::new()
        );
    }

    #[test]
    fn free_only_and_needs_combine() {
        let q = SearchQuery {
            free_only: true,
            needs: vec![Uuid::from_u128(101)],
            ..Default::default()
        };
        assert_eq!(ids(&search(&all(), &q)), [3, 1]);
        let q = SearchQuery {
            needs: vec![Uuid::from_u128(100), Uuid::from_u128(101)],
            age: Some(11),
            ..Default::default()
        };
        assert_eq!(ids(&search(&all(), &q)), [3, 2], "any need, and the age");
    }

    #[test]
    fn oruk_filters_combine() {
        let at = |q: SearchQuery| ids(&search(&all(), &q));
        assert_eq!(
            at(SearchQuery {
                term_id: Some(Uuid::from_u128(100)),
                ..Default::default()
            }),
            [2]
        );
        assert!(
            at(SearchQuery {
                taxonomy_id: Some(Uuid::from_u128(201)),
                ..Default::default()
            })
            .is_empty()
        );
        assert_eq!(
            at(SearchQuery {
                taxonomy_id: Some(Uuid::from_u128(200)),
                organisation_id: Some(Uuid::nil()),
                ..Default::default()
            }),
            [3, 1, 2]
        );
        assert_eq!(
            at(SearchQuery {
                modified_after: chrono::DateTime::from_timestamp(1_700_000_000 + 2 * 86_400, 0),
                ..Default::default()
            }),
            [3, 2],
            "on or after"
        );
        // Overlap of [6, 10] with 0-5, 11-19 and no limits.
        assert_eq!(
            at(SearchQuery {
                ages_from: Some(6),
                ages_to: Some(10),
                ..Default::default()
            }),
            [3]
        );
        assert_eq!(
            at(SearchQuery {
                ages_from: Some(5),
                ages_to: Some(11),
                ..Default::default()
            }),
            [3, 1, 2],
            "touching ends overlap"
        );
    }

    #[test]
    fn stop_words_are_ignored() {
        assert_eq!(stems("Help for parents near me"), ["parent"]);
        let hits = search(
            &all(),
            &SearchQuery {
                words: "groups for parents".into(),
                ..Default::default()
            },
        );
        assert!(hits.is_empty(), "\"group\" is not a stop word");
        let hits = search(
            &all(),
            &SearchQuery {
                words: "support for parents".into(),
                ..Default::default()
            },
        );
        assert_eq!(ids(&hits), [3, 1]);
    }

    #[test]
    fn a_service_naming_its_area_must_cover_the_point() {
        let mut services = all();
        services[0].areas = super::super::areas::areas(&serde_json::json!({"service_areas": [{
            "id": "a", "name": "North", "extent_type": "geojson",
            "extent": {"type": "Polygon", "coordinates": [[[-2.0, 53.15], [-1.6, 53.15], [-1.6, 53.3], [-2.0, 53.15]]]}
        }]}));
        assert_eq!(services[0].areas.len(), 1);
        let from = |point| {
            ids(&search(
                &services,
                &SearchQuery {
                    covering: Some(point),
                    ..Default::default()
                },
            ))
        };
        assert_eq!(from((53.10, -1.80)), [3, 2], "outside service 1's area");
        assert_eq!(from((53.25, -1.61)), [3, 1, 2]);
    }
}
