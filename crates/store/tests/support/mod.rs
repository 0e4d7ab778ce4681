//! Fresh, empty stores for the conformance tests: an SQLite file in a temporary directory, or a
//! new PostgreSQL database on the local server that is dropped when the test ends.

use std::sync::Arc;

use pomoshnik_store::{Backend, Store, connect};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tempfile::TempDir;

/// Environment variable with the URL of a PostgreSQL database that may create and drop databases.
pub const POSTGRES_URL_VARIABLE: &str = "POMOSHNIK_TEST_POSTGRES_URL";

/// The local server with trust authentication, as on a development machine.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A store on an empty, unmigrated database, and the resource that removes that database.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    // Declared after `store`, so the store is dropped before its database is removed.
    _database: TestDatabase,
}

/// The resource behind a test store, kept only so that dropping it removes the database.
enum TestDatabase {
    Sqlite { _directory: TempDir },
    Postgres { _database: PostgresDatabase },
}

/// Opens a store on a new SQLite file in a temporary directory.
pub async fn sqlite_store() -> TestStore {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory for the SQLite database");
    let url = format!("sqlite://{}/test.db", directory.path().display());
    let store = connect(&url)
        .await
        .unwrap_or_else(|error| panic!("failed to open SQLite store {url}: {error}"));
    assert_eq!(store.backend(), Backend::Sqlite);

    TestStore {
        store,
        _database: TestDatabase::Sqlite { _directory: directory },
    }
}

/// Opens a store on a new database of the PostgreSQL server named by `POMOSHNIK_TEST_POSTGRES_URL`.
/// Panics, so the test fails, if the server is unreachable.
pub async fn postgres_store() -> TestStore {
    let admin_url = std::env::var(POSTGRES_URL_VARIABLE).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let database = PostgresDatabase::create(admin_url).await;
    let url = database.url();
    let store = connect(&url)
        .await
        .unwrap_or_else(|error| panic!("failed to open PostgreSQL store on database {}: {error}", database.name));
    assert_eq!(store.backend(), Backend::Postgres);

    TestStore {
        store,
        _database: TestDatabase::Postgres { _database: database },
    }
}

/// A database created for one test. Dropping it drops the database, also when the test panics.
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl PostgresDatabase {
    async fn create(admin_url: String) -> PostgresDatabase {
        let name = format!("pomoshnik_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_connection(&admin_url).await;
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|error| panic!("failed to create test database {name}: {error}"));
        admin.close().await.ok();

        PostgresDatabase { admin_url, name }
    }

    /// Returns the admin URL with the database name replaced by this test's database.
    fn url(&self) -> String {
        let (before_query, query) = match self.admin_url.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (self.admin_url.as_str(), None),
        };
        let authority_start = before_query.find("://").map_or(0, |index| index + 3);
        let authority_end = before_query[authority_start..]
            .find('/')
            .map_or(before_query.len(), |index| authority_start + index);

        let mut url = format!("{}/{}", &before_query[..authority_end], self.name);
        if let Some(query) = query {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();

        // Drop may run inside the test's runtime, where blocking on a future is not allowed, so a
        // separate thread with its own runtime sends the DROP and this thread waits for it.
        let outcome = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.map_err(|error| error.to_string())?;
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
                    .execute(&mut admin)
                    .await
                    .map_err(|error| error.to_string())?;
                admin.close().await.ok();
                Ok(())
            })
        })
        .join();

        // Panicking here could abort a test that is already unwinding, so failures are only printed.
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("failed to drop test database {}: {error}", self.name),
            Err(_) => eprintln!("failed to drop test database {}: the cleanup thread panicked", self.name),
        }
    }
}

async fn admin_connection(admin_url: &str) -> PgConnection {
    let options: PgConnectOptions = admin_url
        .parse()
        .unwrap_or_else(|error| panic!("invalid PostgreSQL URL in {POSTGRES_URL_VARIABLE}: {error}"));
    let server = format!("{}:{}", options.get_host(), options.get_port());

    PgConnection::connect_with(&options).await.unwrap_or_else(|error| {
        panic!(
            "failed to connect to PostgreSQL at {server}: {error}. Start PostgreSQL, or set {POSTGRES_URL_VARIABLE} to the URL of a \
             server where this user may create databases (default {DEFAULT_POSTGRES_URL})"
        )
    })
}
