//! The one deterministic generator every plan fills: a seeded random sequence, the town's people
//! and dates, and the primitives that make a case's life — open it, take its actions through the
//! kind's real workflow, link or merge it with another — collected into one batch written in a
//! single transaction. It knows no kind: the plans say which kind, which action, which field.
//!
//! Determinism: a plan draws from [`Gen::rng`] in a fixed order, so the same seed gives the same
//! cases, identifiers, texts, dates and outcomes on every run and on either database. Changing
//! the order of the draws changes the whole year (and the golden report test says so).

use std::collections::HashMap;

use fazhi_domain::calendar::Calendar;
use fazhi_domain::case::{Actor, CaseRecord};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, EventId, UnitId, uuid_v7_from};
use fazhi_domain::kinds::KindDef;
use fazhi_domain::time_util::{CST, to_ms};
use fazhi_domain::unit::Unit;
use fazhi_domain::workflow::{ActCtx, ActionTag, NewCase, Outcome, Sealer};
use fazhi_service::links::{link_event, link_payload};
use fazhi_service::seeding::{CaseLink, ImportCase, LinkRelation};
use fazhi_service::{App, Result, ServiceError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value as Json, json};
use time::{Date, Duration, Month, OffsetDateTime, Time};

/// The town's villages: (unit code, name).
pub const VILLAGES: [(&str, &str); 3] = [("longtan", "龙潭村"), ("xitang", "西塘村"), ("qiaotou", "桥头村")];

const SURNAMES: [&str; 16] =
    ["陈", "李", "黄", "张", "梁", "刘", "何", "罗", "谢", "邓", "钟", "曾", "欧阳", "朱", "潘", "吴"];
const GIVEN: [&str; 12] =
    ["志明", "秀英", "国强", "丽华", "建新", "桂芳", "伟权", "玉梅", "永康", "小红", "家豪", "凤娟"];

/// A share of a whole, drawn as `weight` out of the sum of a table's weights.
pub type Weighted<T> = (T, u32);

/// A case being made: the record, its versions before it, its events so far, its identifier
/// digests, its query code (plain, to print one as a sample) and that code's digest.
pub struct Life {
    pub case: CaseRecord,
    history: Vec<CaseRecord>,
    events: Vec<Event>,
    digests: Vec<(String, String)>,
    pub query_code: String,
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

/// The generator: the app (for the kinds, settings and keys), the town, a seeded random sequence
/// and what has been made so far.
pub struct Gen<'a> {
    app: &'a App,
    pub cal: &'a Calendar,
    units: &'a HashMap<UnitId, Unit>,
    u: &'a HashMap<&'a str, Unit>,
    staff: &'a HashMap<&'a str, Actor>,
    tenant_code: String,
    pub rng: ChaCha8Rng,
    /// Receipt numbers by kind, counted from 1.
    seq: HashMap<&'static str, u32>,
    /// Receipt numbers of the current weeks are 9xxxxx, clear of live numbering; with a year,
    /// that year's (else the year the case was opened).
    current: Option<Option<i32>>,
    batch: Vec<ImportCase>,
    links: Vec<CaseLink>,
}

impl<'a> Gen<'a> {
    pub fn new(
        app: &'a App,
        town: &'a crate::town::Town,
        cal: &'a Calendar,
        units: &'a HashMap<UnitId, Unit>,
        seed: u64,
    ) -> Self {
        Self {
            app,
            cal,
            units,
            u: &town.units,
            staff: &town.staff,
            tenant_code: town.code.clone(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            seq: HashMap::new(),
            current: None,
            batch: Vec::new(),
            links: Vec::new(),
        }
    }

    /// From now on, cases are of the current weeks: receipt numbers start again at 900001 (in
    /// `year` when given) — except for `kinds_after`, whose numbers follow the given count.
    pub fn current_weeks(&mut self, year: Option<i32>, kinds_after: &[(&'static str, u32)]) {
        self.current = Some(year);
        self.seq.clear();
        self.seq.extend(kinds_after.iter().copied());
    }

    /// What was made: the cases and the links between them.
    pub fn finish(self) -> (Vec<ImportCase>, Vec<CaseLink>) {
        (self.batch, self.links)
    }

    /// The app's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.app.now()
    }

    /// How many cases have been made.
    pub fn made(&self) -> usize {
        self.batch.len()
    }

    pub fn actor(&self, name: &str) -> Result<&'a Actor> {
        self.staff.get(name).ok_or_else(|| ServiceError::internal(format!("demo user {name} missing")))
    }

    pub fn unit(&self, code: &str) -> Result<&'a Unit> {
        self.u.get(code).ok_or_else(|| ServiceError::internal(format!("demo unit {code} missing")))
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

    /// The code of the action of `slug` tagged with what it does.
    fn tagged(&self, slug: &str, tag: ActionTag) -> Result<&'static str> {
        let kind = self.kind(slug)?;
        kind.workflow
            .tagged(tag)
            .map(|a| a.code)
            .ok_or_else(|| ServiceError::internal(format!("demo: {slug} has no {tag:?} action")))
    }

    /// A six-digit query code for the public tracking page.
    pub fn query_code(&mut self) -> String {
        format!("{:06}", self.rng.random_range(0..1_000_000u32))
    }

    /// Registers a case of kind `slug` by `actor` at `t` from the form `input`; its query code
    /// is drawn after it.
    pub fn open(&mut self, slug: &'static str, actor: &Actor, t: OffsetDateTime, input: Json) -> Result<Life> {
        self.open_inner(slug, actor, t, input, None)
    }

    /// As [`Gen::open`], with a query code the plan drew before the case.
    pub fn open_with_code(
        &mut self,
        slug: &'static str,
        actor: &Actor,
        t: OffsetDateTime,
        input: Json,
        code: String,
    ) -> Result<Life> {
        self.open_inner(slug, actor, t, input, Some(code))
    }

    fn open_inner(
        &mut self,
        slug: &'static str,
        actor: &Actor,
        t: OffsetDateTime,
        input: Json,
        code: Option<String>,
    ) -> Result<Life> {
        let kind = self.kind(slug)?;
        let n = self.seq.entry(slug).or_insert(0);
        *n += 1;
        let seq = *n;
        let receipt = match self.current {
            None => format!("{}-{}-{}-{seq:06}", self.tenant_code, kind.receipt_code, t.to_offset(CST).year()),
            Some(year) => {
                let year = year.unwrap_or_else(|| t.to_offset(CST).year());
                format!("{}-{}-{year}-9{seq:05}", self.tenant_code, kind.receipt_code)
            }
        };
        let id = CaseId::from_uuid(self.uuid(t));
        let out = {
            let ctx = self.ctx(actor, t);
            kind.open_case(NewCase { id, receipt_no: receipt }, &obj(input), &ctx)
                .map_err(|e| ServiceError::internal(format!("demo {slug} open: {e}")))?
        };
        let ev = self.event(&out, actor, t);
        let code = match code {
            Some(c) => c,
            None => self.query_code(),
        };
        let mut case = out.case;
        case.data.insert("query_code".into(), Json::String(self.app.crypto().seal(&code)));
        Ok(Life {
            case,
            history: Vec::new(),
            events: vec![ev],
            digests: out.digests,
            query_digest: self.app.crypto().digest("query", &code),
            query_code: code,
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

    /// Takes `action` on the case as `actor` at `t`, through its kind's workflow.
    pub fn step(&mut self, life: &mut Life, actor: &Actor, t: OffsetDateTime, action: &str, input: Json) -> Result<()> {
        self.apply(life, actor, t, action, input, false)
    }

    /// The case is done: it goes into the batch.
    pub fn keep(&mut self, life: Life) {
        self.batch.push(life.into_import());
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

    /// Merges `dup`, registered at `t`, into `original` the way [`App::merge_cases`] does: the
    /// duplicate takes its kind's internal merge action at `merged_at`, the original gets its
    /// link event, and the link is recorded (dated when the duplicate was registered).
    pub fn merge(
        &mut self,
        dup: &mut Life,
        original: &mut Life,
        reason: &str,
        actor: &Actor,
        t: OffsetDateTime,
        merged_at: OffsetDateTime,
    ) -> Result<()> {
        let orig = original.case.clone();
        let action = self.tagged(&dup.case.kind, ActionTag::Merge)?;
        self.apply(
            dup,
            actor,
            merged_at,
            action,
            json!({"original_case": orig.id.to_string(), "original_receipt": orig.receipt_no, "merge_reason": reason}),
            true,
        )?;
        self.touch(original, actor, merged_at, "并入重复件", link_payload(LinkRelation::Merged, &dup.case, reason));
        let (d, o) = (dup.case.clone(), original.case.clone());
        self.link(&d, &o, LinkRelation::Merged, reason, actor, t);
        Ok(())
    }

    /// Turns a registered case into a new case of kind `target` the way [`App::convert_visit`]
    /// does: the new case's form is the old one's carried over (as the registry's conversion
    /// says) plus `extra`, the old case takes its internal convert action, the new case gets its
    /// link event, and the link is recorded.
    pub fn convert(
        &mut self,
        from: &mut Life,
        from_input: &Json,
        target: &'static str,
        extra: Json,
        actor: &Actor,
        t: OffsetDateTime,
    ) -> Result<Life> {
        let mut input = Map::new();
        let (pairs, defaults) = self.app.kinds().conversion(&from.case.kind, target).unwrap_or_default();
        for (src, to, _) in pairs {
            if let Some(v) = from_input.get(src) {
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
        let action = self.tagged(&from.case.kind, ActionTag::Convert)?;
        self.apply(from, actor, t, action, convert, true)?;
        self.touch(&mut new, actor, t, "由来访转入", link_payload(LinkRelation::Converted, &from.case, ""));
        let (v, n) = (from.case.clone(), new.case.clone());
        self.link(&v, &n, LinkRelation::Converted, "", actor, t);
        Ok(new)
    }

    // --- people ---

    /// A name: surname and given name.
    pub fn person(&mut self) -> String {
        format!(
            "{}{}",
            SURNAMES[self.rng.random_range(0..SURNAMES.len())],
            GIVEN[self.rng.random_range(0..GIVEN.len())]
        )
    }

    /// A caller as the hotline writes them: surname and 先生 or 女士 (by `male`).
    pub fn caller(&mut self, male: bool) -> String {
        format!("{}{}", SURNAMES[self.rng.random_range(0..SURNAMES.len())], if male { "先生" } else { "女士" })
    }

    /// The `i`-th surname with 女士 (no draw).
    pub fn nth_caller(i: usize) -> String {
        format!("{}女士", SURNAMES[i % SURNAMES.len()])
    }

    /// A mobile number.
    pub fn phone(&mut self) -> String {
        let prefix =
            ["138", "139", "135", "137", "150", "158", "186", "188", "189", "133"][self.rng.random_range(0..10)];
        format!("{prefix}{:08}", self.rng.random_range(0..100_000_000u32))
    }

    /// A valid 18-digit 居民身份证号码 born in 从化 (440117) on a random date (GB 11643 check digit).
    pub fn id_number(&mut self) -> String {
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
        let body = format!(
            "440117{:04}{:02}{:02}{:03}",
            self.rng.random_range(1950..2003),
            self.rng.random_range(1..13),
            self.rng.random_range(1..29),
            self.rng.random_range(0..1000)
        );
        let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
        format!("{body}{}", C[(sum % 11) as usize])
    }

    /// One of `table`, drawn by weight.
    pub fn pick<T: Copy>(&mut self, table: &[Weighted<T>]) -> Option<T> {
        let total: u32 = table.iter().map(|(_, w)| w).sum();
        let mut pick = self.rng.random_range(0..total);
        table
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= *w;
                    false
                }
            })
            .map(|(t, _)| *t)
    }

    // --- dates ---

    /// The working day on or after `d`.
    pub fn working(&self, mut d: Date) -> Date {
        while !self.cal.is_working_day(d) {
            d = d.next_day().unwrap_or(d);
        }
        d
    }

    /// The working day `n` calendar days after `d` (or the next working day after that).
    pub fn later(&self, d: Date, n: i64) -> Date {
        self.working(d.checked_add(Duration::days(n)).unwrap_or(d))
    }

    /// `n` working days after `d`.
    pub fn add_working_days(&self, mut d: Date, n: u32) -> Date {
        let mut k = 0;
        while k < n {
            d = d.next_day().unwrap_or(d);
            if self.cal.is_working_day(d) {
                k += 1;
            }
        }
        d
    }

    /// The working days of `from`'s year from `from` up to `last` (inclusive).
    pub fn working_days(&self, from: Date, last: Date) -> Vec<Date> {
        let mut v = Vec::new();
        let mut x = from;
        while x <= last {
            if self.cal.is_working_day(x) {
                v.push(x);
            }
            match x.next_day() {
                Some(n) => x = n,
                None => break,
            }
        }
        v
    }
}

/// A local time: `minutes` after midnight of `d` (China Standard Time).
pub fn at(d: Date, minutes: i64) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_offset(CST) + Duration::minutes(minutes)
}

pub fn date(y: i32, m: Month, d: u8) -> Result<Date> {
    Date::from_calendar_date(y, m, d).map_err(|e| ServiceError::internal(e.to_string()))
}

/// Spreads `n` items over `days`, in order.
pub fn spread(days: &[Date], n: usize) -> Vec<Date> {
    (0..n).map(|i| days[i * days.len() / n.max(1)]).collect()
}

/// Shares `total` out in proportion to `weights`, exactly (the remainder goes to the largest).
pub fn share(total: i64, weights: &[i64]) -> Vec<i64> {
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

/// Spreads items picked every `stride` slots (mod `n`) until `count` are taken, skipping those
/// `skip` refuses: a fixed, even-looking choice.
pub fn every(n: usize, stride: usize, count: usize, mut skip: impl FnMut(usize) -> bool) -> Vec<usize> {
    let mut out = Vec::new();
    for k in 0..n {
        let i = (k * stride) % n;
        if out.len() < count && !skip(i) {
            out.push(i);
        }
    }
    out
}

pub fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap_or_default()
}

/// Adds the fields of `extra` (an object) to `input`.
pub fn extend(input: &mut Json, extra: Json) {
    if let (Some(m), Json::Object(e)) = (input.as_object_mut(), extra) {
        m.extend(e);
    }
}
