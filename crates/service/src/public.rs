//! The public tracking page: a resident gives the receipt number and the six-digit query code
//! printed on their receipt and sees the status, the reply and the dates — no staff names, no
//! other parties, no internal notes — and may rate the result once it is concluded (this is the
//! kind's `rate` action, taken as the public). Look-ups are rate-limited per client, and failed
//! look-ups per receipt number from all clients together (a query code cannot be guessed from
//! many addresses).

use fazhi_domain::FieldError;
use fazhi_domain::case::{Actor, CaseRecord, Phase};
use fazhi_domain::time_util::{fmt_date, fmt_minute_ms, local_date_ms};
use fazhi_domain::workflow::{FieldKind, Sealer};
use fazhi_store::CaseWrite;
use serde_json::{Map, Value as Json};

use crate::{App, Result, ServiceError};

/// What the public sees.
#[derive(Debug, Clone)]
pub struct PublicView {
    pub receipt_no: String,
    pub kind_label: String,
    pub status: String,
    pub concluded: bool,
    pub registered_on: String,
    pub due_on: Option<String>,
    pub concluded_on: Option<String>,
    /// The answer to the resident (the kind's `reply` field), and when it was given.
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    /// The resident's own rating, once given.
    pub rating: Option<String>,
    /// Rating choices, when rating is open now.
    pub rate_options: Vec<(String, String)>,
    pub version: i64,
    /// The town's government that handles it, and how to reach it (`[towns.<code>]`).
    pub office: crate::papers::TownOffice,
}

fn not_found() -> ServiceError {
    // The same answer for an unknown number and a wrong code: numbers cannot be probed.
    ServiceError::NotFound("未找到该受理编号，或查询码不正确，请核对回执".into())
}

fn check_inputs(receipt: &str, code: &str) -> Result<(String, String)> {
    let mut errors = Vec::new();
    let receipt = receipt.trim().to_uppercase();
    if receipt.is_empty() {
        errors.push(FieldError::new("receipt_no", "受理编号", "不能为空"));
    } else if receipt.len() > 40 || !receipt.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errors.push(FieldError::new("receipt_no", "受理编号", "格式不正确，应如 AT-GD-2024-000123"));
    }
    let code = code.trim().to_string();
    if code.is_empty() {
        errors.push(FieldError::new("query_code", "查询码", "不能为空"));
    } else if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        errors.push(FieldError::new("query_code", "查询码", "应为回执上的6位数字"));
    }
    if errors.is_empty() { Ok((receipt, code)) } else { Err(ServiceError::Invalid(errors)) }
}

impl App {
    async fn public_case(&self, client: &str, receipt: &str, code: &str) -> Result<CaseRecord> {
        let (receipt, code) = check_inputs(receipt, code)?;
        self.count_public_lookup(client)?;
        // Per receipt number too, from every address together: the same 429 whether or not the
        // number exists, and whether or not the code is right.
        let limit = self.config().security.public_failures_per_receipt;
        let checks = || self.inner.receipt_checks.lock().map_err(|_| ServiceError::internal("receipt checks"));
        if checks()?.blocked(limit, &receipt, self.now_ms()) {
            return Err(ServiceError::TooManyRequests);
        }
        let digest = self.crypto().digest("query", &code);
        match self.store().case_by_receipt(&receipt, &digest).await? {
            Some(c) => Ok(c),
            None => {
                checks()?.failed(limit, &receipt, self.now_ms());
                Err(not_found())
            }
        }
    }

    async fn public_view(&self, case: &CaseRecord) -> Result<PublicView> {
        let kind = self.kind(&case.kind)?;
        let events = self.store().events_of_case(case.id).await?;
        let replied_at = events.iter().rev().find(|e| e.action == "reply").map(|e| fmt_minute_ms(e.occurred_at));
        let public = Actor::public(case.tenant_id);
        let rate = kind.workflow.available(case, &public).into_iter().find(|a| a.code == "rate");
        let rate_options = rate
            .and_then(|a| a.field("result"))
            .map(|f| match &f.kind {
                FieldKind::Choice { options } => options.clone(),
                _ => vec![],
            })
            .unwrap_or_default();
        let rated = events.iter().rev().find(|e| e.action == "rate");
        let rating = rated.and_then(|e| e.payload.get("result").and_then(Json::as_str)).and_then(|code| {
            kind.workflow
                .action("rate")
                .and_then(|a| a.field("result"))
                .and_then(|f| f.choice_label(code))
                .map(String::from)
        });
        Ok(PublicView {
            receipt_no: case.receipt_no.clone(),
            kind_label: kind.label.to_string(),
            status: match case.phase {
                Phase::Open => "办理中".to_string(),
                Phase::Closed | Phase::Archived => "已办结".to_string(),
            },
            concluded: case.phase != Phase::Open,
            registered_on: fmt_date(local_date_ms(case.opened_at)),
            due_on: case.clocks.due_on().map(fmt_date),
            concluded_on: case.closed_at.map(|t| fmt_date(local_date_ms(t))),
            reply: (case.phase != Phase::Open).then(|| case.data_str("reply").map(String::from)).flatten(),
            replied_at: (case.phase != Phase::Open).then_some(replied_at).flatten(),
            rating,
            rate_options,
            version: case.version,
            office: self.town_office(case.tenant_id),
        })
    }

    /// Looks a case up for the public.
    ///
    /// # Errors
    /// Malformed inputs (named), too many look-ups from this client (429), not found (404).
    pub async fn public_lookup(&self, client: &str, receipt: &str, code: &str) -> Result<PublicView> {
        let case = self.public_case(client, receipt, code).await?;
        self.public_view(&case).await
    }

    /// The resident rates a concluded case.
    ///
    /// # Errors
    /// As [`App::public_lookup`]; rating not open now (409); a stale page (409); a bad choice.
    pub async fn public_rate(
        &self,
        client: &str,
        receipt: &str,
        code: &str,
        version: i64,
        result: &str,
        note: &str,
    ) -> Result<PublicView> {
        let case = self.public_case(client, receipt, code).await?;
        if case.version != version {
            return Err(ServiceError::Stale { current: case.version });
        }
        let kind = self.kind(&case.kind)?;
        let public = Actor::public(case.tenant_id);
        let mut input = Map::new();
        input.insert("result".into(), Json::String(result.to_string()));
        if !note.trim().is_empty() {
            input.insert("note".into(), Json::String(note.to_string()));
        }
        let out = {
            let cal = self.calendar();
            let units = self.units();
            let ctx = self.ctx(&public, &cal, &units);
            kind.act(&case, "rate", &input, &ctx).map_err(|e| match e {
                fazhi_domain::workflow::ActionError::WrongState { .. }
                | fazhi_domain::workflow::ActionError::UnknownAction(_) => {
                    ServiceError::WrongState("该事项目前不能评价（办结后、回访前可以评价一次）".into())
                }
                other => other.into(),
            })?
        };
        let ev = self.case_event(&public, case.id, out.event);
        self.store()
            .apply_action(CaseWrite { case: &out.case, event: ev, digests: &[], query_digest: None }, version)
            .await?;
        self.public_view(&out.case).await
    }
}

impl App {
    /// The query code of a case, for reprinting the caller's receipt (受理员 only).
    ///
    /// # Errors
    /// 403 for other roles or outside scope; 404.
    pub async fn query_code(&self, p: &crate::Principal, id: fazhi_domain::ids::CaseId) -> Result<Option<String>> {
        p.require(&[fazhi_domain::role::Role::IntakeClerk])?;
        let case = self.visible_case(p, id).await?;
        Ok(case.data_str("query_code").and_then(|s| self.crypto().open(s).ok()))
    }
}
