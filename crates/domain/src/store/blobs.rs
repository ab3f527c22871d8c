//! Files kept on disk (the MoltCities vault): one file per id in one directory. A file is
//! written under a temporary name, flushed to disk, then renamed to its id, so a file with an
//! id is always whole; a crash leaves at most a temporary file, swept at start-up.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::io::AsyncWriteExt;

/// The prefix of files still being written.
const TEMP_PREFIX: &str = ".incoming-";

/// A directory of files by id.
#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

/// A file being written; removed when dropped unless kept.
pub struct Incoming {
    path: PathBuf,
    file: Option<tokio::fs::File>,
    /// Bytes written so far.
    pub size: u64,
}

impl Blobs {
    /// The directory `root`, created if missing, with leftovers of interrupted writes removed.
    pub fn open(root: &Path) -> std::io::Result<Blobs> {
        std::fs::create_dir_all(root)?;
        for entry in std::fs::read_dir(root)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(Blobs {
            root: root.to_path_buf(),
        })
    }

    /// Where the file `id` lives. Ids are made by the server (letters, digits, `_`, `-`),
    /// never taken from a request, so they cannot name another path.
    pub fn path(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// Starts a new file.
    pub async fn incoming(&self, temp_id: &str) -> std::io::Result<Incoming> {
        let path = self.root.join(format!("{TEMP_PREFIX}{temp_id}"));
        let file = tokio::fs::File::create(&path).await?;
        Ok(Incoming {
            path,
            file: Some(file),
            size: 0,
        })
    }

    /// Removes the file `id` (one already gone is not an error).
    pub async fn remove(&self, id: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(id)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

impl Incoming {
    /// Appends a chunk.
    pub async fn write(&mut self, chunk: &Bytes) -> std::io::Result<()> {
        if let Some(f) = self.file.as_mut() {
            f.write_all(chunk).await?;
        }
        self.size += chunk.len() as u64;
        Ok(())
    }

    /// Flushes the file to disk and gives it its id in `blobs`.
    pub async fn keep(mut self, blobs: &Blobs, id: &str) -> std::io::Result<()> {
        if let Some(mut f) = self.file.take() {
            f.flush().await?;
            f.sync_all().await?;
        }
        tokio::fs::rename(&self.path, blobs.path(id)).await?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if self.path.as_os_str().is_empty() {
            return;
        }
        // Unlinking is a single quick system call, done here so the partial file is surely
        // gone once the request is answered.
        let _ = std::fs::remove_file(std::mem::take(&mut self.path));
    }
}
