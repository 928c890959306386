//! `visit` — 来访登记: one batch of visitors received at a unit.
//!
//! 登记 (how many people, who speaks for them, what about, which unit received them) → either
//! 当场答复 (a question answered on the spot), or 转为案件: one click turns the visit into a
//! dispute, a petition or a 12345 work order, keeping a link both ways (the service's conversion
//! use case takes the internal `convert` action and opens the new case in one transaction) → 归档.
//! A repeated visit about a matter already registered is merged into it (合并重复件).
//!
//! The visit is registered as of the day it happened (来访日期, empty: today); turned into a case,
//! that day becomes the new case's received date, so the new case's clocks run from the visit
//! (《信访工作条例》第二十三条: 自收到之日起).
//!
//! 《信访工作条例》第四十七条第一款 (re-read in LawRefBook/Laws `行政法规/信访工作条例.md`): "信访人
//! 违反本条例第二十条、第二十六条规定的，有关机关、单位工作人员应当对其进行劝阻、批评或者教育" —
//! any breach of 第二十条 (a visit made elsewhere than the reception place of a body with power at
//! this level or the next up, 第一款; a 涉诉 matter not taken to the 政法部门, 第二款; a group naming
//! no representatives or more than five, 第三款) or of 第二十六条 (the six kinds of disorder). The
//! representatives' rule is checked from the counts and flagged ([`facts::OVER_LIMIT`]); any other
//! breach is recorded by the clerk ([`BREACHES`], flagged [`facts::BREACHED`]). Either way the visit
//! is still registered and received (a petition is registered, never turned away: 第二十三条第一款,
//! 第四十四条), and the response — 劝阻、批评或者教育, or, for a serious case, the police's (第四十七条
//! 第二款、第三款) — is recorded at registration or afterwards.

#[cfg(test)]
mod tests;

use crate::case::{CaseRecord, Phase};
use crate::kinds::{Capabilities, ExportColumn, KindDef, PartyFields, ReportClause, Section, Summary, Wording};
use crate::metric::{CaseSet, Cond, Measure, MetricDef, MetricUnit};
use crate::role::Role;
use crate::settings::Settings;
use crate::time_util::fmt_date;
use crate::workflow::shared::{self, COUNTED, MERGED, choices};
use crate::workflow::{
    ActCtx, ActionDef, ActionTag, Effect, FieldDef, FieldKind, Refusal, StateDef, Target, Values, Waiting, Workflow,
};

pub const SLUG: &str = "visit";

/// Data keys the metrics and the conversion read.
pub mod facts {
    /// How many people came (来访人数): summed into 来访人次.
    pub const VISITORS: &str = "visitor_count";
    /// How many representatives the group named.
    pub const REPRESENTATIVES: &str = "representative_count";
    /// The day of the visit (YYYY-MM-DD), kept for every visit: a case it is turned into was
    /// received that day.
    pub const VISITED_ON: &str = "visited_on";
    /// "yes" when the visit broke the five-representative rule (第二十条): more than five named, or
    /// more than five people naming none.
    pub const OVER_LIMIT: &str = "representatives_over_limit";
    /// "yes" when the clerk recorded a breach of 第二十条 or 第二十六条 (the code under `breach`).
    pub const BREACHED: &str = "breached_rules";
    /// The kind and id of the case the visit was turned into.
    pub const CONVERTED_KIND: &str = "target_kind";
    pub const CONVERTED_CASE: &str = "target_case";
}

/// 《信访工作条例》第二十条: at most five representatives.
pub const MAX_REPRESENTATIVES: usize = 5;

/// What the visit is about (the clerk's first sorting).
pub const MATTERS: [(&str, &str); 6] = [
    ("conflict", "矛盾纠纷"),
    ("appeal", "信访诉求"),
    ("consult", "法律咨询"),
    ("help", "求助"),
    ("complaint", "投诉举报"),
    ("other", "其他"),
];

/// 第四十七条第一款: the breaches of 第二十条 and 第二十六条 the staff answer with 劝阻、批评或者教育.
pub const BREACHES: [(&str, &str); 9] = [
    ("not_designated", "未到有权处理的本级或者上一级机关、单位设立或者指定的接待场所提出（第二十条第一款）"),
    ("litigation", "涉及诉讼权利救济的事项未按照法律法规规定的程序向有关政法部门提出（第二十条第二款）"),
    ("representatives", "多人走访提出共同的信访事项，未推选代表或者代表超过5人（第二十条第三款）"),
    ("assembly", "非法聚集，围堵、冲击机关、单位，拦截公务车辆，或者堵塞、阻断交通（第二十六条第一项）"),
    ("dangerous", "携带危险物品、管制器具（第二十六条第二项）"),
    ("violence", "侮辱、殴打、威胁工作人员，非法限制他人人身自由，或者毁坏财物（第二十六条第三项）"),
    ("lingering", "在信访接待场所滞留、滋事，或者将生活不能自理的人弃留在信访接待场所（第二十六条第四项）"),
    ("incitement", "煽动、串联、胁迫、以财物诱使、幕后操纵他人信访，或者以信访为名借机敛财（第二十六条第五项）"),
    ("disorder", "其他扰乱公共秩序、妨害国家和公共安全的行为（第二十六条第六项）"),
];

/// 第四十七条: what the staff do (第一款), and the police's part where the breach is serious
/// (第二款 滋事扰序、缠访闹访情节严重; 第三款 捏造歪曲事实、诬告陷害), which the town records as
/// reported to them.
pub const RESPONSES: [(&str, &str); 4] = [
    ("dissuade", "劝阻"),
    ("criticise", "批评"),
    ("educate", "教育"),
    ("police", "情节严重，报告公安机关依法处置（第四十七条第二款、第三款）"),
];

/// The identity and text of the visitor: withheld from the unit complained about when the visit
/// became a 检举控告 petition (《信访工作条例》第三十条).
pub const CONFIDENTIAL_KEYS: [&str; 6] =
    ["party_name", "party_phone", "party_idcard", "party_address", "representatives", "content"];

/// The names of the representatives as written: separated by 、，, ; or spaces.
pub fn representative_names(raw: &str) -> Vec<&str> {
    raw.split(['、', ',', '，', ';', '；', ' ', '\u{3000}']).map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// How many people came and how many representatives they named.
fn counts(values: &Values) -> (i64, usize) {
    let people = values.int("visitor_count").unwrap_or(1);
    let named = values.str("representatives").map(representative_names).map_or(0, |v| v.len());
    (people, named)
}

/// What breaks 第二十条 in a visit, in words; `None` when nothing does.
fn over_limit(people: i64, named: usize) -> Option<String> {
    let max = i64::try_from(MAX_REPRESENTATIVES).unwrap_or(5);
    if named > MAX_REPRESENTATIVES {
        Some(format!(
            "推选代表{named}人，超过《信访工作条例》第二十条规定的{MAX_REPRESENTATIVES}人：已登记接待（第二十三条第一款、第四十四条），应当劝阻、批评或者教育（第四十七条）"
        ))
    } else if people > max && named == 0 {
        Some(format!(
            "{people}人集体来访未推选代表（《信访工作条例》第二十条：推选代表不超过{MAX_REPRESENTATIVES}人）：已登记接待（第二十三条第一款、第四十四条），应当劝阻、批评或者教育（第四十七条）"
        ))
    } else {
        None
    }
}

/// Never more representatives than came (a slip of the pen). Breaking 第二十条 is not a reason to
/// refuse: it is registered and flagged; the response of 第四十七条 is recorded only for a visit
/// that broke it.
fn representatives_rule(_: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let (people, n) = counts(values);
    if i64::try_from(n).unwrap_or(i64::MAX) > people {
        return Err(Refusal::new(format!("推选代表人数（{n}人）不能多于来访人数（{people}人）")));
    }
    if values.str("over_limit_response").is_some() && over_limit(people, n).is_none() && values.str("breach").is_none()
    {
        return Err(Refusal::new(NOTHING_TO_ANSWER));
    }
    Ok(())
}

const NOTHING_TO_ANSWER: &str = "本次来访未登记违反《信访工作条例》第二十条、第二十六条的行为，无需登记劝阻、批评或者教育（第四十七条）；有违反的，请先选择违反的规定";

/// Flags a breach the clerk recorded (第二十条、第二十六条 → 第四十七条).
fn flag_breach(case: &mut CaseRecord, values: &Values) {
    let Some(code) = values.str("breach") else { return };
    let label = BREACHES.iter().find(|(c, _)| *c == code).map_or(code, |(_, l)| *l);
    shared::flag(
        case,
        facts::BREACHED,
        format!("来访中有违反《信访工作条例》的行为：{label}。已登记接待，应当劝阻、批评或者教育（第四十七条第一款）"),
    );
}

/// Counts the visit, records its day and how many representatives, flags a breach of 第二十条, and
/// moves it to the receiving unit when one other than the registrar's was named.
fn on_register(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(COUNTED.into(), "yes".into());
    case.data.insert(facts::VISITED_ON.into(), fmt_date(ctx.on()).into());
    let (people, n) = counts(values);
    case.data.insert(facts::REPRESENTATIVES.into(), n.into());
    if let Some(text) = over_limit(people, n) {
        shared::flag(case, facts::OVER_LIMIT, text);
    }
    flag_breach(case, values);
    if let Some(id) = values.unit("receiving_unit") {
        let unit = ctx
            .units
            .unit(&id)
            .filter(|u| u.tenant_id == case.tenant_id)
            .ok_or_else(|| Refusal::new("接待单位不存在或不属于本镇（街道）"))?;
        case.unit_id = unit.id;
        case.unit_path = unit.path.clone();
    }
    Ok(())
}

/// 第四十七条 is about a visit that broke 第二十条 or 第二十六条: flagged already, or the breach
/// named now.
fn response_holds(case: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let flagged = [facts::OVER_LIMIT, facts::BREACHED].iter().any(|k| case.data_str(k) == Some("yes"));
    if !flagged && values.str("breach").is_none() {
        return Err(Refusal::new(NOTHING_TO_ANSWER));
    }
    Ok(())
}

fn on_response(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    flag_breach(case, values);
    Ok(())
}

/// Turned into a 检举控告 petition: the visitor's identity is withheld here too, or the visit would
/// give away what the petition keeps (《信访工作条例》第三十条第三款: 不得将信访人的检举、揭发材料
/// 以及有关情况透露或者转给被检举、揭发的人员或者单位) — from the accused unit's subtree and from
/// the accused staff the petition names.
fn on_convert(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(unit) = values.unit("accused_unit") {
        shared::mark_confidential(case, unit, &CONFIDENTIAL_KEYS);
        shared::name_accused(case, values.users(shared::ACCUSED_USERS));
    }
    Ok(())
}

/// The accused staff are carried over only with the accused unit (a 检举控告 petition).
fn accused_users_need_the_unit(_: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if !values.users(shared::ACCUSED_USERS).is_empty() && values.unit("accused_unit").is_none() {
        return Err(Refusal::new("只有转为检举控告类信访事项时才带入被检举控告的工作人员"));
    }
    Ok(())
}

/// The workflow table of `visit`.
pub fn workflow(settings: &Settings) -> Workflow {
    use Phase::*;
    use Waiting as W;
    let limits = &settings.limits;
    let state = |code, label, phase, waiting| StateDef { code, label, phase, waiting };
    let to = |s: &'static str| Target::State { state: s };
    let long = |max| FieldKind::LongText { max };
    let text = |max| FieldKind::Text { max };
    let desk = [Role::IntakeClerk, Role::Mediator];
    Workflow {
        states: vec![
            state("registered", "待处理", Open, W::Intake),
            state("answered", "已当场答复", Closed, W::Nobody),
            state("converted", "已转立案件", Closed, W::Nobody),
            state(MERGED, "已合并", Closed, W::Nobody),
            state("archived", "已归档", Archived, W::Nobody),
        ],
        open: ActionDef::new("open", "来访登记", &[], to("registered"))
            .roles(&desk)
            .fields(vec![
                FieldDef::new("title", "来访事由", text(limits.title)).required(),
                FieldDef::new("content", "来访诉求", long(limits.long_text)).required(),
                FieldDef::new("category", "事项类别", FieldKind::Choice { options: choices(&MATTERS) }).required(),
                FieldDef::new("visitor_count", "来访人数", FieldKind::Integer { min: 1, max: 9999 }).required(),
                FieldDef::new("party_name", "来访人（代表）姓名", text(limits.short_text)).required(),
                FieldDef::new("party_phone", "联系电话", FieldKind::Phone).help("手机或带区号的固定电话"),
                FieldDef::new("party_idcard", "身份证号码", FieldKind::IdCard)
                    .help("选填；加密保存，页面只显示前4位和后4位"),
                FieldDef::new("party_address", "住址", text(limits.short_text)),
                FieldDef::new("representatives", "推选代表", text(limits.short_text)).help(
                    "多人来访的推选代表姓名，以顿号分隔，不超过5人（《信访工作条例》第二十条）；超过5人或未推选代表的照常登记并标注",
                ),
                FieldDef::new("received_by", "接待人员", text(limits.short_text)),
                FieldDef::new("receiving_unit", "接待单位", FieldKind::Unit { kinds: vec![] })
                    .help("默认为登记人所在单位；村（居）法律顾问坐岗接访的，选择该村（居）"),
                FieldDef::new(facts::VISITED_ON, "来访日期", FieldKind::Date)
                    .help("当日登记的可不填；转为信访事项等案件的，以该日为收到日期"),
                FieldDef::new("breach", "违反的规定", FieldKind::Choice { options: choices(&BREACHES) }).help(
                    "来访人有违反《信访工作条例》第二十条、第二十六条行为的选择（代表超过5人或多人未推选代表的自动标注）；照常登记接待",
                ),
                FieldDef::new("over_limit_response", "劝阻、批评或者教育", FieldKind::Choice { options: choices(&RESPONSES) })
                    .help("违反第二十条、第二十六条的，记录所作劝阻、批评或者教育（第四十七条）"),
                FieldDef::new("over_limit_note", "劝阻、批评、教育情况", long(limits.long_text)),
            ])
            .dated(facts::VISITED_ON)
            .guard(representatives_rule)
            .effects(vec![Effect::Record, Effect::Custom { apply: on_register }]),
        actions: vec![
            ActionDef::new("reply", "当场答复", &["registered"], to("answered"))
                .roles(&desk)
                .fields(vec![
                    FieldDef::new("reply", "答复内容", long(limits.long_text))
                        .required()
                        .help("当场解答、释法明理的内容，公开查询页会显示"),
                    FieldDef::new("replied_on", "答复日期", FieldKind::Date).help("当日答复的可不填"),
                ])
                .dated("replied_on")
                .effects(vec![Effect::Record]),
            ActionDef::new("convert", "转为案件", &["registered"], to("converted"))
                .roles(&desk)
                .internal()
                .tagged(ActionTag::Convert)
                .fields(vec![
                    // Any kind the registry can open from a visit (the conversion use case checks).
                    FieldDef::new(facts::CONVERTED_KIND, "转为", text(64)).required(),
                    FieldDef::new(facts::CONVERTED_CASE, "新案件", text(64)).required(),
                    FieldDef::new("accused_unit", "被检举控告单位", FieldKind::Unit { kinds: vec![] }),
                    shared::accused_users_field(),
                ])
                .guard(accused_users_need_the_unit)
                .effects(vec![Effect::Record, Effect::Custom { apply: on_convert }]),
            ActionDef::new(
                "respond_over_limit",
                "记录劝阻、批评、教育",
                &["registered", "answered", "converted", MERGED],
                Target::Stay,
            )
            .roles(&desk)
            .fields(vec![
                FieldDef::new("breach", "违反的规定", FieldKind::Choice { options: choices(&BREACHES) })
                    .help("已自动标注或登记时已选择的可不填（《信访工作条例》第二十条、第二十六条）"),
                FieldDef::new("over_limit_response", "劝阻、批评或者教育", FieldKind::Choice { options: choices(&RESPONSES) })
                    .required()
                    .help("《信访工作条例》第四十七条"),
                FieldDef::new("over_limit_note", "劝阻、批评、教育情况", long(limits.long_text)).required(),
                FieldDef::new("responded_on", "日期", FieldKind::Date).help("当日的可不填"),
            ])
            .dated("responded_on")
            .guard(response_holds)
            .effects(vec![Effect::Record, Effect::Custom { apply: on_response }]),
            shared::merge_action(&["registered"], &desk, settings),
            ActionDef::new("archive", "归档", &["answered", "converted", MERGED], to("archived"))
                .roles(&desk)
                .confirm("归档后来访登记不能再修改，确认归档？"),
        ],
    }
}

/// The kind.
pub fn kind(settings: &Settings) -> KindDef {
    use crate::kinds::{ConversionSource, Duplicates, IntakeKey::*};
    KindDef::new(SLUG, "来访登记", "LF", workflow(settings))
        .wording(Wording { register: "登记来访".into(), party: "来访人", next: "查看并处理" })
        .printables(vec![shared::receipt(&[("来访人（代表）", "party_name"), ("来访人数", facts::VISITORS)])])
        .search(&["content", "party_name", "representatives", "received_by"])
        .metrics(metrics(settings))
        .capabilities(Capabilities {
            duplicates: Some(Duplicates { closed_for_good: None }),
            conversion_source: Some(ConversionSource {
                gives: vec![
                    (Title, "title"),
                    (Content, "content"),
                    (PartyName, "party_name"),
                    (PartyPhone, "party_phone"),
                    (PartyIdCard, "party_idcard"),
                    (PartyAddress, "party_address"),
                    (ReceivedOn, facts::VISITED_ON),
                ],
                target_kind_key: facts::CONVERTED_KIND,
                target_case_key: facts::CONVERTED_CASE,
                accused_unit_key: Some("accused_unit"),
            }),
            party: Some(PartyFields { name: "party_name", phone: "party_phone" }),
            ..Capabilities::default()
        })
        .export(vec![
            ExportColumn { key: facts::VISITORS, label: "来访人数" },
            ExportColumn { key: "representatives", label: "推选代表" },
            ExportColumn { key: "received_by", label: "接待人员" },
        ])
        // 来访批次: a reception is not a case with a deadline of its own.
        .summary(Summary { received: "visit.batches", on_time_rate: None })
        .report(vec![ReportClause {
            section: Section::Governance,
            paragraph: 0,
            order: 10,
            text: "{year}年{town}接待群众来访{visit.batches}批{visit.persons}人次；",
        }])
}

/// The figures of visits. 来访批次 and 人次 count every reception — a repeat visit merged into an
/// earlier registration was still received — while 来访事项 counts matters once.
pub fn metrics(_: &Settings) -> Vec<MetricDef> {
    let set = |conds: Vec<Cond>| CaseSet { kind: SLUG, conds };
    vec![
        MetricDef {
            code: "visit.batches",
            name: "来访批次",
            unit: MetricUnit::Batches,
            formula: "期间内接待的来访批次（每次接待计一批，重复来访并入原登记的也计入）".into(),
            measure: Measure::Count { set: set(vec![Cond::OpenedIn]) },
        },
        MetricDef {
            code: "visit.persons",
            name: "来访人次",
            unit: MetricUnit::PersonTimes,
            formula: "期间内各批来访的来访人数之和".into(),
            measure: Measure::Sum { set: set(vec![Cond::OpenedIn]), key: facts::VISITORS },
        },
        MetricDef {
            code: "visit.matters",
            name: "来访事项数",
            unit: MetricUnit::Cases,
            formula: "期间内来访反映的事项数（重复来访并入原登记的只计一次）".into(),
            measure: Measure::Count {
                set: set(vec![Cond::OpenedIn, Cond::DataEq { key: COUNTED, value: "yes".into() }]),
            },
        },
        MetricDef {
            code: "visit.converted",
            name: "转立案件数",
            unit: MetricUnit::Batches,
            formula: "期间内登记、已转为矛盾纠纷、信访事项或12345工单的来访批次".into(),
            measure: Measure::Count {
                set: set(vec![Cond::OpenedIn, Cond::DataNot { key: facts::CONVERTED_KIND, value: String::new() }]),
            },
        },
    ]
}
