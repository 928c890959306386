//! `dispute` — 矛盾纠纷: one-stop intake (一站式接收) and mediation.
//!
//! 登记 (category, parties, amount in dispute, where it came from) → 受理 with the mediation path
//! (人民调解 / 律师调解 / 司法调解), the mediation organisation and its mediators — or 不予受理 when
//! a party clearly refuses (《人民调解法》第十七条) — → 调解记录, as many sessions as it takes →
//! 达成书面协议 with the elements of 第二十九条, signed; or 达成口头协议, recorded by the mediator
//! (第二十八条, effective when reached, 第三十条); or 终止调解, telling the parties the other
//! routes (第二十六条); or 移交 → 司法确认, applied for jointly by both parties within 30 days of
//! a written agreement taking effect (第三十三条; 民事诉讼法 (2023) 第二百零五条) — an application
//! made later is recorded and flagged for the court, not refused — and what became of it: ruled
//! valid or dismissed (民事诉讼法 第二百零六条), not accepted or withdrawn (最高人民法院关于人民
//! 调解协议司法确认程序的若干规定 第四条、第五条; then it may be made again) → 履行回访 until
//! performed → 归档.
//!
//! The mediation target is configuration (the Law sets no limit; 司法部令第75号 says one month,
//! [U]); the 司法确认 window is a clock counted from the agreement's effective date. Every clock
//! moves on the day its event happened as recorded (rules.md §0): the mediation target runs from
//! the 受理日期, stops on the day an agreement was signed or reached, or mediation ended or the
//! dispute was referred; it is extended (with the parties' consent) only while it still runs.
//! 挽回经济损失
//! (money recovered for the parties) is recorded with the agreement and corrected at follow-up.
//! A 重大疑难 flag is set at intake or later, with its reason.

mod settings;
#[cfg(test)]
mod tests;

pub use settings::DisputeSettings;

use time::Date;

use crate::case::{CaseRecord, Clock, ClockClass, Phase};
use crate::deadline::{DeadlineRule, Period, TimeUnit};
use crate::kinds::{
    Capabilities, ExportColumn, KindDef, PaperBlock, PartyFields, Printable, ReportClause, Section, Summary, Wording,
};
use crate::metric::{CaseSet, Cond, Measure, MetricDef, MetricUnit};
use crate::role::Role;
use crate::settings::Settings;
use crate::time_util::{fmt_date, local_date_ms, parse_date};
use crate::unit::UnitKind;
use crate::workflow::shared::{self, COUNTED, MERGED, choices, keep, stop_running_clocks};
use crate::workflow::{
    ActCtx, ActionDef, Effect, FieldDef, FieldKind, Refusal, StateDef, Target, Value, Values, Waiting, Workflow,
};

pub const SLUG: &str = "dispute";

/// The mediation clock (a local target).
pub const MEDIATE: &str = "mediate";
/// The window for applying for 司法确认 (人民调解法 第三十三条).
pub const CONFIRMATION: &str = "confirmation";

/// Data keys the metrics read.
pub mod facts {
    /// "yes" once accepted for mediation (受理).
    pub const ACCEPTED: &str = "accepted";
    /// "yes" once an agreement was reached (化解).
    pub const RESOLVED: &str = "resolved";
    /// "written" or "oral".
    pub const AGREEMENT: &str = "agreement";
    /// The day the agreement took effect (YYYY-MM-DD).
    pub const EFFECTIVE_ON: &str = "effective_on";
    /// 挽回经济损失, in fen.
    pub const RECOVERED: &str = "recovered";
    /// "yes" for a 重大疑难 dispute, "no" otherwise.
    pub const MAJOR: &str = "major_difficult";
    /// How many mediation sessions were recorded.
    pub const SESSIONS: &str = "sessions";
    /// "yes": the parties applied for 司法确认 after the 30 days of 第三十三条 (for the court to
    /// decide on).
    pub const CONFIRMATION_LATE: &str = "confirmation_late";
}

/// Mediation paths: 人民调解 + 律师调解 + 司法调解 (the seed's "一站式" model).
pub const PATHS: [(&str, &str); 3] = [("people", "人民调解"), ("lawyer", "律师调解"), ("judicial", "司法调解")];

/// Where a dispute came from (一站式接收).
pub const SOURCES: [(&str, &str); 6] = [
    ("walk_in", "来访"),
    ("phone", "来电"),
    ("grid", "网格上报"),
    ("referral", "部门移交"),
    ("court", "法院委派"),
    ("patrol", "主动排查"),
];

const DECLINE_REASONS: [(&str, &str); 4] = [
    ("refused", "一方当事人明确拒绝调解（《人民调解法》第十七条）"),
    ("litigation", "已进入诉讼、仲裁程序"),
    ("not_civil", "不属于民间纠纷"),
    ("other", "其他"),
];

/// 司法确认 (人民调解法 第三十三条; 民事诉讼法 (2023) 第二百零五条、第二百零六条): the parties
/// apply jointly within 30 days of the agreement taking effect; the court rules the agreement
/// valid (裁定调解协议有效 — then enforceable) or dismisses the application (裁定驳回申请 — then
/// the parties may change the agreement or reach a new one by mediation, or sue). Both parties
/// applying at the court together may be ruled on at once (《最高人民法院关于人民调解协议司法
/// 确认程序的若干规定》第四条第一款): the ruling may be recorded with the application.
const CONFIRMATION_RESULTS: [(&str, &str); 3] = [
    ("applied", "双方当事人已共同申请，待人民法院裁定"),
    ("confirmed", "人民法院裁定调解协议有效（民事诉讼法第二百零六条）"),
    ("rejected", "人民法院裁定驳回申请（民事诉讼法第二百零六条）"),
];

/// What became of an application recorded earlier: the court's ruling (民事诉讼法 第二百零六条),
/// its refusal to accept it (不予受理, 若干规定第四条第二款: not a civil matter for the court or
/// not its jurisdiction, or about status, adoption or marriage), or its withdrawal by a party
/// before the ruling (若干规定第五条第二款, or treated as withdrawn under 第六条).
const RULINGS: [(&str, &str); 4] = [
    ("confirmed", "人民法院裁定调解协议有效（民事诉讼法第二百零六条）"),
    ("rejected", "人民法院裁定驳回申请（民事诉讼法第二百零六条）"),
    ("not_accepted", "人民法院不予受理（《最高人民法院关于人民调解协议司法确认程序的若干规定》第四条第二款）"),
    ("withdrawn", "当事人撤回申请（《最高人民法院关于人民调解协议司法确认程序的若干规定》第五条第二款）"),
];

/// What is left of an application: an application still before the court, or a ruling, ends the
/// matter of 司法确认 for this agreement (a dismissed one needs a changed or new agreement,
/// 民事诉讼法 第二百零六条); one not accepted or withdrawn may be made again.
fn application_open(case: &CaseRecord) -> Option<&str> {
    case.data_str("confirmation_result").filter(|r| matches!(*r, "applied" | "confirmed" | "rejected"))
}

const PERFORMANCE: [(&str, &str); 3] =
    [("performed", "已全部履行"), ("partial", "部分履行"), ("not_performed", "未履行")];

fn mediation_rule(_: &CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<DeadlineRule, Refusal> {
    Ok(DeadlineRule {
        period: ctx.settings.of::<DisputeSettings>(SLUG).mediation(),
        trigger: "受理".into(),
        source: "《人民调解工作若干规定》（司法部令第75号）第三十三条“一般在一个月内调结”（本地配置 dispute.mediation_period）"
            .into(),
    })
}

/// 人民调解法 第三十三条: the parties may jointly apply within 30 days of the agreement taking effect.
fn confirmation_rule() -> DeadlineRule {
    DeadlineRule {
        period: Period::new(30, TimeUnit::CalendarDay),
        trigger: "调解协议生效".into(),
        source:
            "人民调解法第三十三条、民事诉讼法第二百零五条（双方当事人自调解协议生效之日起三十日内共同申请司法确认）"
                .into(),
    }
}

fn date_of(values: &Values, name: &str) -> Option<Date> {
    match values.get(name) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

fn yes(values: &Values, name: &str) -> Option<bool> {
    match values.get(name) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn opened_on(case: &CaseRecord) -> Date {
    local_date_ms(case.opened_at)
}

/// A date that happened: not after today, not before the dispute was registered.
fn past_date(case: &CaseRecord, d: Option<Date>, label: &str, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    match d {
        Some(d) if d > ctx.today() => Err(Refusal::new(format!("{label}不能晚于今天"))),
        Some(d) if d < opened_on(case) => {
            Err(Refusal::new(format!("{label}不能早于纠纷登记日期 {}", fmt_date(opened_on(case)))))
        }
        _ => Ok(()),
    }
}

fn on_register(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(COUNTED.into(), "yes".into());
    let major = yes(values, "major").unwrap_or(false);
    case.data.insert(facts::MAJOR.into(), if major { "yes" } else { "no" }.into());
    case.data.insert(facts::SESSIONS.into(), 0.into());
    Ok(())
}

/// 第十七条: mediation may not start when a party clearly refuses it.
fn parties_consent(_: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if yes(values, "consent") == Some(false) {
        return Err(Refusal::new(
            "一方当事人明确拒绝调解的，不得调解（《人民调解法》第十七条），请选择“不予受理”并告知其他途径",
        ));
    }
    Ok(())
}

fn on_accept(case: &mut CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(facts::ACCEPTED.into(), "yes".into());
    Ok(())
}

fn session_date(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    past_date(case, date_of(values, "held_on"), "调解日期", ctx)
}

fn record_session(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let n = case.data_i64(facts::SESSIONS).unwrap_or(0) + 1;
    case.data.insert(facts::SESSIONS.into(), n.into());
    keep(case, values, &["held_on"]);
    if let Some(v) = case.data.remove("held_on") {
        case.data.insert("last_session_on".into(), v);
    }
    Ok(())
}

fn extension_period(_: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<Period, Refusal> {
    let days = values.int("extension_days").filter(|d| *d > 0).ok_or_else(|| Refusal::new("请填写延长天数"))?;
    Ok(Period::new(u32::try_from(days).unwrap_or(1), TimeUnit::CalendarDay))
}

/// 第二十九条: a written agreement takes effect when every party has signed, sealed or
/// fingerprinted it and the mediator has signed it under the committee's seal.
fn written_agreement_rule(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if yes(values, "parties_signed") != Some(true) {
        return Err(Refusal::new("书面调解协议须经各方当事人签名、盖章或者按指印方能生效（《人民调解法》第二十九条）"));
    }
    if yes(values, "mediator_signed") != Some(true) {
        return Err(Refusal::new(
            "书面调解协议须经人民调解员签名并加盖人民调解委员会印章方能生效（《人民调解法》第二十九条）",
        ));
    }
    let signed = date_of(values, "signed_on");
    past_date(case, signed, "签订日期", ctx)?;
    if let (Some(s), Some(d)) = (signed, date_of(values, "performance_deadline"))
        && d < s
    {
        return Err(Refusal::new("履行期限不能早于协议签订日期"));
    }
    Ok(())
}

fn oral_agreement_rule(_: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    match date_of(values, "performance_deadline") {
        Some(d) if d < ctx.on() => Err(Refusal::new("履行期限不能早于协议达成日期")),
        _ => Ok(()),
    }
}

/// An extension (the parties consenting) extends a target that still runs.
fn extension_holds(case: &CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    shared::period_still_running(
        case,
        MEDIATE,
        ctx,
        "调解期限经当事人同意方可延长，届满后请继续调解或依《人民调解法》第二十六条终止调解",
    )
}

/// The mediation stops on the day the agreement took effect (the action's date).
fn resolve(case: &mut CaseRecord, ctx: &ActCtx<'_>, agreement: &str, effective: Date) {
    if let Some(c) = case.clocks.get_mut(MEDIATE)
        && c.is_running()
    {
        c.stop(ctx.on());
    }
    case.data.insert(facts::RESOLVED.into(), "yes".into());
    case.data.insert(facts::AGREEMENT.into(), agreement.into());
    case.data.insert(facts::EFFECTIVE_ON.into(), fmt_date(effective).into());
    if !case.data.contains_key(facts::RECOVERED) {
        case.data.insert(facts::RECOVERED.into(), 0.into());
    }
}

/// The written agreement took effect on the day it was signed; the 司法确认 window runs from then.
fn on_written_agreement(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let signed = ctx.on();
    resolve(case, ctx, "written", signed);
    case.clocks.put(Clock::start(
        CONFIRMATION,
        "司法确认申请期限",
        // The parties' window, not the office's duty: missing it breaks no rule of the office, so it
        // is not a statutory deadline of the case; it is shown so the mediator can remind them.
        ClockClass::Target,
        confirmation_rule(),
        signed,
        ctx.calendar,
    ));
    Ok(())
}

/// 第三十条: an oral agreement takes effect when reached (the day recorded).
fn on_oral_agreement(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    resolve(case, ctx, "oral", ctx.on());
    Ok(())
}

/// 第三十三条: only a written agreement is confirmed by the court, on a joint application; one
/// application is recorded, the court's ruling by its own action. An application the court did
/// not accept, or the parties withdrew, may be made again.
fn confirmation_rule_holds(case: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if case.data_str(facts::AGREEMENT) != Some("written") {
        return Err(Refusal::new("只有书面调解协议可以申请司法确认（《人民调解法》第三十三条）"));
    }
    match application_open(case) {
        Some("applied") => {
            return Err(Refusal::new("已登记司法确认申请；人民法院的裁定请使用“司法确认结果”登记"));
        }
        Some("rejected") => {
            return Err(Refusal::new(
                "人民法院已裁定驳回申请：当事人可以通过调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼（《民事诉讼法》第二百零六条）",
            ));
        }
        Some(_) => return Err(Refusal::new("人民法院已裁定调解协议有效（《民事诉讼法》第二百零六条），无需再申请")),
        None => {}
    }
    let effective = case.data_str(facts::EFFECTIVE_ON).and_then(|s| parse_date(s).ok());
    if let (Some(e), Some(d)) = (effective, date_of(values, "applied_on"))
        && d < e
    {
        return Err(Refusal::new("申请日期不能早于调解协议生效日期"));
    }
    Ok(())
}

/// The window stops on the day the parties applied; an application after its 30 days is recorded
/// and flagged for the court (which decides whether to accept it), not refused here.
fn on_confirmation(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let on = ctx.on();
    let Some(c) = case.clocks.get_mut(CONFIRMATION) else { return Ok(()) };
    if c.is_running() {
        c.stop(on);
    }
    let due = c.computed.due;
    if on > due {
        shared::flag(
            case,
            facts::CONFIRMATION_LATE,
            format!(
                "司法确认申请于 {} 共同提出，超过调解协议生效之日起30日的期限（{} 届满，《人民调解法》第三十三条、《民事诉讼法》第二百零五条）：已登记，由人民法院决定是否受理",
                fmt_date(on),
                fmt_date(due)
            ),
        );
    }
    Ok(())
}

/// The court rules on an application recorded earlier.
fn ruling_holds(case: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if case.data_str("confirmation_result") != Some("applied") {
        return Err(Refusal::new("尚无待人民法院裁定的司法确认申请"));
    }
    Ok(())
}

/// A window that lapsed closes on its last day (the parties can no longer apply), rather than
/// show as overdue on a case whose mediation ended long ago; performed in full, nothing is left
/// to follow and every clock stops.
fn on_follow_up(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(c) = case.clocks.get_mut(CONFIRMATION)
        && c.is_running()
        && c.computed.due < ctx.on()
    {
        let due = c.computed.due;
        c.stop(due);
    }
    if values.str("performance") == Some("performed") {
        return stop_running_clocks(case, values, ctx);
    }
    Ok(())
}

fn on_mark_major(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let major = yes(values, "major").unwrap_or(false);
    case.data.insert(facts::MAJOR.into(), if major { "yes" } else { "no" }.into());
    keep(case, values, &["major_reason"]);
    Ok(())
}

/// The workflow table of `dispute`.
pub fn workflow(settings: &Settings) -> Workflow {
    use Phase::*;
    use Waiting as W;
    let limits = &settings.limits;
    let state = |code, label, phase, waiting| StateDef { code, label, phase, waiting };
    let to = |s: &'static str| Target::State { state: s };
    let long = |max| FieldKind::LongText { max };
    let text = |max| FieldKind::Text { max };
    let own = settings.of::<DisputeSettings>(SLUG);
    let categories: Vec<(String, String)> = own.categories.iter().map(|c| (c.code.clone(), c.label.clone())).collect();
    let intake = [Role::IntakeClerk, Role::Mediator];
    let deciders = [Role::IntakeClerk, Role::Mediator, Role::JudicialOffice];
    let mediator = [Role::Mediator];
    let max_ext = i64::from(own.max_extension_days.max(1));
    Workflow {
        states: vec![
            state("registered", "待受理", Open, W::Intake),
            state("mediating", "调解中", Open, W::Unit),
            state("agreed", "已达成协议（履行中）", Closed, W::Unit),
            state("performed", "已履行", Closed, W::Nobody),
            state("failed", "调解终止", Closed, W::Nobody),
            state("referred", "已移交", Closed, W::Nobody),
            state("declined", "不予受理", Closed, W::Nobody),
            state(MERGED, "已合并", Closed, W::Nobody),
            state("archived", "已归档", Archived, W::Nobody),
        ],
        open: ActionDef::new("open", "纠纷登记", &[], to("registered"))
            .roles(&intake)
            .fields(vec![
                FieldDef::new("title", "纠纷概要", text(limits.title)).required(),
                FieldDef::new("content", "纠纷情况", long(limits.long_text)).required(),
                FieldDef::new("category", "纠纷类别", FieldKind::Choice { options: categories }).required(),
                FieldDef::new("source", "来源", FieldKind::Choice { options: choices(&SOURCES) }).required(),
                FieldDef::new("party_name", "申请人", text(limits.short_text)).required(),
                FieldDef::new("party_phone", "申请人电话", FieldKind::Phone),
                FieldDef::new("party_idcard", "申请人身份证号码", FieldKind::IdCard)
                    .help("选填；加密保存，页面只显示前4位和后4位"),
                FieldDef::new("respondent_name", "对方当事人", text(limits.short_text)).required(),
                FieldDef::new("respondent_phone", "对方当事人电话", FieldKind::Phone),
                FieldDef::new("respondent_idcard", "对方当事人身份证号码", FieldKind::IdCard),
                FieldDef::new("other_parties", "其他当事人", text(limits.short_text)),
                FieldDef::new("amount", "争议金额（元）", FieldKind::Money),
                FieldDef::new("location", "纠纷发生地", text(limits.short_text)),
                FieldDef::new("major", "重大疑难纠纷", FieldKind::Bool),
                FieldDef::new("received_on", "收到日期", FieldKind::Date).help("非当日收到（登记）的填写收到之日"),
            ])
            .dated("received_on")
            .effects(vec![Effect::Record, Effect::Custom { apply: on_register }]),
        actions: vec![
            ActionDef::new("accept", "受理", &["registered"], to("mediating"))
                .roles(&deciders)
                .fields(vec![
                    FieldDef::new("path", "调解方式", FieldKind::Choice { options: choices(&PATHS) }).required(),
                    FieldDef::new(
                        "mediation_unit",
                        "调解组织（承办单位）",
                        FieldKind::Unit { kinds: vec![UnitKind::Department, UnitKind::Village, UnitKind::Community] },
                    )
                    .required()
                    .help("村（居）人民调解委员会选择该村（居），镇人民调解委员会选择司法所"),
                    FieldDef::new("mediators", "调解员", text(limits.short_text))
                        .required()
                        .help("姓名，多人以顿号分隔；律师调解、司法调解请注明律师或法官"),
                    FieldDef::new("consent", "当事人同意调解", FieldKind::Bool).required(),
                    FieldDef::new("note", "受理意见", long(limits.long_text)),
                    FieldDef::new("accepted_on", "受理日期", FieldKind::Date)
                        .help("当日受理的可不填；调解期限自受理之日起算"),
                ])
                .dated("accepted_on")
                .guard(parties_consent)
                .effects(vec![
                    Effect::Record,
                    Effect::AssignUnit { field: "mediation_unit" },
                    Effect::StartClock {
                        code: MEDIATE,
                        label: "调解期限",
                        class: ClockClass::Target,
                        rule: mediation_rule,
                    },
                    Effect::Custom { apply: on_accept },
                ]),
            // The desk's levers over a dispute being mediated (shared blocks): 催办 the
            // mediation organisation, and 改派 to another with a reason; the mediation period
            // keeps counting from 受理. The organisation does not sign for it, so nothing to 撤回.
            shared::remind_action(&["mediating"], &[Role::IntakeClerk], settings),
            shared::reassign_action(
                &["mediating"],
                "mediating",
                &[Role::IntakeClerk],
                FieldDef::new(
                    shared::NEW_UNIT,
                    "改派至（调解组织）",
                    FieldKind::Unit { kinds: vec![UnitKind::Department, UnitKind::Village, UnitKind::Community] },
                ),
                None,
                settings,
            ),
            ActionDef::new("decline", "不予受理", &["registered"], to("declined"))
                .roles(&deciders)
                .fields(vec![
                    FieldDef::new("decline_reason", "不予受理理由", FieldKind::Choice { options: choices(&DECLINE_REASONS) })
                        .required(),
                    FieldDef::new("routes_told", "告知的其他途径", long(limits.long_text))
                        .required()
                        .help("如：可向人民法院起诉、申请劳动仲裁、向有关行政部门反映"),
                    FieldDef::new("declined_on", "告知日期", FieldKind::Date).help("当日告知的可不填"),
                ])
                .dated("declined_on")
                .effects(vec![Effect::Record]),
            ActionDef::new("session", "调解记录", &["mediating"], Target::Stay)
                .submit("保存调解记录")
                .roles(&mediator)
                .fields(vec![
                    FieldDef::new("held_on", "调解日期", FieldKind::Date).required(),
                    FieldDef::new("place", "调解地点", text(limits.short_text)),
                    FieldDef::new("participants", "参加人员", text(limits.short_text)).required(),
                    FieldDef::new("record", "调解笔录", long(limits.long_text))
                        .required()
                        .help("《人民调解法》第二十七条：人民调解员应当记录调解情况"),
                ])
                .guard(session_date)
                .effects(vec![Effect::Custom { apply: record_session }]),
            ActionDef::new("extend", "延长调解期限", &["mediating"], Target::Stay)
                .roles(&mediator)
                .fields(vec![
                    FieldDef::new("extension_days", "延长天数", FieldKind::Integer { min: 1, max: max_ext }).required(),
                    FieldDef::new("extension_reason", "延长理由", long(limits.long_text))
                        .required()
                        .help("如：双方当事人同意继续调解"),
                    FieldDef::new("extended_on", "当事人同意延长日期", FieldKind::Date)
                        .help("当日的可不填；调解期限届满后不能延长"),
                ])
                .dated("extended_on")
                .guard(extension_holds)
                .effects(vec![Effect::ExtendClock {
                    code: MEDIATE,
                    source: "经当事人同意延长调解期限",
                    reason_field: "extension_reason",
                    period: extension_period,
                }]),
            ActionDef::new("agree_written", "达成书面协议", &["mediating"], to("agreed"))
                .roles(&mediator)
                .fields(vec![
                    FieldDef::new("agreement_parties", "当事人基本情况", long(limits.long_text)).required(),
                    FieldDef::new("facts", "纠纷的主要事实", long(limits.long_text)).required(),
                    FieldDef::new("issues", "争议事项", long(limits.long_text)).required(),
                    FieldDef::new("responsibility", "各方当事人的责任", long(limits.long_text)).required(),
                    FieldDef::new("terms", "协议内容", long(limits.long_text)).required(),
                    FieldDef::new("performance_manner", "履行方式", text(limits.short_text)).required(),
                    FieldDef::new("performance_deadline", "履行期限", FieldKind::Date).required(),
                    FieldDef::new("signed_on", "签订（生效）日期", FieldKind::Date).required(),
                    // 第二十九条第二款: the committee seals the agreement, so the paper names it.
                    FieldDef::new("committee", "人民调解委员会", text(limits.short_text))
                        .required()
                        .help("加盖印章的人民调解委员会名称，如：鳌头镇龙潭村人民调解委员会"),
                    FieldDef::new("parties_signed", "各方当事人已签名、盖章或按指印", FieldKind::Bool).required(),
                    FieldDef::new("mediator_signed", "调解员已签名并加盖调解委员会印章", FieldKind::Bool).required(),
                    FieldDef::new(facts::RECOVERED, "挽回经济损失（元）", FieldKind::Money),
                ])
                .dated("signed_on")
                .guard(written_agreement_rule)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_written_agreement }])
                .confirm("协议自各方签名、盖章或按指印并经调解员签名、加盖印章之日起生效，确认登记？"),
            ActionDef::new("agree_oral", "达成口头协议", &["mediating"], to("agreed"))
                .roles(&mediator)
                .fields(vec![
                    FieldDef::new("terms", "口头协议内容", long(limits.long_text))
                        .required()
                        .help("《人民调解法》第二十八条：口头协议由人民调解员记录；自达成之日起生效（第三十条）"),
                    FieldDef::new("performance_manner", "履行方式", text(limits.short_text)),
                    FieldDef::new("performance_deadline", "履行期限", FieldKind::Date),
                    FieldDef::new(facts::RECOVERED, "挽回经济损失（元）", FieldKind::Money),
                    FieldDef::new("reached_on", "达成日期", FieldKind::Date)
                        .help("当日达成的可不填；口头协议自达成之日起生效（第三十条）"),
                ])
                .dated("reached_on")
                .guard(oral_agreement_rule)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_oral_agreement }]),
            ActionDef::new("end_mediation", "终止调解", &["mediating"], to("failed"))
                .roles(&mediator)
                .fields(vec![
                    FieldDef::new("end_reason", "终止理由", long(limits.long_text)).required(),
                    FieldDef::new("routes_told", "已告知的其他途径", long(limits.long_text))
                        .required()
                        .help("《人民调解法》第二十六条：调解不成的，终止调解，并告知当事人可以依法通过仲裁、行政、司法等途径维护自己的权利"),
                    FieldDef::new("ended_on", "终止日期", FieldKind::Date).help("当日终止的可不填"),
                ])
                .dated("ended_on")
                .effects(vec![Effect::Record, Effect::Custom { apply: stop_running_clocks }]),
            ActionDef::new("refer", "移交", &["registered", "mediating"], to("referred"))
                .roles(&deciders)
                .fields(vec![
                    FieldDef::new("referred_to", "移交单位", text(limits.short_text))
                        .required()
                        .help("如：人民法院（诉调对接）、劳动人事争议仲裁委员会、有关行政部门"),
                    FieldDef::new("refer_reason", "移交理由", long(limits.long_text)).required(),
                    FieldDef::new("referred_on", "移交日期", FieldKind::Date).help("当日移交的可不填"),
                ])
                .dated("referred_on")
                .effects(vec![Effect::Record, Effect::Custom { apply: stop_running_clocks }]),
            ActionDef::new("confirm", "司法确认", &["agreed"], Target::Stay)
                .submit("登记司法确认申请")
                .roles(&mediator)
                .fields(vec![
                    FieldDef::new(
                        "confirmation_result",
                        "司法确认情况",
                        FieldKind::Choice { options: choices(&CONFIRMATION_RESULTS) },
                    )
                    .required(),
                    FieldDef::new("court", "人民法院", text(limits.short_text)).required(),
                    FieldDef::new("applied_on", "双方当事人共同申请日期", FieldKind::Date)
                        .required()
                        .help("《人民调解法》第三十三条、《民事诉讼法》第二百零五条：双方当事人自调解协议生效之日起30日内共同申请；逾期申请的登记并标注，由人民法院决定"),
                ])
                .dated("applied_on")
                .guard(confirmation_rule_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_confirmation }])
                .confirm("司法确认须由双方当事人共同申请（《人民调解法》第三十三条、《民事诉讼法》第二百零五条），确认双方已共同申请？"),
            ActionDef::new("confirm_ruling", "司法确认结果", &["agreed"], Target::Stay)
                .submit("登记司法确认结果")
                .roles(&mediator)
                .fields(vec![
                    FieldDef::new("confirmation_result", "司法确认情况", FieldKind::Choice { options: choices(&RULINGS) })
                        .required(),
                    FieldDef::new("ruled_on", "裁定（不予受理、撤回）日期", FieldKind::Date).help("当日的可不填"),
                    FieldDef::new("note", "说明", long(limits.long_text)),
                ])
                .dated("ruled_on")
                .guard(ruling_holds)
                .effects(vec![Effect::Record]),
            ActionDef::new(
                "follow_up",
                "履行回访",
                &["agreed"],
                Target::ByChoice { field: "performance", map: vec![("performed", "performed")], otherwise: "agreed" },
            )
            .roles(&mediator)
            .fields(vec![
                FieldDef::new("performance", "履行情况", FieldKind::Choice { options: choices(&PERFORMANCE) })
                    .required()
                    .help("《人民调解法》第三十一条：人民调解委员会应当对调解协议的履行情况进行监督"),
                FieldDef::new(facts::RECOVERED, "挽回经济损失（元）", FieldKind::Money).help("实际挽回的金额有变化时填写"),
                FieldDef::new("note", "回访记录", long(limits.long_text)),
                FieldDef::new("followed_on", "回访日期", FieldKind::Date).help("当日回访的可不填"),
            ])
            .dated("followed_on")
            .effects(vec![Effect::Record, Effect::Custom { apply: on_follow_up }]),
            ActionDef::new("mark_major", "重大疑难标记", &["registered", "mediating", "agreed"], Target::Stay)
                .roles(&[Role::Leader, Role::JudicialOffice, Role::Mediator])
                .fields(vec![
                    FieldDef::new("major", "重大疑难纠纷", FieldKind::Bool).required(),
                    FieldDef::new("major_reason", "理由", long(limits.long_text)).required(),
                ])
                .effects(vec![Effect::Custom { apply: on_mark_major }]),
            ActionDef::new("supervise", "督办", &["registered", "mediating"], Target::Stay)
                .roles(&[Role::Leader])
                .fields(vec![FieldDef::new("note", "督办意见", long(limits.long_text)).required()]),
            shared::merge_action(&["registered", "mediating"], &intake, settings),
            ActionDef::new("archive", "归档", &["performed", "failed", "referred", "declined", MERGED], to("archived"))
                .roles(&intake)
                .confirm("归档后纠纷不能再办理，确认归档？"),
        ],
    }
}

/// The kind.
pub fn kind(settings: &Settings) -> KindDef {
    use crate::kinds::{ConversionTarget, Duplicates, IntakeKey::*};
    KindDef::new(SLUG, "矛盾纠纷", "JF", workflow(settings))
        .wording(Wording { register: "登记矛盾纠纷".into(), party: "申请人", next: "查看并受理" })
        .printables(vec![
            shared::receipt(&[("申请人", "party_name"), ("对方当事人", "respondent_name")]),
            agreement_paper(),
        ])
        .search(&["content", "party_name", "respondent_name", "other_parties", "mediators"])
        .metrics(metrics(settings))
        .settings(&settings.of::<DisputeSettings>(SLUG))
        .capabilities(Capabilities {
            duplicates: Some(Duplicates { closed_for_good: None }),
            conversion_target: Some(ConversionTarget {
                fills: vec![
                    (Title, "title"),
                    (Content, "content"),
                    (PartyName, "party_name"),
                    (PartyPhone, "party_phone"),
                    (PartyIdCard, "party_idcard"),
                    (ReceivedOn, "received_on"),
                ],
                defaults: vec![("source", "walk_in")],
            }),
            party: Some(PartyFields { name: "party_name", phone: "party_phone" }),
            ..Capabilities::default()
        })
        .export(vec![
            ExportColumn { key: "respondent_name", label: "对方当事人" },
            ExportColumn { key: "amount", label: "争议金额（元）" },
            ExportColumn { key: "mediators", label: "调解员" },
            ExportColumn { key: facts::RECOVERED, label: "挽回经济损失（元）" },
        ])
        // 受理数; a mediation has no deadline the report measures it against, so no on-time rate.
        .summary(Summary { received: "dispute.accepted", on_time_rate: None })
        .report(vec![
            ReportClause {
                section: Section::Governance,
                paragraph: 0,
                order: 20,
                text: "受理矛盾纠纷{dispute.accepted}宗，化解{dispute.resolved}宗，化解率{dispute.resolve_rate}，挽回群众财产损失{dispute.recovered}；",
            },
            // The kinds of the major disputes are those of the resolved ones, not a fixed list.
            ReportClause {
                section: Section::Governance,
                paragraph: 0,
                order: 40,
                text: "解决涉及{dispute.major_resolved:categories}方面的重大疑难纠纷{dispute.major_resolved}宗。",
            },
        ])
}

/// 人民调解协议书, from the fields of 达成书面协议. 《人民调解法》第二十九条 (LawRefBook/Laws
/// `诉讼与非诉讼程序法/人民调解法(2010-08-28).md`): "调解协议书可以载明下列事项：（一）当事人的基本
/// 情况；（二）纠纷的主要事实、争议事项以及各方当事人的责任；（三）当事人达成调解协议的内容，履行的
/// 方式、期限。调解协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章
/// 之日起生效。调解协议书由当事人各执一份，人民调解委员会留存一份。" Each element is a required field
/// of the action; the signatures and the seal are lines on the paper.
fn agreement_paper() -> Printable {
    Printable {
        code: "agreement",
        title: "人民调解协议书",
        after: Some("agree_written"),
        roles: vec![],
        docx: true,
        blocks: vec![
            PaperBlock::Facts(vec![
                ("编号", "receipt_no"),
                ("人民调解委员会", "committee"),
                ("人民调解员", "mediators"),
            ]),
            PaperBlock::Heading("一、当事人的基本情况"),
            PaperBlock::Text("{agreement_parties}"),
            PaperBlock::Heading("二、纠纷的主要事实、争议事项以及各方当事人的责任"),
            PaperBlock::Text("纠纷的主要事实：{facts}"),
            PaperBlock::Text("争议事项：{issues}"),
            PaperBlock::Text("各方当事人的责任：{responsibility}"),
            PaperBlock::Heading("三、当事人达成调解协议的内容，履行的方式、期限"),
            PaperBlock::Text("经{committee}调解，各方当事人自愿达成如下协议：{terms}"),
            PaperBlock::Text("履行方式：{performance_manner}。履行期限：{performance_deadline}前履行完毕。"),
            PaperBlock::Text(
                "本协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效；由当事人各执一份，人民调解委员会留存一份（《中华人民共和国人民调解法》第二十九条）。",
            ),
            PaperBlock::Text(
                "经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行（第三十一条）。双方当事人认为有必要的，可以自调解协议生效之日起三十日内共同向人民法院申请司法确认（第三十三条）。",
            ),
            PaperBlock::Signatures(vec![
                "当事人（签名、盖章或者按指印）",
                "当事人（签名、盖章或者按指印）",
                "人民调解员（签名）",
                "人民调解委员会（印章）",
            ]),
            PaperBlock::Facts(vec![("签订日期", "signed_on")]),
        ],
    }
}

/// The figures of disputes.
pub fn metrics(_: &Settings) -> Vec<MetricDef> {
    use Cond::*;
    let yes = |key| DataEq { key, value: "yes".into() };
    let accepted = || vec![OpenedIn, yes(COUNTED), yes(facts::ACCEPTED)];
    let with = |extra: Vec<Cond>| CaseSet { kind: SLUG, conds: accepted().into_iter().chain(extra).collect() };
    let m = |code, name, unit, formula: &str, measure| MetricDef { code, name, unit, formula: formula.into(), measure };
    vec![
        m(
            "dispute.accepted",
            "受理数",
            MetricUnit::Cases,
            "期间内登记并受理调解的矛盾纠纷数",
            Measure::Count { set: with(vec![]) },
        ),
        m(
            "dispute.resolved",
            "化解数",
            MetricUnit::Cases,
            "受理的纠纷中达成调解协议（书面或口头）的数量",
            Measure::Count { set: with(vec![yes(facts::RESOLVED)]) },
        ),
        m(
            "dispute.resolve_rate",
            "化解率",
            MetricUnit::Rate,
            "化解数 ÷ 受理数",
            Measure::Ratio { num: "dispute.resolved", den: "dispute.accepted" },
        ),
        m(
            "dispute.recovered",
            "挽回经济损失",
            MetricUnit::Money,
            "化解的纠纷登记的挽回经济损失之和",
            Measure::SumMoney { set: with(vec![yes(facts::RESOLVED)]), key: facts::RECOVERED },
        ),
        m(
            "dispute.major",
            "重大疑难纠纷数",
            MetricUnit::Cases,
            "受理的纠纷中标记为重大疑难的数量",
            Measure::Count { set: with(vec![yes(facts::MAJOR)]) },
        ),
        m(
            "dispute.major_resolved",
            "重大疑难纠纷化解数",
            MetricUnit::Cases,
            "标记为重大疑难且达成调解协议的纠纷数",
            Measure::Count { set: with(vec![yes(facts::MAJOR), yes(facts::RESOLVED)]) },
        ),
        m(
            "dispute.written",
            "书面协议数",
            MetricUnit::Cases,
            "达成书面调解协议的纠纷数",
            Measure::Count { set: with(vec![DataEq { key: facts::AGREEMENT, value: "written".into() }]) },
        ),
    ]
}
