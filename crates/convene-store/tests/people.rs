//! People are stored sealed: nothing readable in the database, found again
//! through blind indexes, checked against the configured keys at start-up,
//! and re-sealed when keys rotate. On both backends.

use chrono::{NaiveDate, TimeZone, Utc};
use convene_domain::directory::postcodes::Postcode;
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_domain::people::households::Relationship;
use convene_domain::people::{ContactPreference, PersonDetails};
use convene_domain::sealing::DataKeys;
use convene_store::people::{households, keys, records};
use convene_store::{Store, StoreError, organisations, store_test};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

fn keys_with(spec: &[(&str, &str)], current: &str, index: &str) -> DataKeys {
    let text: Vec<String> = spec.iter().map(|(id, key)| format!("{id}:{key}")).collect();
    DataKeys::parse(&text.join(","), current, index).unwrap()
}

fn zoe() -> PersonDetails {
    PersonDetails {
        given_name: "Zoë".into(),
        family_name: "Marchetti".into(),
        date_of_birth: NaiveDate::from_ymd_opt(2019, 3, 4),
        phone: Some("07700 900982".into()),
        email: Some("parent@family.example".into()),
        contact_preference: Some(ContactPreference::Text),
        preferred_language: Some("Italian".into()),
        school: Some("Northgate Primary".into()),
        postcode: Postcode::parse("BK3 2EA").ok(),
    }
}

async fn school(store: &Store) -> Uuid {
    let id = new_id();
    let details = OrganisationDetails {
        name: "Northgate Primary".into(),
        kind: OrganisationKind::School,
        email: None,
        phone: None,
        website: None,
        address: None,
    };
    organisations::insert(store.conn(), id, &details, now())
        .await
        .unwrap();
    id
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// Every text value in the people table, as the database holds it.
async fn raw_people(store: &Store) -> String {
    let backend = store.conn().get_database_backend();
    let rows = store
        .conn()
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT given_name, family_name, date_of_birth, phone, email, preferred_language, school, postcode, name_index, duplicate_index FROM people",
        ))
        .await
        .unwrap();
    let mut all = String::new();
    for row in rows {
        for column in [
            "given_name",
            "family_name",
            "date_of_birth",
            "phone",
            "email",
            "preferred_language",
            "school",
            "postcode",
            "name_index",
            "duplicate_index",
        ] {
            let value: Option<String> = row.try_get("", column).unwrap();
            all.push_str(&value.unwrap_or_default());
            all.push('\n');
        }
    }
    all
}

store_test!(
    people_are_sealed_at_rest_and_read_back_whole,
    |store| async move {
        let k = DataKeys::generate_key().unwrap();
        let index = DataKeys::generate_key().unwrap();
        let keys = keys_with(&[("k1", &k)], "k1", &index);
        let school = school(&store).await;
        let id = new_id();
        records::insert(store.conn(), &keys, id, &zoe(), school, now())
            .await
            .unwrap();

        let read = records::get(store.conn(), &keys, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.details, zoe());
        assert_eq!(read.recorded_by, school);

        let raw = raw_people(&store).await;
        for plain in [
            // Long enough (or with characters base64 never holds) that a
            // random ciphertext cannot contain them by chance.
            "Zoë",
            "Marchetti",
            "2019-03-04",
            "07700 900982",
            "parent@family",
            "Italian",
            "Northgate Primary",
            "BK3 2EA",
        ] {
            assert!(
                !raw.contains(plain),
                "{plain} is readable in the database:\n{raw}"
            );
        }
        assert!(raw.contains("k1:"), "values carry their key id");

        // Found by name however it is typed; not by a different name.
        let found = records::named(store.conn(), &keys, " zoe ", "MARCHETTI")
            .await
            .unwrap();
        assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id]);
        assert!(
            records::named(store.conn(), &keys, "Zoe", "Marchett")
                .await
                .unwrap()
                .is_empty()
        );

        // A different key cannot read it: a loud error, not nonsense.
        let stranger = keys_with(&[("k1", &DataKeys::generate_key().unwrap())], "k1", &index);
        assert!(matches!(
            records::get(store.conn(), &stranger, id).await,
            Err(StoreError::Sealing(_))
        ));
    }
);

store_test!(
    likely_duplicates_are_suggested_and_merged_records_step_aside,
    |store| async move {
        let keys = keys_with(
            &[("k1", &DataKeys::generate_key().unwrap())],
            "k1",
            &DataKeys::generate_key().unwrap(),
        );
        let school = school(&store).await;
        let (first, second) = (new_id(), new_id());
        records::insert(store.conn(), &keys, first, &zoe(), school, now())
            .await
            .unwrap();
        let mut typed_again = zoe();
        typed_again.given_name = "zoe".into();
        typed_again.phone = None;
        let suggested = records::possible_duplicates(store.conn(), &keys, &typed_again, None)
            .await
            .unwrap();
        assert_eq!(
            suggested.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![first]
        );
        let mut elsewhere = zoe();
        elsewhere.postcode = Postcode::parse("BK1 1AA").ok();
        assert!(
            records::possible_duplicates(store.conn(), &keys, &elsewhere, None)
                .await
                .unwrap()
                .is_empty()
        );

        records::insert(store.conn(), &keys, second, &typed_again, school, now())
            .await
            .unwrap();
        records::mark_merged(store.conn(), second, first, now())
            .await
            .unwrap();
        assert_eq!(
            records::named(store.conn(), &keys, "Zoe", "Marchetti")
                .await
                .unwrap()
                .len(),
            1,
            "the merged record is no longer found"
        );
        let merged = records::get(store.conn(), &keys, second)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(merged.merged_into, Some(first));
        assert!(matches!(
            records::mark_merged(store.conn(), second, first, now()).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            records::mark_merged(store.conn(), first, first, now()).await,
            Err(StoreError::Refused(_))
        ));
    }
);

store_test!(
    a_wrong_or_missing_key_is_refused_at_start_up,
    |store| async move {
        let index = DataKeys::generate_key().unwrap();
        let right = keys_with(&[("k1", &DataKeys::generate_key().unwrap())], "k1", &index);
        keys::verify(&store, &right).await.unwrap();
        keys::verify(&store, &right).await.unwrap();
        let wrong = keys_with(&[("k1", &DataKeys::generate_key().unwrap())], "k1", &index);
        let error = keys::verify(&store, &wrong).await.unwrap_err().to_string();
        assert!(
            error.contains("not the key this database was sealed with"),
            "{error}"
        );
        let missing = keys_with(&[("k2", &DataKeys::generate_key().unwrap())], "k2", &index);
        let error = keys::verify(&store, &missing)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("\"k1\", which is not configured"), "{error}");
    }
);

store_test!(
    rotation_reseals_everything_under_the_new_key,
    |store| async move {
        let index = DataKeys::generate_key().unwrap();
        let (old, new) = (
            DataKeys::generate_key().unwrap(),
            DataKeys::generate_key().unwrap(),
        );
        let before = keys_with(&[("2025", &old)], "2025", &index);
        keys::verify(&store, &before).await.unwrap();
        let school = school(&store).await;
        let mut ids = Vec::new();
        for n in 0..205 {
            let id = new_id();
            let mut person = zoe();
            person.family_name = format!("Marchetti {n}");
            if n % 2 == 0 {
                person.phone = None;
            }
            records::insert(store.conn(), &before, id, &person, school, now())
                .await
                .unwrap();
            ids.push(id);
        }
        let during = keys_with(&[("2025", &old), ("2026", &new)], "2026", &index);
        let rotation = keys::rotate(&store, &during).await.unwrap();
        assert_eq!(rotation.resealed, 205);
        assert_eq!(rotation.retired, vec!["2025".to_string()]);
        assert!(!raw_people(&store).await.contains("2025:"));
        // The old key can now go.
        let after = keys_with(&[("2026", &new)], "2026", &index);
        keys::verify(&store, &after).await.unwrap();
        let read = records::get(store.conn(), &after, ids[7])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.details.family_name, "Marchetti 7");
        assert_eq!(read.details.phone.as_deref(), Some("07700 900982"));
        // Found by name still: blind indexes do not depend on the sealing key.
        assert_eq!(
            records::named(store.conn(), &after, "Zoë", "Marchetti 204")
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(keys::rotate(&store, &after).await.unwrap().resealed, 0);
    }
);

store_test!(households_hold_their_members, |store| async move {
    let keys = keys_with(
        &[("k1", &DataKeys::generate_key().unwrap())],
        "k1",
        &DataKeys::generate_key().unwrap(),
    );
    let school = school(&store).await;
    let (child, mother, home) = (new_id(), new_id(), new_id());
    records::insert(store.conn(), &keys, child, &zoe(), school, now())
        .await
        .unwrap();
    let mut parent = zoe();
    parent.given_name = "Giulia".into();
    parent.date_of_birth = None;
    records::insert(store.conn(), &keys, mother, &parent, school, now())
        .await
        .unwrap();
    households::create(store.conn(), home, now()).await.unwrap();
    households::add_member(store.conn(), home, child, Relationship::Child)
        .await
        .unwrap();
    households::add_member(store.conn(), home, mother, Relationship::Parent)
        .await
        .unwrap();
    households::add_member(store.conn(), home, mother, Relationship::Mother)
        .await
        .unwrap();
    let mut members = households::members(store.conn(), home).await.unwrap();
    members.sort_by_key(|(id, _)| *id);
    let mut expected = vec![(child, Relationship::Child), (mother, Relationship::Mother)];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(members, expected);
    assert_eq!(
        households::of_person(store.conn(), child).await.unwrap(),
        vec![home]
    );
});

/// The daily retention check finds its candidates in an index rather than
/// by reading every person (a whole-table read of a million people stalled
/// the first minute after every start): the index holds every column the
/// check reads, in the order it filters them. Whether SQLite's planner
/// takes it depends on the table's size and statistics (on an empty table
/// it may scan); on the load benchmark's million people the check went
/// from 69 s to under a second (docs/benchmarks.md).
#[tokio::test]
async fn the_retention_check_has_an_index_that_covers_it() {
    let db = convene_store::testing::TestDatabase::sqlite();
    let store = db.store().await;
    let conn = store.conn();
    let columns: Vec<String> = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT name FROM pragma_index_info('people_due_for_retention') ORDER BY seqno",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect();
    assert_eq!(columns, vec!["anonymised_at", "created_at", "id"]);
}
