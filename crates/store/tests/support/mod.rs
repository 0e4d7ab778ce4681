//! Fresh, empty stores for the conformance tests, on the throwaway databases of
//! `pomoshnik_test_support`.

use std::sync::Arc;

use pomoshnik_store::{Backend, Store, connect};
use pomoshnik_test_support::{DatabaseKind, TestDatabase};

/// A store on an empty, unmigrated database, and the database it uses.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    // Declared after `store`, so the store is dropped before its database is removed.
    _database: TestDatabase,
}

impl TestStore {
    /// Opens a store on a new database of `kind`. Panics, so the test fails, if the database
    /// cannot be created or opened.
    pub async fn open(kind: DatabaseKind) -> TestStore {
        let database = TestDatabase::create(kind).await;
        let store = connect(database.url())
            .await
            .unwrap_or_else(|error| panic!("failed to open a store on the {kind:?} test database: {error}"));

        let expected_backend = match kind {
            DatabaseKind::Sqlite => Backend::Sqlite,
            DatabaseKind::Postgres => Backend::Postgres,
        };
        assert_eq!(store.backend(), expected_backend);

        TestStore { store, _database: database }
    }
}

/// Runs `scenario` on a fresh store of `kind`; the runner of `on_both_backends!`.
pub async fn with_store(kind: DatabaseKind, scenario: impl AsyncFnOnce(Arc<dyn Store>)) {
    let test_store = TestStore::open(kind).await;
    scenario(test_store.store.clone()).await;
}
