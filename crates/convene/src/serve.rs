//! `convene serve`: the web server and, unless `--no-worker`, the background
//! worker, stopping gracefully on SIGTERM or Ctrl-C.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use convene_domain::clock::{SharedClock, SystemClock};
use convene_jobs::Worker;
use convene_store::{Store, instance};
use convene_web::{AppState, WebSettings};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::connect;
use crate::http_server::{ClientLimits, serve_http};

/// How often the search index looks for changes made elsewhere.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

pub async fn run(config: &Config, args: &ServeArgs) -> anyhow::Result<()> {
    ensure_safe_base_url(config, args)?;
    let store = connect(config).await?;
    store.migrate().await.context("apply migrations")?;
    serve(config, args, store, false, |_| {}).await
}

/// Serves `store` until a shutdown signal. `announce` is called with the
/// address once the server is listening.
pub async fn serve(
    config: &Config,
    args: &ServeArgs,
    store: Store,
    demo_mode: bool,
    announce: impl FnOnce(&url::Url),
) -> anyhow::Result<()> {
    let bind = args.bind.unwrap_or(config.bind);
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener
        .local_addr()
        .context("read the listening address")?;
    let base_url = config.effective_base_url(address);
    let clock: SharedClock = Arc::new(SystemClock);
    // A wrong or missing key stops here, before anything is served.
    let keys = Arc::new(crate::keys::load_and_verify(config, &store).await?);

    let mut settings = WebSettings::new(base_url.clone());
    // The database may name the instance (the demo does); else the config.
    settings.instance_name = instance::fact(store.conn(), instance::NAME_FACT)
        .await?
        .unwrap_or_else(|| config.instance_name.clone());
    settings.max_body_bytes = config.max_body_bytes;
    settings.trusted_proxies = config.trusted_proxy_addresses()?;
    settings.import_from_private_addresses = config.import_from_private_addresses;
    settings.session_policy = config.session_policy();
    settings.demo_mode = demo_mode;
    settings.notify_callback_token =
        convene_web::Secret::new(config.notify_callback_token.expose_secret());
    settings.metrics_token = convene_web::Secret::new(config.metrics_token.expose_secret());
    settings.public_limit = convene_web::PublicLimit::new(config.public_requests_per_minute);
    let messenger = crate::messaging::messenger(config, keys.clone(), &base_url)?;
    let started = Instant::now();
    let directory = Arc::new(
        convene_search::load(&store)
            .await
            .context("build the directory search index")?,
    );
    tracing::info!(
        services = directory.len(),
        seconds = started.elapsed().as_secs_f64(),
        "directory search index built"
    );
    let state = AppState {
        store: store.clone(),
        clock: clock.clone(),
        settings: Arc::new(settings),
        mailer: Arc::new(crate::mail::ProviderMailer::new(messenger.provider.clone())),
        directory: directory.clone(),
        keys: keys.clone(),
        service_totals: Arc::default(),
    };
    let keep_days = i64::from(config.retention_years) * 365;
    let worker = (!args.no_worker).then(|| {
        Worker::new(store.clone(), clock)
            .with_keys(keys, keep_days)
            .with_messenger(messenger)
            .spawn()
    });

    tracing::info!(%address, backend = %store.backend(), worker = worker.is_some(), "serving");
    println!("Convene is listening on http://{address}/");
    announce(&base_url);

    let (stop, stopping) = watch::channel(false);
    tokio::spawn(follow_directory(
        store.clone(),
        directory,
        stopped(stopping.clone()),
    ));
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stop.send(true);
    });
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    let limits = ClientLimits {
        headers: Duration::from_secs(config.header_timeout_seconds),
        body: Duration::from_secs(config.body_timeout_seconds),
    };
    let server = serve_http(listener, convene_web::app(state), limits, stopping.clone());
    tokio::select! {
        () = server => {}
        () = async { stopped(stopping).await; tokio::time::sleep(grace).await } => {
            tracing::warn!(seconds = grace.as_secs(), "requests still running after the grace period; stopping anyway");
        }
    }
    if let Some(worker) = worker
        && tokio::time::timeout(grace, worker.shutdown())
            .await
            .is_err()
    {
        tracing::warn!("the background worker did not stop within the grace period");
    }
    store.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Keeps the search index in step with the database: changes made by this
/// instance show at once (its handlers catch up after writing), and changes
/// made by other instances or by `convene import` within a second.
async fn follow_directory(
    store: Store,
    directory: Arc<convene_search::DirectoryIndex>,
    stop: impl std::future::Future<Output = ()>,
) {
    let follow = async {
        let mut every = tokio::time::interval(FOLLOW_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match convene_search::catch_up(&directory, &store).await {
                Ok(0) => {}
                Ok(changes) => tracing::debug!(changes, "search index caught up"),
                Err(error) => tracing::warn!(%error, "search index could not catch up"),
            }
        }
    };
    tokio::select! {
        () = follow => {}
        () = stop => {}
    }
}

pub async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Refuses plain http anywhere but this machine: cookies could not be marked
/// Secure, and sessions would travel in clear. Checked before anything else.
pub fn ensure_safe_base_url(config: &Config, args: &ServeArgs) -> anyhow::Result<()> {
    let base_url = config.effective_base_url(args.bind.unwrap_or(config.bind));
    let local = matches!(
        base_url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]")
    );
    if base_url.scheme() != "https" && !local {
        anyhow::bail!(
            "base_url {base_url} is plain http on an address other than this machine; set base_url to the https:// address people use (behind a TLS proxy)"
        );
    }
    Ok(())
}
