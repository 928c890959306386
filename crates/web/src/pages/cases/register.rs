//! The registration form: the kind's fields, then — for a kind checked for duplicates — the
//! cases that look like the same person or matter, before anything is registered (the service's
//! registration use case decides; this page shows it).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use fazhi_domain::FieldError;
use fazhi_domain::kinds::KindDef;
use fazhi_domain::time_util::fmt_date;
use fazhi_service::duplicates::Registration;
use fazhi_service::{App, Principal, ServiceError};

use super::units_for;
use crate::pages::forms::{self, Submitted};
use crate::pages::session::{Staff, check_csrf};
use crate::pages::{Layout, PageResult, links, render};

#[derive(Template)]
#[template(path = "new.html")]
struct NewPage {
    layout: Layout,
    kind: String,
    label: String,
    fields_html: String,
    candidates: Vec<links::CandidateRow>,
}

/// "登记成功": a registered case's receipt number and query code (also after a visit is converted).
#[derive(Template)]
#[template(path = "created.html")]
pub(crate) struct CreatedPage {
    pub(crate) layout: Layout,
    pub(crate) label: String,
    pub(crate) receipt_no: String,
    pub(crate) query_code: String,
    /// The case page; empty when the case is withheld from the clerk who registered it (第三十条).
    pub(crate) href: String,
    pub(crate) new_href: String,
    pub(crate) due: String,
    /// Who is told the receipt, and the next step (the kind's words).
    pub(crate) party: String,
    pub(crate) next: String,
    /// The papers to print now: (page, title).
    pub(crate) papers: Vec<(String, String)>,
}

impl CreatedPage {
    /// The receipt of a case just registered (or converted from a visit).
    pub(crate) async fn of(
        app: &App,
        p: &Principal,
        layout: Layout,
        c: &fazhi_domain::case::CaseRecord,
        query_code: &str,
        new_href: String,
    ) -> Result<Self, crate::pages::PageError> {
        let k = app.kind(&c.kind)?;
        let href = links::href_if_visible(app, p, &c.kind, c.id).await?;
        let papers = if href.is_empty() {
            Vec::new()
        } else {
            app.opening_papers(p, &c.kind)?
                .into_iter()
                .map(|x| (format!("{href}/print/{}", x.code), x.title.to_string()))
                .collect()
        };
        Ok(Self {
            layout,
            label: k.label.to_string(),
            receipt_no: c.receipt_no.clone(),
            query_code: query_code.to_string(),
            href,
            new_href,
            due: c.clocks.due_on().map(fmt_date).unwrap_or_else(|| "—".into()),
            party: k.wording.party.to_string(),
            next: k.wording.next.to_string(),
            papers,
        })
    }
}

fn new_page_for(
    app: &App,
    p: &Principal,
    k: &KindDef,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    candidates: Vec<links::CandidateRow>,
    staff: &[(String, String)],
) -> Response {
    let mut layout = Layout::new(app, p, &k.wording.register, &format!("/cases/{}", k.slug))
        .crumb(&format!("/cases/{}", k.slug), k.label)
        .crumb(&format!("/cases/{}/new", k.slug), "登记");
    if !errors.is_empty() {
        layout.alert = Some(format!(
            "有{}处需要修改：{}",
            errors.len(),
            errors.iter().map(FieldError::message).collect::<Vec<_>>().join("；")
        ));
    }
    let units = units_for(app, p);
    let choices = forms::Choices { units: &units, staff };
    let html = forms::fields("new", &k.workflow.open.fields, values, &forms::errors_by_field(errors), &choices);
    if !candidates.is_empty() && errors.is_empty() {
        layout.alert = Some(format!(
            "发现{}件可能重复的案件（同一人或相似事项），请先核对。如不是重复，请勾选“确认不是重复，登记为新案件”后再次提交；如是同一事项，可在原案件页面关联或合并。",
            candidates.len()
        ));
    }
    let mut resp = render(&NewPage {
        layout,
        kind: k.slug.to_string(),
        label: k.wording.register.to_string(),
        fields_html: html,
        candidates,
    });
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

pub async fn new_page(State(app): State<App>, Staff(p): Staff, Path(kind): Path<String>) -> PageResult {
    let k = app.kind(&kind)?;
    if !k.workflow.open.permits(&p.actor) {
        return Err(ServiceError::Forbidden(format!("您的角色不能{}", k.wording.register)).into());
    }
    let staff = forms::staff_for(&app, &p, &k.workflow.open.fields.iter().collect::<Vec<_>>()).await?;
    Ok(new_page_for(&app, &p, k, &HashMap::new(), &[], Vec::new(), &staff))
}

pub async fn create(
    State(app): State<App>,
    Staff(p): Staff,
    Path(kind): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = forms::joined(pairs);
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let k = app.kind(&kind)?;
    let staff = forms::staff_for(&app, &p, &k.workflow.open.fields.iter().collect::<Vec<_>>()).await?;
    let submitted = Submitted { values: f.clone(), ..Default::default() };
    let input = submitted.input(&k.workflow.open.fields);
    // 重复件: the service's registration compares the form with the cases already there; what
    // looks like the same person or matter is shown before anything is registered, and the
    // clerk confirms a new case, or links or merges on the original.
    match app.register(&p, &kind, &input, f.contains_key("confirm_new")).await {
        Ok(Registration::Candidates(candidates)) => {
            Ok(new_page_for(&app, &p, k, &f, &[], links::candidate_rows(candidates), &staff))
        }
        Ok(Registration::Opened(opened)) => {
            let layout = Layout::new(&app, &p, "登记成功", &format!("/cases/{kind}"))
                .crumb(&format!("/cases/{kind}"), k.label)
                .crumb("#", "登记成功");
            Ok(render(
                &CreatedPage::of(&app, &p, layout, &opened.case, &opened.query_code, format!("/cases/{kind}/new"))
                    .await?,
            ))
        }
        Err(ServiceError::Invalid(errors)) => Ok(new_page_for(&app, &p, k, &f, &errors, Vec::new(), &staff)),
        Err(e) => Err(e.into()),
    }
}
