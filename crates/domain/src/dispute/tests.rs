use serde_json::{Map, Value as Json, json};
use time::Duration;
use time::macros::{date, datetime};

use super::*;
use crate::case::Actor;
use crate::ids::CaseId;
use crate::testing::{FRIDAY, Town};
use crate::time_util::day_start_ms;
use crate::workflow::shared::COUNTED;
use crate::workflow::{ActionError, NewCase, Outcome};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

fn dispute_input() -> Map<String, Json> {
    obj(json!({
        "title": "龙潭村两户宅基地界址纠纷",
        "content": "陈某与李某因宅基地界址及滴水位置发生争执，多次口角。",
        "category": "homestead",
        "source": "walk_in",
        "party_name": "陈某",
        "party_phone": "13812345678",
        "respondent_name": "李某",
        "respondent_phone": "13912345678",
        "amount": "12000",
        "location": "龙潭村三队",
    }))
}

fn open_at(
    town: &Town,
    kind: &KindDef,
    input: &Map<String, Json>,
    at: time::OffsetDateTime,
) -> Result<Outcome, ActionError> {
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    kind.open_case(NewCase { id: CaseId::new(), receipt_no: "AT-JF-2024-000001".into() }, input, &town.ctx(&clerk, at))
}

fn open(town: &Town, kind: &KindDef) -> CaseRecord {
    open_at(town, kind, &dispute_input(), FRIDAY).unwrap().case
}

fn input_for(action: &str, town: &Town) -> Map<String, Json> {
    obj(match action {
        // Accepted at 龙潭村 (see `case_in`): 改派 moves it to 西塘村.
        "reassign" => {
            let xitang = town.units.values().find(|u| u.name == "西塘村").unwrap().id;
            json!({"new_unit": xitang.to_string(), "reassign_reason": "当事人均居住在西塘村"})
        }
        "accept" => {
            json!({"path": "people", "mediation_unit": town.longtan.to_string(), "mediators": "陈调解、黄调解", "consent": true})
        }
        "decline" => json!({"decline_reason": "refused", "routes_told": "可向人民法院起诉"}),
        "session" => {
            json!({"held_on": "2024-09-27", "participants": "双方当事人、村调委", "record": "双方陈述各自理由"})
        }
        "extend" => json!({"extension_days": 10, "extension_reason": "双方同意继续调解"}),
        "agree_written" => json!({
            "agreement_parties": "陈某，男；李某，男",
            "facts": "两户宅基地相邻",
            "issues": "界址与滴水位置",
            "responsibility": "双方均有过错",
            "terms": "以现状围墙为界，李某补偿陈某3000元",
            "performance_manner": "现金一次性支付",
            "performance_deadline": "2024-10-31",
            "signed_on": "2024-09-27",
            "committee": "龙潭村人民调解委员会",
            "parties_signed": true,
            "mediator_signed": true,
            "recovered": "3000",
        }),
        "agree_oral" => json!({"terms": "李某当场道歉并赔偿200元", "recovered": "200"}),
        "end_mediation" => json!({"end_reason": "双方分歧过大", "routes_told": "可向人民法院起诉"}),
        "refer" => json!({"referred_to": "鳌头人民法庭", "refer_reason": "涉及权属确认"}),
        "confirm" => json!({"confirmation_result": "applied", "court": "从化区人民法院", "applied_on": "2024-09-27"}),
        "confirm_ruling" => json!({"confirmation_result": "confirmed"}),
        "follow_up" => json!({"performance": "performed", "note": "已付清"}),
        "mark_major" => json!({"major": true, "major_reason": "涉及多户"}),
        "supervise" => json!({"note": "尽快化解"}),
        "merge" => {
            json!({"original_case": CaseId::new().to_string(), "original_receipt": "AT-JF-2024-000002", "merge_reason": "同一纠纷重复登记"})
        }
        _ => json!({}),
    })
}

/// A case in `state` with what the actions from there need: an accepted mediation with its
/// clock, or a written agreement of today with its 司法确认 window.
fn case_in(state: &str, town: &Town, kind: &KindDef) -> CaseRecord {
    let mut c = open(town, kind);
    let mediator = town.actor(town.longtan, &[Role::Mediator]);
    if state != "registered" {
        c = kind.act(&c, "accept", &input_for("accept", town), &town.ctx(&mediator, FRIDAY)).unwrap().case;
    }
    if state == "agreed" {
        c = kind
            .act(&c, "agree_written", &input_for("agree_written", town), &town.ctx(&mediator, FRIDAY))
            .unwrap()
            .case;
    }
    c.state = state.to_string();
    c.phase = kind.workflow.state(state).unwrap().phase;
    if c.phase != Phase::Open {
        c.closed_at = Some(c.opened_at);
    }
    c
}

/// `case_in`, with what the action needs besides: an application awaiting the court's ruling.
fn case_for(state: &str, action: &str, town: &Town, kind: &KindDef) -> CaseRecord {
    let mut c = case_in(state, town, kind);
    if action == "confirm_ruling" {
        c.data.insert("confirmation_result".into(), "applied".into());
    }
    c
}

/// Received and accepted on 2024-08-30, typed in on 2024-09-27.
fn mediating_from_0830(town: &Town, kind: &KindDef) -> CaseRecord {
    let mut input = dispute_input();
    input.insert("received_on".into(), "2024-08-30".into());
    let c = open_at(town, kind, &input, FRIDAY).unwrap().case;
    let mut accept = input_for("accept", town);
    accept.insert("accepted_on".into(), "2024-08-30".into());
    kind.act(&c, "accept", &accept, &town.ctx(&mediator(town), FRIDAY)).unwrap().case
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

fn mediator(town: &Town) -> Actor {
    town.actor(town.longtan, &[Role::Mediator])
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
            let case = case_for(state.code, action.code, &town, &kind);
            let actor = town.actor(town.longtan, &action.roles);
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
    assert_eq!(pairs, 9 * 17);
}

#[test]
fn registration_records_parties_amount_and_category_and_starts_no_clock() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = open(&town, &kind);
    assert_eq!((c.state.as_str(), c.category.as_deref()), ("registered", Some("homestead")));
    assert_eq!(c.data["amount"], 1_200_000, "money in fen");
    assert_eq!(c.data_str(facts::MAJOR), Some("no"));
    assert_eq!(c.data_str(COUNTED), Some("yes"));
    assert_eq!(c.data["respondent_phone"]["mask"], "139****5678");
    assert!(c.clocks.0.is_empty());
    assert!(c.search_text.contains("李某"));
    assert_eq!(kind.choice_label("category", "graves").as_deref(), Some("迁坟"));
}

#[test]
fn categories_are_configuration() {
    let mut settings = Settings::default();
    let own = DisputeSettings {
        categories: vec![crate::settings::Choice::new("fishpond", "鱼塘承包")],
        ..Default::default()
    };
    settings.set(SLUG, &own);
    let kind = kind(&settings);
    assert_eq!(kind.open_choices("category"), vec![("fishpond".to_string(), "鱼塘承包".to_string())]);
}

#[test]
fn mediation_is_refused_when_a_party_clearly_refuses_it() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = open(&town, &kind);
    let mut input = input_for("accept", &town);
    input.insert("consent".into(), false.into());
    let err = kind.act(&c, "accept", &input, &town.ctx(&mediator(&town), FRIDAY)).unwrap_err();
    assert!(err.to_string().contains("《人民调解法》第十七条"), "{err}");
}

#[test]
fn acceptance_assigns_the_mediation_unit_and_starts_the_one_month_target_which_rolls_off_a_sunday() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("mediating", &town, &kind);
    assert_eq!(c.unit_id, town.longtan);
    assert_eq!(c.data_str(facts::ACCEPTED), Some("yes"));
    let clock = c.clocks.get(MEDIATE).unwrap();
    assert_eq!(clock.class, ClockClass::Target);
    // 2024-09-27 + 1 month = 10-27, a Sunday → Monday 10-28.
    assert_eq!(c.clocks.due_on(), Some(date!(2024 - 10 - 28)));
    let steps = clock.explain().join("\n");
    assert!(steps.contains("司法部令第75号）第三十三条"), "{steps}");
    assert!(
        steps.contains("2024-10-27 为休息日（星期日），依《民事诉讼法》第八十五条顺延至其后第一个工作日 2024-10-28"),
        "{steps}"
    );
}

#[test]
fn an_extension_with_the_parties_consent_moves_the_target_and_says_why() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("mediating", &town, &kind);
    let out = kind.act(&c, "extend", &input_for("extend", &town), &town.ctx(&mediator(&town), FRIDAY)).unwrap();
    // The month ended on 10-27, a Sunday, so on 10-28 (民事诉讼法第八十五条); the extension runs on
    // from there: + 10 days = 11-07, a Thursday.
    assert_eq!(out.case.clocks.due_on(), Some(date!(2024 - 11 - 07)));
    let steps = out.case.clocks.get(MEDIATE).unwrap().explain().join("\n");
    assert!(steps.contains("批准延长 10日（经当事人同意延长调解期限；双方同意继续调解）"), "{steps}");
    let mut too_long = input_for("extend", &town);
    too_long.insert("extension_days".into(), 31.into());
    assert_eq!(
        kind.act(&c, "extend", &too_long, &town.ctx(&mediator(&town), FRIDAY)).unwrap_err().to_string(),
        "延长天数：应在1至30之间"
    );
}

#[test]
fn sessions_are_repeatable_records_and_cannot_be_dated_in_the_future() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let mut c = case_in("mediating", &town, &kind);
    for _ in 0..3 {
        let out = kind.act(&c, "session", &input_for("session", &town), &town.ctx(&mediator(&town), FRIDAY)).unwrap();
        assert_eq!(out.case.state, "mediating");
        assert_eq!(out.event.payload["record"], "双方陈述各自理由");
        c = out.case;
    }
    assert_eq!(c.data_i64(facts::SESSIONS), Some(3));
    let mut later = input_for("session", &town);
    later.insert("held_on".into(), "2024-09-28".into());
    assert_eq!(
        kind.act(&c, "session", &later, &town.ctx(&mediator(&town), FRIDAY)).unwrap_err(),
        ActionError::Refused("调解日期不能晚于今天".into())
    );
}

#[test]
fn a_written_agreement_needs_every_element_of_article_twenty_nine_and_every_signature() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("mediating", &town, &kind);
    let ActionError::Invalid(errors) =
        kind.act(&c, "agree_written", &Map::new(), &town.ctx(&mediator(&town), FRIDAY)).unwrap_err()
    else {
        panic!("field errors")
    };
    let missing: Vec<&str> = errors.iter().map(|e| e.label.as_str()).collect();
    for label in [
        "当事人基本情况",
        "纠纷的主要事实",
        "争议事项",
        "各方当事人的责任",
        "协议内容",
        "履行方式",
        "履行期限",
        "签订（生效）日期",
    ] {
        assert!(missing.contains(&label), "{label} missing from {missing:?}");
    }
    let mut unsigned = input_for("agree_written", &town);
    unsigned.insert("parties_signed".into(), false.into());
    let err = kind.act(&c, "agree_written", &unsigned, &town.ctx(&mediator(&town), FRIDAY)).unwrap_err();
    assert!(
        err.to_string().contains("各方当事人签名、盖章或者按指印") && err.to_string().contains("第二十九条"),
        "{err}"
    );
    let mut unsealed = input_for("agree_written", &town);
    unsealed.insert("mediator_signed".into(), false.into());
    assert!(
        kind.act(&c, "agree_written", &unsealed, &town.ctx(&mediator(&town), FRIDAY))
            .unwrap_err()
            .to_string()
            .contains("人民调解委员会印章")
    );
    let mut backwards = input_for("agree_written", &town);
    backwards.insert("performance_deadline".into(), "2024-09-01".into());
    assert_eq!(
        kind.act(&c, "agree_written", &backwards, &town.ctx(&mediator(&town), FRIDAY)).unwrap_err(),
        ActionError::Refused("履行期限不能早于协议签订日期".into())
    );
}

#[test]
fn a_written_agreement_resolves_the_dispute_and_opens_the_thirty_day_window_for_judicial_confirmation() {
    let town = Town::new();
    let kind = kind(&town.settings);
    // Received and accepted 2024-08-30, signed on 2024-09-01 (a Sunday: immaterial), all typed in on
    // 09-27: 30 days from the signing → 10-01, National Day → the first working day after, 10-08.
    let c = mediating_from_0830(&town, &kind);
    let mut input = input_for("agree_written", &town);
    input.insert("signed_on".into(), "2024-09-01".into());
    let out = kind.act(&c, "agree_written", &input, &town.ctx(&mediator(&town), FRIDAY)).unwrap();
    let c = out.case;
    assert_eq!(c.closed_at, Some(day_start_ms(date!(2024 - 09 - 01))), "resolved as of the day signed");
    let mediate = c.clocks.get(MEDIATE).unwrap();
    assert_eq!((mediate.stopped_on, mediate.met), (Some(date!(2024 - 09 - 01)), Some(true)));
    assert_eq!((c.state.as_str(), c.phase), ("agreed", Phase::Closed));
    assert_eq!(c.data_str(facts::RESOLVED), Some("yes"));
    assert_eq!(c.data_str(facts::AGREEMENT), Some("written"));
    assert_eq!(c.data_str(facts::EFFECTIVE_ON), Some("2024-09-01"));
    assert_eq!(c.data[facts::RECOVERED], 300_000);
    assert!(!c.clocks.get(MEDIATE).unwrap().is_running(), "mediation stopped");
    let window = c.clocks.get(CONFIRMATION).unwrap();
    assert_eq!(window.due(), Some(date!(2024 - 10 - 08)));
    let steps = window.explain().join("\n");
    assert!(steps.contains("依据：人民调解法第三十三条"), "{steps}");
    assert!(steps.contains("自调解协议生效（2024-09-01）起算"), "{steps}");
    assert!(steps.contains("法定节假日（国庆节）"), "{steps}");

    // Applying within the window stops it, met.
    let m = mediator(&town);
    let typed = town.ctx(&m, datetime!(2024-10-15 10:00 +8));
    let mut ok = input_for("confirm", &town);
    ok.insert("applied_on".into(), "2024-10-08".into());
    let confirmed = kind.act(&c, "confirm", &ok, &typed).unwrap().case;
    let w = confirmed.clocks.get(CONFIRMATION).unwrap();
    assert_eq!((w.stopped_on, w.met), (Some(date!(2024 - 10 - 08)), Some(true)));
    assert!(confirmed.data_str(facts::CONFIRMATION_LATE).is_none());
    // Applying after it is recorded and flagged for the court (第三十三条), not refused here.
    let mut late = input_for("confirm", &town);
    late.insert("applied_on".into(), "2024-10-09".into());
    let flagged = kind.act(&c, "confirm", &late, &typed).unwrap().case;
    assert_eq!(flagged.clocks.get(CONFIRMATION).unwrap().met, Some(false));
    assert_eq!(flagged.data_str(facts::CONFIRMATION_LATE), Some("yes"));
    assert_eq!(
        crate::workflow::shared::notices(&flagged.data),
        vec![
            "司法确认申请于 2024-10-09 共同提出，超过调解协议生效之日起30日的期限（2024-10-08 届满，《人民调解法》第三十三条、《民事诉讼法》第二百零五条）：已登记，由人民法院决定是否受理"
                .to_string()
        ]
    );
    // One application is recorded; the court's ruling is its own action, dated.
    assert!(
        kind.act(&flagged, "confirm", &late, &typed).unwrap_err().to_string().contains("司法确认结果"),
        "a second application is refused"
    );
    let ruled = kind
        .act(
            &flagged,
            "confirm_ruling",
            &obj(json!({"confirmation_result": "rejected", "ruled_on": "2024-10-12"})),
            &typed,
        )
        .unwrap()
        .case;
    assert_eq!(ruled.data_str("confirmation_result"), Some("rejected"));
    assert_eq!(ruled.effective_at, day_start_ms(date!(2024 - 10 - 12)));
    assert!(
        kind.act(&ruled, "confirm_ruling", &obj(json!({"confirmation_result": "confirmed"})), &typed).is_err(),
        "nothing is left to rule on"
    );
    // Dismissed (民事诉讼法第二百零六条): the same agreement is not applied for again.
    let err = kind.act(&ruled, "confirm", &late, &typed).unwrap_err();
    assert!(err.to_string().contains("第二百零六条"), "{err}");
}

#[test]
fn judicial_confirmation_is_ruled_valid_dismissed_not_accepted_or_withdrawn_civil_procedure_law_205_206() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("agreed", &town, &kind);
    let w = confirmation_rule();
    assert!(w.source.contains("人民调解法第三十三条") && w.source.contains("民事诉讼法第二百零五条"), "{}", w.source);
    assert!(w.source.contains("共同申请"));
    let ruling = kind.workflow.action("confirm_ruling").unwrap().field("confirmation_result").unwrap();
    assert!(ruling.choice_label("confirmed").unwrap().contains("裁定调解协议有效（民事诉讼法第二百零六条）"));
    assert!(ruling.choice_label("rejected").unwrap().contains("裁定驳回申请（民事诉讼法第二百零六条）"));
    assert!(ruling.choice_label("withdrawn").unwrap().contains("第五条第二款"));
    assert!(ruling.choice_label("not_accepted").unwrap().contains("第四条第二款"));
    let apply = kind.workflow.action("confirm").unwrap();
    assert!(apply.confirm.unwrap().contains("双方当事人共同申请"));
    let m = mediator(&town);
    let mut c = c;
    c.data.insert("confirmation_result".into(), "applied".into());
    // Withdrawn before the ruling (若干规定第五条第二款): the parties may apply again.
    let withdrawn = kind
        .act(&c, "confirm_ruling", &obj(json!({"confirmation_result": "withdrawn"})), &town.ctx(&m, FRIDAY))
        .unwrap()
        .case;
    assert_eq!(withdrawn.data_str("confirmation_result"), Some("withdrawn"));
    let again = kind.act(&withdrawn, "confirm", &input_for("confirm", &town), &town.ctx(&m, FRIDAY)).unwrap().case;
    assert_eq!(again.data_str("confirmation_result"), Some("applied"));
    // Ruled valid: nothing to apply for any more.
    let valid = kind
        .act(&again, "confirm_ruling", &obj(json!({"confirmation_result": "confirmed"})), &town.ctx(&m, FRIDAY))
        .unwrap()
        .case;
    let err = kind.act(&valid, "confirm", &input_for("confirm", &town), &town.ctx(&m, FRIDAY)).unwrap_err();
    assert!(err.to_string().contains("已裁定调解协议有效"), "{err}");
}

#[test]
fn an_oral_agreement_takes_effect_when_reached_and_cannot_be_judicially_confirmed() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("mediating", &town, &kind);
    let c =
        kind.act(&c, "agree_oral", &input_for("agree_oral", &town), &town.ctx(&mediator(&town), FRIDAY)).unwrap().case;
    assert_eq!(c.data_str(facts::AGREEMENT), Some("oral"));
    assert_eq!(c.data_str(facts::EFFECTIVE_ON), Some("2024-09-27"));
    assert!(c.clocks.get(CONFIRMATION).is_none());
    assert_eq!(c.clocks.due_on(), None);
    assert_eq!(
        kind.act(&c, "confirm", &input_for("confirm", &town), &town.ctx(&mediator(&town), FRIDAY)).unwrap_err(),
        ActionError::Refused("只有书面调解协议可以申请司法确认（《人民调解法》第三十三条）".into())
    );
}

#[test]
fn ending_mediation_requires_telling_the_parties_the_other_routes() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("mediating", &town, &kind);
    let err = kind
        .act(&c, "end_mediation", &obj(json!({"end_reason": "分歧过大"})), &town.ctx(&mediator(&town), FRIDAY))
        .unwrap_err();
    assert_eq!(err.to_string(), "已告知的其他途径：不能为空");
    let out =
        kind.act(&c, "end_mediation", &input_for("end_mediation", &town), &town.ctx(&mediator(&town), FRIDAY)).unwrap();
    assert_eq!((out.case.state.as_str(), out.case.clocks.due_on()), ("failed", None));
    assert!(out.case.data_str(facts::RESOLVED).is_none(), "not resolved");
}

#[test]
fn follow_up_until_performed_and_a_lapsed_window_closes_on_its_last_day() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("agreed", &town, &kind);
    let m = mediator(&town);
    let later = datetime!(2024-11-20 10:00 +8);
    let partial = obj(json!({"performance": "partial", "recovered": "1500", "note": "已付一半"}));
    let c = kind.act(&c, "follow_up", &partial, &town.ctx(&m, later)).unwrap().case;
    assert_eq!(c.state, "agreed");
    assert_eq!(c.data[facts::RECOVERED], 150_000, "the amount actually recovered replaces the agreed one");
    let w = c.clocks.get(CONFIRMATION).unwrap();
    // 2024-09-27 + 30 = 10-27 (Sunday) → 10-28; lapsed by 11-20.
    assert_eq!((w.stopped_on, w.met), (Some(date!(2024 - 10 - 28)), Some(true)));
    assert_eq!(c.clocks.due_on(), None);
    let done = kind.act(&c, "follow_up", &input_for("follow_up", &town), &town.ctx(&m, later)).unwrap().case;
    assert_eq!((done.state.as_str(), done.phase), ("performed", Phase::Closed));
}

#[test]
fn a_major_difficult_dispute_is_flagged_with_its_reason_and_unflagged_likewise() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let mut input = dispute_input();
    input.insert("major".into(), true.into());
    input.insert("category".into(), "graves".into());
    let c = open_at(&town, &kind, &input, FRIDAY).unwrap().case;
    assert_eq!(c.data_str(facts::MAJOR), Some("yes"));
    let leader = town.actor(town.town, &[Role::Leader]);
    let out = kind
        .act(
            &c,
            "mark_major",
            &obj(json!({"major": "否", "major_reason": "已查明仅涉一户"})),
            &town.ctx(&leader, FRIDAY),
        )
        .unwrap();
    assert_eq!(out.case.data_str(facts::MAJOR), Some("no"));
    assert_eq!(out.case.data_str("major_reason"), Some("已查明仅涉一户"));
}

#[test]
fn a_merged_dispute_leaves_every_count_and_stops_its_clock() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = case_in("mediating", &town, &kind);
    let clerk = town.actor(town.center, &[Role::IntakeClerk]);
    assert!(kind.act(&c, "merge", &input_for("merge", &town), &town.ctx(&clerk, FRIDAY)).is_err(), "not directly");
    let out = kind.act_internal(&c, "merge", &input_for("merge", &town), &town.ctx(&clerk, FRIDAY)).unwrap();
    assert_eq!(out.case.state, "merged");
    assert_eq!(out.case.data_str(COUNTED), Some("no"));
    assert_eq!(out.case.clocks.due_on(), None);
}

#[test]
fn bad_registration_input_lists_every_bad_field_in_chinese() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let mut input = dispute_input();
    input.insert("amount".into(), "-5".into());
    input.insert("category".into(), "打架".into());
    input.insert("respondent_idcard".into(), "440524188001010015".into());
    input.remove("respondent_name");
    let ActionError::Invalid(errors) = open_at(&town, &kind, &input, FRIDAY).unwrap_err() else {
        panic!("field errors")
    };
    let messages: Vec<String> = errors.iter().map(|e| e.message()).collect();
    assert!(messages.contains(&"争议金额（元）：金额不能为负数".to_string()), "{messages:?}");
    assert!(messages.contains(&"对方当事人：不能为空".to_string()), "{messages:?}");
    assert!(messages.contains(&"对方当事人身份证号码：校验位不正确，请核对最后一位".to_string()), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m
                .starts_with("纠纷类别：“打架”不是可选项，应为：婚姻家庭、邻里、土地山林、劳资欠薪、人身损害、迁坟")),
        "{messages:?}"
    );
}

#[test]
fn the_metric_catalogue_has_the_seed_figures_of_disputes() {
    let cat = crate::kinds::Kinds::standard(&Settings::default()).catalogue(&Settings::default());
    cat.check().unwrap();
    let codes: Vec<&str> = cat.of_kind(SLUG).map(|m| m.code).collect();
    for c in ["dispute.accepted", "dispute.resolved", "dispute.resolve_rate", "dispute.recovered", "dispute.major"] {
        assert!(codes.contains(&c), "{c}");
    }
    let mut raw = |m: &MetricDef| match m.code {
        "dispute.accepted" => 456,
        "dispute.resolved" => 450,
        "dispute.recovered" => 2_256_030_000,
        _ => 0,
    };
    assert_eq!(cat.figure("dispute.resolve_rate", &mut raw).unwrap().to_string(), "98.68%");
    assert_eq!(cat.figure("dispute.recovered", &mut raw).unwrap().to_string(), "2256.03万元");
}

#[test]
fn registration_and_acceptance_take_the_days_they_happened_and_the_mediation_target_runs_from_acceptance() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = mediating_from_0830(&town, &kind);
    assert_eq!(c.opened_at, day_start_ms(date!(2024 - 08 - 30)), "registered as of the day received");
    let clock = c.clocks.get(MEDIATE).unwrap();
    // One month from 2024-08-30 = 09-30, a Monday (the target of 司法部令第75号 第三十三条).
    assert_eq!(clock.due(), Some(date!(2024 - 09 - 30)));
    assert!(clock.explain()[0].contains("自受理（2024-08-30）起算"), "{:?}", clock.explain());
    // Acceptance before receipt is refused.
    let mut input = dispute_input();
    input.insert("received_on".into(), "2024-09-10".into());
    let r = open_at(&town, &kind, &input, FRIDAY).unwrap().case;
    let mut early = input_for("accept", &town);
    early.insert("accepted_on".into(), "2024-09-09".into());
    assert_eq!(
        kind.act(&r, "accept", &early, &town.ctx(&mediator(&town), FRIDAY)).unwrap_err().to_string(),
        "受理日期：受理日期不能早于本件的收到（登记）日期 2024-09-10"
    );
}

#[test]
fn an_oral_agreement_ending_or_referral_stops_the_target_and_closes_the_case_on_its_own_day() {
    let town = Town::new();
    let kind = kind(&town.settings);
    let c = mediating_from_0830(&town, &kind);
    let m = mediator(&town);
    let ctx = town.ctx(&m, FRIDAY);
    let cases = [
        ("agree_oral", json!({"terms": "当场道歉并赔偿200元", "reached_on": "2024-09-20"})),
        (
            "end_mediation",
            json!({"end_reason": "分歧过大", "routes_told": "可向人民法院起诉", "ended_on": "2024-09-20"}),
        ),
        ("refer", json!({"referred_to": "鳌头人民法庭", "refer_reason": "涉及权属确认", "referred_on": "2024-09-20"})),
    ];
    for (action, input) in cases {
        let out = kind.act(&c, action, &obj(input), &ctx).unwrap().case;
        let clock = out.clocks.get(MEDIATE).unwrap();
        assert_eq!((clock.stopped_on, clock.met), (Some(date!(2024 - 09 - 20)), Some(true)), "{action}");
        assert_eq!(out.closed_at, Some(day_start_ms(date!(2024 - 09 - 20))), "{action}");
    }
    // 第三十条: an oral agreement takes effect on the day it was reached; reached after the target,
    // it is late whenever it is typed in.
    let oral =
        kind.act(&c, "agree_oral", &obj(json!({"terms": "当场道歉", "reached_on": "2024-09-20"})), &ctx).unwrap().case;
    assert_eq!(oral.data_str(facts::EFFECTIVE_ON), Some("2024-09-20"));
    let late = kind
        .act(
            &c,
            "agree_oral",
            &obj(json!({"terms": "当场道歉", "reached_on": "2024-10-08"})),
            &town.ctx(&m, datetime!(2024-10-10 10:00 +8)),
        )
        .unwrap()
        .case;
    assert_eq!(late.clocks.get(MEDIATE).unwrap().met, Some(false), "due 09-30");
    // Declining is dated too.
    let mut input = dispute_input();
    input.insert("received_on".into(), "2024-09-20".into());
    let r = open_at(&town, &kind, &input, FRIDAY).unwrap().case;
    let decline =
        obj(json!({"decline_reason": "refused", "routes_told": "可向人民法院起诉", "declined_on": "2024-09-23"}));
    let declined = kind.act(&r, "decline", &decline, &ctx).unwrap().case;
    assert_eq!(declined.closed_at, Some(day_start_ms(date!(2024 - 09 - 23))));
}

#[test]
fn the_mediation_target_is_extended_only_while_it_runs() {
    let town = Town::new();
    let kind = kind(&town.settings);
    // Due 09-30.
    let c = mediating_from_0830(&town, &kind);
    let m = mediator(&town);
    let err =
        kind.act(&c, "extend", &input_for("extend", &town), &town.ctx(&m, FRIDAY + Duration::days(4))).unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused(
            "“调解期限”已于 2024-09-30 届满，期限届满后不能再申请延期，只能延长尚未届满的期限（调解期限经当事人同意方可延长，届满后请继续调解或依《人民调解法》第二十六条终止调解）；本件按超期办理记录".into()
        )
    );
    // The parties agreed on the last day, typed in three days later: extended from 09-30 by 10 days
    // → 10-10, a Thursday.
    let mut agreed = input_for("extend", &town);
    agreed.insert("extended_on".into(), "2024-09-30".into());
    let out = kind.act(&c, "extend", &agreed, &town.ctx(&m, FRIDAY + Duration::days(6))).unwrap().case;
    assert_eq!(out.clocks.due_on(), Some(date!(2024 - 10 - 10)));
    assert!(out.clocks.get(MEDIATE).unwrap().explain().join("\n").contains("延期：2024-09-30 批准延长 10日"));
    // Not extended, an agreement signed after the target is late.
    let signed = kind
        .act(
            &c,
            "agree_oral",
            &obj(json!({"terms": "赔偿", "reached_on": "2024-10-02"})),
            &town.ctx(&m, FRIDAY + Duration::days(6)),
        )
        .unwrap()
        .case;
    assert_eq!(signed.clocks.get(MEDIATE).unwrap().met, Some(false));
}

#[test]
fn a_follow_up_is_dated_and_closes_the_lapsed_window_as_of_that_day() {
    let town = Town::new();
    let kind = kind(&town.settings);
    // Signed 09-27: the window ends 10-28.
    let c = case_in("agreed", &town, &kind);
    let m = mediator(&town);
    let typed = town.ctx(&m, datetime!(2024-11-20 10:00 +8));
    // Followed up on 10-20 (window still open), typed in 11-20: the window keeps running.
    let input = obj(json!({"performance": "partial", "followed_on": "2024-10-20"}));
    let out = kind.act(&c, "follow_up", &input, &typed).unwrap().case;
    assert!(out.clocks.get(CONFIRMATION).unwrap().is_running(), "still open on 10-20");
    assert_eq!(out.effective_at, day_start_ms(date!(2024 - 10 - 20)));
}
