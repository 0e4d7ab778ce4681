//! `pomoshnik copy-to-postgres`: moves an embedded installation (SQLite and the local file
//! store) to a scaled-out one (PostgreSQL and an S3 bucket or a shared file store). Every table
//! is copied with its ids, the identity sequences are advanced past them, every stored file is
//! copied, and then both sides are compared: row counts and a SHA-256 per table, and a SHA-256
//! per file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use futures_util::TryStreamExt;
use pomoshnik_media::{ByteStream, FileStore, S3Config};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Row};

/// Rows inserted by one statement; 1000 rows of the widest table stay far below PostgreSQL's
/// limit of 65535 parameters.
const ROWS_PER_INSERT: usize = 1000;

/// The migrations' bookkeeping table, which `migrate` fills on the target itself.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Names of the derived images kept next to an original.
const DERIVED_NAMES: [&str; 2] = [pomoshnik_media::PREVIEW_FILE_NAME, pomoshnik_media::THUMBNAIL_FILE_NAME];

/// Counts of the rows and files that [`copy_installation`] copied and verified.
#[derive(Debug, Default)]
pub struct CopySummary {
    /// Rows per table, equal on both sides.
    pub rows: BTreeMap<String, u64>,
    /// Originals and derived images copied, and their total size in bytes.
    pub files: u64,
    pub file_bytes: u64,
}

/// Source and target of a copy.
pub struct CopyRequest<'a> {
    /// URL of the source SQLite database, `sqlite://PATH`.
    pub source_database_url: &'a str,
    /// Root of the source file store, `<data-dir>/files`.
    pub source_files: &'a Path,
    /// URL of the target PostgreSQL database; it must have no rows in any table.
    pub target_database_url: &'a str,
    /// Root of the target file store; with a bucket, where files are staged before upload.
    pub target_files: &'a Path,
    /// The target's bucket, when the scaled-out nodes keep files in S3.
    pub target_s3: Option<&'a S3Config>,
}

/// The type of a column as the copy reads and writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Float,
    Boolean,
    Text,
}

#[derive(Debug)]
struct Table {
    name: String,
    /// Columns in the target's order, with their kinds.
    columns: Vec<(String, Kind)>,
    primary_key: Vec<String>,
    /// The column filled by an identity sequence, if any.
    identity: Option<String>,
}

/// One value read from either database.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Text(String),
}

impl Value {
    /// Appends the value to a checksum in a form that does not depend on the database: a tag,
    /// then the value, with text length-prefixed.
    fn feed(&self, hasher: &mut Sha256) {
        match self {
            Value::Null => hasher.update(b"N"),
            Value::Integer(number) => hasher.update(format!("I{number};")),
            Value::Float(number) => hasher.update(format!("F{:016x};", number.to_bits())),
            Value::Boolean(flag) => hasher.update(if *flag { b"B1" } else { b"B0" }),
            Value::Text(text) => {
                hasher.update(format!("T{}:", text.len()));
                hasher.update(text.as_bytes());
            }
        }
    }
}

/// Copies the database and the files, then verifies the copy. Fails before writing anything
/// when the target database has rows in any table.
pub async fn copy_installation(request: &CopyRequest<'_>) -> anyhow::Result<CopySummary> {
    if !request.source_database_url.starts_with("sqlite:") {
        bail!("the source must be an embedded installation (sqlite://…), not {}", redact(request.source_database_url));
    }
    let source_options: SqliteConnectOptions = request.source_database_url.parse().context("invalid source database URL")?;
    let source = SqlitePoolOptions::new().max_connections(2).connect_with(source_options.read_only(true)).await.context("cannot open the source database")?;
    let target = PgPoolOptions::new().max_connections(2).connect(request.target_database_url).await.context("cannot connect to the target database")?;

    let tables = target_tables(&target).await?;
    check_same_tables(&source, &tables).await?;
    check_target_empty(&target, &tables).await?;

    let mut summary = CopySummary::default();
    let mut transaction = target.begin().await?;
    for table in &tables {
        let rows = copy_table(&source, &mut transaction, table).await?;
        tracing::info!(table = %table.name, rows, "copied table");
    }
    transaction.commit().await.context("failed to commit the copy")?;
    advance_sequences(&target, &tables).await?;

    for table in &tables {
        let (source_count, source_sum) = sqlite_checksum(&source, table).await?;
        let (target_count, target_sum) = postgres_checksum(&target, table).await?;
        if source_count != target_count {
            bail!("table {}: {source_count} rows in the source but {target_count} in the target", table.name);
        }
        if source_sum != target_sum {
            bail!("table {}: the checksums differ (source {source_sum}, target {target_sum})", table.name);
        }
        summary.rows.insert(table.name.clone(), source_count);
    }

    let referenced: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT storage_key FROM files").fetch_all(&source).await?;
    let source_files = FileStore::open(request.source_files).await.with_context(|| format!("cannot open the source files {}", request.source_files.display()))?;
    let target_files = match request.target_s3 {
        Some(s3) => {
            // Uploading removes the staged copies, which must not be the source's files.
            let same = match (tokio::fs::canonicalize(request.source_files).await, tokio::fs::canonicalize(request.target_files).await) {
                (Ok(source), Ok(target)) => source == target,
                _ => false,
            };
            if same {
                bail!("with a bucket the target data directory must differ from the source data directory");
            }
            FileStore::open_with_s3(request.target_files, s3).await.with_context(|| format!("cannot open the bucket s3://{}", s3.bucket))?
        }
        None => FileStore::open(request.target_files).await.with_context(|| format!("cannot open the target files {}", request.target_files.display()))?,
    };
    let copied = copy_files(&source_files, &target_files, referenced.into_iter().map(|(key,)| key).collect()).await?;
    summary.files = copied.files;
    summary.file_bytes = copied.bytes;

    source.close().await;
    target.close().await;
    Ok(summary)
}

/// Totals of [`copy_files`].
#[derive(Debug, Default, Clone, Copy)]
pub struct FileCopy {
    pub files: u64,
    pub bytes: u64,
}

/// Copies every stored original (those `referenced` by file records and any other under
/// `originals/`) and its derived images from `source` to `target`, and checks the SHA-256 of each
/// copy against the source. Fails when a referenced original is missing from the source.
///
/// Each file is copied into the target's directory and then committed, which moves it to the
/// target's bucket when it has one; the check reads the copy back through the target store.
pub async fn copy_files(source: &FileStore, target: &FileStore, referenced: BTreeSet<String>) -> anyhow::Result<FileCopy> {
    let mut keys = referenced;
    keys.extend(source.originals_older_than(std::time::Duration::ZERO).await.context("cannot list the source files")?);

    let mut totals = FileCopy::default();
    for key in &keys {
        let from = source.path_of(key).with_context(|| format!("invalid storage key {key:?} in the source"))?;
        let to = target.path_of(key).with_context(|| format!("invalid storage key {key:?}"))?;
        if !tokio::fs::try_exists(&from).await? {
            bail!("the source has no file {key} although a file record refers to it");
        }
        totals.bytes += copy_verified(&from, &to).await?;
        totals.files += 1;
        let mut derived = Vec::new();
        if let (Some(derived_from), Some(derived_to)) = (source.derived_dir_of(key), target.derived_dir_of(key)) {
            for name in DERIVED_NAMES {
                let from = derived_from.join(name);
                if tokio::fs::try_exists(&from).await? {
                    totals.bytes += copy_verified(&from, &derived_to.join(name)).await?;
                    totals.files += 1;
                    derived.push((name, from));
                }
            }
        }

        target.commit(key).await.with_context(|| format!("cannot store {key} in the target"))?;
        let stored = target.read(key).await.with_context(|| format!("cannot read {key} back from the target"))?;
        check_stored(key, &from, stored).await?;
        for (name, from) in derived {
            let stored = target.read_derived(key, name).await.with_context(|| format!("cannot read {name} of {key} back from the target"))?;
            check_stored(&format!("{key} ({name})"), &from, stored).await?;
        }
    }
    Ok(totals)
}

/// Compares the SHA-256 of a file read back from the target store with the source file's.
async fn check_stored(what: &str, source: &Path, mut stored: ByteStream) -> anyhow::Result<()> {
    let mut hasher = Sha256::new();
    while let Some(chunk) = stored.try_next().await? {
        hasher.update(&chunk);
    }
    let stored_hash = hex::encode(hasher.finalize());
    let source_hash = file_sha256(source).await?;
    if stored_hash != source_hash {
        bail!("the stored copy of {what} differs from the source (SHA-256 {stored_hash} instead of {source_hash})");
    }
    Ok(())
}

/// Copies one file through a temporary name (skipped when both paths are the same file) and
/// checks that the target's SHA-256 equals the source's. Returns the size.
async fn copy_verified(from: &Path, to: &Path) -> anyhow::Result<u64> {
    let same_file = match (tokio::fs::canonicalize(from).await, tokio::fs::canonicalize(to).await) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same_file {
        let parent = to.parent().context("a stored file has no parent directory")?;
        tokio::fs::create_dir_all(parent).await.with_context(|| format!("cannot create {}", parent.display()))?;
        let partial: PathBuf = to.with_extension("copy-part");
        tokio::fs::copy(from, &partial).await.with_context(|| format!("cannot copy {} to {}", from.display(), partial.display()))?;
        tokio::fs::rename(&partial, to).await.with_context(|| format!("cannot move {} into place", to.display()))?;
    }
    let source_hash = file_sha256(from).await?;
    let target_hash = file_sha256(to).await?;
    if source_hash != target_hash {
        bail!("the copy {} differs from {} (SHA-256 {target_hash} instead of {source_hash})", to.display(), from.display());
    }
    Ok(tokio::fs::metadata(to).await?.len())
}

async fn file_sha256(path: &Path) -> anyhow::Result<String> {
    use tokio::io::AsyncReadExt;

    let mut file = tokio::fs::File::open(path).await.with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Reads the tables of the (migrated) target, parents before the tables that refer to them.
async fn target_tables(target: &PgPool) -> anyhow::Result<Vec<Table>> {
    let names: Vec<(String,)> = sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() AND tablename <> $1 ORDER BY tablename")
        .bind(MIGRATIONS_TABLE)
        .fetch_all(target)
        .await?;
    if names.is_empty() {
        bail!("the target database has no tables; run `pomoshnik migrate` against it first or let this command do it");
    }
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint \
         WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
    )
    .fetch_all(target)
    .await?;

    let mut tables = Vec::new();
    for (name,) in &names {
        let columns: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text, is_identity::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(name)
        .fetch_all(target)
        .await?;
        let mut kinds = Vec::new();
        let mut identity = None;
        for (column, data_type, is_identity) in columns {
            let kind = match data_type.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Integer,
                "double precision" | "real" => Kind::Float,
                "boolean" => Kind::Boolean,
                "text" | "character varying" => Kind::Text,
                other => bail!("column {name}.{column} has type {other}, which the copy does not handle"),
            };
            if is_identity == "YES" {
                identity = Some(column.clone());
            }
            kinds.push((column, kind));
        }
        let primary_key: Vec<(String,)> = sqlx::query_as(
            "SELECT attribute.attname::text FROM pg_index index \
             JOIN pg_attribute attribute ON attribute.attrelid = index.indrelid AND attribute.attnum = ANY(index.indkey) \
             WHERE index.indrelid = $1::regclass AND index.indisprimary \
             ORDER BY array_position(index.indkey::int2[], attribute.attnum)",
        )
        .bind(name)
        .fetch_all(target)
        .await?;
        let primary_key: Vec<String> = if primary_key.is_empty() { kinds.iter().map(|(column, _)| column.clone()).collect() } else { primary_key.into_iter().map(|(column,)| column).collect() };
        tables.push(Table { name: name.clone(), columns: kinds, primary_key, identity });
    }
    order_by_references(tables, &references)
}

/// Sorts the tables so that each comes after every table it refers to. A table's references to
/// itself (a duplicate report to its original) are left to the id order of its rows.
fn order_by_references(mut remaining: Vec<Table>, references: &[(String, String)]) -> anyhow::Result<Vec<Table>> {
    let mut ordered: Vec<Table> = Vec::new();
    while !remaining.is_empty() {
        let placed: BTreeSet<String> = ordered.iter().map(|table| table.name.clone()).collect();
        let ready = remaining.iter().position(|table| {
            references.iter().filter(|(from, to)| *from == table.name && *to != table.name).all(|(_, to)| placed.contains(to))
        });
        match ready {
            Some(index) => ordered.push(remaining.remove(index)),
            None => bail!("the foreign keys of the target tables form a cycle; the copy cannot order them"),
        }
    }
    Ok(ordered)
}

async fn check_same_tables(source: &SqlitePool, tables: &[Table]) -> anyhow::Result<()> {
    let names: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> $1")
        .bind(MIGRATIONS_TABLE)
        .fetch_all(source)
        .await?;
    let source_names: BTreeSet<String> = names.into_iter().map(|(name,)| name).collect();
    let target_names: BTreeSet<String> = tables.iter().map(|table| table.name.clone()).collect();
    if source_names != target_names {
        let missing: Vec<&String> = source_names.difference(&target_names).collect();
        let extra: Vec<&String> = target_names.difference(&source_names).collect();
        bail!(
            "the source and target schemas differ (only in the source: {missing:?}, only in the target: {extra:?}); \
             run the same version of pomoshnik against both"
        );
    }
    Ok(())
}

async fn check_target_empty(target: &PgPool, tables: &[Table]) -> anyhow::Result<()> {
    for table in tables {
        let (rows,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT count(*) FROM {}", quote(&table.name)))).fetch_one(target).await?;
        if rows > 0 {
            bail!("the target database is not empty: table {} has {rows} rows; copy into a new database", table.name);
        }
    }
    Ok(())
}

fn column_list(table: &Table) -> String {
    table.columns.iter().map(|(column, _)| quote(column)).collect::<Vec<_>>().join(", ")
}

/// Builds the ORDER BY of a checksum. Text sorts by bytes on both sides (`COLLATE "C"` on PostgreSQL,
/// SQLite's default `BINARY`), so both read the rows in the same order.
fn order_by(table: &Table, postgres: bool) -> String {
    let kinds: BTreeMap<&str, Kind> = table.columns.iter().map(|(column, kind)| (column.as_str(), *kind)).collect();
    let terms: Vec<String> = table
        .primary_key
        .iter()
        .map(|column| match (postgres, kinds.get(column.as_str())) {
            (true, Some(Kind::Text)) => format!("{} COLLATE \"C\"", quote(column)),
            _ => quote(column),
        })
        .collect();
    terms.join(", ")
}

fn read_sqlite(row: &sqlx::sqlite::SqliteRow, index: usize, kind: Kind) -> anyhow::Result<Value> {
    let value = match kind {
        Kind::Integer => row.try_get::<Option<i64>, _>(index)?.map(Value::Integer),
        Kind::Float => row.try_get::<Option<f64>, _>(index)?.map(Value::Float),
        Kind::Boolean => row.try_get::<Option<bool>, _>(index)?.map(Value::Boolean),
        Kind::Text => row.try_get::<Option<String>, _>(index)?.map(Value::Text),
    };
    Ok(value.unwrap_or(Value::Null))
}

fn read_postgres(row: &sqlx::postgres::PgRow, index: usize, kind: Kind) -> anyhow::Result<Value> {
    let value = match kind {
        Kind::Integer => row.try_get::<Option<i64>, _>(index)?.map(Value::Integer),
        Kind::Float => row.try_get::<Option<f64>, _>(index)?.map(Value::Float),
        Kind::Boolean => row.try_get::<Option<bool>, _>(index)?.map(Value::Boolean),
        Kind::Text => row.try_get::<Option<String>, _>(index)?.map(Value::Text),
    };
    Ok(value.unwrap_or(Value::Null))
}

async fn copy_table(source: &SqlitePool, target: &mut sqlx::PgConnection, table: &Table) -> anyhow::Result<u64> {
    let select = format!("SELECT {} FROM {} ORDER BY {}", column_list(table), quote(&table.name), order_by(table, false));
    let mut rows = sqlx::query(AssertSqlSafe(select)).fetch(source);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(ROWS_PER_INSERT);
    let mut copied = 0u64;
    while let Some(row) = rows.try_next().await? {
        let mut values = Vec::with_capacity(table.columns.len());
        for (index, (_, kind)) in table.columns.iter().enumerate() {
            values.push(read_sqlite(&row, index, *kind).with_context(|| format!("cannot read a row of {}", table.name))?);
        }
        batch.push(values);
        if batch.len() == ROWS_PER_INSERT {
            copied += insert_rows(target, table, &batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        copied += insert_rows(target, table, &batch).await?;
    }
    Ok(copied)
}

async fn insert_rows(target: &mut sqlx::PgConnection, table: &Table, rows: &[Vec<Value>]) -> anyhow::Result<u64> {
    let width = table.columns.len();
    let tuples: Vec<String> = (0..rows.len())
        .map(|row| {
            let placeholders: Vec<String> = (1..=width).map(|column| format!("${}", row * width + column)).collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    // The ids are copied as they are, so identity columns take the given values.
    let overriding = if table.identity.is_some() { " OVERRIDING SYSTEM VALUE" } else { "" };
    let sql = format!("INSERT INTO {} ({}){overriding} VALUES {}", quote(&table.name), column_list(table), tuples.join(", "));
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for row in rows {
        for (value, (_, kind)) in row.iter().zip(&table.columns) {
            query = match (value, kind) {
                (Value::Null, Kind::Integer) => query.bind(None::<i64>),
                (Value::Null, Kind::Float) => query.bind(None::<f64>),
                (Value::Null, Kind::Boolean) => query.bind(None::<bool>),
                (Value::Null, Kind::Text) => query.bind(None::<String>),
                (Value::Integer(number), _) => query.bind(*number),
                (Value::Float(number), _) => query.bind(*number),
                (Value::Boolean(flag), _) => query.bind(*flag),
                (Value::Text(text), _) => query.bind(text.clone()),
            };
        }
    }
    let inserted = query.execute(target).await.with_context(|| format!("failed to insert rows into {}", table.name))?;
    Ok(inserted.rows_affected())
}

/// Moves each identity sequence past the largest copied id, so new rows get new ids.
async fn advance_sequences(target: &PgPool, tables: &[Table]) -> anyhow::Result<()> {
    for table in tables {
        let Some(column) = &table.identity else { continue };
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)",
            column = quote(column),
            table = quote(&table.name)
        );
        sqlx::query(AssertSqlSafe(sql)).bind(&table.name).bind(column).execute(target).await.with_context(|| format!("failed to advance the sequence of {}", table.name))?;
    }
    Ok(())
}

async fn sqlite_checksum(source: &SqlitePool, table: &Table) -> anyhow::Result<(u64, String)> {
    let select = format!("SELECT {} FROM {} ORDER BY {}", column_list(table), quote(&table.name), order_by(table, false));
    checksum(sqlx::query(AssertSqlSafe(select)).fetch(source), table, read_sqlite).await
}

async fn postgres_checksum(target: &PgPool, table: &Table) -> anyhow::Result<(u64, String)> {
    let select = format!("SELECT {} FROM {} ORDER BY {}", column_list(table), quote(&table.name), order_by(table, true));
    checksum(sqlx::query(AssertSqlSafe(select)).fetch(target), table, read_postgres).await
}

/// Counts the rows and hashes their values in order, read by `read` the same way on either
/// backend, so that equal tables give equal sums.
async fn checksum<R>(
    mut rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>> + Unpin,
    table: &Table,
    read: fn(&R, usize, Kind) -> anyhow::Result<Value>,
) -> anyhow::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut count = 0u64;
    while let Some(row) = rows.try_next().await? {
        for (index, (_, kind)) in table.columns.iter().enumerate() {
            read(&row, index, *kind)?.feed(&mut hasher);
        }
        hasher.update(b"\n");
        count += 1;
    }
    Ok((count, hex::encode(hasher.finalize())))
}

/// Quotes an identifier read from the database catalog.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Returns the URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_password() {
        assert_eq!(redact("postgres://app:secret@db.internal/pomoshnik"), "postgres://app:***@db.internal/pomoshnik");
        assert_eq!(redact("postgres://app@db.internal/pomoshnik"), "postgres://app@db.internal/pomoshnik");
    }

    #[test]
    fn tables_follow_references() {
        let table = |name: &str| Table { name: name.to_owned(), columns: Vec::new(), primary_key: Vec::new(), identity: None };
        let references = [("reports".to_owned(), "users".to_owned()), ("reports".to_owned(), "reports".to_owned()), ("files".to_owned(), "reports".to_owned())];
        let ordered = order_by_references(vec![table("files"), table("reports"), table("users")], &references).expect("no cycle");
        let names: Vec<&str> = ordered.iter().map(|table| table.name.as_str()).collect();
        assert_eq!(names, ["users", "reports", "files"]);
    }

    #[test]
    fn checksum_tells_null_from_empty_text() {
        let digest = |value: Value| {
            let mut hasher = Sha256::new();
            value.feed(&mut hasher);
            hex::encode(hasher.finalize())
        };
        assert_ne!(digest(Value::Null), digest(Value::Text(String::new())));
        assert_ne!(digest(Value::Integer(1)), digest(Value::Boolean(true)));
    }
}
