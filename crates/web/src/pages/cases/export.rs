//! The export of a list as a spreadsheet: the same query string as the list's, read by the
//! service's one parser.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use fazhi_domain::time_util::{fmt_date, local_date};
use fazhi_service::cases::ListQuery;
use fazhi_service::{App, Principal, ServiceError};

use crate::pages::PageResult;
use crate::pages::html::url;
use crate::pages::session::Staff;

/// The list's query string, read by the same parser as the list and the API.
async fn export(app: App, p: Principal, pairs: Vec<(String, String)>, kind: Option<String>) -> PageResult {
    let mut params = ListQuery::from_pairs(pairs)?;
    if let Some(k) = kind {
        params.kind = k;
    }
    let filter = params.to_filter(&app)?;
    xlsx(&app, &p, &filter).await
}

/// The cases of `filter` (within the user's scope) as an .xlsx download.
pub(super) async fn xlsx(app: &App, p: &Principal, filter: &fazhi_service::CaseFilter) -> PageResult {
    let export = app.export_cases(p, filter).await?;
    // Open before the temporary path is removed: the open file keeps its bytes.
    let file = tokio::fs::File::open(&export.file).await.map_err(|e| ServiceError::internal_in("export file", e))?;
    drop(export.file);
    let name = format!("案件清单-{}.xlsx", fmt_date(local_date(app.now())));
    let disposition = format!("attachment; filename=\"cases.xlsx\"; filename*=UTF-8''{}", url(&name));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}

pub async fn export_all(
    State(app): State<App>,
    Staff(p): Staff,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    export(app, p, pairs, None).await
}

pub async fn export_kind(
    State(app): State<App>,
    Staff(p): Staff,
    Path(kind): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    app.kind(&kind)?;
    export(app, p, pairs, Some(kind)).await
}
