//! `convene token create` and `convene invite`: account tasks for operators.

use anyhow::{Context, anyhow, bail};
use chrono::Duration;
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::clock::{Clock, SystemClock};
use convene_domain::identity::accounts::InvitationInput;
use convene_domain::identity::tokens::{hash_secret, new_api_token};
use convene_domain::identity::{Role, Scope};
use convene_domain::ids::new_id;
use convene_domain::organisations::OrganisationInput;
use convene_store::identity::accounts;
use convene_store::identity::credentials::{self, LinkPurpose};
use convene_store::{Store, StoreError, audit, organisations};
use uuid::Uuid;

use crate::cli::{InviteArgs, TokenCreateArgs};
use crate::config::Config;

pub async fn create_token(store: &Store, args: &TokenCreateArgs) -> anyhow::Result<()> {
    let scopes = Scope::parse_list(&args.scopes)?;
    if !(1..=366).contains(&args.expires_days) {
        bail!("--expires-days must be between 1 and 366");
    }
    let email = args.user.trim().to_lowercase();
    let account = accounts::find_by_email(store.conn(), &email)
        .await?
        .filter(|a| a.is_active())
        .ok_or_else(|| anyhow!("there is no active account with the email address {email}"))?;
    let token = new_api_token()?;
    let now = SystemClock.now();
    let expires = now + Duration::days(i64::from(args.expires_days));
    let name = args.name.trim().chars().take(100).collect::<String>();
    let hash = hash_secret(&token);
    let user_id = account.id;
    let stored = store
        .transaction(|txn| {
            Box::pin(async move {
                let stored =
                    credentials::create_token(txn, user_id, &name, &hash, &scopes, expires, now)
                        .await?;
                let entry = AuditEntry::new(AuditAction::TokenCreated, now)
                    .on("api_token", stored.id)
                    .because(format!("created with the command line for {user_id}"));
                audit::record_in(txn, entry).await?;
                Ok(stored)
            })
        })
        .await?;
    println!("{token}");
    eprintln!(
        "Token {} for {} with scopes {}, expiring {}. It is shown only once: store it now.",
        stored.id,
        email,
        Scope::join(&stored.scopes),
        stored.expires_at.format("%Y-%m-%d")
    );
    Ok(())
}

pub async fn invite(store: &Store, config: &Config, args: &InviteArgs) -> anyhow::Result<()> {
    let input = InvitationInput {
        email: args.email.clone(),
        display_name: args.name.clone(),
        role: args.role.clone(),
    };
    let invitation = input.validate(&Role::ALL).map_err(|e| anyhow!("{e}"))?;
    let now = SystemClock.now();
    let (organisation_id, new_organisation) = match find_organisation(store, &args.organisation)
        .await?
    {
        Some(id) => (id, None),
        None => {
            let Some(kind) = &args.create_organisation else {
                bail!(
                    "there is no organisation {:?}; add --create-organisation KIND to create it",
                    args.organisation
                );
            };
            let details = OrganisationInput {
                name: args.organisation.clone(),
                kind: kind.clone(),
                ..Default::default()
            }
            .validate()
            .map_err(|e| anyhow!("{e}"))?;
            let id = new_id();
            (id, Some(details))
        }
    };
    let secret = convene_domain::identity::tokens::random_secret(32)?;
    let link_secret = secret.clone();
    let needs_link = store
        .transaction(|txn| {
            Box::pin(async move {
                if let Some(details) = &new_organisation {
                    organisations::insert(txn, organisation_id, details, now).await?;
                    let entry = AuditEntry::new(AuditAction::OrganisationCreated, now)
                        .on("organisation", organisation_id)
                        .because("created by the command line");
                    audit::record_in(txn, entry).await?;
                }
                let (user_id, needs_link) = accounts::add_to_organisation(
                    txn,
                    &invitation.email,
                    &invitation.display_name,
                    organisation_id,
                    invitation.role,
                    now,
                )
                .await?;
                if needs_link {
                    credentials::store_link(
                        txn,
                        LinkPurpose::Invitation,
                        user_id,
                        &link_secret,
                        now,
                    )
                    .await?;
                }
                let entry = AuditEntry::new(AuditAction::UserInvited, now)
                    .on("account", user_id)
                    .because(format!(
                        "role {} by the command line",
                        invitation.role.code()
                    ));
                audit::record_in(txn, entry).await?;
                Ok::<bool, StoreError>(needs_link)
            })
        })
        .await
        .context("record the invitation")?;
    if needs_link {
        let base = config.effective_base_url(config.bind);
        let link = base
            .join(&format!("/invitations/{secret}"))
            .map(|u| u.to_string())
            .unwrap_or_default();
        println!("{link}");
        eprintln!(
            "Send this link to {}; it works once, for 7 days.",
            args.email.trim()
        );
    } else {
        eprintln!(
            "{} already has a password; they now have the role {}.",
            args.email.trim(),
            args.role
        );
    }
    Ok(())
}

pub async fn find_organisation(store: &Store, name_or_id: &str) -> anyhow::Result<Option<Uuid>> {
    if let Ok(id) = Uuid::parse_str(name_or_id.trim()) {
        return Ok(organisations::get(store.conn(), id).await?.map(|o| o.id));
    }
    let wanted = name_or_id.trim().to_lowercase();
    let matches: Vec<Uuid> = organisations::list(store.conn())
        .await?
        .into_iter()
        .filter(|o| o.details.name.to_lowercase() == wanted)
        .map(|o| o.id)
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => bail!("several organisations are called {name_or_id:?}; give its id instead"),
    }
}
