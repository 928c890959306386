//! Loading a new year's calendar recomputes every open case whose dates were provisional, each
//! with an event; a malformed file changes nothing.

use fazhi_domain::time_util::parse_date;
use fazhi_service::{Scope, ServiceError};
use fazhi_testkit::TestApp;
use serde_json::{Value as Json, json};
use time::macros::datetime;

const Y2027: &str = r#"{"year": 2027, "papers": ["test"], "days": [
  {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
  {"name": "春节", "date": "2027-02-06", "isOffDay": true}
]}"#;

#[tokio::test]
async fn importing_a_year_recomputes_provisional_dates_and_says_so() {
    let t = TestApp::sqlite().await;
    t.clock.set(datetime!(2026-12-28 09:00 +8));
    let clerk = t.principal("clerk").await;
    let mut fields = TestApp::work_order_fields();
    fields["urgency"] = json!("normal");
    let c = t.app.open_case(&clerk, "work_order", fields.as_object().unwrap()).await.unwrap().case;
    // 5 wd from Monday 2026-12-28: 29, 30, 31, 2027-01-01 (no data: a weekday), 01-04.
    assert_eq!(c.clocks.due_on(), parse_date("2027-01-04").ok());
    assert!(c.clocks.provisional());
    let steps = c.clocks.get("handle").unwrap().explain().join("\n");
    assert!(steps.contains("2027年节假日安排尚未导入"), "{steps}");

    let out = t.app.import_calendar(Y2027, "tester").await.unwrap();
    assert_eq!((out.year, out.replaced, out.recomputed), (2027, false, 1));
    let after = t.app.store().case(&Scope::everything(), c.id).await.unwrap().unwrap();
    assert_eq!(after.clocks.due_on(), parse_date("2027-01-05").ok(), "2027-01-01 is now a holiday");
    assert!(!after.clocks.provisional());
    assert_eq!(after.version, c.version + 1);
    let events = t.app.store().events_of_case(c.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.action, "clock.recompute");
    assert_eq!(last.payload["changes"][0]["before"], "2027-01-04");
    assert_eq!(last.payload["changes"][0]["after"], "2027-01-05");
    // The chain still verifies, and the case row agrees with its events.
    let r = t.app.store().verify_chain(t.town.tenant, |_| {}).await.unwrap();
    assert!(r.is_whole(), "{r:?}");
    // A fresh process sees the imported year.
    t.app.reload().await.unwrap();
    assert!(t.app.calendar().has_year(2027));
}

#[tokio::test]
async fn a_malformed_calendar_file_changes_nothing() {
    let t = TestApp::sqlite().await;
    for bad in [
        "{",
        r#"{"year": 2027, "days": []}"#,
        r#"{"year": 2027, "days": [{"name": "x", "date": "2027-02-03", "isOffDay": false}]}"#,
    ] {
        let err = t.app.import_calendar(bad, "tester").await.unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(_)), "{err:?}");
        assert!(err.to_string().starts_with("日历文件："), "{err}");
    }
    assert!(t.app.store().calendar_years().await.unwrap().is_empty());
    assert!(!t.app.calendar().has_year(2027));
    let _: Json = json!(null);
}
