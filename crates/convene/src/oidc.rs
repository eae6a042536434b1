//! `convene oidc`: which organisations sign in with their own provider.

use std::io::BufRead;

use anyhow::{anyhow, bail};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::clock::{Clock, SystemClock};
use convene_store::identity::oidc::{self, OidcSettings};
use convene_store::{Store, audit, organisations};

use crate::accounts::find_organisation;
use crate::cli::{OidcCommand, OidcOrganisationArgs, OidcSetArgs};

pub async fn run(store: &Store, command: &OidcCommand) -> anyhow::Result<()> {
    match command {
        OidcCommand::Set(args) => set(store, args).await,
        OidcCommand::Remove(args) => remove(store, args).await,
        OidcCommand::List => list(store).await,
    }
}

async fn set(store: &Store, args: &OidcSetArgs) -> anyhow::Result<()> {
    let organisation_id = find_organisation(store, &args.organisation)
        .await?
        .ok_or_else(|| anyhow!("there is no organisation {:?}", args.organisation))?;
    let issuer =
        url::Url::parse(args.issuer.trim()).map_err(|e| anyhow!("--issuer is not a URL: {e}"))?;
    if issuer.scheme() != "https" && !matches!(issuer.host_str(), Some("127.0.0.1" | "localhost")) {
        bail!("--issuer must be an https:// URL");
    }
    if args.client_id.trim().is_empty() {
        bail!("--client-id must not be empty");
    }
    let mut secret = String::new();
    std::io::stdin().lock().read_line(&mut secret)?;
    let secret = secret.trim().to_string();
    if secret.is_empty() {
        bail!("give the client secret on standard input, e.g. `convene oidc set ... < secret.txt`");
    }
    let settings = OidcSettings {
        organisation_id,
        issuer_url: issuer.as_str().trim_end_matches('/').to_string(),
        client_id: args.client_id.trim().to_string(),
        client_secret: secret,
    };
    let now = SystemClock.now();
    store
        .transaction(|txn| {
            Box::pin(async move {
                oidc::set(txn, &settings, now).await?;
                let entry = AuditEntry::new(AuditAction::SignInSettingsChanged, now)
                    .on("organisation", organisation_id)
                    .because(format!(
                        "OIDC issuer {} set by the command line",
                        settings.issuer_url
                    ));
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    println!(
        "People of that organisation can now sign in through {}.",
        issuer.as_str().trim_end_matches('/')
    );
    Ok(())
}

async fn remove(store: &Store, args: &OidcOrganisationArgs) -> anyhow::Result<()> {
    let organisation_id = find_organisation(store, &args.organisation)
        .await?
        .ok_or_else(|| anyhow!("there is no organisation {:?}", args.organisation))?;
    let now = SystemClock.now();
    let removed = store
        .transaction(|txn| {
            Box::pin(async move {
                let removed = oidc::remove(txn, organisation_id).await?;
                if removed {
                    let entry = AuditEntry::new(AuditAction::SignInSettingsChanged, now)
                        .on("organisation", organisation_id)
                        .because("OIDC removed by the command line");
                    audit::record_in(txn, entry).await?;
                }
                Ok(removed)
            })
        })
        .await?;
    if removed {
        println!("That organisation's provider sign-in is removed.");
    } else {
        println!("That organisation had no provider sign-in.");
    }
    Ok(())
}

async fn list(store: &Store) -> anyhow::Result<()> {
    for settings in oidc::all(store.conn()).await? {
        let name = organisations::get(store.conn(), settings.organisation_id)
            .await?
            .map(|o| o.details.name)
            .unwrap_or_default();
        println!(
            "{name}\t{}\tclient {}",
            settings.issuer_url, settings.client_id
        );
    }
    Ok(())
}
