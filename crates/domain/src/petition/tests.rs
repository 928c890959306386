use serde_json::{Map, Value as Json, json};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::case::Actor;
use crate::ids::{CaseId, UnitId};
use crate::testing::{FRIDAY, Town};
use crate::time_util::day_start_ms;
use crate::unit::{Unit, UnitCode};
use crate::workflow::shared::{self as sh, COUNTED, WITHHELD};
use crate::workflow::{ActionError, NewCase, Outcome};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

fn petition_input(category: &str) -> Map<String, Json> {
    obj(json!({
        "title": "请求解决宅基地确权问题",
        "content": "信访人请求镇政府协调解决其宅基地确权登记迟迟未办的问题。",
        "category": category,
        "channel": "letter",
        "party_name": "黄某",
        "party_phone": "13812345678",
        "party_address": "龙潭村五队",
    }))
}

/// A 司法所 in the town, the unit accused in the 检举控告 tests.
fn add_office(town: &mut Town) -> UnitId {
    let root = town.units[&town.town].clone();
    let code = UnitCode::parse("sfs").unwrap();
    let u = Unit {
        id: UnitId::new(),
        tenant_id: town.tenant,
        parent_id: Some(root.id),
        kind: crate::unit::UnitKind::Department,
        path: root.path.child(&code),
        code,
        name: "司法所".into(),
    };
    town.units.insert(u.id, u.clone());
    u.id
}

fn open_at(town: &Town, input: &Map<String, Json>, at: OffsetDateTime) -> Result<Outcome, ActionError> {
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    kind.open_case(NewCase { id: CaseId::new(), receipt_no: "AT-XF-2024-000001".into() }, input, &town.ctx(&clerk, at))
}

fn input_for(action: &str, town: &Town) -> Map<String, Json> {
    obj(match action {
        "reassign" => json!({"new_unit": town.longtan.to_string(), "reassign_reason": "经核实属龙潭村辖区"}),
        "accept" => {
            json!({"unit": town.longtan.to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true})
        }
        "transfer" => {
            json!({"transfer_mode": "transferred", "transferred_to": "从化区住房和城乡建设局", "notified_on": "2024-09-27", "notice_method": "mail"})
        }
        "object" => json!({"objection_reasons": "所涉事项属区住房和城乡建设局职责，不属于本镇职权范围"}),
        "objection_result" => json!({"objection_result": "not_agreed"}),
        "transfer_discipline" => json!({"discipline_body": "从化区纪委监委"}),
        "perform_duty" => {
            json!({"duty_result": "performed", "reply": "已依法查处并书面答复", "served_on": "2024-09-20"})
        }
        "redirect" => {
            json!({"route": "arbitration", "notified_on": "2024-09-27", "notice": "请向劳动人事争议仲裁委员会申请仲裁"})
        }
        "not_accept" => json!({"not_accepted_reason": "pending", "notified_on": "2024-09-27"}),
        "progress" | "reject_extension" | "supervise" => json!({"note": "已约谈信访人"}),
        "request_extension" => json!({"extension_days": 20, "extension_reason": "需现场勘测"}),
        "approve_extension" => json!({"extension_notified_on": "2024-09-27", "extension_notice_method": "mail"}),
        "conclude" => json!({
            "request": "办理宅基地确权登记",
            "facts_reasons": "经核查，材料齐全",
            "reply": "支持其请求，由规划建设办公室一个月内办结",
            "basis": "《不动产登记暂行条例》",
            "outcome": "support",
            "served_on": "2024-09-20",
        }),
        "reply" => json!({"reply": "建议已转有关部门研究采纳", "served_on": "2024-09-20"}),
        "rate" | "rate_archived" => json!({"result": "satisfied"}),
        "request_review" => {
            json!({"review_requested_on": "2024-08-20", "review_body": "从化区人民政府", "review_reason": "不服处理意见"})
        }
        "review_decide" => {
            json!({"review_result": "upheld", "review_opinion": "维持原处理意见", "review_decided_on": "2024-09-01", "review_served_on": "2024-09-02"})
        }
        "request_rereview" => {
            json!({"rereview_requested_on": "2024-08-20", "rereview_body": "广州市人民政府", "rereview_reason": "不服复查意见"})
        }
        "rereview_decide" => {
            json!({"rereview_result": "upheld", "rereview_opinion": "维持复查意见", "rereview_decided_on": "2024-09-01", "rereview_served_on": "2024-09-02"})
        }
        sh::NAME_ACCUSED => json!({"accused_users": [crate::ids::UserId::new().to_string()]}),
        "merge" => {
            json!({"original_case": CaseId::new().to_string(), "original_receipt": "AT-XF-2024-000002", "merge_reason": "同一事项重复来信"})
        }
        _ => json!({}),
    })
}

/// A petition in `state`, of a category the action accepts, with the dates its guards read: the
/// reply was served 2024-08-01 (so its 复查 window has closed by the test's Friday), and so on.
fn case_in(state: &str, action: &str, town: &Town) -> CaseRecord {
    let category = match action {
        "reply" => "suggestion",
        "transfer_discipline" => "accusation",
        sh::NAME_ACCUSED => "accusation",
        _ => "claim",
    };
    let opened = datetime!(2024-07-15 09:00 +8);
    let mut input = petition_input(category);
    if category == "accusation" {
        input.insert("accused_unit".into(), town.longtan.to_string().into());
    }
    if action == "object" {
        input.insert(facts::TRANSFERRED_FROM.into(), "从化区信访局".into());
    }
    let mut c = open_at(town, &input, opened).unwrap().case;
    let set = |c: &mut CaseRecord, k: &str, v: Json| {
        c.data.insert(k.into(), v);
    };
    if state != "registered" {
        set(&mut c, facts::ACCEPTED, "yes".into());
        set(&mut c, "accepted_on", "2024-07-16".into());
        set(&mut c, "notified_on", "2024-07-16".into());
        let route = if action == "perform_duty" { "duty" } else { "opinion" };
        set(&mut c, facts::CLAIM_ROUTE, route.into());
        let clerk = town.actor(town.center, &[Role::IntakeClerk]);
        let ctx = town.ctx(&clerk, opened);
        c.clocks.put(conclusion_clock(&c, "受理", &ctx));
    }
    if state == "extension_requested" || action == "request_extension" {
        // The extension is asked and decided while the period still runs (an expired one cannot
        // be extended).
        let clerk = town.actor(town.center, &[Role::IntakeClerk]);
        let ctx = town.ctx(&clerk, datetime!(2024-09-10 09:00 +8));
        c.clocks.put(conclusion_clock(&c, "受理", &ctx));
        set(&mut c, "extension_days", 20.into());
        set(&mut c, "extension_reason", "需现场勘测".into());
    }
    let served = matches!(state, "concluded" | "review" | "reviewed" | "rereview" | "final" | "archived");
    if served {
        set(&mut c, facts::CONCLUDED, "yes".into());
        set(&mut c, facts::CONCLUSION, "opinion".into());
        set(&mut c, "served_on", "2024-08-01".into());
    }
    if matches!(state, "review" | "reviewed" | "rereview" | "final") {
        set(&mut c, "review_requested_on", "2024-08-05".into());
    }
    if matches!(state, "reviewed" | "rereview" | "final") {
        set(&mut c, "review_served_on", "2024-08-10".into());
    }
    if matches!(state, "rereview" | "final") {
        set(&mut c, "rereview_requested_on", "2024-08-15".into());
    }
    if state == "rereview" {
        let rule = DeadlineRule {
            period: Period::new(30, TimeUnit::CalendarDay),
            trigger: "收到复核请求".into(),
            source: "测试".into(),
        };
        // A hearing is started within the 30 days (第三十六条第二款).
        let received = if action == "start_hearing" { date!(2024 - 09 - 10) } else { date!(2024 - 08 - 15) };
        let mut clock = Clock::start(REREVIEW, "复核期限", ClockClass::Statutory, rule, received, &town.calendar);
        if action == "end_hearing" {
            clock.suspended_since = Some(date!(2024 - 08 - 20));
        }
        c.clocks.put(clock);
    }
    let kind = kind(&town.settings);
    c.state = state.to_string();
    c.phase = kind.workflow.state(state).unwrap().phase;
    if c.phase != Phase::Open {
        c.closed_at = Some(c.opened_at);
    }
    c
}

fn take(
    kind: &KindDef,
    case: &CaseRecord,
    action: &ActionDef,
    input: &Map<String, Json>,
    ctx: &ActCtx<'_>,
) -> Result<Outcome, ActionError> {
    if action.internal {
        kind.act_internal(case, action.code, input, ctx)
    } else {
        kind.act(case, action.code, input, ctx)
    }
}

fn actor_for(action: &ActionDef, town: &Town) -> Actor {
    if action.roles.is_empty() { Actor::public(town.tenant) } else { town.actor(town.longtan, &action.roles) }
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
            let case = case_in(state.code, action.code, &town);
            let actor = actor_for(action, &town);
            let ctx = town.ctx(&actor, FRIDAY + Duration::hours(1));
            let result = take(&kind, &case, action, &input_for(action.code, &town), &ctx);
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
    assert_eq!(pairs, 17 * 28);
}

#[test]
fn the_fifteen_day_acceptance_clock_runs_from_receipt_and_rolls_past_national_day() {
    let town = Town::new();
    let mut input = petition_input("claim");
    input.insert("received_on".into(), "2024-09-16".into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    let clock = c.clocks.get(ACCEPT).unwrap();
    assert_eq!(clock.class, ClockClass::Statutory);
    // 2024-09-16 + 15 days = 10-01, National Day → the first working day after: 10-08.
    assert_eq!(c.clocks.statutory_due_on(), Some(date!(2024 - 10 - 08)));
    let steps = clock.explain().join("\n");
    assert!(steps.contains("依据：信访工作条例第二十三条"), "{steps}");
    assert!(steps.contains("自收到信访事项（2024-09-16）起算"), "{steps}");
    assert!(steps.contains("2024-10-01 为法定节假日（国庆节）"), "{steps}");
    assert_eq!(c.opened_at, day_start_ms(date!(2024 - 09 - 16)), "registered as of the day it was received");
    // A receipt date in the future is refused.
    input.insert("received_on".into(), "2024-09-30".into());
    assert_eq!(open_at(&town, &input, FRIDAY).unwrap_err().to_string(), "收到日期：收到日期不能晚于今天（2024-09-27）");
}

#[test]
fn acceptance_stops_the_notice_clock_at_the_notice_date_and_starts_sixty_days_for_a_claim() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = kind.act(&c, "accept", &input_for("accept", &town), &town.ctx(&clerk, FRIDAY)).unwrap().case;
    assert_eq!((c.state.as_str(), c.unit_id), ("handling", town.longtan));
    assert_eq!(c.clocks.get(ACCEPT).unwrap().met, Some(true));
    let conclude = c.clocks.get(CONCLUDE).unwrap();
    assert_eq!(conclude.class, ClockClass::Statutory);
    // 2024-09-27 + 60 days = 11-26, a Tuesday.
    assert_eq!(conclude.due(), Some(date!(2024 - 11 - 26)));
    assert!(conclude.explain()[0].contains("信访工作条例第三十四条"));
    // A suggestion gets the town's own target, which says so.
    let s = open_at(&town, &petition_input("suggestion"), FRIDAY).unwrap().case;
    let mut accept = input_for("accept", &town);
    accept.remove("route_checked");
    let s = kind.act(&s, "accept", &accept, &town.ctx(&clerk, FRIDAY)).unwrap().case;
    let target = s.clocks.get(CONCLUDE).unwrap();
    assert_eq!(target.class, ClockClass::Target);
    assert!(target.explain()[0].contains("本地配置 petition.other_conclude_days"));
}

#[test]
fn a_claim_is_accepted_only_after_the_article_thirty_one_check_and_otherwise_guided_to_its_route() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let mut accept = input_for("accept", &town);
    accept.remove("route_checked");
    let err = kind.act(&c, "accept", &accept, &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert!(err.to_string().contains("第三十一条审查"), "{err}");
    let out = kind.act(&c, "redirect", &input_for("redirect", &town), &town.ctx(&clerk, FRIDAY)).unwrap();
    assert_eq!(out.case.state, "redirected");
    assert_eq!(out.case.clocks.get(ACCEPT).unwrap().met, Some(true));
    assert!(out.case.data_str(facts::ACCEPTED).is_none(), "not counted as accepted");
    // Only claims are guided to another procedure.
    let s = open_at(&town, &petition_input("suggestion"), FRIDAY).unwrap().case;
    assert!(
        kind.act(&s, "redirect", &input_for("redirect", &town), &town.ctx(&clerk, FRIDAY))
            .unwrap_err()
            .to_string()
            .contains("只适用于申诉求决类")
    );
}

#[test]
fn not_accepting_needs_a_written_notice_unless_the_petitioner_cannot_be_reached() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let err = kind
        .act(&c, "not_accept", &obj(json!({"not_accepted_reason": "outside"})), &town.ctx(&clerk, FRIDAY))
        .unwrap_err();
    assert!(err.to_string().contains("第二十三条第二款"), "{err}");
    // 第二十三条第二款 "但信访人的姓名（名称）、住址不清的除外": without an address, no notice.
    let mut input = petition_input("claim");
    input.remove("party_address");
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    assert!(
        kind.act(&c, "not_accept", &obj(json!({"not_accepted_reason": "outside"})), &town.ctx(&clerk, FRIDAY)).is_ok()
    );
}

#[test]
fn unclear_content_or_an_unclear_petitioner_is_no_ground_to_refuse_acceptance_article_19_23_44() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    // The grounds named are those of 第三十六条第三款, 第十九条第三款 and 第二十三条第一款 — no
    // "unclear", no 待定 or 其他.
    let field = kind.workflow.action("not_accept").unwrap().field("not_accepted_reason").unwrap().clone();
    let FieldKind::Choice { options } = &field.kind else { panic!("a choice") };
    let codes: Vec<&str> = options.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["final", "pending", "outside"]);
    for (_, label) in options {
        assert!(label.contains("（第"), "every ground names its article: {label}");
        assert!(!label.contains("不清"), "an unclear petition is no ground to refuse: {label}");
    }
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let err = kind
        .act(
            &c,
            "not_accept",
            &obj(json!({"not_accepted_reason": "unclear", "notified_on": "2024-09-27"})),
            &town.ctx(&clerk, FRIDAY),
        )
        .unwrap_err();
    assert!(matches!(err, ActionError::Invalid(_)), "{err}");
    // 第十九条 "一般应当": an anonymous letter (no name, no address) is registered …
    let mut anonymous = petition_input("claim");
    anonymous.remove("party_name");
    anonymous.remove("party_address");
    anonymous.remove("party_phone");
    let c = open_at(&town, &anonymous, FRIDAY).unwrap().case;
    assert_eq!(c.state, "registered");
    // … and accepted without the written notice 第二十三条第二款 excuses; the 15-day clock stops on
    // the day it was accepted.
    let accept = json!({"unit": town.longtan.to_string(), "accepted_on": "2024-09-27", "route_checked": true});
    let c = act_on(&town, &c, &clerk, "accept", accept.clone(), "2024-09-27").unwrap();
    assert_eq!(c.state, "handling");
    assert_eq!(c.clocks.get(ACCEPT).unwrap().stopped_on, Some(date!(2024 - 09 - 27)));
    // A named petitioner with an address is told in writing: the notice and its method are needed.
    let named = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let err = act_on(&town, &named, &clerk, "accept", accept, "2024-09-27").unwrap_err();
    assert!(err.to_string().contains("应当书面告知信访人（《信访工作条例》第二十三条第二款）"), "{err}");
    let no_method = json!({"unit": town.longtan.to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "route_checked": true});
    let err = act_on(&town, &named, &clerk, "accept", no_method, "2024-09-27").unwrap_err();
    assert_eq!(err, ActionError::Refused("请选择书面告知方式（《信访工作条例》第二十三条第二款）".into()));
}

#[test]
fn the_registration_form_requires_only_the_request_with_its_facts_and_reasons_article_19() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let required: Vec<&str> = kind.workflow.open.fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    // 第十九条: the petitioner "一般应当" state name, address, request, facts and reasons; none of the
    // petitioner's particulars is required (title, category and channel are the clerk's).
    assert_eq!(required, ["title", "content", "category", "channel"]);
}

#[test]
fn a_text_message_is_not_the_written_notice_of_article_23() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    for action in ["accept", "transfer"] {
        let f = kind.workflow.action(action).unwrap().field("notice_method").unwrap();
        assert!(f.choice_label("sms").is_none(), "{action}: 第二十三条第二款 书面告知");
        assert!(f.choice_label("mail").is_some(), "{action}");
    }
    // The extension's notice (第三十四条 "告知", not 书面) may still be sent by text.
    let f = kind.workflow.action("approve_extension").unwrap().field("extension_notice_method").unwrap();
    assert!(f.choice_label("sms").is_some());
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let accept = json!({"unit": town.longtan.to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "sms", "route_checked": true});
    let err = act_on(&town, &c, &clerk, "accept", accept, "2024-09-27").unwrap_err();
    let ActionError::Invalid(errors) = err else { panic!("a field error") };
    assert_eq!(errors[0].field, "notice_method", "{errors:?}");
}

#[test]
fn extensions_need_the_heads_approval_and_notice_and_add_up_to_thirty_days_at_most() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let leader = town.actor(town.town, &[Role::Leader]);
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let c = kind.act(&c, "accept", &input_for("accept", &town), &town.ctx(&clerk, FRIDAY)).unwrap().case;
    let c = kind
        .act(&c, "request_extension", &input_for("request_extension", &town), &town.ctx(&handler, FRIDAY))
        .unwrap()
        .case;
    let err = kind
        .act(&c, "approve_extension", &obj(json!({"extension_notice_method": "mail"})), &town.ctx(&leader, FRIDAY))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "告知信访人延期理由日期：不能为空",
        "第三十四条: the notice is a dated fact, not a tick"
    );
    let c = kind
        .act(&c, "approve_extension", &input_for("approve_extension", &town), &town.ctx(&leader, FRIDAY))
        .unwrap()
        .case;
    // 11-26 + 20 days = 12-16, a Monday.
    assert_eq!(c.clocks.due_on(), Some(date!(2024 - 12 - 16)));
    let steps = c.clocks.get(CONCLUDE).unwrap().explain().join("\n");
    assert!(steps.contains("批准延长 20日（信访工作条例第三十四条；需现场勘测）"), "{steps}");
    assert_eq!(c.data_i64(facts::EXTENDED_DAYS), Some(20));
    let err = kind
        .act(
            &c,
            "request_extension",
            &obj(json!({"extension_days": 11, "extension_reason": "再等"})),
            &town.ctx(&handler, FRIDAY),
        )
        .unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused(
            "延长办理期限累计不得超过30日（《信访工作条例》第三十四条），已延长20日，本次最多可申请10日".into()
        )
    );
    let c = kind
        .act(
            &c,
            "request_extension",
            &obj(json!({"extension_days": 10, "extension_reason": "再等"})),
            &town.ctx(&handler, FRIDAY),
        )
        .unwrap()
        .case;
    let c = kind
        .act(&c, "approve_extension", &input_for("approve_extension", &town), &town.ctx(&leader, FRIDAY))
        .unwrap()
        .case;
    // 12-16 + 10 = 12-26.
    assert_eq!(c.clocks.due_on(), Some(date!(2024 - 12 - 26)));
}

#[test]
fn the_opinion_letter_is_for_claims_and_the_reply_for_the_other_categories() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let claim = case_in("handling", "conclude", &town);
    assert!(
        kind.act(&claim, "reply", &input_for("reply", &town), &town.ctx(&handler, FRIDAY))
            .unwrap_err()
            .to_string()
            .contains("信访处理意见书")
    );
    let out = kind.act(&claim, "conclude", &input_for("conclude", &town), &town.ctx(&handler, FRIDAY)).unwrap();
    assert_eq!(out.case.data_str("outcome"), Some("support"));
    assert_eq!(out.case.data_str(facts::ONE_TIME), Some("yes"));
    let mut bad = input_for("conclude", &town);
    bad.insert("outcome".into(), "部分支持".into());
    assert_eq!(
        kind.act(&claim, "conclude", &bad, &town.ctx(&handler, FRIDAY)).unwrap_err().to_string(),
        "处理结果：“部分支持”不是可选项，应为：支持、解释说明、不予支持"
    );
    let suggestion = case_in("handling", "reply", &town);
    assert!(kind.act(&suggestion, "conclude", &input_for("conclude", &town), &town.ctx(&handler, FRIDAY)).is_err());
    let out = kind.act(&suggestion, "reply", &input_for("reply", &town), &town.ctx(&handler, FRIDAY)).unwrap();
    assert!(out.case.data_str(facts::ONE_TIME).is_none(), "one-time resolution is about claims only");
}

#[test]
fn a_late_conclusion_is_not_on_time() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let c = case_in("handling", "conclude", &town);
    // Accepted 2024-07-15 → due 09-13; served 09-20.
    let out = kind.act(&c, "conclude", &input_for("conclude", &town), &town.ctx(&handler, FRIDAY)).unwrap();
    assert_eq!(out.case.clocks.get(CONCLUDE).unwrap().met, Some(false));
    assert_eq!(out.case.data_str(facts::ON_TIME), Some("no"));
}

#[test]
fn review_is_asked_within_thirty_days_of_the_reply_a_late_request_is_recorded_and_flagged_not_refused() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut c = case_in("concluded", "request_review", &town);
    c.data.insert("served_on".into(), "2024-09-01".into());
    let at = |d: &str| {
        town.ctx(
            &clerk,
            OffsetDateTime::parse(&format!("{d}T10:00:00+08:00"), &time::format_description::well_known::Rfc3339)
                .unwrap(),
        )
    };
    // Served 09-01: the 30 days end 10-01, a holiday → 10-08. Asked 10-09: recorded, flagged for
    // the 复查 body (第三十五条), not refused at the door.
    let mut input = input_for("request_review", &town);
    input.insert("review_requested_on".into(), "2024-10-09".into());
    let late = kind.act(&c, "request_review", &input, &at("2024-10-09")).unwrap().case;
    assert_eq!(late.state, "review");
    assert_eq!(late.data_str(facts::REVIEW_REQUEST_LATE), Some("yes"));
    assert_eq!(
        sh::notices(&late.data),
        vec![
            "复查申请于 2024-10-09 提出，超过收到书面答复之日起30日的期限（2024-10-08 届满，《信访工作条例》第三十五条）：已登记，由复查机关决定是否受理"
                .to_string()
        ]
    );
    input.insert("review_requested_on".into(), "2024-10-08".into());
    let r = kind.act(&c, "request_review", &input, &at("2024-10-08")).unwrap().case;
    assert_eq!(r.state, "review");
    assert!(r.data_str(facts::REVIEW_REQUEST_LATE).is_none(), "asked on the last day is in time");
    assert_eq!(r.data_str(facts::ONE_TIME), Some("no"));
    let clock = r.clocks.get(REVIEW).unwrap();
    // 10-08 + 30 = 11-07, a Thursday.
    assert_eq!(clock.due(), Some(date!(2024 - 11 - 07)));
    assert!(clock.explain()[0].contains("信访工作条例第三十五条"));
    // Archiving before the window closes is refused.
    let mut early = case_in("concluded", "archive", &town);
    early.data.insert("served_on".into(), "2024-09-20".into());
    assert_eq!(
        kind.act(&early, "archive", &Map::new(), &town.ctx(&clerk, FRIDAY)).unwrap_err().to_string(),
        "信访人可在 2024-10-21 前申请复查（《信访工作条例》第三十五条），期限届满后方可归档"
    );
}

#[test]
fn after_rereview_the_matter_is_final_and_the_same_matter_is_refused() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let c = case_in("rereview", "rereview_decide", &town);
    let out = kind.act(&c, "rereview_decide", &input_for("rereview_decide", &town), &town.ctx(&clerk, FRIDAY)).unwrap();
    assert_eq!((out.case.state.as_str(), out.case.data_str(facts::FINAL)), ("final", Some("yes")));
    let finished = out.case;
    // A new petition linked to it as the same matter can no longer be accepted.
    let mut again = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    note_same_matter(&mut again, &finished);
    assert_eq!(again.data_str(facts::SAME_MATTER_FINAL), Some("AT-XF-2024-000001"));
    let err = kind.act(&again, "accept", &input_for("accept", &town), &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert!(err.to_string().contains("第三十六条第三款"), "{err}");
    assert!(
        kind.act(
            &again,
            "not_accept",
            &obj(json!({"not_accepted_reason": "final", "notified_on": "2024-09-27"})),
            &town.ctx(&clerk, FRIDAY)
        )
        .is_ok()
    );
    // A petition that is not final marks nothing.
    let mut other = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    note_same_matter(&mut other, &again);
    assert!(other.data_str(facts::SAME_MATTER_FINAL).is_none());
}

/// Runs a claim through a path and returns its facts.
fn claim_through(town: &Town, path: &[&str]) -> CaseRecord {
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let district = town.actor(town.town, &[Role::District]);
    let mut t = datetime!(2024-03-01 09:00 +8);
    let mut c = open_at(town, &petition_input("claim"), t).unwrap().case;
    let day = |t: OffsetDateTime| crate::time_util::fmt_date(crate::time_util::local_date(t));
    for step in path {
        t += Duration::days(3);
        let (who, input) = match *step {
            "accept" => (
                &clerk,
                json!({"unit": town.longtan.to_string(), "accepted_on": day(t), "notified_on": day(t), "notice_method": "mail", "route_checked": true}),
            ),
            "conclude" => {
                let mut v = Json::Object(input_for("conclude", town));
                v["served_on"] = json!(day(t));
                (&handler, v)
            }
            "request_review" => (
                &clerk,
                json!({"review_requested_on": day(t), "review_body": "从化区人民政府", "review_reason": "不服"}),
            ),
            "upheld" | "revoked" => (
                &district,
                json!({"review_result": step, "review_opinion": "意见", "review_decided_on": day(t), "review_served_on": day(t)}),
            ),
            other => panic!("no step {other}"),
        };
        let code = match *step {
            "upheld" | "revoked" => "review_decide",
            s => s,
        };
        c = kind.act(&c, code, &obj(input), &town.ctx(who, t)).unwrap_or_else(|e| panic!("{step}: {e}")).case;
    }
    c
}

#[test]
fn one_time_resolution_means_concluded_at_the_first_handling_without_review_or_reopening() {
    let town = Town::new();
    let once = claim_through(&town, &["accept", "conclude"]);
    assert_eq!(once.data_str(facts::ONE_TIME), Some("yes"));
    let reviewed = claim_through(&town, &["accept", "conclude", "request_review", "upheld"]);
    assert_eq!((reviewed.state.as_str(), reviewed.data_str(facts::ONE_TIME)), ("reviewed", Some("no")));
    let reopened = claim_through(&town, &["accept", "conclude", "request_review", "revoked"]);
    assert_eq!((reopened.state.as_str(), reopened.data_i64(facts::REOPENS)), ("handling", Some(1)));
    assert!(reopened.clocks.get(CONCLUDE).unwrap().explain()[0].contains("复查撤销后重新办理"));
    let again = claim_through(&town, &["accept", "conclude", "request_review", "revoked", "conclude"]);
    assert_eq!((again.state.as_str(), again.data_str(facts::ONE_TIME)), ("concluded", Some("no")));
    assert_eq!(again.data_str(facts::CONCLUDED), Some("yes"));
    // Still handling at the first go: neither counted as concluded nor as one-time.
    let open = claim_through(&town, &["accept"]);
    assert!(open.data_str(facts::CONCLUDED).is_none() && open.data_str(facts::ONE_TIME).is_none());
    // The catalogue's set for the rate's numerator is exactly these facts.
    let cat = crate::kinds::Kinds::standard(&Settings::default()).catalogue(&Settings::default());
    let set = cat.traced_set("petition.one_time_rate").unwrap();
    let holds = |c: &CaseRecord| {
        set.conds.iter().all(|cond| match cond {
            Cond::DataEq { key, value } => c.data_str(key) == Some(value.as_str()),
            _ => true,
        })
    };
    let fixtures = [&once, &reviewed, &reopened, &again, &open];
    let numerator: Vec<bool> = fixtures.iter().map(|c| holds(c)).collect();
    assert_eq!(numerator, vec![true, false, false, false, false]);
}

#[test]
fn an_accusation_names_the_accused_unit_is_marked_confidential_and_never_reaches_that_unit() {
    let mut town = Town::new();
    let office = add_office(&mut town);
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = petition_input("accusation");
    input.insert("title".into(), "反映某单位工作人员违规收费".into());
    assert!(open_at(&town, &input, FRIDAY).unwrap_err().to_string().contains("须填写被检举控告单位"));
    input.insert("accused_unit".into(), office.to_string().into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    let (unit, keys) = sh::confidential(&c.data).unwrap();
    assert_eq!(unit, office);
    assert_eq!(keys, CONFIDENTIAL_KEYS.iter().map(|k| k.to_string()).collect::<Vec<_>>());
    assert!(!c.search_text.contains("黄某"), "the accuser cannot be found by name: {}", c.search_text);
    // Readers at the accused office are withheld from; readers elsewhere are not.
    let office_path = town.units[&office].path.clone();
    let keys = sh::withheld_from(&c.data, Some(&office_path), &town.units).unwrap();
    let mut shown = c.data.clone();
    sh::withhold(&mut shown, &keys);
    assert_eq!(shown["party_name"], WITHHELD);
    assert_eq!(shown["party_phone"], WITHHELD);
    assert_eq!(shown["content"], WITHHELD);
    assert_eq!(shown[facts::CATEGORY], "accusation", "what is not the accuser's stays");
    assert!(sh::withheld_from(&c.data, Some(&town.units[&town.center].path), &town.units).is_none());
    assert!(sh::withheld_from(&c.data, None, &town.units).is_none(), "the petitioner with the receipt's code");
    // Handing it to the accused office is refused.
    let mut accept = input_for("accept", &town);
    accept.insert("unit".into(), office.to_string().into());
    let err = kind.act(&c, "accept", &accept, &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused(
            "检举控告事项不得交由被检举控告的单位（司法所）或其下属单位办理（《信访工作条例》第三十条）".into()
        )
    );
    accept.insert("unit".into(), town.longtan.to_string().into());
    let accepted = kind.act(&c, "accept", &accept, &town.ctx(&clerk, FRIDAY)).unwrap().case;
    // 改派 keeps the same rule: never to the accused office, and the 60 days keep their date.
    let to_office = obj(json!({"new_unit": office.to_string(), "reassign_reason": "改由司法所办理"}));
    assert_eq!(
        kind.act(&accepted, "reassign", &to_office, &town.ctx(&clerk, FRIDAY)).unwrap_err(),
        ActionError::Refused(
            "检举控告事项不得交由被检举控告的单位（司法所）或其下属单位办理（《信访工作条例》第三十条）".into()
        )
    );
    let xitang = town.units.values().find(|u| u.name == "西塘村").unwrap().id;
    let to_xitang = obj(json!({"new_unit": xitang.to_string(), "reassign_reason": "所涉事项在西塘村"}));
    let moved = kind.act(&accepted, "reassign", &to_xitang, &town.ctx(&clerk, FRIDAY + Duration::days(5))).unwrap();
    assert_eq!((moved.case.state.as_str(), moved.case.unit_id), ("handling", xitang));
    assert_eq!(moved.case.clocks, accepted.clocks, "第三十四条's 60 days run from 受理, not from 改派");
    // Other categories do not name an accused unit.
    let mut wrong = petition_input("claim");
    wrong.insert("accused_unit".into(), office.to_string().into());
    assert_eq!(
        open_at(&town, &wrong, FRIDAY).unwrap_err(),
        ActionError::Refused("只有检举控告类信访事项填写被检举控告单位".into())
    );
}

#[test]
fn accused_staff_named_at_registration_or_later_are_added_to_the_marker_and_never_removed() {
    // 第三十条: the case is withheld from the accused persons as much as from the accused unit.
    let mut town = Town::new();
    let office = add_office(&mut town);
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let (a, b) = (crate::ids::UserId::new(), crate::ids::UserId::new());
    let mut input = petition_input("accusation");
    input.insert("accused_unit".into(), office.to_string().into());
    input.insert("accused_users".into(), format!("{a},{a}").into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    let w = sh::withheld_parties(&c.data).unwrap();
    assert_eq!((w.unit, w.users.clone()), (Some(office), vec![a]), "named once, however often chosen");
    let named = obj(json!({"accused_users": [b.to_string(), a.to_string()], "note": "调查中查明"}));
    let out = kind.act(&c, sh::NAME_ACCUSED, &named, &town.ctx(&clerk, FRIDAY)).unwrap();
    assert_eq!(sh::withheld_parties(&out.case.data).unwrap().users, vec![a, b]);
    assert_eq!(out.case.data[sh::ACCUSED_USERS], json!([a.to_string(), b.to_string()]));
    assert_eq!(out.case.state, c.state, "naming changes no state");
    // Only an accusation names accused staff, at registration or later.
    let mut claim = petition_input("claim");
    claim.insert("accused_users".into(), a.to_string().into());
    assert_eq!(
        open_at(&town, &claim, FRIDAY).unwrap_err(),
        ActionError::Refused("只有检举控告类信访事项填写被检举控告的工作人员".into())
    );
    let plain = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    assert!(sh::withheld_parties(&plain.data).is_none());
    let err = kind.act(&plain, sh::NAME_ACCUSED, &named, &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert!(err.to_string().contains("只有检举控告事项"), "{err}");
    // A token that is not a user id is named as such.
    let bad = obj(json!({"accused_users": "张三"}));
    let err = kind.act(&c, sh::NAME_ACCUSED, &bad, &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert!(err.to_string().contains("“张三”不是本系统的工作人员"), "{err}");
}

#[test]
fn bad_registration_input_lists_every_bad_field_in_chinese() {
    let town = Town::new();
    let mut input = petition_input("claim");
    input.insert("category".into(), "投诉类".into());
    input.insert("channel".into(), "微信".into());
    input.insert("received_on".into(), "2024-13-01".into());
    input.insert("party_idcard".into(), "123".into());
    input.remove("content");
    let ActionError::Invalid(errors) = open_at(&town, &input, FRIDAY).unwrap_err() else { panic!("field errors") };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields.len(), 5, "{errors:?}");
    for f in ["category", "channel", "received_on", "party_idcard", "content"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert!(
        errors.iter().any(|e| e.message() == "信访类别：“投诉类”不是可选项，应为：建议意见类、检举控告类、申诉求决类")
    );
}

#[test]
fn the_metric_catalogue_has_the_seed_figures_of_petitions() {
    let cat = crate::kinds::Kinds::standard(&Settings::default()).catalogue(&Settings::default());
    cat.check().unwrap();
    assert_eq!(cat.of_kind(SLUG).count(), 13);
    let mut raw = |m: &MetricDef| match m.code {
        "petition.claims_concluded" => 274,
        "petition.one_time" => 270,
        "petition.rated" => 265,
        "petition.satisfied" => 264,
        "petition.concluded" | "petition.accepted" => 432,
        // 规定时间办结率 over the petitions whose deadline fell in the year, concluded or not.
        "petition.due" | "petition.on_time" => 407,
        _ => 0,
    };
    assert_eq!(cat.figure("petition.one_time_rate", &mut raw).unwrap().to_string(), "98.54%");
    assert_eq!(cat.figure("petition.satisfaction_rate", &mut raw).unwrap().to_string(), "99.62%");
    assert_eq!(cat.figure("petition.on_time_rate", &mut raw).unwrap().to_string(), "100%");
    assert!(cat.get("petition.accepted").unwrap().formula.contains("受理"));
    assert_eq!(
        cat.get("petition.on_time_rate").unwrap().formula,
        "按期办结数 ÷ 应办结数（办理期限在期间内届满的信访事项，含超期未办结的）"
    );
    let due = cat.traced_set("petition.due").unwrap();
    assert!(due.conds.contains(&Cond::DateIn { key: "due_conclude" }), "应办结 is by deadline: {due:?}");
    assert!(!due.conds.contains(&Cond::OpenedIn), "whenever it was accepted");
    let merged_out = cat.traced_set("petition.accepted").unwrap();
    assert!(merged_out.conds.contains(&Cond::DataEq { key: COUNTED, value: "yes".into() }));
}

/// 10:00 on a day, China time.
fn on(day: &str) -> OffsetDateTime {
    OffsetDateTime::parse(&format!("{day}T10:00:00+08:00"), &time::format_description::well_known::Rfc3339).unwrap()
}

/// Takes `action` as `who`, typed in on `typed`.
fn act_on(
    town: &Town,
    c: &CaseRecord,
    who: &Actor,
    action: &str,
    input: Json,
    typed: &str,
) -> Result<CaseRecord, ActionError> {
    kind(&town.settings).act(c, action, &obj(input), &town.ctx(who, on(typed))).map(|o| o.case)
}

/// A claim received 2023-11-01, accepted and notified 2023-11-05, all typed in on 2023-11-30 —
/// the issue's own example.
fn claim_accepted_1105(town: &Town) -> CaseRecord {
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = petition_input("claim");
    input.insert("received_on".into(), "2023-11-01".into());
    let c = open_at(town, &input, on("2023-11-30")).unwrap().case;
    let accept = json!({"unit": town.longtan.to_string(), "accepted_on": "2023-11-05", "notified_on": "2023-11-05", "notice_method": "mail", "route_checked": true});
    act_on(town, &c, &clerk, "accept", accept, "2023-11-30").unwrap()
}

fn opinion(served_on: &str) -> Json {
    let mut v = Json::Object(input_for("conclude", &Town::new()));
    v["served_on"] = json!(served_on);
    v
}

#[test]
fn the_sixty_day_clock_runs_from_the_acceptance_date_recorded_not_the_day_it_was_typed_in() {
    let town = Town::new();
    let c = claim_accepted_1105(&town);
    let clock = c.clocks.get(CONCLUDE).unwrap();
    // 第三十四条 自受理之日起六十日: 2023-11-05 + 60 days = 2024-01-04, a Thursday (typed in on
    // 11-30 it would have been 2024-01-29).
    assert_eq!(clock.due(), Some(date!(2024 - 01 - 04)));
    assert!(clock.explain()[0].contains("自受理（2023-11-05）起算"), "{:?}", clock.explain());
    // The 15-day notice clock of 第二十三条 stopped on the notice date: received 11-01, due 11-16.
    let notice = c.clocks.get(ACCEPT).unwrap();
    assert_eq!((notice.stopped_on, notice.met), (Some(date!(2023 - 11 - 05)), Some(true)));
    assert_eq!(c.opened_at, day_start_ms(date!(2023 - 11 - 01)), "registered as of the day received");
    assert_eq!(c.effective_at, day_start_ms(date!(2023 - 11 - 05)), "accepted as of the day accepted");
    assert_eq!(c.data_str("accepted_on"), Some("2023-11-05"));
}

#[test]
fn acceptance_needs_its_own_date_no_earlier_than_receipt_and_a_notice_no_earlier_than_acceptance() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = petition_input("claim");
    input.insert("received_on".into(), "2024-09-20".into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    let accept = |accepted: Option<&str>, notified: &str| {
        let mut v = json!({"unit": town.longtan.to_string(), "notified_on": notified, "notice_method": "mail", "route_checked": true});
        if let Some(a) = accepted {
            v["accepted_on"] = json!(a);
        }
        act_on(&town, &c, &clerk, "accept", v, "2024-09-27")
    };
    assert_eq!(accept(None, "2024-09-23").unwrap_err().to_string(), "受理日期：不能为空");
    assert_eq!(
        accept(Some("2024-09-19"), "2024-09-23").unwrap_err().to_string(),
        "受理日期：受理日期不能早于本件的收到（登记）日期 2024-09-20"
    );
    assert_eq!(
        accept(Some("2024-09-23"), "2024-09-22").unwrap_err(),
        ActionError::Refused("书面告知日期不能早于受理日期 2024-09-23".into())
    );
    let ok = accept(Some("2024-09-23"), "2024-09-24").unwrap();
    // 2024-09-23 + 60 = 11-22, a Friday.
    assert_eq!(ok.clocks.get(CONCLUDE).unwrap().due(), Some(date!(2024 - 11 - 22)));
    assert_eq!(ok.clocks.get(ACCEPT).unwrap().stopped_on, Some(date!(2024 - 09 - 24)));
}

#[test]
fn the_conclusion_stops_the_clock_and_closes_the_case_on_the_day_served_as_recorded() {
    let town = Town::new();
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let c = claim_accepted_1105(&town);
    // Served on the last day, typed in six days later: on time, closed as of the day served.
    let done = act_on(&town, &c, &handler, "conclude", opinion("2024-01-04"), "2024-01-10").unwrap();
    let clock = done.clocks.get(CONCLUDE).unwrap();
    assert_eq!((clock.stopped_on, clock.met), (Some(date!(2024 - 01 - 04)), Some(true)));
    assert_eq!(done.data_str(facts::ON_TIME), Some("yes"));
    assert_eq!(done.closed_at, Some(day_start_ms(date!(2024 - 01 - 04))));
    // Served the day after: late, 第三十四条.
    let late = act_on(&town, &c, &handler, "conclude", opinion("2024-01-05"), "2024-01-10").unwrap();
    assert_eq!(late.clocks.get(CONCLUDE).unwrap().met, Some(false));
    assert_eq!(late.data_str(facts::ON_TIME), Some("no"));
}

/// A claim concluded by an opinion served 2024-01-04.
fn concluded_0104(town: &Town) -> CaseRecord {
    let handler = town.actor(town.longtan, &[Role::Handler]);
    act_on(town, &claim_accepted_1105(town), &handler, "conclude", opinion("2024-01-04"), "2024-01-10").unwrap()
}

fn review_request(on_day: &str) -> Json {
    json!({"review_requested_on": on_day, "review_body": "从化区人民政府", "review_reason": "不服处理意见"})
}

fn review_decision(result: &str, decided: &str, served: &str) -> Json {
    json!({"review_result": result, "review_opinion": "意见", "review_decided_on": decided, "review_served_on": served})
}

fn rereview_request(on_day: &str) -> Json {
    json!({"rereview_requested_on": on_day, "rereview_body": "广州市人民政府", "rereview_reason": "不服复查意见"})
}

fn rereview_decision(result: &str, decided: &str, served: &str) -> Json {
    json!({"rereview_result": result, "rereview_opinion": "意见", "rereview_decided_on": decided, "rereview_served_on": served})
}

#[test]
fn the_review_and_rereview_clocks_run_from_the_request_dates_recorded_and_stop_on_the_answers() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let c = concluded_0104(&town);
    // 复查 asked 2024-01-20, typed in 02-01: 第三十五条 30 days → 02-19, a Monday.
    let c = act_on(&town, &c, &clerk, "request_review", review_request("2024-01-20"), "2024-02-01").unwrap();
    let review = c.clocks.get(REVIEW).unwrap();
    assert_eq!(review.due(), Some(date!(2024 - 02 - 19)));
    assert!(review.explain()[0].contains("自收到复查请求（2024-01-20）起算"), "{:?}", review.explain());
    assert_eq!(c.closed_at, None, "under review the matter is open again");
    // Answered in writing on 02-15 (第三十五条: the written answer), typed in 03-01.
    let c = act_on(
        &town,
        &c,
        &district,
        "review_decide",
        review_decision("upheld", "2024-02-10", "2024-02-15"),
        "2024-03-01",
    )
    .unwrap();
    let review = c.clocks.get(REVIEW).unwrap();
    assert_eq!((review.stopped_on, review.met), (Some(date!(2024 - 02 - 15)), Some(true)));
    assert_eq!(c.closed_at, Some(day_start_ms(date!(2024 - 02 - 15))));
    assert!(c.data_str(facts::REVIEW_ANSWER_LATE).is_none());
    // 复核 asked 03-01, typed in 03-10: 第三十六条 30 days → 03-31, a Sunday → 04-01.
    let c = act_on(&town, &c, &clerk, "request_rereview", rereview_request("2024-03-01"), "2024-03-10").unwrap();
    let rereview = c.clocks.get(REREVIEW).unwrap();
    assert_eq!(rereview.due(), Some(date!(2024 - 04 - 01)));
    assert!(rereview.explain()[0].contains("自收到复核请求（2024-03-01）起算"));
    // The opinion made 03-25 (第三十六条: 提出复核意见), served 03-26, typed in 04-10.
    let c = act_on(
        &town,
        &c,
        &district,
        "rereview_decide",
        rereview_decision("upheld", "2024-03-25", "2024-03-26"),
        "2024-04-10",
    )
    .unwrap();
    let rereview = c.clocks.get(REREVIEW).unwrap();
    assert_eq!((rereview.stopped_on, rereview.met), (Some(date!(2024 - 03 - 25)), Some(true)));
    assert_eq!((c.state.as_str(), c.closed_at), ("final", Some(day_start_ms(date!(2024 - 03 - 26)))));
}

#[test]
fn a_higher_bodys_answer_after_its_thirty_days_is_recorded_and_flagged_late_not_refused() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let c = concluded_0104(&town);
    let c = act_on(&town, &c, &clerk, "request_review", review_request("2024-01-20"), "2024-01-20").unwrap();
    // Due 02-19; the written answer was served 02-20.
    let c = act_on(
        &town,
        &c,
        &district,
        "review_decide",
        review_decision("upheld", "2024-02-19", "2024-02-20"),
        "2024-02-21",
    )
    .unwrap();
    assert_eq!(c.state, "reviewed");
    assert_eq!(c.clocks.get(REVIEW).unwrap().met, Some(false), "第三十五条: thirty days to answer in writing");
    assert_eq!(c.data_str(facts::REVIEW_ANSWER_LATE), Some("yes"));
    assert!(
        sh::notices(&c.data)
            .iter()
            .any(|n| n.contains("复查意见书面答复") && n.contains("于 2024-02-20") && n.contains("2024-02-19 届满")),
        "{:?}",
        sh::notices(&c.data)
    );
    // 复核 asked 02-25 → due 03-26; the opinion made 03-27.
    let c = act_on(&town, &c, &clerk, "request_rereview", rereview_request("2024-02-25"), "2024-02-25").unwrap();
    assert_eq!(c.clocks.get(REREVIEW).unwrap().due(), Some(date!(2024 - 03 - 26)));
    let c = act_on(
        &town,
        &c,
        &district,
        "rereview_decide",
        rereview_decision("upheld", "2024-03-27", "2024-03-27"),
        "2024-03-28",
    )
    .unwrap();
    assert_eq!(c.clocks.get(REREVIEW).unwrap().met, Some(false), "第三十六条: thirty days to give the opinion");
    assert_eq!(c.data_str(facts::REREVIEW_ANSWER_LATE), Some("yes"));
}

#[test]
fn hearing_days_are_left_out_of_the_rereview_period() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let c = concluded_0104(&town);
    let c = act_on(&town, &c, &clerk, "request_review", review_request("2024-01-20"), "2024-01-20").unwrap();
    let c = act_on(
        &town,
        &c,
        &district,
        "review_decide",
        review_decision("upheld", "2024-02-10", "2024-02-15"),
        "2024-02-15",
    )
    .unwrap();
    let c = act_on(&town, &c, &clerk, "request_rereview", rereview_request("2024-03-01"), "2024-03-01").unwrap();
    assert_eq!(c.clocks.get(REREVIEW).unwrap().due(), Some(date!(2024 - 04 - 01)), "without a hearing");
    // Ending a hearing never started is refused.
    let err = act_on(&town, &c, &district, "end_hearing", json!({}), "2024-03-05").unwrap_err();
    assert_eq!(err, ActionError::Refused("尚未登记听证开始".into()));
    // A hearing from 03-10 to 03-12, typed in on 03-15.
    let c = act_on(&town, &c, &district, "start_hearing", json!({"hearing_started_on": "2024-03-10"}), "2024-03-15")
        .unwrap();
    assert_eq!(c.clocks.get(REREVIEW).unwrap().due(), None, "no date runs during the hearing");
    let err = act_on(
        &town,
        &c,
        &district,
        "rereview_decide",
        rereview_decision("upheld", "2024-03-15", "2024-03-15"),
        "2024-03-15",
    )
    .unwrap_err();
    assert!(err.to_string().contains("听证尚未结束"), "{err}");
    let c =
        act_on(&town, &c, &district, "end_hearing", json!({"hearing_ended_on": "2024-03-12"}), "2024-03-15").unwrap();
    let clock = c.clocks.get(REREVIEW).unwrap();
    // 第三十六条第二款: 03-31 + the three hearing days (03-10, 03-11, 03-12) = 04-03, a Wednesday.
    assert_eq!(clock.due(), Some(date!(2024 - 04 - 03)));
    let steps = clock.explain().join("\n");
    assert!(steps.contains("2024-03-10 至 2024-03-12 不计入期限，共 3日"), "{steps}");
    assert!(steps.contains("第三十六条第二款"), "{steps}");
    // The opinion made on 04-03 is in time thanks to the hearing days.
    let done = act_on(
        &town,
        &c,
        &district,
        "rereview_decide",
        rereview_decision("upheld", "2024-04-03", "2024-04-03"),
        "2024-04-03",
    )
    .unwrap();
    assert_eq!(done.clocks.get(REREVIEW).unwrap().met, Some(true));
}

#[test]
fn a_late_review_request_is_recorded_for_the_review_body_which_may_decide_not_to_accept_it() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let c = concluded_0104(&town);
    // Served 01-04: 30 days → 02-03, a Saturday → 02-04, a make-up working Sunday. Asked 02-05.
    let late = act_on(&town, &c, &clerk, "request_review", review_request("2024-02-05"), "2024-02-05").unwrap();
    assert_eq!((late.state.as_str(), late.data_str(facts::REVIEW_REQUEST_LATE)), ("review", Some("yes")));
    assert!(sh::notices(&late.data)[0].contains("2024-02-04 届满"), "{:?}", sh::notices(&late.data));
    let out = act_on(
        &town,
        &late,
        &district,
        "review_decide",
        review_decision("late_rejected", "2024-02-06", "2024-02-06"),
        "2024-02-06",
    )
    .unwrap();
    assert_eq!((out.state.as_str(), out.phase), ("request_not_accepted", Phase::Closed));
    assert!(out.data_str(facts::FINAL).is_none() && out.data_i64(facts::REOPENS) == Some(0));
    // A request made in time cannot be turned away as late.
    let timely = act_on(&town, &c, &clerk, "request_review", review_request("2024-02-04"), "2024-02-04").unwrap();
    assert!(timely.data_str(facts::REVIEW_REQUEST_LATE).is_none());
    let err = act_on(
        &town,
        &timely,
        &district,
        "review_decide",
        review_decision("late_rejected", "2024-02-06", "2024-02-06"),
        "2024-02-06",
    )
    .unwrap_err();
    assert_eq!(err, ActionError::Refused("复查申请未超过30日的期限，不能以逾期为由不予受理".into()));
    // 复核 asked after its 30 days is flagged the same way (第三十六条).
    let reviewed = act_on(
        &town,
        &timely,
        &district,
        "review_decide",
        review_decision("upheld", "2024-02-06", "2024-02-06"),
        "2024-02-06",
    )
    .unwrap();
    let r = act_on(&town, &reviewed, &clerk, "request_rereview", rereview_request("2024-03-08"), "2024-03-08").unwrap();
    assert_eq!(r.data_str(facts::REREVIEW_REQUEST_LATE), Some("yes"), "served 02-06: due 03-07");
}

#[test]
fn only_a_handling_opinion_is_open_to_review_not_a_reply_to_a_suggestion_or_accusation() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let c = open_at(&town, &petition_input("suggestion"), FRIDAY).unwrap().case;
    let accept = json!({"unit": town.longtan.to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail"});
    let c = act_on(&town, &c, &clerk, "accept", accept, "2024-09-27").unwrap();
    let c = act_on(&town, &c, &handler, "reply", json!({"reply": "已采纳", "served_on": "2024-09-27"}), "2024-09-27")
        .unwrap();
    assert_eq!(c.data_str(facts::CONCLUSION), Some("reply"));
    let err = act_on(&town, &c, &clerk, "request_review", review_request("2024-09-27"), "2024-09-27").unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused(
            "复查只适用于信访人对信访处理意见不服的情形（《信访工作条例》第三十五条）；建议意见类、检举控告类的办结答复不适用复查".into()
        )
    );
    // With no 复查 to wait for, it can be archived at once.
    assert_eq!(act_on(&town, &c, &clerk, "archive", json!({}), "2024-09-27").unwrap().state, "archived");
}

#[test]
fn a_claim_for_a_statutory_duty_is_accepted_and_concluded_by_performing_it_not_redirected_nor_reviewed() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    // 第三十一条第五项 is no longer a route away.
    assert!(!ROUTES.iter().any(|(c, _)| *c == "statutory_duty"));
    let redirect = kind.workflow.action("redirect").unwrap();
    assert!(redirect.field("route").unwrap().choice_label("statutory_duty").is_none());
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let accept = json!({"unit": town.longtan.to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true, "duty": true});
    let c = act_on(&town, &c, &clerk, "accept", accept.clone(), "2024-09-27").unwrap();
    assert_eq!((c.state.as_str(), c.data_str(facts::CLAIM_ROUTE)), ("handling", Some("duty")));
    // 第三十四条's 60 days bind only 第三十一条第六项: a duty of 第五项 runs on the town's target.
    let clock = c.clocks.get(CONCLUDE).unwrap();
    assert_eq!(clock.class, ClockClass::Target, "第三十四条 binds only 第三十一条第六项");
    assert!(clock.rule.source.contains("第三十一条第五项"), "{}", clock.rule.source);
    assert_eq!(clock.due(), Some(date!(2024 - 11 - 26)), "other_conclude_days = 60 by default");
    let err = act_on(&town, &c, &handler, "conclude", opinion("2024-10-10"), "2024-10-10").unwrap_err();
    assert!(err.to_string().contains("第三十一条第五项"), "{err}");
    let duty = json!({"duty_result": "performed", "reply": "已责令停止违法占地并恢复原状", "served_on": "2024-10-10"});
    let done = act_on(&town, &c, &handler, "perform_duty", duty, "2024-10-15").unwrap();
    assert_eq!((done.state.as_str(), done.data_str(facts::CONCLUSION)), ("concluded", Some("duty")));
    assert_eq!(done.clocks.get(CONCLUDE).unwrap().stopped_on, Some(date!(2024 - 10 - 10)));
    assert_eq!(done.closed_at, Some(day_start_ms(date!(2024 - 10 - 10))));
    assert_eq!(done.data_str(facts::ON_TIME), Some("yes"));
    let err = act_on(&town, &done, &clerk, "request_review", review_request("2024-10-15"), "2024-10-15").unwrap_err();
    assert!(err.to_string().contains("不是信访处理意见，不适用复查"), "{err}");
    // Only a claim is a duty of 第三十一条第五项; a claim on the opinion route cannot be closed so.
    let s = open_at(&town, &petition_input("suggestion"), FRIDAY).unwrap().case;
    let err = act_on(&town, &s, &clerk, "accept", accept, "2024-09-27").unwrap_err();
    assert!(err.to_string().contains("只适用于申诉求决类"), "{err}");
    let plain = case_in("handling", "conclude", &town);
    let duty = json!({"duty_result": "answered", "reply": "答复", "served_on": "2024-09-20"});
    assert!(
        act_on(&town, &plain, &handler, "perform_duty", duty, "2024-09-27")
            .unwrap_err()
            .to_string()
            .contains("第三十一条第五项")
    );
}

#[test]
fn an_extension_is_asked_and_approved_only_while_the_period_runs_with_the_notice_dated_and_its_method() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let handler = town.actor(town.longtan, &[Role::Handler]);
    let leader = town.actor(town.town, &[Role::Leader]);
    let c = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let c = act_on(&town, &c, &clerk, "accept", Json::Object(input_for("accept", &town)), "2024-09-27").unwrap();
    // Due 11-26. Asked on 11-27: refused, the case stays overdue (第三十四条 extends a running period).
    let ask = json!({"extension_days": 20, "extension_reason": "需现场勘测"});
    let err = act_on(&town, &c, &handler, "request_extension", ask.clone(), "2024-11-27").unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused(
            "“办理期限”已于 2024-11-26 届满，期限届满后不能再申请延期，只能延长尚未届满的期限（《信访工作条例》第三十四条）；本件按超期办理记录".into()
        )
    );
    let mut asked = ask;
    asked["requested_on"] = json!("2024-11-25");
    let c = act_on(&town, &c, &handler, "request_extension", asked, "2024-11-27").unwrap();
    // Approved after the due date: refused by the engine, whatever the notice says.
    let approve = |approved: &str, notified: &str| json!({"approved_on": approved, "extension_notified_on": notified, "extension_notice_method": "mail"});
    let err =
        act_on(&town, &c, &leader, "approve_extension", approve("2024-11-27", "2024-11-27"), "2024-11-28").unwrap_err();
    assert!(err.to_string().contains("期限届满后不能再批准延期"), "{err}");
    // The notice cannot precede the approval.
    let err =
        act_on(&town, &c, &leader, "approve_extension", approve("2024-11-26", "2024-11-25"), "2024-11-28").unwrap_err();
    assert_eq!(err, ActionError::Refused("延期告知日期不能早于批准日期 2024-11-26".into()));
    let ok =
        act_on(&town, &c, &leader, "approve_extension", approve("2024-11-26", "2024-11-26"), "2024-11-28").unwrap();
    // 11-26 + 20 = 12-16, a Monday.
    assert_eq!(ok.clocks.due_on(), Some(date!(2024 - 12 - 16)));
    assert_eq!(ok.data_str("extension_notified_on"), Some("2024-11-26"));
    assert_eq!(ok.data_str("extension_notice_method"), Some("mail"));
    // Refused instead, the matter concluded after 11-26 stays late.
    let rejected = act_on(&town, &c, &leader, "reject_extension", json!({"note": "不予延期"}), "2024-11-28").unwrap();
    let done = act_on(&town, &rejected, &handler, "conclude", opinion("2024-11-29"), "2024-11-29").unwrap();
    assert_eq!(done.clocks.get(CONCLUDE).unwrap().met, Some(false));
    assert_eq!(done.data_str(facts::ON_TIME), Some("no"));
}

#[test]
fn a_matter_is_transferred_or_assigned_with_the_petitioner_told_where_it_went() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = petition_input("claim");
    input.insert("received_on".into(), "2024-09-20".into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    let assign = |transferred: &str, notified: Option<&str>| {
        let mut v = json!({"transfer_mode": "assigned", "transferred_to": "龙潭村民委员会", "transferred_on": transferred, "notice_method": "mail"});
        if let Some(n) = notified {
            v["notified_on"] = json!(n);
        }
        act_on(&town, &c, &clerk, "transfer", v, "2024-09-27")
    };
    assert_eq!(
        assign("2024-09-23", None).unwrap_err(),
        ActionError::Refused(
            "转送、交办去向应当书面告知信访人（《信访工作条例》第二十三条第二款），请填写书面告知日期；只有信访人姓名（名称）、住址不清的可以不告知".into()
        )
    );
    assert_eq!(
        assign("2024-09-23", Some("2024-09-22")).unwrap_err(),
        ActionError::Refused("告知去向日期不能早于转送（交办）日期 2024-09-23".into())
    );
    let out = assign("2024-09-23", Some("2024-09-24")).unwrap();
    assert_eq!((out.state.as_str(), out.phase), ("transferred", Phase::Closed));
    assert_eq!(out.data_str(facts::DISPOSAL), Some("assigned"));
    assert!(out.data_str(facts::ACCEPTED).is_none(), "not accepted here");
    let notice = out.clocks.get(ACCEPT).unwrap();
    assert_eq!((notice.stopped_on, notice.met), (Some(date!(2024 - 09 - 24)), Some(true)), "第二十三条: 告知去向");
    assert_eq!(out.closed_at, Some(day_start_ms(date!(2024 - 09 - 23))));
    assert_eq!(out.data_str("transferred_to"), Some("龙潭村民委员会"));
}

#[test]
fn a_matter_transferred_in_may_be_objected_to_within_five_working_days_and_a_late_objection_is_flagged() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = petition_input("claim");
    input.insert("received_on".into(), "2024-09-20".into());
    input.insert(facts::TRANSFERRED_FROM.into(), "从化区信访局".into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    let window = c.clocks.get(OBJECTION).unwrap();
    // 第二十三条第三款: 5 working days from Friday 09-20 → 09-23 … 09-27.
    assert_eq!(window.due(), Some(date!(2024 - 09 - 27)));
    assert!(window.explain()[0].contains("自收到转送、交办的信访事项（2024-09-20）起算"));
    assert!(c.clocks.get(ACCEPT).unwrap().explain()[0].contains("第二十三条第三款"));
    let objection = |day: &str| json!({"objection_reasons": "所涉事项属区住房和城乡建设局职责", "objected_on": day});
    let timely = act_on(&town, &c, &clerk, "object", objection("2024-09-27"), "2024-10-08").unwrap();
    assert_eq!(timely.state, "objected");
    assert!(timely.data_str(facts::OBJECTION_LATE).is_none());
    let late = act_on(&town, &c, &clerk, "object", objection("2024-09-30"), "2024-10-08").unwrap();
    assert_eq!(late.state, "objected", "recorded, not refused");
    assert_eq!(late.data_str(facts::OBJECTION_LATE), Some("yes"));
    assert_eq!(late.clocks.get(OBJECTION).unwrap().met, Some(false));
    assert!(sh::notices(&late.data)[0].contains("2024-09-27 届满"));
    // The transferring body agrees: the materials go back and every clock stops.
    let agreed = act_on(
        &town,
        &timely,
        &clerk,
        "objection_result",
        json!({"objection_result": "agreed", "objection_decided_on": "2024-10-08"}),
        "2024-10-08",
    )
    .unwrap();
    assert_eq!((agreed.state.as_str(), agreed.phase), ("handed_back", Phase::Closed));
    assert_eq!(agreed.clocks.due_on(), None);
    // It does not: the matter is handled here, from the desk.
    let back =
        act_on(&town, &timely, &clerk, "objection_result", json!({"objection_result": "not_agreed"}), "2024-10-08")
            .unwrap();
    assert_eq!(back.state, "registered");
    // A matter received directly cannot be objected to: it is answered with 不予受理.
    let direct = open_at(&town, &petition_input("claim"), FRIDAY).unwrap().case;
    let err = act_on(&town, &direct, &clerk, "object", objection("2024-09-27"), "2024-09-27").unwrap_err();
    assert!(err.to_string().contains("第二十三条第三款"), "{err}");
    // Accepting it ends the window without an objection being owed.
    let accepted = act_on(&town, &c, &clerk, "accept", Json::Object(input_for("accept", &town)), "2024-09-27").unwrap();
    assert_eq!(accepted.clocks.get(OBJECTION).unwrap().met, Some(true));
}

#[test]
fn an_accusation_against_the_town_itself_cannot_be_accepted_here_and_goes_to_the_discipline_body() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let mut input = petition_input("accusation");
    input.insert("title".into(), "反映镇政府违规发放补贴".into());
    input.insert("accused_unit".into(), town.town.to_string().into());
    input.insert("received_on".into(), "2024-09-20".into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    assert_eq!(c.data_str(facts::ACCUSED_IS_TOWN), Some("yes"));
    assert!(sh::notices(&c.data)[0].contains("应移送纪检监察机关"));
    for unit in [town.longtan, town.center] {
        let mut accept = input_for("accept", &town);
        accept.insert("unit".into(), unit.to_string().into());
        let err = act_on(&town, &c, &clerk, "accept", Json::Object(accept), "2024-09-27").unwrap_err();
        assert_eq!(
            err,
            ActionError::Refused(
                "被检举控告的是本镇（街道）（鳌头镇），本镇（街道）任何单位都不得办理（《信访工作条例》第三十条），请选择“移送纪检监察机关”按管理权限处理（第二十二条）".into()
            )
        );
    }
    let send =
        json!({"discipline_body": "从化区纪委监委", "transferred_on": "2024-09-25", "notified_on": "2024-09-26"});
    let err = act_on(&town, &c, &district, "transfer_discipline", send.clone(), "2024-09-27").unwrap_err();
    assert_eq!(err, ActionError::Refused("已告知检举控告人的，请选择告知方式".into()));
    let mut send = send;
    send["notice_method"] = json!("mail");
    let out = act_on(&town, &c, &district, "transfer_discipline", send.clone(), "2024-09-27").unwrap();
    assert_eq!((out.state.as_str(), out.phase), ("to_discipline", Phase::Closed));
    assert_eq!(out.data_str(facts::DISPOSAL), Some("to_discipline"));
    assert_eq!(out.data_str("discipline_body"), Some("从化区纪委监委"));
    assert_eq!(out.clocks.get(ACCEPT).unwrap().stopped_on, Some(date!(2024 - 09 - 26)));
    assert_eq!(out.closed_at, Some(day_start_ms(date!(2024 - 09 - 25))));
    assert!(sh::confidential(&out.data).is_some(), "still withheld from the town");
    // Only accusations are sent to the discipline body.
    let mut claim = petition_input("claim");
    claim.insert("received_on".into(), "2024-09-20".into());
    let claim = open_at(&town, &claim, FRIDAY).unwrap().case;
    let err = act_on(&town, &claim, &clerk, "transfer_discipline", send, "2024-09-27").unwrap_err();
    assert!(err.to_string().contains("只适用于检举控告类"), "{err}");
}

#[test]
fn a_revoked_review_restarts_the_sixty_days_from_the_day_the_decision_was_served() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let c = concluded_0104(&town);
    let c = act_on(&town, &c, &clerk, "request_review", review_request("2024-01-20"), "2024-01-20").unwrap();
    // Revoked on 02-10, served 02-15, typed in 03-01: handled again for 60 days from 02-15 → 04-15,
    // a Monday (第三十四条 counted from the day the matter came back).
    let c = act_on(
        &town,
        &c,
        &district,
        "review_decide",
        review_decision("revoked", "2024-02-10", "2024-02-15"),
        "2024-03-01",
    )
    .unwrap();
    assert_eq!((c.state.as_str(), c.closed_at), ("handling", None));
    // 重新办理 goes back to the unit that handled it (the case's current unit, 龙潭), waiting on
    // that unit — never to the desk or to the district that decided the 复查.
    assert_eq!(c.unit_id, town.longtan, "reopened at the local handler");
    assert_eq!(kind(&town.settings).workflow.state(&c.state).unwrap().waiting, Waiting::Unit);
    let clock = c.clocks.get(CONCLUDE).unwrap();
    assert_eq!(clock.due(), Some(date!(2024 - 04 - 15)));
    assert!(clock.explain()[0].contains("自复查撤销后重新办理（2024-02-15）起算"), "{:?}", clock.explain());
}

#[test]
fn the_sixty_days_of_article_34_bind_only_article_31_item_6_and_a_matter_routed_out_stops_its_clock() {
    let mut short = Town::new();
    short.settings.set(SLUG, &PetitionSettings { other_conclude_days: 20, ..Default::default() });
    let town = &short;
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    // Accepted for a 信访处理意见书 (第三十一条第六项): statutory, 60 days whatever the local target.
    let mut input = petition_input("claim");
    input.insert("received_on".into(), "2024-09-20".into());
    let c = open_at(&short, &input, FRIDAY).unwrap().case;
    let accept = json!({"unit": short.longtan.to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true});
    let opinion_route = act_on(&short, &c, &clerk, "accept", accept.clone(), "2024-09-27").unwrap();
    let clock = opinion_route.clocks.get(CONCLUDE).unwrap();
    assert_eq!((clock.class, clock.due()), (ClockClass::Statutory, Some(date!(2024 - 11 - 26))));
    assert!(clock.rule.source.contains("第三十四条"));
    // Accepted as a duty (第三十一条第五项): the local target, not 第三十四条.
    let mut duty = accept;
    duty["duty"] = json!(true);
    let duty_route = act_on(&short, &c, &clerk, "accept", duty, "2024-09-27").unwrap();
    let clock = duty_route.clocks.get(CONCLUDE).unwrap();
    // 2024-09-27 + 20 = 10-17, a Thursday.
    assert_eq!((clock.class, clock.due()), (ClockClass::Target, Some(date!(2024 - 10 - 17))));
    // Found while handled to belong to arbitration (第三十一条第二项, 导入相应程序): the route is
    // recorded, the 办结 clock stops that day, and the matter leaves 应办结.
    let redirect = json!({"route": "arbitration", "notified_on": "2024-10-08", "notice": "属劳动争议，请向劳动人事争议仲裁委员会申请仲裁"});
    let out = act_on(town, &opinion_route, &clerk, "redirect", redirect.clone(), "2024-10-09").unwrap();
    assert_eq!((out.state.as_str(), out.data_str("route")), ("redirected", Some("arbitration")));
    assert_eq!(out.data_str(facts::DISPOSAL), Some("redirected"));
    assert_eq!(out.clocks.get(CONCLUDE).unwrap().stopped_on, Some(date!(2024 - 10 - 08)));
    let due = metrics(&town.settings).into_iter().find(|m| m.code == "petition.due").unwrap();
    let Measure::Count { set } = due.measure else { panic!("a count") };
    assert!(
        set.conds
            .iter()
            .any(|c| matches!(c, Cond::DataNot { key, value } if *key == facts::DISPOSAL && value == "redirected")),
        "a matter routed out is not 应办结"
    );
    // Not before it was accepted.
    let mut early = redirect;
    early["notified_on"] = json!("2024-09-25");
    let err = act_on(town, &opinion_route, &clerk, "redirect", early, "2024-10-09").unwrap_err();
    assert_eq!(err, ActionError::Refused("书面告知日期不能早于受理日期 2024-09-27".into()));
}

#[test]
fn the_review_bodies_thirty_days_run_from_the_day_they_received_the_request_articles_35_36() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let c = concluded_0104(&town);
    // Posted 01-20 (the petitioner's 30 days are met), received by the 复查 body 01-25:
    // 第三十五条 "自收到复查请求之日起30日" → 02-24, a Saturday → 02-26.
    let mut asked = review_request("2024-01-20");
    asked["review_received_on"] = json!("2024-01-25");
    let r = act_on(&town, &c, &clerk, "request_review", asked.clone(), "2024-02-01").unwrap();
    let clock = r.clocks.get(REVIEW).unwrap();
    assert_eq!(clock.due(), Some(date!(2024 - 02 - 26)));
    assert!(clock.explain()[0].contains("自收到复查请求（2024-01-25）起算"), "{:?}", clock.explain());
    assert!(r.data_str(facts::REVIEW_REQUEST_LATE).is_none(), "asked within 30 days of 01-04");
    // Received before it was asked: refused.
    asked["review_received_on"] = json!("2024-01-19");
    let err = act_on(&town, &c, &clerk, "request_review", asked, "2024-02-01").unwrap_err();
    assert_eq!(err, ActionError::Refused("复查机关收到请求日期不能早于复查申请日期 2024-01-20".into()));
    // Likewise the 复核 body (第三十六条): asked 03-01, received 03-04 → 04-03.
    let r = act_on(
        &town,
        &r,
        &district,
        "review_decide",
        review_decision("upheld", "2024-02-10", "2024-02-15"),
        "2024-02-15",
    )
    .unwrap();
    let mut asked = rereview_request("2024-03-01");
    asked["rereview_received_on"] = json!("2024-03-04");
    let r = act_on(&town, &r, &clerk, "request_rereview", asked, "2024-03-10").unwrap();
    assert_eq!(r.clocks.get(REREVIEW).unwrap().due(), Some(date!(2024 - 04 - 03)));
}

#[test]
fn a_hearing_is_left_out_only_within_the_rereview_period_article_36_paragraph_2() {
    let town = Town::new();
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let district = town.actor(town.town, &[Role::District]);
    let c = concluded_0104(&town);
    let c = act_on(&town, &c, &clerk, "request_review", review_request("2024-01-20"), "2024-01-20").unwrap();
    let c = act_on(
        &town,
        &c,
        &district,
        "review_decide",
        review_decision("upheld", "2024-02-10", "2024-02-15"),
        "2024-02-15",
    )
    .unwrap();
    let c = act_on(&town, &c, &clerk, "request_rereview", rereview_request("2024-03-01"), "2024-03-01").unwrap();
    assert_eq!(c.clocks.get(REREVIEW).unwrap().due(), Some(date!(2024 - 04 - 01)));
    // A hearing started after the period ran out (04-01) cannot stop it: refused, the period stays
    // expired.
    let err = act_on(&town, &c, &district, "start_hearing", json!({"hearing_started_on": "2024-04-02"}), "2024-04-05")
        .unwrap_err();
    assert!(err.to_string().contains("复核期限已于 2024-04-01 届满"), "{err}");
    assert!(err.to_string().contains("第三十六条第二款"), "{err}");
    // Nor one dated before the request was received.
    let err = act_on(&town, &c, &district, "start_hearing", json!({"hearing_started_on": "2024-02-28"}), "2024-03-05")
        .unwrap_err();
    assert_eq!(err, ActionError::Refused("听证开始日期不能早于复核机关收到复核请求之日 2024-03-01".into()));
    // On the last day it is within the period.
    let ok = act_on(&town, &c, &district, "start_hearing", json!({"hearing_started_on": "2024-04-01"}), "2024-04-01")
        .unwrap();
    assert_eq!(ok.clocks.get(REREVIEW).unwrap().suspended_since, Some(date!(2024 - 04 - 01)));
}

#[test]
fn transfer_and_assignment_follow_articles_22_and_23_and_their_written_notice_falls_within_fifteen_days() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mode = kind.workflow.action("transfer").unwrap().field("transfer_mode").unwrap();
    assert!(mode.choice_label("transferred").unwrap().contains("第二十三条第一款"));
    assert!(mode.choice_label("assigned").unwrap().contains("第二十二条第一款第三项"));
    // Received 09-01: 第二十三条第二款 15 days → 09-16, 中秋节 (09-15..09-17 off) → 09-18. Sent and
    // told on 09-20: late.
    let mut input = petition_input("claim");
    input.insert("received_on".into(), "2024-09-01".into());
    let c = open_at(&town, &input, FRIDAY).unwrap().case;
    let clock = c.clocks.get(ACCEPT).unwrap();
    assert_eq!(clock.due(), Some(date!(2024 - 09 - 18)));
    assert!(clock.rule.source.contains("第二十三条"), "{}", clock.rule.source);
    let send = json!({"transfer_mode": "transferred", "transferred_to": "从化区住房和城乡建设局", "transferred_on": "2024-09-20", "notified_on": "2024-09-20", "notice_method": "mail"});
    let out = act_on(&town, &c, &clerk, "transfer", send, "2024-09-27").unwrap();
    assert_eq!(out.clocks.get(ACCEPT).unwrap().met, Some(false), "told where it went after the 15 days");
}
