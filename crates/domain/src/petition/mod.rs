//! `petition` — 信访事项, under the 《信访工作条例》 (2022). Articles below are its articles.
//!
//! **Registration** (channel, category per 第二十九条至第三十一条, the petitioner, the day it was
//! received) starts the 15-day clock to decide on acceptance and tell the petitioner in writing
//! (第二十三条第二款). A matter transferred or assigned in by a 信访部门 or a higher body records
//! that body, and a second clock runs: 5 working days to object that it is outside this body's
//! remit (第二十三条第三款).
//!
//! **What happens to it at the desk** (each stops the 15-day clock on its notice date):
//! - 受理 to a handling unit, on the 受理日期 recorded — the 60-day 办结 clock of 第三十四条 runs
//!   from that day (自受理之日起), never from the day it was typed in;
//! - 转送 to the body with power to handle it, or 交办 to a lower body, telling the petitioner where
//!   it went (告知去向, 第二十三条第一款);
//! - 提出异议 for a matter transferred in: outside the remit, with reasons (第二十三条第三款); made
//!   after the 5 working days it is recorded and flagged late, not refused; the transferring body
//!   agrees (材料交还) or not (handled here);
//! - 移送纪检监察机关 for a 检举控告类 matter (第二十二条、第三十条) — the only route when the town
//!   itself is accused, since no unit of the town may handle it;
//! - 引导依法定途径 for a 申诉求决类 matter belonging to litigation, arbitration, party appeals or an
//!   administrative procedure (第三十一条第一项至第四项) — also once found so while it is handled,
//!   which stops the 办结 clock with the route recorded — or 不予受理 on a ground the 条例 names
//!   (第十九条第三款, 第二十三条第一款, 第三十六条第三款). Unclear content or an anonymous or
//!   unreachable petitioner is no ground: such a matter is registered and handled, only the written
//!   notice is excused (第二十三条第二款 "但信访人的姓名（名称）、住址不清的除外"). The notices
//!   第二十三条第二款 requires in writing cannot be given by text message.
//!
//! **Handling**: a 申诉求决类 matter that asks a body to perform a statutory duty (查处违法行为、
//! 保护人身权或者财产权, 第三十一条第五项) is accepted as such and concluded by performing the
//! duty or answering (履行职责或答复) — it is not a redirect, and no 信访处理意见书 follows; the
//! other 申诉求决类 matters end with a 信访处理意见书 with 支持 / 解释说明 / 不予支持 (第三十一条
//! 第六项、第三十二条); 建议意见类 and 检举控告类 with a reply. A 第三十一条第六项 matter is
//! concluded within 60 days of acceptance, extended by at most 30 days with the head's approval
//! while the period still runs, the petitioner told of the extension and why, on a recorded date
//! and by a recorded method (第三十四条); the other matters run on the town's configured target.
//!
//! **Review**: only a 信访处理意见 is reviewed (第三十五条): 复查 requested within 30 days of the
//! written reply and answered in writing within 30 days of the day the 复查 body received the
//! request (第三十五条) → 复核 likewise, the days of a hearing held within the period not counted
//! (第三十六条第二款), after which the same matter is not accepted again (第三十六条
//! 第三款). A request made after its 30 days is recorded and flagged for the deciding body, which
//! may decide 逾期不予受理; an answer given after its 30 days is recorded and flagged late.
//! → the petitioner's evaluation (第二十一条) → 归档.
//!
//! Every clock moves on the day its legal event happened as recorded (rules.md §0).
//!
//! 检举控告类 (第三十条): the accuser's identity and material are never given to the unit accused.
//! The case is marked at registration ([`crate::workflow::shared::mark_confidential`]) with the
//! accused unit and the accused staff users; the store then leaves the case out of every read of
//! the accused unit's subtree and of those users, and the table refuses to hand the matter to
//! that unit.
//!
//! Articles re-read against the text (LawRefBook/Laws `行政法规/信访工作条例.md`) for the statute
//! review: 第十九条, 第二十二条, 第二十三条, 第三十一条, 第三十四条, 第三十五条, 第三十六条.
//! Readings not in rules.md:
//! 第三十五条 "提出复查意见，并予以书面答复" within 30 days — the 复查 clock stops on the day the
//! written answer was served; 第三十六条 "提出复核意见" within 30 days — the 复核 clock stops on the
//! day the opinion was made; 第四十七条 (劝阻、批评、教育) in `visit`.

mod settings;
#[cfg(test)]
mod tests;

pub use settings::PetitionSettings;

use time::Date;

use crate::calendar::Calendar;
use crate::case::{CaseRecord, Clock, ClockClass, Phase};
use crate::deadline::{self, DeadlineRule, Period, Suspension, TimeUnit};
use crate::kinds::{
    Capabilities, ExportColumn, KindDef, PaperBlock, PartyFields, Printable, ReportClause, Section, Summary, Wording,
};
use crate::metric::{CaseSet, Cond, Measure, MetricDef, MetricUnit};
use crate::role::Role;
use crate::settings::Settings;
use crate::time_util::{fmt_date, local_date_ms, parse_date};
use crate::unit::UnitKind;
use crate::workflow::shared::{self, COUNTED, MERGED, choices, keep};
use crate::workflow::{
    ActCtx, ActionDef, ActionTag, Effect, FieldDef, FieldKind, Refusal, StateDef, Target, Value, Values, Waiting,
    Workflow,
};

pub const SLUG: &str = "petition";

/// Deciding on acceptance and telling the petitioner in writing (第二十三条).
pub const ACCEPT: &str = "accept";
/// Objecting to a matter transferred or assigned in (第二十三条第三款).
pub const OBJECTION: &str = "objection";
/// Concluding after acceptance (第三十四条).
pub const CONCLUDE: &str = "conclude";
/// The conclusion clock's due date and whether it was met, mirrored into the data by the engine
/// ([`crate::workflow::clock_facts`]).
const CONCLUDE_DUE: &str = "due_conclude";
const CONCLUDE_MET: &str = "met_conclude";
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
    /// What the desk did with it: accepted, redirected, not_accepted, transferred (转送), assigned
    /// (交办), to_discipline (移送纪检监察机关), objected (异议, pending), handed_back (异议获同意).
    pub const DISPOSAL: &str = "disposal";
    /// 申诉求决类 accepted: "duty" (第三十一条第五项, performed or answered) or "opinion"
    /// (第三十一条第六项, a 信访处理意见书).
    pub const CLAIM_ROUTE: &str = "claim_route";
    /// How it was concluded: "opinion" (信访处理意见书), "reply" (建议意见类、检举控告类), "duty"
    /// (履行职责或答复). Only an opinion is open to 复查 (第三十五条).
    pub const CONCLUSION: &str = "conclusion";
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
    /// The body that transferred or assigned the matter in (第二十三条第三款), as registered.
    pub const TRANSFERRED_FROM: &str = "transferred_from";
    /// "yes": the objection was raised after its 5 working days (第二十三条第三款).
    pub const OBJECTION_LATE: &str = "objection_late";
    /// "yes": 复查 was requested after its 30 days (第三十五条), for the 复查 body to decide on.
    pub const REVIEW_REQUEST_LATE: &str = "review_request_late";
    /// "yes": 复核 was requested after its 30 days (第三十六条), for the 复核 body to decide on.
    pub const REREVIEW_REQUEST_LATE: &str = "rereview_request_late";
    /// "yes": the 复查 body answered in writing after its 30 days (第三十五条).
    pub const REVIEW_ANSWER_LATE: &str = "review_answer_late";
    /// "yes": the 复核 body gave its opinion after its 30 days, hearing days excluded (第三十六条).
    pub const REREVIEW_ANSWER_LATE: &str = "rereview_answer_late";
    /// "yes": the accused unit is the town itself — no unit of the town may handle it (第三十条),
    /// it goes to the 纪检监察机关 (第二十二条).
    pub const ACCUSED_IS_TOWN: &str = "accused_is_town";
}

/// 第二十九条至第三十一条.
pub const CATEGORIES: [(&str, &str); 3] =
    [("suggestion", "建议意见类"), ("accusation", "检举控告类"), ("claim", "申诉求决类")];

/// 第十七条: the channels petitions come by.
pub const CHANNELS: [(&str, &str); 6] = [
    ("online", "网上信访"),
    ("letter", "来信"),
    ("phone", "来电"),
    ("walk_in", "来访"),
    ("fax", "传真"),
    ("other", "其他"),
];

/// 第三十一条(一)至(四): the statutory procedures a 申诉求决类 matter is guided to. (五) — a duty to
/// perform or answer — is not a redirect: the matter is accepted and the duty performed.
pub const ROUTES: [(&str, &str); 4] = [
    (
        "litigation",
        "应当通过审判机关诉讼程序或者复议程序、检察机关刑事立案程序或者法律监督程序、公安机关法律程序处理的（第三十一条第一项）",
    ),
    ("arbitration", "应当通过仲裁解决的（第三十一条第二项）"),
    ("party_appeal", "可以通过党员申诉、申请复审等解决的（第三十一条第三项）"),
    ("administrative", "可以通过行政复议、行政裁决、行政确认、行政许可、行政处罚等行政程序解决的（第三十一条第四项）"),
];

/// The grounds the 条例 names for not accepting a matter. Each is a ground of its own article; a
/// petition whose content is unclear, or whose petitioner gave no (or an unclear) name or address,
/// is NOT among them: 第十九条 asks the petitioner to state name, address, request, facts and
/// reasons only "一般应当", an oral petition is recorded by the body (第十九条第一款), and
/// 第二十三条第二款 excuses only the written notice when name or address is unclear ("但信访人的
/// 姓名（名称）、住址不清的除外") — the matter is still registered and handled (not registering
/// or not accepting a matter within the body's remit is sanctioned by 第四十四条).
const NOT_ACCEPTED: [(&str, &str); 3] = [
    ("final", "同一信访事项已经复核终结，信访人仍以同一事实和理由提出（第三十六条第三款）"),
    // The code says "pending" for "being accepted or handled" below: a named ground, not 待定.
    ("pending", "同一信访事项已经受理或者正在办理，信访人在规定期限内向其上级机关、单位又提出（第十九条第三款）"),
    ("outside", "不属于本机关、单位或者本系统职权范围，已告知信访人向有权处理的机关、单位提出（第二十三条第一款）"),
];

/// How a petitioner is told where 第二十三条第二款 says "书面告知" (acceptance, where the matter went,
/// not accepted): a written notice handed over, posted, or served through the 信访信息系统 (第二十一条).
/// A text message is not a written notice and is not offered here.
const WRITTEN_NOTICE_METHODS: [(&str, &str); 3] =
    [("onsite", "当场书面告知"), ("mail", "邮寄书面告知"), ("system", "通过信访信息系统送达书面告知")];

/// How a petitioner is told where the 条例 does not say 书面: the extension and its reasons
/// (第三十四条 "告知信访人延期理由"), and a 检举控告 sent to the 纪检监察机关 (第二十三条第四款:
/// "按照有关规定执行").
const NOTICE_METHODS: [(&str, &str); 4] =
    [("onsite", "当场书面告知"), ("mail", "邮寄书面告知"), ("system", "信访信息系统告知"), ("sms", "短信告知")];

/// 第二十三条第一款 (a body other than a 信访部门): a matter within the remit of a lower body of
/// its system is 转送 or 交办 to the body with power to handle it, the petitioner told where it
/// went; 第二十二条 (a 信访部门): 转送 to the body with power to handle it (第一款第一项、第二项),
/// or 交由 it with a time limit to report the result (交办, 第一款第三项). Either way the
/// petitioner's written notice falls within 15 days of receipt (第二十三条第二款; the 15 days of
/// 第二十二条 for the 信访部门 to transfer), the acceptance clock.
const TRANSFER_MODES: [(&str, &str); 2] = [
    ("transferred", "转送有权处理的机关、单位（第二十二条第一款第一项、第二项，第二十三条第一款）"),
    ("assigned", "交办有权处理的机关、单位，要求在指定期限内反馈结果（第二十二条第一款第三项，第二十三条第一款）"),
];

const OBJECTION_RESULTS: [(&str, &str); 2] =
    [("agreed", "转送、交办机关核实同意，交还材料"), ("not_agreed", "未获同意，由本机关办理")];

/// 第三十一条第五项: the duty performed, or the petitioner answered.
const DUTY_RESULTS: [(&str, &str); 2] = [("performed", "已依法履行职责"), ("answered", "已依法作出答复")];

/// 第三十二条.
pub const OUTCOMES: [(&str, &str); 3] = [("support", "支持"), ("explain", "解释说明"), ("not_supported", "不予支持")];

const RATINGS: [(&str, &str); 3] = [("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")];

/// A request made after its 30 days is recorded; the deciding body may decide not to accept it.
const REVIEW_RESULTS: [(&str, &str); 4] =
    [("upheld", "维持"), ("changed", "变更"), ("revoked", "撤销并责令重新办理"), ("late_rejected", "逾期不予受理")];

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

fn is_duty(case: &CaseRecord) -> bool {
    case.data_str(facts::CLAIM_ROUTE) == Some("duty")
}

/// How the case was last concluded; cases concluded before the fact was kept are read from what
/// they recorded (an outcome of 第三十二条 is an opinion).
fn conclusion(case: &CaseRecord) -> Option<&str> {
    case.data_str(facts::CONCLUSION).or_else(|| {
        (case.data_str(facts::CONCLUDED) == Some("yes"))
            .then(|| if is_claim(case) && case.data.contains_key("outcome") { "opinion" } else { "reply" })
    })
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

/// Whether `unit` is the town (街道) itself: the root of the tenant's units.
fn is_town(unit: &crate::unit::Unit) -> bool {
    unit.parent_id.is_none() || unit.kind == UnitKind::Town
}

/// 检举控告类 names the accused unit; the other categories do not.
fn registration_rule(_: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let accusation = values.str("category") == Some("accusation");
    if !accusation && !values.users(shared::ACCUSED_USERS).is_empty() {
        return Err(Refusal::new("只有检举控告类信访事项填写被检举控告的工作人员"));
    }
    match (accusation, values.unit("accused_unit")) {
        (true, None) => {
            Err(Refusal::new("检举控告类信访事项须填写被检举控告单位，以便依《信访工作条例》第三十条对其保密"))
        }
        (false, Some(_)) => Err(Refusal::new("只有检举控告类信访事项填写被检举控告单位")),
        _ => Ok(()),
    }
}

/// The rule of the clock to decide on acceptance (第二十三条第二款; 第三款 for a matter
/// transferred or assigned in).
fn acceptance_rule(transferred_in: bool) -> DeadlineRule {
    if transferred_in {
        DeadlineRule {
            period: Period::new(15, TimeUnit::CalendarDay),
            trigger: "收到转送、交办的信访事项".into(),
            source: "信访工作条例第二十三条第三款（十五日内书面告知信访人接收情况以及处理途径和程序）".into(),
        }
    } else {
        DeadlineRule {
            period: Period::new(15, TimeUnit::CalendarDay),
            trigger: "收到信访事项".into(),
            source: "信访工作条例第二十三条（十五日内书面告知信访人是否受理）".into(),
        }
    }
}

/// 第二十三条第三款: 5 working days to object to a matter transferred or assigned in.
fn objection_rule() -> DeadlineRule {
    DeadlineRule {
        period: Period::new(5, TimeUnit::WorkingDay),
        trigger: "收到转送、交办的信访事项".into(),
        source: "信访工作条例第二十三条第三款（不属于本机关职权范围的，五个工作日内提出异议）".into(),
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
            if ctx.units.unit(&unit).is_some_and(is_town) {
                shared::flag(
                    case,
                    facts::ACCUSED_IS_TOWN,
                    "被检举控告的是本镇（街道）：本镇（街道）任何单位不得办理（《信访工作条例》第三十条），应移送纪检监察机关（第二十二条）",
                );
            }
        }
    } else {
        let who = values.str("party_name").unwrap_or("");
        let what = values.str("content").unwrap_or("");
        case.data.insert(facts::SEARCHABLE.into(), format!("{who} {what}").into());
    }
    // Both clocks run from the day the matter was received as recorded (自收到之日起).
    let from = ctx.on();
    let transferred_in = values.str(facts::TRANSFERRED_FROM).is_some();
    let rule = acceptance_rule(transferred_in);
    case.clocks.put(Clock::start(ACCEPT, "受理告知期限", ClockClass::Statutory, rule, from, ctx.calendar));
    if transferred_in {
        case.clocks.put(Clock::start(
            OBJECTION,
            "提出异议期限",
            ClockClass::Statutory,
            objection_rule(),
            from,
            ctx.calendar,
        ));
    }
    Ok(())
}

/// The conclusion clock. 第三十四条 binds only "本条例第三十一条第六项规定的信访事项": a
/// 申诉求决类 matter handled by this body with a 信访处理意见书 gets the statutory 60 days. A duty
/// performed or answered under 第三十一条第五项 is not such a matter (its time limit is the one of
/// the law that sets the duty), nor is a 建议意见类 or 检举控告类 matter: those run on the town's
/// own target. Matters of 第三十一条第一项至第四项 are guided out (导入相应程序) and get no clock.
/// Started on the action's date: the 受理日期 recorded, or the day a 复查/复核 sent it back.
fn conclusion_clock(case: &CaseRecord, trigger: &str, ctx: &ActCtx<'_>) -> Clock {
    let (class, rule) = if is_claim(case) && !is_duty(case) {
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
                period: Period::new(
                    ctx.settings.of::<PetitionSettings>(SLUG).other_conclude_days,
                    TimeUnit::CalendarDay,
                ),
                trigger: trigger.into(),
                source: if is_claim(case) {
                    "本地配置 petition.other_conclude_days（第三十一条第五项依法履行职责或者答复，不适用第三十四条的六十日）"
                } else {
                    "本地配置 petition.other_conclude_days（建议意见类、检举控告类，参照信访工作条例第三十四条）"
                }
                .into(),
            },
        )
    };
    Clock::start(CONCLUDE, "办理期限", class, rule, ctx.on(), ctx.calendar)
}

fn stop_at(case: &mut CaseRecord, code: &str, on: Date) {
    if let Some(c) = case.clocks.get_mut(code)
        && c.is_running()
    {
        c.stop(on);
    }
}

/// The objection window ends when the desk disposes of the matter: no objection is then needed.
/// A window that had already lapsed closes on its last day (the right lapsed; nothing was late).
fn close_objection_window(case: &mut CaseRecord, on: Date) {
    if let Some(c) = case.clocks.get_mut(OBJECTION)
        && c.is_running()
    {
        let due = c.computed.due;
        c.stop(on.min(due));
    }
}

/// The written notice of 第二十三条 stops the 15-day clock on its date; the disposal is recorded.
fn dispose(case: &mut CaseRecord, disposal: &str, notified: Date, on: Date) {
    stop_at(case, ACCEPT, notified);
    close_objection_window(case, on);
    case.data.insert(facts::DISPOSAL.into(), disposal.into());
}

/// 第三十条: never to the accused unit; when the town itself is accused no unit of the town may
/// take it, and the route is the 纪检监察机关 (第二十二条).
fn not_to_the_accused(case: &CaseRecord, target: crate::ids::UnitId, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some((accused, _)) = shared::confidential(&case.data)
        && let (Some(a), Some(t)) = (ctx.units.unit(&accused), ctx.units.unit(&target))
        && is_town(a)
        && a.path.contains(&t.path)
    {
        return Err(Refusal::new(format!(
            "被检举控告的是本镇（街道）（{}），本镇（街道）任何单位都不得办理（《信访工作条例》第三十条），请选择“移送纪检监察机关”按管理权限处理（第二十二条）",
            a.name
        )));
    }
    shared::not_to_the_accused(case, target, ctx)
}

/// 改派 to another 承办单位 keeps 第三十条 as 受理 does: never to the accused unit.
fn reassign_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    match values.unit(shared::NEW_UNIT) {
        Some(target) => not_to_the_accused(case, target, ctx),
        None => Ok(()),
    }
}

/// 第三十六条第三款, the 申诉求决 routing of 第三十一条, the written notice of 第二十三条, and 第三十条.
fn acceptance_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(prior) = case.data_str(facts::SAME_MATTER_FINAL) {
        return Err(Refusal::new(format!(
            "同一信访事项（{prior}）已经复核终结，不再受理（《信访工作条例》第三十六条第三款），请选择“不予受理”"
        )));
    }
    let duty = matches!(values.get("duty"), Some(Value::Bool(true)));
    if is_claim(case) && !matches!(values.get("route_checked"), Some(Value::Bool(true))) {
        return Err(Refusal::new(
            "申诉求决类信访事项应先依《信访工作条例》第三十一条审查：属于诉讼、仲裁、复议等法定途径（第一项至第四项）的，请选择“引导依法定途径”；确认不属于的，请勾选“已按第三十一条审查”",
        ));
    }
    if duty && !is_claim(case) {
        return Err(Refusal::new("依法履行职责或者答复（《信访工作条例》第三十一条第五项）只适用于申诉求决类信访事项"));
    }
    written_notice_given(case, values, "受理", true)?;
    let accepted = ctx.on();
    past_date(date_of(values, "notified_on"), "书面告知日期", Some((accepted, "受理日期")), ctx)?;
    if let Some(unit) = values.unit("unit") {
        not_to_the_accused(case, unit, ctx)?;
    }
    Ok(())
}

fn on_accept(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let notified = date_of(values, "notified_on").unwrap_or_else(|| ctx.on());
    dispose(case, "accepted", notified, ctx.on());
    keep(case, values, &["accepted_on", "notified_on", "notice_method"]);
    case.data.insert(facts::ACCEPTED.into(), "yes".into());
    if is_claim(case) {
        let duty = matches!(values.get("duty"), Some(Value::Bool(true)));
        case.data.insert(facts::CLAIM_ROUTE.into(), if duty { "duty" } else { "opinion" }.into());
    }
    // 第三十四条: 自受理之日起 — the acceptance date recorded (ctx.on()), not the day of entry.
    let clock = conclusion_clock(case, "受理", ctx);
    case.clocks.put(clock);
    Ok(())
}

/// 第三十一条第一项至第四项: a 申诉求决类 matter for litigation, arbitration, party appeals or an
/// administrative procedure is guided there — at the desk, or once found so while being handled.
fn redirect_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if !is_claim(case) {
        return Err(Refusal::new("引导依法定途径（《信访工作条例》第三十一条）只适用于申诉求决类信访事项"));
    }
    let earliest = match data_date(case, "accepted_on") {
        Some(a) if case.state != "registered" => (a, "受理日期"),
        _ => (received_on(case), "收到日期"),
    };
    past_date(date_of(values, "notified_on"), "书面告知日期", Some(earliest), ctx)
}

/// 第二十三条第二款 "但信访人的姓名（名称）、住址不清的除外": the written notice is excused when
/// the petitioner gave no name or no address (an anonymous letter, say), never otherwise.
fn cannot_be_told(case: &CaseRecord) -> bool {
    let blank = |k: &str| case.data_str(k).is_none_or(|v| v.trim().is_empty());
    blank("party_name") || blank("party_address")
}

/// The written notice of 第二十三条第二款 and its method: both required, unless the petitioner's
/// name or address is unclear.
fn written_notice_given(case: &CaseRecord, values: &Values, what: &str, with_method: bool) -> Result<(), Refusal> {
    if cannot_be_told(case) {
        return Ok(());
    }
    if date_of(values, "notified_on").is_none() {
        return Err(Refusal::new(format!(
            "{what}应当书面告知信访人（《信访工作条例》第二十三条第二款），请填写书面告知日期；只有信访人姓名（名称）、住址不清的可以不告知"
        )));
    }
    if with_method && values.get("notice_method").is_none() {
        return Err(Refusal::new("请选择书面告知方式（《信访工作条例》第二十三条第二款）"));
    }
    Ok(())
}

fn not_accept_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    written_notice_given(case, values, "不予受理", false)?;
    past_date(date_of(values, "notified_on"), "书面告知日期", Some((received_on(case), "收到日期")), ctx)
}

/// Guided into the statutory procedure (导入相应程序): the route is recorded (the action's
/// `route`, by `Effect::Record`), and a 办结 clock started at acceptance stops that day — 第三十四条's 60 days bind only
/// a matter of 第三十一条第六项, and the matter leaves the figures of 应办结 (it is not concluded
/// here, nor late).
fn on_redirect(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    dispose(case, "redirected", ctx.on(), ctx.on());
    stop_at(case, CONCLUDE, ctx.on());
    Ok(())
}

fn on_not_accept(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    dispose(case, "not_accepted", ctx.on(), ctx.on());
    Ok(())
}

/// 第二十三条第一款: the petitioner is told where it went, in writing (第二款), on or after the day
/// it was sent.
fn transfer_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    written_notice_given(case, values, "转送、交办去向", true)?;
    past_date(date_of(values, "notified_on"), "告知去向日期", Some((ctx.on(), "转送（交办）日期")), ctx)
}

fn on_transfer(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let mode = values.str("transfer_mode").unwrap_or("transferred").to_string();
    let notified = date_of(values, "notified_on").unwrap_or_else(|| ctx.on());
    dispose(case, &mode, notified, ctx.on());
    Ok(())
}

/// Only a matter transferred or assigned in can be objected to (第二十三条第三款).
fn objection_holds(case: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if case.data_str(facts::TRANSFERRED_FROM).is_none() {
        return Err(Refusal::new(
            "只有信访部门或者上级机关、单位转送、交办的信访事项才能提出异议（《信访工作条例》第二十三条第三款）；直接收到的不属于本机关职权范围的，请选择“不予受理”并告知向有权机关提出",
        ));
    }
    Ok(())
}

/// Recorded whenever it is made; made after the 5 working days it is flagged late.
fn on_object(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let on = ctx.on();
    stop_at(case, OBJECTION, on);
    case.data.insert(facts::DISPOSAL.into(), "objected".into());
    if let Some(c) = case.clocks.get(OBJECTION)
        && c.met == Some(false)
    {
        let due = fmt_date(c.computed.due);
        shared::flag(
            case,
            facts::OBJECTION_LATE,
            format!(
                "异议于 {} 提出，超过收到之日起5个工作日的期限（{due} 届满，《信访工作条例》第二十三条第三款）",
                fmt_date(on)
            ),
        );
    }
    Ok(())
}

fn on_objection_result(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if values.str("objection_result") == Some("agreed") {
        case.data.insert(facts::DISPOSAL.into(), "handed_back".into());
        return shared::stop_running_clocks(case, values, ctx);
    }
    case.data.remove(facts::DISPOSAL);
    Ok(())
}

/// 第二十二条、第三十条: a 检举控告类 matter goes to the 纪检监察机关 by management authority.
fn discipline_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if category(case) != "accusation" {
        return Err(Refusal::new("移送纪检监察机关（《信访工作条例》第二十二条、第三十条）只适用于检举控告类信访事项"));
    }
    let notified = date_of(values, "notified_on");
    if notified.is_some() && values.str("notice_method").is_none() {
        return Err(Refusal::new("已告知检举控告人的，请选择告知方式"));
    }
    past_date(notified, "告知日期", Some((ctx.on(), "移送日期")), ctx)
}

fn on_discipline(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let notified = date_of(values, "notified_on").unwrap_or_else(|| ctx.on());
    dispose(case, "to_discipline", notified, ctx.on());
    Ok(())
}

/// 第三十四条: extended by at most 30 days in all, and only while the period still runs.
fn extension_request_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let so_far = case.data_i64(facts::EXTENDED_DAYS).unwrap_or(0);
    let asked = values.int("extension_days").unwrap_or(0);
    if so_far + asked > 30 {
        return Err(Refusal::new(format!(
            "延长办理期限累计不得超过30日（《信访工作条例》第三十四条），已延长{so_far}日，本次最多可申请{}日",
            30 - so_far
        )));
    }
    shared::period_still_running(case, CONCLUDE, ctx, "《信访工作条例》第三十四条")
}

fn record_extension_request(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    keep(case, values, &["extension_days", "extension_reason"]);
    Ok(())
}

/// 第三十四条: the petitioner is told of the extension and why — when and how is recorded.
fn extension_notice_holds(_: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    past_date(date_of(values, "extension_notified_on"), "延期告知日期", Some((ctx.on(), "批准日期")), ctx)
}

fn requested_extension(case: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<Period, Refusal> {
    let days =
        case.data_i64("extension_days").filter(|d| *d > 0).ok_or_else(|| Refusal::new("没有待审批的延期申请"))?;
    Ok(Period::new(u32::try_from(days).unwrap_or(1), TimeUnit::CalendarDay))
}

fn on_extension_approved(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let days = case.data_i64("extension_days").unwrap_or(0);
    let total = case.data_i64(facts::EXTENDED_DAYS).unwrap_or(0) + days;
    case.data.insert(facts::EXTENDED_DAYS.into(), total.into());
    keep(case, values, &["extension_notified_on", "extension_notice_method"]);
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
    let accepted = data_date(case, "accepted_on").or_else(|| data_date(case, "notified_on"));
    past_date(date_of(values, "served_on"), "送达日期", accepted.map(|d| (d, "受理日期")), ctx)
}

/// 第三十二条: the 信访处理意见书 is for 申诉求决类 under 第三十一条第六项; the other categories
/// are answered, and a duty of 第三十一条第五项 is performed or answered.
fn opinion_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if !is_claim(case) {
        return Err(Refusal::new("信访处理意见书（《信访工作条例》第三十二条）用于申诉求决类；本件请使用“办结答复”"));
    }
    if is_duty(case) {
        return Err(Refusal::new(
            "本件按《信访工作条例》第三十一条第五项受理，由承办单位依法履行职责或者答复，请使用“履行职责或答复”",
        ));
    }
    served_after_acceptance(case, values, ctx)
}

fn reply_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if is_claim(case) {
        return Err(Refusal::new(
            "申诉求决类信访事项应出具信访处理意见书（《信访工作条例》第三十二条），或依第三十一条第五项履行职责或答复",
        ));
    }
    served_after_acceptance(case, values, ctx)
}

fn duty_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if !is_duty(case) {
        return Err(Refusal::new(
            "“履行职责或答复”只适用于按《信访工作条例》第三十一条第五项受理的申诉求决类信访事项（受理时勾选“依法履行职责或者答复”）",
        ));
    }
    served_after_acceptance(case, values, ctx)
}

/// Concluded on the day the answer was served as recorded (the action's date).
fn conclude_as(case: &mut CaseRecord, how: &str, ctx: &ActCtx<'_>) {
    stop_at(case, CONCLUDE, ctx.on());
    let met = case.clocks.get(CONCLUDE).and_then(|c| c.met).unwrap_or(false);
    let was_on_time = case.data_str(facts::ON_TIME) != Some("no");
    case.data.insert(facts::ON_TIME.into(), if was_on_time && met { "yes" } else { "no" }.into());
    let first = case.data_str(facts::CONCLUDED) != Some("yes");
    case.data.insert(facts::CONCLUDED.into(), "yes".into());
    case.data.insert(facts::CONCLUSION.into(), how.into());
    if is_claim(case) {
        // Concluded again after a 复查/复核 sent it back: not a one-time resolution.
        let one_time =
            first && case.data_i64(facts::REOPENS).unwrap_or(0) == 0 && case.data_str(facts::REVIEWED) != Some("yes");
        case.data.insert(facts::ONE_TIME.into(), if one_time { "yes" } else { "no" }.into());
    }
}

fn on_opinion(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    conclude_as(case, "opinion", ctx);
    Ok(())
}

fn on_reply(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    conclude_as(case, "reply", ctx);
    Ok(())
}

fn on_duty(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    conclude_as(case, "duty", ctx);
    Ok(())
}

fn on_rate(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(r) = values.str("result") {
        case.data.insert(facts::SATISFACTION.into(), r.into());
    }
    Ok(())
}

/// 第三十五条: 复查 is of a 信访处理意见; requested after the date of its written reply.
fn review_request_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    match conclusion(case) {
        Some("opinion") => {}
        Some("duty") => {
            return Err(Refusal::new(
                "本件系依《信访工作条例》第三十一条第五项履行职责或者答复，不是信访处理意见，不适用复查（第三十五条）；信访人可依法通过行政复议、行政诉讼等途径解决",
            ));
        }
        _ => {
            return Err(Refusal::new(
                "复查只适用于信访人对信访处理意见不服的情形（《信访工作条例》第三十五条）；建议意见类、检举控告类的办结答复不适用复查",
            ));
        }
    }
    let served = data_date(case, "served_on");
    let requested = date_of(values, "review_requested_on");
    past_date(requested, "复查申请日期", served.map(|d| (d, "书面答复送达日期")), ctx)?;
    past_date(
        date_of(values, "review_received_on"),
        "复查机关收到请求日期",
        requested.map(|d| (d, "复查申请日期")),
        ctx,
    )
}

/// 第三十五条、第三十六条: the higher body's 30 days run "自收到复查（复核）请求之日起" — the day
/// that body received the request as recorded, which for a letter is later than the day the
/// petitioner made it (the day the petitioner's own 30 days are checked against). Empty: received
/// the day it was made.
fn request_received_on(values: &Values, key: &str, ctx: &ActCtx<'_>) -> Date {
    date_of(values, key).unwrap_or_else(|| ctx.on())
}

/// What a late request is about: its name (复查), the data key of the day the decision it is
/// against was served, what that decision is called, the article and the flag.
struct LateRequest {
    name: &'static str,
    served_key: &'static str,
    against: &'static str,
    article: &'static str,
    flag: &'static str,
}

/// A request made after its 30 days is recorded and flagged for the deciding body (who may decide
/// 逾期不予受理), not refused at the door.
fn flag_late_request(case: &mut CaseRecord, r: &LateRequest, on: Date, ctx: &ActCtx<'_>) {
    let Some(served) = data_date(case, r.served_key) else { return };
    let due = thirty_days(ctx.calendar, served, r.article, r.against);
    if on > due {
        let text = format!(
            "{name}申请于 {} 提出，超过收到{}之日起30日的期限（{} 届满，《信访工作条例》{}）：已登记，由{name}机关决定是否受理",
            fmt_date(on),
            r.against,
            fmt_date(due),
            r.article,
            name = r.name,
        );
        shared::flag(case, r.flag, text);
    }
}

fn on_review_requested(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(facts::REVIEWED.into(), "yes".into());
    if is_claim(case) {
        case.data.insert(facts::ONE_TIME.into(), "no".into());
    }
    let from = ctx.on();
    let late = LateRequest {
        name: "复查",
        served_key: "served_on",
        against: "书面答复",
        article: "第三十五条",
        flag: facts::REVIEW_REQUEST_LATE,
    };
    flag_late_request(case, &late, from, ctx);
    let received = request_received_on(values, "review_received_on", ctx);
    let rule = DeadlineRule {
        period: Period::new(30, TimeUnit::CalendarDay),
        trigger: "收到复查请求".into(),
        source: "信访工作条例第三十五条（复查机关自收到复查请求之日起三十日内提出复查意见，并予以书面答复）".into(),
    };
    case.clocks.put(Clock::start(REVIEW, "复查期限", ClockClass::Statutory, rule, received, ctx.calendar));
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

/// 逾期不予受理 only of a request that was late.
fn late_rejection_holds(
    case: &CaseRecord,
    values: &Values,
    field: &str,
    late_key: &str,
    what: &str,
) -> Result<(), Refusal> {
    if values.str(field) == Some("late_rejected") && case.data_str(late_key) != Some("yes") {
        return Err(Refusal::new(format!("{what}申请未超过30日的期限，不能以逾期为由不予受理")));
    }
    Ok(())
}

fn review_decision_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    late_rejection_holds(case, values, "review_result", facts::REVIEW_REQUEST_LATE, "复查")?;
    decision_dates(case, values, "review_requested_on", "review_decided_on", "review_served_on", ctx)
}

fn rereview_decision_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    if case.clocks.get(REREVIEW).is_some_and(|c| c.suspended_since.is_some()) {
        return Err(Refusal::new(
            "听证尚未结束：请先登记“听证结束”，复核期限扣除听证时间后再作出复核意见（《信访工作条例》第三十六条第二款）",
        ));
    }
    late_rejection_holds(case, values, "rereview_result", facts::REREVIEW_REQUEST_LATE, "复核")?;
    decision_dates(case, values, "rereview_requested_on", "rereview_decided_on", "rereview_served_on", ctx)
}

/// A 复查 or 复核 that revokes the handling sends the matter back: handled again with a new clock
/// from the day the decision was served, no longer a one-time resolution.
fn reopen(case: &mut CaseRecord, trigger: &str, ctx: &ActCtx<'_>) {
    let n = case.data_i64(facts::REOPENS).unwrap_or(0) + 1;
    case.data.insert(facts::REOPENS.into(), n.into());
    if is_claim(case) {
        case.data.insert(facts::ONE_TIME.into(), "no".into());
    }
    let clock = conclusion_clock(case, trigger, ctx);
    case.clocks.put(clock);
}

/// The higher body's answer stops its clock; given after the 30 days it is recorded and flagged.
fn stop_answer_clock(case: &mut CaseRecord, code: &str, on: Date, late_key: &str, text: &str) {
    stop_at(case, code, on);
    if let Some(c) = case.clocks.get(code)
        && c.met == Some(false)
    {
        let due = fmt_date(c.computed.due);
        shared::flag(case, late_key, format!("{text}于 {}，超过期限（{due} 届满）", fmt_date(on)));
    }
}

fn on_review_decided(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    // 第三十五条: 提出复查意见，并予以书面答复 within 30 days — the written answer's date (this
    // action's date, the 送达日期) is what is checked.
    stop_answer_clock(
        case,
        REVIEW,
        ctx.on(),
        facts::REVIEW_ANSWER_LATE,
        "复查意见书面答复（《信访工作条例》第三十五条：三十日内）",
    );
    if values.str("review_result") == Some("revoked") {
        reopen(case, "复查撤销后重新办理", ctx);
    }
    Ok(())
}

/// 第三十六条: 复核 is of a 复查 opinion; requested after the date it was served.
fn rereview_request_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let served = data_date(case, "review_served_on");
    let requested = date_of(values, "rereview_requested_on");
    past_date(requested, "复核申请日期", served.map(|d| (d, "复查意见送达日期")), ctx)?;
    past_date(
        date_of(values, "rereview_received_on"),
        "复核机关收到请求日期",
        requested.map(|d| (d, "复核申请日期")),
        ctx,
    )
}

fn on_rereview_requested(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(facts::REREVIEWED.into(), "yes".into());
    let from = ctx.on();
    let late = LateRequest {
        name: "复核",
        served_key: "review_served_on",
        against: "复查意见",
        article: "第三十六条",
        flag: facts::REREVIEW_REQUEST_LATE,
    };
    flag_late_request(case, &late, from, ctx);
    let received = request_received_on(values, "rereview_received_on", ctx);
    let rule = DeadlineRule {
        period: Period::new(30, TimeUnit::CalendarDay),
        trigger: "收到复核请求".into(),
        source: "信访工作条例第三十六条（复核机关自收到复核请求之日起三十日内提出复核意见；听证所需时间不计算在内）"
            .into(),
    };
    case.clocks.put(Clock::start(REREVIEW, "复核期限", ClockClass::Statutory, rule, received, ctx.calendar));
    Ok(())
}

/// 第三十六条第二款: the hearing's time is not counted in the 复核 period — the clock stops on the
/// day the hearing starts …
///
/// "听证所需时间不计算在前款规定的期限内" leaves out of the 30 days the days a hearing takes
/// within them: a hearing started after the 30 days had run out has no days of the period to
/// leave out, and recording it as a suspension would turn an expired period into a running one.
/// It is refused (its date said, so the clerk can check it), as is a hearing dated before the
/// 复核 body received the request.
fn on_hearing_started(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let on = ctx.on();
    let clock = case.clocks.get_mut(REREVIEW).ok_or_else(|| Refusal::new("复核期限尚未开始计算"))?;
    if !clock.is_running() {
        return Err(Refusal::new("复核期限已停止计算，不能再登记听证"));
    }
    if let Some(since) = clock.suspended_since {
        return Err(Refusal::new(format!("已于 {} 开始听证，尚未登记听证结束", fmt_date(since))));
    }
    if on < clock.started_on {
        return Err(Refusal::new(format!(
            "听证开始日期不能早于复核机关收到复核请求之日 {}",
            fmt_date(clock.started_on)
        )));
    }
    if on > clock.computed.due {
        return Err(Refusal::new(format!(
            "复核期限已于 {} 届满，{} 开始的听证不在期限内，不能中止计算（《信访工作条例》第三十六条第二款：听证所需时间不计算在复核期限内，只扣除期限内的听证时间）；本件按超期记录",
            fmt_date(clock.computed.due),
            fmt_date(on)
        )));
    }
    clock.suspended_since = Some(on);
    Ok(())
}

/// … and runs again the day after it ends: every day of the hearing, both ends included, is left
/// out.
fn on_hearing_ended(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let clock = case.clocks.get_mut(REREVIEW).ok_or_else(|| Refusal::new("复核期限尚未开始计算"))?;
    let since = clock.suspended_since.take().ok_or_else(|| Refusal::new("尚未登记听证开始"))?;
    let end = ctx.on();
    clock.suspensions.push(Suspension {
        from: since,
        to: end.next_day().unwrap_or(end),
        reason: "听证，依信访工作条例第三十六条第二款不计算在复核期限内".into(),
    });
    clock.recompute(ctx.calendar);
    Ok(())
}

fn on_rereview_decided(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    // 第三十六条: 提出复核意见 within 30 days — the day the opinion was made is what is checked.
    let decided = date_of(values, "rereview_decided_on").unwrap_or_else(|| ctx.on());
    stop_answer_clock(
        case,
        REREVIEW,
        decided,
        facts::REREVIEW_ANSWER_LATE,
        "复核意见作出（《信访工作条例》第三十六条：三十日内，听证时间不计入）",
    );
    match values.str("rereview_result") {
        Some("revoked") => reopen(case, "复核撤销后重新办理", ctx),
        Some("late_rejected") => {}
        _ => {
            case.data.insert(facts::FINAL.into(), "yes".into());
        }
    }
    Ok(())
}

/// A 信访处理意见 stays open to 复查 (or a 复查 opinion to 复核) for 30 days: it is archived only
/// after that window. Replies and duties answered are not reviewed and archive at once.
fn archive_holds(case: &CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let window = match case.state.as_str() {
        "concluded" if conclusion(case) == Some("opinion") => data_date(case, "served_on")
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

/// 信访事项受理告知书. 第二十三条第二款: "对信访人直接提出的信访事项，有关机关、单位能够当场告知的，
/// 应当当场书面告知；不能当场告知的，应当自收到信访事项之日起15日内书面告知信访人，但信访人的姓名
/// （名称）、住址不清的除外"; 第一款: for a matter within its remit, "告知信访人接收情况以及处理途径和
/// 程序" — the unit that handles it and the period (第三十四条: 自受理之日起60日内办结 for a 第三十一条
/// 第六项 matter, extended by at most 30 days; the configured target otherwise, as the clock says).
fn acceptance_notice() -> Printable {
    Printable {
        code: "acceptance_notice",
        title: "信访事项受理告知书",
        after: Some("accept"),
        roles: vec![],
        docx: true,
        blocks: vec![
            PaperBlock::Facts(vec![("受理编号", "receipt_no")]),
            PaperBlock::Addressee("party_name"),
            PaperBlock::Text(
                "你（单位）于{opened_on}提出的信访事项“{title}”（{category}），本机关已于{action_on}依法受理，交由{unit}办理。",
            ),
            PaperBlock::Text(
                "办理期限：{due:conclude}前（{rule:conclude}）。情况复杂需要延长办理期限的，经本机关负责人批准，延长期限不超过30日，并告知延期理由（《信访工作条例》第三十四条）。",
            ),
            PaperBlock::Text(
                "办结后本机关将书面答复。对出具的信访处理意见不服的，可以自收到书面答复之日起30日内请求上一级机关复查（第三十五条）。可凭受理编号和查询码在公开查询页面查看办理进度。",
            ),
            PaperBlock::Text("特此告知（《信访工作条例》第二十三条）。"),
            PaperBlock::Closing,
        ],
    }
}

/// 信访事项不予受理告知书: the ground the 条例 names (the choice's label cites its article:
/// 第十九条第三款, 第二十三条第一款, 第三十六条第三款), told in writing within 15 days of receipt
/// (第二十三条第二款; 第四十四条第三项 holds a body to account for not telling in time).
fn refusal_notice() -> Printable {
    Printable {
        code: "refusal_notice",
        title: "信访事项不予受理告知书",
        after: Some("not_accept"),
        roles: vec![],
        docx: true,
        blocks: vec![
            PaperBlock::Facts(vec![("受理编号", "receipt_no")]),
            PaperBlock::Addressee("party_name"),
            PaperBlock::Text("你（单位）于{opened_on}提出的信访事项“{title}”，经审查，本机关决定不予受理。"),
            PaperBlock::Text("理由：{not_accepted_reason}。"),
            PaperBlock::Text("说明：{note}"),
            PaperBlock::Text("依据《信访工作条例》第二十三条第二款，特此书面告知。"),
            PaperBlock::Closing,
        ],
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
    let date = |name, label| FieldDef::new(name, label, FieldKind::Date);
    let clerk = [Role::IntakeClerk];
    let handler = [Role::Handler];
    let leader = [Role::Leader];
    // The 复查/复核 body is one level up (the district): its opinion is recorded by the town's desk
    // or by the district's own user.
    let higher = [Role::IntakeClerk, Role::District];
    // An accusation against the town itself is for the district to see and send on.
    let discipline = [Role::IntakeClerk, Role::District];
    let decided = |field, otherwise| Target::ByChoice {
        field,
        map: vec![("revoked", "handling"), ("late_rejected", "request_not_accepted")],
        otherwise,
    };
    Workflow {
        states: vec![
            state("registered", "待受理", Open, W::Intake),
            state("objected", "已提出异议", Open, W::Intake),
            state("handling", "办理中", Open, W::Unit),
            state("extension_requested", "延期待审批", Open, W::Leader),
            state("concluded", "已办结", Closed, W::Nobody),
            state("review", "复查中", Open, W::Nobody),
            state("reviewed", "已复查", Closed, W::Nobody),
            state("rereview", "复核中", Open, W::Nobody),
            state("final", "复核终结", Closed, W::Nobody),
            state("request_not_accepted", "复查（复核）申请逾期不予受理", Closed, W::Nobody),
            state("redirected", "已引导依法定途径", Closed, W::Nobody),
            state("not_accepted", "不予受理", Closed, W::Nobody),
            state("transferred", "已转送（交办）", Closed, W::Nobody),
            state("handed_back", "异议获同意（已交还）", Closed, W::Nobody),
            state("to_discipline", "已移送纪检监察机关", Closed, W::Nobody),
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
                // 第十九条: name, address, request, facts and reasons are what a petition "一般应当"
                // state; only the request with its facts and reasons (`content`) is required. An
                // anonymous petition is registered and handled; the written notice of 第二十三条第二款
                // is then excused.
                FieldDef::new("party_name", "信访人姓名（名称）", text(limits.short_text))
                    .help("匿名的可不填；姓名（名称）、住址不清的，不能书面告知（第二十三条第二款），照常登记办理"),
                FieldDef::new("party_phone", "联系电话", FieldKind::Phone),
                FieldDef::new("party_idcard", "身份证号码", FieldKind::IdCard)
                    .help("选填；加密保存，页面只显示前4位和后4位"),
                FieldDef::new("party_address", "住址", text(limits.short_text)),
                FieldDef::new("accused_unit", "被检举控告单位", FieldKind::Unit { kinds: vec![] })
                    .help("检举控告类必填：该单位及其下属单位的人员看不到信访人的身份和检举控告材料（第三十条）"),
                FieldDef::new("accused_persons", "被检举控告人", text(limits.short_text)),
                shared::accused_users_field(),
                date("received_on", "收到日期")
                    .help("来信等非当日收到的填写收到之日；受理告知期限（及转送、交办事项的异议期限）自该日起算"),
                FieldDef::new(facts::TRANSFERRED_FROM, "转送（交办）机关", text(limits.short_text)).help(
                    "信访部门或上级机关、单位转送、交办的，填写该机关；不属于本机关职权范围的，应自收到之日起5个工作日内提出异议（第二十三条第三款）",
                ),
            ])
            .dated("received_on")
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
                    date("accepted_on", "受理日期")
                        .required()
                        .help("《信访工作条例》第三十四条：办理期限自受理之日起算"),
                    date("notified_on", "书面告知日期").help(
                        "《信访工作条例》第二十三条第二款：十五日内书面告知信访人；信访人姓名（名称）、住址不清的可不填",
                    ),
                    FieldDef::new(
                        "notice_method",
                        "书面告知方式",
                        FieldKind::Choice { options: choices(&WRITTEN_NOTICE_METHODS) },
                    )
                    .help("第二十三条第二款要求书面告知，短信不是书面告知"),
                    FieldDef::new("route_checked", "已按第三十一条审查", FieldKind::Bool).help(
                        "申诉求决类必填：确认不属于第三十一条第一项至第四项应通过诉讼、仲裁、复议等法定途径解决的事项",
                    ),
                    FieldDef::new("duty", "依法履行职责或者答复（第三十一条第五项）", FieldKind::Bool).help(
                        "申诉求决类中申请查处违法行为、履行保护人身权或者财产权等合法权益职责的：由承办单位依法履行职责或者答复，不出具信访处理意见书，不适用复查、复核",
                    ),
                ])
                .dated("accepted_on")
                .guard(acceptance_holds)
                .effects(vec![Effect::AssignUnit { field: "unit" }, Effect::Custom { apply: on_accept }]),
            // The desk's levers over an accepted petition (shared blocks): 催办 the 承办单位, and
            // 改派 to another with a reason. There is no 签收 step, so nothing to 撤回; the 60 days
            // of 第三十四条 keep counting from 受理.
            shared::remind_action(&["handling"], &clerk, settings),
            shared::reassign_action(
                &["handling"],
                "handling",
                &clerk,
                FieldDef::new(
                    shared::NEW_UNIT,
                    "改派至（承办单位）",
                    FieldKind::Unit { kinds: vec![UnitKind::Department, UnitKind::Village, UnitKind::Community] },
                ),
                Some(reassign_holds),
                settings,
            ),
            ActionDef::new("transfer", "转送（交办）", &["registered"], to("transferred"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new("transfer_mode", "方式", FieldKind::Choice { options: choices(&TRANSFER_MODES) })
                        .required()
                        .help("《信访工作条例》第二十二条、第二十三条第一款：转送、交办有权处理的机关、单位，并告知信访人去向"),
                    FieldDef::new("transferred_to", "接收机关（单位）", text(limits.short_text)).required(),
                    date("transferred_on", "转送（交办）日期").help("当日转送、交办的可不填"),
                    date("notified_on", "告知去向日期").help(
                        "书面告知信访人转送、交办去向之日（第二十三条第一款、第二款）；信访人姓名（名称）、住址不清的可不填",
                    ),
                    FieldDef::new(
                        "notice_method",
                        "书面告知方式",
                        FieldKind::Choice { options: choices(&WRITTEN_NOTICE_METHODS) },
                    )
                    .help("第二十三条第二款要求书面告知，短信不是书面告知"),
                    FieldDef::new("note", "说明", long(limits.long_text)),
                ])
                .dated("transferred_on")
                .guard(transfer_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_transfer }]),
            ActionDef::new("object", "提出异议（不属于本机关职权范围）", &["registered"], to("objected"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new("objection_reasons", "异议理由", long(limits.long_text))
                        .required()
                        .help("详细说明不属于本机关、单位或者本系统职权范围的理由（第二十三条第三款）"),
                    date("objected_on", "提出异议日期").help("当日提出的可不填；超过收到之日起5个工作日的，登记并标注逾期"),
                ])
                .dated("objected_on")
                .guard(objection_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_object }]),
            ActionDef::new(
                "objection_result",
                "异议处理结果",
                &["objected"],
                Target::ByChoice { field: "objection_result", map: vec![("agreed", "handed_back")], otherwise: "registered" },
            )
            .roles(&clerk)
            .fields(vec![
                FieldDef::new(
                    "objection_result",
                    "转送、交办机关意见",
                    FieldKind::Choice { options: choices(&OBJECTION_RESULTS) },
                )
                .required(),
                date("objection_decided_on", "答复日期").help("当日收到答复的可不填"),
                FieldDef::new("note", "说明", long(limits.long_text)),
            ])
            .dated("objection_decided_on")
            .effects(vec![Effect::Record, Effect::Custom { apply: on_objection_result }]),
            ActionDef::new("transfer_discipline", "移送纪检监察机关", &["registered"], to("to_discipline"))
                .roles(&discipline)
                .fields(vec![
                    FieldDef::new("discipline_body", "接收的纪检监察机关", text(limits.short_text))
                        .required()
                        .help("按管理权限移送，如区纪委监委；被检举控告的不是本镇（街道）时也可为镇纪委（纪检监察办公室）（第二十二条、第三十条）"),
                    date("transferred_on", "移送日期").help("当日移送的可不填"),
                    date("notified_on", "告知检举控告人日期").help("匿名或姓名（名称）、住址不清的可不填（第二十三条）"),
                    FieldDef::new("notice_method", "告知方式", FieldKind::Choice { options: choices(&NOTICE_METHODS) }),
                    FieldDef::new("note", "说明", long(limits.long_text)),
                ])
                .dated("transferred_on")
                .guard(discipline_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_discipline }])
                .confirm("移送后本件由纪检监察机关按管理权限处理，检举控告材料不得转给被检举控告的单位和人员，确认移送？"),
            ActionDef::new("redirect", "引导依法定途径", &["registered", "handling"], to("redirected"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new("route", "法定途径", FieldKind::Choice { options: choices(&ROUTES) }).required(),
                    date("notified_on", "书面告知日期").required(),
                    FieldDef::new("notice", "告知的途径和程序", long(limits.long_text)).required(),
                ])
                .dated("notified_on")
                .guard(redirect_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_redirect }]),
            ActionDef::new("not_accept", "不予受理", &["registered"], to("not_accepted"))
                .roles(&clerk)
                .fields(vec![
                    FieldDef::new(
                        "not_accepted_reason",
                        "不予受理理由",
                        FieldKind::Choice { options: choices(&NOT_ACCEPTED) },
                    )
                    .required(),
                    date("notified_on", "书面告知日期")
                        .help("第二十三条第二款：应当书面告知；信访人姓名（名称）、住址不清的可不填"),
                    FieldDef::new("note", "说明", long(limits.long_text)),
                ])
                .dated("notified_on")
                .guard(not_accept_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_not_accept }]),
            ActionDef::new("progress", "办理记录", &["handling"], Target::Stay)
                .submit("保存办理记录")
                .roles(&handler)
                .fields(vec![FieldDef::new("note", "办理情况", long(limits.long_text)).required()]),
            ActionDef::new("request_extension", "申请延期", &["handling"], to("extension_requested"))
                .roles(&handler)
                .fields(vec![
                    FieldDef::new("extension_days", "延长天数", FieldKind::Integer { min: 1, max: 30 }).required(),
                    FieldDef::new("extension_reason", "延期理由", long(limits.long_text)).required(),
                    date("requested_on", "申请日期").help("当日申请的可不填；办理期限届满后不能申请延期"),
                ])
                .dated("requested_on")
                .guard(extension_request_holds)
                .effects(vec![Effect::Custom { apply: record_extension_request }]),
            ActionDef::new("approve_extension", "批准延期", &["extension_requested"], to("handling"))
                .tagged(ActionTag::ApproveExtension)
                .roles(&leader)
                .fields(vec![
                    date("approved_on", "批准日期").help("当日批准的可不填；办理期限届满后不能批准延期"),
                    date("extension_notified_on", "告知信访人延期理由日期")
                        .required()
                        .help("《信访工作条例》第三十四条：延长办理期限应当告知信访人延期理由"),
                    FieldDef::new(
                        "extension_notice_method",
                        "告知方式",
                        FieldKind::Choice { options: choices(&NOTICE_METHODS) },
                    )
                    .required(),
                    FieldDef::new("note", "审批意见", long(limits.long_text)),
                ])
                .dated("approved_on")
                .guard(extension_notice_holds)
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
                    date("served_on", "送达日期").required(),
                ])
                .dated("served_on")
                .guard(opinion_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_opinion }])
                .confirm("意见书送达后信访人可在30日内申请复查，确认出具？"),
            ActionDef::new("reply", "办结答复", &["handling"], to("concluded"))
                .roles(&handler)
                .fields(vec![
                    FieldDef::new("reply", "答复意见", long(limits.long_text)).required(),
                    date("served_on", "送达日期").required(),
                ])
                .dated("served_on")
                .guard(reply_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_reply }]),
            ActionDef::new("perform_duty", "履行职责或答复", &["handling"], to("concluded"))
                .roles(&handler)
                .fields(vec![
                    FieldDef::new("duty_result", "办理结果", FieldKind::Choice { options: choices(&DUTY_RESULTS) })
                        .required()
                        .help("《信访工作条例》第三十一条第五项"),
                    FieldDef::new("reply", "履行职责情况或答复内容", long(limits.long_text)).required(),
                    date("served_on", "答复（告知）日期").required(),
                ])
                .dated("served_on")
                .guard(duty_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_duty }]),
            ActionDef::new("rate", "信访人评价", &["concluded", "reviewed", "final", "request_not_accepted"], Target::Stay)
                .roles(&clerk)
                .public()
                .fields(vec![
                    FieldDef::new("result", "评价", FieldKind::Choice { options: choices(&RATINGS) })
                        .required()
                        .help("《信访工作条例》第二十一条"),
                    FieldDef::new("note", "意见", long(500)),
                ])
                .effects(vec![Effect::Custom { apply: on_rate }]),
            // 信访人 may still rate once the matter is archived (the window is a setting).
            shared::rate_archived(
                &["archived"],
                vec![
                    FieldDef::new("result", "评价", FieldKind::Choice { options: choices(&RATINGS) })
                        .required()
                        .help("《信访工作条例》第二十一条"),
                    FieldDef::new("note", "意见", long(500)),
                ],
            ),
            ActionDef::new("request_review", "申请复查", &["concluded"], to("review"))
                .roles(&clerk)
                .fields(vec![
                    date("review_requested_on", "复查申请日期")
                        .required()
                        .help("超过收到书面答复之日起30日的，登记并标注逾期，由复查机关决定是否受理（第三十五条）"),
                    date("review_received_on", "复查机关收到请求日期").help(
                        "第三十五条：复查机关自收到复查请求之日起30日内提出复查意见；来信等非当日收到的填写收到之日，当日收到的可不填",
                    ),
                    FieldDef::new("review_body", "复查机关", text(limits.short_text)).required(),
                    FieldDef::new("review_reason", "复查理由", long(limits.long_text)).required(),
                ])
                .dated("review_requested_on")
                .guard(review_request_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_review_requested }]),
            ActionDef::new("review_decide", "复查意见", &["review"], decided("review_result", "reviewed"))
                .roles(&higher)
                .fields(vec![
                    FieldDef::new("review_result", "复查结果", FieldKind::Choice { options: choices(&REVIEW_RESULTS) })
                        .required(),
                    FieldDef::new("review_opinion", "复查意见", long(limits.long_text)).required(),
                    date("review_decided_on", "复查意见作出日期").required(),
                    date("review_served_on", "复查意见送达日期")
                        .required()
                        .help("第三十五条：自收到复查请求之日起30日内提出复查意见并书面答复"),
                ])
                .dated("review_served_on")
                .guard(review_decision_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_review_decided }]),
            ActionDef::new("request_rereview", "申请复核", &["reviewed"], to("rereview"))
                .roles(&clerk)
                .fields(vec![
                    date("rereview_requested_on", "复核申请日期")
                        .required()
                        .help("超过收到复查意见之日起30日的，登记并标注逾期，由复核机关决定是否受理（第三十六条）"),
                    date("rereview_received_on", "复核机关收到请求日期").help(
                        "第三十六条：复核机关自收到复核请求之日起30日内提出复核意见；来信等非当日收到的填写收到之日，当日收到的可不填",
                    ),
                    FieldDef::new("rereview_body", "复核机关", text(limits.short_text)).required(),
                    FieldDef::new("rereview_reason", "复核理由", long(limits.long_text)).required(),
                ])
                .dated("rereview_requested_on")
                .guard(rereview_request_holds)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_rereview_requested }]),
            ActionDef::new("start_hearing", "听证开始", &["rereview"], Target::Stay)
                .roles(&higher)
                .fields(vec![
                    date("hearing_started_on", "听证开始日期")
                        .help("《信访工作条例》第三十六条第二款：听证所需时间不计算在复核期限内；当日开始的可不填"),
                    FieldDef::new("hearing_note", "听证安排", long(limits.long_text)),
                ])
                .dated("hearing_started_on")
                .effects(vec![Effect::Record, Effect::Custom { apply: on_hearing_started }]),
            ActionDef::new("end_hearing", "听证结束", &["rereview"], Target::Stay)
                .roles(&higher)
                .fields(vec![
                    date("hearing_ended_on", "听证结束日期").help("当日结束的可不填；复核期限自次日起恢复计算"),
                    FieldDef::new("hearing_result", "听证情况", long(limits.long_text)),
                ])
                .dated("hearing_ended_on")
                .effects(vec![Effect::Record, Effect::Custom { apply: on_hearing_ended }]),
            ActionDef::new("rereview_decide", "复核意见", &["rereview"], decided("rereview_result", "final"))
                .roles(&higher)
                .fields(vec![
                    FieldDef::new(
                        "rereview_result",
                        "复核结果",
                        FieldKind::Choice { options: choices(&REVIEW_RESULTS) },
                    )
                    .required(),
                    FieldDef::new("rereview_opinion", "复核意见", long(limits.long_text)).required(),
                    date("rereview_decided_on", "复核意见作出日期")
                        .required()
                        .help("第三十六条：自收到复核请求之日起30日内提出复核意见，听证时间不计入"),
                    date("rereview_served_on", "复核意见送达日期").required(),
                ])
                .dated("rereview_served_on")
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
                &[
                    "concluded",
                    "reviewed",
                    "final",
                    "request_not_accepted",
                    "redirected",
                    "not_accepted",
                    "transferred",
                    "handed_back",
                    "to_discipline",
                    MERGED,
                ],
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
    use crate::kinds::{ConversionTarget, Duplicates, IntakeKey::*};
    KindDef::new(SLUG, "信访事项", "XF", workflow(settings))
        .wording(Wording { register: "登记信访事项".into(), party: "信访人", next: "查看并受理" })
        .printables(vec![shared::receipt(&[("信访人", "party_name"), ("信访渠道", "channel")]), acceptance_notice(), refusal_notice()])
        .search(&[facts::SEARCHABLE, "accused_persons"])
        .metrics(metrics(settings))
        .settings(&settings.of::<PetitionSettings>(SLUG))
        .capabilities(Capabilities {
            // 第三十六条第三款: a matter whose 复核 is concluded is not accepted again.
            duplicates: Some(Duplicates { closed_for_good: Some((facts::FINAL, "yes")) }),
            conversion_target: Some(ConversionTarget {
                fills: vec![
                    (Title, "title"),
                    (Content, "content"),
                    (PartyName, "party_name"),
                    (PartyPhone, "party_phone"),
                    (PartyIdCard, "party_idcard"),
                    (PartyAddress, "party_address"),
                    (ReceivedOn, "received_on"),
                ],
                defaults: vec![("channel", "walk_in")],
            }),
            same_matter: Some(note_same_matter),
            party: Some(PartyFields { name: "party_name", phone: "party_phone" }),
            ..Capabilities::default()
        })
        .export(vec![
            ExportColumn { key: "channel", label: "信访渠道" },
            ExportColumn { key: "served_on", label: "送达日期" },
        ])
        // The seed writes "受理矛盾纠纷456宗……其中受理信访件432宗", true only where petitions are
        // counted within the disputes; fazhi counts them as separate kinds: a clause of its own.
        // 受理数 and 规定时间办结率 (the 办理期限 of 《信访工作条例》第三十二条).
        .summary(Summary { received: "petition.accepted", on_time_rate: Some("petition.on_time_rate") })
        .report(vec![ReportClause {
            section: Section::Governance,
            paragraph: 0,
            order: 30,
            text: "受理信访件{petition.accepted}宗，求决类信访件一次性化解率{petition.one_time_rate}，满意率{petition.satisfaction_rate}，规定时间办结率{petition.on_time_rate}；",
        }])
}

/// The figures of petitions.
pub fn metrics(settings: &Settings) -> Vec<MetricDef> {
    use Cond::*;
    let yes = |key| DataEq { key, value: "yes".into() };
    let accepted = || vec![OpenedIn, yes(COUNTED), yes(facts::ACCEPTED)];
    let with = |extra: Vec<Cond>| CaseSet { kind: SLUG, conds: accepted().into_iter().chain(extra).collect() };
    // Due in the period, whenever it was accepted: 应办结 is about deadlines, not registrations.
    let due = |extra: Vec<Cond>| CaseSet {
        kind: SLUG,
        conds: [
            yes(COUNTED),
            yes(facts::ACCEPTED),
            DateIn { key: CONCLUDE_DUE },
            // Guided into litigation, arbitration etc. while handled (第三十一条第一项至第四项):
            // not a matter to conclude here.
            DataNot { key: facts::DISPOSAL, value: "redirected".into() },
        ]
        .into_iter()
        .chain(extra)
        .collect(),
    };
    let claim = || DataEq { key: facts::CATEGORY, value: "claim".into() };
    let own = settings.of::<PetitionSettings>(SLUG);
    let satisfied: Vec<String> =
        if own.satisfied_includes_basic { vec!["satisfied".into(), "basic".into()] } else { vec!["satisfied".into()] };
    let satisfied_words = if own.satisfied_includes_basic { "满意或基本满意" } else { "满意" };
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
            "petition.due",
            "应办结数",
            MetricUnit::Cases,
            "受理的信访事项中办理期限在期间内届满的数量，已办结和未办结（超期）的都计入；办理中引导依法定途径（第三十一条第一项至第四项）的不计入",
            Measure::Count { set: due(vec![]) },
        ),
        m(
            "petition.on_time",
            "按期办结数",
            MetricUnit::Cases,
            "应办结的信访事项中，在办理期限（含期限届满前批准的延期）内办结、且此前每次办结均未超期的数量",
            Measure::Count { set: due(vec![yes(CONCLUDE_MET), yes(facts::ON_TIME)]) },
        ),
        m(
            "petition.on_time_rate",
            "规定时间办结率",
            MetricUnit::Rate,
            "按期办结数 ÷ 应办结数（办理期限在期间内届满的信访事项，含超期未办结的）",
            Measure::Ratio { num: "petition.on_time", den: "petition.due" },
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
