use serde_json::{Map, Value as Json, json};
use time::Duration;

use super::*;
use crate::ids::CaseId;
use crate::testing::{FRIDAY, Town};
use crate::workflow::shared::{self as sh, CONFIDENTIAL};
use crate::workflow::{ActionError, NewCase};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

fn visit_input() -> Map<String, Json> {
    obj(json!({
        "title": "反映村道硬化工程拖欠工资",
        "content": "八名工人反映在龙潭村村道硬化工程务工，包工头拖欠工资共计六万元。",
        "category": "conflict",
        "visitor_count": 8,
        "party_name": "陈大明",
        "party_phone": "13812345678",
        "party_idcard": "440524188001010014",
        "representatives": "陈大明、李小红",
        "received_by": "综治中心 李晓梅",
    }))
}

fn open_with(town: &Town, kind: &KindDef, input: &Map<String, Json>) -> Result<CaseRecord, ActionError> {
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let new = NewCase { id: CaseId::new(), receipt_no: "AT-LF-2024-000001".into() };
    kind.open_case(new, input, &town.ctx(&clerk, FRIDAY)).map(|o| o.case)
}

fn input_for(action: &str) -> Map<String, Json> {
    obj(match action {
        "reply" => json!({"reply": "已当场解答工资支付有关法律规定"}),
        "convert" => json!({"target_kind": "dispute", "target_case": CaseId::new().to_string()}),
        "respond_over_limit" => {
            json!({"over_limit_response": "educate", "over_limit_note": "已宣讲信访工作条例第二十条"})
        }
        "merge" => {
            json!({"original_case": CaseId::new().to_string(), "original_receipt": "AT-LF-2024-000009", "merge_reason": "同一批人重复来访"})
        }
        _ => json!({}),
    })
}

/// A visit in `state`; flagged as over the representatives' limit so that recording the response
/// of 第四十七条 applies too.
fn case_in(state: &str, town: &Town, kind: &KindDef) -> CaseRecord {
    let mut c = open_with(town, kind, &visit_input()).unwrap();
    sh::flag(&mut c, facts::OVER_LIMIT, "八人来访未依法推选代表");
    c.state = state.to_string();
    c.phase = kind.workflow.state(state).unwrap().phase;
    if c.phase != Phase::Open {
        c.closed_at = Some(c.opened_at);
    }
    c
}

/// Internal actions go through their use case; the matrix takes them the same way.
fn take(
    kind: &KindDef,
    case: &CaseRecord,
    action: &ActionDef,
    input: &Map<String, Json>,
    ctx: &ActCtx<'_>,
) -> Result<crate::workflow::Outcome, ActionError> {
    if action.internal {
        kind.act_internal(case, action.code, input, ctx)
    } else {
        kind.act(case, action.code, input, ctx)
    }
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
            let actor = town.actor(town.center, &action.roles);
            let ctx = town.ctx(&actor, FRIDAY + Duration::hours(1));
            let result = take(&kind, &case, action, &input_for(action.code), &ctx);
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
    assert_eq!(pairs, 5 * 5);
}

#[test]
fn conversion_and_merger_are_never_offered_nor_taken_directly() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("registered", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let offered: Vec<&str> = kind.workflow.available(&c, &clerk).iter().map(|a| a.code).collect();
    assert_eq!(offered, vec!["reply", "respond_over_limit"]);
    for code in ["convert", "merge"] {
        let err = kind.act(&c, code, &input_for(code), &town.ctx(&clerk, FRIDAY)).unwrap_err();
        assert!(matches!(err, ActionError::Refused(ref m) if m.contains("须通过专门的办理功能执行")), "{err:?}");
    }
}

#[test]
fn a_group_visit_records_people_and_representatives_and_counts_once() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = open_with(&town, &kind, &visit_input()).unwrap();
    assert_eq!(c.state, "registered");
    assert_eq!(c.category.as_deref(), Some("conflict"));
    assert_eq!(c.data_i64(facts::VISITORS), Some(8));
    assert_eq!(c.data_i64(facts::REPRESENTATIVES), Some(2));
    assert_eq!(c.data_str(COUNTED), Some("yes"));
    assert_eq!(c.data["party_idcard"]["mask"], "4405**********0014");
    assert!(!Json::Object(c.data.clone()).to_string().contains("440524188001010014"));
    assert!(c.search_text.contains("陈大明") && c.search_text.contains("拖欠工资"));
    assert!(c.clocks.0.is_empty(), "a visit has no deadline of its own");
}

#[test]
fn more_than_five_representatives_are_registered_and_flagged_never_refused_article_twenty() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let mut input = visit_input();
    input.insert("visitor_count".into(), 30.into());
    input.insert("representatives".into(), "甲、乙，丙,丁 戊；己".into());
    let c = open_with(&town, &kind, &input).unwrap();
    assert_eq!(c.state, "registered", "第二十三条第一款、第四十四条: a visit is registered, never turned away");
    assert_eq!(c.data_i64(facts::REPRESENTATIVES), Some(6));
    assert_eq!(c.data_str(facts::OVER_LIMIT), Some("yes"));
    assert_eq!(
        sh::notices(&c.data),
        vec![
            "推选代表6人，超过《信访工作条例》第二十条规定的5人：已登记接待（第二十三条第一款、第四十四条），应当劝阻、批评或者教育（第四十七条）"
                .to_string()
        ]
    );
    // Five is within the rule.
    input.insert("representatives".into(), "甲、乙、丙、丁、戊".into());
    let c = open_with(&town, &kind, &input).unwrap();
    assert_eq!(c.data_i64(facts::REPRESENTATIVES), Some(5));
    assert!(c.data_str(facts::OVER_LIMIT).is_none() && sh::notices(&c.data).is_empty());
}

#[test]
fn a_group_of_more_than_five_naming_no_representative_is_registered_and_flagged_but_never_more_named_than_came() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let mut input = visit_input();
    input.remove("representatives");
    let c = open_with(&town, &kind, &input).unwrap();
    assert_eq!(c.data_str(facts::OVER_LIMIT), Some("yes"));
    assert!(sh::notices(&c.data)[0].starts_with("8人集体来访未推选代表"), "{:?}", sh::notices(&c.data));
    // Five or fewer may speak for themselves.
    input.insert("visitor_count".into(), 5.into());
    assert!(open_with(&town, &kind, &input).unwrap().data_str(facts::OVER_LIMIT).is_none());
    input.insert("visitor_count".into(), 2.into());
    input.insert("representatives".into(), "甲、乙、丙".into());
    assert_eq!(
        open_with(&town, &kind, &input).unwrap_err(),
        ActionError::Refused("推选代表人数（3人）不能多于来访人数（2人）".into())
    );
}

#[test]
fn the_response_of_article_forty_seven_is_recorded_at_registration_or_afterwards_for_a_flagged_visit_only() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = visit_input();
    input.insert("visitor_count".into(), 12.into());
    input.remove("representatives");
    input.insert("over_limit_response".into(), "dissuade".into());
    input.insert("over_limit_note".into(), "劝导来访群众推选代表反映诉求".into());
    let c = open_with(&town, &kind, &input).unwrap();
    assert_eq!(c.data_str("over_limit_response"), Some("dissuade"));
    // Afterwards, on the visit already turned into a case too.
    let mut converted = c.clone();
    converted.state = "converted".into();
    converted.phase = Phase::Closed;
    let later = kind
        .act(
            &converted,
            "respond_over_limit",
            &input_for("respond_over_limit"),
            &town.ctx(&clerk, FRIDAY + Duration::hours(2)),
        )
        .unwrap();
    assert_eq!((later.case.state.as_str(), later.case.data_str("over_limit_response")), ("converted", Some("educate")));
    // A visit within the rule has nothing to answer for.
    let plain = open_with(&town, &kind, &visit_input()).unwrap();
    let err = kind
        .act(&plain, "respond_over_limit", &input_for("respond_over_limit"), &town.ctx(&clerk, FRIDAY))
        .unwrap_err();
    assert!(err.to_string().contains("无需登记劝阻、批评或者教育"), "{err}");
    let mut at_desk = visit_input();
    at_desk.insert("over_limit_response".into(), "criticise".into());
    assert!(open_with(&town, &kind, &at_desk).unwrap_err().to_string().contains("第二十条"));
}

#[test]
fn article_forty_seven_answers_every_breach_of_article_twenty_and_twenty_six_not_only_the_head_count() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    // 第四十七条第一款 covers 第二十条 (all three paragraphs) and 第二十六条 (six items).
    let codes: Vec<&str> = BREACHES.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes.len(), 9);
    for art in ["第二十条第一款", "第二十条第二款", "第二十条第三款", "第二十六条第一项", "第二十六条第六项"]
    {
        assert!(BREACHES.iter().any(|(_, l)| l.contains(art)), "{art}");
    }
    assert!(RESPONSES.iter().any(|(_, l)| l.contains("第四十七条第二款")), "the police's part of 第四十七条");
    // Five visitors with their representatives, but they blocked the gate (第二十六条第一项): still
    // registered, flagged, and answered at the desk.
    let mut input = visit_input();
    input.insert("breach".into(), "assembly".into());
    input.insert("over_limit_response".into(), "dissuade".into());
    input.insert("over_limit_note".into(), "劝离堵门群众，引导到接待室反映".into());
    let c = open_with(&town, &kind, &input).unwrap();
    assert_eq!((c.state.as_str(), c.data_str(facts::BREACHED)), ("registered", Some("yes")));
    assert!(c.data_str(facts::OVER_LIMIT).is_none(), "the head count was within 第二十条第三款");
    assert!(sh::notices(&c.data).iter().any(|n| n.contains("第二十六条第一项") && n.contains("第四十七条第一款")));
    // A plain visit where the breach is found afterwards: named with the response, then recorded.
    let plain = open_with(&town, &kind, &visit_input()).unwrap();
    let mut later = input_for("respond_over_limit");
    later.insert("breach".into(), "not_designated".into());
    let out = kind.act(&plain, "respond_over_limit", &later, &town.ctx(&clerk, FRIDAY + Duration::hours(1))).unwrap();
    assert_eq!(out.case.data_str(facts::BREACHED), Some("yes"));
    assert_eq!(out.case.data_str("breach"), Some("not_designated"));
    // An unknown breach is a field error naming the field.
    let mut bad = visit_input();
    bad.insert("breach".into(), "noise".into());
    let ActionError::Invalid(errors) = open_with(&town, &kind, &bad).unwrap_err() else { panic!("a field error") };
    assert_eq!(errors[0].field, "breach");
}

#[test]
fn a_visit_converted_into_an_accusation_keeps_the_accused_staff_withheld_too_article_thirty() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("registered", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let accused = crate::ids::UserId::new();
    let input = obj(json!({
        "target_kind": "petition",
        "target_case": CaseId::new().to_string(),
        "accused_unit": town.longtan.to_string(),
        "accused_users": [accused.to_string()],
    }));
    let out = kind.act_internal(&c, "convert", &input, &town.ctx(&clerk, FRIDAY)).unwrap();
    let w = sh::withheld_parties(&out.case.data).unwrap();
    assert_eq!((w.unit, w.users), (Some(town.longtan), vec![accused]));
    // Staff without the unit: not an accusation, refused.
    let input = obj(json!({
        "target_kind": "dispute",
        "target_case": CaseId::new().to_string(),
        "accused_users": [accused.to_string()],
    }));
    let err = kind.act_internal(&c, "convert", &input, &town.ctx(&clerk, FRIDAY)).unwrap_err();
    assert!(err.to_string().contains("检举控告"), "{err}");
}

#[test]
fn a_visit_is_registered_as_of_the_day_it_happened_and_that_day_goes_to_the_case_it_becomes() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let mut input = visit_input();
    input.insert(facts::VISITED_ON.into(), "2024-09-20".into());
    let c = open_with(&town, &kind, &input).unwrap();
    assert_eq!(c.opened_at, crate::time_util::day_start_ms(time::macros::date!(2024 - 09 - 20)));
    assert_eq!(c.data_str(facts::VISITED_ON), Some("2024-09-20"));
    // Typed in on the day, the visit still records it.
    let today = open_with(&town, &kind, &visit_input()).unwrap();
    assert_eq!(today.data_str(facts::VISITED_ON), Some("2024-09-27"));
    // Answered on the spot that day: closed as of that day.
    let answered = kind
        .act(&c, "reply", &obj(json!({"reply": "已当场解答", "replied_on": "2024-09-20"})), &town.ctx(&clerk, FRIDAY))
        .unwrap()
        .case;
    assert_eq!(answered.closed_at, Some(c.opened_at));
}

#[test]
fn the_receiving_unit_takes_the_visit_and_must_be_of_this_town() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let mut input = visit_input();
    input.insert("receiving_unit".into(), town.longtan.to_string().into());
    let c = open_with(&town, &kind, &input).unwrap();
    assert_eq!(c.unit_id, town.longtan);
    let other = Town::new();
    input.insert("receiving_unit".into(), other.longtan.to_string().into());
    assert_eq!(
        open_with(&town, &kind, &input).unwrap_err().to_string(),
        "接待单位：所选单位不存在或不属于本镇（街道）"
    );
}

#[test]
fn bad_registration_input_lists_every_bad_field_in_chinese() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let mut input = visit_input();
    input.insert("visitor_count".into(), "三".into());
    input.insert("party_phone".into(), "12345".into());
    input.insert("category".into(), "闲聊".into());
    input.remove("title");
    let ActionError::Invalid(errors) = open_with(&town, &kind, &input).unwrap_err() else { panic!("field errors") };
    let messages: Vec<String> = errors.iter().map(|e| e.message()).collect();
    assert!(messages.contains(&"来访人数：请输入整数".to_string()), "{messages:?}");
    assert!(messages.contains(&"来访事由：不能为空".to_string()), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("联系电话：")), "{messages:?}");
    assert!(
        messages.contains(
            &"事项类别：“闲聊”不是可选项，应为：矛盾纠纷、信访诉求、法律咨询、求助、投诉举报、其他".to_string()
        )
    );
    let mut input = visit_input();
    input.insert("visitor_count".into(), 0.into());
    assert_eq!(open_with(&town, &kind, &input).unwrap_err().to_string(), "来访人数：应在1至9999之间");
}

#[test]
fn a_visit_converted_into_an_accusation_withholds_the_visitor_from_the_accused_unit() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("registered", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let input = obj(json!({
        "target_kind": "petition",
        "target_case": CaseId::new().to_string(),
        "accused_unit": town.longtan.to_string(),
    }));
    let out = kind.act_internal(&c, "convert", &input, &town.ctx(&clerk, FRIDAY)).unwrap();
    assert_eq!(out.case.state, "converted");
    assert_eq!(out.case.data_str(facts::CONVERTED_KIND), Some("petition"));
    let (unit, keys) = sh::confidential(&out.case.data).unwrap();
    assert_eq!(unit, town.longtan);
    assert!(keys.contains(&"party_name".to_string()) && keys.contains(&"content".to_string()));
    let village_path = town.units[&town.longtan].path.clone();
    assert!(sh::withheld_from(&out.case.data, Some(&village_path), &town.units).is_some());
    let center_path = town.units[&town.center].path.clone();
    assert!(sh::withheld_from(&out.case.data, Some(&center_path), &town.units).is_none());
    assert!(out.case.data.contains_key(CONFIDENTIAL));
    // A plain conversion marks nothing.
    let plain = kind.act_internal(&c, "convert", &input_for("convert"), &town.ctx(&clerk, FRIDAY)).unwrap();
    assert!(!plain.case.data.contains_key(CONFIDENTIAL));
}

#[test]
fn a_merged_visit_is_no_longer_counted() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("registered", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    let out = kind.act_internal(&c, "merge", &input_for("merge"), &town.ctx(&clerk, FRIDAY)).unwrap();
    assert_eq!((out.case.state.as_str(), out.case.phase), (MERGED, Phase::Closed));
    assert_eq!(out.case.data_str(COUNTED), Some("no"));
    assert_eq!(out.event.payload["original_receipt"], "AT-LF-2024-000009");
}

#[test]
fn the_metric_catalogue_counts_batches_and_person_times() {
    let cat = crate::kinds::Kinds::standard(&Settings::default()).catalogue(&Settings::default());
    cat.check().unwrap();
    assert_eq!(cat.of_kind(SLUG).count(), 4);
    // Every reception counts (a repeat visit merged into the first was still received); only
    // 来访事项 counts matters once.
    for code in ["visit.batches", "visit.persons"] {
        assert!(!cat.traced_set(code).unwrap().conds.iter().any(|c| matches!(c, Cond::DataEq { key: COUNTED, .. })));
    }
    assert!(
        cat.traced_set("visit.matters").unwrap().conds.contains(&Cond::DataEq { key: COUNTED, value: "yes".into() })
    );
    assert_eq!(cat.get("visit.batches").unwrap().unit.label(), "批");
    assert_eq!(cat.get("visit.persons").unwrap().unit.label(), "人次");
    assert!(matches!(cat.get("visit.persons").unwrap().measure, Measure::Sum { key: facts::VISITORS, .. }));
    let mut raw = |m: &MetricDef| match m.code {
        "visit.batches" => 296,
        "visit.persons" => 939,
        _ => 0,
    };
    assert_eq!(cat.figure("visit.persons", &mut raw).unwrap().to_string(), "939");
}
