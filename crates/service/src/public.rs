//! The public tracking page: a resident gives the receipt number and the six-digit query code
//! printed on their receipt and sees the status, the reply and the dates — no staff names, no
//! other parties, no internal notes — and may rate the result once it is concluded (this is the
//! kind's `rate` action, taken as the public) — and, not having rated, for
//! `public.rating_days_after_archive` days after it is archived ([`shared::rate_archived`]).
//! Look-ups are rate-limited per client, and wrong codes per address and per receipt number
//! ([`crate::throttle::PublicChecks`]); a refused look-up says how many minutes to wait.

use fazhi_domain::FieldError;
use fazhi_domain::case::{Actor, CaseRecord, Phase};
use fazhi_domain::time_util::{fmt_date, fmt_minute_ms, local_date, local_date_ms};
use fazhi_domain::workflow::{FieldKind, Sealer, shared};
use fazhi_store::CaseWrite;
use serde_json::{Map, Value as Json};

use crate::throttle::PublicLimits;
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

/// A wait in whole minutes, rounded up (never 0: "请 0 分钟后再试" would be false).
fn minutes(ms: i64) -> u32 {
    u32::try_from((ms.max(1) + 59_999) / 60_000).unwrap_or(u32::MAX)
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
        // By address and by receipt number (crate::throttle::PublicChecks): the same answer
        // whether or not the number exists, and whether or not the code is right.
        let sec = &self.config().security;
        let limits = PublicLimits {
            per_receipt: sec.public_failures_per_receipt,
            per_address: sec.public_failures_per_address,
            address_window_ms: i64::from(sec.public_lockout_minutes) * 60_000,
        };
        let checks = || self.inner.public_checks.lock().map_err(|_| ServiceError::internal("public checks"));
        if let Some(wait) = checks()?.wait(&limits, client, &receipt, self.now_ms()) {
            return Err(ServiceError::TooManyAttempts { minutes: minutes(wait) });
        }
        let digest = self.crypto().digest("query", &code);
        match self.store().case_by_receipt(&receipt, &digest).await? {
            Some(c) => Ok(c),
            None => {
                checks()?.failed(&limits, client, &receipt, self.now_ms());
                Err(not_found())
            }
        }
    }

    async fn public_view(&self, case: &CaseRecord) -> Result<PublicView> {
        let kind = self.kind(&case.kind)?;
        let events = self.store().events_of_case(case.id).await?;
        let replied_at = events.iter().rev().find(|e| e.action == "reply").map(|e| fmt_minute_ms(e.occurred_at));
        let rate = self.public_rating_action(case, &events)?;
        let rate_options = rate
            .and_then(|a| a.field("result"))
            .map(|f| match &f.kind {
                FieldKind::Choice { options } => options.clone(),
                _ => vec![],
            })
            .unwrap_or_default();
        let rated = events.iter().rev().find(|e| is_public_rating(e));
        let rating = rated.and_then(|e| {
            let code = e.payload.get("result").and_then(Json::as_str)?;
            let action = kind.workflow.action(&e.action)?;
            action.field("result").and_then(|f| f.choice_label(code)).map(String::from)
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
        let events = self.store().events_of_case(case.id).await?;
        let Some(action) = self.public_rating_action(&case, &events)? else {
            return Err(ServiceError::WrongState(self.rating_closed_reason(&case)));
        };
        let mut input = Map::new();
        input.insert("result".into(), Json::String(result.to_string()));
        if !note.trim().is_empty() {
            input.insert("note".into(), Json::String(note.to_string()));
        }
        let out = {
            let cal = self.calendar();
            let units = self.units();
            let ctx = self.ctx(&public, &cal, &units);
            kind.act(&case, action.code, &input, &ctx).map_err(|e| match e {
                fazhi_domain::workflow::ActionError::WrongState { .. }
                | fazhi_domain::workflow::ActionError::UnknownAction(_) => {
                    ServiceError::WrongState(self.rating_closed_reason(&case))
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

/// Whether `e` is a rating given by the public (the tracking page acts as no user).
fn is_public_rating(e: &fazhi_domain::event::Event) -> bool {
    e.actor_id.is_none() && (e.action == "rate" || e.action == shared::RATE_ARCHIVED)
}

impl App {
    /// The rating the public may give on `case` now, if any: the kind's `rate` while the case is
    /// concluded and not archived; once archived, [`shared::RATE_ARCHIVED`] for
    /// `public.rating_days_after_archive` days after the day it was archived, if the public has
    /// not rated it before.
    ///
    /// # Errors
    /// An unknown kind.
    fn public_rating_action(
        &self,
        case: &CaseRecord,
        events: &[fazhi_domain::event::Event],
    ) -> Result<Option<&fazhi_domain::workflow::ActionDef>> {
        let kind = self.kind(&case.kind)?;
        let public = Actor::public(case.tenant_id);
        let available = kind.workflow.available(case, &public);
        if let Some(a) = available.iter().find(|a| a.code == "rate") {
            return Ok(Some(a));
        }
        let Some(late) = available.into_iter().find(|a| a.code == shared::RATE_ARCHIVED) else { return Ok(None) };
        if events.iter().any(is_public_rating) {
            return Ok(None);
        }
        let archived_at = events.iter().rev().find(|e| {
            e.to_state.as_deref().is_some_and(|s| kind.workflow.state(s).is_some_and(|d| d.phase == Phase::Archived))
        });
        let days = i64::from(self.settings().public.rating_days_after_archive);
        let open = days > 0
            && archived_at.is_some_and(|e| {
                let last = local_date_ms(e.occurred_at) + time::Duration::days(days);
                local_date(self.now()) <= last
            });
        Ok(open.then_some(late))
    }

    /// Why the public cannot rate `case` now.
    fn rating_closed_reason(&self, case: &CaseRecord) -> String {
        if case.phase == Phase::Archived {
            let days = self.settings().public.rating_days_after_archive;
            format!("该事项已归档，归档后{days}日内未评价的可以评价一次，现已不能评价")
        } else {
            "该事项目前不能评价（办结后、回访前可以评价一次）".to_string()
        }
    }

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
