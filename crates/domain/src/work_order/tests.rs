use serde_json::{Map, Value as Json, json};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::case::ActorKind;
use crate::ids::CaseId;
use crate::testing::{FRIDAY, Town};
use crate::time_util::day_start_ms;
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
        "reassign" => json!({"new_unit": town.longtan.to_string(), "reassign_reason": "经核实属龙潭村辖区"}),
        "dispatch" => json!({"unit": town.longtan.to_string(), "note": "请龙潭村办理"}),
        "return" => json!({"return_reason": "不属本村"}),
        "progress" => json!({"note": "已联系供电所"}),
        "request_extension" => json!({"extension_days": 3, "extension_reason": "需等待配件"}),
        "reject_extension" | "supervise" => json!({"note": "抓紧办理"}),
        "reply" => json!({"reply": "路灯已修复", "reply_method": "phone"}),
        "callback" => json!({"result": "satisfied"}),
        "rate" | "rate_archived" => json!({"result": "basic"}),
        "return_to_platform" => {
            json!({"out_of_remit_reason": "in_petition", "out_of_remit_note": "该事项已在信访渠道办理"})
        }
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
    assert_eq!(pairs, 9 * 17);
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
fn an_archived_order_may_still_be_rated_once_by_the_public_without_touching_the_callback() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let public = crate::case::Actor::public(town.tenant);
    let mut c = case_in("archived", &town, &kind);
    c.data.insert(facts::SATISFACTION.into(), "satisfied".into());
    let available: Vec<&str> = kind.workflow.available(&c, &public).iter().map(|a| a.code).collect();
    assert_eq!(available, vec![shared::RATE_ARCHIVED]);
    let input = obj(json!({"result": "unsatisfied", "note": "路灯又坏了"}));
    let out = kind.act(&c, shared::RATE_ARCHIVED, &input, &town.ctx(&public, FRIDAY)).unwrap();
    assert_eq!(out.case.state, "archived", "the state stays");
    assert_eq!(out.case.data_str(shared::PUBLIC_RATING), Some("unsatisfied"));
    assert_eq!(out.case.data_str(facts::SATISFACTION), Some("satisfied"), "the callback's figure is left alone");
    let again = kind.act(&out.case, shared::RATE_ARCHIVED, &input, &town.ctx(&public, FRIDAY));
    assert!(again.is_err(), "once only");
    let clerk = town.actor(town.longtan, &[Role::IntakeClerk]);
    assert!(kind.act(&c, shared::RATE_ARCHIVED, &input, &town.ctx(&clerk, FRIDAY)).is_err(), "the public's only");
}

#[test]
fn the_metric_catalogue_is_consistent() {
    let cat = crate::kinds::Kinds::standard(&Settings::default()).catalogue(&Settings::default());
    cat.check().unwrap();
    assert_eq!(cat.of_kind(SLUG).count(), 11);
    // 按时办结率 = 按时办结数 ÷ 应办结数: the overdue open orders are in the denominator.
    assert_eq!(
        cat.get("work_order.on_time_rate").unwrap().measure,
        Measure::Ratio { num: "work_order.on_time", den: "work_order.due" }
    );
    let mut raw = |m: &MetricDef| match m.code {
        "work_order.due" => 3,
        "work_order.on_time" => 2,
        _ => 0,
    };
    assert_eq!(cat.figure("work_order.on_time_rate", &mut raw).unwrap().to_string(), "66.66%");
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

fn open_received(town: &Town, kind: &KindDef, received_on: &str, typed: OffsetDateTime) -> CaseRecord {
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = new_order_input();
    input.insert("received_on".into(), received_on.into());
    let new = NewCase { id: CaseId::new(), receipt_no: "AT-GD-2024-000002".into() };
    kind.open_case(new, &input, &town.ctx(&clerk, typed)).unwrap().case
}

/// Registered, dispatched and signed on the day it was received (2024-09-20, a Friday).
fn handling_from_0920(town: &Town, kind: &KindDef) -> CaseRecord {
    let day = datetime!(2024-09-20 10:00 +8);
    let c = open_received(town, kind, "2024-09-20", day);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let c = kind.act(&c, "dispatch", &input_for("dispatch", town), &town.ctx(&clerk, day)).unwrap().case;
    kind.act(&c, "sign", &Map::new(), &town.ctx(&handler, day + Duration::hours(1))).unwrap().case
}

#[test]
fn the_handling_clock_runs_from_the_day_the_town_received_the_order_not_the_day_it_was_typed_in() {
    let town = Town::new();
    let kind = kind(&town.settings);
    // Received from the platform on Friday 2024-09-20, typed in a week later.
    let c = open_received(&town, &kind, "2024-09-20", FRIDAY);
    // Five working days from 09-20 (the start day not counted): 09-23 … 09-27.
    assert_eq!(c.clocks.due_on(), Some(date!(2024 - 09 - 27)), "counted from the day received, rules.md §0");
    let steps = c.clocks.get(HANDLE).unwrap().explain().join("\n");
    assert!(steps.contains("自受理（2024-09-20）起算"), "{steps}");
    assert_eq!(c.opened_at, day_start_ms(date!(2024 - 09 - 20)), "registered as of the day received");
    // A day received in the future is refused, naming the field.
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = new_order_input();
    input.insert("received_on".into(), "2024-09-28".into());
    let err = kind
        .open_case(NewCase { id: CaseId::new(), receipt_no: "x".into() }, &input, &town.ctx(&clerk, FRIDAY))
        .unwrap_err();
    assert_eq!(err.to_string(), "受理日期：受理日期不能晚于今天（2024-09-27）");
}

#[test]
fn a_reply_stops_the_clock_on_the_reply_date_recorded_not_the_day_it_was_typed_in() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = handling_from_0920(&town, &kind);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let typed = datetime!(2024-10-08 10:00 +8);
    // Replied on the due day (09-27), typed in after National Day: on time.
    let mut reply = input_for("reply", &town);
    reply.insert("replied_on".into(), "2024-09-27".into());
    let out = kind.act(&c, "reply", &reply, &town.ctx(&handler, typed)).unwrap().case;
    let clock = out.clocks.get(HANDLE).unwrap();
    assert_eq!((clock.stopped_on, clock.met), (Some(date!(2024 - 09 - 27)), Some(true)));
    assert_eq!(out.data_str(facts::ON_TIME), Some("yes"));
    assert_eq!(out.closed_at, Some(day_start_ms(date!(2024 - 09 - 27))), "closed on the day it was replied");
    assert!(clock.explain().join("\n").contains("已于 2024-09-27 停止计时（按期）"));
    // Replied the next working day after the due date: late, however it is typed.
    reply.insert("replied_on".into(), "2024-09-30".into());
    let late = kind.act(&c, "reply", &reply, &town.ctx(&handler, typed)).unwrap().case;
    assert_eq!(late.clocks.get(HANDLE).unwrap().met, Some(false));
    assert_eq!(late.data_str(facts::ON_TIME), Some("no"));
}

#[test]
fn an_unsatisfied_callback_restarts_the_clock_from_the_callback_date_recorded() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = handling_from_0920(&town, &kind);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = kind.act(&c, "reply", &input_for("reply", &town), &town.ctx(&handler, FRIDAY)).unwrap().case;
    // The caller said 不满意 on 10-08; the callback was typed in on 10-14.
    let input = obj(json!({"result": "unsatisfied", "note": "路灯仍不亮", "callback_on": "2024-10-08"}));
    let c = kind.act(&c, "callback", &input, &town.ctx(&clerk, datetime!(2024-10-14 16:00 +8))).unwrap().case;
    // Five working days from 10-08: 10-09, 10-10, 10-11, 10-12 (make-up Saturday), 10-14.
    assert_eq!(c.clocks.due_on(), Some(date!(2024 - 10 - 14)));
    assert!(c.clocks.get(HANDLE).unwrap().explain()[0].contains("自第1次重办（2024-10-08）起算"));
    assert_eq!((c.phase, c.closed_at), (Phase::Open, None), "reopened");
}

#[test]
fn an_extension_is_approved_as_of_its_approval_date_and_never_after_the_due_date() {
    let town = Town::new();
    let kind = kind(&town.settings);
    // Registered Friday 09-27: due 10-10.
    let c = case_in("extension_requested", &town, &kind);
    let leader = town.actor(town.town, &[Role::Leader]);
    let typed = datetime!(2024-10-15 10:00 +8);
    // Approved on the last day, typed in later: extended by 3 wd → 10-11, 10-12 (make-up), 10-14.
    let on_time = obj(json!({"approved_on": "2024-10-10"}));
    let out = kind.act(&c, "approve_extension", &on_time, &town.ctx(&leader, typed)).unwrap().case;
    assert_eq!(out.clocks.due_on(), Some(date!(2024 - 10 - 14)));
    assert!(out.clocks.get(HANDLE).unwrap().explain().join("\n").contains("延期：2024-10-10 批准延长 3个工作日"));
    // Approved the day after the period ran out (or today, five days after): refused.
    for input in [obj(json!({"approved_on": "2024-10-11"})), Map::new()] {
        let err = kind.act(&c, "approve_extension", &input, &town.ctx(&leader, typed)).unwrap_err();
        assert!(err.to_string().contains("期限届满后不能再批准延期"), "{err}");
    }
    // Refused, it is answered late and stays so.
    let c = kind.act(&c, "reject_extension", &obj(json!({"note": "已超期"})), &town.ctx(&leader, typed)).unwrap().case;
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let done = kind.act(&c, "reply", &input_for("reply", &town), &town.ctx(&handler, typed)).unwrap().case;
    assert_eq!(done.clocks.get(HANDLE).unwrap().met, Some(false));
    assert_eq!(done.data_str(facts::ON_TIME), Some("no"), "an expired period cannot be extended into 按时");
}

#[test]
fn an_extension_cannot_be_requested_once_the_handling_period_has_run_out() {
    let town = Town::new();
    let kind = kind(&town.settings);
    // Registered Friday 09-27: due 10-10.
    let c = case_in("handling", &town, &kind);
    let h = town.actor(town.longtan, &[Role::Handler]);
    let typed = datetime!(2024-10-11 10:00 +8);
    let err =
        kind.act(&c, "request_extension", &input_for("request_extension", &town), &town.ctx(&h, typed)).unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused(
            "“办理期限”已于 2024-10-10 届满，期限届满后不能再申请延期，只能延长尚未届满的期限（12345热线延期审批，本地配置 work_order.max_extension_working_days）；本件按超期办理记录"
                .into()
        )
    );
    // Asked on the last day and typed in the day after: it was asked in time.
    let mut asked = input_for("request_extension", &town);
    asked.insert("requested_on".into(), "2024-10-10".into());
    let out = kind.act(&c, "request_extension", &asked, &town.ctx(&h, typed)).unwrap().case;
    assert_eq!(out.state, "extension_requested");
}

#[test]
fn an_order_outside_the_hotlines_remit_is_returned_to_the_platform_with_its_reason_and_leaves_the_towns_orders() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("registered", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let err = kind
        .act(&c, "return_to_platform", &obj(json!({"out_of_remit_note": "x"})), &town.ctx(&clerk, FRIDAY))
        .unwrap_err();
    assert_eq!(err.to_string(), "退回理由：不能为空");
    let input = obj(json!({
        "out_of_remit_reason": "litigation",
        "out_of_remit_note": "来电人要求撤销法院判决，应通过审判监督程序解决",
        "returned_on": "2024-09-27",
    }));
    let out = kind.act(&c, "return_to_platform", &input, &town.ctx(&clerk, FRIDAY + Duration::hours(2))).unwrap();
    let c = out.case;
    assert_eq!((c.state.as_str(), c.phase), ("out_of_remit", Phase::Closed));
    assert_eq!(c.data_str(facts::OUT_OF_REMIT), Some("yes"), "the fact figures leave it out by (rules.md §8)");
    assert_eq!(c.data_str("out_of_remit_reason"), Some("litigation"));
    assert_eq!(c.clocks.due_on(), None, "the town's clock stops");
    assert_eq!(out.event.payload["out_of_remit_note"], "来电人要求撤销法院判决，应通过审判监督程序解决");
    // A unit that signed for the order handles it (or 退回 it to the desk): the desk returns it.
    let signed = case_in("handling", &town, &kind);
    assert!(matches!(
        kind.act(&signed, "return_to_platform", &input, &town.ctx(&clerk, FRIDAY)).unwrap_err(),
        ActionError::WrongState { .. }
    ));
    let archived = kind.act(&c, "archive", &Map::new(), &town.ctx(&clerk, FRIDAY + Duration::hours(3))).unwrap();
    assert_eq!(archived.case.state, "archived");
}

#[test]
fn an_unsatisfied_callback_sends_the_order_back_to_the_unit_that_handled_it_not_to_the_dispatcher() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let c = open(&town, &kind);
    assert_eq!(c.unit_id, town.center, "registered at the desk");
    let step = |c: &CaseRecord, who: &crate::case::Actor, action: &str, input: Map<String, Json>| {
        kind.act(c, action, &input, &town.ctx(who, FRIDAY + Duration::hours(1))).unwrap().case
    };
    let c = step(&c, &clerk, "dispatch", input_for("dispatch", &town));
    let c = step(&c, &handler, "sign", obj(json!({})));
    let c = step(&c, &handler, "reply", input_for("reply", &town));
    let c = step(&c, &clerk, "callback", obj(json!({"result": "unsatisfied", "note": "路灯仍不亮"})));
    // 重办 is the local handler's (龙潭村, the order's current unit), waiting on that unit; the desk
    // that dispatched it is not asked to dispatch again.
    assert_eq!((c.state.as_str(), c.unit_id), ("handling", town.longtan));
    assert_eq!(kind.workflow.state(&c.state).unwrap().waiting, Waiting::Unit);
    assert!(kind.workflow.available(&c, &handler).iter().any(|a| a.code == "reply"), "the handler can reply again");
}

/// Opened Friday 2024-09-27, dispatched to 龙潭村 two hours later.
fn dispatched_to_longtan(town: &Town, kind: &KindDef) -> CaseRecord {
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = open(town, kind);
    kind.act(&c, "dispatch", &input_for("dispatch", town), &town.ctx(&clerk, FRIDAY + Duration::hours(2))).unwrap().case
}

#[test]
fn a_reminder_is_recorded_and_counted_and_changes_nothing_else() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = dispatched_to_longtan(&town, &kind);
    let ctx = town.ctx(&clerk, FRIDAY + Duration::hours(3));
    let once = kind.act(&c, "remind", &obj(json!({"remind_note": "请今天内签收"})), &ctx).unwrap();
    assert_eq!(once.event.action_label, "催办");
    assert_eq!(once.event.payload["remind_note"], "请今天内签收");
    assert_eq!((once.case.state.as_str(), once.case.unit_id), ("dispatched", town.longtan));
    assert_eq!(once.case.clocks, c.clocks);
    let twice = kind.act(&once.case, "remind", &Map::new(), &ctx).unwrap().case;
    assert_eq!(twice.data_i64(shared::REMINDERS), Some(2));
    assert_eq!(twice.data_str(shared::REMINDED_ON), Some("2024-09-27"));
    // Only the desk reminds: the handler cannot remind himself.
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let err = kind.act(&c, "remind", &Map::new(), &town.ctx(&handler, FRIDAY)).unwrap_err();
    assert_eq!(err, ActionError::Forbidden("催办".into()));
}

#[test]
fn an_unsigned_order_is_withdrawn_to_the_desk_but_a_signed_one_is_refused_in_chinese() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let c = dispatched_to_longtan(&town, &kind);
    let ctx = town.ctx(&clerk, FRIDAY + Duration::hours(3));
    let back = kind.act(&c, "withdraw", &obj(json!({"withdraw_reason": "派错单位"})), &ctx).unwrap();
    assert_eq!((back.case.state.as_str(), back.case.unit_id), ("registered", town.center));
    assert_eq!(back.event.from_state.as_deref(), Some("dispatched"));
    assert_eq!(back.event.to_state, "registered");
    assert_eq!(back.case.clocks, c.clocks, "the handling clock keeps its 受理 date");
    // Dispatched again, signed for: 撤回 is refused, and the refusal says why and what to do.
    let signed = kind.act(&c, "sign", &Map::new(), &town.ctx(&handler, FRIDAY + Duration::hours(3))).unwrap().case;
    let err = kind.act(&signed, "withdraw", &Map::new(), &ctx).unwrap_err();
    assert_eq!(err.to_string(), "当前状态为“办理中”，不能执行“撤回”");
    assert_eq!(
        kind.workflow.action("withdraw").unwrap().otherwise,
        Some("承办单位已签收的不能撤回；如需更换承办单位，请使用“改派”并说明理由")
    );
}

#[test]
fn a_reassignment_after_sign_for_needs_a_reason_and_keeps_the_clock_from_the_day_of_receipt() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let xitang = town.units.values().find(|u| u.name == "西塘村").unwrap().id;
    let c = dispatched_to_longtan(&town, &kind);
    let signed = kind.act(&c, "sign", &Map::new(), &town.ctx(&handler, FRIDAY + Duration::hours(3))).unwrap().case;
    let due = signed.clocks.due_on();
    // A week later, to 西塘村: the new unit signs for it again, the 受理 date still counts.
    let later = town.ctx(&clerk, FRIDAY + Duration::days(3));
    let no_reason = kind.act(&signed, "reassign", &obj(json!({"new_unit": xitang.to_string()})), &later).unwrap_err();
    assert_eq!(no_reason.to_string(), "改派理由：不能为空");
    let same = obj(json!({"new_unit": town.longtan.to_string(), "reassign_reason": "再办"}));
    assert_eq!(
        kind.act(&signed, "reassign", &same, &later).unwrap_err().to_string(),
        "改派须选择另一个承办单位：所选单位就是现在的承办单位"
    );
    let desk = obj(json!({"new_unit": town.center.to_string(), "reassign_reason": "收回"}));
    assert!(kind.act(&signed, "reassign", &desk, &later).unwrap_err().to_string().contains("不能改派给受理单位自身"));
    let input = obj(json!({"new_unit": xitang.to_string(), "reassign_reason": "路灯属西塘村辖区"}));
    let out = kind.act(&signed, "reassign", &input, &later).unwrap();
    assert_eq!((out.case.state.as_str(), out.case.unit_id), ("dispatched", xitang));
    assert_eq!(out.case.clocks.due_on(), due, "改派 restarts no clock");
    assert_eq!(out.case.clocks, signed.clocks);
    assert_eq!(out.event.payload["reassign_reason"], "路灯属西塘村辖区");
    assert_eq!(out.case.data_str(shared::REASSIGN_REASON), Some("路灯属西塘村辖区"));
}
