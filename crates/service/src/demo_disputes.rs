//! The demo town's visits, disputes and petitions of 2023, reproducing the seed report's section
//! (四): "接待群众来访296批939人次，受理矛盾纠纷456宗，化解450宗，化解率98.68%，挽回群众财产损失
//! 2256.03万元；其中受理信访件432宗，求决类信访件一次性化解率98.54%，满意率99.62%，规定时间办结率
//! 100%；解决涉及迁坟、人身损害、劳资欠薪方面的重大疑难纠纷24宗" — and a few cases of the current
//! weeks left open in their working states.
//!
//! How the figures come about (each is a metric of the catalogue, counted from these cases):
//! * 296 visits are received (批), their people adding up to 939 (人次): 150 are turned into
//!   disputes and 90 into petitions in one click (a link both ways), 52 are answered on the spot, and
//!   4 are the same person back the same afternoon about the same matter, each registered and merged
//!   into the visit it repeats — received all the same (信访工作条例 counts receptions), one matter
//!   (292 来访事项).
//! * 461 disputes are registered: 3 declined (a party refused mediation), 2 merged into their
//!   original, 456 accepted; of these 450 end in a written or oral agreement, 4 in ended mediation
//!   and 2 are referred. The 450 agreements record ¥22,560,300 recovered in all. 24 of them — graves,
//!   personal injury, wage arrears — are flagged 重大疑难 and mediated by the town's committee.
//! * 439 petitions are registered: 5 申诉求决 matters are guided to other statutory procedures and 2
//!   are not accepted, so 432 are accepted (274 申诉求决, 98 建议意见, 60 检举控告). Every conclusion
//!   meets its deadline (8 after an approved, notified extension). Of the 274 claims, 270 are
//!   concluded at the first handling; 2 go to 复查 (upheld), 1 to 复查 and 复核 (upheld, final), and 1
//!   is sent back by its 复查 and concluded again: 270 / 274 = 98.54%. 265 petitioners evaluate the
//!   result, one of them not satisfied: 264 / 265 = 99.62%.
//!
//! Every case goes through the real workflow tables by the engine, action by action, at the time it
//! would have happened; the conversions and mergers write the same link events the service's use
//! cases write. Everything is then written in one transaction. Deterministic: a fixed seed gives the
//! same cases, texts, dates and outcomes every time.

use std::collections::HashMap;

use fazhi_domain::calendar::Calendar;
use fazhi_domain::case::{Actor, ActorKind, CaseRecord};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, EventId, TenantId, UnitId, uuid_v7_from};
use fazhi_domain::kinds::KindDef;
use fazhi_domain::petition;
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{CST, fmt_date, local_date, to_ms};
use fazhi_domain::unit::{Unit, UnitKind};
use fazhi_domain::visit;
use fazhi_domain::workflow::{ActCtx, NewCase, Outcome, Sealer};
use fazhi_store::{CaseFilter, CaseLink, ImportCase, LinkRelation, Scope};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value as Json, json};
use time::{Date, Duration, Month, OffsetDateTime, Time};

use crate::admin::NewUser;
use crate::demo::DEMO_PASSWORD;
use crate::links::{link_event, link_payload};
use crate::{App, Result, ServiceError};

/// 接待群众来访296批 …
pub const SEED_VISITS_2023: u64 = 296;
/// … 939人次.
pub const SEED_VISIT_PERSONS_2023: i64 = 939;
/// Visits answered on the spot, and the repeat visits among them (one person each).
const ANSWERED_VISITS: usize = 52;
const REPEAT_VISITS: i64 = 4;
/// 受理矛盾纠纷456宗 …
pub const SEED_DISPUTES_2023: u64 = 456;
/// … 化解450宗.
pub const SEED_RESOLVED_2023: u64 = 450;
/// 挽回群众财产损失2256.03万元 (¥22,560,300).
pub const SEED_RECOVERED_YUAN_2023: i64 = 22_560_300;
/// 受理信访件432宗.
pub const SEED_PETITIONS_2023: u64 = 432;
/// 重大疑难纠纷24宗.
pub const SEED_MAJOR_2023: u64 = 24;

/// What this part of the demo made.
#[derive(Debug, Clone, Default)]
pub struct DemoDisputes {
    pub visits: usize,
    pub disputes: usize,
    pub petitions: usize,
}

/// username, name, unit code, role: the village mediators and the discipline office's handler.
const USERS: &[(&str, &str, &str, Role)] = &[
    ("mediator_longtan", "陈村调", "longtan", Role::Mediator),
    ("mediator_xitang", "黄村调", "xitang", Role::Mediator),
    ("mediator_qiaotou", "梁村调", "qiaotou", Role::Mediator),
    ("handler_jjjc", "纪检监察员", "jjjc", Role::Handler),
];

/// The users this part adds, as the demo lists them (username, role label, unit code).
pub fn users_listing() -> Vec<(String, String, String)> {
    USERS.iter().map(|(u, _, unit, r)| ((*u).to_string(), r.label().to_string(), (*unit).to_string())).collect()
}

const VILLAGES: [(&str, &str); 3] = [("longtan", "龙潭村"), ("xitang", "西塘村"), ("qiaotou", "桥头村")];

const SURNAMES: [&str; 16] =
    ["陈", "李", "黄", "张", "梁", "刘", "何", "罗", "谢", "邓", "钟", "曾", "欧阳", "朱", "潘", "吴"];
const GIVEN: [&str; 12] =
    ["志明", "秀英", "国强", "丽华", "建新", "桂芳", "伟权", "玉梅", "永康", "小红", "家豪", "凤娟"];

/// Dispute texts by category: (title, content); {v} is the village.
const DISPUTE_TEXTS: [(&str, [(&str, &str); 2]); 10] = [
    (
        "marriage_family",
        [
            ("{v}离婚财产分割纠纷", "双方因离婚后宅基地房屋归属及子女抚养费分担发生争执。"),
            ("{v}赡养老人纠纷", "兄弟三人就母亲赡养费用分摊及轮流照顾问题产生矛盾。"),
        ],
    ),
    (
        "neighbour",
        [
            ("{v}邻里排水纠纷", "两户因屋檐滴水及排水沟走向发生争执，多次口角。"),
            ("{v}邻里通行纠纷", "一方在巷道堆放杂物阻碍通行，双方发生纠纷。"),
        ],
    ),
    (
        "land_forest",
        [
            ("{v}山林界址纠纷", "两个村民小组就交界处山林界址及林木归属发生争议。"),
            ("{v}承包地边界纠纷", "两户因承包地田埂边界位置发生争执。"),
        ],
    ),
    (
        "wages",
        [
            ("{v}工地拖欠工资纠纷", "多名工人反映在{v}附近工地务工被拖欠工资，多次催讨未果。"),
            ("{v}工厂拖欠工资纠纷", "工人反映所在工厂停产后拖欠两个月工资。"),
        ],
    ),
    (
        "injury",
        [
            ("{v}交通事故人身损害赔偿纠纷", "一方驾驶摩托车与行人相撞致其受伤，双方就赔偿金额协商未果。"),
            ("{v}务工受伤赔偿纠纷", "工人在建房施工中摔伤，与雇主就医疗费、误工费赔偿发生争议。"),
        ],
    ),
    (
        "graves",
        [
            ("{v}迁坟补偿纠纷", "因道路建设需迁移祖坟，村民就迁坟补偿标准及安置地点提出异议。"),
            ("{v}祖坟占地纠纷", "两个家族就山地祖坟占地范围及修缮发生争执。"),
        ],
    ),
    (
        "contract",
        [
            ("{v}房屋买卖合同纠纷", "双方就农村房屋买卖合同履行及尾款支付发生争议。"),
            ("{v}鱼塘承包合同纠纷", "承包方与村民小组就鱼塘承包费及合同续期发生纠纷。"),
        ],
    ),
    (
        "social_insurance",
        [
            ("{v}企业欠缴社保费纠纷", "员工与企业就未足额缴纳社会保险费发生争议，经社保争议联合处置中心调处。"),
            ("{v}工伤保险待遇纠纷", "员工工伤后与企业就工伤保险待遇支付发生争议。"),
        ],
    ),
    (
        "homestead",
        [
            ("{v}宅基地使用纠纷", "两户因宅基地使用范围及建房位置发生争执。"),
            ("{v}建房采光纠纷", "一方新建房屋加高后影响邻居采光，双方发生争执。"),
        ],
    ),
    (
        "other",
        [
            ("{v}养殖噪音纠纷", "村民反映邻近养殖场噪音及气味影响生活，与经营者发生争执。"),
            ("{v}借款纠纷", "双方因民间借款到期未还发生争执。"),
        ],
    ),
];

/// Petition texts by category; {v} is a village, {u} the accused unit.
const PETITION_TEXTS: [(&str, [(&str, &str); 3]); 3] = [
    (
        "claim",
        [
            ("请求解决{v}宅基地确权登记问题", "信访人请求协调办理其宅基地确权登记，反映材料已提交多时未办结。"),
            ("请求落实{v}征地补偿款", "信访人反映其承包地被征收后补偿款未足额发放，请求核查落实。"),
            ("请求核查{v}低保待遇问题", "信访人请求核查其家庭最低生活保障资格并恢复待遇。"),
        ],
    ),
    (
        "suggestion",
        [
            ("建议在{v}增设公交站点", "信访人建议在{v}村口增设公交站点，方便老人和学生出行。"),
            ("建议完善{v}文化广场设施", "信访人建议为{v}文化广场增设照明和健身器材。"),
            ("建议加强{v}河涌保洁", "信访人建议加强{v}河涌日常保洁，防止垃圾堆积。"),
        ],
    ),
    (
        "accusation",
        [
            ("反映{u}工作人员作风问题", "信访人反映有关工作人员在办理业务时态度生硬、推诿拖延。"),
            ("反映{u}违规收取费用问题", "信访人反映办理有关手续时被收取不合理费用。"),
            ("反映{u}工作人员优亲厚友问题", "信访人反映有关工作人员在评定补助对象时优亲厚友。"),
        ],
    ),
];

fn texts<'t>(table: &'t [(&str, [(&'t str, &'t str); 2])], code: &str) -> &'t [(&'t str, &'t str); 2] {
    table.iter().find(|(c, _)| *c == code).map_or(&table[table.len() - 1].1, |(_, t)| t)
}

fn at(d: Date, minutes: i64) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_offset(CST) + Duration::minutes(minutes)
}

/// The working day on or after `d`.
fn working(cal: &Calendar, mut d: Date) -> Date {
    while !cal.is_working_day(d) {
        d = d.next_day().unwrap_or(d);
    }
    d
}

/// The working day `n` calendar days after `d` (or the next working day after that).
fn later(cal: &Calendar, d: Date, n: i64) -> Date {
    working(cal, d.checked_add(Duration::days(n)).unwrap_or(d))
}

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

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap_or_default()
}

/// A case being made: the record, its events so far, its identifier digests, its query code's
/// digest.
struct Life {
    case: CaseRecord,
    /// The versions before `case`.
    history: Vec<CaseRecord>,
    events: Vec<Event>,
    digests: Vec<(String, String)>,
    query_digest: String,
}

impl Life {
    fn into_import(mut self) -> ImportCase {
        self.digests.sort();
        self.digests.dedup();
        ImportCase {
            case: self.case,
            history: self.history,
            events: self.events,
            digests: self.digests,
            query_digest: Some(self.query_digest),
        }
    }
}

/// How a dispute of the plan ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DisputeEnd {
    Resolved,
    Failed,
    Referred,
    Declined,
}

#[derive(Debug, Clone)]
struct DisputePlan {
    category: &'static str,
    end: DisputeEnd,
    major: bool,
    /// Fen recovered (resolved disputes).
    recovered: i64,
    written: bool,
    confirm: bool,
    extend: bool,
    partial_first: bool,
    /// A second registration of the same dispute, merged into this one.
    repeat: bool,
    from_visit: bool,
    village: usize,
    at_town: bool,
    day: Date,
}

/// How a petition of the plan goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PetitionPath {
    OneTime,
    ReviewUpheld,
    Final,
    Reopened,
    Redirected,
    NotAccepted,
}

#[derive(Debug, Clone)]
struct PetitionPlan {
    category: &'static str,
    path: PetitionPath,
    extend: bool,
    rating: Option<&'static str>,
    accused: Option<&'static str>,
    handler: usize,
    channel: &'static str,
    from_visit: bool,
    day: Date,
}

/// A visit of the plan.
#[derive(Debug, Clone)]
enum VisitEnd {
    ToDispute(usize),
    ToPetition(usize),
    Answered { repeat: bool },
}

struct Gen<'a> {
    app: &'a App,
    cal: &'a Calendar,
    units: &'a HashMap<UnitId, Unit>,
    u: &'a HashMap<&'a str, Unit>,
    staff: &'a HashMap<&'a str, Actor>,
    tenant_code: String,
    rng: ChaCha8Rng,
    seq: HashMap<&'static str, u32>,
    /// Receipt numbers of the current weeks start at 900001, clear of live numbering.
    current: bool,
    batch: Vec<ImportCase>,
    links: Vec<CaseLink>,
}

impl<'a> Gen<'a> {
    fn actor(&self, name: &str) -> Result<&'a Actor> {
        self.staff.get(name).ok_or_else(|| ServiceError::internal(format!("demo user {name} missing")))
    }

    fn ctx<'c>(&'c self, actor: &'c Actor, t: OffsetDateTime) -> ActCtx<'c> {
        ActCtx {
            actor,
            now: t,
            calendar: self.cal,
            settings: self.app.settings(),
            units: self.units,
            sealer: self.app.crypto(),
            event_on: None,
        }
    }

    fn uuid(&mut self, t: OffsetDateTime) -> uuid::Uuid {
        uuid_v7_from(to_ms(t), self.rng.random())
    }

    fn unit(&self, code: &str) -> Result<&'a Unit> {
        self.u.get(code).ok_or_else(|| ServiceError::internal(format!("demo unit {code} missing")))
    }

    fn event(&mut self, out: &Outcome, actor: &Actor, t: OffsetDateTime) -> Event {
        let ms = to_ms(t);
        Event {
            id: EventId::from_uuid(self.uuid(t)),
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

    fn kind(&self, slug: &str) -> Result<&'a KindDef> {
        self.app.kind(slug)
    }

    fn open(&mut self, slug: &'static str, actor: &Actor, t: OffsetDateTime, input: Json) -> Result<Life> {
        let kind = self.kind(slug)?;
        let n = self.seq.entry(slug).or_insert(0);
        *n += 1;
        let seq = *n;
        let year = t.to_offset(CST).year();
        let receipt = if self.current {
            format!("{}-{}-{year}-9{seq:05}", self.tenant_code, kind.receipt_code)
        } else {
            format!("{}-{}-{year}-{seq:06}", self.tenant_code, kind.receipt_code)
        };
        let id = CaseId::from_uuid(self.uuid(t));
        let out = {
            let ctx = self.ctx(actor, t);
            kind.open_case(NewCase { id, receipt_no: receipt }, &obj(input), &ctx)
                .map_err(|e| ServiceError::internal(format!("demo {slug} open: {e}")))?
        };
        let ev = self.event(&out, actor, t);
        let code = format!("{:06}", self.rng.random_range(0..1_000_000u32));
        let mut case = out.case;
        case.data.insert("query_code".into(), Json::String(self.app.crypto().seal(&code)));
        Ok(Life {
            case,
            history: Vec::new(),
            events: vec![ev],
            digests: out.digests,
            query_digest: self.app.crypto().digest("query", &code),
        })
    }

    fn apply(
        &mut self,
        life: &mut Life,
        actor: &Actor,
        t: OffsetDateTime,
        action: &str,
        input: Json,
        internal: bool,
    ) -> Result<()> {
        let kind = self.kind(&life.case.kind)?;
        let out = {
            let ctx = self.ctx(actor, t);
            let input = obj(input);
            if internal {
                kind.act_internal(&life.case, action, &input, &ctx)
            } else {
                kind.act(&life.case, action, &input, &ctx)
            }
            .map_err(|e| {
                ServiceError::internal(format!("demo {} {action} ({}): {e}", life.case.kind, life.case.receipt_no))
            })?
        };
        let ev = self.event(&out, actor, t);
        life.events.push(ev);
        life.digests.extend(out.digests);
        life.history.push(std::mem::replace(&mut life.case, out.case));
        Ok(())
    }

    fn step(&mut self, life: &mut Life, actor: &Actor, t: OffsetDateTime, action: &str, input: Json) -> Result<()> {
        self.apply(life, actor, t, action, input, false)
    }

    /// The event a link leaves on a case (as the service's link use cases write it).
    fn touch(&mut self, life: &mut Life, actor: &Actor, t: OffsetDateTime, label: &str, payload: Json) {
        let id = EventId::from_uuid(self.uuid(t));
        let (case, ev) = link_event(&life.case, actor, label, payload, to_ms(t), id);
        life.history.push(std::mem::replace(&mut life.case, case));
        life.events.push(ev);
    }

    fn link(
        &mut self,
        from: &CaseRecord,
        to: &CaseRecord,
        relation: LinkRelation,
        note: &str,
        actor: &Actor,
        t: OffsetDateTime,
    ) {
        let mut l = CaseLink::new(from.tenant_id, from.id, to.id, relation, note, actor.user_id, to_ms(t));
        l.id = self.uuid(t).to_string();
        self.links.push(l);
    }

    fn person(&mut self) -> String {
        format!(
            "{}{}",
            SURNAMES[self.rng.random_range(0..SURNAMES.len())],
            GIVEN[self.rng.random_range(0..GIVEN.len())]
        )
    }

    /// Turns a registered visit into a new case the way [`App::convert_visit`] does: the new
    /// case's form is the visit's carried over plus `extra`, the visit takes the internal
    /// `convert` action, the new case gets its link event, and the link is recorded.
    fn convert(
        &mut self,
        visit_life: &mut Life,
        visit_input: &Json,
        target: &'static str,
        extra: Json,
        actor: &Actor,
        t: OffsetDateTime,
    ) -> Result<Life> {
        let mut input = Map::new();
        let (pairs, defaults) = self.app.kinds().conversion(&visit_life.case.kind, target).unwrap_or_default();
        for (from, to, _) in pairs {
            if let Some(v) = visit_input.get(from) {
                input.insert(to.to_string(), v.clone());
            }
        }
        for (k, v) in defaults {
            input.insert(k.to_string(), Json::String(v.to_string()));
        }
        for (k, v) in obj(extra) {
            input.insert(k, v);
        }
        let mut new = self.open(target, actor, t, Json::Object(input))?;
        let mut convert = json!({"target_kind": target, "target_case": new.case.id.to_string()});
        if let Some((unit, _)) = fazhi_domain::workflow::shared::confidential(&new.case.data) {
            convert["accused_unit"] = json!(unit.to_string());
        }
        self.apply(visit_life, actor, t, "convert", convert, true)?;
        self.touch(&mut new, actor, t, "由来访转入", link_payload(LinkRelation::Converted, &visit_life.case, ""));
        let (v, n) = (visit_life.case.clone(), new.case.clone());
        self.link(&v, &n, LinkRelation::Converted, "", actor, t);
        Ok(new)
    }
}

/// The working days of 2023 up to `last` (inclusive).
fn days_2023(cal: &Calendar, last: Date) -> Result<Vec<Date>> {
    let mut v = Vec::new();
    let mut x = date(2023, Month::January, 3)?;
    while x <= last {
        if cal.is_working_day(x) {
            v.push(x);
        }
        match x.next_day() {
            Some(n) => x = n,
            None => break,
        }
    }
    Ok(v)
}

fn date(y: i32, m: Month, d: u8) -> Result<Date> {
    Date::from_calendar_date(y, m, d).map_err(|e| ServiceError::internal(e.to_string()))
}

/// Spreads `n` items over `days`, in order.
fn spread(days: &[Date], n: usize) -> Vec<Date> {
    (0..n).map(|i| days[i * days.len() / n.max(1)]).collect()
}

/// Shares `total` out in proportion to `weights`, exactly (the remainder goes to the largest).
fn share(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i64 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut out: Vec<i64> = weights
        .iter()
        .map(|w| i64::try_from(i128::from(total) * i128::from(*w) / i128::from(sum)).unwrap_or(0))
        .collect();
    let rest = total - out.iter().sum::<i64>();
    if let Some((i, _)) = weights.iter().enumerate().max_by_key(|(i, w)| (**w, usize::MAX - i)) {
        out[i] += rest;
    }
    out
}

fn dispute_plans(rng: &mut ChaCha8Rng, days: &[Date]) -> Vec<DisputePlan> {
    const SLOTS: usize = 459;
    let declined = [40usize, 200, 380];
    let failed = [77usize, 158, 291, 412];
    let referred = [105usize, 333];
    let repeat = [120usize, 260];
    // 24 major difficult disputes (graves, personal injury, wage arrears), spread over the year.
    let major: Vec<usize> = (0..24).map(|k| 9 + k * 19).collect();
    let weighted: [(&str, u32); 9] = [
        ("marriage_family", 18),
        ("neighbour", 24),
        ("land_forest", 12),
        ("wages", 14),
        ("injury", 8),
        ("contract", 10),
        ("social_insurance", 8),
        ("homestead", 10),
        ("other", 6),
    ];
    let total_w: u32 = weighted.iter().map(|w| w.1).sum();
    let dates = spread(days, SLOTS);
    let mut plans: Vec<DisputePlan> = Vec::new();
    for (i, day) in dates.into_iter().enumerate() {
        let is_major = major.contains(&i);
        let category = if is_major {
            // 10 about graves, 8 personal injury, 6 wage arrears: the report names them in that
            // order (most first), as the seed does.
            match major.iter().position(|m| *m == i).unwrap_or(0) % 12 {
                0 | 3 | 6 | 8 | 10 => "graves",
                1 | 4 | 7 | 11 => "injury",
                _ => "wages",
            }
        } else {
            let mut pick = rng.random_range(0..total_w);
            weighted
                .iter()
                .find(|(_, w)| {
                    if pick < *w {
                        true
                    } else {
                        pick -= *w;
                        false
                    }
                })
                .map_or("other", |(c, _)| *c)
        };
        let end = if declined.contains(&i) {
            DisputeEnd::Declined
        } else if failed.contains(&i) {
            DisputeEnd::Failed
        } else if referred.contains(&i) {
            DisputeEnd::Referred
        } else {
            DisputeEnd::Resolved
        };
        let r: u32 = rng.random_range(0..1000);
        plans.push(DisputePlan {
            category,
            end,
            major: is_major,
            recovered: 0,
            written: is_major || r < 650,
            confirm: (is_major && i % 2 == 0) || r % 6 == 1,
            extend: (is_major && i % 3 == 0) || r % 13 == 5,
            partial_first: r % 10 == 7,
            repeat: repeat.contains(&i),
            from_visit: false,
            village: rng.random_range(0..VILLAGES.len()),
            at_town: is_major || r.is_multiple_of(5),
            day,
        });
    }
    // What was recovered: large sums for the major disputes, modest or none for the others; shared
    // out so the year adds up to the seed's ¥22,560,300 exactly.
    let weights: Vec<i64> =
        plans
            .iter()
            .map(|p| match (p.end, p.major, p.category) {
                (DisputeEnd::Resolved, true, _) => rng.random_range(300..1500),
                (DisputeEnd::Resolved, false, "marriage_family" | "neighbour" | "other") => {
                    if rng.random_range(0..10) < 6 { 0 } else { rng.random_range(1..20) }
                }
                (DisputeEnd::Resolved, false, _) => rng.random_range(5..80),
                _ => 0,
            })
            .collect();
    let yuan = share(SEED_RECOVERED_YUAN_2023, &weights);
    for (p, y) in plans.iter_mut().zip(yuan) {
        p.recovered = y * 100;
    }
    // 150 of them came in as visits (never the declined ones).
    let mut picked = 0;
    for k in 0..SLOTS {
        let i = (k * 53) % SLOTS;
        if picked < 150 && plans[i].end != DisputeEnd::Declined {
            plans[i].from_visit = true;
            picked += 1;
        }
    }
    plans
}

fn petition_plans(rng: &mut ChaCha8Rng, days: &[Date]) -> Vec<PetitionPlan> {
    const SLOTS: usize = 439;
    let dates = spread(days, SLOTS);
    let accused_units = ["longtan", "xitang", "qiaotou", "zfb", "ghjs", "sfs", "nync", "shsw"];
    let mut plans = Vec::new();
    let (mut claims, mut suggestions, mut accusations) = (0, 0, 0);
    for (i, day) in dates.into_iter().enumerate() {
        // 279 申诉求决 (274 accepted, 5 guided elsewhere), 98 建议意见, 60 检举控告, 2 not accepted.
        let (category, path) = match i {
            61 => ("claim", PetitionPath::NotAccepted),
            300 => ("suggestion", PetitionPath::NotAccepted),
            50 | 140 | 230 | 320 | 410 => ("claim", PetitionPath::Redirected),
            _ => match i % 7 {
                0 if accusations < 60 => ("accusation", PetitionPath::OneTime),
                1 | 4 if suggestions < 98 => ("suggestion", PetitionPath::OneTime),
                _ if claims < 274 => ("claim", PetitionPath::OneTime),
                _ if suggestions < 98 => ("suggestion", PetitionPath::OneTime),
                _ => ("accusation", PetitionPath::OneTime),
            },
        };
        if path == PetitionPath::OneTime {
            match category {
                "claim" => claims += 1,
                "suggestion" => suggestions += 1,
                _ => accusations += 1,
            }
        }
        let channel = ["letter", "online", "phone", "online", "letter", "fax", "online"][rng.random_range(0..7)];
        plans.push(PetitionPlan {
            category,
            path,
            extend: false,
            rating: None,
            accused: (category == "accusation").then(|| accused_units[accusations % accused_units.len()]),
            handler: rng.random_range(0..6),
            channel,
            from_visit: false,
            day,
        });
    }
    // The four claims that were not resolved at the first handling, and eight extended ones.
    let claim_idx: Vec<usize> =
        (0..SLOTS).filter(|i| plans[*i].category == "claim" && plans[*i].path == PetitionPath::OneTime).collect();
    for (k, path) in [
        (20, PetitionPath::ReviewUpheld),
        (90, PetitionPath::ReviewUpheld),
        (150, PetitionPath::Final),
        (210, PetitionPath::Reopened),
    ] {
        plans[claim_idx[k]].path = path;
    }
    for k in [11usize, 44, 77, 110, 143, 176, 199, 240] {
        plans[claim_idx[k]].extend = true;
    }
    // 265 evaluations: the final one not satisfied, 264 satisfied or basically satisfied.
    let mut accepted: Vec<usize> = (0..SLOTS)
        .filter(|i| {
            !matches!(plans[*i].path, PetitionPath::Redirected | PetitionPath::NotAccepted | PetitionPath::Final)
        })
        .collect();
    for i in (1..accepted.len()).rev() {
        let j = rng.random_range(0..=i);
        accepted.swap(i, j);
    }
    for (n, i) in accepted.into_iter().take(264).enumerate() {
        plans[i].rating = Some(if n % 9 == 4 { "basic" } else { "satisfied" });
    }
    if let Some(f) = plans.iter_mut().find(|p| p.path == PetitionPath::Final) {
        f.rating = Some("unsatisfied");
    }
    // 90 came in as visits.
    let mut picked = 0;
    for k in 0..SLOTS {
        let i = (k * 37) % SLOTS;
        if picked < 90 && !matches!(plans[i].path, PetitionPath::NotAccepted) {
            plans[i].from_visit = true;
            picked += 1;
        }
    }
    plans
}

impl App {
    /// Adds the discipline office, the village mediators and the year of visits, disputes and
    /// petitions to the demo town (called by [`App::load_demo`] after the work orders).
    ///
    /// # Errors
    /// Database errors; a step the workflow refuses (a bug in the plan).
    pub async fn demo_disputes(
        &self,
        tenant: TenantId,
        units: &HashMap<&str, Unit>,
        staff: &HashMap<&str, Actor>,
    ) -> Result<DemoDisputes> {
        let sys = Actor::system(tenant);
        let root = units.get("aotou").ok_or_else(|| ServiceError::internal("demo town root missing"))?;
        let jjjc =
            self.create_unit_as(&sys, tenant, Some(root.id), "jjjc", "纪检监察办公室", UnitKind::Department).await?;
        let mut u: HashMap<&str, Unit> = units.iter().map(|(k, v)| (*k, v.clone())).collect();
        u.insert("jjjc", jjjc);
        let mut actors: HashMap<&str, Actor> = staff.iter().map(|(k, v)| (*k, v.clone())).collect();
        for (username, name, unit, role) in USERS {
            let unit =
                u.get(unit).cloned().ok_or_else(|| ServiceError::internal(format!("demo unit {unit} missing")))?;
            let (user, _) = self
                .create_user_as(
                    &sys,
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
            actors.insert(
                username,
                Actor {
                    kind: ActorKind::Staff,
                    user_id: Some(user.id),
                    name: user.display_name.clone(),
                    tenant_id: tenant,
                    unit_id: Some(unit.id),
                    unit_path: Some(unit.path.clone()),
                    roles: vec![*role],
                },
            );
        }
        let cal = self.calendar();
        let all_units = self.units();
        let tenant_code = self.tenant(tenant).map(|t| t.code).unwrap_or_else(|| "AT".into());
        let mut g = Gen {
            app: self,
            cal: &cal,
            units: &all_units,
            u: &u,
            staff: &actors,
            tenant_code,
            rng: ChaCha8Rng::seed_from_u64(2_256_030),
            seq: HashMap::new(),
            current: false,
            batch: Vec::new(),
            links: Vec::new(),
        };
        let made = g.year_2023()?;
        g.current = true;
        g.seq.clear();
        // The work-order demo numbers its current orders from 900001; the one a visit becomes here
        // comes after them.
        g.seq.insert("work_order", 100);
        g.current_weeks(local_date(self.now()))?;
        let (batch, links) = (std::mem::take(&mut g.batch), std::mem::take(&mut g.links));
        // One transaction: an interrupted load leaves nothing of this part behind.
        self.store().import_linked(&batch, &links).await?;
        Ok(made)
    }

    /// Whether this part of the demo is in place (a load interrupted after the work orders is not).
    ///
    /// # Errors
    /// Database errors.
    pub async fn demo_disputes_present(&self, tenant: TenantId) -> Result<bool> {
        let filter = CaseFilter { kind: Some(visit::SLUG.into()), ..Default::default() };
        Ok(self.store().count_cases(&Scope::tenant(tenant), &filter).await? > 0)
    }
}

impl Gen<'_> {
    fn year_2023(&mut self) -> Result<DemoDisputes> {
        let cal = self.cal;
        let dispute_days = days_2023(cal, date(2023, Month::November, 24)?)?;
        let petition_days = days_2023(cal, date(2023, Month::November, 10)?)?;
        let visit_days = days_2023(cal, date(2023, Month::December, 22)?)?;
        let disputes = dispute_plans(&mut self.rng, &dispute_days);
        let petitions = petition_plans(&mut self.rng, &petition_days);

        // The visits: those turned into disputes and petitions come on their day; 52 others are
        // answered on the spot (4 of them visited again, alone, the same day).
        enum Intake {
            Visit(VisitEnd),
            Dispute(usize),
            Petition(usize),
        }
        let mut intakes: Vec<(OffsetDateTime, Intake)> = Vec::new();
        for (i, p) in disputes.iter().enumerate() {
            let t = at(p.day, self.rng.random_range(8 * 60 + 30..16 * 60));
            intakes.push((t, if p.from_visit { Intake::Visit(VisitEnd::ToDispute(i)) } else { Intake::Dispute(i) }));
        }
        for (i, p) in petitions.iter().enumerate() {
            let t = at(p.day, self.rng.random_range(8 * 60 + 30..16 * 60));
            intakes.push((t, if p.from_visit { Intake::Visit(VisitEnd::ToPetition(i)) } else { Intake::Petition(i) }));
        }
        for (k, day) in spread(&visit_days, ANSWERED_VISITS).into_iter().enumerate() {
            let t = at(day, self.rng.random_range(8 * 60 + 30..16 * 60));
            intakes.push((t, Intake::Visit(VisitEnd::Answered { repeat: matches!(k, 7 | 21 | 35 | 49) })));
        }
        intakes.sort_by_key(|(t, _)| *t);

        // People per visit: 22 group visits, the rest one to a few, adding up to 939 with the one
        // person of each repeat visit.
        let n_visits = intakes.iter().filter(|(_, i)| matches!(i, Intake::Visit(_))).count();
        let target = SEED_VISIT_PERSONS_2023 - REPEAT_VISITS;
        let mut people: Vec<i64> = (0..n_visits)
            .map(|k| if k % 13 == 6 { self.rng.random_range(6..=25) } else { self.rng.random_range(1..=3) })
            .collect();
        let mut total: i64 = people.iter().sum();
        while total != target {
            let k = self.rng.random_range(0..n_visits);
            if k % 13 == 6 {
                continue;
            }
            if total < target && people[k] < 5 {
                people[k] += 1;
                total += 1;
            } else if total > target && people[k] > 1 {
                people[k] -= 1;
                total -= 1;
            }
        }

        let mut made = DemoDisputes::default();
        let mut visit_no = 0;
        for (t, intake) in intakes {
            match intake {
                Intake::Visit(end) => {
                    let n = people[visit_no];
                    visit_no += 1;
                    let registered = self.visit_2023(t, n, end, &disputes, &petitions, &mut made)?;
                    made.visits += registered;
                }
                Intake::Dispute(i) => {
                    made.disputes += self.dispute_2023(&disputes[i], None, t)?;
                }
                Intake::Petition(i) => {
                    made.petitions += self.petition_2023(&petitions[i], None, t)?;
                }
            }
        }
        Ok(made)
    }

    /// A visit of 2023 and what it became. Returns how many visits were registered.
    fn visit_2023(
        &mut self,
        t: OffsetDateTime,
        people: i64,
        end: VisitEnd,
        disputes: &[DisputePlan],
        petitions: &[PetitionPlan],
        made: &mut DemoDisputes,
    ) -> Result<usize> {
        let clerk = self.actor("clerk")?;
        let (vcode, vname) = VILLAGES[self.rng.random_range(0..VILLAGES.len())];
        let (title, content, matter) = match &end {
            VisitEnd::ToDispute(i) => {
                let p = &disputes[*i];
                let (ti, co) = texts(&DISPUTE_TEXTS, p.category)[self.rng.random_range(0..2)];
                (ti.replace("{v}", VILLAGES[p.village].1), co.replace("{v}", VILLAGES[p.village].1), "conflict")
            }
            VisitEnd::ToPetition(i) => {
                let p = &petitions[*i];
                let (ti, co) = self.petition_text(p)?;
                (ti, co, "appeal")
            }
            VisitEnd::Answered { .. } => {
                let (ti, co, m) = [
                    ("咨询{v}宅基地建房审批手续", "来访人咨询农村宅基地建房审批所需材料和办理流程。", "consult"),
                    ("咨询劳动合同解除补偿", "来访人咨询被辞退后经济补偿金的计算标准。", "consult"),
                    ("咨询遗产继承办理", "来访人咨询父母遗留房屋的继承手续及所需证明。", "consult"),
                    ("求助办理法律援助", "来访人因交通事故受伤，求助申请法律援助。", "help"),
                    ("反映{v}路灯损坏", "来访人反映{v}村道路灯损坏，请求转有关部门维修。", "complaint"),
                ][self.rng.random_range(0..5)];
                (ti.replace("{v}", vname), co.replace("{v}", vname), m)
            }
        };
        let name = self.person();
        let mut input = json!({
            "title": title,
            "content": content,
            "category": matter,
            "visitor_count": people,
            "party_name": name,
            "party_phone": phone(&mut self.rng),
            "party_address": format!("鳌头镇{vname}"),
            "received_by": "综治中心 李晓梅",
        });
        // 第二十条: a group names representatives, at most five and never more than came.
        if people > 5 || (people > 1 && self.rng.random_range(0..2) == 0) {
            let more = self.rng.random_range(0..3).min(people - 1);
            let mut reps = vec![name.clone()];
            for _ in 0..more {
                reps.push(self.person());
            }
            input["representatives"] = json!(reps.join("、"));
        }
        if self.rng.random_range(0..10) < 3 {
            input["party_idcard"] = json!(id_number(&mut self.rng));
        }
        // 村（居）法律顾问坐岗接访: some visits are received at the village.
        if self.rng.random_range(0..5) == 0 {
            input["receiving_unit"] = json!(self.unit(vcode)?.id.to_string());
            input["received_by"] = json!(format!("{vname}法律顾问"));
        }
        let mut life = self.open("visit", clerk, t, input.clone())?;
        let mut count = 1;
        let t1 = t + Duration::minutes(30);
        match end {
            VisitEnd::ToDispute(i) => {
                let extra = self.dispute_extra(&disputes[i]);
                let d = self.convert(&mut life, &input, "dispute", extra, clerk, t1)?;
                made.disputes += self.dispute_2023(&disputes[i], Some(d), t1)?;
            }
            VisitEnd::ToPetition(i) => {
                let extra = self.petition_extra(&petitions[i])?;
                let p = self.convert(&mut life, &input, "petition", extra, clerk, t1)?;
                made.petitions += self.petition_2023(&petitions[i], Some(p), t1)?;
            }
            VisitEnd::Answered { repeat } => {
                self.step(
                    &mut life,
                    clerk,
                    t + Duration::minutes(20),
                    "reply",
                    json!({"reply": "已当场释法解答，告知办理途径和所需材料。"}),
                )?;
                if repeat {
                    // The same person came back the same afternoon about the same matter.
                    let t2 = t + Duration::hours(2);
                    let mut again = input.clone();
                    again["visitor_count"] = json!(1);
                    if let Some(m) = again.as_object_mut() {
                        m.remove("representatives");
                    }
                    let mut dup = self.open("visit", clerk, t2, again)?;
                    let orig = life.case.clone();
                    self.apply(
                        &mut dup,
                        clerk,
                        t2 + Duration::minutes(10),
                        "merge",
                        json!({"original_case": orig.id.to_string(), "original_receipt": orig.receipt_no, "merge_reason": "同一来访人当日就同一事项再次来访"}),
                        true,
                    )?;
                    self.touch(
                        &mut life,
                        clerk,
                        t2 + Duration::minutes(10),
                        "并入重复件",
                        link_payload(LinkRelation::Merged, &dup.case, "同一来访人当日就同一事项再次来访"),
                    );
                    let (d, o) = (dup.case.clone(), life.case.clone());
                    self.link(&d, &o, LinkRelation::Merged, "同一来访人当日就同一事项再次来访", clerk, t2);
                    let ta = at(later(self.cal, local_date(t2), 1), 17 * 60);
                    self.step(&mut dup, clerk, ta, "archive", json!({}))?;
                    self.batch.push(dup.into_import());
                    count += 1;
                }
            }
        }
        let ta = at(later(self.cal, local_date(t), 1), 17 * 60 + 10);
        self.step(&mut life, clerk, ta, "archive", json!({}))?;
        self.batch.push(life.into_import());
        Ok(count)
    }

    fn dispute_input(&mut self, p: &DisputePlan) -> Json {
        let (_, vname) = VILLAGES[p.village];
        let (title, content) = texts(&DISPUTE_TEXTS, p.category)[self.rng.random_range(0..2)];
        let mut input = json!({
            "title": title.replace("{v}", vname),
            "content": content.replace("{v}", vname),
            "party_name": self.person(),
            "party_phone": phone(&mut self.rng),
            "source": (["phone", "grid", "referral", "patrol", "court"][self.rng.random_range(0..5)]),
        });
        if let (Some(m), Json::Object(extra)) = (input.as_object_mut(), self.dispute_extra(p)) {
            m.extend(extra);
        }
        input
    }

    /// The dispute's own fields (what a visit does not carry over).
    fn dispute_extra(&mut self, p: &DisputePlan) -> Json {
        let respondent = match p.category {
            "wages" | "social_insurance" => format!(
                "{}{}",
                ["鳌头", "从化", "广州"][self.rng.random_range(0..3)],
                ["某建筑工程有限公司", "某五金制品厂", "某劳务有限公司"][self.rng.random_range(0..3)]
            ),
            "graves" => format!("{}村民小组", ["第一", "第三", "第五"][self.rng.random_range(0..3)]),
            _ => self.person(),
        };
        let mut extra = json!({
            "category": p.category,
            "respondent_name": respondent,
            "location": format!("鳌头镇{}", VILLAGES[p.village].1),
            "major": p.major,
        });
        if p.recovered > 0 {
            let amount = p.recovered + p.recovered / 100 * self.rng.random_range(0..40);
            extra["amount"] = json!(format!("{}.{:02}", amount / 100, amount % 100));
        }
        if self.rng.random_range(0..3) == 0 {
            extra["respondent_phone"] = json!(phone(&mut self.rng));
        }
        extra
    }

    /// A dispute of 2023 from registration to archive. Returns how many disputes were registered.
    fn dispute_2023(&mut self, p: &DisputePlan, opened: Option<Life>, t0: OffsetDateTime) -> Result<usize> {
        let clerk = self.actor("clerk")?;
        let mut count = 1;
        let mut life = match opened {
            Some(l) => l,
            None => {
                let input = self.dispute_input(p);
                self.open("dispute", clerk, t0, input)?
            }
        };
        let day = local_date(t0);
        if p.end == DisputeEnd::Declined {
            self.step(&mut life, clerk, t0 + Duration::minutes(40), "decline", json!({"decline_reason": "refused", "routes_told": "对方当事人明确拒绝调解，已告知申请人可向人民法院起诉。"}))?;
            self.step(&mut life, clerk, at(later(self.cal, day, 1), 16 * 60), "archive", json!({}))?;
            self.batch.push(life.into_import());
            return Ok(count);
        }
        let (unit_code, mediator_name) = if p.at_town {
            ("sfs", "mediator")
        } else {
            let v = VILLAGES[p.village].0;
            (
                v,
                match v {
                    "longtan" => "mediator_longtan",
                    "xitang" => "mediator_xitang",
                    _ => "mediator_qiaotou",
                },
            )
        };
        let mediator = self.actor(mediator_name)?;
        let path = if p.major {
            ["judicial", "lawyer", "people"][self.rng.random_range(0..3)]
        } else if self.rng.random_range(0..10) == 0 {
            "lawyer"
        } else {
            "people"
        };
        let mediators = match path {
            "judicial" => "朱调解、鳌头人民法庭法官",
            "lawyer" => "朱调解、潘律师",
            _ if p.at_town => "朱调解",
            _ => mediator.name.as_str(),
        }
        .to_string();
        self.step(
            &mut life,
            clerk,
            t0 + Duration::minutes(40),
            "accept",
            json!({"path": path, "mediation_unit": self.unit(unit_code)?.id.to_string(), "mediators": mediators, "consent": true}),
        )?;
        if p.repeat {
            // The other party registered the same dispute at the village the next morning.
            let t2 = at(later(self.cal, day, 1), 9 * 60 + 15);
            let mut again = json!({
                "title": life.case.title.clone(),
                "content": life.case.data.get("content").cloned().unwrap_or(Json::Null),
                "category": p.category,
                "source": "grid",
                "party_name": life.case.data.get("respondent_name").cloned().unwrap_or(json!("对方当事人")),
                "respondent_name": life.case.data.get("party_name").cloned().unwrap_or(json!("申请人")),
            });
            if p.major {
                again["major"] = json!(true);
            }
            let mut dup = self.open("dispute", clerk, t2, again)?;
            let orig = life.case.clone();
            let reason = "双方当事人分别登记的同一纠纷";
            self.apply(&mut dup, clerk, t2 + Duration::minutes(20), "merge", json!({"original_case": orig.id.to_string(), "original_receipt": orig.receipt_no, "merge_reason": reason}), true)?;
            self.touch(
                &mut life,
                clerk,
                t2 + Duration::minutes(20),
                "并入重复件",
                link_payload(LinkRelation::Merged, &dup.case, reason),
            );
            let (d, o) = (dup.case.clone(), life.case.clone());
            self.link(&d, &o, LinkRelation::Merged, reason, clerk, t2);
            self.step(&mut dup, clerk, t2 + Duration::hours(3), "archive", json!({}))?;
            self.batch.push(dup.into_import());
            count += 1;
        }
        let sessions = self.rng.random_range(1..=3);
        let mut last = day;
        for k in 0..sessions {
            let d = later(self.cal, day, [2, 6, 11][k]);
            last = d;
            self.step(
                &mut life,
                mediator,
                at(d, 15 * 60),
                "session",
                json!({"held_on": fmt_date(d), "place": if p.at_town { "鳌头镇人民调解委员会调解室" } else { "村人民调解委员会调解室" }, "participants": "双方当事人、调解员", "record": "双方陈述纠纷经过和各自诉求，调解员释法说理，分别做思想工作。"}),
            )?;
        }
        match p.end {
            DisputeEnd::Failed => {
                let d = later(self.cal, last, 3);
                self.step(&mut life, mediator, at(d, 16 * 60), "end_mediation", json!({"end_reason": "双方对赔偿数额分歧过大，经多次调解仍未能达成一致。", "routes_told": "已告知双方可依法向人民法院起诉或申请仲裁。"}))?;
                self.step(&mut life, clerk, at(later(self.cal, d, 2), 10 * 60), "archive", json!({}))?;
            }
            DisputeEnd::Referred => {
                let d = later(self.cal, last, 1);
                self.step(&mut life, mediator, at(d, 16 * 60), "refer", json!({"referred_to": "从化区人民法院鳌头人民法庭", "refer_reason": "涉及权属确认，调解组织无权处理，移交诉调对接。"}))?;
                self.step(&mut life, clerk, at(later(self.cal, d, 2), 10 * 60), "archive", json!({}))?;
            }
            DisputeEnd::Resolved => self.resolve_2023(&mut life, p, mediator, last)?,
            DisputeEnd::Declined => {}
        }
        self.batch.push(life.into_import());
        Ok(count)
    }

    fn resolve_2023(&mut self, life: &mut Life, p: &DisputePlan, mediator: &Actor, last: Date) -> Result<()> {
        let clerk = self.actor("clerk")?;
        let mut agree_day = later(self.cal, last, 1);
        if p.extend {
            let d = later(self.cal, last, 2);
            self.step(
                life,
                mediator,
                at(d, 11 * 60),
                "extend",
                json!({"extension_days": 10, "extension_reason": "双方当事人同意继续调解，需等待伤情鉴定或核算结果。"}),
            )?;
            // Agreed within the extended target.
            let due = life.case.clocks.due_on().unwrap_or(agree_day);
            agree_day = later(self.cal, due.checked_sub(Duration::days(6)).unwrap_or(due), 0).min(due).max(agree_day);
        }
        let recovered = format!("{}.{:02}", p.recovered / 100, p.recovered % 100);
        let deadline = later(self.cal, agree_day, self.rng.random_range(10..60));
        if p.written {
            self.step(
                life,
                mediator,
                at(agree_day, 16 * 60),
                "agree_written",
                json!({
                    "agreement_parties": "申请人、被申请人基本情况详见调解申请书",
                    "facts": life.case.data.get("content").cloned().unwrap_or(json!("")),
                    "issues": "赔偿（补偿）数额及支付方式",
                    "responsibility": "经调解，双方确认各自应承担的责任",
                    "terms": format!("被申请人向申请人支付{recovered}元，双方就本纠纷再无其他争议。"),
                    "performance_manner": "银行转账一次性支付",
                    "performance_deadline": fmt_date(deadline),
                    "signed_on": fmt_date(agree_day),
                    "parties_signed": true,
                    "mediator_signed": true,
                    "recovered": recovered,
                }),
            )?;
            if p.confirm {
                let d = later(self.cal, agree_day, 5);
                self.step(
                    life,
                    mediator,
                    at(d, 15 * 60),
                    "confirm",
                    json!({"confirmation_result": "confirmed", "court": "从化区人民法院", "applied_on": fmt_date(d)}),
                )?;
            }
        } else {
            self.step(
                life,
                mediator,
                at(agree_day, 16 * 60),
                "agree_oral",
                json!({"terms": format!("双方当场达成和解，被申请人支付{recovered}元并赔礼道歉。"), "performance_manner": "当场履行", "recovered": recovered}),
            )?;
        }
        // After any 司法确认 (five days on), so the case's events stay in the order they happened.
        let mut d = later(self.cal, agree_day, self.rng.random_range(12..40));
        if p.partial_first {
            self.step(
                life,
                mediator,
                at(d, 10 * 60),
                "follow_up",
                json!({"performance": "partial", "note": "已履行部分款项，余款约定下月付清。"}),
            )?;
            d = later(self.cal, d, 20);
        }
        self.step(
            life,
            mediator,
            at(d, 10 * 60),
            "follow_up",
            json!({"performance": "performed", "note": "回访确认协议已全部履行。"}),
        )?;
        self.step(life, clerk, at(later(self.cal, d, 2), 11 * 60), "archive", json!({}))?;
        Ok(())
    }

    fn petition_text(&mut self, p: &PetitionPlan) -> Result<(String, String)> {
        let list = PETITION_TEXTS.iter().find(|(c, _)| *c == p.category).map_or(&PETITION_TEXTS[0].1, |(_, t)| t);
        let (title, content) = list[self.rng.random_range(0..3)];
        let v = VILLAGES[self.rng.random_range(0..VILLAGES.len())].1;
        let accused = match p.accused {
            Some(code) => self.unit(code)?.name.clone(),
            None => String::new(),
        };
        Ok((title.replace("{v}", v).replace("{u}", &accused), content.replace("{v}", v).replace("{u}", &accused)))
    }

    /// The petition's own fields (what a visit does not carry over).
    fn petition_extra(&mut self, p: &PetitionPlan) -> Result<Json> {
        let mut extra = json!({"category": p.category});
        if let Some(code) = p.accused {
            extra["accused_unit"] = json!(self.unit(code)?.id.to_string());
        }
        Ok(extra)
    }

    /// A petition of 2023 from registration to archive. Returns how many were registered.
    fn petition_2023(&mut self, p: &PetitionPlan, opened: Option<Life>, t0: OffsetDateTime) -> Result<usize> {
        let clerk = self.actor("clerk")?;
        let day = local_date(t0);
        let mut life = match opened {
            Some(l) => l,
            None => {
                let (title, content) = self.petition_text(p)?;
                let mut input = json!({
                    "title": title,
                    "content": content,
                    "channel": p.channel,
                    "party_name": self.person(),
                    "party_phone": phone(&mut self.rng),
                    "party_address": format!("鳌头镇{}", VILLAGES[self.rng.random_range(0..3)].1),
                });
                if let (Some(m), Json::Object(extra)) = (input.as_object_mut(), self.petition_extra(p)?) {
                    m.extend(extra);
                }
                if p.channel == "letter" {
                    input["received_on"] =
                        json!(fmt_date(day.checked_sub(Duration::days(self.rng.random_range(0..3))).unwrap_or(day)));
                }
                self.open("petition", clerk, t0, input)?
            }
        };
        let accept_day = later(self.cal, day, self.rng.random_range(1..7));
        match p.path {
            PetitionPath::Redirected => {
                let route = ["litigation", "arbitration", "administrative"][self.rng.random_range(0..3)];
                self.step(&mut life, clerk, at(accept_day, 10 * 60), "redirect", json!({"route": route, "notified_on": fmt_date(accept_day), "notice": "经审查，该事项应通过法定途径解决，已书面告知信访人向有权机关提出及所需程序。"}))?;
                self.step(&mut life, clerk, at(later(self.cal, accept_day, 2), 10 * 60), "archive", json!({}))?;
                self.batch.push(life.into_import());
                return Ok(1);
            }
            PetitionPath::NotAccepted => {
                let reason = if p.category == "claim" { "pending" } else { "outside" };
                self.step(&mut life, clerk, at(accept_day, 10 * 60), "not_accept", json!({"not_accepted_reason": reason, "notified_on": fmt_date(accept_day), "note": "已书面告知信访人。"}))?;
                self.step(&mut life, clerk, at(later(self.cal, accept_day, 2), 10 * 60), "archive", json!({}))?;
                self.batch.push(life.into_import());
                return Ok(1);
            }
            _ => {}
        }
        let handlers = [
            ("longtan", "handler_longtan"),
            ("xitang", "handler_xitang"),
            ("qiaotou", "handler_qiaotou"),
            ("ghjs", "handler_ghjs"),
            ("shsw", "handler_shsw"),
            ("nync", "handler_nync"),
        ];
        let (unit_code, handler_name) =
            if p.category == "accusation" { ("jjjc", "handler_jjjc") } else { handlers[p.handler] };
        let handler = self.actor(handler_name)?;
        let mut accept = json!({"unit": self.unit(unit_code)?.id.to_string(), "accepted_on": fmt_date(accept_day), "notified_on": fmt_date(accept_day), "notice_method": (["mail", "system", "onsite"][self.rng.random_range(0..3)])});
        if p.category == "claim" {
            accept["route_checked"] = json!(true);
        }
        self.step(&mut life, clerk, at(accept_day, 10 * 60), "accept", accept)?;
        let mut served = later(self.cal, accept_day, self.rng.random_range(8..45));
        if p.extend {
            let d = later(self.cal, accept_day, 40);
            self.step(
                &mut life,
                handler,
                at(d, 10 * 60),
                "request_extension",
                json!({"extension_days": 20, "extension_reason": "需组织现场勘测并听取相关村民小组意见。"}),
            )?;
            self.step(
                &mut life,
                self.actor("leader")?,
                at(later(self.cal, d, 1), 9 * 60),
                "approve_extension",
                json!({"extension_notified_on": fmt_date(later(self.cal, d, 1)), "extension_notice_method": "mail", "note": "同意延期，已告知信访人延期理由。"}),
            )?;
            served = later(self.cal, accept_day, 70);
        }
        // The seed's figures are 2023's as at its end: the year's petitions are concluded in it.
        let served = served.min(date(2023, Month::December, 28)?);
        self.conclude(&mut life, p, handler, served)?;
        let mut window_from = served;
        let mut stage = "concluded";
        if matches!(p.path, PetitionPath::ReviewUpheld | PetitionPath::Final | PetitionPath::Reopened) {
            let asked = later(self.cal, served, 10);
            self.step(&mut life, clerk, at(asked, 10 * 60), "request_review", json!({"review_requested_on": fmt_date(asked), "review_body": "从化区人民政府", "review_reason": "信访人对处理意见不服"}))?;
            let decided = later(self.cal, asked, 20);
            let delivered = later(self.cal, decided, 2);
            let result = if p.path == PetitionPath::Reopened { "revoked" } else { "upheld" };
            self.step(&mut life, self.actor("district")?, at(delivered, 15 * 60), "review_decide", json!({"review_result": result, "review_opinion": if result == "revoked" { "原处理意见认定事实不清，撤销并责令重新办理。" } else { "原处理意见认定事实清楚、处理适当，予以维持。" }, "review_decided_on": fmt_date(decided), "review_served_on": fmt_date(delivered)}))?;
            if result == "revoked" {
                let again = later(self.cal, delivered, 20);
                self.conclude(&mut life, p, handler, again)?;
                window_from = again;
            } else {
                window_from = delivered;
                stage = "reviewed";
            }
            if p.path == PetitionPath::Final {
                let asked = later(self.cal, delivered, 10);
                self.step(&mut life, clerk, at(asked, 10 * 60), "request_rereview", json!({"rereview_requested_on": fmt_date(asked), "rereview_body": "广州市人民政府", "rereview_reason": "信访人对复查意见不服"}))?;
                let decided = later(self.cal, asked, 20);
                let delivered = later(self.cal, decided, 2);
                self.step(&mut life, self.actor("district")?, at(delivered, 15 * 60), "rereview_decide", json!({"rereview_result": "upheld", "rereview_opinion": "复查意见正确，予以维持。", "rereview_decided_on": fmt_date(decided), "rereview_served_on": fmt_date(delivered)}))?;
                window_from = delivered;
                stage = "final";
            }
        }
        if let Some(r) = p.rating {
            let mut d = later(self.cal, window_from, self.rng.random_range(3..8));
            // The seed counts 2023's evaluations as at the year's end: a petitioner served in
            // December evaluates before the year is out.
            let year_end = date(2023, Month::December, 29)?;
            if window_from <= year_end && d > year_end {
                d = year_end;
            }
            self.step(&mut life, clerk, at(d, 11 * 60), "rate", json!({"result": r, "note": "电话回访"}))?;
        }
        // Archived once the petitioner can no longer ask for 复查 (复核).
        let archive_day = match stage {
            "final" => later(self.cal, window_from, 10),
            "reviewed" => later(self.cal, petition::thirty_days(self.cal, window_from, "", ""), 3),
            _ => later(self.cal, petition::thirty_days(self.cal, window_from, "", ""), self.rng.random_range(2..10)),
        };
        self.step(&mut life, clerk, at(archive_day, 16 * 60), "archive", json!({}))?;
        self.batch.push(life.into_import());
        Ok(1)
    }

    fn conclude(&mut self, life: &mut Life, p: &PetitionPlan, handler: &Actor, served: Date) -> Result<()> {
        if p.category == "claim" {
            let outcome = ["support", "support", "explain", "not_supported"][self.rng.random_range(0..4)];
            self.step(
                life,
                handler,
                at(served, 16 * 60),
                "conclude",
                json!({
                    "request": "信访人请求依法解决其反映的问题",
                    "facts_reasons": "经调查核实，信访人反映的情况基本属实（或部分属实），有关材料已存档。",
                    "reply": match outcome { "support" => "支持信访人的请求，已协调有关单位限期落实。", "explain" => "信访人的请求有一定合理性但缺乏法律政策依据，已作解释说明。", _ => "信访人的请求缺乏事实和法律依据，不予支持。" },
                    "basis": "《信访工作条例》及有关法律法规、政策规定",
                    "outcome": outcome,
                    "served_on": fmt_date(served),
                }),
            )
        } else {
            self.step(life, handler, at(served, 16 * 60), "reply", json!({"reply": if p.category == "accusation" { "已依规核查处理，处理结果已书面答复信访人。" } else { "感谢您的建议，已转有关部门研究采纳并纳入工作计划。" }, "served_on": fmt_date(served)}))
        }
    }

    /// A few cases of the current weeks, left in their working states for the workbench.
    fn current_weeks(&mut self, today: Date) -> Result<()> {
        let clerk = self.actor("clerk")?;
        let ago = |n: i64| today.checked_sub(Duration::days(n)).unwrap_or(today);
        // A group visit waiting at the desk, and a visit turned into a work order.
        let group = json!({
            "title": "反映西塘村工地拖欠农民工工资",
            "content": "十二名工人集体来访，反映在西塘村附近工地务工被拖欠工资约十八万元，请求协调解决。",
            "category": "conflict",
            "visitor_count": 12,
            "party_name": "黄国强",
            "party_phone": phone(&mut self.rng),
            "representatives": "黄国强、李家豪、张伟权",
            "received_by": "综治中心 李晓梅",
        });
        let v = self.open("visit", clerk, at(today, 9 * 60 + 5), group)?;
        self.batch.push(v.into_import());
        let lamp = json!({
            "title": "反映龙潭村村道路灯损坏",
            "content": "来访人反映龙潭村村道多盏路灯损坏已一周，夜间出行不便。",
            "category": "complaint",
            "visitor_count": 1,
            "party_name": "陈志明",
            "party_phone": phone(&mut self.rng),
        });
        let t = at(ago(1), 10 * 60);
        let mut v = self.open("visit", clerk, t, lamp.clone())?;
        let order = self.convert(
            &mut v,
            &lamp,
            "work_order",
            json!({"category": "help", "urgency": "normal", "location": "鳌头镇龙潭村村道"}),
            clerk,
            t + Duration::minutes(15),
        )?;
        self.batch.push(v.into_import());
        self.batch.push(order.into_import());

        // Disputes: one waiting to be accepted, two in mediation (one of them major), one agreed
        // with its 司法确认 window running.
        let plan = |category: &'static str, major: bool, village: usize| DisputePlan {
            category,
            end: DisputeEnd::Resolved,
            major,
            recovered: 0,
            written: true,
            confirm: false,
            extend: false,
            partial_first: false,
            repeat: false,
            from_visit: false,
            village,
            at_town: major,
            day: today,
        };
        let waiting = plan("neighbour", false, 0);
        let input = self.dispute_input(&waiting);
        let d = self.open("dispute", clerk, at(ago(2), 9 * 60 + 30), input)?;
        self.batch.push(d.into_import());
        for (days, p) in
            [(5, plan("homestead", false, 1)), (9, plan("graves", true, 2)), (20, plan("injury", false, 0))]
        {
            let t = at(ago(days), 10 * 60);
            let input = self.dispute_input(&p);
            let mut d = self.open("dispute", clerk, t, input)?;
            let (unit, m) = if p.at_town {
                ("sfs", "mediator")
            } else {
                (VILLAGES[p.village].0, ["mediator_longtan", "mediator_xitang", "mediator_qiaotou"][p.village])
            };
            let mediator = self.actor(m)?;
            self.step(&mut d, clerk, t + Duration::minutes(30), "accept", json!({"path": "people", "mediation_unit": self.unit(unit)?.id.to_string(), "mediators": mediator.name.clone(), "consent": true}))?;
            let s = ago(days - 1);
            self.step(&mut d, mediator, at(s, 15 * 60), "session", json!({"held_on": fmt_date(s), "participants": "双方当事人、调解员", "record": "听取双方陈述，初步释法说理。"}))?;
            if days == 20 {
                let signed = ago(15);
                self.step(&mut d, mediator, at(signed, 16 * 60), "agree_written", json!({"agreement_parties": "双方当事人", "facts": "详见调解笔录", "issues": "医疗费、误工费赔偿", "responsibility": "被申请人承担主要责任", "terms": "被申请人赔偿申请人医疗费、误工费共计28600元", "performance_manner": "银行转账", "performance_deadline": fmt_date(today.checked_add(Duration::days(30)).unwrap_or(today)), "signed_on": fmt_date(signed), "parties_signed": true, "mediator_signed": true, "recovered": "28600"}))?;
            }
            self.batch.push(d.into_import());
        }

        // Petitions: one waiting for the acceptance decision, one in handling, one waiting for an
        // extension's approval, an accusation against 司法所 (withheld from its staff), one in 复查.
        let mk = |category: &'static str, accused: Option<&'static str>| PetitionPlan {
            category,
            path: PetitionPath::OneTime,
            extend: false,
            rating: None,
            accused,
            handler: 0,
            channel: "online",
            from_visit: false,
            day: today,
        };
        let p = mk("claim", None);
        let extra = self.petition_extra(&p)?;
        let (title, content) = self.petition_text(&p)?;
        let mut input = json!({"title": title, "content": content, "channel": "letter", "party_name": self.person(), "party_phone": phone(&mut self.rng), "received_on": fmt_date(ago(4))});
        if let (Some(m), Json::Object(e)) = (input.as_object_mut(), extra) {
            m.extend(e);
        }
        let life = self.open("petition", clerk, at(ago(3), 9 * 60), input)?;
        self.batch.push(life.into_import());
        for (days, category, accused, unit, handler, upto) in [
            (10, "claim", None, "longtan", "handler_longtan", "handling"),
            (45, "claim", None, "xitang", "handler_xitang", "extension_requested"),
            (12, "accusation", Some("sfs"), "jjjc", "handler_jjjc", "handling"),
            (40, "claim", None, "ghjs", "handler_ghjs", "review"),
        ] {
            let p = mk(category, accused);
            let (title, content) = self.petition_text(&p)?;
            let mut input = json!({"title": title, "content": content, "channel": "online", "party_name": self.person(), "party_phone": phone(&mut self.rng)});
            if let (Some(m), Json::Object(e)) = (input.as_object_mut(), self.petition_extra(&p)?) {
                m.extend(e);
            }
            let t = at(ago(days), 9 * 60 + 40);
            let mut life = self.open("petition", clerk, t, input)?;
            let accept_day = ago(days - 2);
            let mut accept = json!({"unit": self.unit(unit)?.id.to_string(), "accepted_on": fmt_date(accept_day), "notified_on": fmt_date(accept_day), "notice_method": "system"});
            if category == "claim" {
                accept["route_checked"] = json!(true);
            }
            self.step(&mut life, clerk, at(accept_day, 10 * 60), "accept", accept)?;
            let h = self.actor(handler)?;
            self.step(
                &mut life,
                h,
                at(ago(days - 3), 11 * 60),
                "progress",
                json!({"note": "已约见信访人了解情况，正在调查核实。"}),
            )?;
            if upto == "extension_requested" {
                self.step(
                    &mut life,
                    h,
                    at(ago(1), 10 * 60),
                    "request_extension",
                    json!({"extension_days": 15, "extension_reason": "需等待区有关部门出具书面意见。"}),
                )?;
            }
            if upto == "review" {
                let served = ago(days - 20);
                self.conclude(&mut life, &p, h, served)?;
                let asked = ago(days - 32);
                self.step(&mut life, clerk, at(asked, 10 * 60), "request_review", json!({"review_requested_on": fmt_date(asked), "review_body": "从化区人民政府", "review_reason": "信访人对处理意见不服"}))?;
            }
            self.batch.push(life.into_import());
        }
        Ok(())
    }
}
