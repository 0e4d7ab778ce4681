//! SQLite backend: the embedded default. One file in the data directory, WAL journal, and write
//! transactions started with `BEGIN IMMEDIATE` so that concurrent writers queue on the busy
//! timeout instead of failing with "database is locked" when a reader upgrades.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::Result;
use crate::changes::{Change, ChangeHub};
use crate::shared::{HasDatabase, impl_store};

/// How long a writer waits for the lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SqliteStore {
    pool: SqlitePool,
    changes: ChangeHub,
}

impl HasDatabase for SqliteStore {
    type Database = Sqlite;
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        Ok(SqliteStore { pool, changes: ChangeHub::new() })
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Does nothing: an SQLite installation runs one `serve` node, so [`SqliteStore::announced`]
    /// publishes in process after the commit.
    async fn announce(&self, _transaction: &mut Transaction<'static, Sqlite>, _changes: &[Change]) -> Result<()> {
        Ok(())
    }

    fn announced(&self, changes: &[Change]) {
        self.changes.publish(changes);
    }

    async fn open_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn run_migrations(&self) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?;
        Ok(())
    }

    /// Runs `PRAGMA optimize` over every table (the `0x10002` mask, SQLite 3.46 or newer), which
    /// analyzes the tables whose statistics are missing or stale. `analysis_limit` makes ANALYZE
    /// sample about that many index rows per index instead of reading whole tables, so a run
    /// stays short on a large database; both pragmas apply to the one connection that runs them.
    // NOTE: on the one-million-report benchmark these sampled statistics left the public map
    // query at 140 ms, where a full ANALYZE gave 6.5 ms (docs/BENCHMARKS.md).
    async fn run_optimize(&self) -> Result<()> {
        let mut connection = self.pool.acquire().await?;
        sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *connection).await?;
        sqlx::query("PRAGMA optimize = 0x10002").execute(&mut *connection).await?;
        Ok(())
    }
}

impl_store!(SqliteStore, crate::Backend::Sqlite);
