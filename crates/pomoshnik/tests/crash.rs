//! Crash safety: the real `pomoshnik` binary is killed with SIGKILL while residents file reports
//! with photos and a moderator changes statuses, then restarted on the same data directory and
//! database. Most residents send the same two fixture photos, whose previews are made once (a
//! debug build takes seconds per preview), so many reports fit between two kills. One resident
//! sends a photo made unique for each submission, and it is usually still being processed at
//! the kill. After every restart the stored data must be whole: each report with its first event,
//! its author's notification and its photo; gap-free numbers; each acknowledged change stored
//! once. Retried submissions must not create a second report, and cleanup must leave no stored
//! content without a file record. Runs once on SQLite and once on PostgreSQL.
//!
//! The kill delays come from a seeded generator: set `POMOSHNIK_CRASH_SEED` to repeat a run (the
//! seed is printed at the start).

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
#[allow(dead_code, reason = "the shutdown test uses the graceful-stop helpers, this test kills the process")]
mod crash_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{NO_GPS, PASSWORD, TVERSKAYA, ZELENOGRAD, fixture, sha256_hex};
use crash_support::{Database, Setup, files_under, photo_with_marker, sign_in};
use pomoshnik::{CleanupAges, Installation};
use pomoshnik_test_support::{DatabaseKind, TestDatabase, on_both_backends};
use pomoshnik_web::WebConfig;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Residents filing reports at the same time; their unanswered submissions are retried.
const FILING_RESIDENTS: usize = 11;
/// Residents who give up on a submission that got no answer, leaving its upload behind.
const ABANDONING_RESIDENTS: usize = 1;
const ROUNDS: usize = 3;
/// Bounds of the time between the start of the load and SIGKILL.
const KILL_DELAY_MS: std::ops::Range<u64> = 150..900;
/// Each resident files reports as fast as the server answers, far more than the hourly limit.
const UNLIMITED_REPORTS: &[&str] = &["--reports-per-hour", "1000000"];
/// Maximum time one request may take before the client gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

on_both_backends!(with_installation => survives_kill_during_load, flavor = "multi_thread", worker_threads = 2);

/// Prepares a data directory and an empty database of `kind`, then runs `scenario` on them.
async fn with_installation(kind: DatabaseKind, scenario: impl AsyncFnOnce(Setup, DatabaseKind)) {
    let data_dir = tempfile::tempdir().expect("failed to create a temporary data directory");
    let log_dir = tempfile::tempdir().expect("failed to create a temporary log directory");
    // Declared after the directories, so the database is removed first.
    let postgres = match kind {
        DatabaseKind::Sqlite => None,
        DatabaseKind::Postgres => Some(TestDatabase::postgres().await),
    };
    let database_url = match &postgres {
        Some(database) => database.url().to_owned(),
        None => format!("sqlite://{}", data_dir.path().join("pomoshnik.db").display()),
    };
    let setup = Setup { data_dir: data_dir.path().to_owned(), database_url, log_path: log_dir.path().join("server.log"), env: Vec::new() };
    scenario(setup, kind).await;
}

/// One report submission: its key, its author and the photo it carries.
#[derive(Clone)]
struct Submission {
    resident: usize,
    key: String,
    photo: Arc<Vec<u8>>,
}

/// A status change the server acknowledged with 200.
#[derive(Debug, Clone)]
struct AcknowledgedChange {
    number: String,
    from: String,
    to: String,
    comment: String,
}

/// What the clients saw, over all rounds.
#[derive(Default)]
struct Ledger {
    /// Report number by idempotency key, for submissions answered with 201 or 200.
    answered: BTreeMap<String, String>,
    /// Submissions of filing residents that got no complete answer, to retry.
    unanswered: Vec<Submission>,
    /// Submissions of abandoning residents that got no answer and are never retried.
    abandoned: usize,
    changes: Vec<AcknowledgedChange>,
    kills: usize,
    retried: usize,
    retries_found_existing: usize,
}

struct Resident {
    email: String,
    token: String,
    abandons: bool,
}

async fn survives_kill_during_load(setup: Setup, kind: DatabaseKind) {
    let test_started = Instant::now();
    let seed = std::env::var("POMOSHNIK_CRASH_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or_else(rand::random::<u64>);
    println!("{kind:?}: POMOSHNIK_CRASH_SEED={seed}");
    let mut random = StdRng::seed_from_u64(seed);

    let residents = add_accounts(&setup).await;
    let shared_photos: Vec<Arc<Vec<u8>>> = [TVERSKAYA, ZELENOGRAD].into_iter().map(|name| Arc::new(fixture(name))).collect();
    let unique_photo = Arc::new(fixture(NO_GPS));
    let client = Client::builder().timeout(REQUEST_TIMEOUT).build().expect("failed to build the HTTP client");

    let mut server = setup.start_server_with(UNLIMITED_REPORTS).await;
    // Sessions are rows in the database, so the tokens stay valid across restarts.
    let residents = sign_in_all(&client, &server.base_url, residents).await;
    let moderator_token = sign_in(&client, &server.base_url, MODERATOR_EMAIL, PASSWORD).await;
    let mut ledger = Ledger::default();
    file_first_reports(&client, &server.base_url, &residents, &shared_photos, &mut ledger).await;
    println!("{kind:?}: accounts and the first reports ready after {:?}", test_started.elapsed());

    for round in 1..=ROUNDS {
        let mut load = JoinSet::new();
        for (index, resident) in residents.iter().enumerate() {
            let photo = if resident.abandons { unique_photo.clone() } else { shared_photos[index % shared_photos.len()].clone() };
            let submissions = SubmissionSource { round, resident: index, photo, unique: resident.abandons };
            load.spawn(file_until_killed(client.clone(), server.base_url.clone(), resident.token.clone(), submissions, resident.abandons));
        }
        let moderator = tokio::spawn(moderate_until_killed(client.clone(), server.base_url.clone(), moderator_token.clone(), round));

        let delay = Duration::from_millis(random.random_range(KILL_DELAY_MS));
        tokio::time::sleep(delay).await;
        server.kill().await;
        ledger.kills += 1;

        while let Some(outcome) = load.join_next().await {
            let outcome = outcome.expect("a filing client panicked");
            record_filings(&mut ledger, outcome);
        }
        ledger.changes.extend(moderator.await.expect("the moderator client panicked"));

        server = setup.start_server_with(UNLIMITED_REPORTS).await;
        let database = Database::connect(&setup.database_url).await;
        let checked = check_stored_data(&database, &setup, &ledger).await;
        retry_unanswered(&client, &server.base_url, &residents, &database, &mut ledger).await;
        let rechecked = check_stored_data(&database, &setup, &ledger).await;
        database.close().await;
        println!(
            "{kind:?} round {round}: killed after {delay:?}; {} reports and {} events checked before the retries, {} reports and {} events after",
            checked.reports, checked.events, rechecked.reports, rechecked.events
        );
    }
    server.kill().await;

    let totals = clean_up_and_check(&setup, &ledger).await;
    println!(
        "{kind:?}: {} kills, {} reports, {} events, {} acknowledged changes, {} retries ({} found the first report), {} abandoned uploads, {:?} in all",
        ledger.kills,
        totals.reports,
        totals.events,
        ledger.changes.len(),
        ledger.retried,
        ledger.retries_found_existing,
        ledger.abandoned,
        test_started.elapsed()
    );
    assert!(ledger.kills == ROUNDS, "every round ends with SIGKILL");
    assert!(totals.reports > 0, "no report was filed at all; the kill delays are too short for this machine");
}

const MODERATOR_EMAIL: &str = "crash-moderator@example.ru";

/// Creates the accounts with `pomoshnik user add`, as an operator does.
async fn add_accounts(setup: &Setup) -> Vec<(String, bool)> {
    setup.add_user("moderator", MODERATOR_EMAIL, PASSWORD).await;
    let mut residents = Vec::new();
    for index in 0..FILING_RESIDENTS + ABANDONING_RESIDENTS {
        let email = format!("crash-resident-{index}@example.ru");
        setup.add_user("resident", &email, PASSWORD).await;
        residents.push((email, index >= FILING_RESIDENTS));
    }
    residents
}

async fn sign_in_all(client: &Client, base_url: &str, residents: Vec<(String, bool)>) -> Vec<Resident> {
    let mut signed = Vec::new();
    for (email, abandons) in residents {
        let token = sign_in(client, base_url, &email, PASSWORD).await;
        signed.push(Resident { email, token, abandons });
    }
    signed
}

/// Files one report with each shared photo before the first kill, so that their previews exist
/// and later submissions of the same content are quick.
async fn file_first_reports(client: &Client, base_url: &str, residents: &[Resident], photos: &[Arc<Vec<u8>>], ledger: &mut Ledger) {
    let mut first = JoinSet::new();
    for (index, photo) in photos.iter().enumerate() {
        let submission = Submission { resident: index, key: format!("crash-first-{index}"), photo: photo.clone() };
        let (client, base_url, token) = (client.clone(), base_url.to_owned(), residents[index].token.clone());
        first.spawn(async move {
            let answer = send_submission(&client, &base_url, &token, &submission).await;
            (submission, answer)
        });
    }
    while let Some(result) = first.join_next().await {
        let (submission, answer) = result.expect("a first submission panicked");
        let (status, body) = answer.unwrap_or_else(|| panic!("the first submission {} got no answer", submission.key));
        record_filings(ledger, FilingOutcome { abandons: false, answered: vec![(submission, status, body)], unanswered: None });
    }
}

/// The submissions of one resident in one round, each with its own key. With `unique`, each
/// also gets its own photo content.
struct SubmissionSource {
    round: usize,
    resident: usize,
    photo: Arc<Vec<u8>>,
    unique: bool,
}

impl SubmissionSource {
    fn submission(&self, sequence: usize) -> Submission {
        let key = format!("crash-r{}-c{}-{sequence}", self.round, self.resident);
        let photo = if self.unique { Arc::new(photo_with_marker(&self.photo, &key)) } else { self.photo.clone() };
        Submission { resident: self.resident, key, photo }
    }
}

/// A valid `parking_on_lawn` report on Tverskaya Street, an hour ago; the category asks for one
/// photo.
fn lawn_report() -> Value {
    json!({
        "category": "parking_on_lawn",
        "lat": 55.7640,
        "lon": 37.6060,
        "address": "Москва, Тверская улица, 7",
        "occurred_at": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "description": "Автомобиль стоит на газоне во дворе.",
        "fields": { "plate": "А123ВС77" },
    })
}

/// What one filing client saw in a round.
struct FilingOutcome {
    abandons: bool,
    answered: Vec<(Submission, StatusCode, Value)>,
    unanswered: Option<Submission>,
}

/// Files reports one after another until a request gets no complete answer, which happens
/// when the server is killed.
async fn file_until_killed(client: Client, base_url: String, token: String, source: SubmissionSource, abandons: bool) -> FilingOutcome {
    let mut answered = Vec::new();
    for sequence in 0.. {
        let submission = source.submission(sequence);
        match send_submission(&client, &base_url, &token, &submission).await {
            Some((status, body)) => answered.push((submission, status, body)),
            None => return FilingOutcome { abandons, answered, unanswered: Some(submission) },
        }
    }
    unreachable!("the loop ends when the server stops answering")
}

/// Sends one submission; `None` when the connection failed or the answer was cut off.
async fn send_submission(client: &Client, base_url: &str, token: &str, submission: &Submission) -> Option<(StatusCode, Value)> {
    let part = Part::bytes(submission.photo.as_ref().clone()).file_name("photo.jpg").mime_str("image/jpeg").expect("image/jpeg is a valid MIME type");
    let form = Form::new().text("report", lawn_report().to_string()).part("files", part);
    let response = client
        .post(format!("{base_url}/api/v1/reports"))
        .bearer_auth(token)
        .header("Idempotency-Key", &submission.key)
        .multipart(form)
        .send()
        .await
        .ok()?;
    let status = response.status();
    let text = response.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

fn record_filings(ledger: &mut Ledger, outcome: FilingOutcome) {
    for (submission, status, body) in outcome.answered {
        assert_eq!(status, StatusCode::CREATED, "submission {} was answered with {status}: {body}", submission.key);
        let number = body["number"].as_str().unwrap_or_else(|| panic!("the answer to {} has no number: {body}", submission.key));
        ledger.answered.insert(submission.key, number.to_owned());
    }
    match outcome.unanswered {
        Some(_) if outcome.abandons => ledger.abandoned += 1,
        Some(submission) => ledger.unanswered.push(submission),
        None => {}
    }
}

/// Screens and dispatches the reports in the moderation queue until the server stops
/// answering. Each change carries a unique comment, so its event can be found later.
async fn moderate_until_killed(client: Client, base_url: String, token: String, round: usize) -> Vec<AcknowledgedChange> {
    let mut acknowledged = Vec::new();
    let mut sequence = 0;
    loop {
        let Ok(response) = client.get(format!("{base_url}/api/v1/reports?limit=200")).bearer_auth(&token).send().await else {
            return acknowledged;
        };
        let Ok(text) = response.text().await else {
            return acknowledged;
        };
        let queue: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("the moderation queue is not JSON: {text}"));
        let reports = queue["reports"].as_array().cloned().unwrap_or_default();
        if reports.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }

        for report in reports {
            let number = report["number"].as_str().expect("a listed report has a number").to_owned();
            let from = report["status"].as_str().expect("a listed report has a status").to_owned();
            let to = match from.as_str() {
                "accepted" => "under_review",
                "under_review" => "dispatched",
                _ => continue,
            };
            sequence += 1;
            let comment = format!("crash-test change r{round}-{sequence}");
            let body = json!({ "to": to, "version": report["version"], "comment": comment });
            let Ok(response) = client.post(format!("{base_url}/api/v1/reports/{number}/transitions")).bearer_auth(&token).json(&body).send().await else {
                return acknowledged;
            };
            let status = response.status();
            if response.bytes().await.is_err() {
                return acknowledged;
            }
            // A retry of a resident can change nothing here, so the only expected answer is 200.
            assert_eq!(status, StatusCode::OK, "the change of {number} from {from} to {to} was answered with {status}");
            acknowledged.push(AcknowledgedChange { number, from, to: to.to_owned(), comment });
        }
    }
}

/// Retries every unanswered submission of the filing residents with the same key and photo.
/// A key that already has a report must get it back (200); any other gets a new report (201).
async fn retry_unanswered(client: &Client, base_url: &str, residents: &[Resident], database: &Database, ledger: &mut Ledger) {
    let stored: BTreeMap<String, String> = database
        .rows::<(String, String)>("SELECT idempotency_key, number FROM reports WHERE idempotency_key IS NOT NULL")
        .await
        .into_iter()
        .collect();

    let mut retries = JoinSet::new();
    for submission in std::mem::take(&mut ledger.unanswered) {
        let client = client.clone();
        let base_url = base_url.to_owned();
        let token = residents[submission.resident].token.clone();
        retries.spawn(async move {
            let answer = send_submission(&client, &base_url, &token, &submission).await;
            (submission, answer)
        });
    }

    while let Some(result) = retries.join_next().await {
        let (submission, answer) = result.expect("a retry panicked");
        let email = &residents[submission.resident].email;
        let (status, body) = answer.unwrap_or_else(|| panic!("the retry of {} by {email} got no answer from a running server", submission.key));
        let number = body["number"].as_str().unwrap_or_else(|| panic!("the retry of {} got {status} without a number: {body}", submission.key));
        match stored.get(&submission.key) {
            Some(existing) => {
                assert_eq!(status, StatusCode::OK, "the retry of {} must return the report stored before the kill: {body}", submission.key);
                assert_eq!(number, existing, "the retry of {} returned another report than the one stored for its key", submission.key);
                ledger.retries_found_existing += 1;
            }
            None => assert_eq!(status, StatusCode::CREATED, "the retry of {}, which had no report, was answered with {status}: {body}", submission.key),
        }
        ledger.retried += 1;
        ledger.answered.insert(submission.key, number.to_owned());
    }
}

/// Counts of what one check looked at.
struct Checked {
    reports: usize,
    events: usize,
}

type ReportRow = (i64, String, i64, i64, i64, Option<String>, String, i64);
type EventRow = (i64, i64, Option<i64>, Option<String>, String, Option<String>);
type FileRow = (i64, i64, Option<i64>, String, String, i64);

/// Checks the invariants that must hold after any crash: complete reports, gap-free numbers,
/// events with exactly one notification, acknowledged work present once, intact file content.
async fn check_stored_data(database: &Database, setup: &Setup, ledger: &Ledger) -> Checked {
    let reports: Vec<ReportRow> =
        database.rows("SELECT id, number, year, sequence, author_id, idempotency_key, status, version FROM reports ORDER BY id").await;
    let events: Vec<EventRow> =
        database.rows("SELECT id, report_id, actor_id, from_status, to_status, comment FROM report_events ORDER BY id").await;
    let notifications: Vec<(i64, i64, i64, i64)> = database.rows("SELECT id, user_id, report_id, event_id FROM notifications ORDER BY id").await;
    let files: Vec<FileRow> = database.rows("SELECT id, owner_id, report_id, storage_key, sha256, size FROM files ORDER BY id").await;
    let counters: Vec<(i64, i64)> = database.rows("SELECT year, last_sequence FROM report_counters").await;

    check_numbers(&reports, &counters);
    check_events(&reports, &events, &notifications);
    check_files(setup, &reports, &files);
    check_acknowledged(&reports, &events, ledger);

    Checked { reports: reports.len(), events: events.len() }
}

/// Checks that numbers are unique and gap-free per year and that the counter matches them. The
/// counter is updated in the transaction that inserts the report, so a transaction cut by the
/// kill leaves neither.
fn check_numbers(reports: &[ReportRow], counters: &[(i64, i64)]) {
    let mut sequences_by_year: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (_, number, year, sequence, ..) in reports {
        assert_eq!(number, &format!("{year}-{sequence:07}"), "report number {number} does not match its year and sequence");
        sequences_by_year.entry(*year).or_default().push(*sequence);
    }
    for (year, sequences) in &mut sequences_by_year {
        sequences.sort_unstable();
        let expected: Vec<i64> = (1..=sequences.len() as i64).collect();
        assert_eq!(sequences, &expected, "the numbers of {year} are not the gap-free sequence 1..={}", sequences.len());
    }
    let counters: BTreeMap<i64, i64> = counters.iter().copied().collect();
    let counts: BTreeMap<i64, i64> = sequences_by_year.iter().map(|(year, sequences)| (*year, sequences.len() as i64)).collect();
    assert_eq!(counters, counts, "report_counters does not match the reports stored");
}

/// Checks that each report starts with the author's `accepted` event, has one event per version
/// and ends in the status of its last event. Each event must have exactly one notification, to
/// the author.
fn check_events(reports: &[ReportRow], events: &[EventRow], notifications: &[(i64, i64, i64, i64)]) {
    let mut events_by_report: BTreeMap<i64, Vec<&EventRow>> = BTreeMap::new();
    for event in events {
        events_by_report.entry(event.1).or_default().push(event);
    }
    let mut notifications_by_event: BTreeMap<i64, Vec<&(i64, i64, i64, i64)>> = BTreeMap::new();
    for notification in notifications {
        notifications_by_event.entry(notification.3).or_default().push(notification);
    }
    let event_ids: BTreeSet<i64> = events.iter().map(|event| event.0).collect();
    for (id, _, _, event_id) in notifications {
        assert!(event_ids.contains(event_id), "notification {id} refers to event {event_id}, which does not exist");
    }

    let authors: BTreeMap<i64, i64> = reports.iter().map(|report| (report.0, report.4)).collect();
    for (id, number, _, _, author_id, _, status, version) in reports {
        let history = events_by_report.get(id).map(Vec::as_slice).unwrap_or_default();
        let Some(first) = history.first() else {
            panic!("report {number} has no events");
        };
        assert_eq!((first.2, first.3.as_deref(), first.4.as_str()), (Some(*author_id), None, "accepted"), "the first event of {number} is not its filing");
        assert_eq!(history.len() as i64, *version, "report {number} has version {version} but {} events", history.len());
        let last = history.last().expect("the history is not empty");
        assert_eq!(&last.4, status, "report {number} is {status} but its last event moved it to {}", last.4);
    }

    for (event_id, report_id, ..) in events {
        let author = authors.get(report_id).unwrap_or_else(|| panic!("event {event_id} belongs to report id {report_id}, which does not exist"));
        let sent = notifications_by_event.get(event_id).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(sent.len(), 1, "event {event_id} of report id {report_id} has {} notifications instead of one", sent.len());
        assert_eq!((sent[0].1, sent[0].2), (*author, *report_id), "notification {} of event {event_id} is not the author's", sent[0].0);
    }
}

/// Checks that every report has its one photo and that every file record, attached or pending,
/// points to content that exists and has the recorded SHA-256 and size.
fn check_files(setup: &Setup, reports: &[ReportRow], files: &[FileRow]) {
    let mut files_by_report: BTreeMap<i64, usize> = BTreeMap::new();
    for (id, _, report_id, storage_key, sha256, size) in files {
        if let Some(report_id) = report_id {
            *files_by_report.entry(*report_id).or_default() += 1;
        }
        assert!(storage_key.ends_with(sha256.as_str()), "file {id} has key {storage_key}, which does not end with its SHA-256 {sha256}");
        let path = setup.data_dir.join("files").join(storage_key);
        let content = std::fs::read(&path).unwrap_or_else(|error| panic!("the content of file {id} ({storage_key}) cannot be read: {error}"));
        assert_eq!(content.len() as i64, *size, "the content of file {id} has another size than recorded");
        assert_eq!(&sha256_hex(&content), sha256, "the content of file {id} ({storage_key}) has another SHA-256 than recorded");
    }
    for (id, number, ..) in reports {
        assert_eq!(files_by_report.get(id).copied().unwrap_or(0), 1, "report {number} does not have exactly its one photo");
    }
}

/// Checks that every answered submission has its report under its key and that every
/// acknowledged status change is stored exactly once.
fn check_acknowledged(reports: &[ReportRow], events: &[EventRow], ledger: &Ledger) {
    let mut numbers_by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (_, number, _, _, _, key, ..) in reports {
        let key = key.as_deref().unwrap_or_else(|| panic!("report {number} has no idempotency key, but every submission sends one"));
        numbers_by_key.entry(key).or_default().push(number);
    }
    for (key, numbers) in &numbers_by_key {
        assert_eq!(numbers.len(), 1, "idempotency key {key} has {} reports: {numbers:?}", numbers.len());
    }
    for (key, number) in &ledger.answered {
        assert_eq!(numbers_by_key.get(key.as_str()), Some(&vec![number.as_str()]), "the report {number} answered for {key} is not stored under that key");
    }

    let numbers_by_id: BTreeMap<i64, &str> = reports.iter().map(|report| (report.0, report.1.as_str())).collect();
    for change in &ledger.changes {
        let stored: Vec<&EventRow> = events.iter().filter(|event| event.5.as_deref() == Some(change.comment.as_str())).collect();
        assert_eq!(stored.len(), 1, "the acknowledged change {change:?} is stored {} times", stored.len());
        let event = stored[0];
        let stored_change = (numbers_by_id.get(&event.1).copied(), event.3.as_deref(), event.4.as_str());
        assert_eq!(stored_change, (Some(change.number.as_str()), Some(change.from.as_str()), change.to.as_str()), "the event of {change:?} differs");
    }
}

/// Runs the service's cleanup with zero ages on the stopped installation, then checks that no
/// pending upload, unreferenced content or temporary file is left and that reports are intact.
async fn clean_up_and_check(setup: &Setup, ledger: &Ledger) -> Checked {
    let installation = Installation::new(&setup.data_dir, Some(setup.database_url.clone()));
    let state = installation
        .app_state(WebConfig { secure_cookies: false, tile_url: None, public_url: "http://127.0.0.1".to_owned(), providers: Vec::new(), hotline: None, client_address_header: None, rate_limits: Default::default(), push: None, accounts: Default::default() }, None)
        .await
        .unwrap_or_else(|error| panic!("failed to open the installation after the last kill: {error:#}"));
    let zero = CleanupAges { pending_upload: chrono::Duration::zero(), stale_file: Duration::ZERO };
    // Content stored within the same millisecond as the cleanup would still count as fresh.
    tokio::time::sleep(Duration::from_millis(10)).await;
    pomoshnik::clean_up(&state, zero).await;
    drop(state);

    let database = Database::connect(&setup.database_url).await;
    let checked = check_stored_data(&database, setup, ledger).await;
    let files: Vec<FileRow> = database.rows("SELECT id, owner_id, report_id, storage_key, sha256, size FROM files ORDER BY id").await;
    database.close().await;

    let pending: Vec<i64> = files.iter().filter(|file| file.2.is_none()).map(|file| file.0).collect();
    assert!(pending.is_empty(), "cleanup with a zero lifetime left pending uploads {pending:?}");

    let root = setup.data_dir.join("files");
    let keys: BTreeSet<&str> = files.iter().map(|file| file.3.as_str()).collect();
    let originals = files_under(&root, &root.join("originals"));
    let unreferenced: Vec<&String> = originals.iter().filter(|path| !keys.contains(path.as_str())).collect();
    assert!(unreferenced.is_empty(), "content without a file record is left after cleanup: {unreferenced:?}");

    let derived = files_under(&root, &root.join("derived"));
    for path in &derived {
        let (directory, name) = path.rsplit_once('/').expect("a derived file is in a directory");
        let original = directory.replacen("derived/", "originals/", 1);
        assert!(keys.contains(original.as_str()), "derived file {path} belongs to content without a file record");
        assert!(["preview.jpg", "thumbnail.jpg"].contains(&name), "derived file {path} is a leftover of an interrupted write");
    }

    let temporary = files_under(&root, &root.join("tmp"));
    assert!(temporary.is_empty(), "cleanup with a zero age left temporary files {temporary:?}");
    checked
}
