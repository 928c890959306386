//! A case's attachment, streamed: shown inline when a browser can (images, PDF), else saved.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use fazhi_service::{App, ServiceError};

use super::parse_case;
use crate::pages::PageResult;
use crate::pages::html::url;
use crate::pages::session::Staff;

pub async fn download(
    State(app): State<App>,
    Staff(p): Staff,
    Path((_kind, id, hash)): Path<(String, String, String)>,
) -> PageResult {
    let id = parse_case(&id)?;
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ServiceError::attachment_not_found().into());
    }
    let (rec, path) = app.attachment_file(&p, id, &hash).await?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| ServiceError::internal_in(path.display(), e))?;
    let inline = rec.mime.starts_with("image/") || rec.mime == "application/pdf";
    let disposition = format!(
        "{}; filename=\"file\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        url(&rec.name)
    );
    Ok((
        [(header::CONTENT_TYPE, rec.mime.clone()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}
