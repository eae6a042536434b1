//! `baseline load`: the generated services and postcodes into PostgreSQL
//! tables shaped for full-text search, replacing what was there.

use std::path::Path;

use anyhow::{Context, anyhow};
use convene_domain::directory::feed::service_documents;
use convene_domain::directory::parse_service;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

/// Rows sent in one statement.
const BATCH: usize = 2_000;

const SCHEMA: &str = r#"
DROP TABLE IF EXISTS baseline_locations;
DROP TABLE IF EXISTS baseline_services;
DROP TABLE IF EXISTS baseline_postcodes;
CREATE TABLE baseline_services (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    description text,
    organisation_id uuid NOT NULL,
    organisation_name text,
    minimum_age integer,
    maximum_age integer,
    need_ids uuid[] NOT NULL,
    -- Name words weigh more than description words, as in Convene's index.
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) STORED
);
CREATE TABLE baseline_locations (
    service_id uuid NOT NULL REFERENCES baseline_services (id),
    latitude double precision NOT NULL,
    longitude double precision NOT NULL
);
CREATE TABLE baseline_postcodes (
    postcode text PRIMARY KEY,
    latitude double precision NOT NULL,
    longitude double precision NOT NULL
);
"#;

/// Indexes are built after loading, as a bulk load would.
const INDEXES: &str = r#"
CREATE INDEX baseline_services_tsv ON baseline_services USING gin (tsv);
CREATE INDEX baseline_services_needs ON baseline_services USING gin (need_ids);
CREATE INDEX baseline_locations_position ON baseline_locations (latitude, longitude);
CREATE INDEX baseline_locations_service ON baseline_locations (service_id);
ANALYZE baseline_services;
ANALYZE baseline_locations;
ANALYZE baseline_postcodes;
"#;

/// What was loaded.
#[derive(Debug)]
pub struct Loaded {
    pub services: usize,
    pub locations: usize,
    pub postcodes: usize,
}

pub async fn load(db: &DatabaseConnection, dir: &Path) -> anyhow::Result<Loaded> {
    let feed_path = dir.join("feed.ndjson");
    let text = std::fs::read_to_string(&feed_path)
        .with_context(|| format!("cannot read {}", feed_path.display()))?;
    let documents =
        service_documents(&text).map_err(|e| anyhow!("{}: {e}", feed_path.display()))?;
    drop(text);
    // Every record is checked before anything is written.
    let mut services = Vec::with_capacity(documents.len());
    let mut locations = Vec::new();
    for document in &documents {
        let record = parse_service(document).map_err(|e| anyhow!("{e}; nothing was loaded"))?;
        for place in &record.locations {
            if let Some((latitude, longitude)) = place.coordinates {
                locations.push(json!({
                    "service_id": record.id,
                    "latitude": latitude,
                    "longitude": longitude,
                }));
            }
        }
        services.push(json!({
            "id": record.id,
            "name": record.name,
            "description": record.description,
            "organisation_id": record.organisation_id,
            "organisation_name": record.organisation_name,
            "minimum_age": record.minimum_age,
            "maximum_age": record.maximum_age,
            "need_ids": record.terms.iter().map(|t| t.id).collect::<Vec<_>>(),
        }));
    }
    drop(documents);
    let postcodes = read_postcodes(&dir.join("postcodes.csv"))?;

    db.execute_unprepared(SCHEMA).await?;
    insert(
        db,
        &services,
        "INSERT INTO baseline_services (id, name, description, organisation_id, organisation_name, minimum_age, maximum_age, need_ids) \
         SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(id uuid, name text, description text, organisation_id uuid, organisation_name text, minimum_age integer, maximum_age integer, need_ids uuid[])",
    )
    .await?;
    insert(
        db,
        &locations,
        "INSERT INTO baseline_locations (service_id, latitude, longitude) \
         SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(service_id uuid, latitude double precision, longitude double precision)",
    )
    .await?;
    insert(
        db,
        &postcodes,
        "INSERT INTO baseline_postcodes (postcode, latitude, longitude) \
         SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(postcode text, latitude double precision, longitude double precision) \
         ON CONFLICT (postcode) DO NOTHING",
    )
    .await?;
    db.execute_unprepared(INDEXES).await?;
    Ok(Loaded {
        services: services.len(),
        locations: locations.len(),
        postcodes: postcodes.len(),
    })
}

async fn insert(db: &DatabaseConnection, rows: &[Value], sql: &str) -> anyhow::Result<()> {
    for chunk in rows.chunks(BATCH) {
        let batch = Value::Array(chunk.to_vec()).to_string();
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [batch.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The rows of an ONSPD-shaped CSV (pcds, lat, long), postcodes tidied as
/// Convene tidies them.
fn read_postcodes(path: &Path) -> anyhow::Result<Vec<Value>> {
    use convene_domain::directory::postcodes::Postcode;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rows = Vec::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let parsed = match fields.as_slice() {
            [code, lat, long, ..] => Postcode::parse(code)
                .ok()
                .zip(lat.trim().parse::<f64>().ok())
                .zip(long.trim().parse::<f64>().ok()),
            _ => None,
        };
        let ((postcode, latitude), longitude) = parsed.ok_or_else(|| {
            anyhow!(
                "{} line {}: expected pcds,lat,long",
                path.display(),
                number + 1
            )
        })?;
        rows.push(json!({
            "postcode": postcode.as_str(),
            "latitude": latitude,
            "longitude": longitude,
        }));
    }
    Ok(rows)
}
