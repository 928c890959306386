//! `petition` — 信访事项, under the 《信访工作条例》 (2022).
//!
//! 登记 (channel, category per 第二十九条至第三十一条, the petitioner) starts the 15-day clock to
//! decide on acceptance and tell the petitioner in writing (第二十三条) → 受理 to a handling unit,
//! or — for a 申诉求决类 matter that belongs to litigation, arbitration, 复议 and the other
//! statutory procedures of 第三十一条(一)至(五) — 引导依法定途径, or 不予受理 → 办理 within 60 days
//! of acceptance, extended by at most 30 days with the head's approval and notice to the
//! petitioner (第三十四条) → 信访处理意见书 with 支持 / 解释说明 / 不予支持 (第三十二条), or a reply
//! for 建议意见类 and 检举控告类 → the petitioner's evaluation (第二十一条) → 复查 requested within
//! 30 days and answered within 30 days (第三十五条) → 复核 likewise (第三十六条), after which the
//! same matter is not accepted again (第三十六条第三款) → 归档.
//!
//! 检举控告类 (第三十条): the accuser's identity and material are never given to the unit accused.
//! The case is marked at registration ([`crate::workflow::shared::mark_confidential`]) with the
//! accused unit and the accused staff users; the store then leaves the case out of every read of
//! the accused unit's subtree and of those users, and the table refuses to hand the matter to
//! that unit.

#[cfg(test)]
mod tests;

use time::Date;

use crate::calendar::Calendar;
use crate::case::{CaseRecord, Clock, ClockClass, Phase};
use crate::deadline::{self, DeadlineRule, Period, TimeUnit};
use crate::kinds::KindDef;
use crate::metric::{CaseSet, Cond, Measure, MetricDef, MetricUnit};
use crate::role::Role;
use crate::settings::Settings;
use crate::time_util::{fmt_date, local_date_ms, parse_date};
use crate::unit::UnitKind;
use crate::workflow::shared::{self, COUNTED, MERGED, choices, keep};
use crate::workflow::{
    ActCtx, ActionDef, Effect, FieldDef, FieldKind, Refusal, StateDef, Target, Value, Values, Waiting, Workflow,
};

pub const SLUG: &str = "petition";

/// Deciding on acceptance and telling the petitioner in writing (第二十三条).
pub const ACCEPT: &str = "accept";
/// Concluding after acceptance (第三十四条).
pub const CONCLUDE: &str = "conclude";
/// The 复查 body's answer (第三十五条).
pub const REVIEW: &str = "review";
/// The 复核 body's opinion (第三十六条).
pub const REREVIEW: &str = "rereview";

/// Data keys the metrics and the service read.
pub mod facts {
    /// The category code, kept in the data too so figures can count by it.
    pub const CATEGORY: &str = "petition_category";
    /// "yes" once accepted for handling (受理).
    pub const ACCEPTED: &str = "accepted";
    /// "yes" once concluded (意见书 or reply served) at least once.
    pub const CONCLUDED: &str = "concluded";
    /// "yes" while every conclusion met its deadline, "no" once one did not.
    pub const ON_TIME: &str = "on_time";
    /// 申诉求决类 only: "yes" when concluded at the first handling, without 复查/复核 and without
    /// being reopened; "no" as soon as any of these happens.
    pub const ONE_TIME: &str = "one_time";
    /// The petitioner's latest evaluation: satisfied, basic, unsatisfied (第二十一条).
    pub const SATISFACTION: &str = "satisfaction";
    /// "yes" once 复查 was requested.
    pub const REVIEWED: &str = "review_requested";
    /// "yes" once 复核 was requested.
    pub const REREVIEWED: &str = "rereview_requested";
    /// "yes" once the 复核 opinion was given: the matter is closed for good (第三十六条第三款).
    pub const FINAL: &str = "final";
    /// How many times a 复查/复核 revoked the handling and sent it back.
    pub const REOPENS: &str = "reopens";
    /// Days of extension approved so far (at most 30, 第三十四条).
    pub const EXTENDED_DAYS: &str = "extension_days_total";
    /// The receipt number of an earlier petition on the same matter whose 复核 is concluded (set
    /// when the clerk links the two): acceptance is refused (第三十六条第三款).
    pub const SAME_MATTER_FINAL: &str = "same_matter_final";
    /// What the list's free text searches: the petitioner and the request, except for 检举控告类
    /// (whose accuser must not be findable by name from the accused unit).
    pub const SEARCHABLE: &str = "searchable";
}

/// 第二十九条至第三十一条.
pub const CATEGORIES: [(&str, &str); 3] =
    [("suggestion", "建议意见类"), ("accusation", "检举控告类"), ("claim", "申诉求决类")];

/// 第十七条: the channels petitions come by.
pub const CHANNELS: [(&str, &str); 6] = [
    ("online", "网上信访"),
    ("letter", "来信"),
    ("phone", "来电"),
    ("visit", "来访"),
    ("fax", "传真"),
    ("other", "其他"),
];

/// 第三十一条(一)至(五): the statutory procedures a 申诉求决类 matter is guided to.
pub const ROUTES: [(&str, &str); 5] = [
    (
        "litigation",
        "应当通过审判机关诉讼程序或者复议程序、检察机关刑事立案程序或者法律监督程序、公安机关法律程序处理的（第三十一条第一项）",
    ),
    ("arbitration", "应当通过仲裁解决的（第三十一条第二项）"),
    ("party_appeal", "可以通过党员申诉、申请复审等解决的（第三十一条第三项）"),
    ("administrative", "可以通过行政复议、行政裁决、行政确认、行政许可、行政处罚等行政程序解决的（第三十一条第四项）"),
    ("statutory_duty", "属于申请查处违法行为、履行保护人身权或者财产权等合法权益职责的（第三十一条第五项）"),
];

const NOT_ACCEPTED: [(&str, &str); 4] = [
    ("final", "同一信访事项已经复核终结（第三十六条第三款）"),
    ("pending", "同一信访事项正在受理或者办理（第十九条第三款）"),
    ("unclear", "信访人姓名（名称）、住址不清（第二十三条）"),
    ("outside", "不属于本机关职权范围"),
];

const NOTICE_METHODS: [(&str, &str); 4] =
    [("onsite", "当场书面告知"), ("mail", "邮寄书面告知"), ("system", "信访信息系统告知"), ("sms", "短信告知")];

/// 第三十二条.
pub const OUTCOMES: [(&str, &str); 3] = [("support", "支持"), ("explain", "解释说明"), ("not_supported", "不予支持")];

const RATINGS: [(&str, &str); 3] = [("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")];

const REVIEW_RESULTS: [(&str, &str); 3] = [("upheld", "维持"), ("changed", "变更"), ("revoked", "撤销并责令重新办理")];

/// Every state: accused staff may be named whenever the matter becomes known (第三十条).
const ALL_STATES: [&str; 12] = [
    "registered",
    "handling",
    "extension_requested",
    "concluded",
    "review",
    "reviewed",
    "rereview",
    "final",
    "redirected",
    "not_accepted",
    MERGED,
    "archived",
];

/// The accuser's identity and material, withheld from the accused unit (第三十条).
pub const CONFIDENTIAL_KEYS: [&str; 5] = ["party_name", "party_phone", "party_idcard", "party_address", "content"];

/// The 30-day period the petitioner has to ask for 复查 or 复核, and the higher body has to answer
/// (第三十五条、第三十六条), counted from `from` (民事诉讼法 第八十五条: a last day on a rest day
/// rolls to the next working day).
pub fn thirty_days(cal: &Calendar, from: Date, source: &str, trigger: &str) -> Date {
    let rule =
        DeadlineRule { period: Period::new(30, TimeUnit::CalendarDay), trigger: trigger.into(), source: source.into() };
    deadline::compute(cal, &rule, from, &[], &[]).due
}

fn date_of(values: &Values, name: &str) -> Option<Date> {
    match values.get(name) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

fn data_date(case: &CaseRecord, key: &str) -> Option<Date> {
    case.data_str(key).and_then(|s| parse_date(s).ok())
}

fn category(case: &CaseRecord) -> &str {
    case.data_str(facts::CATEGORY).unwrap_or("")
}

fn is_claim(case: &CaseRecord) -> bool {
    category(case) == "claim"
}

/// A date that happened: not after today, not before `earliest`.
fn past_date(d: Option<Date>, label: &str, earliest: Option<(Date, &str)>, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let Some(d) = d else { return Ok(()) };
    if d > ctx.today() {
        return Err(Refusal::new(format!("{label}不能晚于今天")));
    }
    if let Some((e, what)) = earliest
        && d < e
    {
        return Err(Refusal::new(format!("{label}不能早于{what} {}", fmt_date(e))));
    }
    Ok(())
}

fn received_on(case: &CaseRecord) -> Date {
    data_date(case, "received_on").unwrap_or_else(|| local_date_ms(case.opened_at))
}

/// 检举控告类 names the accused unit; the other categories do not.
fn registration_rule(_: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let accusation = values.str("category") == Some("accusation");
    match (accusation, values.unit("accused_unit")) {
        (true, None) => {
            return Err(Refusal::new("检举控告类信访事项须填写被检举控告单位，以便依《信访工作条例》第三十条对其保密"));
        }
        (false, Some(_)) => return Err(Refusal::new("只有检举控告类信访事项填写被检举控告单位")),
        _ => {}
    }
    if !accusation && !values.users(shared::ACCUSED_USERS).is_empty() {
        return Err(Refusal::new("只有检举控告类信访事项填写被检举控告的工作人员"));
    }
    past_date(date_of(values, "received_on"), "收到日期", None, ctx)
}

/// The rule of the clock to decide on acceptance (第二十三条).
fn acceptance_rule() -> DeadlineRule {
    DeadlineRule {
        period: Period::new(15, TimeUnit::CalendarDay),
        trigger: "收到信访事项".into(),
        source: "信访工作条例第二十三条（十五日内书面告知信访人是否受理）".into(),
    }
}

fn on_register(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let cat = case.category.clone().unwrap_or_default();
    case.data.insert(COUNTED.into(), "yes".into());
    case.data.insert(facts::CATEGORY.into(), cat.clone().into());
    case.data.insert(facts::REOPENS.into(), 0.into());
    case.data.insert(facts::EXTENDED_DAYS.into(), 0.into());
    if cat == "accusation" {
        if let Some(unit) = values.unit("accused_unit") {
            shared::mark_confidential(case, unit, &CONFIDENTIAL_KEYS);
            shared::name_accused(case, values.users(shared::ACCUSED_USERS));
        }
    } else {
        let who = values.str("party_name").unwrap_or("");
        let what = values.str("content").unwrap_or("");
        case.data.insert(facts::SEARCHABLE.into(), format!("{who} {what}").into());
    }
    let from = date_of(values, "received_on").unwrap_or_else(|| ctx.today());
    case.clocks.put(Clock::start(ACCEPT, "受理告知期限", ClockClass::Statutory, acceptance_rule(), from, ctx.calendar));
    Ok(())
}

/// The conclusion clock: 60 days for 申诉求决类 (第三十四条); the town's own target otherwise.
fn conclusion_clock(case: &CaseRecord, trigger: &str, ctx: &ActCtx<'_>) -> Clock {
    let (class, rule) = if is_claim(case) {
        (
            ClockClass::Statutory,
            DeadlineRule {
                period: Period::new(60, TimeUnit::CalendarDay),
                trigger: trigger.into(),
                source: "信访工作条例第三十四条（自受理之日起六十日内办结）".into(),
            },
        )
    } else {
        (
            ClockClass::Target,
            DeadlineRule {
                period: Period::new(ctx.settings.petition.other_conclude_days, TimeUnit::CalendarDay),
                trigger: trigger.into(),
                source: "本地配置 petition.other_conclude_days（建议意见类、检举控告类，参照信访工作条例第三十四条）"
                    .into(),
            },
        )
    };
    Clock::start(CONCLUDE, "办理期限", class, rule, ctx.today(), ctx.calendar)
}

fn stop_at(case: &mut CaseRecord, code: &str, on: Date) {
    if let Some(c) = case.clocks.get_mut(code)
        && c.is_running()
    {
        c.stop(on);
    }
}

/// 第三十六条第三款, the 申诉求决 routing of 第三十一条, the written notice of 第二十三条, and 第三十条.
fn acceptance_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(prior) = case.data_str(facts::SAME_MATTER_FINAL) {
        return Err(Refusal::new(format!(
            "同一信访事项（{prior}）已经复核终结，不再受理（《信访工作条例》第三十六条第三款），请选择“不予受理”"
        )));
    }
    if is_claim(case) && !matches!(values.get("route_checked"), Some(Value::Bool(true))) {
        return Err(Refusal::new(
            "申诉求决类信访事项应先依《信访工作条例》第三十一条审查：属于诉讼、仲裁、复议等法定途径的，请选择“引导依法定途径”；确认不属于的，请勾选“已按第三十一条审查”",
        ));
    }
    past_date(date_of(values, "notified_on"), "书面告知日期", Some((received_on(case), "收到日期")), ctx)?;
    if let Some(unit) = values.unit("unit") {
        shared::not_to_the_accused(case, unit, ctx)?;
    }
    Ok(())
}

fn on_accept(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let notified = date_of(values, "notified_on").unwrap_or_else(|| ctx.today());
    stop_at(case, ACCEPT, notified);
    keep(case, values, &["notified_on", "notice_method"]);
    case.data.insert(facts::ACCEPTED.into(), "yes".into());
    let clock = conclusion_clock(case, "受理", ctx);
    case.clocks.put(clock);
    Ok(())
}

fn redirect_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if !is_claim(case) {
        return Err(Refusal::new("引导依法定途径（《信访工作条例》第三十一条）只适用于申诉求决类信访事项"));
    }
    past_date(date_of(values, "notified_on"), "书面告知日期", Some((received_on(case), "收到日期")), ctx)
}

fn not_accept_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let notified = date_of(values, "notified_on");
    // 第二十三条: the petitioner is told in writing, unless name or address is unclear.
    if notified.is_none() && values.str("not_accepted_reason") != Some("unclear") {
        return Err(Refusal::new("不予受理应当书面告知信访人（《信访工作条例》第二十三条），请填写书面告知日期"));
    }
    past_date(notified, "书面告知日期", Some((received_on(case), "收到日期")), ctx)
}

fn stop_acceptance(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let on = date_of(values, "notified_on").unwrap_or_else(|| ctx.today());
    stop_at(case, ACCEPT, on);
    Ok(())
}

/// 第三十四条: extended by at most 30 days in all.
fn extension_within_limit(case: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let so_far = case.data_i64(facts::EXTENDED_DAYS).unwrap_or(0);
    let asked = values.int("extension_days").unwrap_or(0);
    if so_far + asked > 30 {
        return Err(Refusal::new(format!(
            "延长办理期限累计不得超过30日（《信访工作条例》第三十四条），已延长{so_far}日，本次最多可申请{}日",
            30 - so_far
        )));
    }
    Ok(())
}

fn record_extension_request(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    keep(case, values, &["extension_days", "extension_reason"]);
    Ok(())
}

fn notice_given(_: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if !matches!(values.get("notified"), Some(Value::Bool(true))) {
        return Err(Refusal::new("延长办理期限应当告知信访人延期理由（《信访工作条例》第三十四条）"));
    }
    Ok(())
}

fn requested_extension(case: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<Period, Refusal> {
    let days =
        case.data_i64("extension_days").filter(|d| *d > 0).ok_or_else(|| Refusal::new("没有待审批的延期申请"))?;
    Ok(Period::new(u32::try_from(days).unwrap_or(1), TimeUnit::CalendarDay))
}

fn on_extension_approved(case: &mut CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let days = case.data_i64("extension_days").unwrap_or(0);
    let total = case.data_i64(facts::EXTENDED_DAYS).unwrap_or(0) + days;
    case.data.insert(facts::EXTENDED_DAYS.into(), total.into());
    clear_extension_request(case)
}

fn clear_extension_request(case: &mut CaseRecord) -> Result<(), Refusal> {
    case.data.remove("extension_days");
    case.data.remove("extension_reason");
    Ok(())
}

fn on_extension_rejected(case: &mut CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    clear_extension_request(case)
}

fn served_after_acceptance(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let accepted = data_date(case, "notified_on");
    past_date(date_of(values, "served_on"), "送达日期", accepted.map(|d| (d, "受理告知日期")), ctx)
}

/// 第三十二条: the 信访处理意见书 is for 申诉求决类; the other categories are answered.
fn opinion_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if !is_claim(case) {
        return Err(Refusal::new("信访处理意见书（《信访工作条例》第三十二条）用于申诉求决类；本件请使用“办结答复”"));
    }
    served_after_acceptance(case, values, ctx)
}

fn reply_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if is_claim(case) {
        return Err(Refusal::new("申诉求决类信访事项应出具信访处理意见书（《信访工作条例》第三十二条）"));
    }
    served_after_acceptance(case, values, ctx)
}

fn on_conclude(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let served = date_of(values, "served_on").unwrap_or_else(|| ctx.today());
    stop_at(case, CONCLUDE, served);
    let met = case.clocks.get(CONCLUDE).and_then(|c| c.met).unwrap_or(false);
    let was_on_time = case.data_str(facts::ON_TIME) != Some("no");
    case.data.insert(facts::ON_TIME.into(), if was_on_time && met { "yes" } else { "no" }.into());
    let first = case.data_str(facts::CONCLUDED) != Some("yes");
    case.data.insert(facts::CONCLUDED.into(), "yes".into());
    if is_claim(case) {
        // Concluded again after a 复查/复核 sent it back: not a one-time resolution.
        let one_time =
            first && case.data_i64(facts::REOPENS).unwrap_or(0) == 0 && case.data_str(facts::REVIEWED) != Some("yes");
        case.data.insert(facts::ONE_TIME.into(), if one_time { "yes" } else { "no" }.into());
    }
    Ok(())
}

fn on_rate(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(r) = values.str("result") {
        case.data.insert(facts::SATISFACTION.into(), r.into());
    }
    Ok(())
}

/// 第三十五条: 复查 is requested within 30 days of receiving the written reply.
fn review_request_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let served = data_date(case, "served_on");
    let asked = date_of(values, "review_requested_on");
    past_date(asked, "复查申请日期", served.map(|d| (d, "书面答复送达日期")), ctx)?;
    if let (Some(s), Some(a)) = (served, asked) {
        let due = thirty_days(ctx.calendar, s, "信访工作条例第三十五条", "收到书面答复");
        if a > due {
            return Err(Refusal::new(format!(
                "复查应自收到书面答复之日起30日内提出（《信访工作条例》第三十五条），申请期限已于 {} 届满",
                fmt_date(due)
            )));
        }
    }
    Ok(())
}

fn on_review_requested(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(facts::REVIEWED.into(), "yes".into());
    if is_claim(case) {
        case.data.insert(facts::ONE_TIME.into(), "no".into());
    }
    let from = date_of(values, "review_requested_on").unwrap_or_else(|| ctx.today());
    let rule = DeadlineRule {
        period: Period::new(30, TimeUnit::CalendarDay),
        trigger: "收到复查请求".into(),
        source: "信访工作条例第三十五条（复查机关自收到复查请求之日起三十日内提出复查意见）".into(),
    };
    case.clocks.put(Clock::start(REVIEW, "复查期限", ClockClass::Statutory, rule, from, ctx.calendar));
    Ok(())
}

fn decision_dates(
    case: &CaseRecord,
    values: &Values,
    requested_key: &str,
    decided: &str,
    served: &str,
    ctx: &ActCtx<'_>,
) -> Result<(), Refusal> {
    let requested = data_date(case, requested_key);
    let d = date_of(values, decided);
    past_date(d, "意见作出日期", requested.map(|r| (r, "申请日期")), ctx)?;
    past_date(date_of(values, served), "送达日期", d.map(|x| (x, "意见作出日期")), ctx)
}

fn review_decision_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    decision_dates(case, values, "review_requested_on", "review_decided_on", "review_served_on", ctx)
}

fn rereview_decision_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    decision_dates(case, values, "rereview_requested_on", "rereview_decided_on", "rereview_served_on", ctx)
}

/// A 复查 or 复核 that revokes the handling sends the matter back: handled again with a new clock,
/// no longer a one-time resolution.
fn reopen(case: &mut CaseRecord, trigger: &str, ctx: &ActCtx<'_>) {
    let n = case.data_i64(facts::REOPENS).unwrap_or(0) + 1;
    case.data.insert(facts::REOPENS.into(), n.into());
    if is_claim(case) {
        case.data.insert(facts::ONE_TIME.into(), "no".into());
    }
    let clock = conclusion_clock(case, trigger, ctx);
    case.clocks.put(clock);
}

fn on_review_decided(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let decided = date_of(values, "review_decided_on").unwrap_or_else(|| ctx.today());
    stop_at(case, REVIEW, decided);
    if values.str("review_result") == Some("revoked") {
        reopen(case, "复查撤销后重新办理", ctx);
    }
    Ok(())
}

/// 第三十六条: 复核 is requested within 30 days of receiving the 复查 opinion.
fn rereview_request_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let served = data_date(case, "review_served_on");
    let asked = date_of(values, "rereview_requested_on");
    past_date(asked, "复核申请日期", served.map(|d| (d, "复查意见送达日期")), ctx)?;
    if let (Some(s), Some(a)) = (served, asked) {
        let due = thirty_days(ctx.calendar, s, "信访工作条例第三十六条", "收到复查意见");
        if a > due {
            return Err(Refusal::new(format!(
                "复核应自收到复查意见之日起30日内提出（《信访工作条例》第三十六条），申请期限已于 {} 届满",
                fmt_date(due)
            )));
        }
    }
    Ok(())
}

fn on_rereview_requested(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(facts::REREVIEWED.into(), "yes".into());
    let from = date_of(values, "rereview_requested_on").unwrap_or_else(|| ctx.today());
    let rule = DeadlineRule {
        period: Period::new(30, TimeUnit::CalendarDay),
        trigger: "收到复核请求".into(),
        source: "信访工作条例第三十六条（复核机关自收到复核请求之日起三十日内提出复核意见）".into(),
    };
    case.clocks.put(Clock::start(REREVIEW, "复核期限", ClockClass::Statutory, rule, from, ctx.calendar));
    Ok(())
}

fn on_rereview_decided(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let decided = date_of(values, "rereview_decided_on").unwrap_or_else(|| ctx.today());
    stop_at(case, REREVIEW, decided);
    if values.str("rereview_result") == Some("revoked") {
        reopen(case, "复核撤销后重新办理", ctx);
    } else {
        case.data.insert(facts::FINAL.into(), "yes".into());
    }
    Ok(())
}

/// A concluded matter stays open to 复查 (or a 复查 opinion to 复核) for 30 days: it is archived
/// only after that window.
fn archive_holds(case: &CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let window = match case.state.as_str() {
        "concluded" => data_date(case, "served_on")
            .map(|d| (thirty_days(ctx.calendar, d, "信访工作条例第三十五条", "收到书面答复"), "复查", "第三十五条")),
        "reviewed" => data_date(case, "review_served_on")
            .map(|d| (thirty_days(ctx.calendar, d, "信访工作条例第三十六条", "收到复查意见"), "复核", "第三十六条")),
        _ => None,
    };
    if let Some((due, what, art)) = window
        && ctx.today() <= due
    {
        return Err(Refusal::new(format!(
            "信访人可在 {} 前申请{what}（《信访工作条例》{art}），期限届满后方可归档",
            fmt_date(due)
        )));
    }
    Ok(())
}

/// Links an earlier petition on the same matter (the clerk's link at intake): when that one's
/// 复核 is concluded, this one can no longer be accepted (第三十六条第三款).
pub fn note_same_matter(case: &mut CaseRecord, earlier: &CaseRecord) {
    if earlier.kind == SLUG && earlier.data_str(facts::FINAL) == Some("yes") {
        case.data.insert(facts::SAME_MATTER_FINAL.into(), earlier.receipt_no.clone().into());
    }
}

/// The workflow table of `petition`.
pub fn workflow(settings: &Settings) -> Workflow {
    use Phase::*;
    use Waiting as W;
    let limits = &settings.limits;
    let state = |code, label, phase, waiting| StateDef { code, label, phase, waiting };
    let to = |s: &'static str| Target::State { state: s };
    let long = |max| FieldKind::LongText { max };
    let text = |max| FieldKind::Text { max };
    let clerk = [Role::IntakeClerk];
    let handler = [Role::Handler];
    let leader = [Role::Leader];
    // The 复查/复核 body is one level up (the district): its opinion is recorded by the town's desk
    // or by the district's own user.
    let higher = [Role::IntakeClerk, Role::District];
    let revoked = |field, otherwise| Target::ByChoice { field, map: vec![("revoked", "handling")], otherwise };
    Workflow {
        states: vec![
            state("registered", "待受理", Open, W::Intake),
            state("handling", "办理中", Open, W::Unit),
            state("extension_requested", "延期待审批", Open, W::Leader),
            state("concluded", "已办结", Closed, W::Nobody),
            state("review", "复查中", Open, W::Nobody),
            state("reviewed", "已复查", Closed, W::Nobody),
            state("rereview", "复核中", Open, W::Nobody),
            state("final", "复核终结", Closed, W::Nobody),
            state("redirected", "已引导依法定途径", Closed, W::Nobody),
            state("not_accepted", "不予受理", Closed, W::Nobody),
            state(MERGED, "已合并", Closed, W::Nobody),
            state("archived", "已归档", Archived, W::Nobody),
        ],
        open: ActionDef::new("open", "信访登记", &[], to("registered"))
            .roles(&clerk)
            .fields(vec![
                FieldDef::new("title", "信访事项", text(limits.title))
                    .required()
                    .help("检举控告类请勿在标题中写入检举控告人的信息"),
                FieldDef::new("content", "信访请求、事实和理由", long(limits.long_text)).required(),
                FieldDef::new("category", "信访类别", FieldKind::Choice { options: choices(&CATEGORIES) })
                    .required()
                    .help("《信访工作条例》第二十九条至第三十一条"),
                FieldDef::new("channel", "信访渠道", FieldKind::Choice { options: choices(&CHANNELS) }).required(),
                FieldDef::new("party_name", "信访人姓名（名称）", text(limits.short_text)).required(),
                FieldDef::new("party_phone", "联系电话", FieldKind::Phone),
                FieldDef::new("party_idcard", "身份证号码", FieldKind::IdCard)
                    .help("选填；加密保存，页面只显示前4位和后4位"),
                FieldDef::new("party_address", "住址", text(limits.short_text)),
                FieldDef::new("accused_unit", "被检举控告单位", FieldKind::Unit { kinds: vec![] })
                    .help("检举控告类必填：该单位及其下属单位的人员看不到信访人的身份和检举控告材料（第三十条）"),
                FieldDef::new("accused_persons", "被检举控告人", text(limits.short_text)),
                shared::accused_users_field(),
                FieldDef::new("received_on", "收到日期", FieldKind::Date)
                    .help("来信等非当日收到的填写收到之日；受理告知期限自该日起算"),
            ])
            .guard(registration_rule)
            .effects(vec![Effect::Record, Effect::Custom { apply: on_register }]),
        actions: vec![
            ActionDef::new("accept", "受理", &["registered"], to("handling"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new(
                        "unit",
                        "承办单位",
                        FieldKind::Unit { kinds: vec![UnitKind::Department, UnitKind::Village, UnitKind::Community] },
                    )
                    .required(),
                    FieldDef::new("notified_on", "书面告知日期", FieldKind::Date)
                        .required()
                        .help("《信访工作条例》第二十三条：十五日内书面告知信访人是否受理"),
                    FieldDef::new("notice_method", "告知方式", FieldKind::Choice { options: choices(&NOTICE_METHODS) })
                        .required(),
                    FieldDef::new("route_checked", "已按第三十一条审查", FieldKind::Bool)
                        .help("申诉求决类必填：确认不属于应通过诉讼、仲裁、复议等法定途径解决的事项"),
                ])
                .guard(acceptance_holds)
                .effects(vec![Effect::AssignUnit { field: "unit" }, Effect::Custom { apply: on_accept }]),
            ActionDef::new("redirect", "引导依法定途径", &["registered"], to("redirected"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new("route", "法定途径", FieldKind::Choice { options: choices(&ROUTES) }).required(),
                    FieldDef::new("notified_on", "书面告知日期", FieldKind::Date).required(),
                    FieldDef::new("notice", "告知的途径和程序", long(limits.long_text)).required(),
                ])
                .guard(redirect_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: stop_acceptance }]),
            ActionDef::new("not_accept", "不予受理", &["registered"], to("not_accepted"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new(
                        "not_accepted_reason",
                        "不予受理理由",
                        FieldKind::Choice { options: choices(&NOT_ACCEPTED) },
                    )
                    .required(),
                    FieldDef::new("notified_on", "书面告知日期", FieldKind::Date),
                    FieldDef::new("note", "说明", long(limits.long_text)),
                ])
                .guard(not_accept_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: stop_acceptance }]),
            ActionDef::new("progress", "办理记录", &["handling"], Target::Stay)
                .roles(&handler)
                .fields(vec![FieldDef::new("note", "办理情况", long(limits.long_text)).required()]),
            ActionDef::new("request_extension", "申请延期", &["handling"], to("extension_requested"))
                .roles(&handler)
                .fields(vec![
                    FieldDef::new("extension_days", "延长天数", FieldKind::Integer { min: 1, max: 30 }).required(),
                    FieldDef::new("extension_reason", "延期理由", long(limits.long_text)).required(),
                ])
                .guard(extension_within_limit)
                .effects(vec![Effect::Custom { apply: record_extension_request }]),
            ActionDef::new("approve_extension", "批准延期", &["extension_requested"], to("handling"))
                .roles(&leader)
                .fields(vec![
                    FieldDef::new("notified", "已告知信访人延期理由", FieldKind::Bool).required(),
                    FieldDef::new("note", "审批意见", long(limits.long_text)),
                ])
                .guard(notice_given)
                .effects(vec![
                    Effect::ExtendClock {
                        code: CONCLUDE,
                        source: "信访工作条例第三十四条",
                        reason_field: "extension_reason",
                        period: requested_extension,
                    },
                    Effect::Custom { apply: on_extension_approved },
                ]),
            ActionDef::new("reject_extension", "驳回延期", &["extension_requested"], to("handling"))
                .roles(&leader)
                .fields(vec![FieldDef::new("note", "驳回理由", long(limits.long_text)).required()])
                .effects(vec![Effect::Custom { apply: on_extension_rejected }]),
            ActionDef::new("conclude", "出具信访处理意见书", &["handling"], to("concluded"))
                .roles(&handler)
                .fields(vec![
                    FieldDef::new("request", "信访人的请求", long(limits.long_text)).required(),
                    FieldDef::new("facts_reasons", "事实和理由", long(limits.long_text)).required(),
                    FieldDef::new("reply", "处理意见", long(limits.long_text)).required(),
                    FieldDef::new("basis", "依据", long(limits.long_text)).required(),
                    FieldDef::new("outcome", "处理结果", FieldKind::Choice { options: choices(&OUTCOMES) })
                        .required()
                        .help("《信访工作条例》第三十二条"),
                    FieldDef::new("served_on", "送达日期", FieldKind::Date).required(),
                ])
                .guard(opinion_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_conclude }])
                .confirm("意见书送达后信访人可在30日内申请复查，确认出具？"),
            ActionDef::new("reply", "办结答复", &["handling"], to("concluded"))
                .roles(&handler)
                .fields(vec![
                    FieldDef::new("reply", "答复意见", long(limits.long_text)).required(),
                    FieldDef::new("served_on", "送达日期", FieldKind::Date).required(),
                ])
                .guard(reply_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_conclude }]),
            ActionDef::new("rate", "信访人评价", &["concluded", "reviewed", "final"], Target::Stay)
                .roles(&clerk)
                .public()
                .fields(vec![
                    FieldDef::new("result", "评价", FieldKind::Choice { options: choices(&RATINGS) })
                        .required()
                        .help("《信访工作条例》第二十一条"),
                    FieldDef::new("note", "意见", long(500)),
                ])
                .effects(vec![Effect::Custom { apply: on_rate }]),
            ActionDef::new("request_review", "申请复查", &["concluded"], to("review"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new("review_requested_on", "复查申请日期", FieldKind::Date).required(),
                    FieldDef::new("review_body", "复查机关", text(limits.short_text)).required(),
                    FieldDef::new("review_reason", "复查理由", long(limits.long_text)).required(),
                ])
                .guard(review_request_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_review_requested }]),
            ActionDef::new("review_decide", "复查意见", &["review"], revoked("review_result", "reviewed"))
                .roles(&higher)
                .fields(vec![
                    FieldDef::new("review_result", "复查结果", FieldKind::Choice { options: choices(&REVIEW_RESULTS) })
                        .required(),
                    FieldDef::new("review_opinion", "复查意见", long(limits.long_text)).required(),
                    FieldDef::new("review_decided_on", "复查意见作出日期", FieldKind::Date).required(),
                    FieldDef::new("review_served_on", "复查意见送达日期", FieldKind::Date).required(),
                ])
                .guard(review_decision_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_review_decided }]),
            ActionDef::new("request_rereview", "申请复核", &["reviewed"], to("rereview"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new("rereview_requested_on", "复核申请日期", FieldKind::Date).required(),
                    FieldDef::new("rereview_body", "复核机关", text(limits.short_text)).required(),
                    FieldDef::new("rereview_reason", "复核理由", long(limits.long_text)).required(),
                ])
                .guard(rereview_request_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_rereview_requested }]),
            ActionDef::new("rereview_decide", "复核意见", &["rereview"], revoked("rereview_result", "final"))
                .roles(&higher)
                .fields(vec![
                    FieldDef::new(
                        "rereview_result",
                        "复核结果",
                        FieldKind::Choice { options: choices(&REVIEW_RESULTS) },
                    )
                    .required(),
                    FieldDef::new("rereview_opinion", "复核意见", long(limits.long_text)).required(),
                    FieldDef::new("rereview_decided_on", "复核意见作出日期", FieldKind::Date).required(),
                    FieldDef::new("rereview_served_on", "复核意见送达日期", FieldKind::Date).required(),
                ])
                .guard(rereview_decision_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_rereview_decided }])
                .confirm("复核意见作出后，信访人以同一事实和理由再提出的，不再受理（第三十六条第三款），确认？"),
            ActionDef::new("supervise", "督办", &["registered", "handling", "extension_requested"], Target::Stay)
                .roles(&leader)
                .fields(vec![FieldDef::new("note", "督办意见", long(limits.long_text)).required()]),
            shared::merge_action(&["registered", "handling"], &clerk, settings),
            shared::name_accused_action(&ALL_STATES, &higher, settings),
            ActionDef::new(
                "archive",
                "归档",
                &["concluded", "reviewed", "final", "redirected", "not_accepted", MERGED],
                to("archived"),
            )
            .roles(&clerk)
            .guard(archive_holds)
            .confirm("归档后信访事项不能再办理，确认归档？"),
        ],
    }
}

/// The kind.
pub fn kind(settings: &Settings) -> KindDef {
    KindDef {
        slug: SLUG,
        label: "信访事项",
        receipt_code: "XF",
        workflow: workflow(settings),
        search_fields: vec![facts::SEARCHABLE, "accused_persons"],
    }
}

/// The figures of petitions.
pub fn metrics(settings: &Settings) -> Vec<MetricDef> {
    use Cond::*;
    let yes = |key| DataEq { key, value: "yes".into() };
    let accepted = || vec![OpenedIn, yes(COUNTED), yes(facts::ACCEPTED)];
    let with = |extra: Vec<Cond>| CaseSet { kind: SLUG, conds: accepted().into_iter().chain(extra).collect() };
    let claim = || DataEq { key: facts::CATEGORY, value: "claim".into() };
    let satisfied: Vec<String> = if settings.petition.satisfied_includes_basic {
        vec!["satisfied".into(), "basic".into()]
    } else {
        vec!["satisfied".into()]
    };
    let satisfied_words = if settings.petition.satisfied_includes_basic { "满意或基本满意" } else { "满意" };
    let m = |code, name, unit, formula: &str, measure| MetricDef { code, name, unit, formula: formula.into(), measure };
    vec![
        m(
            "petition.accepted",
            "受理数",
            MetricUnit::Cases,
            "期间内登记并受理的信访事项数",
            Measure::Count { set: with(vec![]) },
        ),
        m(
            "petition.concluded",
            "办结数",
            MetricUnit::Cases,
            "受理的信访事项中已出具处理意见书或办结答复的数量",
            Measure::Count { set: with(vec![yes(facts::CONCLUDED)]) },
        ),
        m(
            "petition.on_time",
            "按期办结数",
            MetricUnit::Cases,
            "办结的信访事项中每次办结均未超过办理期限（含批准延期）的数量",
            Measure::Count { set: with(vec![yes(facts::CONCLUDED), yes(facts::ON_TIME)]) },
        ),
        m(
            "petition.on_time_rate",
            "按期办结率",
            MetricUnit::Rate,
            "按期办结数 ÷ 办结数",
            Measure::Ratio { num: "petition.on_time", den: "petition.concluded" },
        ),
        m(
            "petition.claims_concluded",
            "求决类办结数",
            MetricUnit::Cases,
            "办结的申诉求决类信访事项数",
            Measure::Count { set: with(vec![claim(), yes(facts::CONCLUDED)]) },
        ),
        m(
            "petition.one_time",
            "求决类一次性化解数",
            MetricUnit::Cases,
            "办结的申诉求决类信访事项中，首次办理即办结、未经复查复核、未被重新办理的数量",
            Measure::Count { set: with(vec![claim(), yes(facts::CONCLUDED), yes(facts::ONE_TIME)]) },
        ),
        m(
            "petition.one_time_rate",
            "求决类一次性化解率",
            MetricUnit::Rate,
            "求决类一次性化解数 ÷ 求决类办结数",
            Measure::Ratio { num: "petition.one_time", den: "petition.claims_concluded" },
        ),
        m(
            "petition.rated",
            "评价数",
            MetricUnit::Cases,
            "受理的信访事项中信访人作出评价的数量（《信访工作条例》第二十一条）",
            Measure::Count {
                set: with(vec![DataIn {
                    key: facts::SATISFACTION,
                    values: RATINGS.iter().map(|(c, _)| (*c).to_string()).collect(),
                }]),
            },
        ),
        m(
            "petition.satisfied",
            "满意数",
            MetricUnit::Cases,
            &format!("信访人最近一次评价为{satisfied_words}的数量"),
            Measure::Count { set: with(vec![DataIn { key: facts::SATISFACTION, values: satisfied }]) },
        ),
        m(
            "petition.satisfaction_rate",
            "满意率",
            MetricUnit::Rate,
            "满意数 ÷ 评价数",
            Measure::Ratio { num: "petition.satisfied", den: "petition.rated" },
        ),
        m(
            "petition.reviews",
            "复查数",
            MetricUnit::Cases,
            "受理的信访事项中信访人申请复查的数量",
            Measure::Count { set: with(vec![yes(facts::REVIEWED)]) },
        ),
        m(
            "petition.rereviews",
            "复核数",
            MetricUnit::Cases,
            "受理的信访事项中信访人申请复核的数量",
            Measure::Count { set: with(vec![yes(facts::REREVIEWED)]) },
        ),
    ]
}
