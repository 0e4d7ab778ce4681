//! PostgreSQL backend, for installations that outgrow one machine.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::Result;
use crate::shared::{HasDatabase, impl_store};

pub struct PostgresStore {
    pool: PgPool,
}

impl HasDatabase for PostgresStore {
    type Database = Postgres;
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new().max_connections(16).connect_with(options).await?;
        Ok(PostgresStore { pool })
    }

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
