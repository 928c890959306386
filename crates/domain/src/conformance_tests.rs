//! One conformance suite over every registered kind (issue 11): whatever kind the registry lists
//! is held to the same rules the moment it is registered, with inputs made from its own field
//! definitions. Each kind's folder keeps only the tests of its own law.
//!
//! - every state × action: applies exactly from the states the table lists (an internal action
//!   through the use case's path), lands in a state the table names, and records the step;
//! - every action × role: refused to every role not in its row, and to the public unless public;
//! - every clock a kind starts cites its article or its setting;
//! - every figure has a name, a formula in words and cases of its own kind; every report clause
//!   names only figures that exist;
//! - every registration field takes a value of its type;
//! - the dispatcher's levers (催办, 撤回, 改派) wherever a kind sends cases to units: taken by the
//!   desk alone, none touching a clock, each doing what its tag says.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json, json};
use time::Duration;

use crate::case::{Actor, CaseRecord, Phase};
use crate::ids::CaseId;
use crate::kinds::{KindDef, Kinds};
use crate::metric::Measure;
use crate::role::{Reach, Role};
use crate::testing::{FRIDAY, Town};
use crate::unit::UnitKind;
use crate::workflow::{
    ActionDef, ActionError, ActionTag, Effect, FieldDef, FieldKind, NewCase, Outcome, Target, Waiting, shared,
};

/// The registry under test: the standard kinds and the settings they are built with.
fn registry(town: &Town) -> Kinds {
    Kinds::standard(&town.settings)
}

/// A valid value of each field type (a choice's first option, a village of the town …).
fn sample(field: &FieldDef, town: &Town) -> Json {
    match &field.kind {
        FieldKind::Text { max } => json!("测试文本".chars().take((*max).max(1)).collect::<String>()),
        FieldKind::LongText { max } => {
            json!("测试内容：龙潭村村口路灯不亮。".chars().take((*max).max(1)).collect::<String>())
        }
        FieldKind::Choice { options } => json!(options.first().map(|(c, _)| c.clone()).unwrap_or_default()),
        FieldKind::Unit { kinds } => {
            let unit = town
                .units
                .values()
                .filter(|u| u.id != town.center)
                .find(|u| kinds.is_empty() || kinds.contains(&u.kind))
                .or_else(|| town.units.values().find(|u| kinds.contains(&u.kind)))
                .map(|u| u.id.to_string())
                .unwrap_or_default();
            json!(unit)
        }
        FieldKind::Date => json!((FRIDAY.date() - Duration::days(1)).to_string()),
        FieldKind::Integer { min, max } => json!((*min).max(1).min(*max)),
        FieldKind::Money => json!("100"),
        FieldKind::IdCard => json!("440524188001010014"),
        FieldKind::Phone => json!("13812345678"),
        FieldKind::Bool => json!(true),
        FieldKind::Users { .. } => json!([]),
    }
}

/// Values for the required fields only, or for every field.
fn input(fields: &[FieldDef], town: &Town, all: bool) -> Map<String, Json> {
    fields.iter().filter(|f| all || f.required).map(|f| (f.name.to_string(), sample(f, town))).collect()
}

fn open(kind: &KindDef, town: &Town) -> CaseRecord {
    let open = &kind.workflow.open;
    let clerk = town.actor(town.center, &open.roles);
    let new = NewCase { id: CaseId::new(), receipt_no: format!("AT-{}-2024-000001", kind.receipt_code) };
    let ctx = town.ctx(&clerk, FRIDAY);
    let first = kind.open_case(new.clone(), &input(&open.fields, town, false), &ctx);
    match first.or_else(|_| kind.open_case(new, &input(&open.fields, town, true), &ctx)) {
        Ok(out) => out.case,
        Err(e) => panic!("{}: registration with a value of every field's type refused: {e}", kind.slug),
    }
}

/// A registered case put in `state` (a closed state's clocks stopped), as the matrix needs.
fn case_in(kind: &KindDef, state: &str, town: &Town) -> CaseRecord {
    let mut c = open(kind, town);
    c.state = state.to_string();
    c.phase = kind.workflow.state(state).map_or(Phase::Open, |s| s.phase);
    if c.phase != Phase::Open {
        c.closed_at = Some(c.opened_at);
        for clock in c.clocks.0.iter_mut() {
            if clock.stopped_on.is_none() {
                clock.stop(FRIDAY.date());
            }
        }
    }
    c
}

fn actor_for(action: &ActionDef, town: &Town) -> Actor {
    if action.public {
        return Actor::public(town.tenant);
    }
    town.actor(town.longtan, &action.roles)
}

fn act(
    kind: &KindDef,
    case: &CaseRecord,
    action: &ActionDef,
    actor: &Actor,
    town: &Town,
) -> Result<Outcome, ActionError> {
    let ctx = town.ctx(actor, FRIDAY + Duration::hours(1));
    let run = |values: &Map<String, Json>| {
        if action.internal {
            kind.act_internal(case, action.code, values, &ctx)
        } else {
            kind.act(case, action.code, values, &ctx)
        }
    };
    match run(&input(&action.fields, town, false)) {
        Err(ActionError::Invalid(_) | ActionError::Refused(_)) => run(&input(&action.fields, town, true)),
        other => other,
    }
}

/// A clock's rule names an article (第…条) or a local setting.
fn cites_its_source(source: &str) -> bool {
    (source.contains('第') && source.contains('条')) || source.contains("配置") || source.contains("规定")
}

fn clocks_cite(kind: &KindDef, case: &CaseRecord, seen: &mut BTreeSet<String>) {
    for clock in case.clocks.0.iter() {
        assert!(
            cites_its_source(&clock.rule.source),
            "{}: clock {} cites neither an article nor a setting: “{}”",
            kind.slug,
            clock.code,
            clock.rule.source
        );
        seen.insert(clock.code.clone());
    }
}

#[test]
fn every_kind_describes_itself_consistently() {
    let town = Town::new();
    let kinds = registry(&town);
    assert!(!kinds.all().is_empty());
    let mut slugs = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for kind in kinds.all() {
        kind.check().unwrap_or_else(|e| panic!("{e}"));
        assert!(slugs.insert(kind.slug), "{} registered twice", kind.slug);
        assert!(codes.insert(kind.receipt_code), "{}: receipt code {} taken", kind.slug, kind.receipt_code);
        assert!(!kind.label.is_empty());
        for f in kind.workflow.open.fields.iter().chain(kind.workflow.actions.iter().flat_map(|a| a.fields.iter())) {
            assert!(!f.label.trim().is_empty(), "{}: field {} has no label", kind.slug, f.name);
            if let FieldKind::Choice { options } = &f.kind {
                assert!(!options.is_empty(), "{}: choice {} has no options", kind.slug, f.name);
            }
        }
        // Its settings are a section the registry can check (and its defaults pass).
        if let Some(check) = kind.settings_check {
            check(kind.slug, &kind.settings).unwrap_or_else(|e| panic!("{}: default settings: {}", kind.slug, e.0));
        }
        for clause in &kind.report {
            assert!(
                clause.text.ends_with('；') || clause.text.ends_with('。'),
                "{}: clause “{}”",
                kind.slug,
                clause.text
            );
        }
    }
}

#[test]
fn every_figure_has_a_definition_and_cases_of_its_own_kind() {
    let town = Town::new();
    let kinds = registry(&town);
    let catalogue = kinds.catalogue(&town.settings);
    for kind in kinds.all() {
        for m in &kind.metrics {
            assert!(!m.name.trim().is_empty() && !m.formula.trim().is_empty(), "{}: {} undefined", kind.slug, m.code);
            match &m.measure {
                Measure::Count { set } | Measure::SumMoney { set, .. } | Measure::Sum { set, .. } => {
                    assert_eq!(set.kind, kind.slug, "{}: {} counts another kind's cases", kind.slug, m.code);
                }
                Measure::Ratio { num, den } => {
                    for part in [num, den] {
                        assert!(catalogue.get(part).is_some(), "{}: {} divides by unknown {part}", kind.slug, m.code);
                    }
                }
            }
        }
        for clause in &kind.report {
            let mut rest = clause.text;
            while let Some(at) = rest.find('{') {
                let end = rest[at..].find('}').map(|e| at + e).unwrap_or(rest.len());
                let name = rest[at + 1..end].split(':').next().unwrap_or("");
                assert!(
                    matches!(name, "year" | "town") || catalogue.get(name).is_some(),
                    "{}: clause names unknown figure {name}",
                    kind.slug
                );
                rest = &rest[end.min(rest.len())..];
                rest = rest.strip_prefix('}').unwrap_or(rest);
            }
        }
    }
}

#[test]
fn every_state_and_action_pair_applies_exactly_when_the_table_says_so() {
    let town = Town::new();
    let kinds = registry(&town);
    for kind in kinds.all() {
        let wf = &kind.workflow;
        let mut clocks = BTreeSet::new();
        clocks_cite(kind, &open(kind, &town), &mut clocks);
        let (mut applied, mut refused_by_rule) = (0, 0);
        for state in &wf.states {
            for action in &wf.actions {
                let case = case_in(kind, state.code, &town);
                let result = act(kind, &case, action, &actor_for(action, &town), &town);
                if !action.from.contains(&state.code) {
                    assert_eq!(
                        result.err(),
                        Some(ActionError::WrongState { action: action.label.into(), state: state.label.into() }),
                        "{}: {} × {} must be refused for its state",
                        kind.slug,
                        state.code,
                        action.code
                    );
                    continue;
                }
                match result {
                    Ok(out) => {
                        applied += 1;
                        let allowed = action.to.states();
                        if allowed.is_empty() {
                            assert_eq!(out.case.state, state.code, "{}: {} stays", kind.slug, action.code);
                        } else {
                            assert!(
                                allowed.contains(&out.case.state.as_str()),
                                "{}: {} × {} → {}",
                                kind.slug,
                                state.code,
                                action.code,
                                out.case.state
                            );
                        }
                        assert_eq!(out.case.version, case.version + 1);
                        assert_eq!(out.event.from_state.as_deref(), Some(state.code));
                        assert_eq!(out.event.to_state, out.case.state);
                        clocks_cite(kind, &out.case, &mut clocks);
                    }
                    // The pair is open; the kind's own rules may still want other values.
                    Err(ActionError::Invalid(_) | ActionError::Refused(_)) => refused_by_rule += 1,
                    Err(e) => {
                        panic!("{}: {} × {} is in the table but refused: {e}", kind.slug, state.code, action.code)
                    }
                }
            }
        }
        assert!(applied > 0, "{}: no action applied with values of its fields' types", kind.slug);
        eprintln!(
            "{}: {applied} pairs applied, {refused_by_rule} refused by the kind's rules, clocks {clocks:?}",
            kind.slug
        );
    }
}

#[test]
fn every_action_is_refused_to_roles_not_in_its_row() {
    let town = Town::new();
    let kinds = registry(&town);
    for kind in kinds.all() {
        for action in &kind.workflow.actions {
            let Some(state) = action.from.first() else { continue };
            let case = case_in(kind, state, &town);
            for role in Role::ALL {
                if action.roles.contains(&role) {
                    continue;
                }
                let actor = town.actor(town.longtan, &[role]);
                assert_eq!(
                    act(kind, &case, action, &actor, &town).err(),
                    Some(ActionError::Forbidden(action.label.into())),
                    "{}: {} by {}",
                    kind.slug,
                    action.code,
                    role.code()
                );
            }
            if !action.public {
                let public = Actor::public(town.tenant);
                assert!(
                    act(kind, &case, action, &public, &town).is_err(),
                    "{}: {} by the public",
                    kind.slug,
                    action.code
                );
            }
        }
        // Registration too.
        let open = &kind.workflow.open;
        for role in Role::ALL.into_iter().filter(|r| !open.roles.contains(r)) {
            let actor = town.actor(town.center, &[role]);
            let new = NewCase { id: CaseId::new(), receipt_no: "X".into() };
            assert!(
                kind.open_case(new, &input(&open.fields, &town, true), &town.ctx(&actor, FRIDAY)).is_err(),
                "{}: registration by {}",
                kind.slug,
                role.code()
            );
        }
    }
}

#[test]
fn the_sample_town_has_the_units_fields_refer_to() {
    // The suite's inputs name a village and a department of the test town.
    let town = Town::new();
    assert!(town.units.values().any(|u| u.kind == UnitKind::Village));
    assert!(town.units.values().any(|u| u.kind == UnitKind::Department));
}

/// A word of two characters or more said twice in a short label ("登记来访登记", "确认司法确认").
fn doubled(label: &str) -> Option<String> {
    let chars: Vec<char> = label.chars().filter(|c| !c.is_ascii() && !"（）、，：；".contains(*c)).collect();
    for i in 0..chars.len().saturating_sub(1) {
        let w: String = chars[i..i + 2].iter().collect();
        let rest: String = chars[i + 2..].iter().collect();
        if rest.contains(&w) {
            return Some(w);
        }
    }
    None
}

#[test]
fn no_button_or_title_of_any_kind_says_a_word_twice() {
    assert_eq!(doubled("登记来访登记").as_deref(), Some("登记"));
    assert_eq!(doubled("确认办理记录"), None);
    let town = Town::new();
    let mut checked = 0;
    for kind in registry(&town).all() {
        let mut labels = vec![kind.wording.register.to_string(), kind.wording.next.to_string()];
        for a in std::iter::once(&kind.workflow.open).chain(&kind.workflow.actions) {
            labels.push(a.label.to_string());
            labels.push(a.submit_label());
        }
        labels.extend(kind.printables.iter().map(|p| p.title.to_string()));
        // Field and state labels may name two things that share a word (调解员 … 调解委员会); the
        // verbs that were found doubled must not be.
        let fields = std::iter::once(&kind.workflow.open).chain(&kind.workflow.actions).flat_map(|a| &a.fields);
        for l in fields.map(|f| f.label).chain(kind.workflow.states.iter().map(|s| s.label)) {
            for verb in ["登记", "确认", "记录"] {
                assert!(l.matches(verb).count() < 2, "{}: “{l}” says {verb} twice", kind.slug);
            }
            checked += 1;
        }
        for l in labels {
            assert_eq!(doubled(&l), None, "{}: “{l}” says a word twice", kind.slug);
            checked += 1;
        }
        // A record is saved, not "confirmed": 确认办理记录 read as confirming someone else's record.
        for a in &kind.workflow.actions {
            assert!(!a.submit_label().starts_with("确认") || !a.label.ends_with("记录"), "{}: {}", kind.slug, a.code);
        }
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn every_kind_prints_a_receipt_with_its_query_code_and_the_tracking_code() {
    use crate::kinds::PaperBlock;
    let town = Town::new();
    for kind in registry(&town).all() {
        let r = kind.printable("receipt").unwrap_or_else(|| panic!("{} has no receipt", kind.slug));
        assert_eq!(r.after, None);
        let names = r.names();
        for n in ["receipt_no", "query_code", "opened_on", "kind", "issuer", "contact"] {
            assert!(names.contains(&n), "{}: {n}", kind.slug);
        }
        assert!(r.blocks.contains(&PaperBlock::Tracking), "{}", kind.slug);
        assert_eq!(r.roles, vec![crate::role::Role::IntakeClerk], "only the desk sees the query code");
    }
}

/// Whether an action starts, stops, extends, suspends or resumes a clock.
fn touches_a_clock(action: &ActionDef) -> bool {
    action.effects.iter().any(|e| {
        matches!(
            e,
            Effect::StartClock { .. }
                | Effect::StopClock { .. }
                | Effect::ExtendClock { .. }
                | Effect::SuspendClock { .. }
                | Effect::ResumeClock { .. }
        )
    })
}

#[test]
fn every_kind_that_sends_cases_to_units_gives_the_desk_its_levers_with_one_set_of_rules() {
    let town = Town::new();
    let kinds = registry(&town);
    let mut kinds_with_levers = 0;
    for kind in kinds.all() {
        let wf = &kind.workflow;
        let waits = |s: &str| wf.state(s).map(|s| s.waiting);
        // A kind sends a case to a unit when an action of the desk assigns it a unit and leaves it
        // waiting on that unit.
        let sends = wf.actions.iter().any(|a| {
            !a.internal
                && a.effects.iter().any(|e| matches!(e, Effect::AssignUnit { .. }))
                && a.to.states().iter().any(|s| waits(s) == Some(Waiting::Unit))
                && a.from.iter().all(|s| waits(s) == Some(Waiting::Intake))
        });
        let remind = wf.tagged(ActionTag::Remind);
        let reassign = wf.tagged(ActionTag::Reassign);
        if sends {
            assert!(remind.is_some(), "{}: sends cases to units but has no 催办", kind.slug);
            assert!(reassign.is_some(), "{}: sends cases to units but has no 改派", kind.slug);
            kinds_with_levers += 1;
        }
        if wf.tagged(ActionTag::Dispatch).is_some() {
            assert!(wf.tagged(ActionTag::Withdraw).is_some(), "{}: dispatches but has no 撤回", kind.slug);
        }
        for tag in [ActionTag::Remind, ActionTag::Withdraw, ActionTag::Reassign] {
            let Some(action) = wf.tagged(tag) else { continue };
            // The dispatcher's levers: no role that works inside a unit holds them.
            assert!(
                action.roles.iter().all(|r| r.reach() >= Reach::Tenant) && !action.public,
                "{}: {} must be the desk's alone",
                kind.slug,
                action.code
            );
            // A legal period runs from its legal date whoever holds the case.
            assert!(!touches_a_clock(action), "{}: {} touches a clock", kind.slug, action.code);
            for from in &action.from {
                assert_eq!(
                    waits(from),
                    Some(Waiting::Unit),
                    "{}: {} from {from}, not with a unit",
                    kind.slug,
                    action.code
                );
                let case = case_in(kind, from, &town);
                let out = act(kind, &case, action, &actor_for(action, &town), &town)
                    .unwrap_or_else(|e| panic!("{}: {} × {from}: {e}", kind.slug, action.code));
                assert_eq!(out.case.clocks, case.clocks, "{}: {} × {from} changed a clock", kind.slug, action.code);
                assert_eq!(out.event.action, action.code, "{}: {} is recorded as itself", kind.slug, action.code);
                match tag {
                    ActionTag::Remind => {
                        assert!(matches!(action.to, Target::Stay));
                        assert_eq!((&out.case.state, out.case.unit_id), (&case.state, case.unit_id));
                        assert_eq!(shared::reminders(&out.case), shared::reminders(&case) + 1);
                        let again = act(kind, &out.case, action, &actor_for(action, &town), &town).unwrap();
                        assert_eq!(shared::reminders(&again.case), 2, "{}: reminders are counted", kind.slug);
                    }
                    ActionTag::Withdraw => {
                        assert_eq!(
                            waits(&out.case.state),
                            Some(Waiting::Intake),
                            "{}: 撤回 goes back to the desk",
                            kind.slug
                        );
                        for other in wf.states.iter().filter(|s| !action.from.contains(&s.code)) {
                            let err =
                                act(kind, &case_in(kind, other.code, &town), action, &actor_for(action, &town), &town)
                                    .unwrap_err();
                            assert!(
                                matches!(err, ActionError::WrongState { .. }),
                                "{}: 撤回 × {}",
                                kind.slug,
                                other.code
                            );
                        }
                        assert!(action.otherwise.is_some(), "{}: 撤回 refused says what to do instead", kind.slug);
                    }
                    ActionTag::Reassign => {
                        assert_ne!(out.case.unit_id, case.unit_id, "{}: 改派 moves the case", kind.slug);
                        assert_eq!(waits(&out.case.state), Some(Waiting::Unit));
                        assert_eq!(shared::reminders(&out.case), 0, "{}: the new unit starts unreminded", kind.slug);
                        let reason = action.field(shared::REASSIGN_REASON).expect("改派 has a reason field");
                        assert!(reason.required, "{}: 改派 without a reason", kind.slug);
                        let mut no_reason = input(&action.fields, &town, true);
                        no_reason.remove(shared::REASSIGN_REASON);
                        let clerk = actor_for(action, &town);
                        let ctx = town.ctx(&clerk, FRIDAY + Duration::hours(1));
                        assert!(
                            matches!(kind.act(&case, action.code, &no_reason, &ctx), Err(ActionError::Invalid(_))),
                            "{}: 改派 without a reason must be refused",
                            kind.slug
                        );
                    }
                    _ => unreachable!(),
                }
            }
        }
    }
    assert!(kinds_with_levers >= 1, "no kind sends cases to units");
}
