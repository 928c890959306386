//! A case's papers: the A4 page (a print stylesheet of its own, no navigation, the government's
//! name at the head, the tracking page as a QR code) and, where the kind says so, the Word file.
//! The service fills the paper; this page lays it out.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use fazhi_report::paper::{Block, Paper};
use fazhi_service::{App, ServiceError};
use qrcode::QrCode;
use qrcode::render::svg;

use super::parse_case;
use crate::pages::html::url;
use crate::pages::session::Staff;
use crate::pages::{PageError, PageResult, render};

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    paper: Paper,
    back: String,
    docx: Option<String>,
    /// The tracking address as an SVG QR code.
    qr: String,
}

/// The address this request came to, for a QR code when `server.public_url` is not configured.
fn site(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let proto = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{proto}://{host}")
}

fn qr_svg(text: &str) -> Result<String, PageError> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| ServiceError::internal_in("qrcode", e))?;
    Ok(code.render::<svg::Color<'_>>().min_dimensions(150, 150).quiet_zone(true).build())
}

async fn filled(
    app: &App,
    p: &fazhi_service::Principal,
    id: &str,
    code: &str,
    headers: &HeaderMap,
) -> Result<Paper, PageError> {
    Ok(app.paper(p, parse_case(id)?, code, &site(headers)).await?)
}

pub async fn print_page(
    State(app): State<App>,
    Staff(p): Staff,
    headers: HeaderMap,
    Path((kind, id, code)): Path<(String, String, String)>,
) -> PageResult {
    let paper = filled(&app, &p, &id, &code, &headers).await?;
    let tracking = paper.blocks.iter().find_map(|b| match b {
        Block::Tracking(u) => Some(u.clone()),
        _ => None,
    });
    let qr = match tracking {
        Some(u) => qr_svg(&u)?,
        None => String::new(),
    };
    let docx = app
        .kinds()
        .get(&kind)
        .and_then(|k| k.printable(&code))
        .filter(|x| x.docx)
        .map(|_| format!("/cases/{kind}/{id}/print/{code}/docx"));
    Ok(render(&PrintPage { paper, back: format!("/cases/{kind}/{id}"), docx, qr }))
}

pub async fn print_docx(
    State(app): State<App>,
    Staff(p): Staff,
    headers: HeaderMap,
    Path((kind, id, code)): Path<(String, String, String)>,
) -> PageResult {
    if !app.kinds().get(&kind).and_then(|k| k.printable(&code)).is_some_and(|x| x.docx) {
        return Err(ServiceError::NotFound("该文书没有Word版本".into()).into());
    }
    let paper = filled(&app, &p, &id, &code, &headers).await?;
    let bytes = fazhi_report::paper::to_docx(&paper).map_err(|e| ServiceError::internal_in("docx", e))?;
    let number = paper
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Facts(rows) => rows.first().map(|(_, v)| v.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let name = format!("{}{}.docx", paper.title, if number.is_empty() { String::new() } else { format!("-{number}") });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"paper.docx\"; filename*=UTF-8''{}", url(&name)),
            ),
        ],
        bytes,
    )
        .into_response())
}
