//! Revealing a masked identifier on the case page: a short form (the field and 原因), the
//! service checks the role, records the reveal in the audit chain and opens the value; the value
//! is shown once, on a page of its own that is not cached (`no-store`, as every page) and never in
//! a URL. A missing reason brings the case page back with the reason why; a role that may not
//! reveal gets 403.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use fazhi_service::ServiceError;

use super::parse_case;
use crate::pages::session::{Staff, check_csrf};
use crate::pages::{Layout, PageResult, render};
use fazhi_service::App;

#[derive(Template)]
#[template(path = "revealed.html")]
struct RevealedPage {
    layout: Layout,
    label: String,
    value: String,
    reason: String,
    receipt_no: String,
    back: String,
}

pub async fn reveal(
    State(app): State<App>,
    Staff(p): Staff,
    Path((kind, id)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = parse_case(&id)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (field, reason) = (get("field"), get("reason"));
    match app.reveal(&p, id, &field, &reason).await {
        Ok(r) => {
            let back = format!("/cases/{kind}/{id}");
            let list = format!("/cases/{kind}");
            let layout = Layout::new(&app, &p, &r.receipt_no, &list)
                .crumb(&list, app.kind(&kind)?.label)
                .crumb(&back, &r.receipt_no)
                .crumb("#", &format!("查看{}", r.label));
            Ok(render(&RevealedPage {
                layout,
                label: r.label,
                value: r.value,
                reason: reason.trim().to_string(),
                receipt_no: r.receipt_no,
                back,
            }))
        }
        Err(e @ ServiceError::Invalid(_)) => {
            super::case_page_with_alert(&app, &p, &kind, id, format!("未能查看完整信息：{e}"), StatusCode::BAD_REQUEST)
                .await
        }
        Err(e) => Err(e.into()),
    }
}
