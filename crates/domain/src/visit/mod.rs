//! `visit` — 来访登记: one batch of visitors received at a unit.
//!
//! 登记 (how many people, who speaks for them, what about, which unit received them) → either
//! 当场答复 (a question answered on the spot), or 转为案件: one click turns the visit into a
//! dispute, a petition or a 12345 work order, keeping a link both ways (the service's conversion
//! use case takes the internal `convert` action and opens the new case in one transaction) → 归档.
//! A repeated visit about a matter already registered is merged into it (合并重复件).
//!
//! 《信访工作条例》第二十条: people visiting together about a common matter elect representatives,
//! at most five. The form refuses more than five, and refuses a group of more than five without
//! any representative.

#[cfg(test)]
mod tests;

use crate::case::{CaseRecord, Phase};
use crate::kinds::KindDef;
use crate::metric::{CaseSet, Cond, Measure, MetricDef, MetricUnit};
use crate::role::Role;
use crate::settings::Settings;
use crate::workflow::shared::{self, COUNTED, MERGED, choices};
use crate::workflow::{
    ActCtx, ActionDef, Effect, FieldDef, FieldKind, Refusal, StateDef, Target, Values, Waiting, Workflow,
};

pub const SLUG: &str = "visit";

/// Data keys the metrics and the conversion read.
pub mod facts {
    /// How many people came (来访人数): summed into 来访人次.
    pub const VISITORS: &str = "visitor_count";
    /// How many representatives the group named.
    pub const REPRESENTATIVES: &str = "representative_count";
    /// The kind and id of the case the visit was turned into.
    pub const CONVERTED_KIND: &str = "target_kind";
    pub const CONVERTED_CASE: &str = "target_case";
}

/// 《信访工作条例》第二十条: at most five representatives.
pub const MAX_REPRESENTATIVES: usize = 5;

/// What the visit is about (the clerk's first sorting).
pub const MATTERS: [(&str, &str); 6] = [
    ("dispute", "矛盾纠纷"),
    ("petition", "信访诉求"),
    ("consult", "法律咨询"),
    ("help", "求助"),
    ("complaint", "投诉举报"),
    ("other", "其他"),
];

/// The kinds a visit can be turned into.
pub const TARGETS: [(&str, &str); 3] = [("dispute", "矛盾纠纷"), ("petition", "信访事项"), ("work_order", "12345工单")];

/// The identity and text of the visitor: withheld from the unit complained about when the visit
/// became a 检举控告 petition (《信访工作条例》第三十条).
pub const CONFIDENTIAL_KEYS: [&str; 6] =
    ["party_name", "party_phone", "party_idcard", "party_address", "representatives", "content"];

/// The names of the representatives as written: separated by 、，, ; or spaces.
pub fn representative_names(raw: &str) -> Vec<&str> {
    raw.split(['、', ',', '，', ';', '；', ' ', '\u{3000}']).map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// 第二十条: a group names at most five representatives, never more than came, and a group larger
/// than five must name at least one (five or fewer may all speak for themselves).
fn representatives_rule(_: &CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    let people = values.int("visitor_count").unwrap_or(1);
    let named = values.str("representatives").map(representative_names).unwrap_or_default();
    let n = named.len();
    if n > MAX_REPRESENTATIVES {
        return Err(Refusal::new(format!(
            "推选代表不能超过{MAX_REPRESENTATIVES}人（《信访工作条例》第二十条），现为{n}人"
        )));
    }
    if i64::try_from(n).unwrap_or(i64::MAX) > people {
        return Err(Refusal::new(format!("推选代表人数（{n}人）不能多于来访人数（{people}人）")));
    }
    if people > i64::try_from(MAX_REPRESENTATIVES).unwrap_or(5) && n == 0 {
        return Err(Refusal::new(format!(
            "{people}人集体来访，应推选代表（不超过{MAX_REPRESENTATIVES}人，《信访工作条例》第二十条），请填写推选代表"
        )));
    }
    Ok(())
}

/// Counts the visit, records how many representatives, and moves it to the receiving unit when
/// one other than the registrar's was named.
fn on_register(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(COUNTED.into(), "yes".into());
    let n = values.str("representatives").map(representative_names).map_or(0, |v| v.len());
    case.data.insert(facts::REPRESENTATIVES.into(), n.into());
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

/// Turned into a 检举控告 petition: the visitor's identity is withheld from the accused unit here
/// too, or the visit would give away what the petition keeps.
fn on_convert(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(unit) = values.unit("accused_unit") {
        shared::mark_confidential(case, unit, &CONFIDENTIAL_KEYS);
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
                    "多人来访的推选代表姓名，以顿号分隔，不超过5人（《信访工作条例》第二十条）；超过5人来访的必须填写",
                ),
                FieldDef::new("received_by", "接待人员", text(limits.short_text)),
                FieldDef::new("receiving_unit", "接待单位", FieldKind::Unit { kinds: vec![] })
                    .help("默认为登记人所在单位；村（居）法律顾问坐岗接访的，选择该村（居）"),
            ])
            .guard(representatives_rule)
            .effects(vec![Effect::Record, Effect::Custom { apply: on_register }]),
        actions: vec![
            ActionDef::new("reply", "当场答复", &["registered"], to("answered"))
                .roles(&desk)
                .fields(vec![
                    FieldDef::new("reply", "答复内容", long(limits.long_text))
                        .required()
                        .help("当场解答、释法明理的内容，公开查询页会显示"),
                ])
                .effects(vec![Effect::Record]),
            ActionDef::new("convert", "转为案件", &["registered"], to("converted"))
                .roles(&desk)
                .internal()
                .fields(vec![
                    FieldDef::new(facts::CONVERTED_KIND, "转为", FieldKind::Choice { options: choices(&TARGETS) })
                        .required(),
                    FieldDef::new(facts::CONVERTED_CASE, "新案件", text(64)).required(),
                    FieldDef::new("accused_unit", "被检举控告单位", FieldKind::Unit { kinds: vec![] }),
                ])
                .effects(vec![Effect::Record, Effect::Custom { apply: on_convert }]),
            shared::merge_action(&["registered"], &desk, settings),
            ActionDef::new("archive", "归档", &["answered", "converted", MERGED], to("archived"))
                .roles(&desk)
                .confirm("归档后来访登记不能再修改，确认归档？"),
        ],
    }
}

/// The kind.
pub fn kind(settings: &Settings) -> KindDef {
    KindDef {
        slug: SLUG,
        label: "来访登记",
        receipt_code: "LF",
        workflow: workflow(settings),
        search_fields: vec!["content", "party_name", "representatives", "received_by"],
    }
}

/// Which fields of the visit fill which fields of the new case's registration form, per target
/// kind: (visit key, target key). Identifiers are carried too (the service opens them; they never
/// leave the server in the clear).
pub fn carry_over(target: &str) -> &'static [(&'static str, &'static str)] {
    match target {
        "dispute" => &[
            ("title", "title"),
            ("content", "content"),
            ("party_name", "party_name"),
            ("party_phone", "party_phone"),
            ("party_idcard", "party_idcard"),
        ],
        "petition" => &[
            ("title", "title"),
            ("content", "content"),
            ("party_name", "party_name"),
            ("party_phone", "party_phone"),
            ("party_idcard", "party_idcard"),
            ("party_address", "party_address"),
        ],
        "work_order" => &[
            ("title", "title"),
            ("content", "content"),
            ("party_name", "caller_name"),
            ("party_phone", "caller_phone"),
            ("party_idcard", "caller_idcard"),
        ],
        _ => &[],
    }
}

/// Fixed values a converted case starts with: it came through a visit.
pub fn conversion_defaults(target: &str) -> &'static [(&'static str, &'static str)] {
    match target {
        "dispute" => &[("source", "visit")],
        "petition" => &[("channel", "visit")],
        _ => &[],
    }
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
                set: set(vec![
                    Cond::OpenedIn,
                    Cond::DataIn {
                        key: facts::CONVERTED_KIND,
                        values: TARGETS.iter().map(|(c, _)| (*c).to_string()).collect(),
                    },
                ]),
            },
        },
    ]
}
