//! `convene worker`: the background worker on its own, without the web
//! server - for instances that run it apart from the web servers (one or
//! more, on one PostgreSQL). Delivers messages, sends reminders, carries
//! out imports, keeps the database and retention; stops gracefully on
//! SIGTERM or Ctrl-C, finishing the task in hand.

use std::sync::Arc;

use anyhow::Context;
use convene_domain::clock::{SharedClock, SystemClock};
use convene_jobs::Worker;

use crate::config::Config;
use crate::connect;

pub async fn run(config: &Config) -> anyhow::Result<()> {
    // Bad provider settings stop it before anything else happens.
    crate::messaging::provider(config)?;
    let store = connect(config).await?;
    store.migrate().await.context("apply migrations")?;
    let keys = Arc::new(crate::keys::load_and_verify(config, &store).await?);
    let base_url = config.effective_base_url(config.bind);
    let messenger = crate::messaging::messenger(config, keys.clone(), &base_url)?;
    let clock: SharedClock = Arc::new(SystemClock);
    let keep_days = i64::from(config.retention_years) * 365;
    let handle = Worker::new(store.clone(), clock)
        .with_keys(keys, keep_days)
        .with_messenger(messenger)
        .spawn();
    println!("Convene's worker is running; stop it with Ctrl-C.");
    crate::serve::shutdown_signal().await;
    tracing::info!("shutting down: finishing the task in hand");
    handle.shutdown().await;
    store.close().await.context("close the database")?;
    Ok(())
}
