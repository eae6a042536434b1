//! People and households. Names, dates of birth, contact details, schools
//! and postcodes are stored sealed (see `convene_domain::sealing`), never
//! as plain text; blind indexes allow exact-match lookups (by name, and by
//! name + date of birth + postcode for duplicate suggestions).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    GivenName,
    FamilyName,
    DateOfBirth,
    Phone,
    Email,
    ContactPreference,
    PreferredLanguage,
    School,
    Postcode,
    NameIndex,
    DuplicateIndex,
    RecordedBy,
    CreatedAt,
    UpdatedAt,
    MergedInto,
    AnonymisedAt,
}

#[derive(DeriveIden)]
enum Households {
    Table,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HouseholdMembers {
    Table,
    HouseholdId,
    PersonId,
    Relationship,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sealed = |name: People| ColumnDef::new(name).text().null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(People::Table)
                    .col(ColumnDef::new(People::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(People::GivenName).text().not_null())
                    .col(ColumnDef::new(People::FamilyName).text().not_null())
                    .col(sealed(People::DateOfBirth))
                    .col(sealed(People::Phone))
                    .col(sealed(People::Email))
                    .col(
                        ColumnDef::new(People::ContactPreference)
                            .string_len(32)
                            .null(),
                    )
                    .col(sealed(People::PreferredLanguage))
                    .col(sealed(People::School))
                    .col(sealed(People::Postcode))
                    .col(ColumnDef::new(People::NameIndex).string_len(64).not_null())
                    .col(ColumnDef::new(People::DuplicateIndex).string_len(64).null())
                    .col(ColumnDef::new(People::RecordedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(People::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(People::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(People::MergedInto).uuid().null())
                    .col(
                        ColumnDef::new(People::AnonymisedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(People::Table, People::RecordedBy)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("people_by_name", People::NameIndex),
            ("people_by_duplicate_key", People::DuplicateIndex),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(People::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Households::Table)
                    .col(
                        ColumnDef::new(Households::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Households::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HouseholdMembers::Table)
                    .col(
                        ColumnDef::new(HouseholdMembers::HouseholdId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(HouseholdMembers::PersonId).uuid().not_null())
                    .col(
                        ColumnDef::new(HouseholdMembers::Relationship)
                            .string_len(32)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(HouseholdMembers::HouseholdId)
                            .col(HouseholdMembers::PersonId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HouseholdMembers::Table, HouseholdMembers::HouseholdId)
                            .to(Households::Table, Households::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HouseholdMembers::Table, HouseholdMembers::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("household_members_by_person")
                    .table(HouseholdMembers::Table)
                    .col(HouseholdMembers::PersonId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            HouseholdMembers::Table.into_iden(),
            Households::Table.into_iden(),
            People::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
