//! Applying an action to a case: checks (role, state, fields, guard), effects, the new state, the
//! event. Pure: the service loads the case, calls this, and hands the outcome to the store.

use serde_json::{Map, Value as Json};
use time::{Date, OffsetDateTime};

use super::{ActionDef, Effect, Target, Values, Workflow};
use crate::calendar::Calendar;
use crate::case::{Actor, CaseRecord, Clock, Clocks, Phase};
use crate::deadline::{Extension, Suspension};
use crate::error::FieldError;
use crate::ids::{CaseId, UnitId};
use crate::settings::Settings;
use crate::time_util::{day_start_ms, fmt_date, local_date, local_date_ms, to_ms};
use crate::unit::UnitLookup;
use crate::workflow::Refusal;
use crate::workflow::field::{ParseCtx, Sealer, Value};

/// Everything an action needs besides the case and the input.
pub struct ActCtx<'a> {
    pub actor: &'a Actor,
    pub now: OffsetDateTime,
    pub calendar: &'a Calendar,
    pub settings: &'a Settings,
    pub units: &'a dyn UnitLookup,
    pub sealer: &'a dyn Sealer,
    /// The day the action's legal event happened (受理、送达、回访 …), set by the engine from the
    /// action's dated field (see [`super::ActionDef::dated`]) before guards and effects run; `None`
    /// outside an action, where [`ActCtx::on`] is today.
    pub event_on: Option<Date>,
}

impl ActCtx<'_> {
    /// Today in China.
    pub fn today(&self) -> Date {
        local_date(self.now)
    }

    /// The day the action's legal event happened: what clocks start, stop, extend and suspend on.
    /// Never the day it was typed in, unless it happened that day (rules.md §0; e.g.
    /// 信访工作条例第三十四条 counts 自受理之日起, the acceptance date recorded).
    pub fn on(&self) -> Date {
        self.event_on.unwrap_or_else(|| self.today())
    }

    /// The instant the action takes legal effect: now when it happened today, otherwise the start
    /// of its day in China.
    pub fn effective_ms(&self) -> i64 {
        match self.event_on {
            Some(d) if d != self.today() => day_start_ms(d),
            _ => to_ms(self.now),
        }
    }

    fn dated(&self, on: Date) -> ActCtx<'_> {
        ActCtx {
            actor: self.actor,
            now: self.now,
            calendar: self.calendar,
            settings: self.settings,
            units: self.units,
            sealer: self.sealer,
            event_on: Some(on),
        }
    }
}

/// Why an action was not applied. Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// No such action in this kind (HTTP 400).
    #[error("未知的操作“{0}”")]
    UnknownAction(String),
    /// The action exists but not from the case's current state (HTTP 409).
    #[error("当前状态为“{state}”，不能执行“{action}”")]
    WrongState { action: String, state: String },
    /// The actor's roles do not allow it (HTTP 403).
    #[error("您的角色无权执行“{0}”")]
    Forbidden(String),
    /// Fields are missing or malformed (HTTP 400); every bad field is listed.
    #[error("{}", .0.iter().map(FieldError::message).collect::<Vec<_>>().join("；"))]
    Invalid(Vec<FieldError>),
    /// A rule of the procedure does not hold (HTTP 422).
    #[error("{0}")]
    Refused(String),
}

impl From<Refusal> for ActionError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r.0)
    }
}

/// The ids fazhi assigns to a new case before it is opened.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub id: CaseId,
    pub receipt_no: String,
}

/// The event an action produces, before it is chained.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub action: String,
    pub action_label: String,
    pub from_state: Option<String>,
    pub to_state: String,
    /// The action's values as stored (identifiers sealed).
    pub payload: Map<String, Json>,
    /// SHA-256 of each attached file, lower-case hex.
    pub attachments: Vec<String>,
}

/// The result of an action: the case as it is now, and the event that says why.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub case: CaseRecord,
    pub event: NewEvent,
    /// Keyed digests of personal identifiers given in this action: (kind, digest).
    pub digests: Vec<(String, String)>,
}

const RESERVED: [&str; 2] = ["version", "attachments"];

fn parse_values(
    action: &ActionDef,
    input: &Map<String, Json>,
    ctx: &ActCtx<'_>,
) -> Result<(Values, Vec<String>), ActionError> {
    let pctx = ParseCtx { today: ctx.today(), units: ctx.units, tenant_id: ctx.actor.tenant_id, sealer: ctx.sealer };
    let mut errors = Vec::new();
    for key in input.keys() {
        if !RESERVED.contains(&key.as_str()) && action.field(key).is_none() {
            errors.push(FieldError::new(key.clone(), key.clone(), format!("不是“{}”的字段", action.label)));
        }
    }
    let mut values = Values::default();
    for f in &action.fields {
        match f.parse(input.get(f.name), &pctx) {
            Ok(Some(v)) => {
                values.0.insert(f.name, v);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    let mut attachments = Vec::new();
    match input.get("attachments") {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) => {
            for item in items {
                match item.as_str() {
                    Some(h) if h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) => {
                        attachments.push(h.to_string());
                    }
                    _ => errors.push(FieldError::new(
                        "attachments",
                        "附件",
                        "附件应为文件的SHA-256摘要（64位小写十六进制）",
                    )),
                }
            }
        }
        Some(_) => errors.push(FieldError::new("attachments", "附件", "附件应为列表")),
    }
    if errors.is_empty() { Ok((values, attachments)) } else { Err(ActionError::Invalid(errors)) }
}

fn digests(values: &Values) -> Vec<(String, String)> {
    values
        .0
        .values()
        .filter_map(|v| match v {
            Value::Sealed(s) => Some((s.kind.to_string(), s.digest.clone())),
            _ => None,
        })
        .collect()
}

/// The day the action's legal event happened: its dated field when given, otherwise today. Never
/// after today, and never before the case was received; the order of a kind's own dates (送达 after
/// 受理 …) is its guards' business. A date earlier than an undated note typed since (a 督办 on
/// 11-28, the conclusion served on 11-25 typed on 11-30) is taken: the clocks use it, while the
/// version takes effect no earlier than the one it follows (see `Workflow::finish`), so figures
/// of a period ending between the two dates see the conclusion from the later one.
fn event_date(
    action: &ActionDef,
    values: &Values,
    case: Option<&CaseRecord>,
    ctx: &ActCtx<'_>,
) -> Result<Date, ActionError> {
    let today = ctx.today();
    let Some(field) = action.dated.and_then(|name| action.field(name)) else { return Ok(today) };
    let Some(Value::Date(d)) = values.get(field.name) else { return Ok(today) };
    if *d > today {
        return Err(ActionError::Invalid(vec![FieldError::new(
            field.name,
            field.label,
            format!("{}不能晚于今天（{}）", field.label, fmt_date(today)),
        )]));
    }
    if let Some(case) = case {
        let floor = local_date_ms(case.opened_at);
        if *d < floor {
            return Err(ActionError::Invalid(vec![FieldError::new(
                field.name,
                field.label,
                format!("{}不能早于本件的收到（登记）日期 {}", field.label, fmt_date(floor)),
            )]));
        }
    }
    Ok(*d)
}

fn assign(case: &mut CaseRecord, id: UnitId, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let unit = ctx
        .units
        .unit(&id)
        .filter(|u| u.tenant_id == case.tenant_id)
        .ok_or_else(|| Refusal::new("所选单位不存在或不属于本镇（街道）"))?;
    case.unit_id = unit.id;
    case.unit_path = unit.path.clone();
    Ok(())
}

fn clock_mut<'c>(clocks: &'c mut Clocks, code: &str) -> Result<&'c mut Clock, Refusal> {
    clocks.get_mut(code).ok_or_else(|| Refusal::new(format!("期限“{code}”尚未开始计算")))
}

fn apply_effects(effects: &[Effect], case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    // Every clock moves on the day the legal event happened, as recorded (rules.md §0).
    let on = ctx.on();
    for effect in effects {
        match effect {
            Effect::Record => {
                for (k, v) in &values.0 {
                    let text = || v.as_str().map(str::to_string);
                    match *k {
                        "title" => case.title = text().unwrap_or_default(),
                        "category" => case.category = text(),
                        "urgency" => case.urgency = text(),
                        "location" => case.location = text(),
                        _ => {
                            case.data.insert((*k).to_string(), v.to_json());
                        }
                    }
                }
            }
            Effect::AssignUnit { field } => {
                let id = values.unit(field).ok_or_else(|| Refusal::new("请选择单位"))?;
                assign(case, id, ctx)?;
            }
            Effect::AssignUnitFromData { key } => {
                let id = case
                    .data_str(key)
                    .and_then(|s| UnitId::parse(s).ok())
                    .ok_or_else(|| Refusal::new("找不到应退回的单位"))?;
                assign(case, id, ctx)?;
            }
            Effect::StartClock { code, label, class, rule } => {
                let rule = rule(case, values, ctx)?;
                case.clocks.put(Clock::start(code, label, *class, rule, on, ctx.calendar));
            }
            Effect::StopClock { code } => {
                let clock = clock_mut(&mut case.clocks, code)?;
                if clock.is_running() {
                    clock.stop(on);
                }
            }
            Effect::SuspendClock { code } => {
                let clock = clock_mut(&mut case.clocks, code)?;
                if !clock.is_running() || clock.suspended_since.is_some() {
                    return Err(Refusal::new(format!("“{}”未在计算中，不能中止", clock.label)));
                }
                clock.suspended_since = Some(on);
            }
            Effect::ResumeClock { code, reason } => {
                let clock = clock_mut(&mut case.clocks, code)?;
                let since = clock
                    .suspended_since
                    .take()
                    .ok_or_else(|| Refusal::new(format!("“{}”未中止，无需恢复", clock.label)))?;
                if on < since {
                    return Err(Refusal::new(format!("恢复计算的日期不能早于中止之日 {}", fmt_date(since))));
                }
                clock.suspensions.push(Suspension { from: since, to: on, reason: (*reason).to_string() });
                clock.recompute(ctx.calendar);
            }
            Effect::ExtendClock { code, source, reason_field, period } => {
                let period = period(case, values, ctx)?;
                // The reason is in this action's values, or was recorded by an earlier request.
                let reason = values.str(reason_field).or_else(|| case.data_str(reason_field)).unwrap_or("").to_string();
                let clock = clock_mut(&mut case.clocks, code)?;
                if !clock.is_running() {
                    return Err(Refusal::new(format!("“{}”已停止计算，不能延期", clock.label)));
                }
                // An extension extends a period that is still running: approved after the last day,
                // there is nothing left to extend and the case stays overdue (信访工作条例第三十四条
                // 经批准"可以适当延长办理期限" presupposes a running period).
                if on > clock.computed.due {
                    return Err(Refusal::new(format!(
                        "“{}”已于 {} 届满，期限届满后不能再批准延期；本件按超期办理记录",
                        clock.label,
                        fmt_date(clock.computed.due)
                    )));
                }
                clock.extensions.push(Extension { period, source: (*source).to_string(), reason, approved_on: on });
                clock.recompute(ctx.calendar);
            }
            Effect::Custom { apply } => apply(case, values, ctx)?,
        }
    }
    Ok(())
}

impl Workflow {
    fn target(&self, action: &ActionDef, case: &CaseRecord, values: &Values) -> String {
        match &action.to {
            Target::Stay => case.state.clone(),
            Target::State { state } => (*state).to_string(),
            Target::ByChoice { field, map, otherwise } => {
                let chosen = values.str(field).unwrap_or("");
                map.iter().find(|(c, _)| *c == chosen).map_or(*otherwise, |(_, s)| *s).to_string()
            }
        }
    }

    fn finish(&self, case: &mut CaseRecord, from_phase: Phase, to: String, ctx: &ActCtx<'_>, search_fields: &[&str]) {
        let phase = self.state(&to).map_or(from_phase, |s| s.phase);
        // The version takes effect when its legal event happened, never before the version it
        // follows: figures of a period are those of the versions in effect at its end.
        let effective = ctx.effective_ms().max(case.effective_at);
        if phase == Phase::Open {
            case.closed_at = None;
        } else if from_phase == Phase::Open || case.closed_at.is_none() {
            case.closed_at = Some(effective);
        }
        case.state = to;
        case.phase = phase;
        case.effective_at = effective;
        clock_facts(case);
        case.updated_at = to_ms(ctx.now);
        case.search_text = search_text(case, search_fields);
    }

    /// Registers a new case at the actor's unit.
    ///
    /// # Errors
    /// [`ActionError`]; nothing is created.
    pub fn open_case(
        &self,
        kind: &str,
        search_fields: &[&str],
        new: NewCase,
        input: &Map<String, Json>,
        ctx: &ActCtx<'_>,
    ) -> Result<Outcome, ActionError> {
        let action = &self.open;
        if !action.permits(ctx.actor) {
            return Err(ActionError::Forbidden(action.label.to_string()));
        }
        let (values, attachments) = parse_values(action, input, ctx)?;
        let on = event_date(action, &values, None, ctx)?;
        let ctx = &ctx.dated(on);
        let unit = ctx
            .actor
            .unit_id
            .and_then(|id| ctx.units.unit(&id))
            .ok_or_else(|| ActionError::Refused("登记人未归属任何单位，不能登记".into()))?;
        // Registered when the matter was received (its dated field), which may be before today.
        let opened = ctx.effective_ms();
        let mut case = CaseRecord {
            id: new.id,
            tenant_id: ctx.actor.tenant_id,
            kind: kind.to_string(),
            receipt_no: new.receipt_no,
            title: String::new(),
            category: None,
            urgency: None,
            state: String::new(),
            phase: Phase::Open,
            unit_id: unit.id,
            unit_path: unit.path.clone(),
            location: None,
            data: Map::new(),
            clocks: Clocks::default(),
            opened_at: opened,
            closed_at: None,
            updated_at: to_ms(ctx.now),
            effective_at: opened,
            created_by: ctx.actor.user_id,
            version: 1,
            search_text: String::new(),
        };
        if let Some(guard) = action.guard {
            guard(&case, &values, ctx)?;
        }
        apply_effects(&action.effects, &mut case, &values, ctx)?;
        let to = self.target(action, &case, &values);
        self.finish(&mut case, Phase::Open, to.clone(), ctx, search_fields);
        let event = NewEvent {
            action: action.code.to_string(),
            action_label: action.label.to_string(),
            from_state: None,
            to_state: to,
            payload: values.to_json(),
            attachments,
        };
        Ok(Outcome { case, event, digests: digests(&values) })
    }

    /// Applies an action to a case. Internal actions are refused: they belong to a use case that
    /// writes another case in the same transaction (see [`Workflow::act_internal`]).
    ///
    /// # Errors
    /// [`ActionError`]; the case given is untouched.
    pub fn act(
        &self,
        search_fields: &[&str],
        case: &CaseRecord,
        code: &str,
        input: &Map<String, Json>,
        ctx: &ActCtx<'_>,
    ) -> Result<Outcome, ActionError> {
        self.apply(search_fields, case, code, input, ctx, false)
    }

    /// Applies an action, internal ones included: for the service use case that owns them
    /// (转为案件, 合并重复件), which writes both cases together.
    ///
    /// # Errors
    /// [`ActionError`]; the case given is untouched.
    pub fn act_internal(
        &self,
        search_fields: &[&str],
        case: &CaseRecord,
        code: &str,
        input: &Map<String, Json>,
        ctx: &ActCtx<'_>,
    ) -> Result<Outcome, ActionError> {
        self.apply(search_fields, case, code, input, ctx, true)
    }

    fn apply(
        &self,
        search_fields: &[&str],
        case: &CaseRecord,
        code: &str,
        input: &Map<String, Json>,
        ctx: &ActCtx<'_>,
        allow_internal: bool,
    ) -> Result<Outcome, ActionError> {
        let action = self.action(code).ok_or_else(|| ActionError::UnknownAction(code.to_string()))?;
        if action.internal && !allow_internal {
            return Err(ActionError::Refused(format!("“{}”须通过专门的办理功能执行，不能直接操作", action.label)));
        }
        if !action.permits(ctx.actor) {
            return Err(ActionError::Forbidden(action.label.to_string()));
        }
        if !action.from.contains(&case.state.as_str()) {
            return Err(ActionError::WrongState {
                action: action.label.to_string(),
                state: self.state_label(&case.state).to_string(),
            });
        }
        let (values, attachments) = parse_values(action, input, ctx)?;
        let on = event_date(action, &values, Some(case), ctx)?;
        let ctx = &ctx.dated(on);
        if let Some(guard) = action.guard {
            guard(case, &values, ctx)?;
        }
        let mut next = case.clone();
        apply_effects(&action.effects, &mut next, &values, ctx)?;
        let to = self.target(action, &next, &values);
        self.finish(&mut next, case.phase, to.clone(), ctx, search_fields);
        next.version = case.version + 1;
        let event = NewEvent {
            action: action.code.to_string(),
            action_label: action.label.to_string(),
            from_state: Some(case.state.clone()),
            to_state: to,
            payload: values.to_json(),
            attachments,
        };
        Ok(Outcome { case: next, event, digests: digests(&values) })
    }
}

/// Mirrors each clock into the case's data for figures, which read data (and the case versions
/// keep data): `due_<code>` is the date the clock fell or falls due — kept once it stopped, absent
/// while suspended (no date then) — and `met_<code>` is "yes"/"no" once it stopped. A figure such
/// as 应办结数 counts the cases whose `due_<code>` fell within the period, concluded or not.
pub fn clock_facts(case: &mut CaseRecord) {
    for c in &case.clocks.0 {
        let due = format!("due_{}", c.code);
        if c.is_running() && c.suspended_since.is_some() {
            case.data.remove(&due);
        } else {
            case.data.insert(due, Json::String(fmt_date(c.computed.due)));
        }
        let met = format!("met_{}", c.code);
        match c.met {
            Some(m) if !c.is_running() => {
                case.data.insert(met, Json::String(if m { "yes" } else { "no" }.into()));
            }
            _ => {
                case.data.remove(&met);
            }
        }
    }
}

/// The text the list's free-text filter searches: receipt number, title, and the kind's chosen
/// text fields.
pub fn search_text(case: &CaseRecord, fields: &[&str]) -> String {
    let mut parts = vec![case.receipt_no.as_str(), case.title.as_str()];
    if let Some(l) = &case.location {
        parts.push(l);
    }
    for f in fields {
        if let Some(s) = case.data_str(f) {
            parts.push(s);
        }
    }
    parts.join(" ")
}
