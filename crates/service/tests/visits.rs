//! Visits through the service: one click turns a visit into a dispute, a petition or a work
//! order, both cases get an event naming the other and the link is kept both ways — or, on any bad
//! input, nothing at all is written.

use fazhi_domain::metric::Period;
use fazhi_domain::time_util::day_start_ms;
use fazhi_domain::workflow::shared::notices;
use fazhi_domain::{petition, visit, work_order};
use fazhi_service::{CaseFilter, Scope, ServiceError};
use fazhi_store::LinkRelation;
use fazhi_testkit::{TestApp, TestDb};
use serde_json::{Map, Value as Json, json};
use time::macros::date;

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("a JSON object")
}

async fn visit(t: &TestApp) -> fazhi_domain::case::CaseRecord {
    let clerk = t.principal("clerk").await;
    t.app.open_case(&clerk, "visit", &obj(TestApp::visit_fields())).await.expect("visit registered").case
}

async fn count(t: &TestApp, kind: &str) -> u64 {
    let f = CaseFilter { kind: Some(kind.into()), ..Default::default() };
    t.app.store().count_cases(&Scope::everything(), &f).await.expect("count")
}

#[tokio::test]
async fn a_visit_becomes_a_dispute_in_one_click_with_a_link_and_an_event_on_both_sides() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let v = visit(&t).await;
        let clerk = t.principal("clerk").await;
        let form = t.app.conversion_form(&clerk, v.id, "dispute").await.unwrap();
        assert_eq!(form["title"], "反映龙潭村村道工程拖欠工资");
        assert_eq!(form["party_name"], "陈大明");
        assert_eq!(form["source"], "walk_in");
        assert!(form.get("party_phone").is_none(), "identifiers stay on the server");
        let fields = obj(json!({"category": "wages", "respondent_name": "某劳务有限公司", "amount": "60000"}));
        let done = t.app.convert_visit(&clerk, v.id, v.version, "dispute", &fields).await.unwrap();
        assert_eq!(done.case.receipt_no, "AT-JF-2024-000001");
        assert_eq!((done.visit.state.as_str(), done.visit.version), ("converted", 2));
        assert_eq!(done.visit.data["target_case"], done.case.id.to_string());
        assert_eq!((done.case.state.as_str(), done.case.version), ("registered", 2));
        assert_eq!(done.case.data["party_phone"]["mask"], "138****5678", "carried over, sealed again");
        assert_eq!(done.case.data["source"], "walk_in");
        assert_eq!(done.query_code.len(), 6);
        // Both timelines say so.
        let ev = t.app.store().events_of_case(done.case.id).await.unwrap();
        assert_eq!(ev.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["open", "link"]);
        assert_eq!(ev[1].action_label, "由来访转入");
        assert_eq!(ev[1].payload["other_receipt"], v.receipt_no);
        let ev = t.app.store().events_of_case(v.id).await.unwrap();
        assert_eq!(ev.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["open", "convert"]);
        // The links read both ways.
        let from = t.app.links(&clerk, v.id).await.unwrap();
        assert_eq!((from[0].relation, from[0].label, from[0].outgoing), (LinkRelation::Converted, "已转为", true));
        assert_eq!(from[0].other.as_ref().unwrap().receipt_no, "AT-JF-2024-000001");
        let to = t.app.links(&clerk, done.case.id).await.unwrap();
        assert_eq!((to[0].label, to[0].other.as_ref().unwrap().id), ("由来访转入", v.id));
        // The same person is now found in both by the identifier's digest.
        let digest = fazhi_domain::workflow::Sealer::digest(t.app.crypto(), "phone", "13812345678");
        let found = t.app.store().cases_by_digests(t.town.tenant, &[("phone".into(), digest)], 10).await.unwrap();
        assert_eq!(found.len(), 2);
        // The chain holds: every case row matches its events.
        let r = t.app.store().verify_chain(t.town.tenant, |_| {}).await.unwrap();
        assert!(r.is_whole(), "{r:?}");
        // Counted once as a visit (8 people) and once as a dispute registered.
        let f = t.app.metrics(&clerk, Some("visit"), &[], &Period::year(2024).unwrap()).await.unwrap();
        let fig = |c: &str| f.iter().find(|(m, _)| m.code == c).unwrap().1.to_string();
        assert_eq!(
            (fig("visit.batches"), fig("visit.persons"), fig("visit.converted")),
            ("1".into(), "8".into(), "1".into())
        );
    }
}

#[tokio::test]
async fn a_visit_becomes_a_work_order_or_a_petition_with_the_callers_identifiers_carried_over() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let v = visit(&t).await;
    let done = t
        .app
        .convert_visit(&clerk, v.id, 1, "work_order", &obj(json!({"category": "complaint", "urgency": "normal"})))
        .await
        .unwrap();
    assert_eq!(done.case.kind, "work_order");
    assert_eq!(done.case.data["caller_name"], "陈大明");
    assert_eq!(done.case.data["caller_idcard"]["mask"], "4405**********0014");
    assert!(done.case.clocks.due_on().is_some(), "the work order's handling clock runs");
    let v2 = visit(&t).await;
    let p = t.app.convert_visit(&clerk, v2.id, 1, "petition", &obj(json!({"category": "claim"}))).await.unwrap();
    assert_eq!((p.case.kind.as_str(), p.case.data["channel"].as_str()), ("petition", Some("walk_in")));
    assert!(p.case.clocks.statutory_due_on().is_some(), "the 15-day acceptance clock runs");
}

#[tokio::test]
async fn a_visit_turned_into_an_accusation_is_withheld_from_the_accused_unit_too() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let v = visit(&t).await;
    let fields = obj(json!({"category": "accusation", "accused_unit": t.town.unit("sfs").to_string()}));
    let done = t.app.convert_visit(&clerk, v.id, 1, "petition", &fields).await.unwrap();
    // 第三十条: neither the visit nor the petition exists for 司法所, nor is found by the visitor's name.
    let sifasuo = t.principal("sifasuo").await;
    for id in [v.id, done.case.id] {
        assert!(matches!(t.app.detail(&sifasuo, id).await, Err(ServiceError::NotFound(_))));
    }
    let by_name = fazhi_service::CaseFilter { text: Some("陈大明".into()), ..Default::default() };
    assert_eq!(t.app.list(&sifasuo, &by_name, 1, 20).await.unwrap().total, 0);
    assert_eq!(t.app.list(&clerk, &by_name, 1, 20).await.unwrap().total, 1, "the desk still finds the visit");
    assert_eq!(t.app.detail(&clerk, v.id).await.unwrap().case.data["party_name"], "陈大明");
}

#[tokio::test]
async fn bad_conversion_input_writes_nothing_at_all() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let v = visit(&t).await;
    // An unknown target is named.
    let err = t.app.convert_visit(&clerk, v.id, 1, "parking", &Map::new()).await.unwrap_err();
    assert_eq!(err.to_string(), "转为：“parking”不可选，应为：12345工单、矛盾纠纷、信访事项");
    // The new case's form is checked field by field; the visit stays as it was.
    let err = t.app.convert_visit(&clerk, v.id, 1, "dispute", &obj(json!({"amount": "-1"}))).await.unwrap_err();
    assert_eq!(err.status(), 400);
    let labels: Vec<&str> = err.fields().iter().map(|f| f.label.as_str()).collect();
    assert!(
        labels.contains(&"纠纷类别") && labels.contains(&"对方当事人") && labels.contains(&"争议金额（元）"),
        "{labels:?}"
    );
    // A stale page, another town, a role without the action, a case that is no visit.
    let ok = obj(json!({"category": "wages", "respondent_name": "某公司"}));
    assert!(matches!(
        t.app.convert_visit(&clerk, v.id, 7, "dispute", &ok).await,
        Err(ServiceError::Stale { current: 1 })
    ));
    let wq = t.principal("wq_clerk").await;
    assert!(matches!(t.app.convert_visit(&wq, v.id, 1, "dispute", &ok).await, Err(ServiceError::NotFound(_))));
    let leader = t.principal("leader").await;
    assert!(matches!(t.app.convert_visit(&leader, v.id, 1, "dispute", &ok).await, Err(ServiceError::Forbidden(_))));
    let order = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    assert_eq!(t.app.convert_visit(&clerk, order.id, 1, "dispute", &ok).await.unwrap_err().status(), 422);
    assert!(matches!(
        t.app.convert_visit(&clerk, fazhi_domain::ids::CaseId::new(), 1, "dispute", &ok).await,
        Err(ServiceError::NotFound(_))
    ));
    // Nothing was written by any of these.
    let now = t.app.store().case(&Scope::everything(), v.id).await.unwrap().unwrap();
    assert_eq!((now.state.as_str(), now.version), ("registered", 1));
    assert_eq!(count(&t, "dispute").await, 0);
    assert!(t.app.store().links_of(v.id).await.unwrap().is_empty());
    // Converted once, it cannot be converted again, nor directly through the generic action.
    t.app.convert_visit(&clerk, v.id, 1, "dispute", &ok).await.unwrap();
    assert_eq!(t.app.convert_visit(&clerk, v.id, 2, "dispute", &ok).await.unwrap_err().status(), 409);
    let v2 = visit(&t).await;
    let err = t
        .app
        .act(&clerk, v2.id, "convert", &obj(json!({"target_kind": "dispute", "target_case": "x"})), 1)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(count(&t, "dispute").await, 1);
}

#[tokio::test]
async fn more_than_five_representatives_are_registered_and_flagged_never_refused() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let mut f = TestApp::visit_fields();
    f["visitor_count"] = json!(40);
    f["representatives"] = json!("甲、乙、丙、丁、戊、己");
    let v =
        t.app.open_case(&clerk, "visit", &obj(f)).await.expect("registered (信访工作条例 第二十三条、第四十四条)").case;
    assert_eq!(v.data[visit::facts::OVER_LIMIT], "yes");
    let d = t.app.detail(&clerk, v.id).await.unwrap();
    assert!(notices(&d.case.data)[0].contains("超过《信访工作条例》第二十条规定的5人"), "{:?}", d.case.data);
    // The response of 第四十七条 is recorded afterwards, on the case.
    let after = t
        .app
        .act(
            &clerk,
            v.id,
            "respond_over_limit",
            &obj(json!({"over_limit_response": "educate", "over_limit_note": "已宣讲第二十条，劝导推选代表"})),
            v.version,
        )
        .await
        .unwrap();
    assert_eq!(after.data["over_limit_response"], "educate");
    assert_eq!(count(&t, "visit").await, 1);
}

#[tokio::test]
async fn a_visit_turned_into_a_petition_dispute_or_work_order_keeps_the_visits_day_as_its_received_date() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    // Visited on Friday 2024-09-20, registered and converted on 09-27 (the test clock's day).
    let mut f = TestApp::visit_fields();
    f["visited_on"] = json!("2024-09-20");
    let open = |f: Json| {
        let t = &t;
        let clerk = &clerk;
        async move { t.app.open_case(clerk, "visit", &obj(f)).await.expect("visit registered").case }
    };
    let v = open(f.clone()).await;
    let p = t.app.convert_visit(&clerk, v.id, 1, "petition", &obj(json!({"category": "claim"}))).await.unwrap().case;
    assert_eq!(p.data["received_on"], "2024-09-20", "第二十三条: 自收到之日起");
    // 09-20 + 15 days = 10-05, in the National Day holiday → 10-08.
    assert_eq!(p.clocks.get(petition::ACCEPT).unwrap().due(), Some(date!(2024 - 10 - 08)));
    assert_eq!(p.opened_at, day_start_ms(date!(2024 - 09 - 20)));
    let v = open(f.clone()).await;
    let fields = obj(json!({"category": "wages", "respondent_name": "某劳务有限公司"}));
    let d = t.app.convert_visit(&clerk, v.id, 1, "dispute", &fields).await.unwrap().case;
    assert_eq!(
        (d.data["received_on"].as_str(), d.opened_at),
        (Some("2024-09-20"), day_start_ms(date!(2024 - 09 - 20)))
    );
    let v = open(f).await;
    let w = t
        .app
        .convert_visit(&clerk, v.id, 1, "work_order", &obj(json!({"category": "complaint", "urgency": "normal"})))
        .await
        .unwrap()
        .case;
    // Five working days from 09-20: 09-23 … 09-27.
    assert_eq!(w.clocks.get(work_order::HANDLE).unwrap().due(), Some(date!(2024 - 09 - 27)));
}
