//! Schema migrations, compiled into the binary and applied at start-up and by
//! `convene migrate`. Written once with SeaORM's schema builder, so the same
//! migration creates the same tables on SQLite and PostgreSQL.
//!
//! Never edit a migration that has shipped; add a new one.

use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_identity_audit;
mod m20261123_000003_organisation_sign_in;
mod m20261123_000004_directory;
mod m20261123_000005_directory_editing;
mod m20261123_000006_directory_changes;
mod m20261123_000007_import_runs;
mod m20261123_000008_people;
mod m20261123_000009_referrals;
mod m20261123_000010_idempotency;
mod m20261123_000011_referral_intake;
mod m20261123_000012_person_transitions;
mod m20261123_000013_outbox;
mod m20261123_000014_messaging;
mod m20261123_000015_list_indexes;
mod m20261203_000016_retention_index;

#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_identity_audit::Migration),
            Box::new(m20261123_000003_organisation_sign_in::Migration),
            Box::new(m20261123_000004_directory::Migration),
            Box::new(m20261123_000005_directory_editing::Migration),
            Box::new(m20261123_000006_directory_changes::Migration),
            Box::new(m20261123_000007_import_runs::Migration),
            Box::new(m20261123_000008_people::Migration),
            Box::new(m20261123_000009_referrals::Migration),
            Box::new(m20261123_000010_idempotency::Migration),
            Box::new(m20261123_000011_referral_intake::Migration),
            Box::new(m20261123_000012_person_transitions::Migration),
            Box::new(m20261123_000013_outbox::Migration),
            Box::new(m20261123_000014_messaging::Migration),
            Box::new(m20261123_000015_list_indexes::Migration),
            Box::new(m20261203_000016_retention_index::Migration),
        ]
    }
}
