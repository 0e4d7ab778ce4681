//! Throwaway databases for integration tests: an SQLite file in a temporary directory, or a new
//! PostgreSQL database on a local server that is dropped when the test ends. The
//! [`on_both_backends!`] macro turns one scenario into a test per backend. [`s3::MotoServer`] is
//! an S3-compatible server on loopback for the tests of bucket storage.

pub mod s3;

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tempfile::TempDir;

#[doc(hidden)]
pub use pastey;

/// Environment variable with the URL of a PostgreSQL database that may create and drop databases.
pub const POSTGRES_URL_VARIABLE: &str = "POMOSHNIK_TEST_POSTGRES_URL";

/// The local server with trust authentication, as on a development machine.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The database engine behind a [`TestDatabase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// An empty, unmigrated database that exists until this value is dropped.
///
/// Close every connection to it before dropping it. PostgreSQL databases are dropped `WITH (FORCE)`,
/// so a connection left open is cut instead of keeping the database alive.
pub struct TestDatabase {
    url: String,
    kind: DatabaseKind,
    _resource: Resource,
}

/// What dropping a [`TestDatabase`] removes.
enum Resource {
    Sqlite { _directory: TempDir },
    Postgres { _database: PostgresDatabase },
}

impl TestDatabase {
    /// Creates an empty database of `kind`.
    pub async fn create(kind: DatabaseKind) -> TestDatabase {
        match kind {
            DatabaseKind::Sqlite => TestDatabase::sqlite(),
            DatabaseKind::Postgres => TestDatabase::postgres().await,
        }
    }

    /// Names an SQLite file in a new temporary directory. The file itself is created by the first
    /// connection.
    pub fn sqlite() -> TestDatabase {
        let directory = tempfile::tempdir().expect("failed to create a temporary directory for the SQLite database");
        let url = format!("sqlite://{}/test.db", directory.path().display());

        TestDatabase {
            url,
            kind: DatabaseKind::Sqlite,
            _resource: Resource::Sqlite { _directory: directory },
        }
    }

    /// Creates a database on the PostgreSQL server named by `POMOSHNIK_TEST_POSTGRES_URL`
    /// ([`DEFAULT_POSTGRES_URL`] when unset). Panics, so the test fails, if the server is
    /// unreachable or the user may not create databases.
    pub async fn postgres() -> TestDatabase {
        let admin_url = std::env::var(POSTGRES_URL_VARIABLE).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let database = PostgresDatabase::create(admin_url).await;

        TestDatabase {
            url: database.url(),
            kind: DatabaseKind::Postgres,
            _resource: Resource::Postgres { _database: database },
        }
    }

    /// The URL to connect to, as `pomoshnik_store::connect` accepts it.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }
}

/// Generates `<scenario>_sqlite` and `<scenario>_postgres` tests. Each calls
/// `runner(DatabaseKind::…, scenario).await`, where `runner` is an async function of the test
/// crate that prepares what the scenario takes (a store, a running server) and then runs it.
/// Extra tokens go to `#[tokio::test(...)]`, such as the runtime flavor. The test crate needs
/// `tokio` with the `macros` and `rt` features.
///
/// ```ignore
/// on_both_backends!(with_store => catalog_loads_once);
/// on_both_backends!(with_store => numbers_unique, flavor = "multi_thread", worker_threads = 4);
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($runner:path => $scenario:ident $(, $($test_argument:tt)*)?) => {
        $crate::pastey::paste! {
            #[tokio::test$(($($test_argument)*))?]
            async fn [<$scenario _sqlite>]() {
                $runner($crate::DatabaseKind::Sqlite, $scenario).await;
            }

            #[tokio::test$(($($test_argument)*))?]
            async fn [<$scenario _postgres>]() {
                $runner($crate::DatabaseKind::Postgres, $scenario).await;
            }
        }
    };
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

    fn url(&self) -> String {
        replace_database(&self.admin_url, &self.name)
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

/// Returns `admin_url` with its database name replaced by `database`, keeping any query.
fn replace_database(admin_url: &str, database: &str) -> String {
    let (before_query, query) = match admin_url.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = before_query.find("://").map_or(0, |index| index + 3);
    let authority_end = before_query[authority_start..]
        .find('/')
        .map_or(before_query.len(), |index| authority_start + index);

    let mut url = format!("{}/{database}", &before_query[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_database_in_url() {
        let url = replace_database("postgres://postgres@127.0.0.1:5432/postgres", "pomoshnik_test_x");
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/pomoshnik_test_x");
    }

    #[test]
    fn replace_database_keeps_query() {
        let url = replace_database("postgres://user:secret@db.local/admin?sslmode=disable", "pomoshnik_test_x");
        assert_eq!(url, "postgres://user:secret@db.local/pomoshnik_test_x?sslmode=disable");
    }

    #[test]
    fn replace_database_when_url_has_none() {
        let url = replace_database("postgres://postgres@127.0.0.1:5432", "pomoshnik_test_x");
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/pomoshnik_test_x");
    }
}
