//! `convene demo`: a fictional town, Brackenbury, and its partnership, seeded
//! deterministically (same ids, same text, same timestamps every time), then
//! served.
//!
//! The demo refuses to touch a database that holds anything but demo data,
//! so it cannot wipe a real instance by mistake.

mod directory;
mod families;
mod town;

use anyhow::{Context, bail};
use convene_domain::directory::parse_service;
use convene_domain::identity::passwords::hash_password_with_salt;
use convene_domain::ids::stable_id;
use convene_store::directory::{postcodes, services};
use convene_store::identity::accounts;
use convene_store::{Store, StoreError, instance, organisations, places};

use crate::cli::DemoArgs;
use crate::config::Config;
use crate::{connect, serve, shown_url};

/// Bumped when the demo data changes shape, so an old demo database is
/// recognised as one.
const DEMO_VERSION: &str = "1";

pub async fn run(config: &Config, args: &DemoArgs) -> anyhow::Result<()> {
    if !args.no_serve {
        serve::ensure_safe_base_url(config, &args.serve)?;
    }
    let store = connect(config).await?;
    store.migrate().await.context("apply migrations")?;
    let is_demo = instance::fact(store.conn(), instance::DEMO_FACT)
        .await?
        .is_some();
    let is_empty =
        organisations::count(store.conn()).await? == 0 && places::count(store.conn()).await? == 0;
    if !is_demo && !is_empty {
        bail!(
            "the database at {} holds data that is not demo data; convene demo will not touch it. \
             Point CONVENE_DATABASE_URL at another database (for example sqlite://data/demo.db)",
            shown_url(config)
        );
    }
    if is_demo && args.reset {
        store
            .reset_schema()
            .await
            .context("reset the demo database")?;
    }
    if is_demo && !args.reset {
        println!(
            "Using the existing demo database at {} (add --reset to recreate it).",
            shown_url(config)
        );
    } else {
        let summary = seed(&store).await.context("seed the demo data")?;
        let keys = crate::keys::load_and_verify(config, &store).await?;
        let clock = convene_domain::clock::SystemClock;
        let families = families::seed(&store, &keys, convene_domain::clock::Clock::now(&clock))
            .await
            .context("seed the demo families")?;
        println!(
            "Seeded the demo town of Brackenbury at {}: {} organisations, {} places, {} accounts, {} services, {} families with referrals.",
            shown_url(config),
            summary.organisations,
            summary.places,
            summary.accounts,
            summary.services,
            families
        );
    }
    if args.no_serve {
        store.close().await?;
        return Ok(());
    }
    serve::serve(config, &args.serve, store, true, |url| {
        println!();
        println!("Open {url} in your browser.");
        println!(
            "Demo sign-in (every account's password is \"{}\"):",
            town::DEMO_PASSWORD
        );
        for (email, _, organisation, role) in town::ACCOUNTS {
            println!("  {email:<44} {} at {organisation}", role.label());
        }
        println!("Second-factor codes are shown on the sign-in page: demo only.");
        println!("Press Ctrl-C to stop.");
    })
    .await
}

/// How much the demo seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    pub organisations: usize,
    pub places: usize,
    pub accounts: usize,
    pub services: usize,
}

/// Writes the demo town in one transaction: all of it or none of it.
pub async fn seed(store: &Store) -> Result<SeedSummary, StoreError> {
    store
        .transaction(|txn| {
            Box::pin(async move {
                let at = town::seeded_at();
                let orgs = town::organisations();
                for (id, details) in &orgs {
                    organisations::insert(txn, *id, details, at).await?;
                }
                let town_places = town::places();
                for (id, details) in &town_places {
                    places::insert(txn, *id, details, at).await?;
                }
                for (email, name, organisation, role) in town::ACCOUNTS {
                    let user_id = stable_id("account", email);
                    let hash =
                        hash_password_with_salt(town::DEMO_PASSWORD, &town::password_salt(email));
                    accounts::create(txn, user_id, email, name, Some(&hash), at).await?;
                    accounts::enable_second_factor(txn, user_id, &town::totp_secret(email), 0, at)
                        .await?;
                    accounts::set_role(
                        txn,
                        user_id,
                        stable_id("organisation", organisation),
                        *role,
                        at,
                    )
                    .await?;
                }
                postcodes::upsert(txn, &directory::postcodes()).await?;
                let seeded_at = at;
                for document in directory::services() {
                    let record = parse_service(&document)
                        .map_err(|e| StoreError::Refused(format!("demo service: {e}")))?;
                    services::upsert(txn, &record, services::LOCAL_SOURCE, seeded_at).await?;
                    // Reviewed by the partnership's coordinator when the demo was made.
                    let reviewer = stable_id("account", "coordinator@brackenbury.example");
                    services::set_local_fields(
                        txn,
                        record.id,
                        &["in_person".to_string()],
                        "both",
                        reviewer,
                        seeded_at,
                    )
                    .await?;
                }
                instance::set_fact(txn, instance::NAME_FACT, town::NAME).await?;
                instance::set_fact(txn, instance::SUMMARY_FACT, town::SUMMARY).await?;
                instance::set_fact(txn, instance::DEMO_FACT, DEMO_VERSION).await?;
                Ok(SeedSummary {
                    organisations: orgs.len(),
                    places: town_places.len(),
                    accounts: town::ACCOUNTS.len(),
                    services: directory::count(),
                })
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use convene_store::Backend;
    use convene_store::testing::TestDatabase;

    use super::*;

    async fn snapshot(store: &Store) -> String {
        format!(
            "{:?}\n{:?}\n{:?}",
            organisations::list(store.conn()).await.unwrap(),
            places::list(store.conn()).await.unwrap(),
            instance::fact(store.conn(), instance::NAME_FACT)
                .await
                .unwrap(),
        )
    }

    async fn seeds_the_same_town_every_time(backend: Backend) {
        let (Some(a), Some(b)) = (
            TestDatabase::for_backend(backend).await,
            TestDatabase::for_backend(backend).await,
        ) else {
            return;
        };
        let (first, second) = (a.store().await, b.store().await);
        let summary = seed(&first).await.unwrap();
        seed(&second).await.unwrap();
        assert!(summary.organisations >= 20, "{summary:?}");
        assert!(summary.places >= 4, "{summary:?}");
        assert_eq!(snapshot(&first).await, snapshot(&second).await);
        // Seeding twice into one database is refused whole, leaving it as it was.
        let before = snapshot(&first).await;
        assert!(seed(&first).await.is_err());
        assert_eq!(snapshot(&first).await, before);
        first.close().await.unwrap();
        second.close().await.unwrap();
        a.finish().await;
        b.finish().await;
    }

    #[tokio::test]
    async fn seeds_the_same_town_every_time_on_sqlite() {
        seeds_the_same_town_every_time(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn seeds_the_same_town_every_time_on_postgres() {
        seeds_the_same_town_every_time(Backend::Postgres).await;
    }

    async fn families_have_referrals_in_every_state(backend: Backend) {
        use convene_domain::referrals::ReferralState;
        let Some(db) = TestDatabase::for_backend(backend).await else {
            return;
        };
        let store = db.store().await;
        seed(&store).await.unwrap();
        let keys = convene_domain::sealing::DataKeys::parse(
            &format!(
                "k1:{}",
                convene_domain::sealing::DataKeys::generate_key().unwrap()
            ),
            "k1",
            &convene_domain::sealing::DataKeys::generate_key().unwrap(),
        )
        .unwrap();
        let now = town::seeded_at() + chrono::Duration::days(80);
        assert_eq!(families::seed(&store, &keys, now).await.unwrap(), 8);
        let school = stable_id("organisation", "Northgate Primary School");
        let window = convene_store::referrals::ListWindow::first(100);
        let sent = convene_store::referrals::records::outgoing(store.conn(), school, window)
            .await
            .unwrap()
            .referrals;
        for state in ReferralState::ALL {
            assert!(
                sent.iter().any(|r| r.state == state),
                "no demo referral is {state}"
            );
        }
        store.close().await.unwrap();
        db.finish().await;
    }

    #[tokio::test]
    async fn families_have_referrals_in_every_state_on_sqlite() {
        families_have_referrals_in_every_state(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn families_have_referrals_in_every_state_on_postgres() {
        families_have_referrals_in_every_state(Backend::Postgres).await;
    }

    #[test]
    fn every_demo_record_is_valid() {
        let names: std::collections::HashSet<_> = town::organisations()
            .into_iter()
            .map(|(_, d)| d.name)
            .collect();
        assert_eq!(
            names.len(),
            town::organisations().len(),
            "organisation names are unique"
        );
    }
}
