//! Files attached to cases: checked, stored under `<data_dir>/attachments/` by SHA-256, recorded
//! with the action that attached them, and read back only by users who may see the case.
//!
//! An upload is never held in memory: the web streams each file, chunk by chunk, through an
//! [`UploadWriter`] into a temporary file under `<data_dir>/attachments/tmp/`, hashing on the way
//! and refusing it the moment it passes the size limit. The file is synced; once the action is
//! accepted it is renamed to its content address (`attachments/ab/abcd…`): a file named by its
//! hash is complete. An upload that is not used is deleted when dropped.

use std::path::PathBuf;

use fazhi_domain::ids::CaseId;
use fazhi_store::{AttachmentRecord, NewAttachment};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::{App, Principal, Result, ServiceError};

/// A file as uploaded: staged on disk, hashed, not yet attached.
#[derive(Debug)]
pub struct Upload {
    pub name: String,
    pub mime: String,
    /// SHA-256 of the content, hex.
    pub hash: String,
    pub size: u64,
    /// The staged file; deleted when dropped unless attached.
    file: tempfile::TempPath,
}

/// Receives one uploaded file chunk by chunk (see the module).
#[derive(Debug)]
pub struct UploadWriter {
    name: String,
    mime: String,
    hasher: Sha256,
    size: u64,
    file: tokio::fs::File,
    path: tempfile::TempPath,
}

impl UploadWriter {
    /// Appends a chunk, hashing it.
    ///
    /// # Errors
    /// The file passes [`MAX_BYTES`] (a field error naming it; what was written is deleted), or
    /// the disk fails.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > MAX_BYTES as u64 {
            return Err(too_large(&self.name));
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(|e| ServiceError::internal_in("staging upload", e))
    }

    /// The file, complete and on disk.
    ///
    /// # Errors
    /// An empty file (a field error), or the disk fails.
    pub async fn finish(mut self) -> Result<Upload> {
        if self.size == 0 {
            return Err(ServiceError::field("attachments", "附件", format!("“{}”是空文件", self.name)));
        }
        self.file.flush().await.map_err(|e| ServiceError::internal_in("staging upload", e))?;
        self.file.sync_all().await.map_err(|e| ServiceError::internal_in("staging upload", e))?;
        Ok(Upload {
            hash: hex::encode(self.hasher.finalize()),
            size: self.size,
            name: self.name,
            mime: self.mime,
            file: self.path,
        })
    }
}

fn too_large(name: &str) -> ServiceError {
    ServiceError::field("attachments", "附件", format!("“{name}”超过{}MB", MAX_BYTES / 1024 / 1024))
}

/// The most files one action may attach.
pub const MAX_FILES: usize = 10;
/// The largest file accepted (photos from a phone, scanned documents).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// File types accepted: photos, PDF, Word, Excel, plain text — by extension, with the type the
/// browser reported ignored (it is often wrong on phones).
const TYPES: [(&str, &str); 11] = [
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("webp", "image/webp"),
    ("heic", "image/heic"),
    ("pdf", "application/pdf"),
    ("doc", "application/msword"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xls", "application/vnd.ms-excel"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("txt", "text/plain"),
];

fn mime_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    TYPES.iter().find(|(e, _)| *e == ext).map(|(_, m)| *m)
}

/// Checks a file's name before anything of it is stored: an accepted type, no path.
///
/// # Errors
/// A field error naming the file.
pub fn check_name(name: &str) -> Result<()> {
    let err = |r: String| ServiceError::field("attachments", "附件", r);
    if name.chars().count() > 100 || name.contains(['/', '\\']) {
        return Err(err("文件名过长或含有路径字符".into()));
    }
    if mime_of(name).is_none() {
        return Err(err(format!("“{name}”的类型不支持，仅支持图片、PDF、Word、Excel和文本文件")));
    }
    Ok(())
}

/// Checks staged uploads together: how many, and each one's name and size.
///
/// # Errors
/// Too many files, an empty or too large file, or an unaccepted type — naming the file.
pub fn check_uploads(uploads: &[Upload]) -> Result<()> {
    if uploads.len() > MAX_FILES {
        return Err(ServiceError::field("attachments", "附件", format!("一次最多上传{MAX_FILES}个文件")));
    }
    for u in uploads {
        if u.size == 0 {
            return Err(ServiceError::field("attachments", "附件", format!("“{}”是空文件", u.name)));
        }
        if u.size > MAX_BYTES as u64 {
            return Err(too_large(&u.name));
        }
        check_name(&u.name)?;
    }
    Ok(())
}

impl App {
    pub(crate) fn attachment_path(&self, hash: &str) -> PathBuf {
        self.config().data_dir.join("attachments").join(&hash[..2]).join(hash)
    }

    /// Removes staging files a crash left behind: any older than a day (an upload in flight in
    /// another process is minutes old at most).
    pub(crate) fn sweep_staged_uploads(&self) {
        let dir = self.config().data_dir.join("attachments").join("tmp");
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        let day = std::time::Duration::from_secs(86_400);
        for e in entries.flatten() {
            let old =
                e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|a| a > day);
            if old && let Err(err) = std::fs::remove_file(e.path()) {
                tracing::warn!(file = %e.path().display(), error = %err, "could not remove a stale staged upload");
            }
        }
    }

    /// Starts receiving an uploaded file: its name is checked first, then its bytes go to a
    /// temporary file in the data directory (see the module).
    ///
    /// # Errors
    /// A name refused by [`check_name`]; the disk fails.
    pub async fn begin_upload(&self, name: &str, mime: &str) -> Result<UploadWriter> {
        check_name(name)?;
        let dir = self.config().data_dir.join("attachments").join("tmp");
        let (file, path) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            std::fs::create_dir_all(&dir)?;
            Ok(tempfile::NamedTempFile::new_in(&dir)?.into_parts())
        })
        .await
        .map_err(ServiceError::internal)?
        .map_err(|e| ServiceError::internal_in("staging upload", e))?;
        Ok(UploadWriter {
            name: name.to_string(),
            mime: mime.to_string(),
            hasher: Sha256::new(),
            size: 0,
            file: tokio::fs::File::from_std(file),
            path,
        })
    }

    /// Stages a file whose bytes are at hand (an import, a generated document, a test) the same way
    /// an upload is staged.
    ///
    /// # Errors
    /// As [`App::begin_upload`] and [`UploadWriter::write`].
    pub async fn upload_bytes(&self, name: &str, mime: &str, bytes: &[u8]) -> Result<Upload> {
        let mut w = self.begin_upload(name, mime).await?;
        w.write(bytes).await?;
        w.finish().await
    }

    /// Moves checked, staged uploads to their content addresses; returns what to record.
    pub(crate) async fn store_uploads(&self, uploads: Vec<Upload>) -> Result<Vec<NewAttachment>> {
        let mut out = Vec::new();
        for u in uploads {
            let target = self.attachment_path(&u.hash);
            let size = i64::try_from(u.size).unwrap_or(i64::MAX);
            let (name, hash, staged) = (u.name, u.hash, u.file);
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                if target.exists() {
                    // The same bytes are stored already; the staged copy is deleted on drop.
                    return Ok(());
                }
                let dir = target.parent().map(PathBuf::from).unwrap_or_default();
                std::fs::create_dir_all(&dir)?;
                staged.persist(&target).map_err(|e| e.error)?;
                // The rename is durable once the directory is.
                #[cfg(unix)]
                std::fs::File::open(&dir)?.sync_all()?;
                Ok(())
            })
            .await
            .map_err(ServiceError::internal)?
            .map_err(|e| ServiceError::internal_in("storing attachment", e))?;
            out.push(NewAttachment {
                mime: mime_of(&name).unwrap_or("application/octet-stream").to_string(),
                hash,
                name,
                size,
            });
        }
        Ok(out)
    }

    /// The files of a case the user may see.
    ///
    /// # Errors
    /// 403 / 404 as for the case.
    pub async fn case_attachments(&self, p: &Principal, id: CaseId) -> Result<Vec<AttachmentRecord>> {
        p.ready()?;
        self.visible_case(p, id).await?;
        Ok(self.store().attachments_of_case(id).await?)
    }

    /// One file of a case the user may see: its record and where its bytes are.
    ///
    /// # Errors
    /// 403 / 404 as for the case; 404 for a file not attached to it.
    pub async fn attachment_file(&self, p: &Principal, id: CaseId, hash: &str) -> Result<(AttachmentRecord, PathBuf)> {
        p.ready()?;
        self.visible_case(p, id).await?;
        let rec = self.store().attachment(id, hash).await?.ok_or_else(ServiceError::attachment_not_found)?;
        Ok((rec, self.attachment_path(hash)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_checked_by_type_and_for_paths() {
        assert!(check_name("现场照片.JPG").is_ok() && check_name("签字.pdf").is_ok());
        assert_eq!(
            check_name("a.exe").unwrap_err().to_string(),
            "附件：“a.exe”的类型不支持，仅支持图片、PDF、Word、Excel和文本文件"
        );
        assert!(check_name("../../etc/passwd.txt").is_err());
        assert!(check_name("a\\b.png").is_err());
    }
}
