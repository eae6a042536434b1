//! The command line: one binary, a subcommand per job.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "convene",
    version,
    about = "Convene: find support, connect families to it, and show what changes.",
    long_about = "Convene is a platform for school-anchored community partnerships: a directory of \
local support, referrals between organisations with the family's permission on record, reminders, \
and the evidence of what changes.\n\nSettings come from built-in defaults, then convene.toml (or \
--config), then CONVENE_* environment variables. `convene config` shows the result."
)]
pub struct Cli {
    /// Read settings from this TOML file instead of ./convene.toml.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server, with the background worker in the same process.
    Serve(ServeArgs),
    /// Run only the background worker (messages, reminders, imports,
    /// upkeep), for web servers started with --no-worker.
    Worker,
    /// Apply database migrations, refresh SQLite's query-planner
    /// statistics where they are missing or stale (run it after a large
    /// import, with the server stopped), and exit.
    Migrate,
    /// Create (or with --reset recreate) a demo database for a fictional town, then serve it.
    Demo(DemoArgs),
    /// Print the effective configuration, with secrets hidden.
    Config,
    /// Check the database is reachable, migrated and durable; exit non-zero if not.
    Check,
    /// Write a consistent copy of a live SQLite database to a new file.
    Backup(BackupArgs),
    /// Create API tokens for machine clients.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Work with the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Invite someone to an organisation and print their invitation link
    /// (how the first platform administrator gets in).
    Invite(InviteArgs),
    /// Let an organisation's people sign in with its own OpenID Connect provider.
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// Bring data in: directory feeds, ORUK tables and postcodes.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write the directory out: every active, approved service.
    #[command(subcommand)]
    Export(ExportCommand),
    /// The keys that seal personal data at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key (base64) to add to the keys.
    New,
    /// Re-seal all personal data under the current key; afterwards the
    /// keys it names as retired can be removed from the configuration.
    Rotate,
    /// Check the configured keys against the database.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write an Open Referral UK 3.0 feed file: one full service per line
    /// (NDJSON), as `import oruk-file` reads.
    Oruk {
        /// The file to write.
        file: PathBuf,
        /// Overwrite the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Write the Open Referral UK 3.0 tables (services.csv, locations.csv...)
    /// into a folder, as `import oruk-csv` reads.
    OrukCsv {
        /// The folder to write the tables in (made if need be).
        dir: PathBuf,
        /// Overwrite tables that exist.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an Open Referral UK 3.0 feed over HTTP (its base URL, e.g.
    /// https://directory.example/oruk): every page, then every service.
    /// Later runs fetch only services changed since the last complete one.
    Oruk {
        /// The feed's base URL.
        url: String,
        /// Fetch every service, not only those changed since the last import.
        #[arg(long)]
        full: bool,
        /// Requests at once (1 to 32).
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Seconds before any one request is given up.
        #[arg(long, default_value_t = 30)]
        timeout_seconds: u64,
    },
    /// Import a saved Open Referral UK 3.0 feed: one service, a page, an
    /// array of services, or NDJSON. Bad records are reported and skipped
    /// whole; importing the same feed again changes nothing.
    OrukFile {
        /// The file to read.
        file: PathBuf,
    },
    /// Import the Open Referral UK 3.0 tables (services.csv, locations.csv...)
    /// in a folder. Bad rows are reported and the services they belong to
    /// skipped whole; a missing services.csv or required column imports nothing.
    OrukCsv {
        /// The folder holding the tables.
        dir: PathBuf,
    },
    /// Load postcode positions from an ONS postcode directory CSV (ONSPD or
    /// NSPL: columns pcds, lat, long, lsoa21 or lsoa11).
    Postcodes {
        /// The CSV file to read.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum OidcCommand {
    /// Set (or replace) an organisation's provider. The client secret is read
    /// from standard input, so it never appears in the process list or history.
    Set(OidcSetArgs),
    /// Stop an organisation signing in with its provider.
    Remove(OidcOrganisationArgs),
    /// List the organisations that sign in with a provider.
    List,
}

#[derive(Debug, Args)]
pub struct OidcSetArgs {
    /// The organisation's name or id.
    #[arg(long, value_name = "ORGANISATION")]
    pub organisation: String,
    /// The provider's issuer URL (its discovery document is at
    /// ISSUER/.well-known/openid-configuration).
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    #[arg(long, value_name = "ID")]
    pub client_id: String,
}

#[derive(Debug, Args)]
pub struct OidcOrganisationArgs {
    #[arg(long, value_name = "ORGANISATION")]
    pub organisation: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user and print it once.
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The email address of the account the token acts for.
    #[arg(long, value_name = "EMAIL")]
    pub user: String,
    /// Comma-separated scopes: account, admin, audit:read.
    #[arg(long, value_name = "SCOPES")]
    pub scopes: String,
    /// Days until the token expires (1 to 366).
    #[arg(long, value_name = "N", default_value_t = 90)]
    pub expires_days: u32,
    /// A name that says what the token is for.
    #[arg(long, value_name = "NAME", default_value = "API token")]
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every event's hash chain; name the first broken event.
    Verify,
}

#[derive(Debug, Args)]
pub struct InviteArgs {
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    /// Their full name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The organisation's name or id.
    #[arg(long, value_name = "ORGANISATION")]
    pub organisation: String,
    /// Create the organisation with this kind if it does not exist
    /// (school, trust, nhs_trust, council_service, voluntary_organisation, hub, other).
    #[arg(long, value_name = "KIND")]
    pub create_organisation: Option<String>,
    /// platform_admin, coordinator, organisation_admin, practitioner,
    /// safeguarding_lead, volunteer, analyst or viewer.
    #[arg(long, value_name = "ROLE")]
    pub role: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Do not run the background worker in this process (run it elsewhere).
    #[arg(long)]
    pub no_worker: bool,
    /// Listen on this address instead of the configured `bind` (port 0 picks a free port).
    #[arg(long, value_name = "ADDRESS")]
    pub bind: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Delete the demo database's contents and seed it again.
    #[arg(long)]
    pub reset: bool,
    /// Seed the demo data and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist yet.
    #[arg(long, value_name = "PATH")]
    pub to: PathBuf,
}
