//! An action on a case from its page: the form read (files as they arrive), the service acts; a
//! refusal brings the case page back with the form as it was filled and the reason.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fazhi_domain::FieldError;
use fazhi_domain::workflow::FieldDef;
use fazhi_service::{App, ServiceError};

use super::page::{Failed, case_page_for};
use super::parse_case;
use crate::pages::forms;
use crate::pages::html::url;
use crate::pages::session::{Staff, check_csrf};
use crate::pages::{PageError, PageResult};

pub async fn act(
    State(app): State<App>,
    Staff(p): Staff,
    Path((kind, id, action)): Path<(String, String, String)>,
    mp: Multipart,
) -> PageResult {
    let id = parse_case(&id)?;
    let mut submitted = match forms::read_multipart(&app, &p.csrf, mp).await {
        Ok(s) => s,
        Err(forms::ReadError::Malformed(m)) => return Err(ServiceError::BadRequest(m).into()),
        Err(forms::ReadError::Csrf) => return Err(PageError::csrf()),
        Err(forms::ReadError::Service(e)) => return Err(e.into()),
    };
    check_csrf(&p, submitted.get("_csrf"))?;
    let version: i64 = submitted
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ServiceError::BadRequest("表单缺少版本号，请刷新页面后重试".into()))?;
    let k = app.kind(&kind)?;
    let defs: Vec<FieldDef> = k.workflow.action(&action).map(|a| a.fields.clone()).unwrap_or_default();
    let input = submitted.input(&defs);
    let uploads = std::mem::take(&mut submitted.uploads);
    let result = if submitted.file_errors.is_empty() {
        app.act_with_files(&p, id, &action, &input, version, uploads).await
    } else {
        // A file was refused as it arrived: nothing is taken, the form comes back with the reason.
        Err(ServiceError::Invalid(std::mem::take(&mut submitted.file_errors)))
    };
    let (status, alert, failed_errors) = match result {
        Ok(c) => return Ok(Redirect::to(&format!("/cases/{}/{}?done={}", c.kind, c.id, url(&action))).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let label = k.workflow.action(&action).map_or(action.as_str(), |a| a.label);
            let all: Vec<String> = errors.iter().map(FieldError::message).collect();
            (StatusCode::BAD_REQUEST, format!("“{label}”未提交，请修改：{}", all.join("；")), errors)
        }
        Err(e @ ServiceError::Stale { .. }) => (StatusCode::CONFLICT, format!("{e}。本次操作未执行。"), Vec::new()),
        Err(e @ (ServiceError::WrongState(_) | ServiceError::Rule(_) | ServiceError::UnknownAction(_))) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT),
            format!("{e}。本次操作未执行。"),
            Vec::new(),
        ),
        Err(e) => return Err(e.into()),
    };
    let d = app.detail(&p, id).await?;
    let failed = Failed { action: &action, values: &submitted.values, errors: &failed_errors };
    let mut resp = case_page_for(&app, &p, &d, None, Some(alert), Some(failed)).await?;
    *resp.status_mut() = status;
    Ok(resp)
}
