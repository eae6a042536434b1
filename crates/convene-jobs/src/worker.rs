use std::time::Duration;

use chrono::Timelike;
use convene_domain::clock::SharedClock;
use convene_domain::directory::schedules::london_time;
use convene_store::{Store, StoreError, maintenance};

use crate::import_run::{self, RunOptions};
use crate::messaging::Messenger;
use crate::{messaging, retention};
use convene_domain::sealing::DataKeys;
use convene_store::messaging::notices;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The hour (London time) in which the hourly upkeep also refreshes the
/// database's statistics: 03:00-03:59. Runs are an hour apart from when
/// the last one ended, so one falls in this hour on almost every night; a
/// night is missed only when that drift carries a run across it.
pub const QUIET_HOUR: u32 = 3;

/// A task taking at least this long is logged at info level.
const SLOW_TASK_SECONDS: f64 = 1.0;

/// A piece of background work and how often it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Database upkeep (see `convene_store::maintenance::upkeep`).
    DatabaseUpkeep { every: Duration },
    /// Directory imports people have asked for (see `import_run`).
    ImportRuns { every: Duration },
    /// Delivering the outbox, and asking the provider about delivery
    /// where no callback came (see `messaging`).
    Outbox { every: Duration },
    /// Telling organisations of overdue follow-ups (see
    /// `convene_store::messaging::notices`).
    Notices { every: Duration },
    /// Anonymising people whose referrals finished more than `keep_days`
    /// ago (see `retention`). Needs the data keys.
    Retention { every: Duration, keep_days: i64 },
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Self::DatabaseUpkeep { .. } => "database_upkeep",
            Self::ImportRuns { .. } => "import_runs",
            Self::Retention { .. } => "retention",
            Self::Outbox { .. } => "outbox",
            Self::Notices { .. } => "notices",
        }
    }

    fn every(self) -> Duration {
        match self {
            Self::DatabaseUpkeep { every }
            | Self::ImportRuns { every }
            | Self::Outbox { every }
            | Self::Notices { every }
            | Self::Retention { every, .. } => every,
        }
    }

    async fn run(
        self,
        store: &Store,
        clock: &SharedClock,
        messenger: &Messenger,
    ) -> Result<(), StoreError> {
        let keys = messenger.keys.as_deref();
        match self {
            Self::Outbox { .. } => {
                let done = messaging::deliver_due(store, clock, messenger).await?;
                if done.failed > 0 {
                    tracing::warn!(failed = done.failed, "messages could not be delivered");
                }
                messaging::poll_reports(store, clock, messenger.provider.as_ref()).await?;
                Ok(())
            }
            Self::Notices { .. } => {
                // Marking a follow-up told and queuing its notice commit
                // together, or neither does.
                let now = clock.now();
                let told = store
                    .transaction(move |txn| {
                        Box::pin(async move { notices::tell_overdue(txn, now).await })
                    })
                    .await?;
                if told > 0 {
                    tracing::info!(told, "organisations told of overdue follow-ups");
                }
                Ok(())
            }
            Self::Retention { keep_days, .. } => {
                let keys = keys.ok_or_else(|| {
                    StoreError::Sealing("retention needs the data keys".to_string())
                })?;
                let done =
                    retention::run_once(store, keys, clock, chrono::Duration::days(keep_days))
                        .await?;
                if done > 0 {
                    tracing::info!(
                        people = done,
                        "anonymised at the end of their retention period"
                    );
                }
                Ok(())
            }
            Self::DatabaseUpkeep { .. } => {
                let now = clock.now();
                // Statistics hold the write lock while they read: once a
                // night, in the hour fewest people use the service.
                if london_time(now).hour() == QUIET_HOUR {
                    let tables = maintenance::refresh_statistics(store).await?;
                    if tables > 0 {
                        tracing::info!(tables, "query planner statistics refreshed");
                    }
                }
                maintenance::upkeep(store, now).await
            }
            Self::ImportRuns { .. } => {
                // One run at a time, until none is waiting.
                while import_run::work_once(store, clock, &RunOptions::default())
                    .await?
                    .is_some()
                {}
                Ok(())
            }
        }
    }
}

/// Runs tasks on their schedules until told to stop.
#[derive(Debug)]
pub struct Worker {
    store: Store,
    clock: SharedClock,
    tasks: Vec<Task>,
    messenger: Messenger,
}

/// A running worker: ask it to stop, then wait for it.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl WorkerHandle {
    /// Lets the task in progress finish, then stops. Waits for that.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.join.await {
            tracing::error!(%error, "background worker ended abnormally");
        }
    }
}

impl Worker {
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Self {
            store,
            clock,
            tasks: vec![
                Task::DatabaseUpkeep {
                    every: Duration::from_secs(60 * 60),
                },
                Task::ImportRuns {
                    every: Duration::from_secs(2),
                },
                Task::Outbox {
                    every: Duration::from_secs(5),
                },
                Task::Notices {
                    every: Duration::from_secs(10 * 60),
                },
            ],
            messenger: Messenger::log("http://127.0.0.1:8080"),
        }
    }

    /// Sends through `messenger`'s provider (the log by default), with
    /// links to its address. Keeps the data keys already given.
    pub fn with_messenger(mut self, messenger: Messenger) -> Self {
        let keys = self.messenger.keys.take();
        self.messenger = messenger;
        if self.messenger.keys.is_none() {
            self.messenger.keys = keys;
        }
        self
    }

    /// Gives the worker the data keys and, with them, the retention task
    /// (daily), anonymising people `keep_days` after their referrals end.
    pub fn with_keys(mut self, keys: Arc<DataKeys>, keep_days: i64) -> Self {
        self.messenger.keys = Some(keys);
        self.tasks.push(Task::Retention {
            every: Duration::from_secs(24 * 60 * 60),
            keep_days,
        });
        self
    }

    /// Replaces the task list (tests use short intervals).
    pub fn with_tasks(mut self, tasks: Vec<Task>) -> Self {
        self.tasks = tasks;
        self
    }

    /// Starts the worker on the current runtime. Every task runs once at
    /// start, then on its interval.
    pub fn spawn(self) -> WorkerHandle {
        let (stop, stopped) = watch::channel(false);
        let join = tokio::spawn(self.run(stopped));
        WorkerHandle { stop, join }
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        tracing::info!(tasks = self.tasks.len(), "background worker started");
        let mut due: Vec<tokio::time::Instant> =
            vec![tokio::time::Instant::now(); self.tasks.len()];
        loop {
            for (task, due_at) in self.tasks.iter().zip(due.iter_mut()) {
                if *stopped.borrow() {
                    break;
                }
                let started = tokio::time::Instant::now();
                if started >= *due_at {
                    let result = task.run(&self.store, &self.clock, &self.messenger).await;
                    let seconds = started.elapsed().as_secs_f64();
                    // A long task may be holding the database from the
                    // requests: say so where an operator will see it.
                    if seconds >= SLOW_TASK_SECONDS {
                        tracing::info!(task = task.name(), seconds, "a background task took long");
                    }
                    match result {
                        Ok(()) => tracing::debug!(task = task.name(), seconds, "task done"),
                        Err(error) => {
                            tracing::warn!(task = task.name(), %error, "task failed; will retry on schedule")
                        }
                    }
                    *due_at = tokio::time::Instant::now() + task.every();
                }
            }
            let Some(next) = due.iter().min().copied() else {
                // No tasks: just wait to be stopped.
                let _ = stopped.wait_for(|stop| *stop).await;
                break;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = stopped.wait_for(|stop| *stop) => break,
            }
            if *stopped.borrow() {
                break;
            }
        }
        tracing::info!("background worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use convene_domain::clock::ManualClock;
    use convene_store::instance;
    use convene_store::testing::TestDatabase;

    use super::*;

    #[tokio::test]
    async fn runs_upkeep_on_schedule_and_stops_when_asked() {
        let db = TestDatabase::sqlite();
        let store = db.store().await;
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap());
        let handle = Worker::new(store.clone(), Arc::new(clock.clone()))
            .with_tasks(vec![Task::DatabaseUpkeep {
                every: Duration::from_millis(20),
            }])
            .spawn();

        let first = wait_for_upkeep(&store, None).await;
        assert_eq!(first, "2026-11-23T03:00:00+00:00");
        // 03:00 in London: the quiet hour, when statistics are refreshed.
        assert!(statistics_rows(&store).await > 0);
        // It runs again on its interval, at the clock's new time.
        clock.advance(chrono::Duration::hours(1));
        let second = wait_for_upkeep(&store, Some(&first)).await;
        assert_eq!(second, "2026-11-23T04:00:00+00:00");

        tokio::time::timeout(Duration::from_secs(10), handle.shutdown())
            .await
            .expect("the worker stops when asked");
    }

    #[tokio::test]
    async fn statistics_wait_for_the_quiet_hour() {
        let db = TestDatabase::sqlite();
        let store = db.store().await;
        // 09:00 in London (GMT in November): a busy hour.
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
        let handle = Worker::new(store.clone(), Arc::new(clock))
            .with_tasks(vec![Task::DatabaseUpkeep {
                every: Duration::from_secs(3600),
            }])
            .spawn();
        wait_for_upkeep(&store, None).await;
        handle.shutdown().await;
        assert_eq!(statistics_rows(&store).await, 0);
    }

    /// Rows of SQLite's planner statistics (0 when it has none at all).
    async fn statistics_rows(store: &Store) -> i64 {
        use convene_store::ConnectionTrait;
        let conn = store.conn();
        let query = |sql: &str| {
            conn.query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql.to_string(),
            ))
        };
        let exists: i64 = query("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        if exists == 0 {
            return 0;
        }
        query("SELECT count(*) FROM sqlite_stat1")
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap()
    }

    async fn wait_for_upkeep(store: &Store, after: Option<&str>) -> String {
        for _ in 0..500 {
            let fact = instance::fact(store.conn(), maintenance::LAST_UPKEEP_FACT)
                .await
                .unwrap();
            if let Some(value) = fact
                && Some(value.as_str()) != after
            {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("upkeep did not run");
    }
}
