//! `convene-bench`: makes a national-scale directory, serves it as an ORUK
//! feed, and answers the same searches from PostgreSQL full-text search as
//! the baseline Convene is measured against. See `bench/directory.sh` and
//! `docs/benchmarks.md`.

#![allow(clippy::print_stdout)] // a command-line tool reports on stdout

mod baseline;
mod caseload;
mod feed_server;
mod files;
mod generate;
mod geography;
mod load;
mod queries;
mod rng;
mod words;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "convene-bench",
    about = "The national-scale directory benchmark"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a directory: DIR/feed.ndjson (ORUK 3.0 services, one per
    /// line), DIR/postcodes.csv (ONSPD columns) and DIR/queries/*.txt.
    Generate {
        #[arg(long, default_value_t = 150_000)]
        services: usize,
        #[arg(long, default_value_t = 60_000)]
        locations: usize,
        #[arg(long, default_value_t = 8_000)]
        organisations: usize,
        /// Postcodes to search near, besides those of the locations.
        #[arg(long, default_value_t = 2_000)]
        query_postcodes: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve DIR/feed.ndjson as an ORUK feed from memory.
    ServeFeed {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8095")]
        bind: SocketAddr,
    },
    /// Add a caseload to the Convene database at CONVENE_DATABASE_URL (a
    /// directory must be imported first): an account per organisation,
    /// PEOPLE people and REFERRALS referrals. Sealed with the keys in
    /// CONVENE_DATA_KEYS and CONVENE_BLIND_INDEX_KEY. Writes the load
    /// run's credentials to OUT.
    Caseload {
        #[arg(long, default_value_t = 1_000_000)]
        people: usize,
        #[arg(long, default_value_t = 3_000_000)]
        referrals: usize,
        /// Accounts the load run may sign in as.
        #[arg(long, default_value_t = 400)]
        accounts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run a mixed workload of CLIENTS visitors against a running Convene
    /// for SECONDS (or MAX_REQUESTS requests, whichever comes first) and
    /// report per request type.
    Load {
        #[arg(long, default_value = "http://127.0.0.1:8094")]
        base: String,
        #[arg(long, default_value_t = 500)]
        clients: usize,
        #[arg(long, default_value_t = 300)]
        seconds: u64,
        #[arg(long, default_value_t = 2_000_000)]
        max_requests: u64,
        /// Pause between a visitor's requests: at least, in milliseconds.
        #[arg(long, default_value_t = 1_000)]
        think_min_ms: u64,
        /// ... and at most.
        #[arg(long, default_value_t = 3_000)]
        think_max_ms: u64,
        /// Percent of visitors who are families finding support.
        #[arg(long, default_value_t = 60)]
        families: usize,
        /// Percent who are practitioners (each needs an account).
        #[arg(long, default_value_t = 30)]
        practitioners: usize,
        /// The caseload's credentials file.
        #[arg(long)]
        credentials: PathBuf,
        /// The directory's queries folder (DIR/queries).
        #[arg(long)]
        queries: PathBuf,
        /// The server's process, to watch its memory.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Where to write the summary as JSON.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The PostgreSQL full-text baseline.
    #[command(subcommand)]
    Baseline(BaselineCommand),
}

#[derive(Debug, Subcommand)]
enum BaselineCommand {
    /// Load DIR's services and postcodes into the baseline's tables,
    /// replacing what was there.
    Load {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Answer /services?search=&taxonomy_term_id=&minimum_age=&maximum_age=&postcode=&proximity=
    Serve {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value = "127.0.0.1:8096")]
        bind: SocketAddr,
        /// Database connections held open.
        #[arg(long, default_value_t = 16)]
        pool_size: u32,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Generate {
            services,
            locations,
            organisations,
            query_postcodes,
            seed,
            out,
        } => {
            if services < locations || locations < organisations || organisations == 0 {
                anyhow::bail!(
                    "give at least as many services as locations, and as many locations as organisations (at least one)"
                );
            }
            let size = generate::Size {
                services,
                locations,
                organisations,
                query_postcodes,
                seed,
            };
            let written = files::write(size, &out)?;
            println!(
                "{}: {} services ({} MB), {} postcodes",
                out.display(),
                written.services,
                written.feed_bytes / 1_000_000,
                written.postcodes
            );
        }
        Command::Caseload {
            people,
            referrals,
            accounts,
            seed,
            out,
        } => {
            let url = std::env::var("CONVENE_DATABASE_URL")
                .map_err(|_| anyhow::anyhow!("set CONVENE_DATABASE_URL"))?;
            if people < 2 {
                anyhow::bail!("give at least 2 people (a child and a parent)");
            }
            let size = caseload::Size {
                people,
                referrals,
                accounts,
                seed,
            };
            runtime.block_on(caseload::generate(&url, &size, &out))?;
        }
        Command::Load {
            base,
            clients,
            seconds,
            max_requests,
            think_min_ms,
            think_max_ms,
            families,
            practitioners,
            credentials,
            queries,
            server_pid,
            out,
            seed,
        } => {
            if families + practitioners > 100 || clients == 0 || think_min_ms > think_max_ms {
                anyhow::bail!(
                    "give at least one client, families + practitioners of at most 100 percent, and think times in order"
                );
            }
            let settings = load::Settings {
                base,
                clients,
                duration: std::time::Duration::from_secs(seconds),
                max_requests,
                think: (
                    std::time::Duration::from_millis(think_min_ms),
                    std::time::Duration::from_millis(think_max_ms),
                ),
                mix: (families, practitioners, 100 - families - practitioners),
                credentials,
                queries,
                server_pid,
                out,
                seed,
            };
            runtime.block_on(load::run(settings))?;
        }
        Command::ServeFeed { dir, bind } => runtime.block_on(feed_server::serve(&dir, bind))?,
        Command::Baseline(BaselineCommand::Load { database_url, dir }) => {
            runtime.block_on(async {
                let db = baseline::connect(&database_url, 2).await?;
                let loaded = baseline::load::load(&db, &dir).await?;
                println!(
                    "baseline: {} services, {} locations, {} postcodes loaded",
                    loaded.services, loaded.locations, loaded.postcodes
                );
                anyhow::Ok(())
            })?
        }
        Command::Baseline(BaselineCommand::Serve {
            database_url,
            bind,
            pool_size,
        }) => runtime.block_on(async {
            let db = baseline::connect(&database_url, pool_size.clamp(1, 200)).await?;
            baseline::serve::serve(db, bind).await
        })?,
    }
    Ok(())
}
