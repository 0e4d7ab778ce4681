//! Graceful shutdown of the real `pomoshnik serve` process: after SIGTERM it refuses new
//! connections, lets a submission whose upload is still arriving finish and store its report,
//! then exits successfully. A request that outlasts `--shutdown-timeout` does not keep the
//! process alive.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;
#[allow(dead_code, reason = "the crash test uses the database helpers, this test only the process ones")]
mod crash_support;

use std::time::{Duration, Instant};

use common::{PASSWORD, TVERSKAYA, fixture, is_report_number, litter_report};
use crash_support::{Server, Setup, sign_in};
use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

const RESIDENT: &str = "shutdown-resident@example.org";

fn sqlite_setup(directory: &tempfile::TempDir) -> Setup {
    let data_dir = directory.path().join("data");
    Setup {
        database_url: format!("sqlite://{}", data_dir.join("pomoshnik.db").display()),
        data_dir,
        log_path: directory.path().join("server.log"),
        env: Vec::new(),
    }
}

/// Builds a request body that sends the first half of `bytes` at once and the rest when `release`
/// fires, as a slow mobile connection would.
fn held_body(bytes: Vec<u8>, release: oneshot::Receiver<()>) -> reqwest::Body {
    let rest = bytes[bytes.len() / 2..].to_vec();
    let first = bytes[..bytes.len() / 2].to_vec();
    let first = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) });
    let rest = futures_util::stream::once(async move {
        let _ = release.await;
        Ok::<_, std::io::Error>(rest)
    });
    reqwest::Body::wrap_stream(first.chain(rest))
}

/// Starts a report submission with a photo whose second half waits for `release`.
fn start_held_submission(client: &Client, server: &Server, token: &str, release: oneshot::Receiver<()>) -> tokio::task::JoinHandle<reqwest::Result<(StatusCode, Value)>> {
    let photo = Part::stream(held_body(fixture(TVERSKAYA), release)).file_name("photo.jpg").mime_str("image/jpeg").expect("image/jpeg is a valid MIME type");
    let form = Form::new().text("report", litter_report(55.7601, 37.6186).to_string()).part("files", photo);
    let request = client.post(format!("{}/api/v1/reports", server.base_url)).bearer_auth(token).multipart(form);
    tokio::spawn(async move {
        let response = request.send().await?;
        let status = response.status();
        Ok((status, response.json().await?))
    })
}

/// Waits until nothing accepts connections on `port` any more.
async fn wait_until_refused(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
        assert!(Instant::now() < deadline, "port {port} still accepted connections 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_upload_in_flight() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let setup = sqlite_setup(&directory);
    setup.add_user("resident", RESIDENT, PASSWORD).await;
    let server = setup.start_server().await;
    let client = Client::new();
    let token = sign_in(&client, &server.base_url, RESIDENT, PASSWORD).await;

    let (release, held) = oneshot::channel();
    let submission = start_held_submission(&client, &server, &token, held);
    // The first half of the photo reaches the server before the signal.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!submission.is_finished(), "the submission ended before the rest of its body was sent");
    server.terminate();
    wait_until_refused(server.port).await;

    release.send(()).expect("the request body is still waiting");
    let (status, body) = submission.await.expect("the submission task panicked").expect("the submission in flight failed");
    let exit = server.wait_for_exit(Duration::from_secs(20)).await;
    assert_eq!(status, StatusCode::CREATED, "the submission in flight was answered with {status}: {body}");
    assert!(exit.success(), "the server exited with {exit} after SIGTERM");

    // The report is stored: a new server on the same installation shows it to its author.
    let number = body["number"].as_str().unwrap_or_default().to_owned();
    assert!(is_report_number(&number), "the answer has no report number: {body}");
    let server = setup.start_server().await;
    let token = sign_in(&client, &server.base_url, RESIDENT, PASSWORD).await;
    let stored = client.get(format!("{}/api/v1/reports/{number}", server.base_url)).bearer_auth(&token).send().await.expect("the report request failed");
    assert_eq!(stored.status(), StatusCode::OK, "report {number} was not stored");
    let stored: Value = stored.json().await.expect("the report is not JSON");
    assert_eq!(stored["files"].as_array().map(Vec::len), Some(1), "report {number} lost its photo: {stored}");
    server.terminate();
    server.wait_for_exit(Duration::from_secs(20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_at_drain_limit() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let setup = sqlite_setup(&directory);
    setup.add_user("resident", RESIDENT, PASSWORD).await;
    let server = setup.start_server_with(&["--shutdown-timeout", "1"]).await;
    let client = Client::new();
    let token = sign_in(&client, &server.base_url, RESIDENT, PASSWORD).await;

    // The rest of this body never comes.
    let (_never_released, held) = oneshot::channel();
    let submission = start_held_submission(&client, &server, &token, held);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = Instant::now();
    server.terminate();
    let exit = server.wait_for_exit(Duration::from_secs(15)).await;
    let stopped_after = signalled.elapsed();

    assert!(exit.success(), "the server exited with {exit} at the drain limit");
    assert!(stopped_after >= Duration::from_secs(1), "the server stopped after {stopped_after:?}, before the one-second drain limit");
    let outcome = submission.await.expect("the submission task panicked");
    assert!(outcome.is_err(), "the unfinished submission got an answer: {outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_live_streams() {
    let directory = tempfile::tempdir().expect("failed to create a temporary directory");
    let setup = sqlite_setup(&directory);
    setup.add_user("resident", RESIDENT, PASSWORD).await;
    let server = setup.start_server_with(&["--shutdown-timeout", "20"]).await;
    let browser = Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("the client builds");
    let signed_in = browser
        .post(format!("{}/login", server.base_url))
        .form(&[("login", RESIDENT), ("password", PASSWORD), ("next", "/my/reports")])
        .send()
        .await
        .expect("sign-in failed");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "the sign-in form was not accepted");

    // An open page's update stream, which never ends by itself.
    let live = browser.get(format!("{}/live", server.base_url)).send().await.expect("GET /live failed");
    assert_eq!(live.status(), StatusCode::OK);
    let signalled = Instant::now();
    server.terminate();
    let exit = server.wait_for_exit(Duration::from_secs(15)).await;
    let stopped_after = signalled.elapsed();
    let body = live.text().await;

    assert!(exit.success(), "the server exited with {exit}");
    assert!(stopped_after < Duration::from_secs(10), "an open live stream held the shutdown for {stopped_after:?}");
    assert!(body.is_ok_and(|text| text.contains("event: unread")), "the stream did not end cleanly with its events");
}
