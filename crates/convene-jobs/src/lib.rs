//! Convene's background work, run inside `convene serve` (unless
//! `--no-worker`) on a schedule.
//!
//! Today the worker keeps the database in good order; the message outbox,
//! reminders, retention and scheduled imports join it as those capabilities
//! arrive, each as another task here.

pub mod feed;
pub mod import;
pub mod import_run;
mod worker;

pub use worker::{Task, Worker, WorkerHandle};
