//! Petitions through the service: the 检举控告 confidentiality rule (信访工作条例 第三十条) in every
//! read, the one-time resolution figure on fixture cases, the clocks a page explains, and bad input.

use fazhi_domain::case::CaseRecord;
use fazhi_domain::metric::{Figure, Period};
use fazhi_domain::workflow::shared::WITHHELD;
use fazhi_service::{CaseFilter, Principal, ServiceError};
use fazhi_testkit::TestApp;
use serde_json::{Map, Value as Json, json};
use time::macros::datetime;

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("a JSON object")
}

/// An accusation against `accused` (a unit code of the fixture town).
async fn accusation(t: &TestApp, accused: &str) -> CaseRecord {
    let clerk = t.principal("clerk").await;
    let mut f = TestApp::petition_fields("accusation");
    f["title"] = json!("反映某单位工作人员违规收费问题");
    f["accused_unit"] = json!(t.town.unit(accused).to_string());
    f["accused_persons"] = json!("某工作人员");
    t.app.open_case(&clerk, "petition", &obj(f)).await.expect("accusation registered").case
}

fn withheld(data: &Map<String, Json>) {
    for k in ["party_name", "party_phone", "party_address", "content"] {
        assert_eq!(data[k], WITHHELD, "{k} must be withheld: {data:?}");
    }
}

#[tokio::test]
async fn the_accused_units_readers_never_see_the_case_and_others_read_it_whole() {
    let t = TestApp::sqlite().await;
    let c = accusation(&t, "sfs").await;
    // 第三十条: 司法所's town-wide readers (法律顾问, 司法所) and its mediator: the case does not exist.
    for who in ["sifasuo", "advisor", "mediator"] {
        let p = t.principal(who).await;
        assert!(matches!(t.app.detail(&p, c.id).await, Err(ServiceError::NotFound(_))), "{who}");
        let list =
            t.app.list(&p, &CaseFilter { kind: Some("petition".into()), ..Default::default() }, 1, 50).await.unwrap();
        assert_eq!(list.total, 0, "{who}");
    }
    // Readers outside 司法所 read it whole (masked identifiers as everywhere).
    for who in ["clerk", "leader"] {
        let p = t.principal(who).await;
        let d = t.app.detail(&p, c.id).await.unwrap();
        assert_eq!(d.case.data["party_name"], "黄某", "{who}");
        assert_eq!(d.case.data["party_phone"]["mask"], "137****5678");
        assert_eq!(d.events[0].payload["party_name"], "黄某");
    }
    // The second line holds: were a reader of 司法所 ever handed the case, the accuser's identity
    // would still be withheld from them.
    let stored = t.app.store().case(&fazhi_service::Scope::everything(), c.id).await.unwrap().unwrap();
    withheld(&t.app.redacted(&t.principal("sifasuo").await, stored).data);
}

#[tokio::test]
async fn an_accusation_against_the_town_is_withheld_from_all_its_staff_and_read_by_the_district() {
    let t = TestApp::sqlite().await;
    let c = accusation(&t, "aotou").await;
    for who in ["leader", "clerk", "handler_xitang"] {
        let p = t.principal(who).await;
        assert!(matches!(t.app.detail(&p, c.id).await, Err(ServiceError::NotFound(_))), "{who}");
        let err = t.app.act(&p, c.id, "supervise", &obj(json!({"note": "依规转上级机关办理"})), 1).await.unwrap_err();
        assert!(matches!(err, ServiceError::NotFound(_)), "{who}: {err:?}");
    }
    let district = t.principal("district").await;
    assert_eq!(t.app.detail(&district, c.id).await.unwrap().case.data["party_name"], "黄某");
    // The store keeps it whole: the rule is of who reads, not of what is kept.
    let stored = t.app.store().case(&fazhi_service::Scope::everything(), c.id).await.unwrap().unwrap();
    assert_eq!(stored.data["party_name"], "黄某");
}

#[tokio::test]
async fn an_accusation_is_never_handed_to_the_accused_unit() {
    let t = TestApp::sqlite().await;
    let c = accusation(&t, "longtan").await;
    let clerk = t.principal("clerk").await;
    let to = |unit: &str| {
        obj(
            json!({"unit": t.town.unit(unit).to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail"}),
        )
    };
    let err = t.app.act(&clerk, c.id, "accept", &to("longtan"), 1).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "检举控告事项不得交由被检举控告的单位（龙潭村）或其下属单位办理（《信访工作条例》第三十条）"
    );
    let accepted = t.app.act(&clerk, c.id, "accept", &to("xitang"), 1).await.unwrap();
    assert_eq!(accepted.state, "handling");
    // 西塘村's handler works on it with the accuser's details.
    let h = t.principal("handler_xitang").await;
    assert_eq!(t.app.detail(&h, c.id).await.unwrap().case.data["party_name"], "黄某");
    // 龙潭村 (and its grid) never see it.
    for who in ["handler_longtan", "grid_longtan"] {
        let p = t.principal(who).await;
        assert!(matches!(t.app.detail(&p, c.id).await, Err(ServiceError::NotFound(_))), "{who}");
    }
}

async fn claim_through(t: &TestApp, path: &[&str]) -> CaseRecord {
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let district = t.principal("district").await;
    let mut c = t
        .app
        .open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim")))
        .await
        .expect("claim registered")
        .case;
    for step in path {
        let (who, action, input): (&Principal, &str, Json) = match *step {
            "accept" => (
                &clerk,
                "accept",
                json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true}),
            ),
            "conclude" => (
                &handler,
                "conclude",
                json!({"request": "确权登记", "facts_reasons": "经核查属实", "reply": "支持", "basis": "《不动产登记暂行条例》", "outcome": "support", "served_on": "2024-09-27"}),
            ),
            "review" => (
                &clerk,
                "request_review",
                json!({"review_requested_on": "2024-09-27", "review_body": "从化区人民政府", "review_reason": "不服"}),
            ),
            "upheld" | "revoked" => (
                &district,
                "review_decide",
                json!({"review_result": step, "review_opinion": "意见", "review_decided_on": "2024-09-27", "review_served_on": "2024-09-27"}),
            ),
            other => panic!("no step {other}"),
        };
        c = t.app.act(who, c.id, action, &obj(input), c.version).await.unwrap_or_else(|e| panic!("{step}: {e}"));
    }
    c
}

#[tokio::test]
async fn the_one_time_resolution_rate_counts_claims_concluded_at_the_first_handling_only() {
    let t = TestApp::sqlite().await;
    claim_through(&t, &["accept", "conclude"]).await;
    claim_through(&t, &["accept", "conclude", "review", "upheld"]).await;
    let again = claim_through(&t, &["accept", "conclude", "review", "revoked", "conclude"]).await;
    assert_eq!(again.state, "concluded");
    claim_through(&t, &["accept"]).await;
    // A suggestion answered once is not a claim: not in this figure.
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let s = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("suggestion"))).await.unwrap().case;
    let s = t
        .app
        .act(&clerk, s.id, "accept", &obj(json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail"})), 1)
        .await
        .unwrap();
    t.app
        .act(&handler, s.id, "reply", &obj(json!({"reply": "已采纳", "served_on": "2024-09-27"})), s.version)
        .await
        .unwrap();

    let leader = t.principal("leader").await;
    let figures = t.app.metrics(&leader, Some("petition"), &[], &Period::year(2024).unwrap()).await.unwrap();
    let rate = |code: &str| match figures.iter().find(|(m, _)| m.code == code).map(|(_, f)| *f) {
        Some(Figure::Rate(r)) => (r.num, r.den),
        other => panic!("{code}: {other:?}"),
    };
    let count = |code: &str| figures.iter().find(|(m, _)| m.code == code).map(|(_, f)| f.to_string()).unwrap();
    assert_eq!(count("petition.accepted"), "5");
    assert_eq!(count("petition.concluded"), "4");
    assert_eq!(
        rate("petition.one_time_rate"),
        (1, 3),
        "of three concluded claims one went through without 复查 or reopening"
    );
    // 规定时间办结率 = 按期办结数 ÷ 应办结数: the claim accepted on 09-27 and still in hand is due
    // on 11-26, within the year, so it is in the denominator though not concluded.
    assert_eq!(rate("petition.on_time_rate"), (4, 5));
    assert_eq!(count("petition.reviews"), "2");
    // The figure traces to exactly the case behind it.
    let set = t.app.catalogue().traced_set("petition.one_time_rate").unwrap().clone();
    let traced = CaseFilter { metric: Some((set, Period::year(2024).unwrap())), ..Default::default() };
    assert_eq!(t.app.list(&leader, &traced, 1, 50).await.unwrap().total, 1);
}

#[tokio::test]
async fn a_case_page_explains_each_petition_clock_with_its_article() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let mut f = TestApp::petition_fields("claim");
    f["received_on"] = json!("2024-09-16");
    let c = t.app.open_case(&clerk, "petition", &obj(f)).await.unwrap().case;
    let d = t.app.detail(&clerk, c.id).await.unwrap();
    let accept = d.clocks.iter().find(|c| c.code == "accept").unwrap();
    assert!(accept.statutory);
    assert_eq!(accept.due, Some(time::macros::date!(2024 - 10 - 08)), "15 days from 09-16 end on National Day");
    let steps = accept.explanation.join("\n");
    assert!(steps.contains("信访工作条例第二十三条") && steps.contains("民事诉讼法》第八十五条"), "{steps}");
    let c = t
        .app
        .act(
            &clerk,
            c.id,
            "accept",
            &obj(json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true})),
            1,
        )
        .await
        .unwrap();
    let handler = t.principal("handler_longtan").await;
    let c = t
        .app
        .act(
            &handler,
            c.id,
            "request_extension",
            &obj(json!({"extension_days": 30, "extension_reason": "需现场勘测"})),
            c.version,
        )
        .await
        .unwrap();
    let leader = t.principal("leader").await;
    t.clock.set(datetime!(2024-11-20 10:00 +8));
    let c = t
        .app
        .act(
            &leader,
            c.id,
            "approve_extension",
            &obj(json!({"extension_notified_on": "2024-11-20", "extension_notice_method": "mail"})),
            c.version,
        )
        .await
        .unwrap();
    let d = t.app.detail(&leader, c.id).await.unwrap();
    let conclude = d.clocks.iter().find(|c| c.code == "conclude").unwrap();
    // 09-27 + 60 days = 11-26; + 30 days = 12-26.
    assert_eq!(conclude.due, Some(time::macros::date!(2024 - 12 - 26)));
    assert!(conclude.explanation.iter().any(|s| s.contains("批准延长 30日（信访工作条例第三十四条；需现场勘测）")));
    // No further extension: 30 days in all.
    let err = t
        .app
        .act(
            &handler,
            c.id,
            "request_extension",
            &obj(json!({"extension_days": 1, "extension_reason": "再等"})),
            c.version,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
}

#[tokio::test]
async fn bad_petition_input_is_refused_field_by_field_and_changes_nothing() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let mut f = TestApp::petition_fields("投诉类");
    f["channel"] = json!("微信");
    f["party_phone"] = json!("12345");
    let err = t.app.open_case(&clerk, "petition", &obj(f)).await.unwrap_err();
    assert_eq!(err.status(), 400);
    let fields: Vec<&str> = err.fields().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields.len(), 3, "{err}");
    assert!(fields.contains(&"category") && fields.contains(&"channel") && fields.contains(&"party_phone"));
    // 检举控告 without the accused unit: the rule is named.
    let err = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("accusation"))).await.unwrap_err();
    assert_eq!((err.status(), err.code()), (422, "rule_violated"));
    // Only the intake desk registers petitions.
    let h = t.principal("handler_longtan").await;
    assert_eq!(
        t.app.open_case(&h, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap_err().status(),
        403
    );
    assert_eq!(t.app.list(&clerk, &CaseFilter::default(), 1, 50).await.unwrap().total, 0, "nothing was registered");
}

#[tokio::test]
async fn an_accusation_against_the_town_is_sent_to_the_discipline_body_by_the_district_and_closes_there() {
    for db in fazhi_testkit::TestDb::all().await {
        let t = TestApp::on(db).await;
        let c = accusation(&t, "aotou").await;
        assert_eq!(c.data["accused_is_town"], "yes", "flagged at registration (第二十二条、第三十条)");
        let district = t.principal("district").await;
        let send = obj(json!({
            "discipline_body": "从化区纪委监委",
            "transferred_on": "2024-09-27",
            "notified_on": "2024-09-27",
            "notice_method": "mail",
        }));
        let sent = t.app.act(&district, c.id, "transfer_discipline", &send, c.version).await.unwrap();
        assert_eq!(sent.state, "to_discipline");
        let d = t.app.detail(&district, c.id).await.unwrap();
        assert_eq!(d.case.data["discipline_body"], "从化区纪委监委");
        assert_eq!(d.case.data["disposal"], "to_discipline");
        assert!(d.clocks.iter().all(|cl| !cl.running), "the desk's clock stopped on the notice date");
        let stored = t.app.store().case(&fazhi_service::Scope::everything(), c.id).await.unwrap().unwrap();
        assert_eq!((stored.state.as_str(), stored.version), ("to_discipline", c.version + 1));
    }
}
