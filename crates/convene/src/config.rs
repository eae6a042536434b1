//! Configuration: built-in defaults, then `convene.toml` (or `--config`),
//! then `CONVENE_*` environment variables, later sources winning.
//!
//! Unknown keys in the file are refused (a typo must not be silently
//! ignored); unknown `CONVENE_*` variables are reported as warnings, since the
//! environment is shared with other tools. Bad values give one line naming
//! the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use convene_store::{DatabaseSettings, SqliteSynchronous, redact_url};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

/// The file read when `--config` is not given (if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "convene.toml";

/// Every configuration key; each is also read from `CONVENE_<KEY>`.
pub const KEYS: &[&str] = &[
    "database_url",
    "database_max_connections",
    "sqlite_synchronous",
    "bind",
    "base_url",
    "instance_name",
    "max_body_bytes",
    "header_timeout_seconds",
    "body_timeout_seconds",
    "trusted_proxies",
    "import_from_private_addresses",
    "data_keys",
    "data_key_current",
    "blind_index_key",
    "data_keys_file",
    "retention_years",
    "session_idle_minutes",
    "session_absolute_hours",
    "shutdown_grace_seconds",
    "log_level",
    "log_format",
    "messages_provider",
    "notify_api_key",
    "notify_base_url",
    "notify_sms_template_id",
    "notify_email_template_id",
    "notify_callback_token",
    "smtp_url",
    "smtp_from",
    "metrics_token",
    "public_requests_per_minute",
];

/// Where messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessagesProvider {
    /// Printed on the console and shown on the outbox page (the default).
    Log,
    /// GOV.UK Notify: texts and email.
    Notify,
    /// Email through an SMTP server; no texts.
    Smtp,
}

/// Environment variables that start with `CONVENE_` but are not settings.
const NOT_SETTINGS: &[&str] = &["CONVENE_TEST_"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` (the default) or `postgres://USER:PASSWORD@HOST/DB`.
    #[serde(serialize_with = "serialize_redacted")]
    pub database_url: SecretString,
    pub database_max_connections: u32,
    /// SQLite's `synchronous`: `full` (durable, the default) or `extra`;
    /// `normal` and `off` risk losing acknowledged writes and fail `convene check`.
    pub sqlite_synchronous: SqliteSynchronous,
    /// Address the web server listens on.
    pub bind: SocketAddr,
    /// Where people reach this instance; defaults to `http://` + `bind`.
    pub base_url: Option<Url>,
    /// Shown until the database names the instance itself.
    pub instance_name: String,
    pub max_body_bytes: usize,
    /// A connection whose request headers take longer than this is closed.
    pub header_timeout_seconds: u64,
    /// A request whose body takes longer than this to arrive is refused.
    pub body_timeout_seconds: u64,
    /// Comma-separated addresses of reverse proxies whose X-Forwarded-For
    /// is believed; empty means the connection's own address is used.
    pub trusted_proxies: String,
    /// Let coordinators import feeds from this machine and private networks
    /// (off: the web refuses such addresses, so the server cannot be used
    /// to reach what only it can see).
    pub import_from_private_addresses: bool,
    /// Keys that seal personal data at rest: `id:base64key` pairs, comma
    /// separated. Empty: the keys come from `data_keys_file`.
    #[serde(serialize_with = "serialize_hidden")]
    pub data_keys: SecretString,
    /// The id of the key new values are sealed with (needed when
    /// `data_keys` holds more than one).
    pub data_key_current: String,
    /// The key for blind indexes (lookups of sealed values); base64, 32
    /// bytes. Never changes once personal data is stored.
    #[serde(serialize_with = "serialize_hidden")]
    pub blind_index_key: SecretString,
    /// Where keys are kept when `data_keys` is empty; created with new keys
    /// on first start. Back it up with the database.
    pub data_keys_file: PathBuf,
    /// Years after a person's last referral ends before they are anonymised.
    pub retention_years: u32,
    /// A session unused this long ends.
    pub session_idle_minutes: u32,
    /// No session lives longer than this.
    pub session_absolute_hours: u32,
    /// How long `serve` waits for requests and jobs in flight on shutdown.
    pub shutdown_grace_seconds: u64,
    /// A tracing filter such as `info` or `convene=debug,info`.
    pub log_level: String,
    pub log_format: LogFormat,
    /// `log` (the default), `notify` or `smtp`.
    pub messages_provider: MessagesProvider,
    /// GOV.UK Notify's API key (`name-serviceid-secret`).
    #[serde(serialize_with = "serialize_hidden")]
    pub notify_api_key: SecretString,
    pub notify_base_url: String,
    /// A Notify text template whose content is `((body))`.
    pub notify_sms_template_id: String,
    /// A Notify email template with subject `((subject))` and body `((body))`.
    pub notify_email_template_id: String,
    /// The bearer token set for Notify's callbacks (delivery receipts and
    /// replies); empty: callbacks are refused and delivery is polled.
    #[serde(serialize_with = "serialize_hidden")]
    pub notify_callback_token: SecretString,
    /// `smtps://user:password@host:465` or `smtp://host:587?tls=required`.
    #[serde(serialize_with = "serialize_redacted")]
    pub smtp_url: SecretString,
    /// The sender, like `Convene <no-reply@example.org>`.
    pub smtp_from: String,
    /// The bearer token Prometheus scrapes `/metrics` with; empty: only
    /// from this machine.
    #[serde(serialize_with = "serialize_hidden")]
    pub metrics_token: SecretString,
    /// Requests one client address may make to the public pages (find
    /// support, the ORUK API) a minute; 0 turns the limit off.
    pub public_requests_per_minute: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: SecretString::from("sqlite://data/convene.db"),
            database_max_connections: 10,
            sqlite_synchronous: SqliteSynchronous::Full,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: None,
            instance_name: "Convene".to_string(),
            max_body_bytes: 1024 * 1024,
            header_timeout_seconds: 10,
            body_timeout_seconds: 60,
            trusted_proxies: String::new(),
            import_from_private_addresses: false,
            data_keys: SecretString::from(""),
            data_key_current: String::new(),
            blind_index_key: SecretString::from(""),
            data_keys_file: PathBuf::from("data/convene-keys.toml"),
            retention_years: 7,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            shutdown_grace_seconds: 30,
            log_level: "info".to_string(),
            log_format: LogFormat::Text,
            messages_provider: MessagesProvider::Log,
            notify_api_key: SecretString::from(""),
            notify_base_url: "https://api.notifications.service.gov.uk".to_string(),
            notify_sms_template_id: String::new(),
            notify_email_template_id: String::new(),
            notify_callback_token: SecretString::from(""),
            smtp_url: SecretString::from(""),
            smtp_from: String::new(),
            metrics_token: SecretString::from(""),
            public_requests_per_minute: 600,
        }
    }
}

fn serialize_redacted<S: serde::Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_url(secret.expose_secret()))
}

fn serialize_hidden<S: serde::Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(if secret.expose_secret().is_empty() {
        ""
    } else {
        "(hidden)"
    })
}

/// The loaded configuration and anything worth warning about.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads defaults, the file (the given one must exist; the default one
    /// may not), then the environment.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Loaded> {
        let file: PathBuf = match path {
            Some(path) => {
                if !path.is_file() {
                    bail!("the configuration file {} does not exist", path.display());
                }
                path.to_path_buf()
            }
            None => PathBuf::from(DEFAULT_CONFIG_FILE),
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if file.is_file() {
            figment = figment.merge(Toml::file_exact(&file));
        }
        figment = figment.merge(Env::prefixed("CONVENE_").only(KEYS));
        let warnings = std::env::vars()
            .map(|(name, _)| name)
            .filter(|name| is_unknown_setting(name))
            .map(|name| format!("ignoring unknown environment variable {name}"))
            .collect();
        let config: Config = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {}", describe(&e)))?;
        config.validate()?;
        Ok(Loaded { config, warnings })
    }

    fn validate(&self) -> anyhow::Result<()> {
        let url = self.database_url.expose_secret();
        convene_store::Backend::from_url(url)
            .map_err(|e| anyhow::anyhow!("invalid configuration: database_url: {e}"))?;
        if let Some(base) = &self.base_url
            && !matches!(base.scheme(), "http" | "https")
        {
            bail!("invalid configuration: base_url: must start with http:// or https://");
        }
        if self.database_max_connections == 0 {
            bail!("invalid configuration: database_max_connections: must be at least 1");
        }
        self.trusted_proxy_addresses()?;
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            bail!("invalid configuration: session_idle_minutes: must be between 1 and 1440");
        }
        if !(1..=72).contains(&self.session_absolute_hours) {
            bail!("invalid configuration: session_absolute_hours: must be between 1 and 72");
        }
        if !(1..=100).contains(&self.retention_years) {
            bail!("invalid configuration: retention_years: must be between 1 and 100");
        }
        if self.max_body_bytes < 1024 {
            bail!("invalid configuration: max_body_bytes: must be at least 1024");
        }
        if !(1..=300).contains(&self.header_timeout_seconds) {
            bail!("invalid configuration: header_timeout_seconds: must be between 1 and 300");
        }
        if !(1..=300).contains(&self.body_timeout_seconds) {
            bail!("invalid configuration: body_timeout_seconds: must be between 1 and 300");
        }
        Ok(())
    }

    pub fn trusted_proxy_addresses(&self) -> anyhow::Result<Vec<std::net::IpAddr>> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse().map_err(|_| {
                    anyhow::anyhow!(
                        "invalid configuration: trusted_proxies: {part:?} is not an IP address"
                    )
                })
            })
            .collect()
    }

    pub fn session_policy(&self) -> convene_domain::identity::sessions::SessionPolicy {
        convene_domain::identity::sessions::SessionPolicy {
            idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            absolute: chrono::Duration::hours(i64::from(self.session_absolute_hours)),
        }
    }

    /// Where people reach this instance.
    pub fn effective_base_url(&self, bound: SocketAddr) -> Url {
        self.base_url.clone().unwrap_or_else(|| {
            Url::parse(&format!("http://{bound}/"))
                .unwrap_or_else(|_| Url::parse("http://127.0.0.1/").expect("valid URL"))
        })
    }

    pub fn database(&self) -> DatabaseSettings {
        let mut settings = DatabaseSettings::new(self.database_url.expose_secret().to_string());
        settings.max_connections = self.database_max_connections;
        settings.sqlite_synchronous = self.sqlite_synchronous;
        settings
    }

    /// The effective configuration as TOML, secrets hidden.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        toml::to_string(self).context("render the configuration")
    }
}

fn is_unknown_setting(name: &str) -> bool {
    match name.strip_prefix("CONVENE_") {
        Some(key) => {
            !KEYS.contains(&key.to_ascii_lowercase().as_str())
                && !NOT_SETTINGS.iter().any(|prefix| name.starts_with(prefix))
        }
        None => false,
    }
}

/// Figment's error, on one line, naming the key and where its value came from.
fn describe(error: &figment::Error) -> String {
    let mut parts = Vec::new();
    for e in error.clone() {
        let key = e.path.join(".");
        let source = match &e.metadata {
            // Figment names the whole prefix; name the one variable instead.
            Some(m) if m.name.contains("environment") => {
                format!("CONVENE_{}", key.to_ascii_uppercase())
            }
            Some(m) => m
                .source
                .as_ref()
                .map_or_else(|| m.name.to_string(), |s| s.to_string()),
            None => String::new(),
        };
        let text = e.kind.to_string();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        parts.push(match (key.is_empty(), source.is_empty()) {
            (false, false) => format!("{key}: {text} (from {source})"),
            (false, true) => format!("{key}: {text}"),
            _ => text,
        });
    }
    parts.join("; ")
}
