use serde_json::{Map, Value as Json, json};
use time::Duration;
use time::macros::date;

use super::*;
use crate::case::ActorKind;
use crate::ids::CaseId;
use crate::testing::{FRIDAY, Town};
use crate::workflow::{ActionError, NewCase};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

fn new_order_input() -> Map<String, Json> {
    obj(json!({
        "title": "龙潭村路灯不亮",
        "content": "龙潭村村口三盏路灯已坏两周，夜间出行不便。",
        "category": "help",
        "urgency": "normal",
        "caller_name": "陈先生",
        "caller_phone": "13812345678",
        "caller_idcard": "440524188001010014",
        "location": "龙潭村村口",
    }))
}

fn open(town: &Town, kind: &KindDef) -> CaseRecord {
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let new = NewCase { id: CaseId::new(), receipt_no: "AT-GD-2024-000001".into() };
    kind.open_case(new, &new_order_input(), &town.ctx(&clerk, FRIDAY)).unwrap().case
}

/// A valid input for each action, so the matrix tests only state and role.
fn input_for(action: &str, town: &Town) -> Map<String, Json> {
    obj(match action {
        "dispatch" => json!({"unit": town.longtan.to_string(), "note": "请龙潭村办理"}),
        "return" => json!({"return_reason": "不属本村"}),
        "progress" => json!({"note": "已联系供电所"}),
        "request_extension" => json!({"extension_days": 3, "extension_reason": "需等待配件"}),
        "reject_extension" | "supervise" => json!({"note": "抓紧办理"}),
        "reply" => json!({"reply": "路灯已修复", "reply_method": "phone"}),
        "callback" => json!({"result": "satisfied"}),
        "rate" => json!({"result": "basic"}),
        _ => json!({}),
    })
}

/// Brings a case to `state` by the normal path, with the extension request data in place.
fn case_in(state: &str, town: &Town, kind: &KindDef) -> CaseRecord {
    let mut c = open(town, kind);
    c.state = state.to_string();
    c.phase = kind.workflow.state(state).unwrap().phase;
    if state == "extension_requested" {
        c.data.insert("extension_days".into(), 3.into());
        c.data.insert("extension_reason".into(), "需等待配件".into());
    }
    if c.phase != Phase::Open {
        c.closed_at = Some(c.opened_at);
        c.clocks.get_mut(HANDLE).unwrap().stop(date!(2024 - 09 - 30));
    }
    c
}

fn actor_for(action: &ActionDef, town: &Town) -> crate::case::Actor {
    if action.public {
        return crate::case::Actor::public(town.tenant);
    }
    town.actor(town.longtan, &action.roles)
}

#[test]
fn the_table_is_well_formed() {
    workflow(&Settings::default()).check().unwrap();
}

#[test]
fn every_state_and_action_pair_is_allowed_exactly_when_the_table_says_so() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let wf = &kind.workflow;
    let mut pairs = 0;
    for state in &wf.states {
        for action in &wf.actions {
            pairs += 1;
            let case = case_in(state.code, &town, &kind);
            let actor = actor_for(action, &town);
            let ctx = town.ctx(&actor, FRIDAY + Duration::hours(1));
            let result = kind.act(&case, action.code, &input_for(action.code, &town), &ctx);
            if action.from.contains(&state.code) {
                let out = result.unwrap_or_else(|e| panic!("{} × {} should apply: {e}", state.code, action.code));
                let allowed = action.to.states();
                if allowed.is_empty() {
                    assert_eq!(out.case.state, state.code, "{} stays", action.code);
                } else {
                    assert!(
                        allowed.contains(&out.case.state.as_str()),
                        "{} × {} → {}",
                        state.code,
                        action.code,
                        out.case.state
                    );
                }
                assert_eq!(out.case.version, case.version + 1);
                assert_eq!(out.event.from_state.as_deref(), Some(state.code));
                assert_eq!(out.event.to_state, out.case.state);
            } else {
                assert_eq!(
                    result.unwrap_err(),
                    ActionError::WrongState { action: action.label.into(), state: state.label.into() },
                    "{} × {} must be refused",
                    state.code,
                    action.code
                );
            }
        }
    }
    assert_eq!(pairs, 8 * 12);
}

#[test]
fn every_action_is_refused_to_roles_not_in_its_row() {
    let town = Town::new();
    let kind = kind(&town.settings);
    for action in &kind.workflow.actions {
        let state = action.from[0];
        let case = case_in(state, &town, &kind);
        for role in Role::ALL {
            if action.roles.contains(&role) {
                continue;
            }
            let actor = town.actor(town.longtan, &[role]);
            let err =
                kind.act(&case, action.code, &input_for(action.code, &town), &town.ctx(&actor, FRIDAY)).unwrap_err();
            assert_eq!(err, ActionError::Forbidden(action.label.into()), "{} by {}", action.code, role.code());
        }
        if !action.public {
            let public = crate::case::Actor::public(town.tenant);
            assert!(kind.act(&case, action.code, &input_for(action.code, &town), &town.ctx(&public, FRIDAY)).is_err());
        }
    }
}

#[test]
fn registration_starts_a_five_working_day_clock_that_explains_itself() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let case = open(&town, &kind);
    assert_eq!(case.state, "registered");
    assert_eq!(case.unit_id, town.center);
    assert_eq!(case.clocks.due_on(), Some(date!(2024 - 10 - 10)), "5 wd from Friday 2024-09-27 across National Day");
    let steps = case.clocks.get(HANDLE).unwrap().explain().join("\n");
    assert!(steps.contains("12345热线办理时限（一般件"), "{steps}");
    assert!(steps.contains("届满日：2024-10-10（星期四）"), "{steps}");
    // The identifier is sealed and masked, never stored plain.
    assert_eq!(case.data["caller_idcard"]["mask"], "4405**********0014");
    assert!(!Json::Object(case.data.clone()).to_string().contains("440524188001010014"));
    assert_eq!(case.data["caller_phone"]["mask"], "138****5678");
    assert!(case.search_text.contains("路灯"));
}

#[test]
fn the_whole_journey_closes_on_time_and_counts_as_satisfied() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let mut c = open(&town, &kind);
    let mut t = FRIDAY;
    let mut step = |c: &mut CaseRecord, actor: &crate::case::Actor, action: &str, input: Map<String, Json>| {
        t += Duration::hours(2);
        *c = kind.act(c, action, &input, &town.ctx(actor, t)).unwrap().case;
    };
    step(&mut c, &clerk, "dispatch", input_for("dispatch", &town));
    assert_eq!((c.state.as_str(), c.unit_id), ("dispatched", town.longtan));
    step(&mut c, &handler, "sign", Map::new());
    step(&mut c, &handler, "reply", input_for("reply", &town));
    assert_eq!(c.phase, Phase::Closed);
    assert!(c.closed_at.is_some());
    assert_eq!(c.clocks.due_on(), None, "a stopped clock is due no more");
    assert_eq!(c.data_str(facts::ON_TIME), Some("yes"));
    step(&mut c, &clerk, "callback", input_for("callback", &town));
    assert_eq!(c.state, "visited");
    step(&mut c, &clerk, "archive", Map::new());
    assert_eq!((c.state.as_str(), c.phase), ("archived", Phase::Archived));
    assert_eq!(c.version, 6);
}

#[test]
fn a_return_sends_the_order_back_to_the_intake_desk_with_its_reason() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("dispatched", &town, &kind);
    let mut c = c;
    c.unit_id = town.longtan;
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let out = kind.act(&c, "return", &input_for("return", &town), &town.ctx(&handler, FRIDAY)).unwrap();
    assert_eq!(out.case.state, "returned");
    assert_eq!(out.case.unit_id, town.center);
    assert_eq!(out.event.payload["return_reason"], "不属本村");
    // Without a reason it is refused and names the field.
    let err = kind.act(&c, "return", &Map::new(), &town.ctx(&handler, FRIDAY)).unwrap_err();
    assert_eq!(err.to_string(), "退回原因：不能为空");
}

#[test]
fn an_approved_extension_moves_the_due_date_by_working_days() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("extension_requested", &town, &kind);
    let leader = town.actor(town.town, &[Role::Leader]);
    let out = kind.act(&c, "approve_extension", &Map::new(), &town.ctx(&leader, FRIDAY)).unwrap();
    // 2024-10-10 + 3 wd → 10-11, 10-12 (make-up Saturday), 10-14.
    assert_eq!(out.case.clocks.due_on(), Some(date!(2024 - 10 - 14)));
    let steps = out.case.clocks.get(HANDLE).unwrap().explain().join("\n");
    assert!(steps.contains("批准延长 3个工作日（12345热线延期审批；需等待配件）"), "{steps}");
    assert!(out.case.data_i64("extension_days").is_none());
}

#[test]
fn an_extension_over_the_configured_limit_is_refused() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("handling", &town, &kind);
    let h = town.actor(town.longtan, &[Role::Handler]);
    let err = kind
        .act(
            &c,
            "request_extension",
            &obj(json!({"extension_days": 16, "extension_reason": "x"})),
            &town.ctx(&h, FRIDAY),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "延期工作日数：应在1至15之间");
}

#[test]
fn an_unsatisfied_callback_reopens_the_order_with_a_new_clock_and_is_counted_once() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("replied", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let later = FRIDAY + Duration::days(17); // 2024-10-14, a Monday
    let out = kind
        .act(&c, "callback", &obj(json!({"result": "unsatisfied", "note": "路灯仍不亮"})), &town.ctx(&clerk, later))
        .unwrap();
    let c = out.case;
    assert_eq!((c.state.as_str(), c.phase, c.closed_at), ("handling", Phase::Open, None));
    assert_eq!(c.data_i64(facts::REOPENS), Some(1));
    assert_eq!(c.clocks.due_on(), Some(date!(2024 - 10 - 21)), "5 wd from 10-14");
    assert!(c.clocks.get(HANDLE).unwrap().explain()[0].contains("第1次重办"));
}

#[test]
fn a_late_reply_is_not_on_time_and_stays_so() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("handling", &town, &kind);
    let h = town.actor(town.longtan, &[Role::Handler]);
    let late = FRIDAY + Duration::days(20);
    let out = kind.act(&c, "reply", &input_for("reply", &town), &town.ctx(&h, late)).unwrap();
    assert_eq!(out.case.data_str(facts::ON_TIME), Some("no"));
    assert_eq!(out.case.clocks.get(HANDLE).unwrap().met, Some(false));
}

#[test]
fn bad_registration_input_lists_every_bad_field_in_chinese() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = new_order_input();
    input.insert("caller_idcard".into(), "440524188001010015".into());
    input.insert("category".into(), "闲聊".into());
    input.insert("title".into(), "长".repeat(101).into());
    input.insert("colour".into(), "red".into());
    input.remove("caller_name");
    let new = NewCase { id: CaseId::new(), receipt_no: "x".into() };
    let ActionError::Invalid(errors) = kind.open_case(new, &input, &town.ctx(&clerk, FRIDAY)).unwrap_err() else {
        panic!("expected field errors")
    };
    let messages: Vec<String> = errors.iter().map(|e| e.message()).collect();
    assert!(messages.contains(&"来电人身份证号码：校验位不正确，请核对最后一位".to_string()), "{messages:?}");
    assert!(messages.contains(&"诉求类别：“闲聊”不是可选项，应为：咨询、求助、投诉、举报、建议".to_string()));
    assert!(messages.contains(&"标题：不能超过100个字（现为101个）".to_string()));
    assert!(messages.contains(&"来电人姓名：不能为空".to_string()));
    assert!(messages.contains(&"colour：不是“登记”的字段".to_string()));
}

#[test]
fn a_dispatch_to_a_unit_of_another_town_is_refused() {
    let town = Town::new();
    let other = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("registered", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let input = obj(json!({"unit": other.longtan.to_string()}));
    let err = kind.act(&c, "dispatch", &input, &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert_eq!(err.to_string(), "承办单位：所选单位不存在或不属于本镇（街道）");
}

#[test]
fn the_public_may_rate_a_replied_order_and_nothing_else() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let public = crate::case::Actor::public(town.tenant);
    assert_eq!(public.kind, ActorKind::Public);
    let c = case_in("replied", &town, &kind);
    let available: Vec<&str> = kind.workflow.available(&c, &public).iter().map(|a| a.code).collect();
    assert_eq!(available, vec!["rate"]);
    let out = kind.act(&c, "rate", &obj(json!({"result": "satisfied"})), &town.ctx(&public, FRIDAY)).unwrap();
    assert_eq!(out.case.state, "visited");
}

#[test]
fn the_metric_catalogue_is_consistent() {
    let cat = crate::metric::Catalogue::standard(&Settings::default());
    cat.check().unwrap();
    assert_eq!(cat.of_kind(SLUG).count(), 10);
    assert_eq!(cat.traced_set("work_order.close_rate").unwrap(), cat.traced_set("work_order.closed").unwrap());
}

#[test]
fn an_order_cannot_be_dispatched_back_to_the_intake_desk() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("registered", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let err = kind
        .act(&c, "dispatch", &obj(json!({"unit": town.center.to_string()})), &town.ctx(&clerk, FRIDAY))
        .unwrap_err();
    assert_eq!(err, ActionError::Refused("不能派给受理单位自身，请选择承办单位".into()));
}
