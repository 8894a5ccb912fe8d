//! Where uploaded files live: the local disk under the data directory (the default), or an S3-compatible object
//! store shared by every instance. Both behind `object_store`, so the handlers do not know which. A file's key is
//! its served path under `/media/`: `{hash}/{file}`.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, PutPayload,
};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such file")]
    NotFound,
    #[error("the media store failed: {0}")]
    Failed(#[from] object_store::Error),
    #[error("the media store setting `{0}` is not understood: use `local`, a directory path, or `s3://bucket[/prefix]`")]
    Setting(String),
    #[error("cannot create the media directory {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("reading a stored file failed: {0}")]
    Read(String),
}

/// The bytes of `span` of a local file.
fn read_span(mut file: std::fs::File, span: Range<u64>) -> Result<Bytes, StorageError> {
    use std::io::{Read, Seek, SeekFrom};
    let len =
        usize::try_from(span.end - span.start).map_err(|e| StorageError::Read(e.to_string()))?;
    let mut buf = vec![0; len];
    file.seek(SeekFrom::Start(span.start))
        .and_then(|_| file.read_exact(&mut buf))
        .map_err(|e| StorageError::Read(e.to_string()))?;
    Ok(Bytes::from(buf))
}

fn failed(e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::NotFound,
        other => StorageError::Failed(other),
    }
}

/// A stored file's bytes, whole or a range, as a stream.
pub struct Fetched {
    /// The whole file's size.
    pub size: u64,
    /// The bytes this answer holds.
    pub range: Range<u64>,
    pub body: BoxStream<'static, Result<Bytes, StorageError>>,
}

#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    /// For logs and `/readyz`: `local:/path` or `s3://bucket/prefix`.
    pub description: String,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl MediaStore {
    /// From the `FOLIO_MEDIA_STORE` setting: `local` (`{data_dir}/media`), a directory, or `s3://bucket[/prefix]`
    /// with credentials, region and endpoint from the standard `AWS_*` variables (`AWS_ENDPOINT` for a
    /// non-AWS store, `AWS_ALLOW_HTTP=true` for a plain-HTTP one).
    pub fn from_setting(setting: &str, data_dir: &std::path::Path) -> Result<Self, StorageError> {
        if let Some(rest) = setting.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(StorageError::Setting(setting.to_owned()));
            }
            let s3 = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()?;
            let store: Arc<dyn ObjectStore> = match prefix.trim_matches('/') {
                "" => Arc::new(s3),
                p => Arc::new(object_store::prefix::PrefixStore::new(s3, p)),
            };
            return Ok(MediaStore {
                store,
                description: format!("s3://{}", rest.trim_end_matches('/')),
            });
        }
        let dir = match setting {
            "" | "local" => data_dir.join("media"),
            path if !path.contains("://") => std::path::PathBuf::from(path),
            _ => return Err(StorageError::Setting(setting.to_owned())),
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| StorageError::Directory(dir.display().to_string(), e))?;
        let store = LocalFileSystem::new_with_prefix(&dir)?;
        Ok(MediaStore {
            store: Arc::new(store),
            description: format!("local:{}", dir.display()),
        })
    }

    fn key(hash: &str, file: &str) -> Path {
        Path::from(format!("{hash}/{file}"))
    }

    pub async fn put(&self, hash: &str, file: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        self.store
            .put(&Self::key(hash, file), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(failed)
    }

    pub async fn exists(&self, hash: &str, file: &str) -> Result<bool, StorageError> {
        match self.store.head(&Self::key(hash, file)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(StorageError::Failed(e)),
        }
    }

    /// The file, or the bytes of `range` (an inclusive-exclusive span already checked against `size`).
    pub async fn get(
        &self,
        hash: &str,
        file: &str,
        range: Option<Range<u64>>,
    ) -> Result<Fetched, StorageError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let result = self
            .store
            .get_opts(&Self::key(hash, file), options)
            .await
            .map_err(failed)?;
        let size = result.meta.size;
        let range = result.range.clone();
        let body = match result.payload {
            // A local file is read in one blocking call (files are at most the upload limit): the store's own
            // stream reads it 8 KiB per blocking call, which cost 98% of the throughput (bench/README.md).
            GetResultPayload::File(file, _) => {
                let span = range.clone();
                futures_util::stream::once(async move {
                    tokio::task::spawn_blocking(move || read_span(file, span))
                        .await
                        .map_err(|e| StorageError::Read(e.to_string()))?
                })
                .boxed()
            }
            GetResultPayload::Stream(stream) => stream.map(|r| r.map_err(failed)).boxed(),
        };
        Ok(Fetched { size, range, body })
    }

    /// The size of a stored file.
    pub async fn size(&self, hash: &str, file: &str) -> Result<u64, StorageError> {
        self.store
            .head(&Self::key(hash, file))
            .await
            .map(|m| m.size)
            .map_err(failed)
    }

    /// Deletes the files; one already gone is not an error.
    pub async fn delete(&self, hash: &str, files: &[String]) -> Result<(), StorageError> {
        for file in files {
            match self.store.delete(&Self::key(hash, file)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(StorageError::Failed(e)),
            }
        }
        Ok(())
    }
}
