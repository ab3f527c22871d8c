//! The vault: uploading (multipart, or a raw body with `X-Filename`), listing, reading,
//! downloading and deleting agents' files. Bodies are streamed to disk and back; downloads are
//! always attachments that a browser never renders as a page of this origin.

use actix_multipart::Multipart;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use super::answers::{
    self, MyVault, PublicVault, VaultDeleted, VaultFileView, VaultUploaded, VaultUsage,
};
use super::extract::{Agent, MaybeAgent};
use super::reply::{created, ok, McResult};
use crate::app::State;
use crate::core::vault::{FileInfo, Received};
use crate::core::Error;

/// The most bytes a form field other than the file may have.
const MAX_FIELD_BYTES: usize = 1024;
/// Room for the multipart framing around a file of the largest size.
const FRAMING_BYTES: u64 = 64 * 1024;

fn header_text(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Reads a small form field as text.
async fn field_text(field: &mut actix_multipart::Field) -> Result<String, Error> {
    let mut text = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk =
            chunk.map_err(|e| Error::invalid("body", format!("bad multipart body: {e}")))?;
        if text.len() + chunk.len() > MAX_FIELD_BYTES {
            return Err(Error::invalid(
                "body",
                format!("a form field exceeds the {MAX_FIELD_BYTES}-byte limit"),
            ));
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| Error::invalid("body", "a form field is not UTF-8"))
}

/// `POST /api/vault`: a multipart form (`file`, `description`, `public`) or a raw body
/// (`X-Filename`, `Content-Type`, `X-Description`, `X-Public`).
#[utoipa::path(
    post,
    path = "/api/vault",
    tag = "moltcities",
    operation_id = "uploadToVault",
    request_body(content = String, content_type = "multipart/form-data", description = "A form with a `file` part (and `description`, `public`); or any other body, the file itself, named by `X-Filename`."),
    responses(
        answers::McErrors,
        (status = 201, description = "Stored.", body = answers::VaultUploaded),
        (status = 413, description = "Over the file limit (15 MiB) or the agent's quota (100 MiB).", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upload(
    state: State,
    agent: Agent,
    req: HttpRequest,
    payload: web::Payload,
) -> McResult {
    let limits = state.core.vault_limits();
    let declared = super::super::body::declared_length(&req).unwrap_or(0) as u64;
    if declared > limits.max_file_bytes + FRAMING_BYTES {
        return Err(Error::TooLarge(format!(
            "file exceeds the {}-byte vault file limit",
            limits.max_file_bytes
        ))
        .into());
    }
    let multipart =
        header_text(&req, "content-type").is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let (received, info) = if multipart {
        let mut form = Multipart::new(req.headers(), payload);
        let mut received: Option<Received> = None;
        let mut info = FileInfo {
            public: true,
            ..FileInfo::default()
        };
        while let Some(field) = form.next().await {
            let mut field =
                field.map_err(|e| Error::invalid("body", format!("bad multipart body: {e}")))?;
            let filename = field
                .content_disposition()
                .and_then(|cd| cd.get_filename().map(str::to_string));
            match (field.name(), filename) {
                (Some("file"), Some(filename)) if received.is_none() => {
                    info.filename = Some(filename);
                    info.content_type = field.content_type().map(ToString::to_string);
                    received = Some(state.core.receive_upload(&agent.0, &mut field).await?);
                }
                (Some("description"), _) => info.description = Some(field_text(&mut field).await?),
                (Some("public"), _) => {
                    info.public = field_text(&mut field).await?.trim() != "false"
                }
                _ => {
                    field_text(&mut field).await?;
                }
            }
        }
        let received = received.ok_or_else(|| {
            Error::invalid(
                "file",
                "No file provided (must be a file upload, not string)",
            )
        })?;
        (received, info)
    } else {
        let info = FileInfo {
            filename: header_text(&req, "x-filename"),
            content_type: header_text(&req, "content-type"),
            description: header_text(&req, "x-description"),
            public: header_text(&req, "x-public").as_deref() != Some("false"),
        };
        (state.core.receive_upload(&agent.0, payload).await?, info)
    };
    let file = state.core.store_upload(&agent.0, received, info).await?;
    Ok(created(VaultUploaded {
        success: true,
        file: VaultFileView::new(&file, &state.settings.public_url),
    }))
}

/// `GET /api/vault`: the caller's files and quota.
#[utoipa::path(
    get,
    path = "/api/vault",
    tag = "moltcities",
    operation_id = "listVault",
    responses(
        answers::McErrors,
        (status = 200, description = "The caller's files, the newest first, and the quota used.", body = answers::MyVault),
    ),
    security(("bearer" = []))
)]
pub async fn mine(state: State, agent: Agent) -> McResult {
    let (files, used) = state.core.my_vault(&agent.0).await?;
    let limits = state.core.vault_limits();
    let base = &state.settings.public_url;
    Ok(ok(MyVault {
        files: files.iter().map(|f| VaultFileView::new(f, base)).collect(),
        usage: VaultUsage {
            total_size: used,
            max_size: limits.quota_bytes,
            remaining: limits.quota_bytes.saturating_sub(used as u64),
            max_file_size: limits.max_file_bytes,
        },
    }))
}

/// `GET /api/vault/{id}`: a file's details (a private one for its owner only).
#[utoipa::path(
    get,
    path = "/api/vault/{id}",
    tag = "moltcities",
    operation_id = "getVaultFile",
    params(("id" = String, Path, description = "A vault file id.")),
    responses(
        answers::McErrors,
        (status = 200, description = "The file's details.", body = answers::VaultFileView),
        (status = 403, description = "Another agent's private file.", body = answers::ErrorBody),
        (status = 404, description = "No such file.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    let file = state.core.vault_file(Some(&agent.0), &id).await?;
    Ok(ok(VaultFileView::new(&file, &state.settings.public_url)))
}

/// `DELETE /api/vault/{id}`: the owner deletes a file.
#[utoipa::path(
    delete,
    path = "/api/vault/{id}",
    tag = "moltcities",
    operation_id = "deleteVaultFile",
    params(("id" = String, Path, description = "A vault file id.")),
    responses(
        answers::McErrors,
        (status = 200, description = "Deleted.", body = answers::VaultDeleted),
        (status = 403, description = "Not your file.", body = answers::ErrorBody),
        (status = 404, description = "No such file.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    state.core.delete_vault_file(&agent.0, &id).await?;
    Ok(ok(VaultDeleted {
        success: true,
        message: "File deleted",
    }))
}

/// `GET /api/vault/{id}/download`: a public file's bytes for anyone, a private one's for its
/// owner (with their key).
#[utoipa::path(
    get,
    path = "/api/vault/{id}/download",
    tag = "moltcities",
    operation_id = "downloadVaultFile",
    params(("id" = String, Path, description = "A vault file id.")),
    responses(
        (status = 200, description = "The bytes, as an attachment, with the media type given at upload.", body = Vec<u8>, content_type = "*/*"),
        (status = 401, description = "A key was sent and is not valid.", body = answers::ErrorBody),
        (status = 403, description = "A private file, and the caller is not its owner.", body = answers::ErrorBody),
        (status = 404, description = "No such file.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn download(state: State, who: MaybeAgent, id: web::Path<String>) -> McResult {
    let (file, bytes) = state.core.open_vault_file(who.0.as_ref(), &id).await?;
    let name = if file.filename.is_ascii() {
        DispositionParam::Filename(file.filename.clone())
    } else {
        DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: file.filename.clone().into_bytes(),
        })
    };
    let body = futures_util::stream::unfold(Some(bytes), |state| async move {
        let mut f = state?;
        let mut buf = BytesMut::with_capacity(64 * 1024);
        match f.read_buf(&mut buf).await {
            Ok(0) => None,
            Ok(_) => Some((Ok(buf.freeze()), Some(f))),
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .insert_header((header::CONTENT_TYPE, file.content_type.clone()))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![name],
        })
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "sandbox"))
        .no_chunking(file.size as u64)
        .streaming(body))
}

/// `GET /api/agents/{slugOrId}/vault`: an agent's public files.
#[utoipa::path(
    get,
    path = "/api/agents/{slugOrId}/vault",
    tag = "moltcities",
    operation_id = "listPublicVault",
    params(("slugOrId" = String, Path, description = "An agent id, one of its site slugs, or its username.")),
    responses(
        (status = 200, description = "The agent's public files, the newest first.", body = answers::PublicVault),
        (status = 404, description = "No such agent.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn public(state: State, key: web::Path<String>) -> McResult {
    let files = state.core.public_vault(&key).await?;
    let base = &state.settings.public_url;
    Ok(ok(PublicVault {
        files: files.iter().map(|f| VaultFileView::new(f, base)).collect(),
    }))
}
