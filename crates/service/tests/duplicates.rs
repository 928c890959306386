//! Repeat and duplicate detection at intake, and what the clerk does about it: link the cases, or
//! merge the duplicate into the original (closed into it, with an event on both).

use fazhi_domain::metric::Period;
use fazhi_service::{Principal, Scope, ServiceError};
use fazhi_store::LinkRelation;
use fazhi_testkit::TestApp;
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("a JSON object")
}

async fn open(t: &TestApp, p: &Principal, kind: &str, fields: Json) -> fazhi_domain::case::CaseRecord {
    t.app.open_case(p, kind, &obj(fields)).await.expect("registered").case
}

#[tokio::test]
async fn the_same_person_is_found_by_identifier_across_kinds_and_the_same_matter_by_text() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let dispute = open(&t, &clerk, "dispute", TestApp::dispute_fields()).await;
    let order = open(&t, &clerk, "work_order", TestApp::work_order_fields()).await;
    // A petition form from the dispute's applicant (same phone), about something else.
    let mut form = TestApp::petition_fields("claim");
    form["party_phone"] = json!("13912345678");
    let found = t.app.find_duplicates(&clerk, "petition", &obj(form), None).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].id, found[0].same_person.clone()), (dispute.id, vec!["联系电话"]));
    // The same matter reported again by someone else, in much the same words.
    let form = json!({"title": "龙潭村路灯不亮", "content": "龙潭村村口三盏路灯已坏两周，请尽快修理。"});
    let found = t.app.find_duplicates(&clerk, "visit", &obj(form), None).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, order.id);
    assert!(found[0].similarity >= 30 && found[0].same_person.is_empty(), "{:?}", found[0]);
    // Something unrelated finds nothing; an empty form compares nothing.
    let form = json!({"title": "咨询遗产继承手续", "content": "来访人咨询父母遗留房屋的继承手续。"});
    assert!(t.app.find_duplicates(&clerk, "visit", &obj(form), None).await.unwrap().is_empty());
    assert!(t.app.find_duplicates(&clerk, "dispute", &Map::new(), None).await.unwrap().is_empty());
    // The case itself can be left out (when checking a case already registered).
    let form = TestApp::dispute_fields();
    let found = t.app.find_duplicates(&clerk, "dispute", &obj(form.clone()), Some(dispute.id)).await.unwrap();
    assert!(found.iter().all(|c| c.id != dispute.id));
    // Closed cases are not duplicates any more.
    let leader = t.principal("leader").await;
    let d = t
        .app
        .act(&clerk, dispute.id, "decline", &obj(json!({"decline_reason": "refused", "routes_told": "可起诉"})), 1)
        .await
        .unwrap();
    assert_eq!(d.state, "declined");
    assert!(t.app.find_duplicates(&leader, "dispute", &obj(form), None).await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_to_the_duplicate_check_is_named() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let err = t.app.find_duplicates(&clerk, "dispute", &obj(json!({"party_phone": "12345"})), None).await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(err.fields()[0].field, "party_phone");
    let err = t.app.find_duplicates(&clerk, "parking", &Map::new(), None).await.unwrap_err();
    assert_eq!(err.to_string(), "未知的案件类型“parking”");
}

#[tokio::test]
async fn an_accusation_is_never_pointed_out_to_the_accused_unit() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let mut f = TestApp::petition_fields("accusation");
    f["accused_unit"] = json!(t.town.unit("sfs").to_string());
    open(&t, &clerk, "petition", f).await;
    let form = obj(json!({"party_phone": "13712345678"}));
    assert_eq!(t.app.find_duplicates(&clerk, "petition", &form, None).await.unwrap().len(), 1);
    let sifasuo = t.principal("sifasuo").await;
    assert!(t.app.find_duplicates(&sifasuo, "petition", &form, None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_duplicate_is_merged_into_its_original_and_leaves_the_counts() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let original = open(&t, &clerk, "visit", TestApp::visit_fields()).await;
    let mut again = TestApp::visit_fields();
    again["visitor_count"] = json!(2);
    let dup = open(&t, &clerk, "visit", again).await;
    let found = t.app.find_duplicates(&clerk, "visit", &obj(TestApp::visit_fields()), Some(dup.id)).await.unwrap();
    assert_eq!(found[0].id, original.id);
    assert_eq!(found[0].same_person, vec!["身份证号码", "联系电话"]);
    let (d, o) = t.app.merge_cases(&clerk, dup.id, 1, original.id, "同一批人当日再次来访").await.unwrap();
    assert_eq!((d.state.as_str(), d.data["counted"].as_str()), ("merged", Some("no")));
    assert_eq!((o.state.as_str(), o.version), ("registered", 2));
    let ev = t.app.store().events_of_case(original.id).await.unwrap();
    assert_eq!(
        (ev[1].action_label.as_str(), ev[1].payload["other_receipt"].as_str()),
        ("并入重复件", Some(dup.receipt_no.as_str()))
    );
    let links = t.app.links(&clerk, dup.id).await.unwrap();
    assert_eq!((links[0].relation, links[0].label), (LinkRelation::Merged, "已并入"));
    let f = t.app.metrics(&clerk, Some("visit"), &[], &Period::year(2024).unwrap()).await.unwrap();
    let fig = |c: &str| f.iter().find(|(m, _)| m.code == c).unwrap().1.to_string();
    // 信访工作条例: every reception counts (2 批, 10 人次); the merge makes them one matter (件).
    assert_eq!(
        (fig("visit.batches"), fig("visit.persons"), fig("visit.matters")),
        ("2".to_string(), "10".to_string(), "1".to_string())
    );
    let r = t.app.store().verify_chain(t.town.tenant, |_| {}).await.unwrap();
    assert!(r.is_whole(), "{r:?}");
}

#[tokio::test]
async fn merging_refuses_what_cannot_be_merged_and_writes_nothing() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let a = open(&t, &clerk, "visit", TestApp::visit_fields()).await;
    let b = open(&t, &clerk, "visit", TestApp::visit_fields()).await;
    let c = open(&t, &clerk, "visit", TestApp::visit_fields()).await;
    let d = open(&t, &clerk, "dispute", TestApp::dispute_fields()).await;
    let o1 = open(&t, &clerk, "work_order", TestApp::work_order_fields()).await;
    let o2 = open(&t, &clerk, "work_order", TestApp::work_order_fields()).await;
    let status = |r: Result<(fazhi_domain::case::CaseRecord, fazhi_domain::case::CaseRecord), ServiceError>| {
        r.unwrap_err().status()
    };
    assert_eq!(status(t.app.merge_cases(&clerk, a.id, 1, a.id, "x").await), 400, "itself");
    assert_eq!(status(t.app.merge_cases(&clerk, a.id, 1, d.id, "x").await), 422, "another kind");
    let err = t.app.merge_cases(&clerk, o1.id, 1, o2.id, "x").await.unwrap_err();
    assert_eq!(err.to_string(), "12345工单不支持合并，请使用“关联”");
    assert_eq!(status(t.app.merge_cases(&clerk, a.id, 5, b.id, "x").await), 409, "stale");
    let err = t.app.merge_cases(&clerk, a.id, 1, b.id, "").await.unwrap_err();
    assert_eq!(err.to_string(), "合并理由：不能为空");
    let handler = t.principal("handler_longtan").await;
    assert_eq!(status(t.app.merge_cases(&handler, a.id, 1, b.id, "x").await), 403);
    for id in [a.id, b.id] {
        assert_eq!(t.app.store().case(&Scope::everything(), id).await.unwrap().unwrap().version, 1, "nothing written");
    }
    // Merged into b, a cannot be an original for c.
    t.app.merge_cases(&clerk, a.id, 1, b.id, "重复").await.unwrap();
    let err = t.app.merge_cases(&clerk, c.id, 1, a.id, "重复").await.unwrap_err();
    assert!(err.to_string().contains("本身已作为重复件合并"), "{err}");
    // Nor can a case already linked to b be merged into it again.
    assert_eq!(status(t.app.merge_cases(&clerk, a.id, 2, b.id, "重复").await), 409);
}

#[tokio::test]
async fn two_cases_are_linked_both_ways_once() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let d = open(&t, &clerk, "dispute", TestApp::dispute_fields()).await;
    let o = open(&t, &clerk, "work_order", TestApp::work_order_fields()).await;
    let (d2, o2) = t.app.link_cases(&clerk, d.id, o.id, "related", "同一地块引发").await.unwrap();
    assert_eq!((d2.version, o2.version), (2, 2));
    let links = t.app.links(&clerk, o.id).await.unwrap();
    assert_eq!((links[0].label, links[0].note.as_str()), ("关联案件", "同一地块引发"));
    assert_eq!(t.app.link_cases(&clerk, o.id, d.id, "related", "").await.unwrap_err().status(), 409, "already linked");
    let err = t.app.link_cases(&clerk, d.id, o.id, "friends", "").await.unwrap_err();
    assert_eq!(err.to_string(), "关联类型：“friends”不可选，应为：关联案件、同一事项");
    let o3 = open(&t, &clerk, "work_order", TestApp::work_order_fields()).await;
    assert_eq!(
        t.app.link_cases(&clerk, d.id, o3.id, "same_matter", "").await.unwrap_err().status(),
        422,
        "petitions only"
    );
    let wq = t.principal("wq_clerk").await;
    let other = open(&t, &wq, "work_order", TestApp::work_order_fields()).await;
    assert!(matches!(t.app.link_cases(&clerk, d.id, other.id, "related", "").await, Err(ServiceError::NotFound(_))));
    // A handler only sees the other end when it is within their unit.
    let h = t.principal("handler_longtan").await;
    assert!(matches!(t.app.links(&h, d.id).await, Err(ServiceError::NotFound(_))));
}

#[tokio::test]
async fn a_petition_on_a_matter_whose_review_chain_is_over_is_found_and_cannot_be_accepted() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let district = t.principal("district").await;
    let first = open(&t, &clerk, "petition", TestApp::petition_fields("claim")).await;
    let steps: [(&Principal, &str, Json); 6] = [
        (
            &clerk,
            "accept",
            json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true}),
        ),
        (
            &handler,
            "conclude",
            json!({"request": "确权", "facts_reasons": "核查", "reply": "不予支持", "basis": "有关规定", "outcome": "not_supported", "served_on": "2024-09-27"}),
        ),
        (
            &clerk,
            "request_review",
            json!({"review_requested_on": "2024-09-27", "review_body": "从化区人民政府", "review_reason": "不服"}),
        ),
        (
            &district,
            "review_decide",
            json!({"review_result": "upheld", "review_opinion": "维持", "review_decided_on": "2024-09-27", "review_served_on": "2024-09-27"}),
        ),
        (
            &clerk,
            "request_rereview",
            json!({"rereview_requested_on": "2024-09-27", "rereview_body": "广州市人民政府", "rereview_reason": "不服"}),
        ),
        (
            &district,
            "rereview_decide",
            json!({"rereview_result": "upheld", "rereview_opinion": "维持", "rereview_decided_on": "2024-09-27", "rereview_served_on": "2024-09-27"}),
        ),
    ];
    let mut c = first;
    for (who, action, input) in steps {
        c = t.app.act(who, c.id, action, &obj(input), c.version).await.unwrap_or_else(|e| panic!("{action}: {e}"));
    }
    assert_eq!(c.state, "final");
    // The same petitioner writes again about the same matter: the closed matter is shown.
    let found = t.app.find_duplicates(&clerk, "petition", &obj(TestApp::petition_fields("claim")), None).await.unwrap();
    assert_eq!((found[0].id, found[0].final_review), (c.id, true));
    let again = open(&t, &clerk, "petition", TestApp::petition_fields("claim")).await;
    let (again, _) = t.app.link_cases(&clerk, again.id, c.id, "same_matter", "同一事实和理由").await.unwrap();
    let accept = obj(
        json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true}),
    );
    let err = t.app.act(&clerk, again.id, "accept", &accept, again.version).await.unwrap_err();
    assert_eq!(err.status(), 422);
    assert!(err.to_string().contains("第三十六条第三款"), "{err}");
    let refused = t
        .app
        .act(
            &clerk,
            again.id,
            "not_accept",
            &obj(json!({"not_accepted_reason": "final", "notified_on": "2024-09-27"})),
            again.version,
        )
        .await
        .unwrap();
    assert_eq!(refused.state, "not_accepted");
}
