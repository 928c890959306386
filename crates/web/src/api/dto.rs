//! What the API sends and receives. Personal identifiers leave only masked; the sealed query
//! code never leaves.

use fazhi_domain::case::CaseRecord;
use fazhi_domain::event::Event;
use fazhi_domain::kinds::KindDef;
use fazhi_domain::time_util::{fmt_date, from_ms, local_date};
use fazhi_domain::workflow::{ActionDef, FieldDef, FieldKind};
use fazhi_service::App;
use fazhi_service::cases::{CaseDetail, ClockView};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// Instants as RFC 3339 in China time.
pub fn instant(ms: i64) -> String {
    from_ms(ms).to_offset(fazhi_domain::time_util::CST).format(&Rfc3339).unwrap_or_default()
}

/// Replaces sealed values (`{mask, enc}`) by their masks and drops what never leaves.
pub fn masked(data: &Map<String, Json>) -> Map<String, Json> {
    data.iter()
        .filter(|(k, _)| k.as_str() != "query_code")
        .map(|(k, v)| {
            let v = match v.get("mask") {
                Some(m) if v.get("enc").is_some() => m.clone(),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: String,
    pub user: UserDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// Role codes (`intake_clerk`, `handler` …).
    pub roles: Vec<String>,
    pub unit_id: String,
    pub unit_name: String,
    pub tenant_code: String,
    pub tenant_name: String,
    pub must_change_password: bool,
}

impl UserDto {
    pub fn from(app: &App, u: &fazhi_service::UserRecord) -> Self {
        let tenant = app.tenant(u.tenant_id);
        Self {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: u.roles.iter().map(|r| r.code().to_string()).collect(),
            unit_id: u.unit_id.to_string(),
            unit_name: app.unit(u.unit_id).map(|x| x.name).unwrap_or_default(),
            tenant_code: tenant.as_ref().map(|t| t.code.clone()).unwrap_or_default(),
            tenant_name: tenant.map(|t| t.name).unwrap_or_default(),
            must_change_password: u.must_change_password,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// The kind's slug (`work_order`).
    pub kind: String,
    /// The registration form's fields (see `GET /api/v1/kinds`).
    #[schema(value_type = Object)]
    pub fields: Map<String, Json>,
    /// The clerk has seen the possible duplicates (409 `possible_duplicates`) and registers a new
    /// case all the same. Default false.
    #[serde(default)]
    pub confirm_new: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenResponse {
    pub case: CaseDto,
    /// The six-digit code printed on the caller's receipt for the public tracking page.
    pub query_code: String,
}

/// A sealed identifier to reveal, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// The field's code, e.g. `caller_phone`.
    pub field: String,
    /// Why the full value is needed (recorded in the audit chain), e.g. 回访联系来电人.
    pub reason: String,
}

/// A revealed identifier: returned once (`Cache-Control: no-store`), recorded in the audit chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedDto {
    pub field: String,
    pub label: String,
    pub value: String,
    pub receipt_no: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The version of the case the user saw; a newer case refuses the action (409 `stale_version`).
    pub version: i64,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Json>,
    /// SHA-256 (hex) of attached files.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// One action on several cases (批量派单, 批量催办).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// The action code taken on each case (e.g. `dispatch`, `remind`), as on a single case.
    pub action: String,
    /// The same fields for every case.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Json>,
    /// The selected cases, each with the version the user saw.
    pub cases: Vec<BulkCase>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCase {
    pub id: String,
    pub version: i64,
}

/// What a bulk action did: each case acted on, each refused with its reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    /// "成功 N 条，失败 M 条".
    pub summary: String,
    pub done: Vec<BulkDoneDto>,
    pub failed: Vec<BulkFailedDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDoneDto {
    pub id: String,
    pub receipt_no: String,
    /// The case's version after the action.
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkFailedDto {
    pub id: String,
    /// Empty for a case the user may not see.
    pub receipt_no: String,
    /// The error code the single action would answer (`stale_version`, `wrong_state`, `forbidden` …).
    pub code: String,
    pub message: String,
}

impl From<&fazhi_service::bulk::BulkOutcome> for BulkResponse {
    fn from(o: &fazhi_service::bulk::BulkOutcome) -> Self {
        Self {
            summary: o.summary(),
            done: o
                .done
                .iter()
                .map(|d| BulkDoneDto { id: d.id.to_string(), receipt_no: d.receipt_no.clone(), version: d.version })
                .collect(),
            failed: o
                .failed
                .iter()
                .map(|f| BulkFailedDto {
                    id: f.id.to_string(),
                    receipt_no: f.receipt_no.clone(),
                    code: f.code.to_string(),
                    message: f.reason.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRef {
    pub id: String,
    pub name: String,
}

/// A case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDto {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub receipt_no: String,
    pub title: String,
    pub category: Option<String>,
    pub category_label: Option<String>,
    pub urgency: Option<String>,
    pub urgency_label: Option<String>,
    pub state: String,
    pub state_label: String,
    /// open, closed or archived.
    pub phase: String,
    pub unit: UnitRef,
    pub location: Option<String>,
    /// The kind's own fields; identifiers masked.
    #[schema(value_type = Object)]
    pub data: Map<String, Json>,
    /// The earliest running deadline (YYYY-MM-DD).
    pub due_on: Option<String>,
    pub statutory_due_on: Option<String>,
    pub overdue: bool,
    /// A running deadline rests on a year without calendar data (暂定).
    pub provisional: bool,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub updated_at: String,
    pub version: i64,
}

impl CaseDto {
    pub fn from(app: &App, c: &CaseRecord) -> Self {
        let kind = app.kinds().get(&c.kind);
        let today = local_date(app.now());
        let label = |field: &str, code: &Option<String>| {
            code.as_ref().and_then(|v| kind.and_then(|k| k.choice_label(field, v)))
        };
        Self {
            id: c.id.to_string(),
            kind: c.kind.clone(),
            kind_label: kind.map(|k| k.label.to_string()).unwrap_or_default(),
            receipt_no: c.receipt_no.clone(),
            title: c.title.clone(),
            category_label: label("category", &c.category),
            category: c.category.clone(),
            urgency_label: label("urgency", &c.urgency),
            urgency: c.urgency.clone(),
            state_label: kind.map(|k| k.workflow.state_label(&c.state).to_string()).unwrap_or_else(|| c.state.clone()),
            state: c.state.clone(),
            phase: c.phase.code().to_string(),
            unit: UnitRef { id: c.unit_id.to_string(), name: app.unit(c.unit_id).map(|u| u.name).unwrap_or_default() },
            location: c.location.clone(),
            data: masked(&c.data),
            due_on: c.clocks.due_on().map(fmt_date),
            statutory_due_on: c.clocks.statutory_due_on().map(fmt_date),
            overdue: c.clocks.due_on().is_some_and(|d| d < today),
            provisional: c.clocks.provisional(),
            opened_at: instant(c.opened_at),
            closed_at: c.closed_at.map(instant),
            updated_at: instant(c.updated_at),
            version: c.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseDto>,
    pub total: u64,
    /// `total` is a lower bound: a free-text search stops counting at 1,000.
    pub total_capped: bool,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    #[schema(value_type = Object)]
    pub payload: Json,
    pub attachments: Vec<String>,
    pub hash: String,
}

impl From<&Event> for EventDto {
    fn from(e: &Event) -> Self {
        let payload = match &e.payload {
            Json::Object(m) => Json::Object(masked(m)),
            other => other.clone(),
        };
        Self {
            seq: e.seq,
            at: instant(e.occurred_at),
            actor: e.actor_name.clone(),
            action: e.action.clone(),
            action_label: e.action_label.clone(),
            from_state: e.from_state.clone(),
            to_state: e.to_state.clone(),
            payload,
            attachments: e.attachments.clone(),
            hash: e.hash.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockDto {
    pub code: String,
    pub label: String,
    pub statutory: bool,
    pub due_on: Option<String>,
    pub running: bool,
    pub suspended: bool,
    pub met: Option<bool>,
    pub overdue: bool,
    pub provisional: bool,
    /// How the date was computed, step by step, in Chinese.
    pub explanation: Vec<String>,
}

impl From<&ClockView> for ClockDto {
    fn from(c: &ClockView) -> Self {
        Self {
            code: c.code.clone(),
            label: c.label.clone(),
            statutory: c.statutory,
            due_on: c.due.map(fmt_date),
            running: c.running,
            suspended: c.suspended,
            met: c.met,
            overdue: c.overdue,
            provisional: c.provisional,
            explanation: c.explanation.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDto {
    pub name: String,
    pub label: String,
    /// text, long_text, choice, unit, date, integer, money, id_card, phone, bool, users (a list of
    /// staff user ids).
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub help: Option<String>,
    /// For choices: [code, label] pairs.
    pub options: Vec<(String, String)>,
    pub max_length: Option<usize>,
}

impl From<&FieldDef> for FieldDto {
    fn from(f: &FieldDef) -> Self {
        let (kind, options, max_length) = match &f.kind {
            FieldKind::Text { max } => ("text", vec![], Some(*max)),
            FieldKind::LongText { max } => ("long_text", vec![], Some(*max)),
            FieldKind::Choice { options } => ("choice", options.clone(), None),
            FieldKind::Unit { .. } => ("unit", vec![], None),
            FieldKind::Date => ("date", vec![], None),
            FieldKind::Integer { .. } => ("integer", vec![], None),
            FieldKind::Money => ("money", vec![], None),
            FieldKind::IdCard => ("id_card", vec![], None),
            FieldKind::Phone => ("phone", vec![], None),
            FieldKind::Bool => ("bool", vec![], None),
            FieldKind::Users { .. } => ("users", vec![], None),
        };
        Self {
            name: f.name.into(),
            label: f.label.into(),
            kind: kind.into(),
            required: f.required,
            help: f.help.map(Into::into),
            options,
            max_length,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    pub code: String,
    pub label: String,
    pub from: Vec<String>,
    pub roles: Vec<String>,
    pub fields: Vec<FieldDto>,
    pub confirm: Option<String>,
}

impl From<&ActionDef> for ActionDto {
    fn from(a: &ActionDef) -> Self {
        Self {
            code: a.code.into(),
            label: a.label.into(),
            from: a.from.iter().map(|s| (*s).to_string()).collect(),
            roles: a.roles.iter().map(|r| r.code().to_string()).collect(),
            fields: a.fields.iter().map(FieldDto::from).collect(),
            confirm: a.confirm.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetailDto {
    pub case: CaseDto,
    pub clocks: Vec<ClockDto>,
    pub timeline: Vec<EventDto>,
    /// The actions this user may take now.
    pub actions: Vec<ActionDto>,
}

impl CaseDetailDto {
    pub fn from(app: &App, d: &CaseDetail) -> Self {
        Self {
            case: CaseDto::from(app, &d.case),
            clocks: d.clocks.iter().map(ClockDto::from).collect(),
            timeline: d.events.iter().map(EventDto::from).collect(),
            actions: d.actions.iter().map(ActionDto::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateDto {
    pub code: String,
    pub label: String,
    pub phase: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindDto {
    pub slug: String,
    pub label: String,
    pub states: Vec<StateDto>,
    pub open: ActionDto,
    pub actions: Vec<ActionDto>,
    /// Registration is compared with the cases already there: possible duplicates answer 409
    /// `possible_duplicates` unless `confirm_new` is sent.
    pub checks_duplicates: bool,
}

impl From<&KindDef> for KindDto {
    fn from(k: &KindDef) -> Self {
        Self {
            slug: k.slug.into(),
            label: k.label.into(),
            states: k
                .workflow
                .states
                .iter()
                .map(|s| StateDto { code: s.code.into(), label: s.label.into(), phase: s.phase.code().into() })
                .collect(),
            open: ActionDto::from(&k.workflow.open),
            actions: k.workflow.actions.iter().map(ActionDto::from).collect(),
            checks_duplicates: k.capabilities.duplicates.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FigureDto {
    pub code: String,
    pub name: String,
    /// 件, 万元 or %.
    pub unit: String,
    pub formula: String,
    /// As the report prints it: 4326, 98.68%, 2256.03万元, — without a denominator.
    pub display: String,
    /// Counts: the number; money: fen; rates: hundredths of a percent (null without a denominator).
    pub value: Option<i64>,
    /// Rates: numerator and denominator.
    pub numerator: Option<u64>,
    pub denominator: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsResponse {
    pub from: String,
    pub to: String,
    pub figures: Vec<FigureDto>,
}

/// An account as the 系统管理员 and the 安全管理员 see it: who, where, which roles, its state.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub unit_id: String,
    pub unit_name: String,
    /// Role codes; empty for an account awaiting its business roles.
    pub roles: Vec<String>,
    /// 正常, 待激活（尚未设置密码）, 已锁定, 未分配角色 …
    pub status: String,
}

impl AccountDto {
    pub fn from(app: &App, u: &fazhi_service::UserRecord, now: i64) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            unit_id: u.unit_id.to_string(),
            unit_name: app.unit(u.unit_id).map(|x| x.name).unwrap_or_default(),
            roles: u.roles.iter().map(|r| r.code().to_string()).collect(),
            status: fazhi_service::admin::account_status(u, now),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    pub username: String,
    pub display_name: String,
    /// The unit's id.
    pub unit: String,
    /// Must be empty: the 安全管理员 grants roles (三员分立). Present so that a request asking for
    /// roles is refused, not silently ignored.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    /// Business role codes (`handler`, `leader` …); empty withdraws every role.
    pub roles: Vec<String>,
}

/// The activation code of an account awaiting activation (安全管理员), shown this once: the
/// user types it on the activation link's page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationCodeResponse {
    pub user: AccountDto,
    pub activation_code: String,
}

/// A one-time activation link, to hand to the user: they set their own password with it and the
/// activation code the 安全管理员 issues for the account (neither works alone).
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationResponse {
    pub user: AccountDto,
    /// The link (with the configured public address, or a path on this server).
    pub activation_url: String,
    pub expires_at: String,
}

impl ActivationResponse {
    pub fn from(app: &App, u: &fazhi_service::UserRecord, a: &fazhi_service::admin::Activation) -> Self {
        Self {
            user: AccountDto::from(app, u, app.now_ms()),
            activation_url: a.url.clone(),
            expires_at: instant(a.expires_at),
        }
    }
}

/// One line of the audit log: who, when, which case or account, which action — no case content.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub seq: i64,
    pub hash: String,
    pub occurred_at: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub actor_username: Option<String>,
    pub action: String,
    pub action_label: String,
    pub case_id: Option<String>,
    pub receipt_no: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    /// The states' Chinese names.
    pub from_state_label: Option<String>,
    pub to_state_label: Option<String>,
    /// The case's kind, by name.
    pub kind_label: Option<String>,
    /// The client's address the event was taken from, where recorded.
    pub address: Option<String>,
    /// Named details of events about accounts, units, calendars and drafts.
    pub details: Vec<AuditDetailDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDetailDto {
    pub label: String,
    pub value: String,
}

impl From<&fazhi_service::audit::AuditEntry> for AuditEntryDto {
    fn from(e: &fazhi_service::audit::AuditEntry) -> Self {
        Self {
            seq: e.seq,
            hash: e.hash.clone(),
            occurred_at: instant(e.occurred_at),
            actor_id: e.actor_id.map(|i| i.to_string()),
            actor_name: e.actor_name.clone(),
            actor_username: e.actor_username.clone(),
            action: e.action.clone(),
            action_label: e.action_label.clone(),
            case_id: e.case_id.map(|c| c.to_string()),
            receipt_no: e.receipt_no.clone(),
            from_state: e.from_state.clone(),
            to_state: e.to_state.clone(),
            from_state_label: e.from_label.clone(),
            to_state_label: e.to_label.clone(),
            kind_label: e.kind_label.clone(),
            address: e.address.clone(),
            details: e.details.iter().map(|(k, v)| AuditDetailDto { label: k.clone(), value: v.clone() }).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageDto {
    pub items: Vec<AuditEntryDto>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// A case that looks like the same person or the same matter as the one being registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateDto {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub receipt_no: String,
    pub title: String,
    pub state_label: String,
    pub unit_name: String,
    pub opened_at: String,
    /// The identifiers that matched (身份证号码, 联系电话); empty when only the text did.
    pub same_person: Vec<String>,
    /// Similarity of title and content, in percent.
    pub similarity: u32,
    /// A matter whose review is concluded: the same matter is not accepted again.
    pub final_review: bool,
}

/// 409 `possible_duplicates`: nothing was registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatesResponse {
    /// `possible_duplicates`.
    pub code: String,
    pub message: String,
    /// Most likely first.
    pub candidates: Vec<CandidateDto>,
}

impl DuplicatesResponse {
    pub fn new(candidates: Vec<fazhi_service::duplicates::Candidate>) -> Self {
        Self {
            code: "possible_duplicates".into(),
            message: format!(
                "发现{}件可能重复的案件（同一人或相似事项），未登记。如确认不是重复，请以 confirm_new: true 再次提交；如是同一事项，请关联或合并到原案件",
                candidates.len()
            ),
            candidates: candidates
                .into_iter()
                .map(|c| CandidateDto {
                    id: c.id.to_string(),
                    kind: c.kind,
                    kind_label: c.kind_label,
                    receipt_no: c.receipt_no,
                    title: c.title,
                    state_label: c.state_label,
                    unit_name: c.unit_name,
                    opened_at: instant(c.opened_at),
                    same_person: c.same_person.iter().map(ToString::to_string).collect(),
                    similarity: c.similarity,
                    final_review: c.final_review,
                })
                .collect(),
        }
    }
}
