//! The vault: each agent's files, kept on disk beside the database, streamed in and out (no
//! whole file is ever held in memory), within a size limit per file and a quota per agent.
//! Public files may be listed and downloaded by anyone; private ones by their owner only.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::agent_cards::find_agent;
use super::clock::now_ms;
use super::model::User;
use super::{ids, Core, Error, Result};
use crate::store::blobs::{Blobs, Incoming};
use crate::store::models::VaultFileRow;
use crate::store::queries::vault;

/// The vault's limits.
#[derive(Debug, Clone, Copy)]
pub struct VaultLimits {
    /// Largest file, in bytes.
    pub max_file_bytes: u64,
    /// Most bytes one agent's files may take.
    pub quota_bytes: u64,
}

impl Default for VaultLimits {
    fn default() -> Self {
        VaultLimits {
            max_file_bytes: 15 * 1024 * 1024,
            quota_bytes: 100 * 1024 * 1024,
        }
    }
}

/// The longest file name, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// A file in a vault.
#[derive(Debug, Clone)]
pub struct VaultFile {
    pub id: String,
    pub owner_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub description: Option<String>,
    pub public: bool,
    pub created_at: i64,
}

impl From<VaultFileRow> for VaultFile {
    fn from(r: VaultFileRow) -> Self {
        VaultFile {
            id: r.id,
            owner_id: r.owner_id,
            filename: r.filename,
            content_type: r.content_type,
            size: r.size,
            description: r.description,
            public: r.public,
            created_at: r.created_at,
        }
    }
}

/// What an uploader says of a file.
#[derive(Debug, Clone, Default)]
pub struct FileInfo {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub description: Option<String>,
    pub public: bool,
}

/// An upload received whole on disk, not yet in the vault.
pub struct Received {
    incoming: Incoming,
}

/// A media type: `type/subtype`, token characters only, parameters dropped.
fn check_content_type(ct: Option<&str>) -> Result<String> {
    let Some(ct) = ct
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty())
    else {
        return Ok("application/octet-stream".into());
    };
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match ct.split_once('/') {
        Some((t, st)) if token(t) && token(st) => Ok(ct.to_ascii_lowercase()),
        _ => Err(Error::invalid(
            "content_type",
            "content_type must be a media type such as text/plain",
        )),
    }
}

impl FileInfo {
    fn validate(self) -> Result<FileInfo> {
        let filename = self
            .filename
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty());
        if let Some(f) = &filename {
            if f.chars().count() > MAX_FILENAME_CHARS || f.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "filename",
                    format!("filename must be at most {MAX_FILENAME_CHARS} characters, without control characters"),
                ));
            }
        }
        let description = self
            .description
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            return Err(Error::invalid(
                "description",
                format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        Ok(FileInfo {
            filename,
            content_type: Some(check_content_type(self.content_type.as_deref())?),
            description,
            public: self.public,
        })
    }
}

impl Core {
    fn blobs(&self) -> Result<&Blobs> {
        self.blobs
            .as_ref()
            .ok_or_else(|| Error::Unavailable("Vault storage not configured".into()))
    }

    /// The vault's limits.
    pub fn vault_limits(&self) -> VaultLimits {
        self.settings.vault
    }

    /// Receives an upload's bytes onto disk, chunk by chunk, stopping at the first byte past
    /// the file limit or the caller's remaining quota (the partial file is removed).
    pub async fn receive_upload<S, E>(&self, agent: &User, mut body: S) -> Result<Received>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let blobs = self.blobs()?.clone();
        let limits = self.settings.vault;
        let owner = agent.id.to_string();
        let used = self
            .read(move |conn| Ok(vault::usage(conn, &owner)?))
            .await? as u64;
        let room = limits.quota_bytes.saturating_sub(used);
        let mut incoming = blobs
            .incoming(&ids::nanoid())
            .await
            .map_err(|e| Error::Internal(format!("vault: {e}")))?;
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| Error::invalid("file", format!("upload interrupted: {e}")))?;
            let size = incoming.size + chunk.len() as u64;
            if size > limits.max_file_bytes {
                return Err(Error::TooLarge(format!(
                    "file exceeds the {}-byte vault file limit",
                    limits.max_file_bytes
                )));
            }
            if size > room {
                return Err(quota_exceeded(limits, used));
            }
            incoming
                .write(&chunk)
                .await
                .map_err(|e| Error::Internal(format!("vault: {e}")))?;
        }
        Ok(Received { incoming })
    }

    /// Puts a received upload in the caller's vault.
    pub async fn store_upload(
        &self,
        agent: &User,
        received: Received,
        info: FileInfo,
    ) -> Result<VaultFile> {
        let info = info.validate()?;
        let blobs = self.blobs()?.clone();
        let limits = self.settings.vault;
        let id = format!("vault_{}", ids::nanoid());
        let size = received.incoming.size as i64;
        received
            .incoming
            .keep(&blobs, &id)
            .await
            .map_err(|e| Error::Internal(format!("vault: {e}")))?;
        let row = VaultFileRow {
            id: id.clone(),
            owner_id: agent.id.to_string(),
            filename: info
                .filename
                .unwrap_or_else(|| format!("upload-{}", now_ms())),
            content_type: info.content_type.unwrap_or_default(),
            size,
            description: info.description,
            public: info.public,
            created_at: now_ms(),
        };
        let stored = self
            .commit(move |conn| {
                // Checked again here: two uploads at once must not pass the quota together.
                let used = vault::usage(conn, &row.owner_id)?;
                if (used + row.size) as u64 > limits.quota_bytes {
                    return Err(quota_exceeded(limits, used as u64));
                }
                vault::insert(conn, &row)?;
                Ok((VaultFile::from(row), vec![]))
            })
            .await;
        if stored.is_err() {
            let _ = blobs.remove(&id).await;
        }
        stored
    }

    /// The caller's files, the newest first, and the bytes they take.
    pub async fn my_vault(&self, agent: &User) -> Result<(Vec<VaultFile>, i64)> {
        let owner = agent.id.to_string();
        self.read(move |conn| {
            let files: Vec<VaultFile> = vault::of_owner(conn, &owner, false)?
                .into_iter()
                .map(VaultFile::from)
                .collect();
            let used = files.iter().map(|f| f.size).sum();
            Ok((files, used))
        })
        .await
    }

    /// An agent's public files (the agent named by id, site slug or username).
    pub async fn public_vault(&self, key: &str) -> Result<Vec<VaultFile>> {
        let key = key.to_string();
        self.read(move |conn| {
            let agent = find_agent(conn, &key, false)?
                .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
            Ok(vault::of_owner(conn, &agent.id, true)?
                .into_iter()
                .map(VaultFile::from)
                .collect())
        })
        .await
    }

    /// A file's details, for its owner or (a public file) anyone.
    pub async fn vault_file(&self, viewer: Option<&User>, id: &str) -> Result<VaultFile> {
        let (viewer, id) = (viewer.map(|u| u.id.to_string()), id.to_string());
        let file = self
            .read(move |conn| {
                vault::by_id(conn, &id)?
                    .map(VaultFile::from)
                    .ok_or_else(|| Error::NotFound("File not found".into()))
            })
            .await?;
        if !file.public && viewer.as_deref() != Some(file.owner_id.as_str()) {
            return Err(Error::Forbidden("File is private".into()));
        }
        Ok(file)
    }

    /// A file's details and its bytes, opened for reading.
    pub async fn open_vault_file(
        &self,
        viewer: Option<&User>,
        id: &str,
    ) -> Result<(VaultFile, tokio::fs::File)> {
        let file = self.vault_file(viewer, id).await?;
        let bytes = tokio::fs::File::open(self.blobs()?.path(&file.id))
            .await
            .map_err(|e| Error::Internal(format!("vault: {} is missing: {e}", file.id)))?;
        Ok((file, bytes))
    }

    /// Deletes one of the caller's files: the row, then the bytes.
    pub async fn delete_vault_file(&self, agent: &User, id: &str) -> Result<()> {
        let blobs = self.blobs()?.clone();
        let (owner, id) = (agent.id.to_string(), id.to_string());
        let removed = self
            .commit(move |conn| {
                let file = vault::by_id(conn, &id)?
                    .ok_or_else(|| Error::NotFound("File not found".into()))?;
                if file.owner_id != owner {
                    return Err(Error::Forbidden("Not your file".into()));
                }
                vault::delete(conn, &id)?;
                Ok((id, vec![]))
            })
            .await?;
        blobs
            .remove(&removed)
            .await
            .map_err(|e| Error::Internal(format!("vault: {e}")))
    }
}

fn quota_exceeded(limits: VaultLimits, used: u64) -> Error {
    Error::TooLarge(format!(
        "vault quota of {} bytes exceeded ({used} bytes in use)",
        limits.quota_bytes
    ))
}
