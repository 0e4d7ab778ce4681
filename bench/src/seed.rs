//! Bulk seeding of residents and reports straight into the store's tables, after the real
//! migrations have created them. SQLite gets multi-row `INSERT`s in one transaction; PostgreSQL
//! gets `COPY … FROM STDIN` in CSV format.
//!
//! NOTE: only `users`, `reports` and `report_counters` are seeded. Reports get no events,
//! notifications or files, so pages that count unread notifications or list a report's history
//! read smaller tables than a real installation with a million reports would have.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Datelike, Utc};
use pomoshnik_core::catalog::{Catalog, Category, FieldType};
use pomoshnik_geo::CityMap;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Executor, PgPool, SqlitePool};

use crate::places::random_place;

/// Reports are spread evenly over this many days before the seeding time.
const HISTORY_DAYS: i64 = 730;

/// Relative frequencies of the catalog's categories; a code missing here gets weight 5.
const CATEGORY_WEIGHTS: [(&str, u32); 8] = [
    ("parking_violation", 30),
    ("parking_on_lawn", 10),
    ("bus_lane", 5),
    ("no_stopping_zone", 5),
    ("landscaping_violation", 8),
    ("infrastructure_damage", 12),
    ("unauthorized_trade", 5),
    ("uncleaned_litter_snow", 25),
];

const DESCRIPTIONS: [&str; 5] = [
    "Автомобиль стоит на тротуаре и мешает пешеходам.",
    "Во дворе не вывезен мусор, контейнеры переполнены.",
    "Яма на проезжей части у пешеходного перехода.",
    "Сломана скамейка на детской площадке.",
    "Нестационарная торговля у выхода из метро.",
];

const SQLITE_ROWS_PER_INSERT: usize = 500;
const POSTGRES_ROWS_PER_COPY_CHUNK: usize = 10_000;

/// The `reports` columns the seeder fills, in the order of [`ReportRow`]'s values.
const REPORT_COLUMNS: &str = "number, year, sequence, author_id, category_code, category_name, deadline_working_days, \
     agency_code, status, status_before_info_request, decision, rejection_reason, latitude, longitude, address, \
     occurred_at, description, fields, created_at, updated_at, dispatched_at, resolved_at, deadline_at, version, \
     district_code, district_name, okrug_code, okrug_name, h3_cell";
const REPORT_COLUMN_COUNT: usize = 29;

/// How much to seed.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SeedPlan {
    pub reports: usize,
    pub authors: usize,
    /// Seed of the random generator, so that runs seed the same data.
    pub random_seed: u64,
}

/// A seeded resident.
#[derive(Debug, Clone)]
pub struct Author {
    pub id: i64,
    pub email: String,
}

/// What seeding produced.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub authors: Vec<Author>,
    pub users_elapsed: Duration,
    pub reports_elapsed: Duration,
}

/// One `reports` row.
struct ReportRow {
    number: String,
    year: i64,
    sequence: i64,
    author_id: i64,
    category_code: String,
    category_name: String,
    deadline_working_days: i64,
    agency_code: Option<String>,
    status: &'static str,
    status_before_info_request: Option<&'static str>,
    decision: Option<&'static str>,
    rejection_reason: Option<&'static str>,
    latitude: f64,
    longitude: f64,
    address: String,
    occurred_at: i64,
    description: &'static str,
    fields: String,
    created_at: i64,
    updated_at: i64,
    dispatched_at: Option<i64>,
    resolved_at: Option<i64>,
    deadline_at: Option<i64>,
    version: i64,
    district_code: String,
    district_name: String,
    okrug_code: String,
    okrug_name: String,
    h3_cell: i64,
}

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// A report's status history compressed to what the row keeps.
struct Progress {
    status: &'static str,
    dispatched: bool,
    resolved: bool,
    transitions: i64,
}

/// Picks a status by the report's age: new reports wait for moderation, recent ones are being
/// worked on, and most old ones are closed.
fn progress_for_age(age_ms: i64, rng: &mut StdRng) -> Progress {
    let roll: f64 = rng.random();
    let (status, dispatched, resolved, transitions) = if age_ms < 2 * DAY_MS {
        if roll < 0.7 { ("accepted", false, false, 0) } else { ("under_review", false, false, 1) }
    } else if age_ms < 20 * DAY_MS {
        match roll {
            r if r < 0.05 => ("under_review", false, false, 1),
            r if r < 0.30 => ("dispatched", true, false, 2),
            r if r < 0.65 => ("in_progress", true, false, 3),
            r if r < 0.70 => ("info_requested", true, false, 4),
            r if r < 0.90 => ("resolved", true, true, 4),
            _ => ("rejected", false, false, 2),
        }
    } else {
        match roll {
            r if r < 0.65 => ("closed", true, true, 5),
            r if r < 0.80 => ("resolved", true, true, 4),
            r if r < 0.95 => ("rejected", false, false, 2),
            r if r < 0.97 => ("reopened", true, true, 5),
            _ => ("in_progress", true, false, 3),
        }
    };
    Progress { status, dispatched, resolved, transitions }
}

/// Builds the `fields` JSON of a category: a plate for plate fields, the first listed value
/// for list fields, a short text otherwise.
fn fields_json(category: &Category) -> String {
    let mut fields = serde_json::Map::new();
    for field in category.fields.iter().filter(|field| field.required) {
        let value = if field.code == "plate" {
            "А123ВС77".to_owned()
        } else if matches!(field.datatype, FieldType::Singlevaluelist) {
            field.values.first().map(|value| value.key.clone()).unwrap_or_default()
        } else {
            "да".to_owned()
        };
        fields.insert(field.code.clone(), serde_json::Value::String(value));
    }
    serde_json::Value::Object(fields).to_string()
}

/// Generates the report rows in creation order, so ids grow with `created_at` as they do in
/// a live installation. Returns the rows and the last sequence number of each Moscow year.
struct Generator<'a> {
    plan: SeedPlan,
    catalog: &'a Catalog,
    city: &'a CityMap,
    authors: &'a [Author],
    rng: StdRng,
    weighted_categories: Vec<usize>,
    fields: Vec<String>,
    start_ms: i64,
    span_ms: i64,
    now_ms: i64,
    next_index: usize,
    counters: Vec<(i64, i64)>,
}

impl<'a> Generator<'a> {
    fn new(plan: SeedPlan, catalog: &'a Catalog, city: &'a CityMap, authors: &'a [Author], now: DateTime<Utc>) -> Generator<'a> {
        let mut weighted_categories = Vec::new();
        for (index, category) in catalog.categories.iter().enumerate() {
            let weight = CATEGORY_WEIGHTS.iter().find(|(code, _)| *code == category.code).map_or(5, |(_, weight)| *weight);
            weighted_categories.extend(std::iter::repeat_n(index, weight as usize));
        }
        let now_ms = now.timestamp_millis();
        let span_ms = HISTORY_DAYS * DAY_MS;
        Generator {
            plan,
            catalog,
            city,
            authors,
            rng: StdRng::seed_from_u64(plan.random_seed),
            weighted_categories,
            fields: catalog.categories.iter().map(fields_json).collect(),
            start_ms: now_ms - span_ms,
            span_ms,
            now_ms,
            next_index: 0,
            counters: Vec::new(),
        }
    }

    /// Moves to the next sequence number of `year`.
    fn next_sequence(&mut self, year: i64) -> i64 {
        match self.counters.iter_mut().find(|(counter_year, _)| *counter_year == year) {
            Some((_, last)) => {
                *last += 1;
                *last
            }
            None => {
                self.counters.push((year, 1));
                1
            }
        }
    }

    fn next_row(&mut self) -> Option<ReportRow> {
        if self.next_index >= self.plan.reports {
            return None;
        }
        let index = self.next_index;
        self.next_index += 1;

        let created_at = self.start_ms + (self.span_ms as f64 * index as f64 / self.plan.reports as f64) as i64;
        let created = DateTime::<Utc>::from_timestamp_millis(created_at).expect("seeded times are in range");
        let year = i64::from(created.with_timezone(&chrono_tz::Europe::Moscow).year());
        let sequence = self.next_sequence(year);

        // A few residents file many reports: u^1.5 favours low indices.
        let skew: f64 = self.rng.random::<f64>().powf(1.5);
        let author = &self.authors[((skew * self.authors.len() as f64) as usize).min(self.authors.len() - 1)];
        let category_index = self.weighted_categories[self.rng.random_range(0..self.weighted_categories.len())];
        let category = &self.catalog.categories[category_index];
        let place = random_place(self.city, &mut self.rng);
        let progress = progress_for_age(self.now_ms - created_at, &mut self.rng);

        let dispatched_at = progress.dispatched.then_some(created_at + DAY_MS);
        let deadline_at = dispatched_at.map(|time| time + i64::from(category.deadline_working_days) * DAY_MS * 7 / 5);
        let resolved_at = progress.resolved.then(|| created_at + self.rng.random_range(2..15) * DAY_MS).map(|time| time.min(self.now_ms));
        let updated_at = resolved_at.or(dispatched_at).unwrap_or(created_at).min(self.now_ms);

        Some(ReportRow {
            number: format!("{year}-{sequence:07}"),
            year,
            sequence,
            author_id: author.id,
            category_code: category.code.clone(),
            category_name: category.name.clone(),
            deadline_working_days: i64::from(category.deadline_working_days),
            agency_code: progress.dispatched.then(|| category.agency.clone()),
            status: progress.status,
            status_before_info_request: (progress.status == "info_requested").then_some("in_progress"),
            decision: progress.resolved.then_some("fixed"),
            rejection_reason: (progress.status == "rejected").then_some("not_a_violation"),
            latitude: place.latitude,
            longitude: place.longitude,
            address: format!("Москва, {}, дом {}", place.district_name, 1 + index % 120),
            occurred_at: created_at - self.rng.random_range(5..180) * MINUTE_MS,
            description: DESCRIPTIONS[index % DESCRIPTIONS.len()],
            fields: self.fields[category_index].clone(),
            created_at,
            updated_at,
            dispatched_at,
            resolved_at,
            deadline_at,
            version: 1 + progress.transitions,
            district_code: place.district_code,
            district_name: place.district_name,
            okrug_code: place.okrug_code,
            okrug_name: place.okrug_name,
            h3_cell: place.h3_cell,
        })
    }
}

fn author_email(index: usize) -> String {
    format!("resident{index:05}@bench.example")
}

/// Seeds a SQLite database whose schema is already migrated.
pub async fn seed_sqlite(url: &str, plan: SeedPlan, catalog: &Catalog, city: &CityMap) -> anyhow::Result<Seeded> {
    let pool = SqlitePoolOptions::new().max_connections(1).connect(url).await.context("failed to open the SQLite database for seeding")?;
    let password_hash = pomoshnik_web::hash_password(crate::server::PASSWORD.to_owned()).await?;

    let users_started = Instant::now();
    let mut transaction = pool.begin().await?;
    let now = Utc::now();
    for first in (0..plan.authors).step_by(SQLITE_ROWS_PER_INSERT) {
        let count = SQLITE_ROWS_PER_INSERT.min(plan.authors - first);
        let sql = format!(
            "INSERT INTO users (email, password_hash, role, confirmed, created_at) VALUES {}",
            vec!["(?, ?, 'resident', 1, ?)"; count].join(", ")
        );
        // The statement is built from constants and a row count only.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for index in first..first + count {
            query = query.bind(author_email(index)).bind(&password_hash).bind(now.timestamp_millis());
        }
        transaction.execute(query).await?;
    }
    transaction.commit().await?;
    let authors = read_authors_sqlite(&pool).await?;
    let users_elapsed = users_started.elapsed();

    let reports_started = Instant::now();
    let mut generator = Generator::new(plan, catalog, city, &authors, now);
    let mut transaction = pool.begin().await?;
    let full_sql = sqlite_insert_sql(SQLITE_ROWS_PER_INSERT);
    let mut rows = Vec::with_capacity(SQLITE_ROWS_PER_INSERT);
    loop {
        rows.clear();
        while rows.len() < SQLITE_ROWS_PER_INSERT {
            match generator.next_row() {
                Some(row) => rows.push(row),
                None => break,
            }
        }
        if rows.is_empty() {
            break;
        }
        let partial_sql;
        let sql = if rows.len() == SQLITE_ROWS_PER_INSERT {
            &full_sql
        } else {
            partial_sql = sqlite_insert_sql(rows.len());
            &partial_sql
        };
        // The statement is built from constants and a row count only.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for row in rows.drain(..) {
            query = query
                .bind(row.number)
                .bind(row.year)
                .bind(row.sequence)
                .bind(row.author_id)
                .bind(row.category_code)
                .bind(row.category_name)
                .bind(row.deadline_working_days)
                .bind(row.agency_code)
                .bind(row.status)
                .bind(row.status_before_info_request)
                .bind(row.decision)
                .bind(row.rejection_reason)
                .bind(row.latitude)
                .bind(row.longitude)
                .bind(row.address)
                .bind(row.occurred_at)
                .bind(row.description)
                .bind(row.fields)
                .bind(row.created_at)
                .bind(row.updated_at)
                .bind(row.dispatched_at)
                .bind(row.resolved_at)
                .bind(row.deadline_at)
                .bind(row.version)
                .bind(row.district_code)
                .bind(row.district_name)
                .bind(row.okrug_code)
                .bind(row.okrug_name)
                .bind(row.h3_cell);
        }
        transaction.execute(query).await?;
    }
    for (year, last) in &generator.counters {
        sqlx::query("INSERT INTO report_counters (year, last_sequence) VALUES (?, ?) ON CONFLICT (year) DO UPDATE SET last_sequence = excluded.last_sequence")
            .bind(year)
            .bind(last)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    let reports_elapsed = reports_started.elapsed();
    pool.close().await;

    Ok(Seeded { authors, users_elapsed, reports_elapsed })
}

fn sqlite_insert_sql(rows: usize) -> String {
    let tuple = format!("({})", vec!["?"; REPORT_COLUMN_COUNT].join(", "));
    format!("INSERT INTO reports ({REPORT_COLUMNS}) VALUES {}", vec![tuple; rows].join(", "))
}

async fn read_authors_sqlite(pool: &SqlitePool) -> anyhow::Result<Vec<Author>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM users WHERE email LIKE '%@bench.example' ORDER BY id").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(id, email)| Author { id, email }).collect())
}

/// Seeds a PostgreSQL database whose schema is already migrated, then runs `ANALYZE` as
/// autovacuum would after a bulk load.
pub async fn seed_postgres(url: &str, plan: SeedPlan, catalog: &Catalog, city: &CityMap) -> anyhow::Result<Seeded> {
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await.context("failed to open the PostgreSQL database for seeding")?;
    let password_hash = pomoshnik_web::hash_password(crate::server::PASSWORD.to_owned()).await?;
    let now = Utc::now();

    let users_started = Instant::now();
    let mut connection = pool.acquire().await?;
    let mut copy = connection.copy_in_raw("COPY users (email, password_hash, role, confirmed, created_at) FROM STDIN WITH (FORMAT csv)").await?;
    let mut users_csv = String::new();
    for index in 0..plan.authors {
        users_csv.push_str(&format!("{},{},resident,true,{}\n", author_email(index), csv_text(&password_hash), now.timestamp_millis()));
    }
    copy.send(users_csv.into_bytes()).await?;
    copy.finish().await?;
    drop(connection);
    let authors = read_authors_postgres(&pool).await?;
    let users_elapsed = users_started.elapsed();

    let reports_started = Instant::now();
    let mut generator = Generator::new(plan, catalog, city, &authors, now);
    let mut connection = pool.acquire().await?;
    let mut copy = connection.copy_in_raw(&format!("COPY reports ({REPORT_COLUMNS}) FROM STDIN WITH (FORMAT csv)")).await?;
    let mut chunk = String::new();
    let mut rows_in_chunk = 0;
    while let Some(row) = generator.next_row() {
        push_csv_row(&mut chunk, &row);
        rows_in_chunk += 1;
        if rows_in_chunk == POSTGRES_ROWS_PER_COPY_CHUNK {
            copy.send(std::mem::take(&mut chunk).into_bytes()).await?;
            rows_in_chunk = 0;
        }
    }
    if !chunk.is_empty() {
        copy.send(chunk.into_bytes()).await?;
    }
    copy.finish().await?;
    for (year, last) in &generator.counters {
        sqlx::query("INSERT INTO report_counters (year, last_sequence) VALUES ($1, $2) ON CONFLICT (year) DO UPDATE SET last_sequence = excluded.last_sequence")
            .bind(year)
            .bind(last)
            .execute(&mut *connection)
            .await?;
    }
    connection.execute("ANALYZE").await?;
    let reports_elapsed = reports_started.elapsed();
    drop(connection);
    pool.close().await;

    Ok(Seeded { authors, users_elapsed, reports_elapsed })
}

async fn read_authors_postgres(pool: &PgPool) -> anyhow::Result<Vec<Author>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM users WHERE email LIKE '%@bench.example' ORDER BY id").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(id, email)| Author { id, email }).collect())
}

/// Quotes a CSV field, doubling quotes inside it; PostgreSQL reads an unquoted empty field as NULL.
fn csv_text(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn csv_optional_text(text: Option<&str>) -> String {
    text.map(csv_text).unwrap_or_default()
}

fn csv_optional_number(number: Option<i64>) -> String {
    number.map(|number| number.to_string()).unwrap_or_default()
}

fn push_csv_row(out: &mut String, row: &ReportRow) {
    let values = [
        csv_text(&row.number),
        row.year.to_string(),
        row.sequence.to_string(),
        row.author_id.to_string(),
        csv_text(&row.category_code),
        csv_text(&row.category_name),
        row.deadline_working_days.to_string(),
        csv_optional_text(row.agency_code.as_deref()),
        csv_text(row.status),
        csv_optional_text(row.status_before_info_request),
        csv_optional_text(row.decision),
        csv_optional_text(row.rejection_reason),
        row.latitude.to_string(),
        row.longitude.to_string(),
        csv_text(&row.address),
        row.occurred_at.to_string(),
        csv_text(row.description),
        csv_text(&row.fields),
        row.created_at.to_string(),
        row.updated_at.to_string(),
        csv_optional_number(row.dispatched_at),
        csv_optional_number(row.resolved_at),
        csv_optional_number(row.deadline_at),
        row.version.to_string(),
        csv_text(&row.district_code),
        csv_text(&row.district_name),
        csv_text(&row.okrug_code),
        csv_text(&row.okrug_name),
        row.h3_cell.to_string(),
    ];
    out.push_str(&values.join(","));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_text_doubles_quotes() {
        assert_eq!(csv_text("a\"b,c"), "\"a\"\"b,c\"");
    }

    #[test]
    fn csv_optional_none_is_empty() {
        assert_eq!(csv_optional_text(None), "");
        assert_eq!(csv_optional_number(None), "");
    }

    #[test]
    fn insert_sql_has_one_placeholder_per_value() {
        let sql = sqlite_insert_sql(3);
        assert_eq!(sql.matches('?').count(), 3 * REPORT_COLUMN_COUNT);
        assert_eq!(REPORT_COLUMNS.split(',').count(), REPORT_COLUMN_COUNT);
    }
}
