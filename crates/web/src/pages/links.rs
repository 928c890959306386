//! Cases that belong together, on the pages: a visit turned into a dispute, a petition or a work
//! order; a case linked to another or merged into its original. The use cases are the service's
//! (`links.rs`); these handlers parse the forms and say what happened.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use fazhi_domain::FieldError;
use fazhi_domain::ids::CaseId;
use fazhi_service::duplicates::Candidate;
use fazhi_service::{App, CaseFilter, Principal, ServiceError};
use serde_json::{Map, Value as Json};

use super::forms;
use super::session::{Staff, check_csrf};
use super::{Layout, PageError, PageResult, render};

fn case_id(raw: &str) -> Result<CaseId, PageError> {
    CaseId::parse(raw).map_err(|_| ServiceError::case_not_found().into())
}

/// A case the user may see, by its receipt number (the forms ask for the number people know).
async fn by_receipt(app: &App, p: &Principal, receipt: &str, field: &str, label: &str) -> Result<CaseId, ServiceError> {
    let r = receipt.trim().to_uppercase();
    if r.is_empty() {
        return Err(ServiceError::field(field, label, "不能为空"));
    }
    let page = app.list(p, &CaseFilter { text: Some(r.clone()), ..Default::default() }, 1, 20).await?;
    page.items.into_iter().find(|i| i.case.receipt_no == r).map(|i| i.case.id).ok_or_else(|| {
        ServiceError::field(field, label, format!("找不到受理编号为“{r}”的案件（或不在您的管辖范围内）"))
    })
}

pub async fn link(
    State(app): State<App>,
    Staff(p): Staff,
    Path((kind, id)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = case_id(&id)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let result = async {
        let other = by_receipt(&app, &p, &get("other"), "other", "关联案件受理编号").await?;
        app.link_cases(&p, id, other, &get("relation"), &get("note")).await
    }
    .await;
    back_to_case(&app, &p, &kind, id, result.map(|_| "linked")).await
}

pub async fn merge(
    State(app): State<App>,
    Staff(p): Staff,
    Path((kind, id)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = case_id(&id)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let version: i64 = get("version").parse().unwrap_or(-1);
    let result = async {
        let original = by_receipt(&app, &p, &get("original"), "original", "原案件受理编号").await?;
        if get("reason").trim().is_empty() {
            return Err(ServiceError::field("reason", "合并理由", "不能为空"));
        }
        app.merge_cases(&p, id, version, original, &get("reason")).await
    }
    .await;
    back_to_case(&app, &p, &kind, id, result.map(|_| "merged")).await
}

/// After a link or merge form: back to the case with `?{flag}=1`, or the case page again with the
/// reason it was refused (a bad receipt number, a rule, a stale version) as its alert.
async fn back_to_case(
    app: &App,
    p: &Principal,
    kind: &str,
    id: CaseId,
    result: Result<&'static str, ServiceError>,
) -> PageResult {
    match result {
        Ok(flag) => Ok(Redirect::to(&format!("/cases/{kind}/{id}?{flag}=1")).into_response()),
        Err(
            e @ (ServiceError::Invalid(_)
            | ServiceError::Rule(_)
            | ServiceError::Conflict(_)
            | ServiceError::Stale { .. }
            | ServiceError::WrongState(_)),
        ) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            super::cases::case_page_with_alert(app, p, kind, id, e.to_string(), status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "convert.html")]
struct ConvertPage {
    layout: Layout,
    visit_href: String,
    visit_receipt: String,
    action: String,
    target_label: String,
    version: i64,
    fields_html: String,
}

async fn convert_page_for(
    app: &App,
    p: &Principal,
    visit: CaseId,
    target: &str,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    version: Option<i64>,
) -> PageResult {
    let d = app.detail(p, visit).await?;
    let k = app.kind(target)?;
    let from = app.kind(&d.case.kind)?;
    let list = format!("/cases/{}", from.slug);
    let back = format!("/cases/{}/{visit}", from.slug);
    let mut layout = Layout::new(app, p, &format!("转为{}", k.label), &list)
        .crumb(&list, from.label)
        .crumb(&back, &d.case.receipt_no)
        .crumb("#", &format!("转为{}", k.label));
    if !errors.is_empty() {
        layout.alert =
            Some(format!("未转立，请修改：{}", errors.iter().map(FieldError::message).collect::<Vec<_>>().join("；")));
    }
    let units = super::cases::units_for(app, p);
    let staff = forms::staff_for(app, p, &k.workflow.open.fields.iter().collect::<Vec<_>>()).await?;
    let choices = forms::Choices { units: &units, staff: &staff };
    let html = forms::fields("conv", &k.workflow.open.fields, values, &forms::errors_by_field(errors), &choices);
    let mut resp = render(&ConvertPage {
        layout,
        action: format!("{back}/convert/{target}"),
        visit_href: back,
        visit_receipt: d.case.receipt_no.clone(),
        target_label: k.label.to_string(),
        version: version.unwrap_or(d.case.version),
        fields_html: html,
    });
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

pub async fn convert_page(
    State(app): State<App>,
    Staff(p): Staff,
    Path((_kind, id, target)): Path<(String, String, String)>,
) -> PageResult {
    let id = case_id(&id)?;
    let form = app.conversion_form(&p, id, &target).await?;
    let values: HashMap<String, String> =
        form.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect();
    convert_page_for(&app, &p, id, &target, &values, &[], None).await
}

pub async fn convert(
    State(app): State<App>,
    Staff(p): Staff,
    Path((kind, id, target)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = forms::joined(pairs);
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = case_id(&id)?;
    let k = app.kind(&target)?;
    let version: i64 = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(-1);
    let input: Map<String, Json> = k
        .workflow
        .open
        .fields
        .iter()
        .filter_map(|fd| {
            f.get(fd.name).filter(|v| !v.is_empty()).map(|v| (fd.name.to_string(), Json::String(v.clone())))
        })
        .collect();
    match app.convert_visit(&p, id, version, &target, &input).await {
        Ok(c) => {
            let layout = Layout::new(&app, &p, "转立成功", &format!("/cases/{target}"))
                .crumb(&format!("/cases/{target}"), k.label)
                .crumb("#", "转立成功");
            Ok(render(
                &super::cases::CreatedPage::of(&app, &p, layout, &c.case, &c.query_code, format!("/cases/{kind}/{id}"))
                    .await?,
            ))
        }
        Err(ServiceError::Invalid(errors)) => convert_page_for(&app, &p, id, &target, &f, &errors, Some(version)).await,
        Err(e) => Err(e.into()),
    }
}

/// The page of a case just registered, or "" when it is withheld from the clerk who registered it
/// (a 检举控告 against their own unit or naming them, 第三十条): it does not exist for them.
pub(super) async fn href_if_visible(app: &App, p: &Principal, kind: &str, id: CaseId) -> Result<String, PageError> {
    let visible = app.can_see_case(p, id).await?;
    Ok(if visible { format!("/cases/{kind}/{id}") } else { String::new() })
}

/// "重复件" links for the registration form: what looks like the same person or matter.
pub struct CandidateRow {
    pub href: String,
    pub receipt_no: String,
    pub kind_label: String,
    pub title: String,
    pub state_label: String,
    pub why: String,
}

/// The candidates the registration found, as the form lists them.
pub fn candidate_rows(candidates: Vec<Candidate>) -> Vec<CandidateRow> {
    candidates
        .into_iter()
        .map(|c| CandidateRow {
            href: format!("/cases/{}/{}", c.kind, c.id),
            receipt_no: c.receipt_no,
            kind_label: c.kind_label,
            title: c.title,
            state_label: c.state_label,
            why: {
                let mut w = Vec::new();
                if !c.same_person.is_empty() {
                    w.push(format!("同一人（{}相同）", c.same_person.join("、")));
                }
                if c.similarity > 0 {
                    w.push(format!("内容相似度{}%", c.similarity));
                }
                if c.final_review {
                    w.push("该事项复核已终结，同一事项不再受理".into());
                }
                w.join("；")
            },
        })
        .collect()
}
