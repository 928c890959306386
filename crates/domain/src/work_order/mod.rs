//! `work_order` — 12345 热线工单.
//!
//! 登记 → 派单 to a unit → 签收, or 退回 with a reason (back to the intake desk) → 办理 →
//! 申请延期 / 批准延期 or 驳回延期 → 办结 (the reply to the caller) → 回访 (满意 / 基本满意 /
//! 不满意 / 联系不上); 不满意 reopens it for 重办 at the same unit with a new clock → 归档.
//! An order outside what the hotline accepts is 退回平台 with its reason and closes there.
//!
//! The handling limit is counted in working days from 受理 — the day the town received the order
//! from the platform, as recorded at registration (empty: today) — by urgency class; the classes
//! and their limits are configuration ([`WorkOrderSettings`]) because
//! Guangzhou's own limits under 广州市人民政府令第191号 could not be confirmed (rules.md §8).
//! Every clock moves on the day its event happened as recorded (rules.md §0): the reply's 答复日期
//! stops it, the 回访日期 of an unsatisfied callback restarts it, the 批准日期 extends it. An
//! extension extends a period still running: asked or approved after the due date, it is refused
//! and the order stays overdue.
//!
//! What the hotline accepts — 咨询、求助、投诉、举报、意见建议 — is rules.md §8 (广州实施细则 第二条);
//! what it does not — matters for litigation, arbitration, 纪检监察, 复议 or information
//! disclosure, matters already in the 信访 channel, secrets and privacy, matters against public
//! order (rules.md §8, read in 潍坊市12345条例 第十九条 and attributed to 国办发〔2020〕53号;
//! Guangzhou's own list is [U]) — is returned to the platform ([`facts::OUT_OF_REMIT`]).

mod settings;
#[cfg(test)]
mod tests;

pub use settings::{UrgencyClass, WorkOrderSettings};

use crate::case::{CaseRecord, Clock, ClockClass, Phase};
use crate::deadline::{DeadlineRule, Period, TimeUnit};
use crate::kinds::{
    Capabilities, ExportColumn, KindDef, PaperBlock, PartyFields, Printable, ReportClause, Section, Summary, Wording,
};
use crate::metric::{CaseSet, Cond, Measure, MetricDef, MetricUnit};
use crate::role::Role;
use crate::settings::Settings;
use crate::unit::UnitKind;
use crate::workflow::shared;
use crate::workflow::{
    ActCtx, ActionDef, ActionTag, Effect, FieldDef, FieldKind, Refusal, StateDef, Target, Values, Waiting, Workflow,
};

pub const SLUG: &str = "work_order";

/// The handling clock.
pub const HANDLE: &str = "handle";
/// The handling clock's due date and whether it was met, as the engine mirrors them into the data
/// ([`crate::workflow::clock_facts`]).
const HANDLE_DUE: &str = "due_handle";
const HANDLE_MET: &str = "met_handle";

/// Data keys the metrics read.
pub mod facts {
    /// "yes" while every 办结 of the case met its deadline, "no" once one did not.
    pub const ON_TIME: &str = "on_time";
    /// The latest callback or public rating: satisfied, basic, unsatisfied, unreachable.
    pub const SATISFACTION: &str = "satisfaction";
    /// How many times an unsatisfied caller reopened it (重办).
    pub const REOPENS: &str = "reopens";
    /// The unit that registered it: 退回 sends it back there.
    pub const INTAKE_UNIT: &str = "intake_unit_id";
    /// "yes" once returned to the 12345 platform as outside the hotline's remit (rules.md §8):
    /// not an order the town handled.
    pub const OUT_OF_REMIT: &str = "out_of_remit";
}

fn choices(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(c, l)| ((*c).to_string(), (*l).to_string())).collect()
}

/// 咨询、求助、投诉、举报、建议 (rules.md §8).
pub const CATEGORIES: [(&str, &str); 5] =
    [("consult", "咨询"), ("help", "求助"), ("complaint", "投诉"), ("report", "举报"), ("suggestion", "建议")];

const CALLBACK_RESULTS: [(&str, &str); 4] =
    [("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意"), ("unreachable", "联系不上")];
const RATINGS: [(&str, &str); 3] = [("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")];
const REPLY_METHODS: [(&str, &str); 4] =
    [("phone", "电话"), ("sms", "短信"), ("written", "书面"), ("in_person", "当面")];

/// What the hotline does not accept (rules.md §8: 潍坊市12345政务服务便民热线条例 第十九条 [S],
/// attributed to 国办发〔2020〕53号 [2]; Guangzhou's own exclusion list could not be read [U]).
pub const OUT_OF_REMIT_REASONS: [(&str, &str); 9] = [
    ("litigation", "应当通过诉讼程序解决的"),
    ("arbitration", "应当通过仲裁程序解决的"),
    ("discipline", "属于纪检监察机关受理范围的"),
    ("reconsideration", "应当通过行政复议程序解决的"),
    ("disclosure", "属于政府信息公开申请的"),
    ("in_petition", "已进入信访渠道的"),
    ("secrets", "涉及国家秘密、商业秘密、个人隐私的"),
    ("public_order", "违背公序良俗的"),
    ("other", "其他不属于热线受理范围的"),
];

/// The limit for the case's urgency class, from configuration.
fn urgency_rule(case: &CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<DeadlineRule, Refusal> {
    let code = case.urgency.as_deref().unwrap_or("");
    let class = ctx
        .settings
        .of::<WorkOrderSettings>(SLUG)
        .urgency
        .into_iter()
        .find(|u| u.code == code)
        .ok_or_else(|| Refusal::new(format!("未配置紧急程度“{code}”的办理时限")))?;
    Ok(DeadlineRule {
        period: Period::new(class.working_days, TimeUnit::WorkingDay),
        trigger: "受理".into(),
        source: format!("12345热线办理时限（{}件，本地配置 work_order.urgency）", class.label),
    })
}

fn remember_intake_unit(case: &mut CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(facts::INTAKE_UNIT.into(), case.unit_id.to_string().into());
    case.data.insert(facts::REOPENS.into(), 0.into());
    Ok(())
}

fn keep(case: &mut CaseRecord, values: &Values, keys: &[&str]) {
    for k in keys {
        if let Some(v) = values.get(k) {
            case.data.insert((*k).to_string(), v.to_json());
        }
    }
}

/// 派单 sends the order to a unit that handles it, never back to the intake desk itself.
fn not_to_the_intake_desk(case: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let intake = case.data_str(facts::INTAKE_UNIT);
    match values.unit("unit") {
        Some(u) if Some(u.to_string().as_str()) == intake => Err(Refusal::new("不能派给受理单位自身，请选择承办单位")),
        _ => Ok(()),
    }
}

/// 改派 sends the order to another unit that handles it, never back to the intake desk (that is
/// 撤回, and only before 签收).
fn reassign_not_to_the_intake_desk(case: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let intake = case.data_str(facts::INTAKE_UNIT);
    match values.unit(shared::NEW_UNIT) {
        Some(u) if Some(u.to_string().as_str()) == intake => {
            Err(Refusal::new("不能改派给受理单位自身，请选择承办单位；尚未签收的工单可以“撤回”"))
        }
        _ => Ok(()),
    }
}

fn record_return(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    keep(case, values, &["return_reason"]);
    Ok(())
}

fn record_extension_request(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    keep(case, values, &["extension_days", "extension_reason"]);
    Ok(())
}

/// Within the configured limit, and only while the handling period still runs.
fn extension_request_holds(case: &CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let max = i64::from(ctx.settings.of::<WorkOrderSettings>(SLUG).max_extension_working_days);
    if let Some(d) = values.int("extension_days")
        && d > max
    {
        return Err(Refusal::new(format!("单次延期不能超过{max}个工作日")));
    }
    shared::period_still_running(case, HANDLE, ctx, "12345热线延期审批，本地配置 work_order.max_extension_working_days")
}

fn requested_extension(case: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<Period, Refusal> {
    let days =
        case.data_i64("extension_days").filter(|d| *d > 0).ok_or_else(|| Refusal::new("没有待审批的延期申请"))?;
    Ok(Period::new(u32::try_from(days).unwrap_or(1), TimeUnit::WorkingDay))
}

fn clear_extension_request(case: &mut CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.remove("extension_days");
    case.data.remove("extension_reason");
    Ok(())
}

fn record_reply(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    keep(case, values, &["reply", "reply_method"]);
    let met = case.clocks.get(HANDLE).and_then(|c| c.met).unwrap_or(false);
    let was_on_time = case.data_str(facts::ON_TIME) != Some("no");
    case.data.insert(facts::ON_TIME.into(), if was_on_time && met { "yes" } else { "no" }.into());
    Ok(())
}

/// 回访 and 群众评价: keep the latest result; 不满意 reopens the order with a new handling clock.
fn record_callback(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let result = values.str("result").unwrap_or("");
    case.data.insert(facts::SATISFACTION.into(), result.into());
    if result == "unsatisfied" {
        let n = case.data_i64(facts::REOPENS).unwrap_or(0) + 1;
        case.data.insert(facts::REOPENS.into(), n.into());
        let rule = urgency_rule(case, values, ctx)?;
        let mut rule = rule;
        rule.trigger = format!("第{n}次重办");
        // Restarted on the day of the callback as recorded, not the day it was typed in.
        case.clocks.put(Clock::start(HANDLE, "办理期限", ClockClass::Target, rule, ctx.on(), ctx.calendar));
    }
    Ok(())
}

/// Returned to the platform: not the town's order to handle; its clock stops on the day it was
/// returned.
fn on_out_of_remit(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(facts::OUT_OF_REMIT.into(), "yes".into());
    shared::stop_running_clocks(case, values, ctx)
}

/// The workflow table of `work_order`.
pub fn workflow(settings: &Settings) -> Workflow {
    use Phase::*;
    use Waiting as W;
    let limits = &settings.limits;
    let urgency: Vec<(String, String)> = settings
        .of::<WorkOrderSettings>(SLUG)
        .urgency
        .iter()
        .map(|u| (u.code.clone(), format!("{}（{}个工作日）", u.label, u.working_days)))
        .collect();
    let state = |code, label, phase, waiting| StateDef { code, label, phase, waiting };
    let to = |s: &'static str| Target::State { state: s };
    let long = |max| FieldKind::LongText { max };
    let text = |max| FieldKind::Text { max };
    let handled_by = [UnitKind::Department, UnitKind::Village, UnitKind::Community, UnitKind::Grid];
    let callback_target =
        |field| Target::ByChoice { field, map: vec![("unsatisfied", "handling")], otherwise: "visited" };

    Workflow {
        states: vec![
            state("registered", "待派单", Open, W::Intake),
            state("dispatched", "待签收", Open, W::Unit),
            state("returned", "已退回", Open, W::Intake),
            state("handling", "办理中", Open, W::Unit),
            state("extension_requested", "延期待审批", Open, W::Intake),
            state("replied", "已办结待回访", Closed, W::Intake),
            state("visited", "已回访", Closed, W::Intake),
            state("out_of_remit", "已退回平台（不属于热线受理范围）", Closed, W::Nobody),
            state("archived", "已归档", Archived, W::Nobody),
        ],
        open: ActionDef::new("open", "登记", &[], to("registered"))
            .roles(&[Role::IntakeClerk])
            .fields(vec![
                FieldDef::new("title", "标题", text(limits.title)).required(),
                FieldDef::new("content", "诉求内容", long(limits.long_text)).required(),
                FieldDef::new("category", "诉求类别", FieldKind::Choice { options: choices(&CATEGORIES) }).required(),
                FieldDef::new("urgency", "紧急程度", FieldKind::Choice { options: urgency }).required(),
                FieldDef::new("caller_name", "来电人姓名", text(limits.short_text)).required(),
                FieldDef::new("caller_phone", "联系电话", FieldKind::Phone).required().help("手机或带区号的固定电话"),
                FieldDef::new("caller_idcard", "来电人身份证号码", FieldKind::IdCard)
                    .help("选填；加密保存，页面只显示前4位和后4位"),
                FieldDef::new("location", "事发地址", text(limits.short_text)),
                FieldDef::new("hotline_no", "12345平台工单编号", text(40)),
                FieldDef::new("received_on", "受理日期", FieldKind::Date)
                    .help("本镇（街道）从12345平台收到工单之日；当日登记的可不填。办理期限自该日起算"),
            ])
            .dated("received_on")
            .effects(vec![
                Effect::Record,
                Effect::Custom { apply: remember_intake_unit },
                Effect::StartClock {
                    code: HANDLE, label: "办理期限", class: ClockClass::Target, rule: urgency_rule
                },
            ]),
        actions: vec![
            ActionDef::new("dispatch", "派单", &["registered", "returned"], to("dispatched"))
                .tagged(ActionTag::Dispatch)
                .roles(&[Role::IntakeClerk])
                .fields(vec![
                    FieldDef::new("unit", "承办单位", FieldKind::Unit { kinds: handled_by.to_vec() }).required(),
                    FieldDef::new("note", "派单意见", long(limits.long_text)),
                ])
                .guard(not_to_the_intake_desk)
                .effects(vec![Effect::AssignUnit { field: "unit" }]),
            // The dispatcher's levers (shared blocks): 催办 while a unit holds the order, 撤回 before
            // it is signed for, 改派 before or after — the handling clock keeps its 受理 date.
            shared::remind_action(&["dispatched", "handling"], &[Role::IntakeClerk], settings),
            shared::withdraw_action(&["dispatched"], "registered", &[Role::IntakeClerk], facts::INTAKE_UNIT, settings),
            shared::reassign_action(
                &["dispatched", "handling"],
                "dispatched",
                &[Role::IntakeClerk],
                FieldDef::new(shared::NEW_UNIT, "改派至", FieldKind::Unit { kinds: handled_by.to_vec() }),
                Some(reassign_not_to_the_intake_desk),
                settings,
            ),
            ActionDef::new("sign", "签收", &["dispatched"], to("handling"))
                .roles(&[Role::Handler])
                .fields(vec![FieldDef::new("note", "签收意见", long(limits.long_text))]),
            ActionDef::new("return", "退回", &["dispatched"], to("returned"))
                .tagged(ActionTag::Return)
                .roles(&[Role::Handler])
                .fields(vec![
                    FieldDef::new("return_reason", "退回原因", long(limits.long_text))
                        .required()
                        .help("说明不属于本单位职责的理由或应派往的单位"),
                ])
                .effects(vec![
                    Effect::Custom { apply: record_return },
                    Effect::AssignUnitFromData { key: facts::INTAKE_UNIT },
                ]),
            ActionDef::new("progress", "办理记录", &["handling"], Target::Stay)
                .submit("保存办理记录")
                .roles(&[Role::Handler])
                .fields(vec![FieldDef::new("note", "办理情况", long(limits.long_text)).required()]),
            ActionDef::new("request_extension", "申请延期", &["handling"], to("extension_requested"))
                .roles(&[Role::Handler])
                .fields(vec![
                    FieldDef::new(
                        "extension_days",
                        "延期工作日数",
                        FieldKind::Integer {
                            min: 1,
                            max: i64::from(settings.of::<WorkOrderSettings>(SLUG).max_extension_working_days.max(1)),
                        },
                    )
                    .required(),
                    FieldDef::new("extension_reason", "延期理由", long(limits.long_text)).required(),
                    FieldDef::new("requested_on", "申请日期", FieldKind::Date)
                        .help("当日申请的可不填；办理期限届满后不能申请延期"),
                ])
                .dated("requested_on")
                .guard(extension_request_holds)
                .effects(vec![Effect::Custom { apply: record_extension_request }]),
            ActionDef::new("approve_extension", "批准延期", &["extension_requested"], to("handling"))
                .tagged(ActionTag::ApproveExtension)
                .roles(&[Role::IntakeClerk, Role::Leader])
                .fields(vec![
                    FieldDef::new("approved_on", "批准日期", FieldKind::Date)
                        .help("当日批准的可不填；办理期限届满后不能批准延期"),
                    FieldDef::new("note", "审批意见", long(limits.long_text)),
                ])
                .dated("approved_on")
                .effects(vec![
                    Effect::ExtendClock {
                        code: HANDLE,
                        source: "12345热线延期审批",
                        reason_field: "extension_reason",
                        period: requested_extension,
                    },
                    Effect::Custom { apply: clear_extension_request },
                ]),
            ActionDef::new("reject_extension", "驳回延期", &["extension_requested"], to("handling"))
                .roles(&[Role::IntakeClerk, Role::Leader])
                .fields(vec![FieldDef::new("note", "驳回理由", long(limits.long_text)).required()])
                .effects(vec![Effect::Custom { apply: clear_extension_request }]),
            ActionDef::new("reply", "办结", &["handling"], to("replied"))
                .roles(&[Role::Handler])
                .fields(vec![
                    FieldDef::new("reply", "答复内容", long(limits.long_text))
                        .required()
                        .help("向来电人答复的办理结果，公开查询页会显示"),
                    FieldDef::new("reply_method", "答复方式", FieldKind::Choice { options: choices(&REPLY_METHODS) })
                        .required(),
                    FieldDef::new("replied_on", "答复日期", FieldKind::Date)
                        .help("答复来电人之日；当日答复的可不填。办理期限在该日停止计算"),
                ])
                .dated("replied_on")
                .effects(vec![Effect::StopClock { code: HANDLE }, Effect::Custom { apply: record_reply }])
                .confirm("办结后将以此答复来电人并转入回访，确认办结？"),
            ActionDef::new("callback", "回访", &["replied"], callback_target("result"))
                .roles(&[Role::IntakeClerk])
                .fields(vec![
                    FieldDef::new("result", "回访结果", FieldKind::Choice { options: choices(&CALLBACK_RESULTS) })
                        .required()
                        .help("选择“不满意”将退回原承办单位重办"),
                    FieldDef::new("note", "回访记录", long(limits.long_text)),
                    FieldDef::new("callback_on", "回访日期", FieldKind::Date)
                        .help("当日回访的可不填；不满意重办的办理期限自该日起算"),
                ])
                .dated("callback_on")
                .effects(vec![Effect::Custom { apply: record_callback }]),
            ActionDef::new("rate", "群众评价", &["replied"], callback_target("result"))
                .public()
                .fields(vec![
                    FieldDef::new("result", "评价", FieldKind::Choice { options: choices(&RATINGS) }).required(),
                    FieldDef::new("note", "意见", long(500)),
                ])
                .effects(vec![Effect::Custom { apply: record_callback }]),
            // A resident may still rate once the order is archived (the window is a setting).
            shared::rate_archived(
                &["archived"],
                vec![
                    FieldDef::new("result", "评价", FieldKind::Choice { options: choices(&RATINGS) }).required(),
                    FieldDef::new("note", "意见", long(500)),
                ],
            ),
            ActionDef::new(
                "supervise",
                "督办",
                &["registered", "dispatched", "returned", "handling", "extension_requested"],
                Target::Stay,
            )
            .roles(&[Role::Leader])
            .fields(vec![FieldDef::new("note", "督办意见", long(limits.long_text)).required()]),
            ActionDef::new(
                "return_to_platform",
                "退回平台（不属于热线受理范围）",
                &["registered", "returned"],
                to("out_of_remit"),
            )
            .roles(&[Role::IntakeClerk])
            .fields(vec![
                FieldDef::new(
                    "out_of_remit_reason",
                    "退回理由",
                    FieldKind::Choice { options: choices(&OUT_OF_REMIT_REASONS) },
                )
                .required()
                .help("不属于12345热线受理范围的事项（诉讼、仲裁、纪检监察、复议、信息公开、已进入信访渠道等）"),
                FieldDef::new("out_of_remit_note", "说明", long(limits.long_text))
                    .required()
                    .help("向平台说明的理由及应当通过的途径"),
                FieldDef::new("returned_on", "退回日期", FieldKind::Date).help("当日退回的可不填"),
            ])
            .dated("returned_on")
            .effects(vec![Effect::Record, Effect::Custom { apply: on_out_of_remit }])
            .confirm("退回平台后本工单不再由本镇（街道）办理，确认退回？"),
            ActionDef::new("archive", "归档", &["visited", "out_of_remit"], to("archived"))
                .roles(&[Role::IntakeClerk])
                .confirm("归档后工单不能再办理，确认归档？"),
        ],
    }
}

/// The kind.
pub fn kind(settings: &Settings) -> KindDef {
    use crate::kinds::{ConversionTarget, Duplicates, IntakeKey::*};
    KindDef::new(SLUG, "12345工单", "GD", workflow(settings))
        .wording(Wording { register: "登记12345工单".into(), party: "来电人", next: "查看并派单" })
        .printables(vec![
            shared::receipt(&[("来电人", "caller_name"), ("12345平台工单编号", "hotline_no")]),
            // The order as a handler takes it on paper: what to do, for whom (masked), by when and
            // under which rule, and the lines the desk and the unit sign.
            Printable {
                code: "sheet",
                title: "12345热线工单",
                after: None,
                roles: vec![],
                docx: true,
                blocks: vec![
                    PaperBlock::Facts(vec![
                        ("受理编号", "receipt_no"),
                        ("12345平台工单编号", "hotline_no"),
                        ("标题", "title"),
                        ("诉求类别", "category"),
                        ("紧急程度", "urgency"),
                        ("诉求内容", "content"),
                        ("事发地址", "location"),
                        ("来电人", "caller_name"),
                        ("联系电话", "caller_phone"),
                        ("受理日期", "opened_on"),
                        ("承办单位", "unit"),
                        ("办理期限", "due:handle"),
                        ("期限依据", "rule:handle"),
                    ]),
                    PaperBlock::Signatures(vec!["派单人（签名）", "承办单位签收人（签名）", "办结答复人（签名）"]),
                    PaperBlock::Closing,
                ],
            },
        ])
        .search(&["content", "caller_name", "reply", "hotline_no"])
        .metrics(metrics(settings))
        .settings(&settings.of::<WorkOrderSettings>(SLUG))
        .capabilities(Capabilities {
            duplicates: Some(Duplicates { closed_for_good: None }),
            conversion_target: Some(ConversionTarget {
                fills: vec![
                    (Title, "title"),
                    (Content, "content"),
                    (PartyName, "caller_name"),
                    (PartyPhone, "caller_phone"),
                    (PartyIdCard, "caller_idcard"),
                    (ReceivedOn, "received_on"),
                ],
                defaults: vec![],
            }),
            party: Some(PartyFields { name: "caller_name", phone: "caller_phone" }),
            monthly_chart: true,
            ..Capabilities::default()
        })
        .export(vec![
            ExportColumn { key: "hotline_no", label: "12345平台工单编号" },
            ExportColumn { key: "reply", label: "答复内容" },
            ExportColumn { key: facts::SATISFACTION, label: "回访结果" },
        ])
        // 受理数 and 按时办结率 as the report prints them (the hotline is measured by its 办理期限).
        .summary(Summary { received: "work_order.accepted", on_time_rate: Some("work_order.on_time_rate") })
        .report(vec![ReportClause {
            section: Section::Service,
            paragraph: 0,
            order: 10,
            text: "认真回应群众诉求，承办广州12345政府服务热线工单{work_order.accepted}件，办结率达{work_order.close_rate}。其中按时办结率{work_order.on_time_rate}，回访满意率{work_order.satisfaction_rate}。",
        }])
}

/// The figures of work orders.
pub fn metrics(settings: &Settings) -> Vec<MetricDef> {
    // An order returned to the platform as outside the hotline's remit (rules.md §8) was never
    // the town's to handle: no figure counts it.
    let set = |conds: Vec<Cond>| CaseSet {
        kind: SLUG,
        conds: conds.into_iter().chain([Cond::DataNot { key: facts::OUT_OF_REMIT, value: "yes".into() }]).collect(),
    };
    let count = |conds| Measure::Count { set: set(conds) };
    let own = settings.of::<WorkOrderSettings>(SLUG);
    let satisfied: Vec<String> =
        if own.satisfied_includes_basic { vec!["satisfied".into(), "basic".into()] } else { vec!["satisfied".into()] };
    let satisfied_words = if own.satisfied_includes_basic { "满意与基本满意" } else { "满意" };
    let m = |code, name, unit, formula: &str, measure| MetricDef {
        code,
        name,
        unit,
        formula: formula.to_string(),
        measure,
    };
    use Cond::*;
    vec![
        m(
            "work_order.accepted",
            "受理数",
            MetricUnit::Cases,
            "期间内受理（登记）的工单数（不属于热线受理范围、退回平台的不计）",
            count(vec![OpenedIn]),
        ),
        m(
            "work_order.closed",
            "办结数",
            MetricUnit::Cases,
            "期间内受理、至期末已办结的工单数",
            count(vec![OpenedIn, ClosedByEnd]),
        ),
        m(
            "work_order.close_rate",
            "办结率",
            MetricUnit::Rate,
            "办结数 ÷ 受理数",
            Measure::Ratio { num: "work_order.closed", den: "work_order.accepted" },
        ),
        m(
            "work_order.due",
            "应办结数",
            MetricUnit::Cases,
            "办理期限在期间内届满的工单数，已办结和未办结（超期）的都计入",
            count(vec![DateIn { key: HANDLE_DUE }]),
        ),
        m(
            "work_order.on_time",
            "按时办结数",
            MetricUnit::Cases,
            "应办结的工单中，在办理期限（含期限届满前批准的延期）内办结、且此前每次办结均未超期的工单数",
            count(vec![
                DateIn { key: HANDLE_DUE },
                DataEq { key: HANDLE_MET, value: "yes".into() },
                DataEq { key: facts::ON_TIME, value: "yes".into() },
            ]),
        ),
        m(
            "work_order.on_time_rate",
            "按时办结率",
            MetricUnit::Rate,
            "按时办结数 ÷ 应办结数（办理期限在期间内届满的工单，含超期未办结的）",
            Measure::Ratio { num: "work_order.on_time", den: "work_order.due" },
        ),
        m(
            "work_order.callbacks",
            "回访数",
            MetricUnit::Cases,
            "期间内受理、已回访或已评价并取得满意度结果的工单数（联系不上的不计入）",
            count(vec![
                OpenedIn,
                DataIn {
                    key: facts::SATISFACTION,
                    values: vec!["satisfied".into(), "basic".into(), "unsatisfied".into()],
                },
            ]),
        ),
        m(
            "work_order.satisfied",
            "满意数",
            MetricUnit::Cases,
            &format!("最近一次回访结果为{satisfied_words}的工单数"),
            count(vec![OpenedIn, DataIn { key: facts::SATISFACTION, values: satisfied }]),
        ),
        m(
            "work_order.satisfaction_rate",
            "满意率",
            MetricUnit::Rate,
            "满意数 ÷ 回访数",
            Measure::Ratio { num: "work_order.satisfied", den: "work_order.callbacks" },
        ),
        m(
            "work_order.reopened",
            "重办数",
            MetricUnit::Cases,
            "期间内受理、因回访不满意而重办过的工单数（重办多次只计一次）",
            count(vec![OpenedIn, DataAtLeast { key: facts::REOPENS, min: 1 }]),
        ),
        m(
            "work_order.reopen_rate",
            "重办率",
            MetricUnit::Rate,
            "重办数 ÷ 受理数",
            Measure::Ratio { num: "work_order.reopened", den: "work_order.accepted" },
        ),
    ]
}
