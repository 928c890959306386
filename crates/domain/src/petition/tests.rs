use serde_json::{Map, Value as Json, json};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::case::Actor;
use crate::ids::{CaseId, UnitId};
use crate::testing::{FRIDAY, Town};
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
        "accept" => {
            json!({"unit": town.longtan.to_string(), "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true})
        }
        "redirect" => {
            json!({"route": "arbitration", "notified_on": "2024-09-27", "notice": "请向劳动人事争议仲裁委员会申请仲裁"})
        }
        "not_accept" => json!({"not_accepted_reason": "pending", "notified_on": "2024-09-27"}),
        "progress" | "reject_extension" | "supervise" => json!({"note": "已约谈信访人"}),
        "request_extension" => json!({"extension_days": 20, "extension_reason": "需现场勘测"}),
        "approve_extension" => json!({"notified": true}),
        "conclude" => json!({
            "request": "办理宅基地确权登记",
            "facts_reasons": "经核查，材料齐全",
            "reply": "支持其请求，由规划建设办公室一个月内办结",
            "basis": "《不动产登记暂行条例》",
            "outcome": "support",
            "served_on": "2024-09-20",
        }),
        "reply" => json!({"reply": "建议已转有关部门研究采纳", "served_on": "2024-09-20"}),
        "rate" => json!({"result": "satisfied"}),
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
        sh::NAME_ACCUSED => "accusation",
        _ => "claim",
    };
    let opened = datetime!(2024-07-15 09:00 +8);
    let mut input = petition_input(category);
    if category == "accusation" {
        input.insert("accused_unit".into(), town.longtan.to_string().into());
    }
    let mut c = open_at(town, &input, opened).unwrap().case;
    let set = |c: &mut CaseRecord, k: &str, v: Json| {
        c.data.insert(k.into(), v);
    };
    if state != "registered" {
        set(&mut c, facts::ACCEPTED, "yes".into());
        set(&mut c, "notified_on", "2024-07-16".into());
        let clerk = town.actor(town.center, &[Role::IntakeClerk]);
        let ctx = town.ctx(&clerk, opened);
        c.clocks.put(conclusion_clock(&c, "受理", &ctx));
    }
    if state == "extension_requested" {
        set(&mut c, "extension_days", 20.into());
        set(&mut c, "extension_reason", "需现场勘测".into());
    }
    let served = matches!(state, "concluded" | "review" | "reviewed" | "rereview" | "final" | "archived");
    if served {
        set(&mut c, facts::CONCLUDED, "yes".into());
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
    assert_eq!(pairs, 12 * 18);
}

#[test]
fn every_action_is_refused_to_roles_not_in_its_row() {
    let town = Town::new();
    let kind = kind(&town.settings);
    for action in &kind.workflow.actions {
        let case = case_in(action.from[0], action.code, &town);
        for role in Role::ALL {
            if action.roles.contains(&role) {
                continue;
            }
            let actor = town.actor(town.longtan, &[role]);
            let err =
                take(&kind, &case, action, &input_for(action.code, &town), &town.ctx(&actor, FRIDAY)).unwrap_err();
            assert_eq!(err, ActionError::Forbidden(action.label.into()), "{} by {}", action.code, role.code());
        }
        if !action.public {
            let public = Actor::public(town.tenant);
            assert!(take(&kind, &case, action, &input_for(action.code, &town), &town.ctx(&public, FRIDAY)).is_err());
        }
    }
    // The petitioner rates through the public page and does nothing else.
    let c = case_in("concluded", "rate", &town);
    let public = Actor::public(town.tenant);
    let offered: Vec<&str> = kind.workflow.available(&c, &public).iter().map(|a| a.code).collect();
    assert_eq!(offered, vec!["rate"]);
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
    // A receipt date in the future is refused.
    input.insert("received_on".into(), "2024-09-30".into());
    assert_eq!(open_at(&town, &input, FRIDAY).unwrap_err(), ActionError::Refused("收到日期不能晚于今天".into()));
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
    assert!(err.to_string().contains("第二十三条"), "{err}");
    assert!(
        kind.act(&c, "not_accept", &obj(json!({"not_accepted_reason": "unclear"})), &town.ctx(&clerk, FRIDAY)).is_ok()
    );
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
    let err =
        kind.act(&c, "approve_extension", &obj(json!({"notified": false})), &town.ctx(&leader, FRIDAY)).unwrap_err();
    assert_eq!(err, ActionError::Refused("延长办理期限应当告知信访人延期理由（《信访工作条例》第三十四条）".into()));
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
fn review_is_requested_within_thirty_days_of_the_reply_and_answered_within_thirty() {
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
    // Served 09-01: the 30 days end 10-01, a holiday → 10-08.
    let mut input = input_for("request_review", &town);
    input.insert("review_requested_on".into(), "2024-10-09".into());
    assert_eq!(
        kind.act(&c, "request_review", &input, &at("2024-10-09")).unwrap_err().to_string(),
        "复查应自收到书面答复之日起30日内提出（《信访工作条例》第三十五条），申请期限已于 2024-10-08 届满"
    );
    input.insert("review_requested_on".into(), "2024-10-08".into());
    let r = kind.act(&c, "request_review", &input, &at("2024-10-08")).unwrap().case;
    assert_eq!(r.state, "review");
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
                json!({"unit": town.longtan.to_string(), "notified_on": day(t), "notice_method": "mail", "route_checked": true}),
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
    let cat = crate::metric::Catalogue::standard(&Settings::default());
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
    assert!(kind.act(&c, "accept", &accept, &town.ctx(&clerk, FRIDAY)).is_ok());
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
    input.remove("party_name");
    let ActionError::Invalid(errors) = open_at(&town, &input, FRIDAY).unwrap_err() else { panic!("field errors") };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields.len(), 5, "{errors:?}");
    for f in ["category", "channel", "received_on", "party_idcard", "party_name"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert!(
        errors.iter().any(|e| e.message() == "信访类别：“投诉类”不是可选项，应为：建议意见类、检举控告类、申诉求决类")
    );
}

#[test]
fn the_metric_catalogue_has_the_seed_figures_of_petitions() {
    let cat = crate::metric::Catalogue::standard(&Settings::default());
    cat.check().unwrap();
    assert_eq!(cat.of_kind(SLUG).count(), 12);
    let mut raw = |m: &MetricDef| match m.code {
        "petition.claims_concluded" => 274,
        "petition.one_time" => 270,
        "petition.rated" => 265,
        "petition.satisfied" => 264,
        "petition.concluded" | "petition.on_time" | "petition.accepted" => 432,
        _ => 0,
    };
    assert_eq!(cat.figure("petition.one_time_rate", &mut raw).unwrap().to_string(), "98.54%");
    assert_eq!(cat.figure("petition.satisfaction_rate", &mut raw).unwrap().to_string(), "99.62%");
    assert_eq!(cat.figure("petition.on_time_rate", &mut raw).unwrap().to_string(), "100%");
    assert!(cat.get("petition.accepted").unwrap().formula.contains("受理"));
    let merged_out = cat.traced_set("petition.accepted").unwrap();
    assert!(merged_out.conds.contains(&Cond::DataEq { key: COUNTED, value: "yes".into() }));
}
