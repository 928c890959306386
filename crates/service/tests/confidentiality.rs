//! 检举控告 confidentiality as a rule of the store (《信访工作条例》第三十条: 不得透露或者转给被检举、
//! 揭发的人员或者单位), through every read path of the service, on SQLite and on PostgreSQL.
//!
//! The fixture accusation is against 龙潭村 and names the town's leader and the district's user as
//! accused. For the accused unit's handler, the grid below it, the leader (whose reach is the whole
//! town) and the district user, the case does not exist; the desk, 西塘村 (which handles it) and
//! 司法所 read it whole.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use fazhi_domain::case::CaseRecord;
use fazhi_domain::ids::{CaseId, UserId};
use fazhi_domain::metric::{Figure, Period};
use fazhi_domain::workflow::shared::NAME_ACCUSED;
use fazhi_service::breakdown::BreakdownBy;
use fazhi_service::petitions::{UNREADABLE_CASE, WITHHELD_ACCESS};
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
        // Each attempt was recorded: who tried which case, when (off the request path).
        t.app.flush_attempt_log().await;
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
            wb.kinds.iter().find(|k| k.kind == "petition").unwrap().waiting.as_ref().map_or(0, |t| t.count)
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

/// An ordinary claim accepted to 龙潭村 and concluded there on time.
async fn claim_concluded(t: &TestApp) -> CaseRecord {
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let c = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
    let accept = obj(
        json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true}),
    );
    let c = t.app.act(&clerk, c.id, "accept", &accept, c.version).await.unwrap();
    let conclude = obj(
        json!({"request": "确权登记", "facts_reasons": "经核查属实", "reply": "支持", "basis": "《不动产登记暂行条例》", "outcome": "support", "served_on": "2024-09-27"}),
    );
    t.app.act(&handler, c.id, "conclude", &conclude, c.version).await.unwrap()
}

/// A figure of a rendered report (HTML), by its code.
fn figure_in(html: &str, code: &str) -> String {
    html.split(&format!("title=\"{code}\">"))
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_else(|| panic!("{code} not in the report"))
        .to_string()
}

#[tokio::test]
async fn the_annual_report_and_the_district_comparison_leave_it_out_for_the_accused_and_the_official_report_counts_it()
{
    // 第三十条: a reader in the accused unit's line, or named as accused, could infer the
    // accusation from a total (2 accepted, and I list 1). Their report and comparison count what
    // their lists show; the town's official report (`fazhi report`, no reader) counts it all.
    each(async |t| {
        let (c, _) = accusation(&t, "longtan", &["leader", "district"]).await;
        accepted_with_letter(&t, &c).await;
        claim_concluded(&t).await;
        let town = t.app.tenant(t.town.tenant).unwrap();
        let year = Period::year(2024).unwrap();
        let link = |m: &str, _: &Period| format!("/cases?metric={m}");
        let leader = t.principal("leader").await;
        let clerk = t.principal("clerk").await;
        let district = t.principal("district").await;
        let report = async |p: &Principal| {
            t.app.annual_report_for(p, &town, 2024, true, Some(&link)).await.unwrap().to_html_fragment()
        };
        let official = t.app.annual_report(&town, 2024, true, Some(&link)).await.unwrap().to_html_fragment();
        let figure = async |p: &Principal, code: &str| {
            t.app.metrics(p, Some("petition"), &[code.to_string()], &year).await.unwrap()[0].1.to_string()
        };
        let whole = async |code: &str| {
            t.app.metrics_in(&Scope::tenant(t.town.tenant), Some("petition"), &[code.to_string()], &year).await.unwrap()
                [0]
            .1
            .to_string()
        };
        assert_eq!(figure_in(&official, "petition.accepted"), "2", "the official report counts the accusation");
        assert_eq!(figure_in(&report(&clerk).await, "petition.accepted"), "2", "the desk reads it whole");
        for p in [&leader, &district] {
            let mine = report(p).await;
            assert_eq!(figure_in(&mine, "petition.accepted"), "1", "{}: 第三十条", p.user.username);
            // Every figure agrees with what the reader's own figures (and lists) say.
            for code in ["petition.accepted", "petition.on_time_rate", "petition.satisfaction_rate"] {
                assert_eq!(figure_in(&mine, code), figure(p, code).await, "{}: {code}", p.user.username);
            }
            // The drill-down of the figure lists exactly what the figure counts.
            let set = t.app.catalogue().get("petition.accepted").unwrap().measure.clone();
            let fazhi_domain::metric::Measure::Count { set } = set else { panic!("a count") };
            let traced = CaseFilter { metric: Some((set, year)), ..Default::default() };
            assert_eq!(t.app.list(p, &traced, 1, 20).await.unwrap().total, 1);
        }
        // 规定时间办结率: the accusation in hand is due within the year, so it moves the rate.
        assert_ne!(whole("petition.on_time_rate").await, figure(&leader, "petition.on_time_rate").await);
        assert_eq!(figure_in(&official, "petition.on_time_rate"), whole("petition.on_time_rate").await);
        // The comparison: the town's row and the district's pooled figures leave it out too.
        let rate_of = |c: &fazhi_service::report::Comparison, row: Option<usize>| {
            let i = c.metrics.iter().position(|m| m.code == "petition.on_time_rate").unwrap();
            match row {
                Some(r) => c.towns[r].1[i].to_string(),
                None => c.district_pooled[i].to_string(),
            }
        };
        let cli = t.app.compare(None, 2024).await.unwrap();
        assert_eq!(rate_of(&cli, Some(0)), whole("petition.on_time_rate").await, "the command line's is whole");
        for p in [&leader, &district] {
            let c = t.app.compare_for(p, 2024).await.unwrap();
            assert_eq!(c.towns[0].0, "鳌头镇");
            assert_eq!(rate_of(&c, Some(0)), figure(&leader, "petition.on_time_rate").await, "{}", p.user.username);
            assert_eq!(rate_of(&c, None), rate_of(&c, Some(0)), "{}: the pooled figure", p.user.username);
        }
        let c = t.app.compare_for(&clerk, 2024);
        assert!(c.await.is_err(), "the desk does not read the comparison");
        // The dashboard agrees with its drill-down for the accused as well.
        let d = t.app.dashboard(&leader, "petition", year).await.unwrap();
        let accepted = d.totals.iter().find(|(m, _)| m.code == "petition.accepted").unwrap().1.to_string();
        assert_eq!(accepted, "1");
    })
    .await;
}

#[tokio::test]
async fn an_attempt_on_the_accusation_is_recorded_off_the_request_path_once_per_user_case_and_hour() {
    // 第三十条 and the audit of every attempt, without making the 404 of a withheld case slower
    // than that of an unknown id, and without letting probes flood the chain.
    each(async |t| {
        let (c, _) = accusation(&t, "longtan", &["leader"]).await;
        let h = t.principal("handler_longtan").await;
        let attempts = async |who: &str, case: CaseId| {
            t.app.flush_attempt_log().await;
            let (log, _) = t
                .app
                .store()
                .audit_log(&AuditFilter { action: Some(WITHHELD_ACCESS.into()), ..Default::default() }, 100, 0)
                .await
                .unwrap();
            log.iter()
                .filter(|e| e.actor_id == Some(t.town.user(who).id) && e.payload["case_id"] == case.to_string())
                .count()
        };
        for _ in 0..5 {
            not_found(t.app.detail(&h, c.id).await, "handler_longtan");
            not_found(t.app.case_attachments(&h, c.id).await, "handler_longtan: attachments");
        }
        let unknown = CaseId::new();
        not_found(t.app.detail(&h, unknown).await, "an unknown id");
        assert_eq!(attempts("handler_longtan", c.id).await, 1, "ten attempts within the hour are one event");
        assert_eq!(attempts("handler_longtan", unknown).await, 0, "an unknown id is no attempt on an accusation");
        // Someone else, and the next hour, are new events.
        not_found(t.app.detail(&t.principal("leader").await, c.id).await, "leader");
        t.clock.advance(time::Duration::hours(1));
        not_found(t.app.detail(&h, c.id).await, "handler_longtan, an hour later");
        not_found(t.app.detail(&h, c.id).await, "handler_longtan, again");
        assert_eq!(attempts("handler_longtan", c.id).await, 2);
        assert_eq!(attempts("leader", c.id).await, 1);
    })
    .await;
}

#[tokio::test]
async fn an_accusation_is_numbered_outside_the_public_sequence_so_no_gap_reveals_it() {
    // 第三十条: the numbers the accused unit can list run on without a gap where an accusation
    // was registered; the accusation's own number has the same shape, is unique, and tracks.
    each(async |t| {
        let clerk = t.principal("clerk").await;
        let claim =
            async || t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap();
        let first = claim().await.case;
        let mut secret = Vec::new();
        for _ in 0..4 {
            secret.push(accusation(&t, "longtan", &[]).await);
        }
        let second = claim().await.case;
        let (prefix, seq) = first.receipt_no.split_at(first.receipt_no.len() - 6);
        let next: u32 = seq.parse::<u32>().unwrap() + 1;
        assert_eq!(second.receipt_no, format!("{prefix}{next:06}"), "the public sequence has no gap");
        let mut seen = std::collections::HashSet::new();
        for (c, code) in &secret {
            let suffix = c.receipt_no.strip_prefix(prefix).unwrap_or_else(|| panic!("shape: {}", c.receipt_no));
            assert_eq!(suffix.len(), 6, "{}", c.receipt_no);
            assert!(
                suffix.starts_with(|ch: char| ch.is_ascii_uppercase()),
                "never a sequence number: {}",
                c.receipt_no
            );
            assert!(suffix.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit()));
            assert!(seen.insert(c.receipt_no.clone()), "unique");
            // The accuser tracks it with its number and query code as any petitioner does.
            let v = t.app.public_lookup("198.51.100.7", &c.receipt_no.to_lowercase(), code).await.unwrap();
            assert_eq!(v.receipt_no, c.receipt_no);
        }
        // A visit converted into an accusation: its petition is numbered apart too.
        let v = t.app.open_case(&clerk, "visit", &obj(TestApp::visit_fields())).await.unwrap().case;
        let mut fields = accusation_form(&t, "sfs", &[]);
        for k in ["party_name", "party_phone", "party_address", "content"] {
            fields.remove(k);
        }
        let done = t.app.convert_visit(&clerk, v.id, v.version, "petition", &fields).await.unwrap();
        let third = claim().await.case;
        assert_eq!(third.receipt_no, format!("{prefix}{:06}", next + 1), "{}", done.case.receipt_no);
        assert!(done.case.receipt_no.starts_with(prefix) && !done.case.receipt_no[prefix.len()..].starts_with('0'));
    })
    .await;
}

#[tokio::test]
async fn a_timeline_never_names_a_linked_case_its_reader_may_not_open() {
    // The link event's payload named the other case's id and number whatever the reader's reach;
    // now the detail (the page and the API alike) keeps the event and drops the other case.
    each(async |t| {
        let clerk = t.principal("clerk").await;
        let accept = |unit: &str| {
            obj(json!({"unit": t.town.unit(unit).to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail", "route_checked": true}))
        };
        let open = async |unit: &str| {
            let c = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
            t.app.act(&clerk, c.id, "accept", &accept(unit), c.version).await.unwrap()
        };
        let ours = open("xitang").await;
        let theirs = open("longtan").await;
        t.app.link_cases(&clerk, ours.id, theirs.id, "related", "同一地块").await.unwrap();
        let h = t.principal("handler_xitang").await;
        let events = t.app.detail(&h, ours.id).await.unwrap().events;
        let link = events.iter().find(|e| e.action == "link").expect("the link event keeps its place");
        assert_eq!(link.payload["other_receipt"], UNREADABLE_CASE);
        assert!(link.payload.get("other_case").is_none() && link.payload.get("other_kind").is_none());
        let all = serde_json::to_string(&events).unwrap();
        assert!(!all.contains(&theirs.id.to_string()) && !all.contains(&theirs.receipt_no), "{all}");
        // The desk reads both cases and the link whole.
        let events = t.app.detail(&clerk, ours.id).await.unwrap().events;
        let link = events.iter().find(|e| e.action == "link").unwrap();
        assert_eq!(link.payload["other_receipt"], theirs.receipt_no.as_str());
        assert_eq!(link.payload["other_case"], theirs.id.to_string());
    })
    .await;
}
