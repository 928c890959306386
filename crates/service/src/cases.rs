//! Cases: open, act, list, detail, figures. Every read goes through the principal's scope in
//! SQL; every write goes through the kind's workflow table and lands with its event in one
//! transaction.

use fazhi_domain::case::{CaseRecord, ClockClass};
use fazhi_domain::event::Event;
use fazhi_domain::ids::CaseId;
use fazhi_domain::kinds::KindDef;
use fazhi_domain::metric::{Figure, MetricDef, Period};
use fazhi_domain::time_util::{local_date, local_date_ms};
use fazhi_domain::workflow::{ActCtx, ActionDef, ActionError, NewCase, Sealer, shared};
use fazhi_store::{CaseFilter, CaseListItem, CaseWrite, Page, Scope, receipt_prefix};
use rand::RngCore;
use serde_json::{Map, Value as Json};
use time::Date;

use crate::{App, Principal, Result, ServiceError};

pub use crate::list_query::ListQuery;

/// A case opened: the case as stored, and the query code printed on the caller's receipt (shown
/// once; kept sealed for reprinting).
#[derive(Debug, Clone)]
pub struct Opened {
    pub case: CaseRecord,
    pub query_code: String,
}

/// A clock as a page shows it.
#[derive(Debug, Clone)]
pub struct ClockView {
    pub code: String,
    pub label: String,
    pub statutory: bool,
    pub due: Option<Date>,
    /// The date the clock was (or is) due, running or not.
    pub deadline: Date,
    pub running: bool,
    pub suspended: bool,
    pub met: Option<bool>,
    pub overdue: bool,
    pub provisional: bool,
    pub explanation: Vec<String>,
}

/// Everything the case page shows.
#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub case: CaseRecord,
    pub unit_name: String,
    pub state_label: String,
    pub events: Vec<Event>,
    /// The actions this user may take now.
    pub actions: Vec<ActionDef>,
    pub clocks: Vec<ClockView>,
}

/// A refusal for the case's state, followed by what the table says to do instead (撤回 after
/// 签收: use 改派).
fn with_otherwise(kind: &KindDef, action: &str, e: ActionError) -> ServiceError {
    match (&e, kind.workflow.action(action).and_then(|a| a.otherwise)) {
        (ActionError::WrongState { .. }, Some(hint)) => ServiceError::WrongState(format!("{e}：{hint}")),
        _ => e.into(),
    }
}

/// Six digits for the public tracking page.
fn query_code() -> String {
    format!("{:06}", rand::rng().next_u32() % 1_000_000)
}

impl App {
    /// The kind of a slug.
    ///
    /// # Errors
    /// [`ServiceError::UnknownKind`].
    pub fn kind(&self, slug: &str) -> Result<&KindDef> {
        self.kinds().get(slug).ok_or_else(|| ServiceError::UnknownKind(slug.to_string()))
    }

    pub(crate) fn ctx<'a>(
        &'a self,
        actor: &'a fazhi_domain::case::Actor,
        cal: &'a fazhi_domain::calendar::Calendar,
        units: &'a std::collections::HashMap<fazhi_domain::ids::UnitId, fazhi_domain::unit::Unit>,
    ) -> ActCtx<'a> {
        ActCtx {
            actor,
            now: self.now(),
            calendar: cal,
            settings: self.settings(),
            units,
            sealer: self.crypto(),
            event_on: None,
        }
    }

    /// Registers a new case of `kind` at the user's unit.
    ///
    /// # Errors
    /// [`ServiceError::UnknownKind`], field errors, a role that may not register this kind.
    ///
    /// Nothing is compared with the cases already open: a registration that should first be
    /// checked for duplicates goes through [`App::register`].
    pub async fn open_case(&self, p: &Principal, kind: &str, input: &Map<String, Json>) -> Result<Opened> {
        p.ready()?;
        let kind = self.kind(kind)?;
        self.check_named_users(p, &kind.workflow.open.fields, input).await?;
        let cal = self.calendar();
        let units = self.units();
        let ctx = self.ctx(&p.actor, &cal, &units);
        let out = kind.open_case(NewCase { id: CaseId::new(), receipt_no: String::new() }, input, &ctx)?;
        let code = query_code();
        let mut case = out.case;
        case.data.insert("query_code".into(), Json::String(self.crypto().seal(&code)));
        let digest = self.crypto().digest("query", &code);
        let tenant = self.tenant(case.tenant_id).ok_or_else(|| ServiceError::internal("tenant missing"))?;
        let year = local_date(ctx.now).year();
        let ev = self.case_event(&p.actor, case.id, out.event);
        let (case, _) = self
            .store()
            .create_case(
                CaseWrite { case: &case, event: ev, digests: &out.digests, query_digest: Some(&digest) },
                &receipt_prefix(&tenant.code, kind.receipt_code, year),
                year,
            )
            .await?;
        Ok(Opened { case, query_code: code })
    }

    /// Checks a registration form as [`App::open_case`] would, storing nothing.
    ///
    /// # Errors
    /// As [`App::open_case`], before anything is written.
    pub(crate) async fn check_open(&self, p: &Principal, kind: &KindDef, input: &Map<String, Json>) -> Result<()> {
        self.check_named_users(p, &kind.workflow.open.fields, input).await?;
        let cal = self.calendar();
        let units = self.units();
        let ctx = self.ctx(&p.actor, &cal, &units);
        kind.open_case(NewCase { id: CaseId::new(), receipt_no: String::new() }, input, &ctx)?;
        Ok(())
    }

    /// Loads a case the principal may see. A case out of their reach, one withheld from them
    /// (检举控告, 《信访工作条例》第三十条) and one that does not exist all answer the same 404, in
    /// the same time: a 403 would tell them the id exists, and so would a slower 404. An attempt
    /// on a case withheld from the reader is recorded in the audit chain (who, which case, when)
    /// — without telling them, and off the request path ([`crate::petitions::AttemptLog`]).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`].
    pub(crate) async fn visible_case(&self, p: &Principal, id: CaseId) -> Result<CaseRecord> {
        if let Some(c) = self.store().case(&p.scope, id).await? {
            return Ok(c);
        }
        self.note_failed_open(p, id);
        Err(ServiceError::case_not_found())
    }

    /// Applies an action. `version` is the version the user saw: if the case has moved on since,
    /// nothing is applied ([`ServiceError::Stale`]).
    ///
    /// # Errors
    /// 403 outside the user's scope or role, 404, 409 wrong state or stale, 400 bad fields, 422 a
    /// rule of the procedure.
    pub async fn act(
        &self,
        p: &Principal,
        id: CaseId,
        action: &str,
        input: &Map<String, Json>,
        version: i64,
    ) -> Result<CaseRecord> {
        self.act_with_files(p, id, action, input, version, Vec::new()).await
    }

    /// As [`App::act`], with files attached by the action: each is checked, stored by its SHA-256
    /// under the data directory (durably, before the action is written), and recorded with the
    /// action's event.
    ///
    /// # Errors
    /// As [`App::act`]; a file of a kind or size not accepted (400).
    pub async fn act_with_files(
        &self,
        p: &Principal,
        id: CaseId,
        action: &str,
        input: &Map<String, Json>,
        version: i64,
        uploads: Vec<crate::attachments::Upload>,
    ) -> Result<CaseRecord> {
        p.ready()?;
        let case = self.visible_case(p, id).await?;
        let kind = self.kind(&case.kind)?;
        // A role that may never take this action is told so before anything about versions.
        if let Some(a) = kind.workflow.action(action)
            && !a.permits(&p.actor)
        {
            return Err(ServiceError::Forbidden(format!("您的角色无权执行“{}”", a.label)));
        }
        if case.version != version {
            return Err(ServiceError::Stale { current: case.version });
        }
        if let Some(a) = kind.workflow.action(action) {
            self.check_named_users(p, &a.fields, input).await?;
        }
        crate::attachments::check_uploads(&uploads)?;
        // Check the action before storing any file.
        let mut input = input.clone();
        if !uploads.is_empty() {
            let probe = {
                let cal = self.calendar();
                let units = self.units();
                let ctx = self.ctx(&p.actor, &cal, &units);
                kind.act(&case, action, &input, &ctx).map(|_| ())
            };
            probe.map_err(|e| with_otherwise(kind, action, e))?;
        }
        let files = self.store_uploads(uploads).await?;
        if !files.is_empty() {
            let mut hashes: Vec<Json> = input.get("attachments").and_then(Json::as_array).cloned().unwrap_or_default();
            hashes.extend(files.iter().map(|f| Json::String(f.hash.clone())));
            input.insert("attachments".into(), Json::Array(hashes));
        }
        let out = {
            let cal = self.calendar();
            let units = self.units();
            let ctx = self.ctx(&p.actor, &cal, &units);
            kind.act(&case, action, &input, &ctx).map_err(|e| with_otherwise(kind, action, e))?
        };
        let ev = self.case_event(&p.actor, case.id, out.event);
        self.store()
            .apply_action_with_files(
                CaseWrite { case: &out.case, event: ev, digests: &out.digests, query_digest: None },
                version,
                &files,
            )
            .await?;
        Ok(self.redacted(p, out.case))
    }

    /// A case with its timeline, clocks and the actions open to this user.
    ///
    /// # Errors
    /// 403 / 404 as for [`App::act`].
    pub async fn detail(&self, p: &Principal, id: CaseId) -> Result<CaseDetail> {
        p.ready()?;
        let case = self.visible_case(p, id).await?;
        let kind = self.kind(&case.kind)?;
        let mut events = self.store().events_of_case(id).await?;
        // 信访工作条例 第三十条: the accused unit never reads the accuser's identity, nor follows a
        // link to a case withheld from them.
        self.redact_events(p, &case, &mut events);
        self.hide_unreadable_references(p, &mut events).await?;
        let today = local_date(self.now());
        let clocks = case
            .clocks
            .0
            .iter()
            .map(|c| ClockView {
                code: c.code.clone(),
                label: c.label.clone(),
                statutory: c.class == ClockClass::Statutory,
                due: c.due(),
                deadline: c.computed.due,
                running: c.is_running(),
                suspended: c.suspended_since.is_some(),
                met: c.met,
                overdue: c.due().is_some_and(|d| d < today),
                provisional: c.is_running() && c.computed.provisional,
                explanation: c.explain(),
            })
            .collect();
        Ok(CaseDetail {
            unit_name: self.unit(case.unit_id).map(|u| u.name).unwrap_or_default(),
            state_label: kind.workflow.state_label(&case.state).to_string(),
            actions: kind
                .workflow
                .available(&case, &p.actor)
                .into_iter()
                // Naming accused staff is offered only where there is an accusation (第三十条).
                .filter(|a| a.code != shared::NAME_ACCUSED || case.data.contains_key(shared::CONFIDENTIAL))
                .cloned()
                .collect(),
            events,
            clocks,
            case: self.redacted(p, case),
        })
    }

    /// One page of the cases this user may see.
    ///
    /// # Errors
    /// 403 for the three administrators, who read no case; an unknown kind in the filter.
    pub async fn list(
        &self,
        p: &Principal,
        filter: &CaseFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<CaseListItem>> {
        p.reads_cases()?;
        if let Some(k) = &filter.kind {
            self.kind(k)?;
        }
        let filter = self.as_reader(p, filter);
        let mut page = self.store().list_cases(&p.scope, &filter, page, per_page).await?;
        for item in &mut page.items {
            self.redact_case(p, &mut item.case);
        }
        Ok(page)
    }

    /// Figures of the catalogue for the cases this user may see, over a period. `codes` empty:
    /// every figure of `kind` (or of every kind).
    ///
    /// # Errors
    /// An unknown kind or metric.
    pub async fn metrics(
        &self,
        p: &Principal,
        kind: Option<&str>,
        codes: &[String],
        period: &Period,
    ) -> Result<Vec<(MetricDef, Figure)>> {
        p.ready()?;
        self.metrics_in(&p.scope, kind, codes, period).await
    }

    /// Figures over an explicit scope (reports run for a tenant; the district compares tenants).
    ///
    /// # Errors
    /// An unknown kind or metric.
    pub async fn metrics_in(
        &self,
        scope: &Scope,
        kind: Option<&str>,
        codes: &[String],
        period: &Period,
    ) -> Result<Vec<(MetricDef, Figure)>> {
        if let Some(k) = kind {
            self.kind(k)?;
        }
        let cat = self.catalogue();
        let wanted: Vec<&MetricDef> = if codes.is_empty() {
            cat.metrics.iter().filter(|m| kind.is_none_or(|k| m.kind() == k)).collect()
        } else {
            codes
                .iter()
                .map(|c| cat.get(c).ok_or_else(|| ServiceError::BadRequest(format!("未知的指标“{c}”"))))
                .collect::<Result<_>>()?
        };
        // Ratios need their parts.
        let mut raw_needed: Vec<&MetricDef> = Vec::new();
        for m in &wanted {
            match &m.measure {
                fazhi_domain::metric::Measure::Ratio { num, den } => {
                    for part in [num, den] {
                        if let Some(d) = cat.get(part) {
                            raw_needed.push(d);
                        }
                    }
                }
                _ => raw_needed.push(m),
            }
        }
        raw_needed.sort_by_key(|m| m.code);
        raw_needed.dedup_by_key(|m| m.code);
        let raw = self.store().metric_values(scope, &raw_needed, period).await?;
        wanted
            .into_iter()
            .map(|m| {
                let fig = cat
                    .figure(m.code, &mut |d: &MetricDef| raw.get(d.code).copied().unwrap_or(0))
                    .map_err(ServiceError::internal)?;
                Ok((m.clone(), fig))
            })
            .collect()
    }

    /// The date in China of a case's registration.
    pub fn opened_on(case: &CaseRecord) -> Date {
        local_date_ms(case.opened_at)
    }
}
