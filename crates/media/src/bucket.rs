//! S3-compatible object storage for accepted files, through the `object_store` crate.
//!
//! Objects have the same keys as the files of the local directory: `originals/<ab>/<sha256>` and
//! `derived/<ab>/<sha256>/preview.jpg`.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use tokio::io::AsyncWriteExt;

use crate::store::ByteStream;

/// Part size of multipart uploads, the minimum that S3 accepts for every part but the last.
/// Smaller files are sent with one PUT.
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts of one file sent at once. An upload keeps these parts and the one being filled in memory.
const PARTS_IN_FLIGHT: usize = 2;
/// Prefix of the objects that [`Bucket::probe`] writes and deletes.
const PROBE_PREFIX: &str = "probe";

/// Settings of an S3-compatible bucket.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// Base URL of an S3-compatible service, such as `https://storage.example` or
    /// `http://127.0.0.1:9000`. `None` means Amazon S3 in `region`.
    pub endpoint: Option<String>,
    pub region: String,
    /// Access key id. With neither key set, `object_store` looks for credentials in the
    /// standard AWS environment variables and instance metadata.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Requests go to `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint>/<key>`, as most
    /// S3-compatible servers on a single host expect.
    pub path_style: bool,
}

impl S3Config {
    /// Returns a configuration for `bucket` in region `us-east-1` with path-style requests.
    pub fn new(bucket: impl Into<String>) -> S3Config {
        S3Config {
            bucket: bucket.into(),
            endpoint: None,
            region: "us-east-1".to_owned(),
            access_key_id: None,
            secret_access_key: None,
            path_style: true,
        }
    }

    /// Returns where the bucket is, for log lines and error messages: `s3://BUCKET at ENDPOINT`.
    pub fn location(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("s3://{} at {endpoint}", self.bucket),
            None => format!("s3://{} in region {}", self.bucket, self.region),
        }
    }
}

/// Shows every setting except the secret access key.
impl fmt::Debug for S3Config {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "<redacted>"))
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// A bucket containing accepted originals and their derived images.
#[derive(Clone)]
pub(crate) struct Bucket {
    objects: Arc<dyn ObjectStore>,
    location: String,
}

/// Shows only the location, so no client setting can reach a log line.
impl fmt::Debug for Bucket {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("Bucket").field("location", &self.location).finish()
    }
}

impl Bucket {
    /// Builds the S3 client. No request is sent until the first operation.
    pub(crate) fn s3(config: &S3Config) -> io::Result<Bucket> {
        let allow_http = config.endpoint.as_deref().is_some_and(|endpoint| endpoint.starts_with("http://"));
        // A bucket that does not respond should fail a request within about a minute (retries
        // plus one request timeout), not after the three minutes of retries that
        // `object_store` 0.14 allows by default.
        let retry = RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(30), ..RetryConfig::default() };
        let client = ClientOptions::new().with_connect_timeout(Duration::from_secs(5)).with_allow_http(allow_http);

        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_retry(retry)
            .with_client_options(client);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(access_key_id) = &config.access_key_id {
            builder = builder.with_access_key_id(access_key_id);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let objects = builder.build().map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        Ok(Bucket { objects: Arc::new(objects), location: config.location() })
    }

    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// Uploads the file at `path` to `key`, in parts for files larger than [`PART_BYTES`], so
    /// memory use does not grow with the file. An upload that fails is aborted.
    pub(crate) async fn upload_file(&self, key: &str, path: &Path) -> io::Result<()> {
        let mut file = tokio::fs::File::open(path).await?;
        let mut writer = BufWriter::with_capacity(self.objects.clone(), ObjectPath::from(key), PART_BYTES).with_max_concurrency(PARTS_IN_FLIGHT);

        let copied = async {
            tokio::io::copy(&mut file, &mut writer).await?;
            writer.shutdown().await
        }
        .await;
        if let Err(error) = copied {
            if let Err(abort_error) = writer.abort().await {
                tracing::warn!(%key, error = %abort_error, "failed to abort a multipart upload");
            }
            return Err(error);
        }
        Ok(())
    }

    /// Returns the size of the object at `key`, or `None` if there is no such object.
    pub(crate) async fn size_of(&self, key: &str) -> io::Result<Option<u64>> {
        match self.objects.head(&ObjectPath::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Starts a download of `key`. Fails with `NotFound` before any byte is returned when the
    /// object does not exist. The content arrives in the chunks the server sends.
    pub(crate) async fn read(&self, key: &str) -> io::Result<ByteStream> {
        let result = self.objects.get(&ObjectPath::from(key)).await?;
        Ok(result.into_stream().map_err(io::Error::from).boxed())
    }

    /// Deletes the objects at `keys`. A missing object counts as deleted.
    pub(crate) async fn delete(&self, keys: &[String]) -> io::Result<()> {
        for key in keys {
            match self.objects.delete(&ObjectPath::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Returns the keys and last-modified times of the objects under `prefix`.
    pub(crate) async fn list(&self, prefix: &str) -> io::Result<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
        let mut listing = self.objects.list(Some(&ObjectPath::from(prefix)));
        let mut objects = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            objects.push((meta.location.to_string(), meta.last_modified));
        }
        Ok(objects)
    }

    /// Writes and deletes a small object, which fails unless the bucket exists and the
    /// credentials may write to it.
    pub(crate) async fn probe(&self) -> io::Result<()> {
        let key = ObjectPath::from(format!("{PROBE_PREFIX}/{}", uuid::Uuid::new_v4().simple()));
        self.objects.put(&key, Bytes::from_static(b"probe").into()).await?;
        self.objects.delete(&key).await?;
        Ok(())
    }
}
