//! Finding support: matching words (with English stemming, so "parenting"
//! finds "parent"), needs, age, cost and distance, and ranking what matches.

use chrono::{NaiveDateTime, NaiveTime, Weekday};
use rust_stemmers::{Algorithm, Stemmer};
use uuid::Uuid;

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
    pub openings: Vec<WeeklyOpening>,
    /// in_person, online, phone (empty when nobody has said).
    pub delivery_modes: Vec<String>,
    pub languages: Vec<String>,
}

/// What someone is looking for. Every part given must match (AND).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    pub words: String,
    /// Any of these needs (a service tagged with one of them matches).
    pub needs: Vec<Uuid>,
    pub age: Option<u16>,
    pub free_only: bool,
    /// Where the person is, and how far they will go.
    pub near: Option<(f64, f64)>,
    pub radius_miles: Option<f64>,
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
}

/// A match: how well, and how far away its nearest place is.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: Uuid,
    pub score: u32,
    pub distance_miles: Option<f64>,
}

/// Word stems of `text`, lower-cased.
pub fn stems(text: &str) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
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

/// The candidates that match, best first: by words (name counts three
/// times the description), then nearest, then by name.
pub fn search(candidates: &[Candidate], query: &SearchQuery) -> Vec<Hit> {
    let wanted = stems(&query.words);
    let mut hits: Vec<(Hit, &str)> = candidates
        .iter()
        .filter_map(|c| {
            if query.free_only && !c.is_free {
                return None;
            }
            if !query.needs.is_empty() && !c.term_ids.iter().any(|t| query.needs.contains(t)) {
                return None;
            }
            if !query.times_match(&c.openings) {
                return None;
            }
            if query
                .delivery
                .as_ref()
                .is_some_and(|d| !c.delivery_modes.contains(d))
            {
                return None;
            }
            if query.language.as_ref().is_some_and(|wanted| {
                !c.languages
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(wanted.trim()))
            }) {
                return None;
            }
            if let Some(age) = query.age
                && (c.minimum_age.is_some_and(|min| age < min)
                    || c.maximum_age.is_some_and(|max| age > max))
            {
                return None;
            }
            let distance = query.near.and_then(|here| {
                c.places
                    .iter()
                    .map(|p| distance_miles(here, *p))
                    .min_by(f64::total_cmp)
            });
            if let (Some(radius), Some(_)) = (query.radius_miles, query.near)
                && !distance.is_some_and(|d| d <= radius)
            {
                return None;
            }
            let score = if wanted.is_empty() {
                0
            } else {
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
                score
            };
            Some((
                Hit {
                    id: c.id,
                    score,
                    distance_miles: distance,
                },
                c.name.as_str(),
            ))
        })
        .collect();
    hits.sort_by(|(a, an), (b, bn)| {
        b.score
            .cmp(&a.score)
            .then(
                a.distance_miles
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.distance_miles.unwrap_or(f64::MAX)),
            )
            .then(an.cmp(bn))
    });
    hits.into_iter().map(|(hit, _)| hit).collect()
}

/// How many of the matches carry each need, for the filter's counts.
pub fn need_counts(candidates: &[Candidate], hits: &[Hit], needs: &[Uuid]) -> Vec<(Uuid, usize)> {
    needs
        .iter()
        .map(|need| {
            let count = hits
                .iter()
                .filter(|h| {
                    candidates
                        .iter()
                        .any(|c| c.id == h.id && c.term_ids.contains(need))
                })
                .count();
            (*need, count)
        })
        .collect()
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
        assert_eq!(hits[0].score, 4);
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
        let counts = need_counts(
            &all(),
            &search(&all(), &SearchQuery::default()),
            &[Uuid::from_u128(100), Uuid::from_u128(101)],
        );
        assert_eq!(
            counts,
            [(Uuid::from_u128(100), 1), (Uuid::from_u128(101), 2)]
        );
    }
}
