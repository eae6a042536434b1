//! Accounts, memberships, sessions, second factors, API tokens, one-time
//! links, throttles and the append-only audit trail.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    TotpSecret,
    TotpLastStep,
    TotpEnabledAt,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    UserId,
    OrganisationId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    Stage,
    CsrfToken,
    ClientAddress,
    UserAgent,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Scopes,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OneTimeLinks {
    Table,
    Id,
    Purpose,
    TokenHash,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Throttles {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Seq,
    Id,
    At,
    Action,
    ActorUserId,
    ActorOrganisationId,
    ActorTokenId,
    ObjectType,
    ObjectId,
    SubjectPersonId,
    Purpose,
    ClientAddress,
    PrevHash,
    Hash,
}

fn user_fk(table: impl IntoIden, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, Alias::new("user_id"))
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Users::Email)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Users::DisplayName).string().not_null())
                    .col(ColumnDef::new(Users::PasswordHash).string())
                    .col(ColumnDef::new(Users::TotpSecret).string())
                    .col(ColumnDef::new(Users::TotpLastStep).big_integer())
                    .col(ColumnDef::new(Users::TotpEnabledAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Users::DisabledAt).timestamp_with_time_zone())
                    .col(
                        ColumnDef::new(Users::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Users::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(
                        ColumnDef::new(Memberships::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Memberships::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(Memberships::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Memberships::Role).string().not_null())
                    .col(
                        ColumnDef::new(Memberships::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut user_fk(Memberships::Table, "memberships_user"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("memberships_organisation")
                            .from(Memberships::Table, Memberships::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_one_role_per_organisation")
                    .table(Memberships::Table)
                    .col(Memberships::UserId)
                    .col(Memberships::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(ColumnDef::new(Sessions::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Sessions::TokenHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                    .col(ColumnDef::new(Sessions::Stage).string().not_null())
                    .col(ColumnDef::new(Sessions::CsrfToken).string().not_null())
                    .col(ColumnDef::new(Sessions::ClientAddress).string())
                    .col(ColumnDef::new(Sessions::UserAgent).string())
                    .col(
                        ColumnDef::new(Sessions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Sessions::LastSeenAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut user_fk(Sessions::Table, "sessions_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(
                        ColumnDef::new(RecoveryCodes::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RecoveryCodes::UserId).uuid().not_null())
                    .col(ColumnDef::new(RecoveryCodes::CodeHash).string().not_null())
                    .col(ColumnDef::new(RecoveryCodes::UsedAt).timestamp_with_time_zone())
                    .col(
                        ColumnDef::new(RecoveryCodes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut user_fk(RecoveryCodes::Table, "recovery_codes_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(
                        ColumnDef::new(ApiTokens::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::UserId).uuid().not_null())
                    .col(ColumnDef::new(ApiTokens::Name).string().not_null())
                    .col(
                        ColumnDef::new(ApiTokens::TokenHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::Scopes).string().not_null())
                    .col(
                        ColumnDef::new(ApiTokens::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApiTokens::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ApiTokens::LastUsedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(ApiTokens::RevokedAt).timestamp_with_time_zone())
                    .foreign_key(&mut user_fk(ApiTokens::Table, "api_tokens_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OneTimeLinks::Table)
                    .col(
                        ColumnDef::new(OneTimeLinks::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OneTimeLinks::Purpose).string().not_null())
                    .col(
                        ColumnDef::new(OneTimeLinks::TokenHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(OneTimeLinks::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(OneTimeLinks::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OneTimeLinks::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OneTimeLinks::UsedAt).timestamp_with_time_zone())
                    .foreign_key(&mut user_fk(OneTimeLinks::Table, "one_time_links_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Throttles::Table)
                    .col(
                        ColumnDef::new(Throttles::Key)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Throttles::Failures).integer().not_null())
                    .col(
                        ColumnDef::new(Throttles::WindowStartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Throttles::LockedUntil).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(
                        ColumnDef::new(AuditEvents::Seq)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::Id)
                            .uuid()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::Action).string().not_null())
                    .col(ColumnDef::new(AuditEvents::ActorUserId).uuid())
                    .col(ColumnDef::new(AuditEvents::ActorOrganisationId).uuid())
                    .col(ColumnDef::new(AuditEvents::ActorTokenId).uuid())
                    .col(ColumnDef::new(AuditEvents::ObjectType).string())
                    .col(ColumnDef::new(AuditEvents::ObjectId).string())
                    .col(ColumnDef::new(AuditEvents::SubjectPersonId).uuid())
                    .col(ColumnDef::new(AuditEvents::Purpose).text())
                    .col(ColumnDef::new(AuditEvents::ClientAddress).string())
                    .col(ColumnDef::new(AuditEvents::PrevHash).string().not_null())
                    .col(ColumnDef::new(AuditEvents::Hash).string().not_null())
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("audit_events_by_time", AuditEvents::At),
            ("audit_events_by_actor", AuditEvents::ActorUserId),
            ("audit_events_by_subject", AuditEvents::SubjectPersonId),
            (
                "audit_events_by_organisation",
                AuditEvents::ActorOrganisationId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        // The database itself refuses to change or remove audit events, so
        // no code path (ours or a mistaken script) can rewrite history.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION convene_audit_events_append_only() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN \
                     RAISE EXCEPTION 'audit events are append-only'; END $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events \
                     FOR EACH ROW EXECUTE FUNCTION convene_audit_events_append_only()",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
                     FOR EACH STATEMENT EXECUTE FUNCTION convene_audit_events_append_only()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
                )
                .await?;
            }
        }
        Ok(())
    }
}
