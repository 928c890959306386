//! Files attached to cases: checked, stored under `<data_dir>/attachments/` by SHA-256 (written
//! to a temporary file, synced, then renamed: a file named by its hash is complete), recorded with
//! the action that attached them, and read back only by users who may see the case.

use std::io::Write;
use std::path::PathBuf;

use fazhi_domain::ids::CaseId;
use fazhi_store::{AttachmentRecord, NewAttachment};
use sha2::{Digest, Sha256};

use crate::{App, Principal, Result, ServiceError};

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
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

/// Checks uploads before anything is stored.
///
/// # Errors
/// Too many files, an empty or too large file, or an unaccepted type — naming the file.
pub fn check_uploads(uploads: &[Upload]) -> Result<()> {
    let err = |r: String| ServiceError::field("attachments", "附件", r);
    if uploads.len() > MAX_FILES {
        return Err(err(format!("一次最多上传{MAX_FILES}个文件")));
    }
    for u in uploads {
        if u.bytes.is_empty() {
            return Err(err(format!("“{}”是空文件", u.name)));
        }
        if u.bytes.len() > MAX_BYTES {
            return Err(err(format!("“{}”超过{}MB", u.name, MAX_BYTES / 1024 / 1024)));
        }
        if mime_of(&u.name).is_none() {
            return Err(err(format!("“{}”的类型不支持，仅支持图片、PDF、Word、Excel和文本文件", u.name)));
        }
        if u.name.chars().count() > 100 || u.name.contains(['/', '\\']) {
            return Err(err("文件名过长或含有路径字符".into()));
        }
    }
    Ok(())
}

impl App {
    pub(crate) fn attachment_path(&self, hash: &str) -> PathBuf {
        self.config().data_dir.join("attachments").join(&hash[..2]).join(hash)
    }

    /// Stores the bytes of checked uploads; returns what to record.
    pub(crate) async fn store_uploads(&self, uploads: Vec<Upload>) -> Result<Vec<NewAttachment>> {
        let mut out = Vec::new();
        for u in uploads {
            let hash = hex::encode(Sha256::digest(&u.bytes));
            let path = self.attachment_path(&hash);
            let size = i64::try_from(u.bytes.len()).unwrap_or(i64::MAX);
            let name = u.name.clone();
            let target = path.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                if target.exists() {
                    return Ok(());
                }
                let dir = target.parent().map(PathBuf::from).unwrap_or_default();
                std::fs::create_dir_all(&dir)?;
                let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
                tmp.write_all(&u.bytes)?;
                tmp.as_file().sync_all()?;
                tmp.persist(&target).map_err(|e| e.error)?;
                Ok(())
            })
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(|e| ServiceError::Internal(format!("storing attachment: {e}")))?;
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
        let rec =
            self.store().attachment(id, hash).await?.ok_or_else(|| ServiceError::NotFound("附件不存在".into()))?;
        Ok((rec, self.attachment_path(hash)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(name: &str, len: usize) -> Upload {
        Upload { name: name.into(), mime: "x".into(), bytes: vec![1; len] }
    }

    #[test]
    fn uploads_are_checked_by_count_size_and_type() {
        assert!(check_uploads(&[up("现场照片.JPG", 10), up("签字.pdf", 10)]).is_ok());
        assert_eq!(
            check_uploads(&[up("a.exe", 10)]).unwrap_err().to_string(),
            "附件：“a.exe”的类型不支持，仅支持图片、PDF、Word、Excel和文本文件"
        );
        assert!(check_uploads(&[up("a.png", 0)]).is_err());
        assert!(check_uploads(&[up("a.png", MAX_BYTES + 1)]).is_err());
        assert!(check_uploads(&vec![up("a.png", 1); MAX_FILES + 1]).is_err());
    }
}
