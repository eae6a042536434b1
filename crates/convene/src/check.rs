//! `convene check`: is the database reachable, current and durable?

use std::process::ExitCode;

use convene_store::durability;

use crate::config::Config;
use crate::{connect, shown_url};

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let mut failed: Vec<String> = Vec::new();
    let store = connect(config).await?;
    println!(
        "database: {} at {} is reachable",
        store.backend(),
        shown_url(config)
    );

    match store.pending_migrations().await {
        Ok(pending) if pending.is_empty() => println!("ok    migrations: current"),
        Ok(pending) => {
            println!(
                "FAIL  migrations: {} not applied ({}); run `convene migrate`",
                pending.len(),
                pending.join(", ")
            );
            failed.push("migrations".to_string());
        }
        Err(error) => {
            println!("FAIL  migrations: {error}");
            failed.push("migrations".to_string());
        }
    }

    for check in durability::inspect(&store).await? {
        if check.ok {
            println!("ok    {}: {}", check.setting, check.actual);
        } else {
            println!(
                "FAIL  {}: {} (expected {})",
                check.setting, check.actual, check.expected
            );
            failed.push(check.setting.to_string());
        }
    }
    store.close().await?;

    if failed.is_empty() {
        println!("All checks passed.");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: check failed: {}", failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}
