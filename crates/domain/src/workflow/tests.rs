//! The engine runs a kind it has never heard of: `permit` is defined here only, with a statutory
//! clock that is suspended and resumed, a choice-driven target and a guard.

use serde_json::{Map, Value as Json, json};
use time::Duration;
use time::macros::date;

use super::*;
use crate::case::{ClockClass, Phase};
use crate::deadline::{DeadlineRule, Period, TimeUnit};
use crate::ids::CaseId;
use crate::kinds::{KindDef, Kinds};
use crate::testing::{FRIDAY, Town};

fn twenty_working_days(_: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<DeadlineRule, Refusal> {
    Ok(DeadlineRule {
        period: Period::new(20, TimeUnit::WorkingDay),
        trigger: "收到申请".into(),
        source: "测试条例第九条".into(),
    })
}

fn needs_reason_when_refusing(_: &CaseRecord, v: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if v.str("decision") == Some("refuse") && v.str("reason").is_none() {
        return Err(Refusal::new("不予许可应当说明理由"));
    }
    Ok(())
}

fn permit_kind() -> KindDef {
    let s = |code, label, phase| StateDef { code, label, phase, waiting: Waiting::Unit };
    KindDef::new(
        "permit",
        "测试许可",
        "XK",
        Workflow {
            states: vec![
                s("review", "审查中", Phase::Open),
                s("paused", "补正中", Phase::Open),
                s("granted", "准予", Phase::Closed),
                s("refused", "不予", Phase::Closed),
            ],
            open: ActionDef::new("apply", "申请", &[], Target::State { state: "review" })
                .roles(&[Role::IntakeClerk])
                .fields(vec![FieldDef::new("applicant", "申请人", FieldKind::Text { max: 20 }).required()])
                .effects(vec![
                    Effect::Record,
                    Effect::StartClock {
                        code: "decide",
                        label: "决定期限",
                        class: ClockClass::Statutory,
                        rule: twenty_working_days,
                    },
                ]),
            actions: vec![
                ActionDef::new("ask_more", "要求补正", &["review"], Target::State { state: "paused" })
                    .roles(&[Role::Handler])
                    .effects(vec![Effect::SuspendClock { code: "decide" }]),
                ActionDef::new("supplied", "补正完成", &["paused"], Target::State { state: "review" })
                    .roles(&[Role::Handler])
                    .effects(vec![Effect::ResumeClock { code: "decide", reason: "补正" }]),
                ActionDef::new(
                    "decide",
                    "决定",
                    &["review"],
                    Target::ByChoice { field: "decision", map: vec![("refuse", "refused")], otherwise: "granted" },
                )
                .roles(&[Role::Handler])
                .fields(vec![
                    FieldDef::new(
                        "decision",
                        "决定",
                        FieldKind::Choice {
                            options: vec![("grant".into(), "准予".into()), ("refuse".into(), "不予".into())],
                        },
                    )
                    .required(),
                    FieldDef::new("reason", "理由", FieldKind::LongText { max: 100 }),
                ])
                .guard(needs_reason_when_refusing)
                .effects(vec![Effect::StopClock { code: "decide" }]),
            ],
        },
    )
    .search(&["applicant"])
}

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

#[test]
fn a_kind_defined_only_here_runs_through_the_engine() {
    let kind = permit_kind();
    kind.workflow.check().unwrap();
    let kinds = Kinds::of(vec![kind]);
    let kind = kinds.get("permit").unwrap();
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.center, &[Role::Handler]);
    let new = NewCase { id: CaseId::new(), receipt_no: "T-1".into() };
    let c = kind.open_case(new, &obj(json!({"applicant": "某公司"})), &town.ctx(&clerk, FRIDAY)).unwrap().case;
    assert_eq!((c.kind.as_str(), c.state.as_str()), ("permit", "review"));
    // 20 wd from 2024-09-27: 09-29, 09-30, 10-08..10-11, 10-12 (make-up), then weekdays → 2024-10-30.
    assert_eq!(c.clocks.statutory_due_on(), Some(date!(2024 - 10 - 30)));

    // Suspended on Monday 10-14 for a week: no due date meanwhile; 5 working days are added back.
    let mon = FRIDAY + Duration::days(17);
    let c = kind.act(&c, "ask_more", &Map::new(), &town.ctx(&handler, mon)).unwrap().case;
    assert_eq!(c.clocks.due_on(), None, "a suspended clock has no due date");
    let c = kind.act(&c, "supplied", &Map::new(), &town.ctx(&handler, mon + Duration::days(7))).unwrap().case;
    assert_eq!(c.clocks.due_on(), Some(date!(2024 - 11 - 06)));
    assert!(
        c.clocks.get("decide").unwrap().explain().iter().any(|s| s.contains("中止（补正）：2024-10-14 至 2024-10-20"))
    );

    // The guard holds the rule; the choice picks the state.
    let err = kind.act(&c, "decide", &obj(json!({"decision": "refuse"})), &town.ctx(&handler, mon)).unwrap_err();
    assert_eq!(err, ActionError::Refused("不予许可应当说明理由".into()));
    let out = kind
        .act(&c, "decide", &obj(json!({"decision": "refuse", "reason": "材料不全"})), &town.ctx(&handler, mon))
        .unwrap();
    assert_eq!((out.case.state.as_str(), out.case.phase), ("refused", Phase::Closed));
    assert_eq!(out.event.payload["reason"], "材料不全");
    assert!(out.case.search_text.contains("某公司"));
}

#[test]
fn an_unknown_action_is_named() {
    let kind = permit_kind();
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = kind
        .open_case(
            NewCase { id: CaseId::new(), receipt_no: "T-2".into() },
            &obj(json!({"applicant": "甲"})),
            &town.ctx(&clerk, FRIDAY),
        )
        .unwrap()
        .case;
    assert_eq!(kind.act(&c, "fly", &Map::new(), &town.ctx(&clerk, FRIDAY)).unwrap_err().to_string(), "未知的操作“fly”");
}

#[test]
fn malformed_attachments_are_refused() {
    let kind = permit_kind();
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let input = obj(json!({"applicant": "甲", "attachments": ["not-a-hash"]}));
    let err = kind
        .open_case(NewCase { id: CaseId::new(), receipt_no: "T-3".into() }, &input, &town.ctx(&clerk, FRIDAY))
        .unwrap_err();
    assert_eq!(err.to_string(), "附件：附件应为文件的SHA-256摘要（64位小写十六进制）");
}

#[test]
fn broken_tables_are_caught() {
    let mut k = permit_kind();
    k.workflow.actions[0].to = Target::State { state: "nowhere" };
    assert!(k.workflow.check().unwrap_err().0.contains("unknown state nowhere"));
    let mut k = permit_kind();
    k.workflow.actions[1].roles.clear();
    assert!(k.workflow.check().unwrap_err().0.contains("can be taken by nobody"));
    let mut k = permit_kind();
    k.workflow.actions.push(k.workflow.actions[0].clone());
    assert!(k.workflow.check().unwrap_err().0.contains("duplicate action"));
}

#[test]
fn an_internal_action_is_never_offered_nor_taken_directly_but_applies_through_its_use_case() {
    let mut kind = permit_kind();
    kind.workflow.actions.push(
        ActionDef::new("withdraw", "撤回", &["review"], Target::State { state: "refused" })
            .roles(&[Role::IntakeClerk])
            .internal(),
    );
    kind.workflow.check().unwrap();
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = kind
        .open_case(
            NewCase { id: CaseId::new(), receipt_no: "T-4".into() },
            &obj(json!({"applicant": "乙"})),
            &town.ctx(&clerk, FRIDAY),
        )
        .unwrap()
        .case;
    assert!(kind.workflow.available(&c, &clerk).iter().all(|a| a.code != "withdraw"));
    let err = kind.act(&c, "withdraw", &Map::new(), &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert_eq!(err, ActionError::Refused("“撤回”须通过专门的办理功能执行，不能直接操作".into()));
    let out = kind.act_internal(&c, "withdraw", &Map::new(), &town.ctx(&clerk, FRIDAY)).unwrap();
    assert_eq!(out.case.state, "refused");
    // The role row still holds for the use case.
    let handler = town.actor(town.center, &[Role::Handler]);
    assert_eq!(
        kind.act_internal(&c, "withdraw", &Map::new(), &town.ctx(&handler, FRIDAY)).unwrap_err(),
        ActionError::Forbidden("撤回".into())
    );
}
