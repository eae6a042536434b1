//! The message provider this instance is configured with: the log (the
//! default), GOV.UK Notify, or SMTP. A provider that cannot be built from
//! its settings stops Convene at start with the setting's name, rather
//! than failing message by message.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use convene_domain::sealing::DataKeys;
use convene_jobs::messaging::notify::{NotifyConfig, NotifyProvider};
use convene_jobs::messaging::smtp::{SmtpConfig, SmtpProvider};
use convene_jobs::messaging::{LogProvider, Messenger, Provider};
use secrecy::ExposeSecret;

use crate::config::{Config, MessagesProvider};

/// Every call to a provider gives up after this long.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

pub fn provider(config: &Config) -> anyhow::Result<Arc<dyn Provider>> {
    Ok(match config.messages_provider {
        MessagesProvider::Log => Arc::new(LogProvider),
        MessagesProvider::Notify => {
            let key = config.notify_api_key.expose_secret();
            if key.is_empty() {
                bail!(
                    "invalid configuration: notify_api_key: needed when messages_provider is notify"
                );
            }
            let notify = NotifyConfig {
                api_key: key.to_string(),
                base_url: config.notify_base_url.clone(),
                sms_template_id: config.notify_sms_template_id.clone(),
                email_template_id: config.notify_email_template_id.clone(),
                timeout: PROVIDER_TIMEOUT,
            };
            Arc::new(
                NotifyProvider::new(notify)
                    .map_err(|e| anyhow!("invalid configuration: notify: {e}"))?,
            )
        }
        MessagesProvider::Smtp => {
            let smtp = SmtpConfig {
                url: config.smtp_url.expose_secret().to_string(),
                from: config.smtp_from.clone(),
                timeout: PROVIDER_TIMEOUT,
            };
            Arc::new(
                SmtpProvider::new(smtp).map_err(|e| anyhow!("invalid configuration: smtp: {e}"))?,
            )
        }
    })
}

/// What the worker sends with.
pub fn messenger(
    config: &Config,
    keys: Arc<DataKeys>,
    base_url: &url::Url,
) -> anyhow::Result<Messenger> {
    if config.messages_provider != MessagesProvider::Log && config.base_url.is_none() {
        bail!(
            "invalid configuration: base_url: needed when messages are sent, so links in them reach this instance"
        );
    }
    Ok(Messenger {
        provider: provider(config)?,
        keys: Some(keys),
        base_url: base_url.as_str().trim_end_matches('/').to_string(),
    })
}
