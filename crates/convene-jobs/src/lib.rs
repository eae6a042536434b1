//! Convene's background work, run inside `convene serve` (unless
//! `--no-worker`) on a schedule.
//!
//! Today the worker keeps the database in good order and carries out the
//! directory imports people ask for; the message outbox, reminders and
//! retention join it as those capabilities arrive, each as another task.

pub mod feed;
pub mod import;
pub mod import_run;
pub mod messaging;
pub mod retention;
mod worker;

pub use worker::{Task, Worker, WorkerHandle};
