//! 检举控告 confidentiality as a rule of the store (《信访工作条例》第三十条: 不得透露或者转给被检举、
//! 揭发的人员或者单位), through every read path of the service, on SQLite and on PostgreSQL.
//!
//! The fixture accusation is against 龙潭村 and names the town's leader and the district's user as
//! accused. For the accused unit's handler, the grid below it, the leader (whose reach is the whole
//! town) and the district user, the case does not exist; the desk, 西塘村 (which handles it) and
//! 司法所 read it whole.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use fazhi_domain::case::CaseRecord;
use fazhi_domain::ids::UserId;
use fazhi_domain::metric::{Figure, Period};
use fazhi_domain::workflow::shared::NAME_ACCUSED;
use fazhi_service::breakdown::BreakdownBy;
use fazhi_service::petitions::WITHHELD_ACCESS;
use fazhi_service::{AuditFilter, CaseFilter, Principal, Scope, ServiceError, UserRecord};
use fazhi_testkit::{TestApp, TestDb};
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("a JSON object")
}

async fn each(mut f: impl AsyncFnMut(TestApp)) {
    for db in TestDb::all().await {
        f(TestApp::on(db).await).await;
    }
}

fn ids(t: &TestApp, who: &[&str]) -> Json {
    json!(who.iter().map(|u| t.town.user(u).id.to_string()).collect::<Vec<_>>())
}

/// The accusation's registration form: against `accused` (a unit code), naming `named` users.
fn accusation_form(t: &TestApp, accused: &str, named: &[&str]) -> Map<String, Json> {
    let mut f = TestApp::petition_fields("accusation");
    f["title"] = json!("反映村干部违规收费问题");
    f["content"] = json!("检举人黄某反映龙潭村干部在宅基地审批中违规收取费用。");
    f["accused_unit"] = json!(t.town.unit(accused).to_string());
    f["accused_persons"] = json!("龙潭村某干部");
    f["accused_users"] = ids(t, named);
    obj(f)
}

async fn accusation(t: &TestApp, accused: &str, named: &[&str]) -> (CaseRecord, String) {
    let clerk = t.principal("clerk").await;
    let o = t.app.open_case(&clerk, "petition", &accusation_form(t, accused, named)).await.expect("registered");
    (o.case, o.query_code)
}

/// Accepted to 西塘村 by the desk with the accuser's letter attached.
async fn accepted_with_letter(t: &TestApp, c: &CaseRecord) -> CaseRecord {
    let clerk = t.principal("clerk").await;
    let input = obj(
        json!({"unit": t.town.unit("xitang").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail"}),
    );
    let letter = t.app.upload_bytes("检举信.pdf", "application/pdf", b"%PDF-1.4 letter").await.expect("staged");
    t.app.act_with_files(&clerk, c.id, "accept", &input, c.version, vec![letter]).await.expect("accepted")
}

/// A second desk clerk of the town (to be named as accused while the first is not).
async fn second_clerk(t: &TestApp) -> Principal {
    let first = t.app.store().user_by_username("clerk").await.unwrap().unwrap();
    let rec = UserRecord { id: UserId::new(), username: "clerk2".into(), display_name: "受理员乙".into(), ..first };
    t.app.store().insert_user(&rec).await.unwrap();
    t.principal("clerk2").await
}

fn not_found<T: std::fmt::Debug>(r: Result<T, ServiceError>, what: &str) {
    assert!(matches!(r, Err(ServiceError::NotFound(_))), "第三十条: {what} must answer 404 as for no case, got {r:?}");
}

const ACCUSED: [&str; 4] = ["handler_longtan", "grid_longtan", "leader", "district"];
const NOT_ACCUSED: [&str; 3] = ["clerk", "handler_xitang", "sifasuo"];

fn petitions() -> CaseFilter {
    CaseFilter { kind: Some("petition".into()), ..Default::default() }
}

#[tokio::test]
async fn the_accusation_does_not_exist_for_the_accused_in_details_actions_lists_counts_or_search() {
    each(async |t| {
        let (c, _) = accusation(&t, "longtan", &["leader", "district"]).await;
        let c = accepted_with_letter(&t, &c).await;
        let filters = [
            ("kind", petitions()),
            ("state", CaseFilter { states: vec!["handling".into()], ..petitions() }),
            ("category", CaseFilter { category: Some("accusation".into()), ..petitions() }),
            ("unit", CaseFilter { unit: Some(t.town.units["xitang"].path.clone()), ..Default::default() }),
            ("title words", CaseFilter { text: Some("违规收费".into()), ..Default::default() }),
            ("receipt number", CaseFilter { text: Some(c.receipt_no.clone()), ..Default::default() }),
            ("accused persons", CaseFilter { text: Some("龙潭村某干部".into()), ..Default::default() }),
        ];
        for who in ACCUSED {
            let p = t.principal(who).await;
            not_found(t.app.detail(&p, c.id).await, who);
            not_found(t.app.act(&p, c.id, "supervise", &obj(json!({"note": "督办"})), c.version).await, who);
            not_found(t.app.links(&p, c.id).await, who);
            for (what, f) in &filters {
                let page = t.app.list(&p, f, 1, 20).await.unwrap();
                assert_eq!((page.total, page.items.len()), (0, 0), "{who} must not list it by {what}");
                assert_eq!(t.app.store().count_cases(&p.scope, f).await.unwrap(), 0, "{who}: count by {what}");
            }
        }
        for who in NOT_ACCUSED {
            let p = t.principal(who).await;
            let d = t.app.detail(&p, c.id).await.unwrap();
            assert_eq!(d.case.data["party_name"], "黄某", "{who} reads the accuser: 第三十条 does not apply to them");
            for (what, f) in &filters[..6] {
                assert_eq!(t.app.list(&p, f, 1, 20).await.unwrap().total, 1, "{who} lists it by {what}");
            }
        }
        // Each attempt was recorded: who tried which case, when.
        let (log, _) = t
            .app
            .store()
            .audit_log(&AuditFilter { action: Some(WITHHELD_ACCESS.into()), ..Default::default() }, 100, 0)
            .await
            .unwrap();
        for who in ACCUSED {
            let tried = log.iter().filter(|e| e.actor_id == Some(t.town.user(who).id)).collect::<Vec<_>>();
            assert!(!tried.is_empty(), "the attempt of {who} is an audit event");
            assert!(tried.iter().all(|e| e.payload["case_id"] == c.id.to_string() && e.case_id.is_none()));
        }
        assert!(!log.iter().any(|e| NOT_ACCUSED.iter().any(|w| e.actor_id == Some(t.town.user(w).id))));
    })
    .await;
}

#[tokio::test]
async fn attachments_exports_and_the_workbench_leave_it_out_for_the_accused() {
    each(async |t| {
        let clerk2 = second_clerk(&t).await;
        let (c, _) = accusation(&t, "longtan", &["leader"]).await;
        // Named later, by the desk: the second clerk.
        let clerk = t.principal("clerk").await;
        let named = obj(json!({"accused_users": [clerk2.user.id.to_string()], "note": "核查中查明"}));
        let offered = |d: &fazhi_service::cases::CaseDetail| d.actions.iter().any(|a| a.code == NAME_ACCUSED);
        assert!(offered(&t.app.detail(&clerk, c.id).await.unwrap()), "offered on an accusation");
        let claim = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
        assert!(!offered(&t.app.detail(&clerk, claim.id).await.unwrap()), "not offered where nobody is accused");
        let c = t.app.act(&clerk, c.id, NAME_ACCUSED, &named, c.version).await.unwrap();
        // The desk's workbench counts it as waiting; the named clerk's does not.
        let waiting = async |p: &Principal| {
            let wb = t.app.workbench(p).await.unwrap();
            wb.kinds.iter().find(|k| k.kind == "petition").unwrap().waiting.count
        };
        assert_eq!(waiting(&clerk).await, 2, "the accusation and the claim");
        let clerk2 = t.principal("clerk2").await;
        assert_eq!(waiting(&clerk2).await, 1, "a clerk named as accused is shown the claim, not the accusation");
        let c = accepted_with_letter(&t, &c).await;
        let files = t.app.case_attachments(&clerk, c.id).await.unwrap();
        assert_eq!(files.len(), 1);
        let hash = files[0].hash.clone();
        let accusations = CaseFilter { category: Some("accusation".into()), ..petitions() };
        for who in ["handler_longtan", "leader", "clerk2"] {
            let p = t.principal(who).await;
            not_found(t.app.case_attachments(&p, c.id).await, who);
            not_found(t.app.attachment_file(&p, c.id, &hash).await, &format!("{who} downloading the letter"));
            let export = t.app.export_cases(&p, &accusations).await.unwrap();
            assert_eq!(export.rows, 0, "{who}'s export leaves it out");
        }
        let h = t.principal("handler_xitang").await;
        assert!(t.app.attachment_file(&h, c.id, &hash).await.is_ok(), "西塘村 handles it and reads the letter");
        assert_eq!(t.app.export_cases(&clerk, &accusations).await.unwrap().rows, 1);
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_breakdowns_and_report_drill_down_leave_it_out_for_the_accused_and_the_towns_figures_stay_true() {
    each(async |t| {
        let (c, _) = accusation(&t, "longtan", &["leader"]).await;
        accepted_with_letter(&t, &c).await;
        let year = Period::year(2024).unwrap();
        let leader = t.principal("leader").await;
        let clerk = t.principal("clerk").await;
        let accepted = |figs: &[(fazhi_domain::metric::MetricDef, Figure)]| {
            figs.iter().find(|(m, _)| m.code == "petition.accepted").map(|(_, f)| f.to_string()).unwrap()
        };
        // The working views count what their reader may list: a figure of one that lists nothing
        // would itself tell the accused there is an accusation.
        assert_eq!(accepted(&t.app.dashboard(&leader, "petition", year).await.unwrap().totals), "0");
        assert_eq!(accepted(&t.app.dashboard(&clerk, "petition", year).await.unwrap().totals), "1");
        let by_cat = async |p: &Principal| {
            t.app
                .breakdown(p, "petition", &[], &year, BreakdownBy::Category)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.key)
                .collect::<Vec<_>>()
        };
        assert!(!by_cat(&leader).await.contains(&"accusation".to_string()));
        assert!(by_cat(&clerk).await.contains(&"accusation".to_string()));
        // The town's figures — what its annual report prints — stay true.
        let town = t
            .app
            .metrics_in(&Scope::tenant(t.town.tenant), Some("petition"), &["petition.accepted".into()], &year)
            .await
            .unwrap();
        assert_eq!(town[0].1.to_string(), "1");
        // The figure's drill-down list (the report's link) does not show it to the accused.
        let set = t.app.catalogue().get("petition.accepted").unwrap().measure.clone();
        let fazhi_domain::metric::Measure::Count { set } = set else { panic!("a count") };
        let traced = CaseFilter { metric: Some((set, year)), ..Default::default() };
        assert_eq!(t.app.list(&leader, &traced, 1, 20).await.unwrap().total, 0);
        assert_eq!(t.app.list(&clerk, &traced, 1, 20).await.unwrap().total, 1);
    })
    .await;
}

#[tokio::test]
async fn a_link_never_leads_the_accused_to_the_accusation_and_a_merge_that_would_is_refused() {
    each(async |t| {
        let clerk = t.principal("clerk").await;
        let (a, _) = accusation(&t, "longtan", &[]).await;
        // An ordinary petition handled by 龙潭村.
        let o = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
        let accept = obj(json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true}));
        let o = t.app.act(&clerk, o.id, "accept", &accept, o.version).await.unwrap();
        t.app.link_cases(&clerk, a.id, o.id, "related", "同一检举人").await.unwrap();
        let h = t.principal("handler_longtan").await;
        assert!(t.app.links(&h, o.id).await.unwrap().is_empty(), "the link to the accusation is not listed");
        let events = t.app.detail(&h, o.id).await.unwrap().events;
        assert!(
            !events.iter().any(|e| e.payload.to_string().contains(&a.id.to_string()) || e.payload.to_string().contains(&a.receipt_no)),
            "no event of 龙潭村's case names the accusation: {events:?}"
        );
        assert_eq!(t.app.links(&clerk, o.id).await.unwrap().len(), 1, "the desk sees the link");
        assert_eq!(t.app.detail(&clerk, o.id).await.unwrap().events.len(), 3);
        // Merging an ordinary case into the accusation would write its number into a case
        // 龙潭村 reads.
        let dup = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
        let err = t.app.merge_cases(&clerk, dup.id, dup.version, a.id, "同一事项").await.unwrap_err();
        assert_eq!(err.status(), 422, "{err}");
        assert!(err.to_string().contains("第三十条"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_converted_visit_is_withheld_with_its_petition_and_staff_named_later_lose_both() {
    each(async |t| {
        let clerk = t.principal("clerk").await;
        let v = t.app.open_case(&clerk, "visit", &obj(TestApp::visit_fields())).await.unwrap().case;
        let mut fields = accusation_form(&t, "sfs", &["leader"]);
        for k in ["party_name", "party_phone", "party_address", "content"] {
            fields.remove(k);
        }
        let done = t.app.convert_visit(&clerk, v.id, v.version, "petition", &fields).await.unwrap();
        let by_name = CaseFilter { text: Some("陈大明".into()), ..Default::default() };
        for who in ["sifasuo", "leader"] {
            let p = t.principal(who).await;
            not_found(t.app.detail(&p, v.id).await, &format!("{who}: the visit"));
            not_found(t.app.detail(&p, done.case.id).await, &format!("{who}: the petition"));
            assert_eq!(t.app.list(&p, &by_name, 1, 20).await.unwrap().total, 0, "{who} cannot find the visitor");
        }
        // The legal reviewer reads both, until the desk names them as accused.
        let reviewer = t.principal("reviewer").await;
        assert!(t.app.detail(&reviewer, v.id).await.is_ok());
        assert_eq!(t.app.list(&reviewer, &by_name, 1, 20).await.unwrap().total, 1);
        let p = t.app.store().case(&Scope::everything(), done.case.id).await.unwrap().unwrap();
        let named = obj(json!({"accused_users": ids(&t, &["reviewer"])}));
        t.app.act(&clerk, p.id, NAME_ACCUSED, &named, p.version).await.unwrap();
        not_found(t.app.detail(&reviewer, p.id).await, "the reviewer named later: the petition");
        not_found(t.app.detail(&reviewer, v.id).await, "the reviewer named later: the visit");
        assert_eq!(t.app.list(&reviewer, &by_name, 1, 20).await.unwrap().total, 0);
        assert_eq!(t.app.list(&clerk, &by_name, 1, 20).await.unwrap().total, 1, "the desk still finds the visit");
    })
    .await;
}

#[tokio::test]
async fn the_duplicate_check_never_points_an_accused_clerk_to_the_accusation() {
    each(async |t| {
        let clerk2 = second_clerk(&t).await;
        let mut form = accusation_form(&t, "sfs", &[]);
        form.insert("accused_users".into(), json!([clerk2.user.id.to_string()]));
        let clerk = t.principal("clerk").await;
        let c = t.app.open_case(&clerk, "petition", &form).await.unwrap().case;
        // The accused clerk at the window, typing the accuser's phone and the same matter.
        let form = accusation_form(&t, "sfs", &[]);
        let found = t.app.find_duplicates(&clerk2, "petition", &form, None).await.unwrap();
        assert!(found.iter().all(|d| d.id != c.id), "an accused clerk is not told the accusation exists: {found:?}");
        let found = t.app.find_duplicates(&clerk, "petition", &form, None).await.unwrap();
        let hit = found.iter().find(|d| d.id == c.id).expect("the desk is shown the same person's accusation");
        assert_eq!(hit.same_person, vec!["联系电话"]);
    })
    .await;
}

#[tokio::test]
async fn an_auditor_named_as_accused_does_not_see_the_cases_events_and_the_petitioner_keeps_the_tracking_page() {
    each(async |t| {
        let (c, code) = accusation(&t, "sfs", &["auditor"]).await;
        let auditor = t.principal("auditor").await;
        let (log, _) = t.app.audit_log(&auditor, fazhi_service::audit::AuditQuery::default(), 1, 200).await.unwrap();
        assert!(!log.is_empty(), "the auditor still reads the log");
        assert!(log.iter().all(|e| e.case_id != Some(c.id)), "no event of the accusation for an accused auditor");
        let (all, _) = t.app.store().audit_log(&AuditFilter::default(), 200, 0).await.unwrap();
        assert!(all.iter().any(|e| e.case_id == Some(c.id)), "the events are kept");
        // The petitioner, with the receipt and its query code.
        let view = t.app.public_lookup("127.0.0.1", &c.receipt_no, &code).await.unwrap();
        assert_eq!(view.receipt_no, c.receipt_no);
    })
    .await;
}

#[tokio::test]
async fn an_accused_unit_that_cannot_be_found_withholds_the_case_from_the_whole_town() {
    each(async |t| {
        let (c, _) = accusation(&t, "sfs", &[]).await;
        // The same case written with a marker naming a unit that does not exist (a damaged row).
        let mut copy = fazhi_testkit::imported_copies(&c, 1, "失联单位").remove(0);
        copy.case.data["confidential"]["unit"] = json!(fazhi_domain::ids::UnitId::new().to_string());
        let id = copy.case.id;
        t.app.store().import_cases(&[copy]).await.unwrap();
        for who in ["clerk", "leader", "handler_xitang"] {
            let p = t.principal(who).await;
            not_found(t.app.detail(&p, id).await, &format!("{who}: failing closed"));
        }
        let district = t.principal("district").await;
        assert!(t.app.detail(&district, id).await.is_ok(), "the district, outside the town, reads it");
        assert!(t.app.detail(&t.principal("clerk").await, c.id).await.is_ok(), "the well-formed case is unaffected");
    })
    .await;
}

#[tokio::test]
async fn naming_accused_staff_checks_that_they_are_staff_of_the_town_or_district() {
    each(async |t| {
        let clerk = t.principal("clerk").await;
        let mut f = accusation_form(&t, "sfs", &[]);
        f.insert("accused_users".into(), json!([UserId::new().to_string()]));
        let err = t.app.open_case(&clerk, "petition", &f).await.unwrap_err();
        assert_eq!(err.fields()[0].field, "accused_users", "{err}");
        f.insert("accused_users".into(), ids(&t, &["wq_clerk"]));
        let err = t.app.open_case(&clerk, "petition", &f).await.unwrap_err();
        assert!(err.to_string().contains("不是本镇（街道）或本区的工作人员"), "another town's staff: {err}");
        f.insert("accused_users".into(), ids(&t, &["district", "handler_xitang"]));
        assert!(t.app.open_case(&clerk, "petition", &f).await.is_ok());
    })
    .await;
}
