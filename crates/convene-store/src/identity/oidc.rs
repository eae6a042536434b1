//! Organisations' OpenID Connect settings, and sign-ins in progress.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::StoreError;
use crate::entities::{oidc_login, organisation_sign_in};

/// How an organisation's people sign in with its own identity provider.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcSettings {
    pub organisation_id: Uuid,
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("organisation_id", &self.organisation_id)
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[hidden]")
            .finish()
    }
}

pub async fn set<C: ConnectionTrait>(
    conn: &C,
    settings: &OidcSettings,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let model = organisation_sign_in::ActiveModel {
        organisation_id: Set(settings.organisation_id),
        issuer_url: Set(settings.issuer_url.clone()),
        client_id: Set(settings.client_id.clone()),
        client_secret: Set(settings.client_secret.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    organisation_sign_in::Entity::insert(model)
        .on_conflict(
            OnConflict::column(organisation_sign_in::Column::OrganisationId)
                .update_columns([
                    organisation_sign_in::Column::IssuerUrl,
                    organisation_sign_in::Column::ClientId,
                    organisation_sign_in::Column::ClientSecret,
                    organisation_sign_in::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn remove<C: ConnectionTrait>(
    conn: &C,
    organisation_id: Uuid,
) -> Result<bool, StoreError> {
    Ok(organisation_sign_in::Entity::delete_by_id(organisation_id)
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    organisation_id: Uuid,
) -> Result<Option<OidcSettings>, StoreError> {
    Ok(organisation_sign_in::Entity::find_by_id(organisation_id)
        .one(conn)
        .await?
        .map(to_settings))
}

/// Every organisation that signs in with its own provider.
pub async fn all<C: ConnectionTrait>(conn: &C) -> Result<Vec<OidcSettings>, StoreError> {
    Ok(organisation_sign_in::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(to_settings)
        .collect())
}

fn to_settings(model: organisation_sign_in::Model) -> OidcSettings {
    OidcSettings {
        organisation_id: model.organisation_id,
        issuer_url: model.issuer_url,
        client_id: model.client_id,
        client_secret: model.client_secret,
    }
}

/// A sign-in sent to a provider and not yet back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    pub organisation_id: Uuid,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// How long someone has to finish signing in at their provider.
pub const PENDING_LIFETIME_MINUTES: i64 = 10;

pub async fn start_login<C: ConnectionTrait>(
    conn: &C,
    state_hash: &str,
    login: &PendingLogin,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Forget sign-ins abandoned long ago, so the table stays small.
    oidc_login::Entity::delete_many()
        .filter(oidc_login::Column::CreatedAt.lt(now - Duration::minutes(PENDING_LIFETIME_MINUTES)))
        .exec(conn)
        .await?;
    let model = oidc_login::ActiveModel {
        state_hash: Set(state_hash.to_string()),
        organisation_id: Set(login.organisation_id),
        nonce: Set(login.nonce.clone()),
        pkce_verifier: Set(login.pkce_verifier.clone()),
        created_at: Set(now),
    };
    oidc_login::Entity::insert(model)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Takes the sign-in for this `state`: once, and only while it is fresh.
pub async fn take_login<C: ConnectionTrait>(
    conn: &C,
    state_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<PendingLogin>, StoreError> {
    let Some(row) = oidc_login::Entity::find_by_id(state_hash.to_string())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let deleted = oidc_login::Entity::delete_by_id(state_hash.to_string())
        .exec(conn)
        .await?;
    if deleted.rows_affected != 1
        || now - row.created_at > Duration::minutes(PENDING_LIFETIME_MINUTES)
    {
        return Ok(None);
    }
    Ok(Some(PendingLogin {
        organisation_id: row.organisation_id,
        nonce: row.nonce,
        pkce_verifier: row.pkce_verifier,
    }))
}
