//! The annual report's way to its final form: 起草 → 审核 → 定稿, with who and when.
//!
//! - 起草: the 司法所 or the 领导 of the town writes and saves versions of the draft;
//! - 提交审核: a drafter (司法所 or 领导) hands the latest version to review;
//! - 审核: a 领导 who neither saved a version of this year's draft nor submitted it (separation of
//!   duties: the one who drafts does not approve) either returns it (退回修改, with a reason) or
//!   approves it (定稿) — only once the year is over, as a final report needs the whole year;
//! - 定稿: the draft is frozen; its date is the 成文日期 of the 落款 closing the Word file.
//!
//! Each step is an event in the town's hash chain (`report.submitted`, `report.returned`,
//! `report.finalised`, beside `report.draft_saved`); where a draft stands is read back from those
//! events, so the record of the steps and the steps themselves cannot disagree.

use fazhi_domain::role::Role;
use fazhi_domain::time_util::local_date_ms;
use fazhi_store::{AuditFilter, Tenant};
use serde_json::json;

use crate::{App, Principal, Result, ServiceError};

/// Roles that write the draft.
pub const DRAFTERS: &[Role] = &[Role::JudicialOffice, Role::Leader];
/// The role that reviews and finalises it (not the one who drafted it).
pub const APPROVERS: &[Role] = &[Role::Leader];

/// Where a year's report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// 起草
    Drafting,
    /// 审核 (of this draft version)
    InReview { version: i64 },
    /// 定稿 (this version, on this day)
    Final { version: i64, at: i64 },
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Self::Drafting => "起草",
            Self::InReview { .. } => "审核",
            Self::Final { .. } => "定稿",
        }
    }
}

/// One step taken: what, which version, who, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 保存草稿, 提交审核, 退回修改, 定稿
    pub label: String,
    pub version: i64,
    pub by_id: Option<String>,
    pub by: String,
    pub at: i64,
    /// The reason of a return.
    pub note: String,
}

/// A year's report: its stage and every step, oldest first.
#[derive(Debug, Clone)]
pub struct Review {
    pub stage: Stage,
    pub steps: Vec<Step>,
}

impl Review {
    /// Whether `p` drafted this year's report (saved a version of it or submitted it).
    fn drafted_by(&self, p: &Principal) -> bool {
        let me = p.user.id.to_string();
        self.steps.iter().any(|s| s.by_id.as_deref() == Some(&me) && (s.label == "保存草稿" || s.label == "提交审核"))
    }

    /// Who may do what now.
    pub fn may_submit(&self, p: &Principal) -> bool {
        self.stage == Stage::Drafting && DRAFTERS.iter().any(|r| p.has_role(*r)) && self.latest_saved().is_some()
    }

    pub fn may_review(&self, p: &Principal) -> bool {
        matches!(self.stage, Stage::InReview { .. }) && APPROVERS.iter().any(|r| p.has_role(*r)) && !self.drafted_by(p)
    }

    pub fn may_edit(&self, p: &Principal) -> bool {
        self.stage == Stage::Drafting && DRAFTERS.iter().any(|r| p.has_role(*r))
    }

    fn latest_saved(&self) -> Option<i64> {
        self.steps.iter().filter(|s| s.label == "保存草稿").map(|s| s.version).max()
    }
}

const SAVED: &str = "report.draft_saved";
const SUBMITTED: &str = "report.submitted";
const RETURNED: &str = "report.returned";
const FINALISED: &str = "report.finalised";

impl App {
    /// Where the report of `tenant` for `year` stands, from the town's events.
    ///
    /// # Errors
    /// Database errors.
    pub async fn report_review(&self, tenant: &Tenant, year: i32) -> Result<Review> {
        let filter = AuditFilter { tenant: Some(tenant.id), action: Some("report.".into()), ..Default::default() };
        // Newest first from the store; a town saves a few dozen versions a year at most.
        let (mut events, _) = self.store().audit_log(&filter, 10_000, 0).await?;
        events.retain(|e| e.payload.get("year").and_then(serde_json::Value::as_i64) == Some(i64::from(year)));
        events.sort_by_key(|e| e.seq);
        let mut stage = Stage::Drafting;
        let mut steps = Vec::new();
        for e in &events {
            let version = e.payload.get("version").and_then(serde_json::Value::as_i64).unwrap_or(0);
            let label = match e.action.as_str() {
                SAVED => "保存草稿",
                SUBMITTED => {
                    stage = Stage::InReview { version };
                    "提交审核"
                }
                RETURNED => {
                    stage = Stage::Drafting;
                    "退回修改"
                }
                FINALISED => {
                    stage = Stage::Final { version, at: e.occurred_at };
                    "定稿"
                }
                _ => continue,
            };
            steps.push(Step {
                label: label.into(),
                version,
                by_id: e.actor_id.map(|u| u.to_string()),
                by: e.actor_name.clone(),
                at: e.occurred_at,
                note: e.payload.get("reason").and_then(serde_json::Value::as_str).unwrap_or("").to_string(),
            });
        }
        Ok(Review { stage, steps })
    }

    /// The user's own town, for the steps they take on its report.
    fn own_town(&self, p: &Principal) -> Result<Tenant> {
        self.tenant(p.user.tenant_id).ok_or_else(|| ServiceError::internal("tenant"))
    }

    /// 提交审核: hands version `version` (the latest saved) of the user's town's draft to review.
    ///
    /// # Errors
    /// 403 for other roles; 409 when the draft is not being drafted or `version` is not the
    /// latest saved one (someone saved since).
    pub async fn submit_report(&self, p: &Principal, year: i32, version: i64) -> Result<()> {
        p.require(DRAFTERS)?;
        let _step = self.report_step().await;
        let town = self.own_town(p)?;
        let review = self.report_review(&town, year).await?;
        if review.stage != Stage::Drafting {
            return Err(ServiceError::WrongState(format!("报告当前处于“{}”阶段，不能提交审核", review.stage.label())));
        }
        match review.latest_saved() {
            None => return Err(ServiceError::WrongState("草稿尚未保存过，请先保存再提交审核".into())),
            Some(v) if v != version => return Err(ServiceError::Stale { current: v }),
            Some(_) => {}
        }
        let ev = self.event(&p.actor, SUBMITTED, "提交年度报告审核", json!({"year": year, "version": version}));
        self.store().append_event(fazhi_domain::event::Event { tenant_id: town.id, ..ev }).await?;
        Ok(())
    }

    /// 审核: approves the draft in review (定稿) or returns it (退回修改) with a reason.
    ///
    /// # Errors
    /// 403 for other roles and for anyone who drafted it (separation of duties); 409 when nothing
    /// is in review; a missing reason for a return; a final report of a year not yet over.
    pub async fn review_report(&self, p: &Principal, year: i32, approve: bool, reason: &str) -> Result<()> {
        p.require(APPROVERS)?;
        let _step = self.report_step().await;
        let town = self.own_town(p)?;
        let review = self.report_review(&town, year).await?;
        let Stage::InReview { version } = review.stage else {
            return Err(ServiceError::WrongState(format!(
                "报告当前处于“{}”阶段，没有待审核的稿件",
                review.stage.label()
            )));
        };
        if review.drafted_by(p) {
            return Err(ServiceError::Forbidden(
                "您参与了本报告的起草（保存过草稿或提交了审核），按起草与审核分离的要求，应由其他领导审核".into(),
            ));
        }
        let reason = reason.trim();
        let ev = if approve {
            // A final report needs the whole year (the same rule the report itself applies).
            self.check_report_year(year, false)?;
            self.event(&p.actor, FINALISED, "年度报告定稿", json!({"year": year, "version": version}))
        } else {
            if reason.is_empty() {
                return Err(ServiceError::field("reason", "退回理由", "请填写退回修改的理由"));
            }
            if reason.chars().count() > 500 {
                return Err(ServiceError::field("reason", "退回理由", "不能超过500个字"));
            }
            self.event(
                &p.actor,
                RETURNED,
                "年度报告退回修改",
                json!({"year": year, "version": version, "reason": reason}),
            )
        };
        self.store().append_event(fazhi_domain::event::Event { tenant_id: town.id, ..ev }).await?;
        Ok(())
    }

    /// The 落款 of a town's report: the government and the date of its 定稿, or of today while
    /// it is not final (the document then says it is a draft).
    ///
    /// # Errors
    /// Database errors.
    pub async fn report_closing(&self, town: &Tenant, year: i32) -> Result<fazhi_report::annual::Closing> {
        let at = match self.report_review(town, year).await?.stage {
            Stage::Final { at, .. } => at,
            _ => self.now_ms(),
        };
        let d = local_date_ms(at);
        Ok(fazhi_report::annual::Closing {
            issuer: self.issuer(town),
            date: format!("{}年{}月{}日", d.year(), d.month() as u8, d.day()),
        })
    }
}
