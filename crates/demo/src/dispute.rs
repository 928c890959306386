//! The demo's disputes (矛盾纠纷) of 2023, reproducing the seed's "受理矛盾纠纷456宗，化解450宗，
//! 化解率98.68%，挽回群众财产损失2256.03万元……解决涉及迁坟、人身损害、劳资欠薪方面的重大疑难纠纷24宗",
//! and four of the current weeks in their working states.
//!
//! How the figures come about: 461 disputes are registered: 3 declined (a party refused
//! mediation), 2 merged into their original, 456 accepted; of these 450 end in a written or oral
//! agreement, 4 in ended mediation and 2 are referred. The 450 agreements record ¥22,560,300
//! recovered in all. 24 of them — graves, personal injury, wage arrears — are flagged 重大疑难 and
//! mediated by the town's committee. 150 came in as visits (see `visit.rs`).

use fazhi_domain::time_util::{fmt_date, local_date};
use fazhi_service::Result;
use rand::Rng;
use serde_json::{Value as Json, json};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::SeedFigure;
use crate::generate::{Gen, Life, VILLAGES, Weighted, at, date, every, share, spread};
use fazhi_domain::case::Actor;

pub const SLUG: &str = "dispute";

/// The year of disputes, as data.
pub struct DisputePlan {
    /// What the seed says, and the figure each sentence must read.
    pub seed_figures: &'static [SeedFigure],
    /// Disputes registered on their own (the merged repeats come on top), spread over the
    /// working days of 2023 up to `last_day`.
    pub slots: usize,
    pub last_day: (Month, u8),
    /// Slots that end otherwise than in an agreement.
    pub declined: [usize; 3],
    pub failed: [usize; 4],
    pub referred: [usize; 2],
    /// Slots registered a second time by the other party, the next morning, and merged.
    pub repeated: [usize; 2],
    /// The 重大疑难 disputes: `count` slots from `first`, one every `every`; their categories
    /// cycle through `categories`.
    pub major: (usize, usize, usize),
    pub major_categories: [&'static str; 12],
    /// The other disputes' categories, by weight.
    pub categories: [Weighted<&'static str>; 9],
    /// Each draws r in 0..1000: a written agreement when r < this (always for a major one) …
    pub written_below: u32,
    /// … 司法确认 when r % .0 == .1 (every other major one), an extension likewise (every third
    /// major one), performed in part first likewise, mediated at the town when r is a multiple
    /// of `at_town_every` (always a major one).
    pub confirm_when: (u32, u32),
    pub extend_when: (u32, u32),
    pub partial_first_when: (u32, u32),
    pub at_town_every: u32,
    /// Recovered in all, in yuan, shared out by weight: a major one 300..1500, a family,
    /// neighbour or other one nothing in 6 of 10 (else 1..20), the rest 5..80.
    pub recovered_yuan: i64,
    pub small_categories: [&'static str; 3],
    /// How many came in as visits, picked every `.1` slots (never a declined one).
    pub from_visit: (usize, usize),
}

pub const PLAN: DisputePlan = DisputePlan {
    seed_figures: &[
        SeedFigure { metric: "dispute.accepted", figure: "456", seed: "受理矛盾纠纷456宗" },
        SeedFigure { metric: "dispute.resolved", figure: "450", seed: "化解450宗" },
        SeedFigure { metric: "dispute.resolve_rate", figure: "98.68%", seed: "化解率98.68%" },
        SeedFigure {
            metric: "dispute.recovered", figure: "2256.03万元", seed: "挽回群众财产损失2256.03万元"
        },
        SeedFigure {
            metric: "dispute.major",
            figure: "24",
            seed: "解决涉及迁坟、人身损害、劳资欠薪方面的重大疑难纠纷24宗",
        },
        SeedFigure { metric: "dispute.major_resolved", figure: "24", seed: "解决……重大疑难纠纷24宗" },
    ],
    // 456 accepted + 3 declined
    slots: 459,
    last_day: (Month::November, 24),
    declined: [40, 200, 380],
    // 456 − 450 = 4 ended + 2 referred
    failed: [77, 158, 291, 412],
    referred: [105, 333],
    repeated: [120, 260],
    major: (9, 19, 24),
    // 10 about graves, 8 personal injury, 6 wage arrears: the report names them in that order
    // (most first), as the seed does.
    major_categories: [
        "graves", "injury", "wages", "graves", "injury", "wages", "graves", "injury", "graves", "wages", "graves",
        "injury",
    ],
    categories: [
        ("marriage_family", 18),
        ("neighbour", 24),
        ("land_forest", 12),
        ("wages", 14),
        ("injury", 8),
        ("contract", 10),
        ("social_insurance", 8),
        ("homestead", 10),
        ("other", 6),
    ],
    written_below: 650,
    confirm_when: (6, 1),
    extend_when: (13, 5),
    partial_first_when: (10, 7),
    at_town_every: 5,
    // 挽回群众财产损失2256.03万元
    recovered_yuan: 22_560_300,
    small_categories: ["marriage_family", "neighbour", "other"],
    from_visit: (150, 53),
};

/// Dispute texts by category: (title, content); {v} is the village.
const TEXTS: [(&str, [(&str, &str); 2]); 10] = [
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

/// A text of the category (title, content), drawn.
pub fn text(g: &mut Gen<'_>, category: &str) -> (&'static str, &'static str) {
    let list = TEXTS.iter().find(|(c, _)| *c == category).map_or(&TEXTS[TEXTS.len() - 1].1, |(_, t)| t);
    list[g.rng.random_range(0..2)]
}

/// The title and content of a visit about the dispute, drawn.
pub fn visit_text(g: &mut Gen<'_>, d: &Dispute) -> (String, String) {
    let (title, content) = text(g, d.category);
    let v = VILLAGES[d.village].1;
    (title.replace("{v}", v), content.replace("{v}", v))
}

/// How a dispute ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Resolved,
    Failed,
    Referred,
    Declined,
}

/// One dispute's path through the year.
#[derive(Debug, Clone)]
pub struct Dispute {
    category: &'static str,
    pub end: End,
    major: bool,
    /// Fen recovered (resolved disputes).
    recovered: i64,
    written: bool,
    confirm: bool,
    extend: bool,
    partial_first: bool,
    /// A second registration of the same dispute, merged into this one.
    repeat: bool,
    pub from_visit: bool,
    pub village: usize,
    at_town: bool,
    pub day: Date,
}

/// The year's disputes, each with its path, in the order they are registered.
///
/// # Errors
/// None in practice (a bad date in the plan).
pub fn plan_year(g: &mut Gen<'_>) -> Result<Vec<Dispute>> {
    let p = &PLAN;
    let days = g.working_days(date(2023, Month::January, 3)?, date(2023, p.last_day.0, p.last_day.1)?);
    let (first, step, n) = p.major;
    let major: Vec<usize> = (0..n).map(|k| first + k * step).collect();
    let mut plans: Vec<Dispute> = Vec::new();
    for (i, day) in spread(&days, p.slots).into_iter().enumerate() {
        let major_no = major.iter().position(|m| *m == i);
        let category = match major_no {
            Some(k) => p.major_categories[k % p.major_categories.len()],
            None => g.pick(&p.categories).unwrap_or("other"),
        };
        let end = if p.declined.contains(&i) {
            End::Declined
        } else if p.failed.contains(&i) {
            End::Failed
        } else if p.referred.contains(&i) {
            End::Referred
        } else {
            End::Resolved
        };
        let is_major = major_no.is_some();
        let r: u32 = g.rng.random_range(0..1000);
        plans.push(Dispute {
            category,
            end,
            major: is_major,
            recovered: 0,
            written: is_major || r < p.written_below,
            confirm: (is_major && i % 2 == 0) || r % p.confirm_when.0 == p.confirm_when.1,
            extend: (is_major && i % 3 == 0) || r % p.extend_when.0 == p.extend_when.1,
            partial_first: r % p.partial_first_when.0 == p.partial_first_when.1,
            repeat: p.repeated.contains(&i),
            from_visit: false,
            village: g.rng.random_range(0..VILLAGES.len()),
            at_town: is_major || r.is_multiple_of(p.at_town_every),
            day,
        });
    }
    // What was recovered: large sums for the major disputes, modest or none for the others; shared
    // out so the year adds up to the seed's figure exactly.
    let weights: Vec<i64> = plans
        .iter()
        .map(|d| match (d.end, d.major) {
            (End::Resolved, true) => g.rng.random_range(300..1500),
            (End::Resolved, false) if p.small_categories.contains(&d.category) => {
                if g.rng.random_range(0..10) < 6 {
                    0
                } else {
                    g.rng.random_range(1..20)
                }
            }
            (End::Resolved, false) => g.rng.random_range(5..80),
            _ => 0,
        })
        .collect();
    for (d, y) in plans.iter_mut().zip(share(p.recovered_yuan, &weights)) {
        d.recovered = y * 100;
    }
    let (count, stride) = p.from_visit;
    for i in every(p.slots, stride, count, |i| plans[i].end == End::Declined) {
        plans[i].from_visit = true;
    }
    Ok(plans)
}

/// The dispute's registration form.
pub fn input(g: &mut Gen<'_>, d: &Dispute) -> Json {
    let (_, vname) = VILLAGES[d.village];
    let (title, content) = text(g, d.category);
    let mut input = json!({
        "title": title.replace("{v}", vname),
        "content": content.replace("{v}", vname),
        "party_name": g.person(),
        "party_phone": g.phone(),
        "source": (["phone", "grid", "referral", "patrol", "court"][g.rng.random_range(0..5)]),
    });
    let extra = extra(g, d);
    crate::generate::extend(&mut input, extra);
    input
}

/// The dispute's own fields (what a visit does not carry over).
pub fn extra(g: &mut Gen<'_>, d: &Dispute) -> Json {
    let respondent = match d.category {
        "wages" | "social_insurance" => format!(
            "{}{}",
            ["鳌头", "从化", "广州"][g.rng.random_range(0..3)],
            ["某建筑工程有限公司", "某五金制品厂", "某劳务有限公司"][g.rng.random_range(0..3)]
        ),
        "graves" => format!("{}村民小组", ["第一", "第三", "第五"][g.rng.random_range(0..3)]),
        _ => g.person(),
    };
    let mut extra = json!({
        "category": d.category,
        "respondent_name": respondent,
        "location": format!("鳌头镇{}", VILLAGES[d.village].1),
        "major": d.major,
    });
    if d.recovered > 0 {
        let amount = d.recovered + d.recovered / 100 * g.rng.random_range(0..40);
        extra["amount"] = json!(format!("{}.{:02}", amount / 100, amount % 100));
    }
    if g.rng.random_range(0..3) == 0 {
        extra["respondent_phone"] = json!(g.phone());
    }
    extra
}

/// A dispute of 2023 from registration (or its conversion from a visit: `opened`) to archive.
///
/// # Errors
/// A step the workflow refuses (a bug in the plan).
pub fn life(g: &mut Gen<'_>, d: &Dispute, opened: Option<Life>, t0: OffsetDateTime) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let mut life = match opened {
        Some(l) => l,
        None => {
            let input = input(g, d);
            g.open(SLUG, clerk, t0, input)?
        }
    };
    let day = local_date(t0);
    if d.end == End::Declined {
        g.step(&mut life, clerk, t0 + Duration::minutes(40), "decline", json!({"decline_reason": "refused", "routes_told": "对方当事人明确拒绝调解，已告知申请人可向人民法院起诉。"}))?;
        g.step(&mut life, clerk, at(g.later(day, 1), 16 * 60), "archive", json!({}))?;
        g.keep(life);
        return Ok(());
    }
    let (unit_code, mediator_name) = mediation_unit(d);
    let mediator = g.actor(mediator_name)?;
    let path = if d.major {
        ["judicial", "lawyer", "people"][g.rng.random_range(0..3)]
    } else if g.rng.random_range(0..10) == 0 {
        "lawyer"
    } else {
        "people"
    };
    let mediators = match path {
        "judicial" => "朱调解、鳌头人民法庭法官",
        "lawyer" => "朱调解、潘律师",
        _ if d.at_town => "朱调解",
        _ => mediator.name.as_str(),
    }
    .to_string();
    g.step(
        &mut life,
        clerk,
        t0 + Duration::minutes(40),
        "accept",
        json!({"path": path, "mediation_unit": g.unit(unit_code)?.id.to_string(), "mediators": mediators, "consent": true}),
    )?;
    if d.repeat {
        // The other party registered the same dispute at the village the next morning.
        let t2 = at(g.later(day, 1), 9 * 60 + 15);
        let mut again = json!({
            "title": life.case.title.clone(),
            "content": life.case.data.get("content").cloned().unwrap_or(Json::Null),
            "category": d.category,
            "source": "grid",
            "party_name": life.case.data.get("respondent_name").cloned().unwrap_or(json!("对方当事人")),
            "respondent_name": life.case.data.get("party_name").cloned().unwrap_or(json!("申请人")),
        });
        if d.major {
            again["major"] = json!(true);
        }
        let mut dup = g.open(SLUG, clerk, t2, again)?;
        g.merge(&mut dup, &mut life, "双方当事人分别登记的同一纠纷", clerk, t2, t2 + Duration::minutes(20))?;
        g.step(&mut dup, clerk, t2 + Duration::hours(3), "archive", json!({}))?;
        g.keep(dup);
    }
    let sessions = g.rng.random_range(1..=3);
    let mut last = day;
    for k in 0..sessions {
        let s = g.later(day, [2, 6, 11][k]);
        last = s;
        g.step(
            &mut life,
            mediator,
            at(s, 15 * 60),
            "session",
            json!({"held_on": fmt_date(s), "place": if d.at_town { "鳌头镇人民调解委员会调解室" } else { "村人民调解委员会调解室" }, "participants": "双方当事人、调解员", "record": "双方陈述纠纷经过和各自诉求，调解员释法说理，分别做思想工作。"}),
        )?;
    }
    match d.end {
        End::Failed => {
            let e = g.later(last, 3);
            g.step(&mut life, mediator, at(e, 16 * 60), "end_mediation", json!({"end_reason": "双方对赔偿数额分歧过大，经多次调解仍未能达成一致。", "routes_told": "已告知双方可依法向人民法院起诉或申请仲裁。"}))?;
            g.step(&mut life, clerk, at(g.later(e, 2), 10 * 60), "archive", json!({}))?;
        }
        End::Referred => {
            let e = g.later(last, 1);
            g.step(&mut life, mediator, at(e, 16 * 60), "refer", json!({"referred_to": "从化区人民法院鳌头人民法庭", "refer_reason": "涉及权属确认，调解组织无权处理，移交诉调对接。"}))?;
            g.step(&mut life, clerk, at(g.later(e, 2), 10 * 60), "archive", json!({}))?;
        }
        End::Resolved => resolve(g, &mut life, d, mediator, last)?,
        End::Declined => {}
    }
    g.keep(life);
    Ok(())
}

/// Where a dispute is mediated, and by whom: the town's committee (司法所) or the village's.
fn mediation_unit(d: &Dispute) -> (&'static str, &'static str) {
    if d.at_town {
        ("sfs", "mediator")
    } else {
        (VILLAGES[d.village].0, ["mediator_longtan", "mediator_xitang", "mediator_qiaotou"][d.village])
    }
}

fn resolve(g: &mut Gen<'_>, life: &mut Life, d: &Dispute, mediator: &Actor, last: Date) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let mut agree_day = g.later(last, 1);
    if d.extend {
        let e = g.later(last, 2);
        g.step(
            life,
            mediator,
            at(e, 11 * 60),
            "extend",
            json!({"extension_days": 10, "extension_reason": "双方当事人同意继续调解，需等待伤情鉴定或核算结果。"}),
        )?;
        // Agreed within the extended target.
        let due = life.case.clocks.due_on().unwrap_or(agree_day);
        agree_day = g.later(due.checked_sub(Duration::days(6)).unwrap_or(due), 0).min(due).max(agree_day);
    }
    let recovered = format!("{}.{:02}", d.recovered / 100, d.recovered % 100);
    let n = g.rng.random_range(10..60);
    let deadline = g.later(agree_day, n);
    if d.written {
        g.step(
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
                "committee": "鳌头镇人民调解委员会",
                "parties_signed": true,
                "mediator_signed": true,
                "recovered": recovered,
            }),
        )?;
        if d.confirm {
            let c = g.later(agree_day, 5);
            g.step(
                life,
                mediator,
                at(c, 15 * 60),
                "confirm",
                json!({"confirmation_result": "confirmed", "court": "从化区人民法院", "applied_on": fmt_date(c)}),
            )?;
        }
    } else {
        g.step(
            life,
            mediator,
            at(agree_day, 16 * 60),
            "agree_oral",
            json!({"terms": format!("双方当场达成和解，被申请人支付{recovered}元并赔礼道歉。"), "performance_manner": "当场履行", "recovered": recovered}),
        )?;
    }
    // After any 司法确认 (five days on), so the case's events stay in the order they happened.
    let n = g.rng.random_range(12..40);
    let mut f = g.later(agree_day, n);
    if d.partial_first {
        g.step(
            life,
            mediator,
            at(f, 10 * 60),
            "follow_up",
            json!({"performance": "partial", "note": "已履行部分款项，余款约定下月付清。"}),
        )?;
        f = g.later(f, 20);
    }
    g.step(
        life,
        mediator,
        at(f, 10 * 60),
        "follow_up",
        json!({"performance": "performed", "note": "回访确认协议已全部履行。"}),
    )?;
    g.step(life, clerk, at(g.later(f, 2), 11 * 60), "archive", json!({}))?;
    Ok(())
}

/// Disputes of the current weeks: one waiting to be accepted, two in mediation (one of them
/// major), one agreed with its 司法确认 window running.
///
/// # Errors
/// A step the workflow refuses (a bug in the plan).
pub fn current_weeks(g: &mut Gen<'_>, today: Date) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let ago = |n: i64| today.checked_sub(Duration::days(n)).unwrap_or(today);
    let open = |category: &'static str, major: bool, village: usize| Dispute {
        category,
        end: End::Resolved,
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
    let waiting = open("neighbour", false, 0);
    let form = input(g, &waiting);
    let d = g.open(SLUG, clerk, at(ago(2), 9 * 60 + 30), form)?;
    g.keep(d);
    for (days, p) in [(5, open("homestead", false, 1)), (9, open("graves", true, 2)), (20, open("injury", false, 0))] {
        let t = at(ago(days), 10 * 60);
        let form = input(g, &p);
        let mut d = g.open(SLUG, clerk, t, form)?;
        let (unit, m) = mediation_unit(&p);
        let mediator = g.actor(m)?;
        g.step(&mut d, clerk, t + Duration::minutes(30), "accept", json!({"path": "people", "mediation_unit": g.unit(unit)?.id.to_string(), "mediators": mediator.name.clone(), "consent": true}))?;
        let s = ago(days - 1);
        g.step(&mut d, mediator, at(s, 15 * 60), "session", json!({"held_on": fmt_date(s), "participants": "双方当事人、调解员", "record": "听取双方陈述，初步释法说理。"}))?;
        if days == 20 {
            let signed = ago(15);
            g.step(&mut d, mediator, at(signed, 16 * 60), "agree_written", json!({"agreement_parties": "双方当事人", "facts": "详见调解笔录", "issues": "医疗费、误工费赔偿", "responsibility": "被申请人承担主要责任", "terms": "被申请人赔偿申请人医疗费、误工费共计28600元", "performance_manner": "银行转账", "performance_deadline": fmt_date(today.checked_add(Duration::days(30)).unwrap_or(today)), "signed_on": fmt_date(signed), "committee": "鳌头镇人民调解委员会", "parties_signed": true, "mediator_signed": true, "recovered": "28600"}))?;
        }
        g.keep(d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PLAN;
    use crate::stated;

    #[test]
    fn the_plan_s_counts_add_up_to_the_seed_s_figures() {
        let accepted = PLAN.slots - PLAN.declined.len();
        assert_eq!(accepted.to_string(), stated(PLAN.seed_figures, "dispute.accepted"), "受理矛盾纠纷456宗");
        let resolved = accepted - PLAN.failed.len() - PLAN.referred.len();
        assert_eq!(resolved.to_string(), stated(PLAN.seed_figures, "dispute.resolved"), "化解450宗");
        assert_eq!(PLAN.major.2.to_string(), stated(PLAN.seed_figures, "dispute.major"), "重大疑难纠纷24宗");
        let wan = format!("{}.{:02}万元", PLAN.recovered_yuan / 10_000, PLAN.recovered_yuan % 10_000 / 100);
        assert_eq!(wan, stated(PLAN.seed_figures, "dispute.recovered"), "挽回群众财产损失2256.03万元");
    }
}
