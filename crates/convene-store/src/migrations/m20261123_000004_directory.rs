//! The service directory (ORUK 3.0): services with their whole document,
//! the places they are delivered, taxonomies and terms, and postcodes.

use convene_domain::directory::taxonomy;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Taxonomies {
    Table,
    Id,
    Name,
    Description,
    Uri,
    Version,
}

#[derive(DeriveIden)]
enum TaxonomyTerms {
    Table,
    Id,
    Code,
    Name,
    Description,
    ParentId,
    TaxonomyId,
    Taxonomy,
    TermUri,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    OrganisationId,
    Name,
    Description,
    Status,
    MinimumAge,
    MaximumAge,
    IsFree,
    Languages,
    Document,
    Source,
    LastModified,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceAtLocations {
    Table,
    Id,
    ServiceId,
    LocationId,
    Name,
    Postcode,
    Latitude,
    Longitude,
    Location,
}

#[derive(DeriveIden)]
enum ServiceTerms {
    Table,
    ServiceId,
    TermId,
}

#[derive(DeriveIden)]
enum Postcodes {
    Table,
    Postcode,
    Latitude,
    Longitude,
    Lsoa,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Taxonomies::Table)
                    .col(
                        ColumnDef::new(Taxonomies::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Taxonomies::Name).string().not_null())
                    .col(ColumnDef::new(Taxonomies::Description).text().not_null())
                    .col(ColumnDef::new(Taxonomies::Uri).string())
                    .col(ColumnDef::new(Taxonomies::Version).string())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaxonomyTerms::Table)
                    .col(
                        ColumnDef::new(TaxonomyTerms::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(TaxonomyTerms::Code).string())
                    .col(ColumnDef::new(TaxonomyTerms::Name).string().not_null())
                    .col(ColumnDef::new(TaxonomyTerms::Description).text().not_null())
                    .col(ColumnDef::new(TaxonomyTerms::ParentId).uuid())
                    .col(ColumnDef::new(TaxonomyTerms::TaxonomyId).uuid())
                    .col(ColumnDef::new(TaxonomyTerms::Taxonomy).string())
                    .col(ColumnDef::new(TaxonomyTerms::TermUri).string())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .col(ColumnDef::new(Services::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Services::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(Services::Name).string().not_null())
                    .col(ColumnDef::new(Services::Description).text())
                    .col(ColumnDef::new(Services::Status).string().not_null())
                    .col(ColumnDef::new(Services::MinimumAge).integer())
                    .col(ColumnDef::new(Services::MaximumAge).integer())
                    .col(ColumnDef::new(Services::IsFree).boolean().not_null())
                    .col(ColumnDef::new(Services::Languages).text().not_null())
                    .col(ColumnDef::new(Services::Document).text().not_null())
                    .col(ColumnDef::new(Services::Source).string().not_null())
                    .col(
                        ColumnDef::new(Services::LastModified)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Services::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Services::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("services_organisation")
                            .from(Services::Table, Services::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("services_by_organisation", Services::OrganisationId),
            ("services_by_last_modified", Services::LastModified),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Services::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ServiceAtLocations::Table)
                    .col(
                        ColumnDef::new(ServiceAtLocations::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ServiceAtLocations::ServiceId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceAtLocations::LocationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceAtLocations::Name).string())
                    .col(ColumnDef::new(ServiceAtLocations::Postcode).string())
                    .col(ColumnDef::new(ServiceAtLocations::Latitude).double())
                    .col(ColumnDef::new(ServiceAtLocations::Longitude).double())
                    .col(
                        ColumnDef::new(ServiceAtLocations::Location)
                            .text()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("service_at_locations_service")
                            .from(ServiceAtLocations::Table, ServiceAtLocations::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("service_at_locations_by_service")
                    .table(ServiceAtLocations::Table)
                    .col(ServiceAtLocations::ServiceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceTerms::Table)
                    .col(ColumnDef::new(ServiceTerms::ServiceId).uuid().not_null())
                    .col(ColumnDef::new(ServiceTerms::TermId).uuid().not_null())
                    .primary_key(
                        Index::create()
                            .col(ServiceTerms::ServiceId)
                            .col(ServiceTerms::TermId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("service_terms_service")
                            .from(ServiceTerms::Table, ServiceTerms::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("service_terms_by_term")
                    .table(ServiceTerms::Table)
                    .col(ServiceTerms::TermId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Postcodes::Table)
                    .col(
                        ColumnDef::new(Postcodes::Postcode)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Postcodes::Latitude).double().not_null())
                    .col(ColumnDef::new(Postcodes::Longitude).double().not_null())
                    .col(ColumnDef::new(Postcodes::Lsoa).string())
                    .to_owned(),
            )
            .await?;

        // The built-in taxonomy of family-support needs.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Taxonomies::Table)
                    .columns([Taxonomies::Id, Taxonomies::Name, Taxonomies::Description])
                    .values_panic([
                        taxonomy::taxonomy_id().into(),
                        taxonomy::TAXONOMY_NAME.into(),
                        taxonomy::TAXONOMY_DESCRIPTION.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        let mut terms = Query::insert()
            .into_table(TaxonomyTerms::Table)
            .columns([
                TaxonomyTerms::Id,
                TaxonomyTerms::Code,
                TaxonomyTerms::Name,
                TaxonomyTerms::Description,
                TaxonomyTerms::TaxonomyId,
                TaxonomyTerms::Taxonomy,
            ])
            .to_owned();
        for (code, name, description) in taxonomy::NEEDS {
            terms.values_panic([
                taxonomy::need_id(code).into(),
                (*code).into(),
                (*name).into(),
                (*description).into(),
                taxonomy::taxonomy_id().into(),
                taxonomy::TAXONOMY_NAME.into(),
            ]);
        }
        manager.exec_stmt(terms).await
    }
}
