//! The `convene` binary: command line, configuration and wiring.
// A command-line tool talks to its operator on stdout.
#![allow(clippy::print_stdout)]

mod accounts;
mod check;
mod cli;
mod config;
mod demo;
mod export;
mod http_server;
mod import;
mod keys;
mod mail;
mod messaging;
mod oidc;
mod serve;
mod tabular;
mod worker;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use convene_store::audit::{self, Verification};
use convene_store::{Store, backup, redact_url};
use secrecy::ExposeSecret;
use tracing_subscriber::EnvFilter;

use crate::cli::{AuditCommand, Cli, Command, KeysCommand, TokenCommand};
use crate::config::{Config, LogFormat};

// Under load glibc's allocator took about a tenth of the server's CPU,
// much of it merging freed chunks, and the server's memory grew to 2 GB
// (docs/benchmarks.md, 2026-12-03 evening); mimalloc keeps small
// allocations per thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let loaded = match Config::load(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(error) => return fail(&error),
    };
    init_logging(&loaded.config);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&anyhow::anyhow!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(run(cli.command, loaded.config)) {
        Ok(code) => code,
        Err(error) => fail(&error),
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(&config, &args).await.map(|()| ExitCode::SUCCESS),
        Command::Worker => worker::run(&config).await.map(|()| ExitCode::SUCCESS),
        Command::Migrate => {
            let store = connect(&config).await?;
            let pending = store.pending_migrations().await?;
            store.migrate().await.context("apply migrations")?;
            // With the server stopped: the one time reading whole indexes
            // for the planner's statistics blocks nobody.
            let analysed = convene_store::maintenance::refresh_statistics(&store)
                .await
                .context("refresh the query planner's statistics")?;
            println!(
                "Applied {} migration(s); the database is current.",
                pending.len()
            );
            if analysed > 0 {
                println!("Refreshed the query planner's statistics of {analysed} table(s).");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(args) => demo::run(&config, &args).await.map(|()| ExitCode::SUCCESS),
        Command::Config => {
            print!("{}", config.to_toml()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check::run(&config).await,
        Command::Token(TokenCommand::Create(args)) => {
            let store = connect_current(&config).await?;
            accounts::create_token(&store, &args)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Invite(args) => {
            let store = connect_current(&config).await?;
            accounts::invite(&store, &config, &args)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Import(command) => {
            let store = connect_current(&config).await?;
            // Some records refused: the rest went in, but say so in the exit code.
            import::run(&store, &command).await.map(|clean| {
                if clean {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(2)
                }
            })
        }
        Command::Export(command) => {
            let store = connect_current(&config).await?;
            export::run(&store, &command)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Keys(KeysCommand::New) => {
            println!(
                "{}",
                convene_domain::sealing::DataKeys::generate_key()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys(KeysCommand::Check) => {
            let store = connect_current(&config).await?;
            let keys = keys::load_and_verify(&config, &store).await?;
            println!(
                "The data keys match the database; new values are sealed with {:?}.",
                keys.current_id()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys(KeysCommand::Rotate) => {
            let store = connect_current(&config).await?;
            let keys = keys::load(&config)?;
            let rotation = convene_store::people::keys::rotate(&store, &keys)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Re-sealed {} values under {:?}.",
                rotation.resealed,
                keys.current_id()
            );
            if !rotation.retired.is_empty() {
                println!(
                    "Nothing is sealed with {} any more; remove it from the keys.",
                    rotation.retired.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Oidc(command) => {
            let store = connect_current(&config).await?;
            oidc::run(&store, &command)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = connect(&config).await?;
            match audit::verify(store.conn()).await? {
                Verification::Intact { events } => {
                    println!("The audit trail is intact: {events} events, every hash matches.");
                    Ok(ExitCode::SUCCESS)
                }
                Verification::Broken(broken) => {
                    eprintln!("error: the audit trail is broken at {broken}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Backup(args) => {
            let store = connect(&config).await?;
            backup::copy_to(&store, &args.to).await?;
            let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
            println!("Backup written to {} ({size} bytes).", args.to.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Connects and refuses to go on if migrations are pending, so commands
/// that write never write to an out-of-date schema.
async fn connect_current(config: &Config) -> anyhow::Result<Store> {
    let store = connect(config).await?;
    let pending = store.pending_migrations().await?;
    if !pending.is_empty() {
        anyhow::bail!("the database needs migrating first: run `convene migrate`");
    }
    Ok(store)
}

/// Connects to the configured database (without migrating).
async fn connect(config: &Config) -> anyhow::Result<Store> {
    Store::connect(&config.database())
        .await
        .map_err(anyhow::Error::from)
}

/// Prints one line for the operator, without a backtrace.
fn fail(error: &anyhow::Error) -> ExitCode {
    let message = format!("{error:#}");
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // Ignore a second initialisation (only possible in tests).
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The database URL, fit to print.
fn shown_url(config: &Config) -> String {
    redact_url(config.database_url.expose_secret())
}
