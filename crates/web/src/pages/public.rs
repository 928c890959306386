//! 公开查询: residents track their case by receipt number and query code, and rate it once it is
//! concluded. No login; works without JavaScript; look-ups are rate-limited per client address.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fazhi_service::papers::TownOffice;
use fazhi_service::public::PublicView;
use fazhi_service::{App, ServiceError};

use super::session;
use super::{PageResult, render};

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    csrf: String,
    receipt_no: String,
    query_code: String,
    errors: HashMap<String, String>,
    message: Option<String>,
    notice: Option<String>,
    view: Option<PublicView>,
    /// The town's government and contact, when this server serves one town.
    office: Option<TownOffice>,
}

fn page(
    app: &App,
    csrf: String,
    f: &HashMap<String, String>,
    view: Option<PublicView>,
    err: Option<ServiceError>,
    notice: Option<String>,
) -> Response {
    let (status, errors, message) = match err {
        None => (StatusCode::OK, HashMap::new(), None),
        Some(ServiceError::Invalid(fields)) => (StatusCode::BAD_REQUEST, super::forms::errors_by_field(&fields), None),
        Some(e) => {
            (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST), HashMap::new(), Some(e.to_string()))
        }
    };
    let mut resp = render(&TrackPage {
        csrf,
        receipt_no: f.get("receipt_no").cloned().unwrap_or_default(),
        query_code: f.get("query_code").cloned().unwrap_or_default(),
        errors,
        message,
        notice,
        view,
        office: app.sole_town_office(),
    });
    *resp.status_mut() = status;
    resp
}

pub async fn track_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (csrf, set) = session::anon_csrf(&app, &headers);
    // The receipt's QR code opens the page with its receipt number filled in; the code is typed.
    let f: HashMap<String, String> = q.into_iter().filter(|(k, _)| k == "receipt_no").collect();
    let mut resp = page(&app, csrf, &f, None, None, None);
    if let Some((k, v)) = set {
        resp.headers_mut().insert(k, v);
    }
    resp
}

async fn form_of(app: &App, req: Request) -> Result<(HeaderMap, String, HashMap<String, String>), ServiceError> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let headers = req.headers().clone();
    // The rate limit counts per client address, behind a trusted proxy too.
    let who = session::client_address(app, &headers, peer);
    let Form(f) = <Form<HashMap<String, String>> as axum::extract::FromRequest<()>>::from_request(req, &())
        .await
        .map_err(|_| ServiceError::BadRequest("表单数据不正确".into()))?;
    Ok((headers, who, f))
}

pub async fn lookup(State(app): State<App>, req: Request) -> PageResult {
    let (headers, who, f) = form_of(&app, req).await?;
    session::check_anon_csrf(&headers, f.get("_csrf").map(String::as_str))?;
    let (csrf, _) = session::anon_csrf(&app, &headers);
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    Ok(match app.public_lookup(&who, get("receipt_no"), get("query_code")).await {
        Ok(v) => page(&app, csrf, &f, Some(v), None, None),
        Err(e) => page(&app, csrf, &f, None, Some(e), None),
    })
}

pub async fn rate(State(app): State<App>, req: Request) -> PageResult {
    let (headers, who, f) = form_of(&app, req).await?;
    session::check_anon_csrf(&headers, f.get("_csrf").map(String::as_str))?;
    let (csrf, _) = session::anon_csrf(&app, &headers);
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let version: i64 = get("version").parse().unwrap_or(0);
    Ok(match app.public_rate(&who, get("receipt_no"), get("query_code"), version, get("result"), get("note")).await {
        Ok(v) => page(&app, csrf, &f, Some(v), None, Some("感谢您的评价！".into())),
        Err(e) => {
            let view = app.public_lookup(&who, get("receipt_no"), get("query_code")).await.ok();
            page(&app, csrf, &f, view, Some(e), None)
        }
    })
}
