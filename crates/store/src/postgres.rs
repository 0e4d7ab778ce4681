//! PostgreSQL backend, for installations that outgrow one machine.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::Result;
use crate::changes::{CHANNEL, Change, ChangeHub};
use crate::shared::{HasDatabase, impl_store};

/// Connections of the pool when the caller does not choose.
pub const DEFAULT_POOL_SIZE: u32 = 16;

pub struct PostgresStore {
    pool: PgPool,
    changes: ChangeHub,
    /// Set once the change listener has started; it starts with the first subscriber.
    listening: std::sync::Once,
}

impl HasDatabase for PostgresStore {
    type Database = Postgres;
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        PostgresStore::connect_with_pool_size(url, DEFAULT_POOL_SIZE).await
    }

    /// Connects with at most `pool_size` connections. The change listener, once a live update
    /// stream subscribes, uses one of them.
    pub async fn connect_with_pool_size(url: &str, pool_size: u32) -> Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new().max_connections(pool_size.max(2)).connect_with(options).await?;
        Ok(PostgresStore { pool, changes: ChangeHub::new(), listening: std::sync::Once::new() })
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        let receiver = self.changes.subscribe();
        self.listening.call_once(|| self.changes.listen(self.pool.clone()));
        receiver
    }

    /// Sends the changes with NOTIFY inside the transaction, so PostgreSQL delivers them to
    /// every node's listener when, and only if, the transaction commits.
    async fn announce(&self, transaction: &mut Transaction<'static, Postgres>, changes: &[Change]) -> Result<()> {
        for change in changes {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(change.payload()).execute(&mut **transaction).await?;
        }
        Ok(())
    }

    /// Does nothing: the listener publishes what [`PostgresStore::announce`] sent.
    fn announced(&self, _changes: &[Change]) {}

    async fn open_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    async fn run_migrations(&self) -> Result<()> {
        sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
        Ok(())
    }

    /// Does nothing: PostgreSQL's autovacuum daemon analyzes tables as they change.
    async fn run_optimize(&self) -> Result<()> {
        Ok(())
    }
}

impl_store!(PostgresStore, crate::Backend::Postgres);
