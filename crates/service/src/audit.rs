//! Verifying the hash chains (`fazhi audit verify`) and reading the audit log (审计管理员).
//!
//! The 审计管理员 sees who did what to which case or account, when, and the state it moved
//! between — never what a case says (等保 2.0 三员分立, GB/T 22239-2019 §8.1.4.2 and §8.1.4.3: the
//! audit records date and time, user, event type and outcome). An event's payload (the fields of
//! an action: replies, names, phone numbers, the accuser of a 检举控告) is not read out at all;
//! only events about accounts, units, calendars and report drafts show a few named details, each
//! on a list below. An event kind added later shows nothing until it is listed.

use std::collections::HashMap;

use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, UserId};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::fmt_minute_ms;
use fazhi_store::{AuditFilter, ChainReport, Scope, Tenant};
use serde_json::Value as Json;

use crate::{App, Principal, Result, ServiceError};

/// One line of the audit log as the 审计管理员 reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub hash: String,
    pub occurred_at: i64,
    /// The staff user who acted (none for the system and the public).
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub actor_username: Option<String>,
    /// The action's code (`dispatch`, `user.roles_changed`) and its name (派单, 变更角色).
    pub action: String,
    pub action_label: String,
    pub case_id: Option<CaseId>,
    pub receipt_no: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    /// Named details of events about accounts, units, calendars and drafts: (label, value).
    pub details: Vec<(String, String)>,
}

/// The audit log's query, as the 审计管理员 types it.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// The acting user's username.
    pub username: Option<String>,
    /// Action code prefix (`user.`, `dispatch`).
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// The payload keys an event of each family may show, with their labels. Case events (and any
/// family not listed) show none.
const DETAILS: &[(&str, &[(&str, &str)])] = &[
    (
        "user.",
        &[
            ("username", "账户"),
            ("user_id", "账户ID"),
            ("roles", "角色"),
            ("before", "原角色"),
            ("after", "新角色"),
            ("via", "方式"),
            ("address", "地址"),
            ("failed_logins", "累计失败次数"),
            ("limit", "限制"),
            ("minutes", "分钟"),
            ("expires_at", "有效期至"),
        ],
    ),
    ("unit.", &[("unit_id", "单位ID"), ("code", "单位代码"), ("name", "单位名称"), ("path", "单位路径")]),
    (
        "calendar.",
        &[("year", "年度"), ("replaced", "替换原有安排"), ("off_days", "放假天数"), ("make_up_days", "调休上班天数")],
    ),
    ("report.", &[("year", "年度"), ("version", "版本")]),
];

fn show(key: &str, v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Json::Number(n) if key == "expires_at" || key == "until" => {
            n.as_i64().map_or_else(|| n.to_string(), fmt_minute_ms)
        }
        Json::Number(n) => n.to_string(),
        Json::Array(items) if items.is_empty() => "无".to_string(),
        Json::Array(items) => items
            .iter()
            .map(|i| match i.as_str() {
                // Role codes read as the roles' names.
                Some(code) => Role::parse(code).map_or_else(|_| code.to_string(), |r| r.label().to_string()),
                None => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join("、"),
        Json::Null => String::new(),
        Json::Object(_) => String::new(),
    }
}

/// The details an event may show (see [`DETAILS`]): never anything of a case event.
pub fn audit_details(e: &Event) -> Vec<(String, String)> {
    if e.case_id.is_some() {
        return Vec::new();
    }
    let Some((_, keys)) = DETAILS.iter().find(|(prefix, _)| e.action.starts_with(prefix)) else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|(k, label)| {
            let v = e.payload.get(*k)?;
            let text = show(k, v);
            (!text.is_empty()).then(|| ((*label).to_string(), text))
        })
        .collect()
}

impl App {
    /// Verifies every tenant's chain and its case rows. `progress` is called with (tenant code,
    /// events verified so far).
    ///
    /// # Errors
    /// Database errors (a broken chain is a result).
    pub async fn verify_all(&self, mut progress: impl FnMut(&str, u64)) -> Result<Vec<(Tenant, ChainReport)>> {
        let mut out = Vec::new();
        for t in self.store().tenants().await? {
            let code = t.code.clone();
            let mut report = self.store().verify_chain(t.id, |n| progress(&code, n)).await?;
            // Name the case by its receipt number.
            if let Some(b) = report.broken.as_mut()
                && let Some(id) = b.case_id.as_deref().and_then(|c| fazhi_domain::ids::CaseId::parse(c).ok())
                && let Some(c) = self.store().case(&Scope::Everything, id).await?
            {
                b.case = c.receipt_no;
            }
            out.push((t, report));
        }
        Ok(out)
    }

    /// One page of the audit log of the auditor's tenant, newest first: who, when, which case
    /// or account, which action, which state change — no case content (see the module).
    ///
    /// # Errors
    /// 403 unless 审计管理员; an unknown username (a field error).
    pub async fn audit_log(
        &self,
        p: &Principal,
        q: AuditQuery,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<AuditEntry>, u64)> {
        p.require(&[Role::AuditAdmin])?;
        let users: HashMap<UserId, String> =
            self.store().users(Some(p.user.tenant_id)).await?.into_iter().map(|u| (u.id, u.username)).collect();
        let actor = match q.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(name) => Some(
                users
                    .iter()
                    .find(|(_, u)| u.as_str() == name)
                    .map(|(id, _)| *id)
                    .ok_or_else(|| ServiceError::field("user", "操作人", "没有这个用户名"))?,
            ),
        };
        let filter = AuditFilter {
            tenant: Some(p.user.tenant_id),
            actor,
            action: q.action.filter(|a| !a.trim().is_empty()),
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            case: None,
        };
        let per_page = per_page.clamp(1, 200);
        let (events, total) = self.store().audit_log(&filter, per_page, (page.max(1) - 1) * per_page).await?;
        let ids: Vec<CaseId> = events.iter().filter_map(|e| e.case_id).collect();
        let receipts = self.store().receipt_numbers(&ids).await?;
        let entries = events
            .iter()
            .map(|e| AuditEntry {
                seq: e.seq,
                hash: e.hash.clone(),
                occurred_at: e.occurred_at,
                actor_id: e.actor_id,
                actor_name: e.actor_name.clone(),
                actor_username: e.actor_id.and_then(|id| users.get(&id).cloned()),
                action: e.action.clone(),
                action_label: e.action_label.clone(),
                case_id: e.case_id,
                receipt_no: e.case_id.and_then(|c| receipts.get(&c.to_string()).cloned()),
                from_state: e.from_state.clone(),
                to_state: e.to_state.clone(),
                details: audit_details(e),
            })
            .collect();
        Ok((entries, total))
    }
}
