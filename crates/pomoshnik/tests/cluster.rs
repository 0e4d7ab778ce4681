//! A scaled-out installation on loopback: two `pomoshnik serve` processes and one
//! `pomoshnik worker` on a PostgreSQL database made for the test, keeping files in an S3 bucket
//! of a moto server (`pip install 'moto[server]'`). A report filed on node A is processed on
//! node B, a live update stream open on node A shows each status change, and the worker e-mails
//! the resident. The same scenario then runs on a database and bucket that
//! `pomoshnik copy-to-postgres` filled from a populated embedded installation.
//! The rate limits are checked across the nodes.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
#[allow(dead_code, reason = "this test uses the process helpers, not the crash test's database helpers")]
mod crash_support;
mod smtp_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{PASSWORD, TVERSKAYA, ZELENOGRAD, fixture, json_of, parking_report, sha256_hex};
use crash_support::{Server, Setup, sign_in};
use futures_util::StreamExt;
use mailparse::MailHeaderMap;
use pomoshnik_test_support::TestDatabase;
use pomoshnik_test_support::s3::{ACCESS_KEY_ID, MotoServer, SECRET_ACCESS_KEY};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use smtp_support::SmtpServer;
use tokio::sync::mpsc;

const RESIDENT: &str = "cluster-resident@example.org";
const MODERATOR: &str = "cluster-moderator@example.org";
const EXECUTOR: &str = "cluster-executor@example.org";

/// How long a live update or an e-mail may take to arrive.
const ARRIVAL_LIMIT: Duration = Duration::from_secs(20);

fn setup_in(directory: &tempfile::TempDir, name: &str, database_url: String) -> Setup {
    Setup { data_dir: directory.path().join(name), database_url, log_path: directory.path().join(format!("{name}.log")), env: Vec::new() }
}

/// Points every process of `setup` at a new bucket on the moto server, as an operator's
/// environment file would.
async fn use_bucket(setup: &mut Setup, moto: &MotoServer, name: &str) -> String {
    let bucket = moto.create_bucket(name).await;
    setup.env = vec![
        ("POMOSHNIK_S3_BUCKET".to_owned(), bucket.clone()),
        ("POMOSHNIK_S3_ENDPOINT".to_owned(), moto.endpoint().to_owned()),
        ("POMOSHNIK_S3_ACCESS_KEY_ID".to_owned(), ACCESS_KEY_ID.to_owned()),
        ("POMOSHNIK_S3_SECRET_ACCESS_KEY".to_owned(), SECRET_ACCESS_KEY.to_owned()),
    ];
    bucket
}

/// Checks that the bucket contains the original of each photo and that no original stayed in the
/// shared data directory.
async fn check_photos_in_bucket(setup: &Setup, moto: &MotoServer, bucket: &str, photos: &[&str]) {
    let keys = moto.object_keys(bucket).await;
    for photo in photos {
        let sha256 = sha256_hex(&fixture(photo));
        let key = format!("originals/{}/{sha256}", &sha256[..2]);
        assert!(keys.contains(&key), "the bucket lacks {key} of {photo}: {keys:?}");
    }
    let originals = setup.data_dir.join("files").join("originals");
    let left = crash_support::files_under(&originals, &originals);
    assert!(left.is_empty(), "originals stayed in the data directory: {left:?}");
}

async fn add_accounts(setup: &Setup) {
    setup.add_user("resident", RESIDENT, PASSWORD).await;
    setup.add_user("moderator", MODERATOR, PASSWORD).await;
    setup.add_user_with(&["--role", "executor", "--email", EXECUTOR, "--agency", "madi"], PASSWORD).await;
}

/// Starts `pomoshnik worker` sending through `smtp`; it ends when dropped.
fn start_worker(setup: &Setup, smtp: &SmtpServer, public_url: &str) -> tokio::process::Child {
    setup
        .command()
        .args(["worker", "--smtp-url", &smtp.url(), "--public-url", public_url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(setup.log_file())
        .spawn()
        .expect("failed to start `pomoshnik worker`")
}

/// Files a parking report with `photos` through the API of `server` and returns the response body.
async fn file_report(client: &Client, server: &Server, token: &str, photos: &[&str]) -> Value {
    let mut form = Form::new().text("report", parking_report().to_string());
    for name in photos {
        let part = Part::bytes(fixture(name)).file_name(name.to_string()).mime_str("image/jpeg").expect("image/jpeg is a valid MIME type");
        form = form.part("files", part);
    }
    let response = client.post(format!("{}/api/v1/reports", server.base_url)).bearer_auth(token).multipart(form).send().await.expect("POST /api/v1/reports failed");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::CREATED, "filing on {} failed: {body}", server.base_url);
    body
}

async fn transition(client: &Client, server: &Server, token: &str, number: &str, body: Value) {
    let response = client
        .post(format!("{}/api/v1/reports/{number}/transitions", server.base_url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST transitions failed");
    let (status, answer) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body} on {} failed: {answer}", server.base_url);
}

/// Signs a browser in with the form of `server`, opens `/live` for the report and returns the
/// `report` events as they arrive, as `(status, version)`.
async fn open_live_stream(server: &Server, number: &str, version: i64) -> mpsc::UnboundedReceiver<(String, i64)> {
    let browser = Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("failed to build the browser client");
    let signed_in = browser
        .post(format!("{}/login", server.base_url))
        .form(&[("login", RESIDENT), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .expect("POST /login failed");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "the sign-in form was not accepted");

    let response = browser.get(format!("{}/live?report={number}&version={version}", server.base_url)).send().await.expect("GET /live failed");
    assert_eq!(response.status(), StatusCode::OK);
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let mut text = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let event: String = text.drain(..end + 2).collect();
                if !event.lines().any(|line| line == "event: report") {
                    continue;
                }
                let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) else { continue };
                let data: Value = serde_json::from_str(data).expect("the report event is not JSON");
                let status = data["status"].as_str().unwrap_or_default().to_owned();
                if sender.send((status, data["version"].as_i64().unwrap_or_default())).is_err() {
                    return;
                }
            }
        }
    });
    receiver
}

/// Waits for the live update stream to show `status`.
async fn expect_live_status(events: &mut mpsc::UnboundedReceiver<(String, i64)>, status: &str) {
    let deadline = tokio::time::Instant::now() + ARRIVAL_LIMIT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some((shown, _))) if shown == status => return,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the live update stream ended before it showed {status}"),
            Err(_) => panic!("the live update stream on node A did not show {status} within {ARRIVAL_LIMIT:?}"),
        }
    }
}

/// Waits until the SMTP server has received a message for the resident about `number`
/// announcing `subject_status`.
async fn expect_email(smtp: &SmtpServer, number: &str, subject_status: &str) {
    let subject = format!("Обращение № {number}: {subject_status}");
    let started = Instant::now();
    loop {
        let found = smtp.messages().iter().any(|raw| {
            let message = mailparse::parse_mail(raw).expect("the message is not valid MIME");
            let header = |name: &str| message.headers.get_first_value(name).unwrap_or_default();
            header("To").contains(RESIDENT) && header("Subject") == subject
        });
        if found {
            return;
        }
        assert!(started.elapsed() < ARRIVAL_LIMIT, "the worker sent no e-mail \"{subject}\" within {ARRIVAL_LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs the two-node scenario on an installation whose accounts exist and returns the new
/// report's number.
async fn run_two_nodes(setup: &Setup) -> String {
    let mut smtp = SmtpServer::reserve();
    smtp.start();
    let node_a = setup.start_server_with(&["--external-worker"]).await;
    let node_b = setup.start_server_with(&["--external-worker"]).await;
    let _worker = start_worker(setup, &smtp, &node_a.base_url);
    let client = Client::new();

    // The resident files on node A; the photo is then read through node B from the shared files.
    let resident = sign_in(&client, &node_a.base_url, RESIDENT, PASSWORD).await;
    let report = file_report(&client, &node_a, &resident, &[TVERSKAYA, ZELENOGRAD]).await;
    let number = report["number"].as_str().expect("the answer has a number").to_owned();
    let version = report["version"].as_i64().expect("the answer has a version");
    let moderator = sign_in(&client, &node_b.base_url, MODERATOR, PASSWORD).await;
    let photo_url = report["files"][0]["url"].as_str().expect("the report has a file url");
    let photo = client.get(format!("{}{photo_url}", node_b.base_url)).bearer_auth(&moderator).send().await.expect("GET the photo failed");
    assert_eq!(photo.status(), StatusCode::OK, "node B cannot serve the photo filed on node A");
    let bytes = photo.bytes().await.expect("failed to read the photo");
    assert_eq!(sha256_hex(&bytes), sha256_hex(&fixture(TVERSKAYA)), "node B served other bytes than node A stored");

    let mut live = open_live_stream(&node_a, &number, version).await;
    expect_email(&smtp, &number, "Принято").await;

    // Node B processes it; each change shows up on node A's stream.
    transition(&client, &node_b, &moderator, &number, json!({ "to": "under_review" })).await;
    expect_live_status(&mut live, "under_review").await;
    transition(&client, &node_b, &moderator, &number, json!({ "to": "dispatched" })).await;
    expect_live_status(&mut live, "dispatched").await;
    let executor = sign_in(&client, &node_b.base_url, EXECUTOR, PASSWORD).await;
    transition(&client, &node_b, &executor, &number, json!({ "to": "in_progress" })).await;
    expect_live_status(&mut live, "in_progress").await;
    let resolution = json!({ "to": "resolved", "decision": "confirmed", "comment": "Нарушение подтверждено." });
    transition(&client, &node_b, &executor, &number, resolution).await;
    expect_live_status(&mut live, "resolved").await;

    expect_email(&smtp, &number, "Рассмотрено").await;
    let card = client.get(format!("{}/api/v1/reports/{number}", node_a.base_url)).bearer_auth(&resident).send().await.expect("GET the report failed");
    let (status, card) = json_of(card).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["status"], "resolved");
    number
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_one_worker() {
    let database = TestDatabase::postgres().await;
    let moto = MotoServer::start().await;
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let mut setup = setup_in(&directory, "shared", database.url().to_owned());
    let bucket = use_bucket(&mut setup, &moto, "pomoshnik-cluster").await;
    add_accounts(&setup).await;
    run_two_nodes(&setup).await;
    check_photos_in_bucket(&setup, &moto, &bucket, &[TVERSKAYA, ZELENOGRAD]).await;
}

/// Runs `pomoshnik copy-to-postgres` for `source` and returns its status, standard output and
/// standard error.
async fn copy_to_postgres(source: &Setup, target: &Setup) -> (std::process::ExitStatus, String, String) {
    let target_url = target.database_url.as_str();
    let target_dir = &target.data_dir;
    let output = source
        .command()
        .envs(target.env.iter().map(|(name, value)| (name.as_str(), value.as_str())))
        .args(["copy-to-postgres", "--target-database-url", target_url, "--target-data-dir"])
        .arg(target_dir)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("failed to run `pomoshnik copy-to-postgres`");
    (output.status, String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_installation_runs_two_nodes() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let embedded_dir = directory.path().join("embedded");
    let embedded = Setup {
        database_url: format!("sqlite://{}", embedded_dir.join("pomoshnik.db").display()),
        data_dir: embedded_dir,
        log_path: directory.path().join("embedded.log"),
        env: Vec::new(),
    };
    add_accounts(&embedded).await;

    // Populate the embedded installation through the service: reports with photos, a status
    // change, notifications (read and unread) and pending e-mail deliveries.
    let client = Client::new();
    let server = embedded.start_server_with(&["--external-worker"]).await;
    let resident = sign_in(&client, &server.base_url, RESIDENT, PASSWORD).await;
    let moderator = sign_in(&client, &server.base_url, MODERATOR, PASSWORD).await;
    let first = file_report(&client, &server, &resident, &[TVERSKAYA, ZELENOGRAD]).await;
    let second = file_report(&client, &server, &resident, &[TVERSKAYA, ZELENOGRAD]).await;
    let old_number = first["number"].as_str().expect("the answer has a number").to_owned();
    transition(&client, &server, &moderator, &old_number, json!({ "to": "under_review" })).await;
    let read = client.get(format!("{}/api/v1/reports/{old_number}", server.base_url)).bearer_auth(&resident).send().await.expect("GET the report failed");
    assert_eq!(read.status(), StatusCode::OK);
    server.terminate();
    assert!(server.wait_for_exit(Duration::from_secs(20)).await.success(), "the embedded server did not stop cleanly");

    let database = TestDatabase::postgres().await;
    let moto = MotoServer::start().await;
    let mut scaled = setup_in(&directory, "scaled", database.url().to_owned());
    let bucket = use_bucket(&mut scaled, &moto, "pomoshnik-copied").await;
    let (status, summary, errors) = copy_to_postgres(&embedded, &scaled).await;
    assert!(status.success(), "copy-to-postgres failed with {status}:\n{errors}");
    assert!(summary.contains("reports\t2 rows\tverified"), "summary: {summary}");
    assert!(summary.contains("users\t3 rows\tverified"), "summary: {summary}");
    assert!(summary.contains("files\t"), "summary: {summary}");

    // A second copy into the now filled database is rejected.
    check_photos_in_bucket(&scaled, &moto, &bucket, &[TVERSKAYA, ZELENOGRAD]).await;
    let (status, _, errors) = copy_to_postgres(&embedded, &scaled).await;
    assert!(!status.success(), "copy-to-postgres accepted a target that is not empty");
    assert!(errors.contains("the target database is not empty"), "no reason given:\n{errors}");

    let new_number = run_two_nodes(&scaled).await;
    assert_ne!(new_number, old_number);

    // The copied reports and their photos are served by the scaled-out installation.
    let node = scaled.start_server_with(&["--external-worker"]).await;
    let resident = sign_in(&client, &node.base_url, RESIDENT, PASSWORD).await;
    for copied in [&first, &second] {
        let number = copied["number"].as_str().expect("the answer has a number");
        let response = client.get(format!("{}/api/v1/reports/{number}", node.base_url)).bearer_auth(&resident).send().await.expect("GET the report failed");
        let (status, card) = json_of(response).await;
        assert_eq!(status, StatusCode::OK, "copied report {number}: {card}");
        assert_eq!(card["files"].as_array().map(Vec::len), copied["files"].as_array().map(Vec::len), "files of {number}");
        for file in card["files"].as_array().expect("files is an array") {
            let url = file["url"].as_str().expect("the file has a url");
            let response = client.get(format!("{}{url}", node.base_url)).bearer_auth(&resident).send().await.expect("GET a copied file failed");
            assert_eq!(response.status(), StatusCode::OK, "{url}");
            let bytes = response.bytes().await.expect("failed to read a copied file");
            assert_eq!(Some(sha256_hex(&bytes).as_str()), file["sha256"].as_str(), "{url} changed in the copy");
        }
    }
    let response = client.get(format!("{}/api/v1/reports/{old_number}", node.base_url)).bearer_auth(&resident).send().await.expect("GET the report failed");
    let (_, card) = json_of(response).await;
    assert_eq!(card["status"], "under_review", "the copied status change is lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_limit_holds_across_nodes() {
    let database = TestDatabase::postgres().await;
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let setup = setup_in(&directory, "shared", database.url().to_owned());
    add_accounts(&setup).await;
    let node_a = setup.start_server().await;
    let node_b = setup.start_server().await;
    let client = Client::new();
    let attempt = async |server: &Server, password: &str| {
        let response = client
            .post(format!("{}/api/v1/session", server.base_url))
            .json(&json!({ "login": RESIDENT, "password": password }))
            .send()
            .await
            .expect("POST /api/v1/session failed");
        let retry_after = response.headers().get("retry-after").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let (status, body) = json_of(response).await;
        (status, body, retry_after)
    };

    // Ten failures on node A, the default limit per account.
    for _ in 0..10 {
        let (status, body, _) = attempt(&node_a, "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // Node B counts them too, and rejects even the right password until the window ends.
    let (status, body, retry_after) = attempt(&node_b, PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_requests");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Попробуйте снова через 15 минут"), "message: {message}");
    let seconds: u64 = retry_after.expect("no Retry-After header").parse().expect("Retry-After is not a number of seconds");
    assert!((840..=900).contains(&seconds), "Retry-After {seconds}");

    // The sign-in page of node A shows the same message in Russian.
    let page = client.post(format!("{}/login", node_a.base_url)).form(&[("login", RESIDENT), ("password", PASSWORD)]).send().await.expect("POST /login failed");
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    let html = page.text().await.expect("failed to read the page");
    assert!(html.contains("Слишком много попыток"), "the page lacks the message");

    // Another account is not affected.
    let moderator = client.post(format!("{}/api/v1/session", node_b.base_url)).json(&json!({ "login": MODERATOR, "password": PASSWORD })).send().await.expect("POST /api/v1/session failed");
    assert_eq!(moderator.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_limit_holds_across_nodes() {
    let database = TestDatabase::postgres().await;
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let setup = setup_in(&directory, "shared", database.url().to_owned());
    add_accounts(&setup).await;
    let node_a = setup.start_server_with(&["--reports-per-hour", "1"]).await;
    let node_b = setup.start_server_with(&["--reports-per-hour", "1"]).await;
    let client = Client::new();
    let resident = sign_in(&client, &node_a.base_url, RESIDENT, PASSWORD).await;
    file_report(&client, &node_a, &resident, &[TVERSKAYA, ZELENOGRAD]).await;

    let form = Form::new().text("report", parking_report().to_string());
    let response = client.post(format!("{}/api/v1/reports", node_b.base_url)).bearer_auth(&resident).multipart(form).send().await.expect("POST /api/v1/reports failed");
    let retry_after = response.headers().get("retry-after").and_then(|value| value.to_str().ok()).map(str::to_owned);
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "node B accepted a report over the limit: {body}");
    assert_eq!(body["error"]["code"], "too_many_requests");
    let seconds: u64 = retry_after.expect("no Retry-After header").parse().expect("Retry-After is not a number of seconds");
    assert!((3500..=3600).contains(&seconds), "Retry-After {seconds}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Попробуйте снова через 60 минут") || message.contains("Попробуйте снова через 59 минут"), "message: {message}");
}
