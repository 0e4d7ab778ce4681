//! Content-addressed storage of uploaded files: in a local directory, or in an S3-compatible
//! bucket with the local directory as the staging area.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::bucket::{Bucket, S3Config};
use crate::error::UploadError;
use crate::kind::FileKind;
use crate::name::sanitize_file_name;
use crate::ole::Ole2Scanner;
use crate::sniff::{SNIFF_BYTES, Sniffed, sniff};
use crate::zip::{ZipVerdict, classify_zip};

const TEMP_DIR: &str = "tmp";
const ORIGINALS_DIR: &str = "originals";
/// Metadata-free previews and thumbnails, one directory per original.
const DERIVED_DIR: &str = "derived";
const TEMP_SUFFIX: &str = ".part";
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// The content of a stored file, in chunks.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// File stored by [`FileStore::receive`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Storage key, `originals/<first two hex digits>/<sha256>`.
    pub key: String,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    pub kind: FileKind,
    /// Client-supplied name after [`sanitize_file_name`].
    pub original_name: String,
}

/// Content-addressed file storage.
///
/// Files are stored byte for byte at `originals/<first two hex digits>/<sha256>`, so identical
/// uploads share one file, and their derived images at `derived/<first two hex digits>/<sha256>/`.
/// Uploads in progress live in `tmp/` under unique names.
///
/// Every upload is received, verified and processed in the root directory, because those steps
/// need a local file. Without a bucket the root directory is also where files are kept. With a
/// bucket, [`FileStore::commit`] moves an accepted file and its derived images to the bucket under
/// the same keys, and reads, removals and listings go to the bucket.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
    /// The S3-compatible bucket that keeps accepted files, or `None` to keep them in `root`.
    bucket: Option<Bucket>,
}

impl FileStore {
    /// Opens the store at `root`, creating `root`, `root/tmp` and `root/originals` if missing.
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<FileStore> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join(TEMP_DIR)).await?;
        tokio::fs::create_dir_all(root.join(ORIGINALS_DIR)).await?;
        Ok(FileStore { root, bucket: None })
    }

    /// Opens a store that keeps accepted files in an S3-compatible bucket and stages uploads in
    /// `root`. Sends no request: call [`FileStore::probe`] to check that the bucket is reachable.
    pub async fn open_with_s3(root: impl Into<PathBuf>, config: &S3Config) -> io::Result<FileStore> {
        let bucket = Bucket::s3(config)?;
        let mut store = FileStore::open(root).await?;
        store.bucket = Some(bucket);
        Ok(store)
    }

    /// Returns where accepted files are kept: a directory path or an `s3://` location.
    pub fn location(&self) -> String {
        match &self.bucket {
            Some(bucket) => bucket.location().to_owned(),
            None => self.root.display().to_string(),
        }
    }

    /// Streams one upload to a temporary file while computing its SHA-256 and checking its kind and size.
    ///
    /// The kind is decided from the content only: the first bytes for most kinds, and the whole file
    /// for Office documents. The size limit of the kind is enforced while reading, so an oversized
    /// upload is rejected as soon as it passes the limit. The file is synced to disk and then moved to
    /// `originals/<first two hex digits>/<sha256>`. If that file already exists, the new copy is
    /// dropped. On any error, and if the returned future is dropped, the temporary file is removed.
    pub async fn receive<S, E>(
        &self,
        file_name: &str,
        mut stream: S,
    ) -> Result<StoredFile, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let file_name = sanitize_file_name(file_name);
        let read_error = |error: E| UploadError::Read {
            file_name: file_name.clone(),
            message: error.to_string(),
        };

        // Buffer the first bytes and decide the kind before anything touches the disk.
        let head = read_head(&mut stream).await.map_err(read_error)?;
        if head.is_empty() {
            return Err(UploadError::Empty { file_name });
        }
        let Some(sniffed) = sniff(&head) else {
            return Err(UploadError::TypeNotAllowed { file_name });
        };

        let temp = TempFile::new(
            self.root
                .join(TEMP_DIR)
                .join(format!("{}{TEMP_SUFFIX}", uuid::Uuid::new_v4())),
        );
        let written = write_temp_file(temp.path(), head, stream, sniffed).await;
        let written = match written {
            Ok(written) => written,
            Err(WriteFailure::TooLarge) => {
                let (kind, limit_bytes) = sniffed.limit();
                return Err(UploadError::TooLarge {
                    file_name,
                    kind,
                    limit_bytes,
                });
            }
            Err(WriteFailure::Read(error)) => return Err(read_error(error)),
            Err(WriteFailure::Storage(error)) => return Err(UploadError::Storage(error)),
        };

        let kind = match sniffed {
            Sniffed::Known(kind) => Some(kind),
            Sniffed::Ole2 => written.ole2.as_ref().and_then(Ole2Scanner::finish),
            Sniffed::Zip => match classify_zip(temp.path(), written.size).await? {
                ZipVerdict::Allowed(kind) => Some(kind),
                ZipVerdict::NotAllowed => None,
                ZipVerdict::ExpandsTooMuch {
                    uncompressed_bytes,
                    compressed_bytes,
                } => {
                    return Err(UploadError::ArchiveExpandsTooMuch {
                        file_name,
                        uncompressed_bytes,
                        compressed_bytes,
                    });
                }
            },
        };
        let Some(kind) = kind else {
            return Err(UploadError::TypeNotAllowed { file_name });
        };

        let key = self.move_to_originals(temp, &written.sha256).await?;
        tracing::debug!(%key, size = written.size, kind = kind.code(), "stored upload");

        Ok(StoredFile {
            key,
            sha256: written.sha256,
            size: written.size,
            kind,
            original_name: file_name,
        })
    }

    /// Moves a complete temporary file to its content address and returns the key. Drops the
    /// temporary file instead if a file with that SHA-256 is already stored.
    async fn move_to_originals(&self, temp: TempFile, sha256: &str) -> io::Result<String> {
        let key = format!("{ORIGINALS_DIR}/{}/{sha256}", &sha256[..2]);
        let destination = self.root.join(&key);
        let destination_dir = destination.parent().expect("key has a parent directory");
        tokio::fs::create_dir_all(destination_dir).await?;

        if tokio::fs::try_exists(&destination).await? {
            tracing::debug!(%key, "upload already stored, dropping the new copy");
            return Ok(key);
        }

        tokio::fs::rename(temp.path(), &destination).await?;
        temp.disarm();
        sync_directory(destination_dir).await?;
        Ok(key)
    }

    /// Opens a stored file for reading. Fails with `NotFound` for a missing file and with
    /// `InvalidInput` for a key that [`FileStore::path_of`] rejects.
    pub async fn read(&self, key: &str) -> io::Result<ByteStream> {
        let path = self.path_of(key).ok_or_else(|| invalid_key(key))?;
        match &self.bucket {
            Some(bucket) => bucket.read(key).await,
            None => open_stream(&path).await,
        }
    }

    /// Returns the local path of a received file, or `None` unless the key has the exact form
    /// `originals/<first two hex digits>/<sha256>` that [`FileStore::receive`] returns. With a
    /// bucket the path exists only from [`FileStore::receive`] to [`FileStore::commit`].
    ///
    /// The strict form rules out `..`, absolute paths and anything outside `originals/`.
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        let rest = key.strip_prefix(ORIGINALS_DIR)?.strip_prefix('/')?;
        let (prefix, sha256) = rest.split_once('/')?;

        let is_lower_hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let valid = sha256.len() == 64
            && is_lower_hex(sha256)
            && sha256.starts_with(prefix)
            && prefix.len() == 2;
        valid.then(|| self.root.join(key))
    }

    /// Returns the local directory for the derived images of a received original,
    /// `derived/<first two hex digits>/<sha256>`, or `None` for a key [`FileStore::path_of`]
    /// rejects.
    pub fn derived_dir_of(&self, key: &str) -> Option<PathBuf> {
        self.path_of(key)?;
        let rest = key.strip_prefix(ORIGINALS_DIR)?;
        Some(self.root.join(DERIVED_DIR).join(rest.trim_start_matches('/')))
    }

    /// Opens one derived image (`preview.jpg` or `thumbnail.jpg`) of a stored original.
    pub async fn read_derived(&self, key: &str, name: &str) -> io::Result<ByteStream> {
        if name != crate::PREVIEW_FILE_NAME && name != crate::THUMBNAIL_FILE_NAME {
            return Err(invalid_key(name));
        }
        let directory = self.derived_dir_of(key).ok_or_else(|| invalid_key(key))?;
        match &self.bucket {
            Some(bucket) => bucket.read(&derived_key(key, name)).await,
            None => open_stream(&directory.join(name)).await,
        }
    }

    /// Moves a received file and its derived images to the bucket, then removes the local
    /// copies. Does nothing without a bucket, where the received file is already in place.
    ///
    /// An original already in the bucket with the same size is not sent again, because its key
    /// is the SHA-256 of the content. On an error the local copies stay: the caller removes them
    /// with [`FileStore::discard_staged`] and any objects sent with [`FileStore::remove`].
    pub async fn commit(&self, key: &str) -> io::Result<()> {
        let Some(bucket) = &self.bucket else {
            return Ok(());
        };
        let original = self.path_of(key).ok_or_else(|| invalid_key(key))?;
        let derived = self.derived_dir_of(key).ok_or_else(|| invalid_key(key))?;

        // The original goes first: a process killed after this leaves an original without a
        // record, which `originals_older_than` finds, and never derived images alone.
        // NOTE: two uploads of identical content at the same time share one staging copy, so the
        // first commit can remove it while the second is still examining it.
        let size = tokio::fs::metadata(&original).await?.len();
        if bucket.size_of(key).await? == Some(size) {
            tracing::debug!(%key, "original already in the bucket");
        } else {
            bucket.upload_file(key, &original).await?;
        }
        for name in [crate::PREVIEW_FILE_NAME, crate::THUMBNAIL_FILE_NAME] {
            let path = derived.join(name);
            if tokio::fs::try_exists(&path).await? {
                bucket.upload_file(&derived_key(key, name), &path).await?;
            }
        }
        tracing::debug!(%key, size, bucket = bucket.location(), "moved upload to the bucket");

        self.remove_local(key).await
    }

    /// Removes the local copies of a received file and its derived images when a bucket keeps the
    /// accepted files. Does nothing without a bucket, where the local copy may be the stored file
    /// of another record: [`FileStore::remove`] decides about that one.
    pub async fn discard_staged(&self, key: &str) -> io::Result<()> {
        match self.bucket {
            Some(_) => self.remove_local(key).await,
            None => Ok(()),
        }
    }

    /// Removes a stored file and its derived images, from the bucket and from the local
    /// directory. A file that does not exist counts as removed.
    pub async fn remove(&self, key: &str) -> io::Result<()> {
        self.remove_local(key).await?;
        if let Some(bucket) = &self.bucket {
            let keys = [key.to_owned(), derived_key(key, crate::PREVIEW_FILE_NAME), derived_key(key, crate::THUMBNAIL_FILE_NAME)];
            bucket.delete(&keys).await?;
        }
        Ok(())
    }

    /// Removes the local copy of a file and its derived images.
    async fn remove_local(&self, key: &str) -> io::Result<()> {
        let path = self.path_of(key).ok_or_else(|| invalid_key(key))?;
        match tokio::fs::remove_file(path).await {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            result => result?,
        }
        let derived = self.derived_dir_of(key).ok_or_else(|| invalid_key(key))?;
        match tokio::fs::remove_dir_all(derived).await {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            result => result,
        }
    }

    /// Checks that new files can be stored: creates and deletes a probe file in the root
    /// directory and, with a bucket, a probe object in the bucket.
    pub async fn probe(&self) -> io::Result<()> {
        let probe = self.root.join(format!(".probe-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&probe, b"probe").await?;
        tokio::fs::remove_file(&probe).await?;
        if let Some(bucket) = &self.bucket {
            bucket.probe().await?;
        }
        Ok(())
    }

    /// Returns the keys of stored originals last modified more than `older_than` ago. A process
    /// killed between storing an upload and recording it leaves such content without a record.
    /// With a bucket the keys are those of the bucket and of local copies never committed.
    pub async fn originals_older_than(&self, older_than: Duration) -> io::Result<Vec<String>> {
        let mut keys = self.local_originals_older_than(older_than).await?;
        if let Some(bucket) = &self.bucket {
            let cutoff = chrono::Utc::now() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
            for (key, last_modified) in bucket.list(ORIGINALS_DIR).await? {
                if last_modified < cutoff && self.path_of(&key).is_some() && !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        Ok(keys)
    }

    async fn local_originals_older_than(&self, older_than: Duration) -> io::Result<Vec<String>> {
        let now = SystemTime::now();
        let mut keys = Vec::new();
        let mut prefixes = tokio::fs::read_dir(self.root.join(ORIGINALS_DIR)).await?;
        while let Some(prefix) = prefixes.next_entry().await? {
            if !prefix.file_type().await?.is_dir() {
                continue;
            }
            let mut entries = tokio::fs::read_dir(prefix.path()).await?;
            while let Some(entry) = entries.next_entry().await? {
                let metadata = match entry.metadata().await {
                    Ok(metadata) => metadata,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                    Err(error) => return Err(error),
                };
                let age = now.duration_since(metadata.modified()?).unwrap_or_default();
                let key = format!("{ORIGINALS_DIR}/{}/{}", prefix.file_name().to_string_lossy(), entry.file_name().to_string_lossy());
                if metadata.is_file() && age > older_than && self.path_of(&key).is_some() {
                    keys.push(key);
                }
            }
        }
        Ok(keys)
    }

    /// Removes temporary files last modified more than `older_than` ago, left by a crash or a
    /// killed process. Returns the number of files removed.
    pub async fn remove_stale_temporary_files(&self, older_than: Duration) -> io::Result<usize> {
        let now = SystemTime::now();
        let mut entries = tokio::fs::read_dir(self.root.join(TEMP_DIR)).await?;
        let mut removed = 0;

        while let Some(entry) = entries.next_entry().await? {
            let metadata = match entry.metadata().await {
                Ok(metadata) => metadata,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            if !metadata.is_file() {
                continue;
            }
            // A modification time in the future gives an error here and counts as fresh.
            let age = now.duration_since(metadata.modified()?).unwrap_or_default();
            if age <= older_than {
                continue;
            }

            match tokio::fs::remove_file(entry.path()).await {
                Ok(()) => removed += 1,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }

        if removed > 0 {
            tracing::info!(removed, "removed stale temporary upload files");
        }
        Ok(removed)
    }
}

/// Reads chunks until at least [`SNIFF_BYTES`] are buffered or the stream ends.
async fn read_head<S, E>(stream: &mut S) -> Result<Vec<u8>, E>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while head.len() < SNIFF_BYTES {
        match stream.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    Ok(head)
}

/// Size, hash and OLE2 findings of a temporary file written by [`write_temp_file`].
struct Written {
    size: u64,
    /// SHA-256, lowercase hex.
    sha256: String,
    /// Directory entries seen in an OLE2 file, `None` for other kinds.
    ole2: Option<Ole2Scanner>,
}

enum WriteFailure<E> {
    /// The upload passed the size limit of its kind. Reading stopped there.
    TooLarge,
    Read(E),
    Storage(io::Error),
}

impl<E> From<io::Error> for WriteFailure<E> {
    fn from(error: io::Error) -> Self {
        WriteFailure::Storage(error)
    }
}

/// Writes `head` and the rest of `stream` to a new file at `path`, hashing the bytes and
/// enforcing the size limit of `sniffed`, then syncs the file to disk.
async fn write_temp_file<S, E>(
    path: &Path,
    head: Vec<u8>,
    mut stream: S,
    sniffed: Sniffed,
) -> Result<Written, WriteFailure<E>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let (_, limit_bytes) = sniffed.limit();
    let file = tokio::fs::File::create_new(path).await?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    let mut hasher = Sha256::new();
    let mut ole2 = (sniffed == Sniffed::Ole2).then(Ole2Scanner::new);
    let mut size: u64 = 0;

    let mut next_chunk = Some(Bytes::from(head));
    while let Some(chunk) = next_chunk {
        size += chunk.len() as u64;
        if size > limit_bytes {
            return Err(WriteFailure::TooLarge);
        }
        hasher.update(&chunk);
        if let Some(scanner) = ole2.as_mut() {
            scanner.feed(&chunk);
        }
        writer.write_all(&chunk).await?;

        next_chunk = stream
            .next()
            .await
            .transpose()
            .map_err(WriteFailure::Read)?;
    }

    writer.flush().await?;
    writer.into_inner().sync_all().await?;

    Ok(Written {
        size,
        sha256: hex::encode(hasher.finalize()),
        ole2,
    })
}

/// Returns the bucket key of a derived image: `derived/<ab>/<sha256>/<name>` for the original
/// `originals/<ab>/<sha256>`.
fn derived_key(key: &str, name: &str) -> String {
    let rest = key.strip_prefix(ORIGINALS_DIR).unwrap_or(key).trim_start_matches('/');
    format!("{DERIVED_DIR}/{rest}/{name}")
}

async fn open_stream(path: &Path) -> io::Result<ByteStream> {
    let file = tokio::fs::File::open(path).await?;
    Ok(tokio_util::io::ReaderStream::new(file).boxed())
}

fn invalid_key(key: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("invalid file key {key:?}"),
    )
}

/// Syncs a directory so that a rename into it survives a crash.
async fn sync_directory(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    tokio::fs::File::open(dir).await?.sync_all().await?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Temporary file that is removed when dropped, unless it was moved away first.
///
/// Removal happens in `Drop` so that it also runs when the upload future is cancelled.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    fn new(path: PathBuf) -> Self {
        TempFile { path, armed: true }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the file on drop, because it has been renamed.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // A blocking call, but unlinking one file is fast and Drop cannot await.
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "failed to remove temporary upload file");
            }
        }
    }
}
