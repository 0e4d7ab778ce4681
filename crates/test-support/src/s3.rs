//! A real S3-compatible server for tests: `moto` from PyPI (`pip install 'moto[server]'`), run
//! as `python3 -m moto.server` on a free loopback port and killed when the handle is dropped.
//!
//! moto accepts any access key and does not check request signatures, so the tests inspect the
//! bucket with requests that carry an `Authorization` header with a dummy signature. Without the
//! header moto treats a request as anonymous and rejects reading objects (403).

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Maximum time moto may take to start responding, because Python imports the whole package first.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Access key id and secret that the tests give the service; moto accepts any pair.
pub const ACCESS_KEY_ID: &str = "pomoshnik-test";
pub const SECRET_ACCESS_KEY: &str = "pomoshnik-test-secret";

/// An AWS Signature Version 4 header with the test key and a dummy signature, which moto does
/// not check.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=pomoshnik-test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// A running moto server. Dropping it kills the server, also when the test panics.
pub struct MotoServer {
    child: Child,
    endpoint: String,
    client: reqwest::Client,
}

impl MotoServer {
    /// Starts moto on a free port of 127.0.0.1 and waits until it responds to HTTP. Panics, so the
    /// test fails, if python3 or moto is missing or the server does not respond in time.
    pub async fn start() -> MotoServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("failed to find a free loopback port")
            .port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("failed to run python3: install it and `pip install 'moto[server]'` (bash .ci/run does)");
        let mut server = MotoServer { child, endpoint: format!("http://127.0.0.1:{port}"), client: reqwest::Client::new() };
        server.wait_until_responding().await;
        server
    }

    async fn wait_until_responding(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(response) = self.client.get(format!("{}/", self.endpoint)).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("moto exited with {status} before responding: is it installed (pip install 'moto[server]')?");
            }
            assert!(Instant::now() < deadline, "moto did not respond at {} within {START_TIMEOUT:?}", self.endpoint);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Returns the base URL, `http://127.0.0.1:PORT`, for path-style requests.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Creates a bucket and returns its name.
    pub async fn create_bucket(&self, name: &str) -> String {
        // moto needs an explicit empty body to recognise the request as CreateBucket.
        let response = self.client.put(format!("{}/{name}", self.endpoint)).header("authorization", AUTHORIZATION).body("").send().await.expect("CreateBucket request failed");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "failed to create bucket {name}: {status} {body}");
        name.to_owned()
    }

    /// Returns the keys of every object in `bucket`.
    pub async fn object_keys(&self, bucket: &str) -> BTreeSet<String> {
        let url = format!("{}/{bucket}?list-type=2&max-keys=1000", self.endpoint);
        let response = self.client.get(&url).header("authorization", AUTHORIZATION).send().await.expect("ListObjectsV2 request failed");
        let status = response.status();
        let body = response.text().await.expect("failed to read the object listing");
        assert!(status.is_success(), "failed to list bucket {bucket}: {status} {body}");
        assert!(!body.contains("<IsTruncated>true</IsTruncated>"), "the listing of {bucket} has more than 1000 keys");
        body.split("<Key>").skip(1).map(|rest| rest.split("</Key>").next().unwrap_or_default().to_owned()).collect()
    }

    /// Returns the content of an object, or `None` when there is no object at `key`.
    pub async fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let response = self.client.get(format!("{}/{bucket}/{key}", self.endpoint)).header("authorization", AUTHORIZATION).send().await.expect("GetObject request failed");
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => None,
            status if status.is_success() => Some(response.bytes().await.expect("failed to read an object").to_vec()),
            status => panic!("failed to read {bucket}/{key}: {status}"),
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
