//! The demo town: 从化区 and its 鳌头镇, modelled on the seed report (`shared/seed`), with its
//! departments and the villages the report names (桥头村, 西塘村, 龙潭村), a user of every role,
//! and the year 2023 of 12345 work orders whose figures match the report: 4326 accepted, all
//! closed (办结率 100%). Deterministic: the same seed gives the same cases, texts, dates and
//! outcomes on every run. A few orders of the current weeks are added, open in every state, so the
//! workbench has something to show.
//!
//! Every order is driven through the real `work_order` workflow by the engine, action by action,
//! at the times it would have happened; only the writing is done in bulk.

use std::collections::HashMap;

use fazhi_domain::calendar::Calendar;
use fazhi_domain::case::{Actor, CaseRecord};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, EventId, TenantId, UnitId, uuid_v7_from};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{CST, local_date, to_ms};
use fazhi_domain::unit::{Unit, UnitKind};
use fazhi_domain::workflow::{ActCtx, NewCase, Outcome, Sealer};
use fazhi_store::{ImportCase, TenantKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value as Json, json};
use time::{Date, Duration, Month, OffsetDateTime, Time};

use crate::admin::NewUser;
use crate::{App, Result, ServiceError};

/// The password of every demo user (printed by `serve --demo`).
pub const DEMO_PASSWORD: &str = "Fazhi@2023";

/// The seed report's count of 12345 work orders in 2023.
pub const SEED_WORK_ORDERS_2023: usize = 4326;

/// What the demo loader made.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// False when the demo town was already there (nothing was added).
    pub created: bool,
    /// (username, role label, unit name).
    pub users: Vec<(String, String, String)>,
    pub work_orders: usize,
    /// One receipt number and query code to try the public tracking page with.
    pub sample_receipt: Option<(String, String)>,
}

struct Staff {
    actor: Actor,
}

/// A sample of texts by category: (title, content).
const TEXTS: [(&str, &[(&str, &str)]); 5] = [
    (
        "consult",
        &[
            ("咨询社保缴费政策", "来电人咨询灵活就业人员社会保险缴费标准及办理渠道。"),
            ("咨询宅基地审批流程", "来电人咨询农村宅基地建房审批所需材料和办理时限。"),
            ("咨询临时经营场所登记", "来电人咨询临时经营场所申报登记的条件和办理地点。"),
            ("咨询高龄津贴申领", "来电人咨询八十周岁以上老人高龄津贴的申领手续。"),
        ],
    ),
    (
        "help",
        &[
            ("{v}路灯损坏", "{v}村道多盏路灯不亮，夜间出行不便，请求尽快维修。"),
            ("{v}自来水停水", "{v}部分住户停水超过一天，请求了解原因并尽快恢复供水。"),
            ("{v}道路积水", "{v}村口路段雨后积水严重，影响车辆和行人通行。"),
            ("{v}排水沟堵塞", "{v}排水沟被垃圾堵塞，污水漫溢，请求清理。"),
        ],
    ),
    (
        "complaint",
        &[
            ("{v}夜间施工噪音扰民", "{v}附近工地晚上十点后仍在施工，噪音影响居民休息。"),
            ("{v}垃圾清运不及时", "{v}垃圾收集点垃圾堆积多日未清运，气味难闻。"),
            ("{v}工地扬尘污染", "{v}附近工地未采取防尘措施，扬尘严重。"),
            ("劳资纠纷：工资被拖欠", "来电人反映在{v}附近工厂务工，被拖欠两个月工资，请求协调。"),
        ],
    ),
    (
        "report",
        &[
            ("举报违规野外用火", "来电人举报{v}山边有人焚烧杂草，存在森林火灾隐患。"),
            ("举报违法占用耕地", "来电人举报{v}有人在耕地上堆放建筑材料、硬化地面。"),
            ("举报无证经营", "来电人举报{v}路边有无证照经营的小食店。"),
        ],
    ),
    (
        "suggestion",
        &[
            ("建议增设公交站点", "来电人建议在{v}村口增设公交站点，方便村民出行。"),
            ("建议村口增设减速带", "来电人建议在{v}村口路段增设减速带，保障学生通行安全。"),
        ],
    ),
];

const SURNAMES: [&str; 16] =
    ["陈", "李", "黄", "张", "梁", "刘", "何", "罗", "谢", "邓", "钟", "曾", "欧阳", "朱", "潘", "吴"];

fn demo_ids(rng: &mut ChaCha8Rng, at_ms: i64) -> uuid::Uuid {
    uuid_v7_from(at_ms, rng.random())
}

/// A valid 18-digit 居民身份证号码 born in 从化 (440117) on a random date.
fn id_number(rng: &mut ChaCha8Rng) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let body = format!(
        "440117{:04}{:02}{:02}{:03}",
        rng.random_range(1950..2003),
        rng.random_range(1..13),
        rng.random_range(1..29),
        rng.random_range(0..1000)
    );
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    format!("{body}{}", C[(sum % 11) as usize])
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    let prefix = ["138", "139", "135", "137", "150", "158", "186", "188", "189", "133"][rng.random_range(0..10)];
    format!("{prefix}{:08}", rng.random_range(0..100_000_000u32))
}

fn at(d: Date, minutes: i64) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_offset(CST) + Duration::minutes(minutes)
}

/// The next working day on or after `d`.
fn working_on_or_after(cal: &Calendar, mut d: Date) -> Date {
    while !cal.is_working_day(d) {
        d = d.next_day().unwrap_or(d);
    }
    d
}

/// Adds `n` working days.
fn add_wd(cal: &Calendar, mut d: Date, n: u32) -> Date {
    let mut k = 0;
    while k < n {
        d = d.next_day().unwrap_or(d);
        if cal.is_working_day(d) {
            k += 1;
        }
    }
    d
}

struct Driver<'a> {
    app: &'a App,
    cal: &'a Calendar,
    units: &'a HashMap<UnitId, Unit>,
    rng: ChaCha8Rng,
    /// The versions the case being driven went through before its current one.
    history: Vec<CaseRecord>,
}

impl Driver<'_> {
    fn step(
        &mut self,
        case: &CaseRecord,
        actor: &Actor,
        t: OffsetDateTime,
        action: &str,
        input: Json,
        events: &mut Vec<Event>,
    ) -> Result<CaseRecord> {
        let ctx = ActCtx {
            actor,
            now: t,
            calendar: self.cal,
            settings: self.app.settings(),
            units: self.units,
            sealer: self.app.crypto(),
            event_on: None,
        };
        let input = input.as_object().cloned().unwrap_or_default();
        let kind = self.app.kind(&case.kind)?;
        let out =
            kind.act(case, action, &input, &ctx).map_err(|e| ServiceError::internal(format!("demo {action}: {e}")))?;
        events.push(self.event(&out, actor, t));
        self.history.push(case.clone());
        Ok(out.case)
    }

    fn event(&mut self, out: &Outcome, actor: &Actor, t: OffsetDateTime) -> Event {
        let ms = to_ms(t);
        Event {
            id: EventId::from_uuid(demo_ids(&mut self.rng, ms)),
            tenant_id: out.case.tenant_id,
            seq: 0,
            case_id: Some(out.case.id),
            actor_id: actor.user_id,
            actor_name: actor.name.clone(),
            action: out.event.action.clone(),
            action_label: out.event.action_label.clone(),
            from_state: out.event.from_state.clone(),
            to_state: Some(out.event.to_state.clone()),
            payload: Json::Object(out.event.payload.clone()),
            attachments: out.event.attachments.clone(),
            occurred_at: ms,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }
}

/// Plans how far an order gets and how: returned first, extended, late, the callback result.
#[derive(Debug, Clone, Copy)]
struct Plan {
    returned: bool,
    extended: bool,
    late: bool,
    result: &'static str,
}

impl App {
    /// Loads the demo town unless it is there already.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load_demo(&self, mut progress: impl FnMut(usize, usize)) -> Result<DemoReport> {
        if let Some(t) = self.store().tenant_by_code("AT").await? {
            let filter = fazhi_store::CaseFilter { kind: Some("work_order".into()), ..Default::default() };
            if self.store().count_cases(&fazhi_store::Scope::tenant(t.id), &filter).await? == 0
                || !self.demo_disputes_present(t.id).await?
            {
                return Err(ServiceError::Rule(
                    "演示数据不完整（上次载入被中断？）：请删除数据目录中的数据库后重新载入".into(),
                ));
            }
            return Ok(DemoReport { created: false, users: all_demo_users(), work_orders: 0, sample_receipt: None });
        }
        let district = self.create_tenant("CH", "从化区", TenantKind::District, None).await?;
        let town = self.create_tenant("AT", "鳌头镇", TenantKind::Town, Some(district.id)).await?;
        let sys = Actor::system(town.id);
        let dsys = Actor::system(district.id);
        let ch = self.create_unit_as(&dsys, district.id, None, "conghua", "从化区司法局", UnitKind::District).await?;
        let root = self.create_unit_as(&sys, town.id, None, "aotou", "鳌头镇人民政府", UnitKind::Town).await?;
        let mut u: HashMap<&str, Unit> = HashMap::new();
        for (code, name) in [
            ("dzb", "党政综合办公室"),
            ("zzzx", "综治中心"),
            ("zfb", "综合行政执法办公室"),
            ("sfs", "司法所"),
            ("jjfz", "经济发展办公室"),
            ("ghjs", "规划建设办公室"),
            ("nync", "农业农村办公室"),
            ("shsw", "社会事务办公室"),
        ] {
            u.insert(code, self.create_unit_as(&sys, town.id, Some(root.id), code, name, UnitKind::Department).await?);
        }
        for (code, name) in [("qiaotou", "桥头村"), ("xitang", "西塘村"), ("longtan", "龙潭村")] {
            let v = self.create_unit_as(&sys, town.id, Some(root.id), code, name, UnitKind::Village).await?;
            for g in 1..=2 {
                let gc = format!("{code}-g{g}");
                let gn = format!("{name}第{}网格", ["一", "二"][g - 1]);
                let grid = self.create_unit_as(&sys, town.id, Some(v.id), &gc, &gn, UnitKind::Grid).await?;
                if g == 1 {
                    u.insert(
                        if code == "longtan" {
                            "longtan-g1"
                        } else if code == "xitang" {
                            "xitang-g1"
                        } else {
                            "qiaotou-g1"
                        },
                        grid,
                    );
                }
            }
            u.insert(code, v);
        }
        u.insert("aotou", root.clone());

        let mut staff: HashMap<&str, Staff> = HashMap::new();
        for (username, name, unit, role) in DEMO_USERS {
            let (tenant, unit) =
                if *unit == "conghua" { (district.id, ch.clone()) } else { (town.id, u[unit].clone()) };
            let actor_sys = if tenant == district.id { &dsys } else { &sys };
            let (user, _) = self
                .create_user_as(
                    actor_sys,
                    NewUser {
                        tenant,
                        unit: unit.id,
                        username: (*username).into(),
                        display_name: (*name).into(),
                        roles: vec![*role],
                        password: Some(DEMO_PASSWORD.into()),
                        must_change: false,
                    },
                )
                .await?;
            let actor = Actor {
                kind: fazhi_domain::case::ActorKind::Staff,
                user_id: Some(user.id),
                name: user.display_name.clone(),
                tenant_id: tenant,
                unit_id: Some(unit.id),
                unit_path: Some(unit.path.clone()),
                roles: vec![*role],
            };
            staff.insert(username, Staff { actor });
        }

        let (n, sample) = self.demo_work_orders(town.id, &u, &staff, &mut progress).await?;
        self.demo_report_draft(&town).await?;
        // Visits, disputes and petitions of the same year (demo_disputes.rs).
        let actors: HashMap<&str, Actor> = staff.iter().map(|(k, s)| (*k, s.actor.clone())).collect();
        self.demo_disputes(town.id, &u, &actors).await?;
        Ok(DemoReport { created: true, users: all_demo_users(), work_orders: n, sample_receipt: sample })
    }

    async fn demo_work_orders(
        &self,
        tenant: TenantId,
        u: &HashMap<&str, Unit>,
        staff: &HashMap<&str, Staff>,
        progress: &mut impl FnMut(usize, usize),
    ) -> Result<(usize, Option<(String, String)>)> {
        let cal = self.calendar();
        let units = self.units();
        let mut d =
            Driver { app: self, cal: &cal, units: &units, rng: ChaCha8Rng::seed_from_u64(2023), history: Vec::new() };
        let kind = self.kind("work_order")?;
        let clerk = &staff["clerk"].actor;
        let leader = &staff["leader"].actor;
        // Where orders go, with the handler who signs there.
        let targets: [(&str, &str, &str, u32); 6] = [
            ("longtan", "handler_longtan", "龙潭村", 26),
            ("xitang", "handler_xitang", "西塘村", 24),
            ("qiaotou", "handler_qiaotou", "桥头村", 22),
            ("ghjs", "handler_ghjs", "规划建设办公室", 12),
            ("shsw", "handler_shsw", "社会事务办公室", 9),
            ("nync", "handler_nync", "农业农村办公室", 7),
        ];
        let total_weight: u32 = targets.iter().map(|t| t.3).sum();

        // Registration dates: 4326 working-day slots spread over 2023, in order.
        let days: Vec<Date> = {
            let mut v = Vec::new();
            let mut x =
                Date::from_calendar_date(2023, Month::January, 1).map_err(|e| ServiceError::internal(e.to_string()))?;
            while x.year() == 2023 {
                if cal.is_working_day(x) {
                    v.push(x);
                }
                x = x.next_day().unwrap_or(x);
            }
            v
        };
        let mut opened: Vec<(Date, i64)> = (0..SEED_WORK_ORDERS_2023)
            .map(|i| (days[i * days.len() / SEED_WORK_ORDERS_2023], d.rng.random_range(8 * 60 + 30..17 * 60 + 30)))
            .collect();
        opened.sort();

        let mut batch: Vec<ImportCase> = Vec::new();
        let mut sample = None;
        for (i, (day, minute)) in opened.iter().enumerate() {
            let seq = i + 1;
            // Choose category, text, target.
            let (cat, texts) = TEXTS[[0, 1, 1, 2, 2, 2, 3, 4][d.rng.random_range(0..8)]];
            let (title, content) = texts[d.rng.random_range(0..texts.len())];
            let mut pick = d.rng.random_range(0..total_weight);
            let target = targets.iter().find(|t| {
                if pick < t.3 {
                    true
                } else {
                    pick -= t.3;
                    false
                }
            });
            let (unit_code, handler, place, _) = *target.unwrap_or(&targets[0]);
            let place = if unit_code.len() > 4 && place.ends_with('村') {
                place
            } else {
                ["龙潭村", "西塘村", "桥头村"][seq % 3]
            };
            let urgency = ["urgent", "normal", "normal", "normal", "normal", "normal", "normal", "complex"]
                [d.rng.random_range(0..8)];
            let r: u32 = d.rng.random_range(0..1000);
            let december = day.month() == Month::December && day.day() > 10;
            let plan = Plan {
                returned: r.is_multiple_of(37),
                extended: urgency != "urgent" && r % 53 == 1 && !december,
                late: r % 41 == 2 && !december,
                result: match r {
                    0..=899 => "satisfied",
                    900..=959 => "basic",
                    960..=979 if !december => "unsatisfied",
                    _ => "unreachable",
                },
            };
            let caller = format!(
                "{}{}",
                SURNAMES[d.rng.random_range(0..SURNAMES.len())],
                if r.is_multiple_of(2) { "先生" } else { "女士" }
            );
            let mut input = json!({
                "title": title.replace("{v}", place),
                "content": content.replace("{v}", place),
                "category": cat,
                "urgency": urgency,
                "caller_name": caller,
                "caller_phone": phone(&mut d.rng),
                "location": format!("鳌头镇{place}"),
                "hotline_no": format!("GZ12345-2023-{:07}", 1_000_000 + seq * 7),
            });
            if r % 10 == 3 {
                input["caller_idcard"] = json!(id_number(&mut d.rng));
            }
            let t0 = at(*day, *minute);
            let code = format!("{:06}", d.rng.random_range(0..1_000_000u32));
            let mut events = Vec::new();
            let ctx = ActCtx {
                actor: clerk,
                now: t0,
                calendar: &cal,
                settings: self.settings(),
                units: &*units,
                sealer: self.crypto(),
                event_on: None,
            };
            let id = CaseId::from_uuid(demo_ids(&mut d.rng, to_ms(t0)));
            let obj: Map<String, Json> = input.as_object().cloned().unwrap_or_default();
            let out = kind
                .open_case(NewCase { id, receipt_no: format!("AT-GD-2023-{seq:06}") }, &obj, &ctx)
                .map_err(|e| ServiceError::internal(format!("demo open: {e}")))?;
            events.push(d.event(&out, clerk, t0));
            let mut digests = out.digests.clone();
            let mut case = out.case;
            case.data.insert("query_code".into(), Json::String(self.crypto().seal(&code)));
            if sample.is_none() {
                sample = Some((case.receipt_no.clone(), code.clone()));
            }
            let handler_actor = &staff[handler].actor;
            let unit_id = u[unit_code].id.to_string();
            let mut t = t0 + Duration::minutes(d.rng.random_range(20..120));
            if plan.returned {
                // Sent to the wrong village first.
                let wrong = if unit_code == "longtan" { "xitang" } else { "longtan" };
                case = d.step(
                    &case,
                    clerk,
                    t,
                    "dispatch",
                    json!({"unit": u[wrong].id.to_string(), "note": "请核实办理"}),
                    &mut events,
                )?;
                t += Duration::minutes(d.rng.random_range(30..150));
                let wrong_handler = if wrong == "longtan" { "handler_longtan" } else { "handler_xitang" };
                case = d.step(
                    &case,
                    &staff[wrong_handler].actor,
                    t,
                    "return",
                    json!({"return_reason": format!("该事项位于{place}，不属本村辖区")}),
                    &mut events,
                )?;
                t += Duration::minutes(d.rng.random_range(10..60));
            }
            case = d.step(
                &case,
                clerk,
                t,
                "dispatch",
                json!({"unit": unit_id, "note": "请按时办理并答复来电人"}),
                &mut events,
            )?;
            t += Duration::minutes(d.rng.random_range(10..180));
            case = d.step(&case, handler_actor, t, "sign", json!({}), &mut events)?;
            let due = case.clocks.due_on().unwrap_or(*day);
            let mut reply_day = if plan.late {
                add_wd(&cal, due, d.rng.random_range(1..4))
            } else {
                let limit = u32::try_from((due - *day).whole_days()).unwrap_or(1).max(1);
                let span = d.rng.random_range(0..limit.min(4));
                working_on_or_after(&cal, day.checked_add(Duration::days(i64::from(span))).unwrap_or(*day)).min(due)
            };
            if plan.extended {
                t += Duration::hours(3);
                case = d.step(
                    &case,
                    handler_actor,
                    t,
                    "request_extension",
                    json!({"extension_days": 5, "extension_reason": "需协调相关部门现场核查"}),
                    &mut events,
                )?;
                t += Duration::hours(1);
                case = d.step(
                    &case,
                    leader,
                    t,
                    "approve_extension",
                    json!({"note": "同意延期，请抓紧办理"}),
                    &mut events,
                )?;
                reply_day = case.clocks.due_on().unwrap_or(reply_day);
                reply_day = add_wd(&cal, *day, 3).min(reply_day);
            }
            let mut reply_t = at(reply_day, d.rng.random_range(9 * 60..17 * 60)).max(t + Duration::minutes(30));
            if reply_t.year() > 2023 {
                reply_t = at(Date::from_calendar_date(2023, Month::December, 29).unwrap_or(*day), 16 * 60)
                    .max(t + Duration::minutes(5));
            }
            case = d.step(
                &case,
                handler_actor,
                reply_t,
                "reply",
                json!({"reply": "已现场核实并处理，处理结果已电话告知来电人。", "reply_method": "phone"}),
                &mut events,
            )?;
            let mut cb_t = reply_t + Duration::hours(d.rng.random_range(20..50));
            case = d.step(
                &case,
                clerk,
                cb_t,
                "callback",
                json!({"result": plan.result, "note": "已电话回访"}),
                &mut events,
            )?;
            if plan.result == "unsatisfied" {
                // 重办: the unit handles it again; the caller is satisfied the second time.
                cb_t += Duration::hours(d.rng.random_range(20..40));
                case = d.step(
                    &case,
                    handler_actor,
                    cb_t,
                    "reply",
                    json!({"reply": "已再次上门处理，问题已解决。", "reply_method": "in_person"}),
                    &mut events,
                )?;
                cb_t += Duration::hours(24);
                case = d.step(
                    &case,
                    clerk,
                    cb_t,
                    "callback",
                    json!({"result": "satisfied", "note": "重办后回访满意"}),
                    &mut events,
                )?;
            }
            let archive_t = cb_t + Duration::hours(d.rng.random_range(24..96));
            case = d.step(&case, clerk, archive_t, "archive", json!({}), &mut events)?;
            digests.sort();
            digests.dedup();
            batch.push(ImportCase {
                case,
                history: std::mem::take(&mut d.history),
                events,
                digests,
                query_digest: Some(self.crypto().digest("query", &code)),
            });
            if batch.len().is_multiple_of(100) {
                progress(batch.len(), SEED_WORK_ORDERS_2023);
            }
        }
        let current = self.demo_current_orders(tenant, u, staff, &mut d).await?;
        batch.extend(current);
        // One transaction: an interrupted load leaves no half of the year behind.
        self.store().import_cases(&batch).await?;
        progress(SEED_WORK_ORDERS_2023, SEED_WORK_ORDERS_2023);
        Ok((batch.len(), sample))
    }

    /// A handful of orders registered in the last two weeks, left in every open state.
    async fn demo_current_orders(
        &self,
        tenant: TenantId,
        u: &HashMap<&str, Unit>,
        staff: &HashMap<&str, Staff>,
        d: &mut Driver<'_>,
    ) -> Result<Vec<ImportCase>> {
        let _ = tenant;
        let cal = d.cal;
        let units = d.units;
        let kind = self.kind("work_order")?;
        let clerk = &staff["clerk"].actor;
        let today = local_date(self.now());
        let year = today.year();
        let mut out = Vec::new();
        // (days ago, where, how far it got)
        let plan: [(i64, &str, &str, &str); 12] = [
            (0, "longtan", "handler_longtan", "registered"),
            (1, "xitang", "handler_xitang", "registered"),
            (0, "longtan", "handler_longtan", "dispatched"),
            (2, "qiaotou", "handler_qiaotou", "dispatched"),
            (1, "longtan", "handler_longtan", "returned"),
            (3, "longtan", "handler_longtan", "handling"),
            (9, "longtan", "handler_longtan", "handling"),
            (12, "xitang", "handler_xitang", "handling"),
            (4, "ghjs", "handler_ghjs", "extension_requested"),
            (5, "longtan", "handler_longtan", "replied"),
            (6, "qiaotou", "handler_qiaotou", "replied"),
            (2, "shsw", "handler_shsw", "handling"),
        ];
        for (i, (ago, unit_code, handler, upto)) in plan.iter().enumerate() {
            let seq = i + 1;
            let (cat, texts) = TEXTS[i % TEXTS.len()];
            let (title, content) = texts[i % texts.len()];
            let place = ["龙潭村", "西塘村", "桥头村"][i % 3];
            let day = today.checked_sub(Duration::days(*ago)).unwrap_or(today);
            let t0 = at(day, 9 * 60 + 7 * i64::try_from(i).unwrap_or(0));
            let input = json!({
                "title": title.replace("{v}", place),
                "content": content.replace("{v}", place),
                "category": cat,
                "urgency": if i == 7 { "urgent" } else { "normal" },
                "caller_name": format!("{}女士", SURNAMES[i % SURNAMES.len()]),
                "caller_phone": phone(&mut d.rng),
                "location": format!("鳌头镇{place}"),
            });
            let ctx = ActCtx {
                actor: clerk,
                now: t0,
                calendar: cal,
                settings: self.settings(),
                units,
                sealer: self.crypto(),
                event_on: None,
            };
            let id = CaseId::from_uuid(demo_ids(&mut d.rng, to_ms(t0)));
            let obj = input.as_object().cloned().unwrap_or_default();
            let o = kind
                .open_case(NewCase { id, receipt_no: format!("AT-GD-{year}-9{seq:05}") }, &obj, &ctx)
                .map_err(|e| ServiceError::internal(format!("demo open: {e}")))?;
            let mut events = vec![d.event(&o, clerk, t0)];
            let mut case = o.case;
            let code = format!("{:06}", d.rng.random_range(0..1_000_000u32));
            case.data.insert("query_code".into(), Json::String(self.crypto().seal(&code)));
            let h = &staff[handler].actor;
            let t = t0 + Duration::minutes(30);
            if *upto != "registered" {
                let first = if *upto == "returned" { "xitang" } else { unit_code };
                case = d.step(&case, clerk, t, "dispatch", json!({"unit": u[first].id.to_string()}), &mut events)?;
            }
            if *upto == "returned" {
                case = d.step(
                    &case,
                    &staff["handler_xitang"].actor,
                    t + Duration::minutes(40),
                    "return",
                    json!({"return_reason": "该路段属龙潭村管辖"}),
                    &mut events,
                )?;
            }
            if matches!(*upto, "handling" | "extension_requested" | "replied") {
                case = d.step(&case, h, t + Duration::hours(1), "sign", json!({}), &mut events)?;
            }
            if *upto == "extension_requested" {
                case = d.step(
                    &case,
                    h,
                    t + Duration::hours(3),
                    "request_extension",
                    json!({"extension_days": 5, "extension_reason": "需等待区规划部门意见"}),
                    &mut events,
                )?;
            }
            if *upto == "replied" {
                case = d.step(
                    &case,
                    h,
                    t + Duration::hours(26),
                    "reply",
                    json!({"reply": "已安排维修，当天修复。", "reply_method": "phone"}),
                    &mut events,
                )?;
            }
            out.push(ImportCase {
                case,
                history: std::mem::take(&mut d.history),
                events,
                digests: o.digests,
                query_digest: Some(self.crypto().digest("query", &code)),
            });
        }
        Ok(out)
    }
}

/// username, name, unit code, role
const DEMO_USERS: &[(&str, &str, &str, Role)] = &[
    ("admin", "赵系统", "dzb", Role::SysAdmin),
    ("security", "钱安全", "dzb", Role::SecurityAdmin),
    ("auditor", "孙审计", "dzb", Role::AuditAdmin),
    ("clerk", "李晓梅", "zzzx", Role::IntakeClerk),
    ("leader", "王建国", "aotou", Role::Leader),
    ("handler_longtan", "陈志强", "longtan", Role::Handler),
    ("handler_xitang", "黄丽华", "xitang", Role::Handler),
    ("handler_qiaotou", "梁国平", "qiaotou", Role::Handler),
    ("handler_ghjs", "刘建新", "ghjs", Role::Handler),
    ("handler_shsw", "何秀英", "shsw", Role::Handler),
    ("handler_nync", "罗永康", "nync", Role::Handler),
    ("grid_longtan", "谢小军", "longtan-g1", Role::GridWorker),
    ("officer1", "邓执法", "zfb", Role::EnforcementOfficer),
    ("officer2", "钟执法", "zfb", Role::EnforcementOfficer),
    ("reviewer", "曾审核", "sfs", Role::LegalReviewer),
    ("mediator", "朱调解", "sfs", Role::Mediator),
    ("advisor", "潘律师", "sfs", Role::LegalAdvisor),
    ("sifasuo", "吴司法", "sfs", Role::JudicialOffice),
    ("district", "区司法局督查员", "conghua", Role::District),
];

fn all_demo_users() -> Vec<(String, String, String)> {
    let mut users = demo_users_listing();
    users.extend(crate::demo_disputes::users_listing());
    users
}

fn demo_users_listing() -> Vec<(String, String, String)> {
    DEMO_USERS.iter().map(|(u, _, unit, r)| ((*u).to_string(), r.label().to_string(), (*unit).to_string())).collect()
}
