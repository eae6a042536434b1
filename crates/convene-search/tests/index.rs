//! The index answers as the reference search does: the same services for
//! every filter, the same order whenever words do not decide it, and words
//! in names before words in descriptions.

use chrono::{DateTime, Weekday};
use convene_domain::directory::schedules::openings;
use convene_domain::directory::search::{Candidate, SearchQuery, search};
use convene_search::DirectoryIndex;
use proptest::prelude::*;
use uuid::Uuid;

const WORDS: [&str; 12] = [
    "parent",
    "parenting",
    "toddler",
    "toddlers",
    "food",
    "bank",
    "youth",
    "club",
    "debt",
    "advice",
    "music",
    "sport",
];

fn service(n: u128, name: &str, description: &str) -> Candidate {
    Candidate {
        id: Uuid::from_u128(n),
        name: name.to_string(),
        description: Some(description.to_string()),
        organisation_id: Uuid::from_u128(1000 + n % 3),
        is_free: n.is_multiple_of(2),
        minimum_age: (!n.is_multiple_of(4)).then_some((n % 7) as u16),
        maximum_age: (!n.is_multiple_of(5)).then_some(8 + (n % 11) as u16),
        places: vec![(53.0 + (n % 10) as f64 * 0.01, -1.8 + (n % 6) as f64 * 0.01)],
        term_ids: vec![Uuid::from_u128(100 + n % 4)],
        taxonomy_ids: vec![Uuid::from_u128(200 + n % 2)],
        openings: openings(&serde_json::json!({"schedules": [
            {"byday": if n.is_multiple_of(2) { "MO,TU" } else { "FR" }, "opens_at": "09:00", "closes_at": if n.is_multiple_of(3) { "01:00" } else { "17:00" }}
        ]})),
        delivery_modes: vec![
            if n.is_multiple_of(3) {
                "online"
            } else {
                "in_person"
            }
            .to_string(),
        ],
        languages: vec!["English".to_string()],
        last_modified: DateTime::from_timestamp(1_700_000_000 + (n as i64) * 3600, 0).unwrap(),
        areas: Vec::new(),
    }
}

fn index_of(services: &[Candidate]) -> DirectoryIndex {
    let index = DirectoryIndex::new().unwrap();
    index.apply(services.to_vec(), &[], 1).unwrap();
    index
}

fn ids(hits: &[convene_domain::directory::search::Hit]) -> Vec<Uuid> {
    hits.iter().map(|h| h.id).collect()
}

fn text(words: &[usize]) -> String {
    words
        .iter()
        .map(|w| WORDS[*w % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn arbitrary_services() -> impl Strategy<Value = Vec<Candidate>> {
    prop::collection::vec(
        (
            prop::collection::vec(0usize..12, 1..4),
            prop::collection::vec(0usize..12, 0..8),
        ),
        0..40,
    )
    .prop_map(|texts| {
        texts
            .iter()
            .enumerate()
            .map(|(n, (name, description))| service(n as u128 + 1, &text(name), &text(description)))
            .collect()
    })
}

fn arbitrary_query() -> impl Strategy<Value = SearchQuery> {
    (
        prop::collection::vec(0usize..12, 0..3),
        prop::option::of(0u16..20),
        any::<bool>(),
        prop::option::of(0u128..4),
        prop::option::of((0.0f64..3.0, 0u8..3)),
        prop::option::of(0u8..3),
        prop::option::of((0u16..10, 0u16..10)),
        prop::option::of(0u8..2),
    )
        .prop_map(
            |(words, age, free_only, need, near, organisation, ages, day)| SearchQuery {
                words: text(&words),
                age,
                free_only,
                needs: need
                    .map(|n| vec![Uuid::from_u128(100 + n)])
                    .unwrap_or_default(),
                near: near.map(|_| (53.02, -1.79)),
                radius_miles: near.and_then(|(r, kind)| (kind > 0).then_some(r)),
                organisation_id: organisation.map(|o| Uuid::from_u128(1000 + u128::from(o))),
                ages_from: ages.map(|(a, _)| a),
                ages_to: ages.map(|(a, b)| a + b),
                day: day.map(|d| if d == 0 { Weekday::Mon } else { Weekday::Fri }),
                ..Default::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_index_finds_what_the_reference_finds(
        services in arbitrary_services(),
        query in arbitrary_query(),
    ) {
        let index = index_of(&services);
        let expected = search(&services, &query);
        let found = index.search(&query, 0, usize::MAX, &[]).unwrap();
        prop_assert_eq!(found.total, expected.len());
        let mut got = ids(&found.hits);
        let mut want = ids(&expected);
        if query.words.is_empty() {
            // Without words the order is distance then name: exactly the reference's.
            prop_assert_eq!(&got, &want);
        }
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn pages_are_slices_of_the_whole(
        services in arbitrary_services(),
        query in arbitrary_query(),
        offset in 0usize..20,
        limit in 1usize..10,
    ) {
        let index = index_of(&services);
        let all = index.search(&query, 0, usize::MAX, &[]).unwrap();
        let page = index.search(&query, offset, limit, &[]).unwrap();
        prop_assert_eq!(page.total, all.total);
        let expected: Vec<_> = all.hits.iter().skip(offset).take(limit).cloned().collect();
        prop_assert_eq!(page.hits, expected);
    }
}

#[test]
fn names_outrank_descriptions_and_stems_match() {
    let services = vec![
        service(1, "Advice drop-in", "Help for parents with money worries"),
        service(2, "Parenting course", "Six weeks for mums and dads"),
        service(3, "Youth club", "Sport and music"),
    ];
    let index = index_of(&services);
    let found = index
        .search(
            &SearchQuery {
                words: "parents".into(),
                ..Default::default()
            },
            0,
            10,
            &[],
        )
        .unwrap();
    assert_eq!(ids(&found.hits), [Uuid::from_u128(2), Uuid::from_u128(1)]);
    assert!(found.hits[0].score > found.hits[1].score);
}

#[test]
fn need_counts_keep_every_filter_but_the_needs() {
    let services: Vec<_> = (1..=8)
        .map(|n| service(n, "Stay and play", "For toddlers"))
        .collect();
    let index = index_of(&services);
    let needs: Vec<Uuid> = (100..104).map(Uuid::from_u128).collect();
    let query = SearchQuery {
        free_only: true,
        needs: vec![Uuid::from_u128(100)],
        ..Default::default()
    };
    let found = index.search(&query, 0, 10, &needs).unwrap();
    // Free: 2, 4, 6, 8; their needs are 102, 100, 102, 100.
    assert_eq!(found.total, 2);
    assert_eq!(
        found.need_counts,
        [(needs[0], 2), (needs[1], 0), (needs[2], 2), (needs[3], 0)]
    );
}

#[test]
fn changes_replace_and_remove_and_old_batches_are_ignored() {
    let index = index_of(&[service(1, "Food bank", "Emergency food")]);
    let food = SearchQuery {
        words: "food".into(),
        ..Default::default()
    };
    assert_eq!(index.search(&food, 0, 10, &[]).unwrap().total, 1);
    index
        .apply(vec![service(1, "Baby bank", "Nappies and clothes")], &[], 2)
        .unwrap();
    assert_eq!(index.search(&food, 0, 10, &[]).unwrap().total, 0);
    let baby = SearchQuery {
        words: "baby".into(),
        ..Default::default()
    };
    assert_eq!(index.search(&baby, 0, 10, &[]).unwrap().total, 1);
    assert_eq!(index.len(), 1, "replaced, not added");
    // A batch older than what is applied changes nothing.
    index
        .apply(vec![service(1, "Food bank", "Emergency food")], &[], 1)
        .unwrap();
    assert_eq!(index.search(&food, 0, 10, &[]).unwrap().total, 0);
    index.apply(Vec::new(), &[Uuid::from_u128(1)], 3).unwrap();
    assert_eq!(index.search(&baby, 0, 10, &[]).unwrap().total, 0);
    assert_eq!(
        index
            .search(&SearchQuery::default(), 0, 10, &[])
            .unwrap()
            .total,
        0
    );
    assert!(index.is_empty());
    assert_eq!(index.applied(), 3);
}

#[test]
fn searches_during_changes_see_each_service_once() {
    let index = std::sync::Arc::new(index_of(
        &(1..=50)
            .map(|n| service(n, "Food bank", "Food"))
            .collect::<Vec<_>>(),
    ));
    let writer = {
        let index = index.clone();
        std::thread::spawn(move || {
            for round in 0..40 {
                let batch = (1..=50)
                    .map(|n| service(n, &format!("Food bank {round}"), "Food"))
                    .collect();
                index.apply(batch, &[], 2 + round).unwrap();
            }
        })
    };
    let food = SearchQuery {
        words: "food".into(),
        ..Default::default()
    };
    while !writer.is_finished() {
        assert_eq!(index.search(&food, 0, 100, &[]).unwrap().total, 50);
        assert_eq!(
            index
                .search(&SearchQuery::default(), 0, 100, &[])
                .unwrap()
                .total,
            50
        );
    }
    writer.join().unwrap();
    let last = index.search(&food, 0, 1, &[]).unwrap();
    assert_eq!(last.total, 50);
}

#[test]
fn pages_of_tied_scores_are_ordered_by_name() {
    // Every service matches "food" once in its name and once in its
    // description, so every score ties and the names decide the order.
    let letters = "qwertyuiopasdfghjklzxcvbnm";
    let services: Vec<_> = letters
        .chars()
        .enumerate()
        .map(|(n, letter)| service(n as u128 + 1, &format!("Food z{letter}"), "Food parcels"))
        .collect();
    let index = index_of(&services);
    let query = SearchQuery {
        words: "food".into(),
        ..Default::default()
    };
    let mut by_name = services.clone();
    by_name.sort_by(|a, b| a.name.cmp(&b.name));
    for (offset, limit) in [(0, 1), (0, 10), (3, 5), (20, 10)] {
        let page = index.search(&query, offset, limit, &[]).unwrap();
        assert_eq!(page.total, services.len());
        let want: Vec<Uuid> = by_name
            .iter()
            .skip(offset)
            .take(limit)
            .map(|s| s.id)
            .collect();
        assert_eq!(ids(&page.hits), want, "offset {offset}, limit {limit}");
    }
}
