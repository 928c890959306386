//! Bulk data for the list, report and scale scenarios: a district of towns, each with its units
//! and users, and work orders spread over them — built as the engine would leave them (states,
//! clocks, facts) and written in large transactions with their chained events, not through HTTP.

use std::time::Instant;

use fazhi_domain::calendar::Calendar;
use fazhi_domain::case::{Actor, CaseRecord, Clock, ClockClass, Clocks, Phase};
use fazhi_domain::deadline::{DeadlineRule, Period as Span, TimeUnit};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, EventId, uuid_v7_from};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{CST, day_start_ms};
use fazhi_domain::unit::{Unit, UnitKind};
use fazhi_service::admin::NewUser;
use fazhi_service::{App, TenantKind};
use fazhi_store::ImportCase;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value as Json, json};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::server::PASSWORD;

/// What was generated.
pub struct Generated {
    /// A village handler of the first town (a small scope).
    pub handler: String,
    /// The district office (every town).
    pub district: String,
    /// The first town's code.
    pub town: String,
    pub cases: usize,
    pub events: usize,
    pub seconds: f64,
}

/// The caller of one case in 10,000.
pub const RARE_NAME: &str = "欧阳雪梅";

const TITLES: [&str; 10] = [
    "路灯损坏",
    "道路积水",
    "垃圾清运不及时",
    "夜间施工噪音扰民",
    "劳资纠纷：工资被拖欠",
    "举报违规野外用火",
    "咨询社保缴费",
    "邻里纠纷：排水沟堵塞",
    "建议增设公交站点",
    "自来水停水",
];

/// States and their share per thousand, with how many actions each has been through.
const STATES: [(&str, u32, usize); 7] = [
    ("registered", 20, 1),
    ("dispatched", 30, 2),
    ("handling", 100, 3),
    ("extension_requested", 10, 4),
    ("replied", 40, 4),
    ("visited", 50, 5),
    ("archived", 750, 6),
];

const ACTIONS: [(&str, &str, &str); 6] = [
    ("open", "登记", "registered"),
    ("dispatch", "派单", "dispatched"),
    ("sign", "签收", "handling"),
    ("reply", "办结", "replied"),
    ("callback", "回访", "visited"),
    ("archive", "归档", "archived"),
];

/// The code of the `t`-th town (from 0): T01 spelt in letters, TAB.
pub fn town_code(t: usize) -> String {
    format!("T{:02}", t + 1)
        .chars()
        .map(|c| if c.is_ascii_digit() { (b'A' + c.to_digit(10).unwrap_or(0) as u8) as char } else { c })
        .collect()
}

/// Creates `towns` towns of `units_per_town` units with users, then `cases` work orders spread
/// evenly; `year` holds the concluded ones, the open ones sit in the last three weeks before
/// `now`. `progress` is told the cases written so far.
///
/// # Errors
/// Database errors.
pub async fn generate(
    app: &App,
    cases: usize,
    towns: usize,
    year: i32,
    now: OffsetDateTime,
    mut progress: impl FnMut(usize),
) -> Result<Generated, String> {
    let start = Instant::now();
    let e = |x: fazhi_service::ServiceError| x.to_string();
    let district = app.create_tenant("QU", "基准区", TenantKind::District, None).await.map_err(e)?;
    let dsys = Actor::system(district.id);
    let droot = app.create_unit_as(&dsys, district.id, None, "qu", "区司法局", UnitKind::District).await.map_err(e)?;
    app.create_user_as(
        &dsys,
        NewUser {
            tenant: district.id,
            unit: droot.id,
            username: "district".into(),
            display_name: "区督查".into(),
            roles: vec![Role::District],
            password: Some(PASSWORD.into()),
            must_change: false,
        },
    )
    .await
    .map_err(e)?;
    let cal = Calendar::builtin();
    let mut rng = ChaCha8Rng::seed_from_u64(1_000_000);
    let per_town = cases.div_ceil(towns.max(1));
    let mut written = 0;
    let mut events = 0;
    let mut first_town = String::new();
    let mut handler = String::new();
    for t in 0..towns {
        let letters = town_code(t);
        let town = app
            .create_tenant(&letters, &format!("第{}镇", t + 1), TenantKind::Town, Some(district.id))
            .await
            .map_err(e)?;
        let sys = Actor::system(town.id);
        let root = app.create_unit_as(&sys, town.id, None, "town", &town.name, UnitKind::Town).await.map_err(e)?;
        let zzzx = app
            .create_unit_as(&sys, town.id, Some(root.id), "zzzx", "综治中心", UnitKind::Department)
            .await
            .map_err(e)?;
        let mut handlers: Vec<Unit> = Vec::new();
        for d in 0..3 {
            handlers.push(
                app.create_unit_as(
                    &sys,
                    town.id,
                    Some(root.id),
                    &format!("dept{d}"),
                    &format!("部门{d}"),
                    UnitKind::Department,
                )
                .await
                .map_err(e)?,
            );
        }
        // 1 + 1 + 3 departments + 14 villages × (1 + 4 grids) = 75 units.
        for v in 0..14 {
            let village = app
                .create_unit_as(
                    &sys,
                    town.id,
                    Some(root.id),
                    &format!("v{v:02}"),
                    &format!("第{v}村"),
                    UnitKind::Village,
                )
                .await
                .map_err(e)?;
            for g in 0..4 {
                app.create_unit_as(
                    &sys,
                    town.id,
                    Some(village.id),
                    &format!("v{v:02}-g{g}"),
                    &format!("第{v}村第{g}网格"),
                    UnitKind::Grid,
                )
                .await
                .map_err(e)?;
            }
            handlers.push(village);
        }
        let clerk_name = format!("clerk{}", t + 1);
        let handler_name = format!("handler{}", t + 1);
        app.create_user_as(
            &sys,
            NewUser {
                tenant: town.id,
                unit: zzzx.id,
                username: clerk_name.clone(),
                display_name: "受理员".into(),
                roles: vec![Role::IntakeClerk],
                password: Some(PASSWORD.into()),
                must_change: false,
            },
        )
        .await
        .map_err(e)?;
        // The first village's handler: the small scope of the list scenario.
        let village0 = handlers[3].clone();
        app.create_user_as(
            &sys,
            NewUser {
                tenant: town.id,
                unit: village0.id,
                username: handler_name.clone(),
                display_name: "承办人".into(),
                roles: vec![Role::Handler],
                password: Some(PASSWORD.into()),
                must_change: false,
            },
        )
        .await
        .map_err(e)?;
        if t == 0 {
            first_town = letters.clone();
            handler = handler_name;
        }
        let clerk = Actor { user_id: None, name: "受理员".into(), ..sys.clone() };
        let worker = Actor { user_id: None, name: "承办人".into(), ..sys.clone() };
        let n = per_town.min(cases - written.min(cases));
        let mut batch = Vec::with_capacity(5_000);
        for i in 0..n {
            let (state, steps) = {
                let mut r = rng.random_range(0..1000u32);
                let mut pick = STATES[STATES.len() - 1];
                for s in STATES {
                    if r < s.1 {
                        pick = s;
                        break;
                    }
                    r -= s.1;
                }
                (pick.0, pick.2)
            };
            let open_state = steps <= 4 && state != "replied";
            let opened: Date = if open_state || state == "replied" {
                now.to_offset(CST).date() - Duration::days(rng.random_range(0..21))
            } else {
                Date::from_calendar_date(year, Month::January, 1).unwrap_or(Date::MIN)
                    + Duration::days(rng.random_range(0..360))
            };
            let opened_ms = day_start_ms(opened) + rng.random_range(8 * 3_600_000..17 * 3_600_000);
            let unit = &handlers[rng.random_range(0..handlers.len())];
            let (unit_id, unit_path) =
                if steps >= 2 { (unit.id, unit.path.clone()) } else { (zzzx.id, zzzx.path.clone()) };
            let title = format!("{}（{}）", TITLES[rng.random_range(0..TITLES.len())], unit.name);
            let rule = DeadlineRule {
                period: Span::new(5, TimeUnit::WorkingDay),
                trigger: "受理".into(),
                source: "12345热线办理时限（一般件，本地配置）".into(),
            };
            let mut clock = Clock::start("handle", "办理期限", ClockClass::Target, rule, opened, &cal);
            let closed = matches!(state, "replied" | "visited" | "archived");
            if closed {
                clock.stop(opened + Duration::days(rng.random_range(0..5)));
            }
            let mut data = Map::new();
            data.insert("content".into(), json!(format!("群众反映：{title}，请尽快处理。")));
            // One caller in 10,000 has a name of their own: what a clerk looks a person up by (the
            // list scenario's rare-word search).
            let caller = if i % 10_000 == 7 { RARE_NAME } else { "某先生" };
            data.insert("caller_name".into(), json!(caller));
            data.insert("intake_unit_id".into(), json!(zzzx.id.to_string()));
            data.insert("reopens".into(), json!(0));
            if closed {
                data.insert("on_time".into(), json!(if clock.met == Some(true) { "yes" } else { "no" }));
                data.insert("reply".into(), json!("已处理完毕。"));
            }
            if matches!(state, "visited" | "archived") {
                data.insert(
                    "satisfaction".into(),
                    json!(if rng.random_range(0..100) < 95 { "satisfied" } else { "basic" }),
                );
            }
            let id = CaseId::from_uuid(uuid_v7_from(opened_ms, rng.random()));
            let receipt_no = format!("{letters}-GD-{}-{:06}", opened.year(), i + 1);
            let search_text = format!("{title} {} {caller}", data["content"].as_str().unwrap_or(""));
            let phase = match state {
                "archived" => Phase::Archived,
                "replied" | "visited" => Phase::Closed,
                _ => Phase::Open,
            };
            let mut evs = Vec::with_capacity(steps);
            let mut prev: Option<&str> = None;
            for (k, (code, label, to)) in ACTIONS.iter().take(steps).enumerate() {
                let at = opened_ms + (k as i64) * 3_600_000;
                evs.push(Event {
                    id: EventId::from_uuid(uuid_v7_from(at, rng.random())),
                    tenant_id: town.id,
                    seq: 0,
                    case_id: Some(id),
                    actor_id: None,
                    actor_name: if matches!(*code, "sign" | "reply") {
                        worker.name.clone()
                    } else {
                        clerk.name.clone()
                    },
                    action: (*code).into(),
                    action_label: (*label).into(),
                    from_state: prev.map(String::from),
                    to_state: Some((*to).into()),
                    payload: Json::Object(Map::new()),
                    attachments: vec![],
                    occurred_at: at,
                    prev_hash: String::new(),
                    hash: String::new(),
                });
                prev = Some(to);
            }
            // The extension request stays open on a handling case.
            if state == "extension_requested"
                && let Some(last) = evs.last_mut()
            {
                last.action = "request_extension".into();
                last.action_label = "申请延期".into();
                last.to_state = Some("extension_requested".into());
            }
            events += evs.len();
            let updated_at = evs.last().map_or(opened_ms, |e| e.occurred_at);
            let case = CaseRecord {
                id,
                tenant_id: town.id,
                kind: "work_order".into(),
                receipt_no,
                title,
                category: Some("help".into()),
                urgency: Some("normal".into()),
                state: state.into(),
                phase,
                unit_id,
                unit_path,
                location: None,
                data,
                clocks: Clocks(vec![clock]),
                opened_at: opened_ms,
                closed_at: closed.then_some(updated_at),
                updated_at,
                effective_at: updated_at,
                created_by: None,
                version: steps as i64,
                search_text,
            };
            batch.push(ImportCase { case, history: vec![], events: evs, digests: vec![], query_digest: None });
            if batch.len() == 5_000 {
                app.store().import_cases(&batch).await.map_err(|e| e.to_string())?;
                written += batch.len();
                progress(written);
                batch.clear();
            }
        }
        if !batch.is_empty() {
            app.store().import_cases(&batch).await.map_err(|e| e.to_string())?;
            written += batch.len();
            progress(written);
        }
    }
    Ok(Generated {
        handler,
        district: "district".into(),
        town: first_town,
        cases: written,
        events,
        seconds: start.elapsed().as_secs_f64(),
    })
}
