//! Authorisation by role and by unit scope, through the service as the web and CLI use it: a user
//! acting outside their role or scope is refused (403) and nothing changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use fazhi_domain::case::CaseRecord;
use fazhi_service::{CaseFilter, Principal, ServiceError};
use fazhi_testkit::TestApp;
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

/// Opens a work order and drives it to `state` along the usual path (at 龙潭村).
async fn case_in(t: &TestApp, state: &str) -> CaseRecord {
    let clerk = t.principal("clerk").await;
    let h = t.principal("handler_longtan").await;
    let mut c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    let longtan = t.town.unit("longtan").to_string();
    let steps: &[(&Principal, &str, Json)] = &[
        (&clerk, "dispatch", json!({"unit": longtan})),
        (&h, "sign", json!({})),
        (&h, "request_extension", json!({"extension_days": 2, "extension_reason": "等配件"})),
        (&clerk, "approve_extension", json!({})),
        (&h, "reply", json!({"reply": "已修复", "reply_method": "phone"})),
        (&clerk, "callback", json!({"result": "satisfied"})),
    ];
    let path: &[&str] = match state {
        "registered" => &[],
        "dispatched" => &["dispatch"],
        "returned" => &["dispatch", "return"],
        "handling" => &["dispatch", "sign"],
        "extension_requested" => &["dispatch", "sign", "request_extension"],
        "replied" => &["dispatch", "sign", "reply"],
        "visited" => &["dispatch", "sign", "reply", "callback"],
        other => panic!("no path to {other}"),
    };
    for step in path {
        let (who, input): (&Principal, Json) = if *step == "return" {
            (&h, json!({"return_reason": "不属本村"}))
        } else {
            let s = steps.iter().find(|s| s.1 == *step).unwrap();
            (s.0, s.2.clone())
        };
        c = t.app.act(who, c.id, step, &obj(input), c.version).await.unwrap_or_else(|e| panic!("{step}: {e}"));
    }
    c
}

fn valid_input(action: &str, t: &TestApp) -> Json {
    match action {
        "dispatch" => json!({"unit": t.town.unit("longtan").to_string()}),
        "return" => json!({"return_reason": "不属本村"}),
        "progress" | "reject_extension" | "supervise" => json!({"note": "抓紧"}),
        "request_extension" => json!({"extension_days": 2, "extension_reason": "等配件"}),
        "reply" => json!({"reply": "已修复", "reply_method": "phone"}),
        "callback" | "rate" => json!({"result": "satisfied"}),
        "return_to_platform" => json!({"out_of_remit_reason": "in_petition", "out_of_remit_note": "已进入信访渠道"}),
        "reassign" => json!({"new_unit": t.town.unit("xitang").to_string(), "reassign_reason": "属西塘村辖区"}),
        _ => json!({}),
    }
}

#[tokio::test]
async fn each_action_is_open_only_to_its_roles_within_their_scope() {
    let t = TestApp::sqlite().await;
    let kind = t.app.kind("work_order").unwrap().clone();
    let everyone = [
        "clerk",
        "leader",
        "handler_longtan",
        "handler_xitang",
        "grid_longtan",
        "officer",
        "reviewer",
        "mediator",
        "advisor",
        "sifasuo",
        "admin",
        "security",
        "auditor",
        "district",
        "wq_clerk",
        "wq_handler",
    ];
    let mut principals = Vec::new();
    for u in everyone {
        principals.push((u, t.principal(u).await));
    }
    let mut allowed_pairs = 0;
    for action in kind.workflow.actions.iter().filter(|a| !a.public) {
        let state = action.from[0];
        let mut case = case_in(&t, state).await;
        for (name, p) in &principals {
            let role_ok = action.roles.iter().any(|r| p.has_role(*r));
            // In scope: the town-wide roles, or a handler at the case's unit (龙潭村).
            let in_scope = matches!(*name, "clerk" | "leader" | "reviewer" | "advisor" | "sifasuo")
                || (*name == "handler_longtan" && state != "registered" && state != "returned");
            let r = t.app.act(p, case.id, action.code, &obj(valid_input(action.code, &t)), case.version).await;
            if role_ok && in_scope {
                allowed_pairs += 1;
                assert!(r.is_ok(), "{name} should {}: {r:?}", action.code);
                case = case_in(&t, state).await;
            } else {
                let err = r.expect_err(&format!("{name} must not {}", action.code));
                // Out of reach the case does not exist (404, issue 10 item 12: a 403 would confirm
                // the id); within reach a role that may not act is told so (403).
                if t.app.store().case(&p.scope, case.id).await.unwrap().is_some() {
                    assert!(matches!(err, ServiceError::Forbidden(_)), "{name} × {}: {err:?}", action.code);
                } else {
                    assert!(matches!(err, ServiceError::NotFound(_)), "{name} × {}: {err:?}", action.code);
                }
                let now = t.app.store().case(&fazhi_service::Scope::everything(), case.id).await.unwrap().unwrap();
                assert_eq!(now.version, case.version, "nothing changed");
            }
        }
    }
    assert!(allowed_pairs >= 11, "{allowed_pairs}");
}

#[tokio::test]
async fn a_handler_sees_only_the_cases_of_their_unit() {
    let t = TestApp::sqlite().await;
    let at_longtan = case_in(&t, "dispatched").await;
    let at_intake = case_in(&t, "registered").await;
    let xitang = t.principal("handler_xitang").await;
    let longtan = t.principal("handler_longtan").await;
    let ids = async |p: &Principal| -> Vec<String> {
        t.app
            .list(p, &CaseFilter::default(), 1, 50)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| i.case.receipt_no)
            .collect()
    };
    assert_eq!(ids(&longtan).await, vec![at_longtan.receipt_no.clone()]);
    assert!(ids(&xitang).await.is_empty());
    // Out of reach answers exactly as an unknown id: 404, never a 403 that confirms the id.
    assert!(matches!(t.app.detail(&xitang, at_longtan.id).await, Err(ServiceError::NotFound(_))));
    assert!(matches!(t.app.detail(&longtan, at_intake.id).await, Err(ServiceError::NotFound(_))));
    // The grid below 龙潭村 does not see the village's cases.
    let grid = t.principal("grid_longtan").await;
    assert!(ids(&grid).await.is_empty());
}

#[tokio::test]
async fn another_town_and_the_administrators_see_nothing_and_the_district_reads_every_town() {
    let t = TestApp::sqlite().await;
    let c = case_in(&t, "registered").await;
    let wq = t.principal("wq_clerk").await;
    assert!(t.app.list(&wq, &CaseFilter::default(), 1, 50).await.unwrap().items.is_empty());
    assert!(matches!(t.app.detail(&wq, c.id).await, Err(ServiceError::NotFound(_))));
    assert!(matches!(
        t.app.act(&wq, c.id, "dispatch", &obj(valid_input("dispatch", &t)), 1).await,
        Err(ServiceError::NotFound(_))
    ));
    for admin in ["admin", "security", "auditor"] {
        let p = t.principal(admin).await;
        assert!(
            matches!(t.app.list(&p, &CaseFilter::default(), 1, 50).await, Err(ServiceError::Forbidden(_))),
            "{admin} sees no case data (三员分立)"
        );
    }
    let wq_case = t.app.open_case(&wq, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    let district = t.principal("district").await;
    let seen = t.app.list(&district, &CaseFilter::default(), 1, 50).await.unwrap();
    assert_eq!(seen.total, 2, "both towns of the district");
    assert!(t.app.detail(&district, wq_case.id).await.is_ok());
    // Reading is not acting.
    assert!(matches!(
        t.app.act(&district, c.id, "dispatch", &obj(valid_input("dispatch", &t)), 1).await,
        Err(ServiceError::Forbidden(_))
    ));
}

#[tokio::test]
async fn an_unknown_case_is_not_found_and_an_unknown_kind_is_named() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    assert!(matches!(t.app.detail(&clerk, fazhi_domain::ids::CaseId::new()).await, Err(ServiceError::NotFound(_))));
    let err = t.app.open_case(&clerk, "parking_ticket", &Map::new()).await.unwrap_err();
    assert_eq!(err.to_string(), "未知的案件类型“parking_ticket”");
    assert_eq!(err.status(), 400);
}

#[tokio::test]
async fn the_detail_offers_exactly_the_actions_the_user_may_take() {
    let t = TestApp::sqlite().await;
    let c = case_in(&t, "handling").await;
    let codes = async |u: &str| -> Vec<&'static str> {
        let p = t.principal(u).await;
        t.app.detail(&p, c.id).await.unwrap().actions.iter().map(|a| a.code).collect()
    };
    assert_eq!(codes("handler_longtan").await, vec!["progress", "request_extension", "reply"]);
    assert_eq!(codes("leader").await, vec!["supervise"]);
    // The desk may remind the unit or re-dispatch with a reason; a signed order is not withdrawn.
    assert_eq!(codes("clerk").await, vec!["remind", "reassign"]);
}

#[tokio::test]
async fn the_three_administrators_asking_for_cases_or_an_export_are_refused_not_handed_an_empty_list() {
    // 三员分立 (GB/T 22239-2019 §8.1.4.2): the administrators read no case. An empty list or an
    // empty .xlsx would say "no case matches"; the answer is 403, as the list page gives.
    let t = TestApp::sqlite().await;
    case_in(&t, "registered").await;
    for who in ["admin", "security", "auditor"] {
        let p = t.principal(who).await;
        let e = t.app.export_cases(&p, &CaseFilter::default()).await.err().expect("refused");
        assert_eq!((e.status(), e.to_string()), (403, "您的角色不查看业务数据（三员分立）".to_string()), "{who}");
        assert_eq!(t.app.list(&p, &CaseFilter::default(), 1, 20).await.unwrap_err().status(), 403, "{who}");
    }
    let clerk = t.principal("clerk").await;
    assert_eq!(t.app.export_cases(&clerk, &CaseFilter::default()).await.unwrap().rows, 1);
}

#[tokio::test]
async fn one_receipts_query_code_cannot_be_guessed_from_many_addresses() {
    // A six-digit query code is a million guesses: the per-address limit alone lets a guesser
    // spread them out. Failed look-ups of one number are capped from all addresses together, with
    // the same 429 ("wait N minutes") whether the number exists or not, and whether the code is
    // right or not.
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let opened = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap();
    let real = opened.case.receipt_no.clone();
    let wrong = if opened.query_code == "000000" { "000001" } else { "000000" };
    let unknown = "AT-GD-2024-999999";
    for (i, receipt) in [real.as_str(), unknown].into_iter().enumerate() {
        for n in 0..10 {
            let e = t.app.public_lookup(&format!("203.0.{i}.{n}"), receipt, wrong).await.unwrap_err();
            assert_eq!(e.status(), 404, "{receipt} #{n}");
        }
        let e = t.app.public_lookup(&format!("203.0.{i}.99"), receipt, wrong).await.unwrap_err();
        assert!(matches!(e, ServiceError::TooManyAttempts { minutes: 60 }), "{receipt}: {e:?}");
    }
    // The right code, from a fresh address, gets the same 429 until the hour has passed.
    let e = t.app.public_lookup("198.51.100.1", &real, &opened.query_code).await.unwrap_err();
    assert!(matches!(e, ServiceError::TooManyAttempts { minutes: 60 }), "{e:?}");
    // Other numbers are not affected.
    let other = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap();
    assert!(t.app.public_lookup("198.51.100.1", &other.case.receipt_no, &other.query_code).await.is_ok());
    t.clock.advance(time::Duration::minutes(61));
    assert!(t.app.public_lookup("198.51.100.2", &real, &opened.query_code).await.is_ok(), "the window passed");
}
