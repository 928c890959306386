//! Verifying the hash chains and the records they seal (`fazhi audit verify`), writing signed
//! checkpoints (`fazhi audit checkpoint`, and periodically while serving), receiving a town's
//! checkpoints at the district, and reading the audit log (审计管理员).
//!
//! What a verification holds, for every tenant (issue 10 item 11):
//! - the chain: every event's hash, its link to the one before, its MAC under the key kept outside
//!   the database, the chain head, and every signed checkpoint read from the checkpoint files;
//! - every record against the last event about it: each case row with its party digests,
//!   attachments and links; each user with its roles and password (by digest); each unit, report
//!   draft version (its text by digest), calendar year (its file by digest) and the tenant itself —
//!   a record with no event, or an event whose record is gone, too;
//! - every attachment's file on disk, re-hashed and compared with the hash its case seals.
//!
//! The 审计管理员 sees who did what to which case or account, when, and the state it moved
//! between — never what a case says (等保 2.0 三员分立, GB/T 22239-2019 §8.1.4.2 and §8.1.4.3: the
//! audit records date and time, user, event type and outcome). An event's payload (the fields of
//! an action: replies, names, phone numbers, the accuser of a 检举控告) is not read out at all;
//! only events about accounts, units, calendars and report drafts show a few named details, each
//! on a list below. An event kind added later shows nothing until it is listed.

use std::collections::HashMap;
use std::path::PathBuf;

use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, UserId};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::fmt_minute_ms;
use fazhi_store::{AuditFilter, ChainReport, RecordProblem, Scope, Tenant, VerifyOptions};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::checkpoint::{self, Checkpoint};
use crate::{App, Principal, Result, ServiceError};

/// What to verify against.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// Walk each chain only from its last good checkpoint (the records are checked in full).
    pub since_checkpoint: bool,
    /// Checkpoint files to check against besides the configured ones.
    pub checkpoint_files: Vec<PathBuf>,
    /// Only this town's chain, records and checkpoints (a town's auditor); `None`: every town
    /// (`fazhi audit verify`).
    pub tenant: Option<fazhi_domain::ids::TenantId>,
}

/// One tenant's verification.
#[derive(Debug, Clone)]
pub struct TenantAudit {
    pub tenant: Tenant,
    pub chain: ChainReport,
    /// Checkpoints of this tenant the chain was held to.
    pub checkpoints: usize,
    /// Attachment files missing or changed on disk.
    pub files: Vec<RecordProblem>,
    pub files_checked: u64,
}

impl TenantAudit {
    pub fn is_whole(&self) -> bool {
        self.chain.is_whole() && self.files.is_empty()
    }
}

/// The whole verification.
#[derive(Debug, Clone)]
pub struct AuditOutcome {
    pub tenants: Vec<TenantAudit>,
    /// Checkpoint lines that are malformed, badly signed, or signed by another key; checkpoints
    /// of tenants that do not exist.
    pub checkpoint_problems: Vec<String>,
    pub checkpoint_files: Vec<PathBuf>,
}

impl AuditOutcome {
    pub fn is_whole(&self) -> bool {
        self.checkpoint_problems.is_empty() && self.tenants.iter().all(TenantAudit::is_whole)
    }

    /// The outcome in words, line by line — what `fazhi audit verify` prints and the audit page
    /// shows.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.checkpoint_files.is_empty() {
            out.push(
                "未找到检查点文件：只能验证事件链自身（建议运行 fazhi audit checkpoint，并在别处保存副本）。".into(),
            );
        } else {
            let files: Vec<String> = self.checkpoint_files.iter().map(|p| p.display().to_string()).collect();
            out.push(format!("检查点文件：{}", files.join("、")));
        }
        for p in &self.checkpoint_problems {
            out.push(format!("检查点问题：{p}"));
        }
        for a in &self.tenants {
            let t = &a.tenant;
            let r = &a.chain;
            let from =
                if r.started_after > 0 { format!("自第 {} 号检查点起", r.started_after) } else { String::new() };
            match &r.broken {
                None => out.push(format!(
                    "{}（{}）：事件链完整，{from}已验证 {} 个事件，与 {} 个检查点相符。",
                    t.name, t.code, r.verified, a.checkpoints
                )),
                Some(b) => out.push(format!("{}（{}）：事件链断裂！{}", t.name, t.code, b)),
            }
            for p in &r.problems {
                out.push(format!("{}（{}）：{p}", t.name, t.code));
            }
            if r.problem_count > r.problems.len() as u64 {
                out.push(format!(
                    "{}（{}）：……另有 {} 条记录与事件不一致。",
                    t.name,
                    t.code,
                    r.problem_count - r.problems.len() as u64
                ));
            }
            for p in &a.files {
                out.push(format!("{}（{}）：{p}", t.name, t.code));
            }
            if r.problem_count == 0 && a.files.is_empty() {
                out.push(format!(
                    "{}（{}）：已核对 {} 条记录和 {} 个附件文件，均与事件一致。",
                    t.name, t.code, r.records_checked, a.files_checked
                ));
            }
        }
        if self.tenants.is_empty() {
            out.push("尚无任何镇（街道），无事件可验证。".into());
        }
        out
    }
}

/// Audit log rows per page of an export.
const EXPORT_PAGE: u32 = 2_000;

/// The address an event was taken from: recorded by the request (every event since it was) or,
/// for a login before that, in the login's own payload.
fn address_of(e: &Event) -> Option<String> {
    e.payload
        .get(crate::request::ADDRESS_KEY)
        .or_else(|| if e.action.starts_with("user.") { e.payload.get("address") } else { None })
        .and_then(Json::as_str)
        .map(str::to_string)
}

/// The name an action shows: as recorded, except the seal of a record, which names the record by
/// its id (记录存证：用户 01a2…) — shown by its kind here and named in the details instead.
fn action_name(code: &str, label: &str) -> String {
    match code.strip_prefix("record.") {
        Some(kind) => {
            let what = match kind {
                "user" => "用户",
                "unit" => "单位",
                "tenant" => "镇（街道）",
                "report_draft" => "年度报告草稿",
                "calendar" => "节假日安排",
                _ => "记录",
            };
            format!("记录存证（{what}）")
        }
        None => label.to_string(),
    }
}

/// Attachments re-hashed per round trip.
const FILE_PAGE: u32 = 500;

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
    /// The kind's name of the case (12345工单).
    pub kind_label: Option<String>,
    /// The states moved between, by their codes and by their Chinese names (待派单 → 办理中).
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub from_label: Option<String>,
    pub to_label: Option<String>,
    /// The client's address the event was taken from, where recorded.
    pub address: Option<String>,
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
    /// Exactly this action (`dispatch`), as offered by [`App::audit_actions`].
    pub action_code: Option<String>,
    /// A case's receipt number.
    pub receipt_no: Option<String>,
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
            ("roles", "角色"),
            ("before", "原角色"),
            ("after", "新角色"),
            ("via", "方式"),
            ("failed_logins", "累计失败次数"),
            ("limit", "限制"),
            ("minutes", "分钟"),
            ("expires_at", "有效期至"),
        ],
    ),
    ("unit.", &[("code", "单位代码"), ("name", "单位名称")]),
    (
        "calendar.",
        &[("year", "年度"), ("replaced", "替换原有安排"), ("off_days", "放假天数"), ("make_up_days", "调休上班天数")],
    ),
    ("report.", &[("year", "年度"), ("version", "版本"), ("reason", "理由")]),
    ("audit.", &[("result", "结果")]),
    // Who read which identifier of which case, and why (crate::reveal): the value itself never.
    ("reveal.", &[("receipt_no", "受理编号"), ("field_label", "字段"), ("reason", "原因")]),
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
    /// The checkpoint files a verification reads: the configured file, its configured copies, and
    /// those asked for.
    fn checkpoint_files(&self, extra: &[PathBuf]) -> Vec<PathBuf> {
        let mut files = vec![self.config().checkpoint_path()];
        files.extend(self.config().audit.extra_checkpoint_files.iter().map(PathBuf::from));
        files.extend(extra.iter().cloned());
        files.dedup();
        files
    }

    /// Verifies every tenant's chain and records against the checkpoints. `progress` is called
    /// with (tenant code, events verified so far).
    ///
    /// # Errors
    /// Database errors, an unreadable checkpoint file (a broken chain or a changed record is a
    /// result).
    pub async fn verify_all(&self, req: &VerifyRequest, mut progress: impl FnMut(&str, u64)) -> Result<AuditOutcome> {
        let files = self.checkpoint_files(&req.checkpoint_files);
        let loaded = checkpoint::load(&files, self.checkpoint_key())?;
        let all = self.store().tenants().await?;
        // A town's auditor learns nothing of other towns: their chains are not walked, and lines
        // of the checkpoint files about them are left out (a malformed line names no town: it is
        // counted, for the operator to read with `fazhi audit verify`).
        let mine = |tenant: &str| req.tenant.is_none_or(|id| id.to_string() == tenant);
        let mut checkpoint_problems = match req.tenant {
            None => loaded.problems,
            Some(_) if loaded.problems.is_empty() => Vec::new(),
            Some(_) => vec![format!(
                "检查点文件中有 {} 行无法识别或签名无效（不属于任何可识别的镇街），请系统运维人员用 fazhi audit verify 查看",
                loaded.problems.len()
            )],
        };
        let tenants: Vec<Tenant> = all.iter().filter(|t| mine(&t.id.to_string())).cloned().collect();
        for c in loaded.good.iter().filter(|_| req.tenant.is_none()) {
            if !all.iter().any(|t| t.id.to_string() == c.tenant) {
                checkpoint_problems.push(format!(
                    "检查点记录了租户 {}（{}）第 {} 号事件，但数据库中已没有这个租户",
                    c.tenant_code, c.tenant, c.seq
                ));
            }
        }
        for (at, c) in &loaded.foreign {
            if tenants.iter().any(|t| t.id.to_string() == c.tenant) && mine(&c.tenant) {
                checkpoint_problems.push(format!(
                    "{at}：{} 的检查点由另一把密钥（{}）签名，不是本系统的检查点密钥（{}）",
                    c.tenant_code,
                    c.key_id,
                    self.checkpoint_key().key_id()
                ));
            }
        }
        let mut out = Vec::new();
        for t in tenants {
            let code = t.code.clone();
            let id = t.id.to_string();
            let mut anchors: Vec<(i64, String)> =
                loaded.good.iter().filter(|c| c.tenant == id).map(|c| (c.seq, c.hash.clone())).collect();
            anchors.sort();
            anchors.dedup();
            let start_after = if req.since_checkpoint { anchors.last().cloned() } else { None };
            let opts = VerifyOptions { anchors: anchors.clone(), start_after };
            let mut chain = self.store().verify_chain_with(t.id, &opts, |n| progress(&code, n)).await?;
            // Name the case by its receipt number.
            if let Some(b) = chain.broken.as_mut()
                && let Some(cid) = b.case_id.as_deref().and_then(|c| fazhi_domain::ids::CaseId::parse(c).ok())
                && let Some(c) = self.store().case(&Scope::everything(), cid).await?
            {
                b.case = c.receipt_no;
            }
            let (files, files_checked) = self.verify_files(&t).await?;
            out.push(TenantAudit { tenant: t, chain, checkpoints: anchors.len(), files, files_checked });
        }
        Ok(AuditOutcome { tenants: out, checkpoint_problems, checkpoint_files: loaded.files })
    }

    /// Re-hashes every attachment file of a tenant from disk: the hash its case seals must be the
    /// hash of the bytes.
    async fn verify_files(&self, t: &Tenant) -> Result<(Vec<RecordProblem>, u64)> {
        let mut problems = Vec::new();
        let mut checked = 0;
        let mut after = None;
        loop {
            let page = self.store().attachment_files(t.id, after.clone(), FILE_PAGE).await?;
            let n = page.len();
            for (case_id, receipt, hash) in page {
                checked += 1;
                let record = format!("案件 {receipt} 的附件 {}", &hash[..hash.len().min(12)]);
                match self.file_digest(&hash).await {
                    Ok(Some(actual)) if actual == hash => {}
                    Ok(Some(_)) => problems.push(RecordProblem {
                        record,
                        seq: None,
                        what: "磁盘上的文件内容已被改动（与记录的摘要不符）".into(),
                    }),
                    Ok(None) => problems
                        .push(RecordProblem { record, seq: None, what: "磁盘上的文件已不存在".into() }),
                    Err(e) => {
                        problems.push(RecordProblem { record, seq: None, what: format!("文件无法读取：{e}") })
                    }
                }
                after = Some((case_id, hash));
            }
            if n < FILE_PAGE as usize {
                return Ok((problems, checked));
            }
        }
    }

    /// SHA-256 of a stored attachment's bytes, streamed; `None` when the file is missing.
    async fn file_digest(&self, hash: &str) -> std::io::Result<Option<String>> {
        if hash.len() < 2 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            // A hash edited into a path: it names no stored file.
            return Ok(None);
        }
        let path = self.attachment_path(hash);
        tokio::task::spawn_blocking(move || {
            let mut f = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut h = Sha256::new();
            std::io::copy(&mut f, &mut h)?;
            Ok(Some(hex::encode(h.finalize())))
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Signs the head of every tenant's chain that moved since its last checkpoint, appends the
    /// lines to the checkpoint file, and sends them to the district when configured. Returns the
    /// checkpoints written.
    ///
    /// # Errors
    /// Database errors; the checkpoint file cannot be written. A district that cannot be reached
    /// is logged and reported by the caller, not an error: the local file already has the line.
    pub async fn checkpoint_now(&self) -> Result<(Vec<Checkpoint>, Option<String>)> {
        let path = self.config().checkpoint_path();
        let existing = checkpoint::load(std::slice::from_ref(&path), self.checkpoint_key())?;
        let mut written = Vec::new();
        for t in self.store().tenants().await? {
            let Some((seq, hash)) = self.store().chain_head(t.id).await? else { continue };
            let id = t.id.to_string();
            let latest = existing.good.iter().filter(|c| c.tenant == id).map(|c| c.seq).max();
            if seq == 0 || latest == Some(seq) {
                continue;
            }
            written.push(self.checkpoint_key().sign(&id, &t.code, seq, &hash, self.now_ms()));
        }
        let lines = written.iter().map(Checkpoint::to_line).collect::<Result<Vec<_>>>()?;
        checkpoint::append_lines(&path, &lines)?;
        let sent = if written.is_empty() { None } else { self.send_checkpoints(&written).await };
        Ok((written, sent))
    }

    /// Sends checkpoints to the district's fazhi (`[audit] checkpoint_url`); returns what went
    /// wrong, if anything.
    async fn send_checkpoints(&self, cps: &[Checkpoint]) -> Option<String> {
        let url = self.config().audit.checkpoint_url.trim().trim_end_matches('/');
        if url.is_empty() {
            return None;
        }
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build();
        let client = match client {
            Ok(c) => c,
            Err(e) => return Some(format!("无法发送检查点：{e}")),
        };
        let res = client
            .post(format!("{url}/api/v1/audit/checkpoints"))
            .bearer_auth(&self.config().audit.checkpoint_token.0)
            .json(&serde_json::json!({"checkpoints": cps}))
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => None,
            Ok(r) => {
                let msg = format!("区级系统拒收检查点：HTTP {}", r.status());
                tracing::warn!(%msg);
                Some(msg)
            }
            Err(e) => {
                let msg = format!("无法把检查点发送到区级系统（{url}）：{e}");
                tracing::warn!(%msg);
                Some(msg)
            }
        }
    }

    /// The district receives checkpoints from its towns: each line's signature is checked, and the
    /// good ones are appended, with who sent them and when, to the district's append-only file.
    /// Returns how many were kept.
    ///
    /// # Errors
    /// 403 unless 区级监督 (district); 400 when a checkpoint's signature is bad or it names a
    /// tenant outside the district; the file cannot be written.
    pub async fn receive_checkpoints(&self, p: &Principal, cps: &[Checkpoint]) -> Result<usize> {
        p.require(&[Role::District])?;
        let district = p.user.tenant_id;
        let towns: Vec<String> = self
            .store()
            .tenants()
            .await?
            .into_iter()
            .filter(|t| t.id == district || t.parent_id == Some(district))
            .map(|t| t.code)
            .collect();
        let mut lines = Vec::new();
        for (i, c) in cps.iter().enumerate() {
            if !c.signature_ok() {
                return Err(ServiceError::field("checkpoints", "检查点", format!("第 {} 条检查点的签名无效", i + 1)));
            }
            if !towns.contains(&c.tenant_code) {
                return Err(ServiceError::field(
                    "checkpoints",
                    "检查点",
                    format!("第 {} 条检查点的镇（街道）{} 不属本区", i + 1, c.tenant_code),
                ));
            }
            lines.push(
                serde_json::to_string(&serde_json::json!({
                    "received_at": self.now_ms(),
                    "received_by": p.user.username,
                    "checkpoint": c,
                }))
                .map_err(ServiceError::internal)?,
            );
        }
        checkpoint::append_lines(&self.config().received_checkpoints_path(), &lines)?;
        Ok(lines.len())
    }

    /// The filter of the auditor's query, or `None` when it can match nothing (a receipt
    /// number that is not the tenant's — said the same way as one whose events are withheld).
    async fn audit_filter(
        &self,
        p: &Principal,
        q: AuditQuery,
    ) -> Result<Option<(AuditFilter, HashMap<UserId, String>)>> {
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
        if let (Some(from), Some(to)) = (q.from_ms, q.to_ms)
            && to <= from
        {
            return Err(ServiceError::field("to", "结束日期", "不能早于开始日期"));
        }
        let case = match q.receipt_no.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => match self.store().case_id_by_receipt(p.user.tenant_id, &r.to_uppercase()).await? {
                Some(id) => Some(id),
                None => return Ok(None),
            },
        };
        Ok(Some((
            AuditFilter {
                tenant: Some(p.user.tenant_id),
                actor,
                action: q.action.filter(|a| !a.trim().is_empty()),
                action_code: q.action_code.filter(|a| !a.trim().is_empty()),
                from_ms: q.from_ms,
                to_ms: q.to_ms,
                case,
                // 信访工作条例 第三十条: an auditor named as accused does not read the case's events either.
                reader: p.scope.reader.clone(),
            },
            users,
        )))
    }

    /// The record a seal (`record.*`) is about, by name: the account's username, the unit's or
    /// town's name, the draft's year and version, the calendar's year.
    fn record_named(&self, e: &Event, users: &HashMap<UserId, String>) -> Option<(String, String)> {
        let subject = e.payload.get("subject").and_then(Json::as_str).filter(|_| e.action.starts_with("record."))?;
        let (kind, id) = subject.split_once(':')?;
        let named = match kind {
            "user" => ("账户", UserId::parse(id).ok().and_then(|u| users.get(&u).cloned())?),
            "unit" => ("单位", self.units().values().find(|u| u.id.to_string() == id).map(|u| u.name.clone())?),
            "tenant" => ("镇（街道）", self.tenants().iter().find(|t| t.id.to_string() == id).map(|t| t.name.clone())?),
            _ => ("记录", id.to_string()),
        };
        Some((named.0.to_string(), named.1))
    }

    /// Events as the auditor reads them: names, receipt numbers, Chinese state names.
    async fn audit_entries(&self, events: &[Event], users: &HashMap<UserId, String>) -> Result<Vec<AuditEntry>> {
        let ids: Vec<CaseId> = events.iter().filter_map(|e| e.case_id).collect();
        let cases = self.store().receipts_and_kinds(&ids).await?;
        Ok(events
            .iter()
            .map(|e| {
                let case = e.case_id.and_then(|c| cases.get(&c.to_string()));
                let kind = case.and_then(|(_, k)| self.kinds().get(k));
                let state = |s: &Option<String>| {
                    s.as_deref().map(|code| kind.map_or(code, |k| k.workflow.state_label(code)).to_string())
                };
                AuditEntry {
                    seq: e.seq,
                    hash: e.hash.clone(),
                    occurred_at: e.occurred_at,
                    actor_id: e.actor_id,
                    actor_name: e.actor_name.clone(),
                    actor_username: e.actor_id.and_then(|id| users.get(&id).cloned()),
                    action: e.action.clone(),
                    action_label: action_name(&e.action, &e.action_label),
                    case_id: e.case_id,
                    receipt_no: case.map(|(r, _)| r.clone()),
                    kind_label: kind.map(|k| k.label.to_string()),
                    from_state: e.from_state.clone(),
                    to_state: e.to_state.clone(),
                    from_label: state(&e.from_state),
                    to_label: state(&e.to_state),
                    address: address_of(e),
                    details: self.record_named(e, users).into_iter().chain(audit_details(e)).collect(),
                }
            })
            .collect())
    }

    /// One page of the audit log of the auditor's tenant, newest first: who, when, which case
    /// or account, which action, which state change, from which address — no case content (see
    /// the module).
    ///
    /// # Errors
    /// 403 unless 审计管理员; an unknown username, an end before the start (field errors).
    pub async fn audit_log(
        &self,
        p: &Principal,
        q: AuditQuery,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<AuditEntry>, u64)> {
        let Some((filter, users)) = self.audit_filter(p, q).await? else { return Ok((Vec::new(), 0)) };
        let per_page = per_page.clamp(1, 200);
        let (events, total) = self.store().audit_log(&filter, per_page, (page.max(1) - 1) * per_page).await?;
        Ok((self.audit_entries(&events, &users).await?, total))
    }

    /// The actions in the auditor's log by code and Chinese name (the names a code was recorded
    /// under, joined), sorted by name — the page's choice of action.
    ///
    /// # Errors
    /// 403 unless 审计管理员.
    pub async fn audit_actions(&self, p: &Principal) -> Result<Vec<(String, String)>> {
        p.require(&[Role::AuditAdmin])?;
        let mut by_code: Vec<(String, Vec<String>)> = Vec::new();
        for (code, label) in self.store().action_names(p.user.tenant_id).await? {
            let label = action_name(&code, &label);
            match by_code.iter_mut().find(|(c, _)| *c == code) {
                Some((_, labels)) if !labels.contains(&label) => labels.push(label),
                Some(_) => {}
                None => by_code.push((code, vec![label])),
            }
        }
        let mut out: Vec<(String, String)> = by_code.into_iter().map(|(c, ls)| (c, ls.join("／"))).collect();
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    /// The audit log as the query selects it, as an Excel workbook (the columns of the page),
    /// written a page at a time in constant memory.
    ///
    /// # Errors
    /// As [`App::audit_log`]; more than [`crate::export::MAX_EXPORT_ROWS`] rows (narrow the
    /// dates); writing errors.
    pub async fn audit_export(&self, p: &Principal, q: AuditQuery) -> Result<crate::export::Export> {
        let max = crate::export::MAX_EXPORT_ROWS;
        let found = self.audit_filter(p, q).await?;
        let total = match &found {
            Some((filter, _)) => self.store().audit_log(filter, 1, 0).await?.1,
            None => 0,
        };
        if total > max {
            return Err(ServiceError::Rule(format!(
                "符合条件的日志有{total}条，超过单次导出上限{max}条，请缩小日期范围后分次导出"
            )));
        }
        let file =
            tempfile::Builder::new().suffix(".xlsx").tempfile().map_err(ServiceError::internal)?.into_temp_path();
        let path = file.to_path_buf();
        let app = self.clone();
        let handle = tokio::runtime::Handle::current();
        let headers =
            ["时间", "操作人", "账户", "操作", "案件受理编号", "案件类型", "状态变化", "来源地址", "详情", "事件序号"];
        let widths = [17.0, 12.0, 14.0, 20.0, 22.0, 12.0, 24.0, 16.0, 40.0, 10.0];
        let rows = tokio::task::spawn_blocking(move || {
            let mut offset = 0u32;
            fazhi_report::ledger::write(&path, "审计日志", &headers, &widths, || {
                let Some((filter, users)) = found.as_ref().filter(|_| u64::from(offset) < total) else {
                    return Ok(Vec::new());
                };
                let (events, _) = handle.block_on(app.store().audit_log(filter, EXPORT_PAGE, offset))?;
                offset += EXPORT_PAGE;
                let entries = handle.block_on(app.audit_entries(&events, users))?;
                Ok::<_, ServiceError>(
                    entries
                        .iter()
                        .map(|e| {
                            let row: Vec<fazhi_report::ledger::Cell> = vec![
                                fmt_minute_ms(e.occurred_at).into(),
                                e.actor_name.clone().into(),
                                e.actor_username.clone().into(),
                                e.action_label.clone().into(),
                                e.receipt_no.clone().into(),
                                e.kind_label.clone().into(),
                                e.transition().into(),
                                e.address.clone().into(),
                                e.details
                                    .iter()
                                    .map(|(k, v)| format!("{k}：{v}"))
                                    .collect::<Vec<_>>()
                                    .join("；")
                                    .into(),
                                fazhi_report::ledger::Cell::Number(e.seq as f64),
                            ];
                            row
                        })
                        .collect(),
                )
            })
        })
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
        Ok(crate::export::Export { file, rows })
    }

    /// Runs `fazhi audit verify` for the auditor: the same check ([`App::verify_all`]) against the
    /// configured checkpoint files, its result kept to the auditor's own town (another town's
    /// chain is its own auditor's), and recorded as an event.
    ///
    /// # Errors
    /// 403 unless 审计管理员; database errors, an unreadable checkpoint file.
    pub async fn verify_for(&self, p: &Principal) -> Result<AuditOutcome> {
        p.require(&[Role::AuditAdmin])?;
        let req = VerifyRequest { tenant: Some(p.user.tenant_id), ..Default::default() };
        let outcome = self.verify_all(&req, |_, _| {}).await?;
        let result = if outcome.is_whole() { "通过" } else { "未通过" };
        let ev = self.event(&p.actor, "audit.verified", "校验审计日志完整性", serde_json::json!({"result": result}));
        self.store().append_event(ev).await?;
        Ok(outcome)
    }
}

impl AuditEntry {
    /// The states moved between: 待派单 → 办理中, → 待派单 for a registration.
    pub fn transition(&self) -> String {
        match (&self.from_label, &self.to_label) {
            (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
            (None, Some(b)) => format!("→ {b}"),
            _ => String::new(),
        }
    }
}
