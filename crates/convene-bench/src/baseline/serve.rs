//! `baseline serve`: an HTTP JSON endpoint, `/services`, answering the
//! benchmark's queries from PostgreSQL, with the first ten results and
//! how many matched.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use convene_domain::directory::postcodes::Postcode;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::query::{Search, sql};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    search: Option<String>,
    taxonomy_term_id: Option<String>,
    minimum_age: Option<String>,
    maximum_age: Option<String>,
    postcode: Option<String>,
    proximity: Option<String>,
}

fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn age(text: &Option<String>, name: &str) -> Result<Option<i32>, String> {
    given(text)
        .map(|t| {
            t.parse::<i32>()
                .ok()
                .filter(|a| (0..=130).contains(a))
                .ok_or_else(|| format!("{name} must be a whole number from 0 to 130"))
        })
        .transpose()
}

impl Params {
    /// The search asked for, with the postcode still to be placed.
    fn check(&self) -> Result<(Search, Option<(Postcode, f64)>), String> {
        let need = given(&self.taxonomy_term_id)
            .map(|t| Uuid::parse_str(t).map_err(|_| "taxonomy_term_id must be a UUID".to_string()))
            .transpose()?;
        let (ages_from, ages_to) = (
            age(&self.minimum_age, "minimum_age")?,
            age(&self.maximum_age, "maximum_age")?,
        );
        if let (Some(from), Some(to)) = (ages_from, ages_to)
            && from > to
        {
            return Err("maximum_age must be at least minimum_age".into());
        }
        let near = match (given(&self.postcode), given(&self.proximity)) {
            (None, None) => None,
            (Some(code), Some(metres)) => {
                let postcode = Postcode::parse(code)
                    .map_err(|_| "postcode must be a UK postcode".to_string())?;
                let metres = metres
                    .parse::<f64>()
                    .ok()
                    .filter(|m| m.is_finite() && *m > 0.0 && *m <= 1_000_000.0)
                    .ok_or("proximity must be a distance in metres, more than 0")?;
                Some((postcode, metres / 1609.344))
            }
            _ => return Err("postcode and proximity are given together".into()),
        };
        let search = Search {
            words: given(&self.search)
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
            need,
            ages_from,
            ages_to,
            near: None,
        };
        Ok((search, near))
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "message": message } })),
    )
        .into_response()
}

async fn services(State(db): State<DatabaseConnection>, Query(params): Query<Params>) -> Response {
    match answer(&db, &params).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(Failure::Bad(message)) => error(StatusCode::BAD_REQUEST, &message),
        Err(Failure::Database(e)) => {
            eprintln!("baseline query failed: {e}");
            error(StatusCode::INTERNAL_SERVER_ERROR, "the query failed")
        }
    }
}

enum Failure {
    Bad(String),
    Database(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for Failure {
    fn from(e: sea_orm::DbErr) -> Self {
        Failure::Database(e)
    }
}

async fn answer(db: &DatabaseConnection, params: &Params) -> Result<Value, Failure> {
    let (mut search, near) = params.check().map_err(Failure::Bad)?;
    if let Some((postcode, radius)) = near {
        let place = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT latitude, longitude FROM baseline_postcodes WHERE postcode = $1",
                [postcode.as_str().into()],
            ))
            .await?
            .ok_or_else(|| Failure::Bad(format!("postcode {postcode} is not known")))?;
        let lat: f64 = place.try_get("", "latitude")?;
        let long: f64 = place.try_get("", "longitude")?;
        search.near = Some((lat, long, radius));
    }
    let (text, values) = sql(&search);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            text,
            values,
        ))
        .await?;
    let mut total = 0i64;
    let mut contents = Vec::with_capacity(rows.len());
    for row in rows {
        total = row.try_get("", "total")?;
        contents.push(json!({
            "id": row.try_get::<Uuid>("", "id")?,
            "name": row.try_get::<String>("", "name")?,
            "description": row.try_get::<Option<String>>("", "description")?,
            "organization": { "name": row.try_get::<Option<String>>("", "organisation_name")? },
            "minimum_age": row.try_get::<Option<i32>>("", "minimum_age")?,
            "maximum_age": row.try_get::<Option<i32>>("", "maximum_age")?,
            "rank": row.try_get::<f32>("", "rank")?,
            "distance_miles": row.try_get::<Option<f64>>("", "miles")?,
        }));
    }
    Ok(json!({
        "total_items": total,
        "empty": contents.is_empty(),
        "contents": contents,
    }))
}

pub async fn serve(db: DatabaseConnection, bind: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    eprintln!(
        "baseline answering at http://{}/services",
        listener.local_addr()?
    );
    let app = Router::new()
        .route("/services", get(services))
        .with_state(db);
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut params = Params::default();
        for (key, value) in pairs {
            let value = Some(value.to_string());
            match *key {
                "search" => params.search = value,
                "taxonomy_term_id" => params.taxonomy_term_id = value,
                "minimum_age" => params.minimum_age = value,
                "maximum_age" => params.maximum_age = value,
                "postcode" => params.postcode = value,
                "proximity" => params.proximity = value,
                other => panic!("no parameter {other}"),
            }
        }
        params
    }

    #[test]
    fn bad_parameters_are_refused_with_their_name() {
        let cases = [
            (vec![("minimum_age", "-1")], "minimum_age"),
            (vec![("maximum_age", "x")], "maximum_age"),
            (
                vec![("minimum_age", "9"), ("maximum_age", "3")],
                "maximum_age",
            ),
            (vec![("taxonomy_term_id", "food")], "taxonomy_term_id"),
            (vec![("postcode", "LS1 1AA")], "postcode and proximity"),
            (
                vec![("postcode", "nowhere"), ("proximity", "5000")],
                "postcode",
            ),
            (
                vec![("postcode", "LS1 1AA"), ("proximity", "-3")],
                "proximity",
            ),
        ];
        for (pairs, named) in cases {
            let message = params(&pairs).check().unwrap_err();
            assert!(message.contains(named), "{message}");
        }
    }

    #[test]
    fn good_parameters_become_a_search() {
        let (search, near) = params(&[
            ("search", "food bank"),
            ("minimum_age", "5"),
            ("maximum_age", "11"),
            ("postcode", "ls1 1aa"),
            ("proximity", "1609.344"),
        ])
        .check()
        .unwrap();
        assert_eq!(search.words, "food bank");
        assert_eq!((search.ages_from, search.ages_to), (Some(5), Some(11)));
        let (postcode, miles) = near.unwrap();
        assert_eq!(postcode.as_str(), "LS1 1AA");
        assert!((miles - 1.0).abs() < 1e-9);
    }
}
