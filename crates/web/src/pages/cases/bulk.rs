//! 批量操作 from a list: the rows ticked in the table (`sel` = `<id>:<version>`, the version the
//! user saw) and the button pressed (`op`): 批量派单 and 批量催办 take the kind's action tagged
//! for it through the service's [`App::bulk_act`] — the use case the API's `POST /cases/bulk`
//! calls — and show 成功 N 条，失败 M 条 with each refusal; 导出选中 downloads exactly those rows.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use fazhi_domain::workflow::{ActionTag, FieldKind};
use fazhi_service::bulk::{BulkItem, BulkOutcome};
use fazhi_service::{App, CaseFilter, ServiceError};
use serde_json::{Map, Value as Json};

use crate::pages::session::{Staff, check_csrf};
use crate::pages::{Layout, PageResult, render};

/// A row of the result.
pub struct ResultRow {
    pub href: String,
    pub receipt_no: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "bulk.html")]
struct BulkPage {
    layout: Layout,
    heading: String,
    summary: String,
    done: Vec<ResultRow>,
    failed: Vec<ResultRow>,
    back: String,
}

/// What a list's bulk button does, by the tag of the action it takes.
fn tag_of(op: &str) -> Option<(ActionTag, &'static str)> {
    match op {
        "dispatch" => Some((ActionTag::Dispatch, "批量派单")),
        "remind" => Some((ActionTag::Remind, "批量催办")),
        _ => None,
    }
}

pub async fn bulk(
    State(app): State<App>,
    Staff(p): Staff,
    Path(kind): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    check_csrf(&p, get("_csrf"))?;
    let k = app.kind(&kind)?;
    let items = pairs
        .iter()
        .filter(|(name, _)| name == "sel")
        .map(|(_, v)| BulkItem::parse(v))
        .collect::<Result<Vec<_>, _>>()?;
    // Back to the list as it was (only a path of this list is followed).
    let base = format!("/cases/{}", k.slug);
    let back = get("back").filter(|b| b.starts_with(&format!("{base}?")) || *b == base).unwrap_or(&base).to_string();
    let op = get("op").unwrap_or_default();
    if op == "export" {
        if items.is_empty() {
            return Err(ServiceError::BadRequest("请先勾选要导出的记录".into()).into());
        }
        let filter = CaseFilter {
            kind: Some(k.slug.to_string()),
            ids: items.iter().map(|i| i.id).collect(),
            ..Default::default()
        };
        return super::export::xlsx(&app, &p, &filter).await;
    }
    let (tag, heading) = tag_of(op).ok_or_else(|| ServiceError::BadRequest("未知的批量操作".into()))?;
    let action =
        k.workflow.tagged(tag).ok_or_else(|| ServiceError::BadRequest(format!("{}没有“{heading}”", k.label)))?;
    // The bulk form's fields are the action's own, by name (承办单位 for 派单); only those.
    let mut fields = Map::new();
    for f in &action.fields {
        if let Some(v) = get(&format!("f_{}", f.name)).filter(|v| !v.trim().is_empty()) {
            fields.insert(f.name.to_string(), Json::String(v.to_string()));
        }
    }
    let out: BulkOutcome = app.bulk_act(&p, action.code, &items, &fields).await?;
    let href = |id: &fazhi_domain::ids::CaseId| format!("/cases/{}/{id}", k.slug);
    let page = BulkPage {
        layout: Layout::new(&app, &p, heading, &base).crumb(&base, k.label).crumb("", heading),
        heading: format!("{}：{}", heading, action.label),
        summary: out.summary(),
        done: out
            .done
            .iter()
            .map(|d| ResultRow { href: href(&d.id), receipt_no: d.receipt_no.clone(), reason: String::new() })
            .collect(),
        failed: out
            .failed
            .iter()
            .map(|f| ResultRow {
                href: if f.receipt_no.is_empty() { String::new() } else { href(&f.id) },
                receipt_no: if f.receipt_no.is_empty() {
                    "（无法查看的记录）".into()
                } else {
                    f.receipt_no.clone()
                },
                reason: f.reason.clone(),
            })
            .collect(),
        back,
    };
    Ok(render(&page).into_response())
}

/// The unit field of the kind's 派单, for the bulk form's unit choice: its name, label and the
/// kinds of unit it takes.
pub fn dispatch_unit_field(
    kind: &fazhi_domain::kinds::KindDef,
) -> Option<(&'static str, &'static str, Vec<fazhi_domain::unit::UnitKind>)> {
    let action = kind.workflow.tagged(ActionTag::Dispatch)?;
    action.fields.iter().find_map(|f| match &f.kind {
        FieldKind::Unit { kinds } => Some((f.name, f.label, kinds.clone())),
        _ => None,
    })
}
