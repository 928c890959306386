//! The demo's petitions (信访件) of 2023, reproducing the seed's "受理信访件432宗，求决类信访件一次性
//! 化解率98.54%，满意率99.62%，规定时间办结率100%", and five of the current weeks in their working
//! states.
//!
//! How the figures come about: 439 petitions are registered: 5 申诉求决 matters are guided to
//! other statutory procedures and 2 are not accepted, so 432 are accepted (274 申诉求决, 98 建议意见,
//! 60 检举控告). Every conclusion meets its deadline (8 after an approved, notified extension). Of
//! the 274 claims, 270 are concluded at the first handling; 2 go to 复查 (upheld), 1 to 复查 and 复核
//! (upheld, final), and 1 is sent back by its 复查 and concluded again: 270 / 274 = 98.54%. 265
//! petitioners evaluate the result, one of them not satisfied: 264 / 265 = 99.62%. 90 came in as
//! visits (see `visit.rs`).

use fazhi_domain::case::Actor;
use fazhi_domain::petition::thirty_days;
use fazhi_domain::time_util::{fmt_date, local_date};
use fazhi_service::Result;
use rand::Rng;
use serde_json::{Value as Json, json};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::SeedFigure;
use crate::generate::{Gen, Life, VILLAGES, at, date, every, extend, spread};

pub const SLUG: &str = "petition";

/// The year of petitions, as data.
pub struct PetitionPlan {
    /// What the seed says, and the figure each sentence must read.
    pub seed_figures: &'static [SeedFigure],
    /// Petitions registered, spread over the working days of 2023 up to `last_day`.
    pub slots: usize,
    pub last_day: (Month, u8),
    /// Slots not accepted (a claim pending elsewhere, a suggestion outside the town's remit).
    pub not_accepted: [(usize, &'static str); 2],
    /// Claims guided to other statutory procedures (诉讼、仲裁、行政复议).
    pub redirected: [usize; 5],
    /// The others by slot % 7: 0 an accusation, 1 and 4 a suggestion, else a claim — each up to
    /// its count (claims, suggestions, accusations accepted).
    pub accepted: (usize, usize, usize),
    /// Channels, drawn evenly from this table.
    pub channel_draw: [&'static str; 7],
    /// Accused units, in turn.
    pub accused_units: [&'static str; 8],
    /// Claims (by their number among the accepted claims) not resolved at the first handling.
    pub not_one_time: [(usize, Path); 4],
    /// Claims whose handling is extended (approved, notified).
    pub extended: [usize; 8],
    /// Petitioners who evaluate the result satisfied or basically (every ninth from the fifth),
    /// drawn among the accepted; the final one evaluates it not satisfied.
    pub rated: usize,
    /// How many came in as visits, picked every `.1` slots (never a not-accepted one).
    pub from_visit: (usize, usize),
}

pub const PLAN: PetitionPlan = PetitionPlan {
    seed_figures: &[
        SeedFigure { metric: "petition.accepted", figure: "432", seed: "受理信访件432宗" },
        SeedFigure {
            metric: "petition.one_time_rate", figure: "98.54%", seed: "求决类信访件一次性化解率98.54%"
        },
        SeedFigure { metric: "petition.satisfaction_rate", figure: "99.62%", seed: "满意率99.62%" },
        SeedFigure { metric: "petition.on_time_rate", figure: "100%", seed: "规定时间办结率100%" },
    ],
    // 432 accepted + 5 guided elsewhere + 2 not accepted
    slots: 439,
    last_day: (Month::November, 10),
    not_accepted: [(61, "claim"), (300, "suggestion")],
    redirected: [50, 140, 230, 320, 410],
    // 274 + 98 + 60 = 432
    accepted: (274, 98, 60),
    channel_draw: ["letter", "online", "phone", "online", "letter", "fax", "online"],
    accused_units: ["longtan", "xitang", "qiaotou", "zfb", "ghjs", "sfs", "nync", "shsw"],
    // 270 / 274 = 98.54%
    not_one_time: [(20, Path::ReviewUpheld), (90, Path::ReviewUpheld), (150, Path::Final), (210, Path::Reopened)],
    extended: [11, 44, 77, 110, 143, 176, 199, 240],
    // 264 / 265 = 99.62%
    rated: 264,
    from_visit: (90, 37),
};

/// Petition texts by category; {v} is a village, {u} the accused unit.
const TEXTS: [(&str, [(&str, &str); 3]); 3] = [
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

/// How a petition goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    OneTime,
    ReviewUpheld,
    Final,
    Reopened,
    Redirected,
    NotAccepted,
}

/// One petition's path through the year.
#[derive(Debug, Clone)]
pub struct Petition {
    category: &'static str,
    pub path: Path,
    extend: bool,
    rating: Option<&'static str>,
    accused: Option<&'static str>,
    handler: usize,
    channel: &'static str,
    pub from_visit: bool,
    pub day: Date,
}

/// The year's petitions, each with its path, in the order they are registered.
///
/// # Errors
/// None in practice (a bad date in the plan).
pub fn plan_year(g: &mut Gen<'_>) -> Result<Vec<Petition>> {
    let p = &PLAN;
    let days = g.working_days(date(2023, Month::January, 3)?, date(2023, p.last_day.0, p.last_day.1)?);
    let (max_claims, max_suggestions, max_accusations) = p.accepted;
    let mut plans = Vec::new();
    let (mut claims, mut suggestions, mut accusations) = (0, 0, 0);
    for (i, day) in spread(&days, p.slots).into_iter().enumerate() {
        let (category, path) = if let Some((_, c)) = p.not_accepted.iter().find(|(s, _)| *s == i) {
            (*c, Path::NotAccepted)
        } else if p.redirected.contains(&i) {
            ("claim", Path::Redirected)
        } else {
            match i % 7 {
                0 if accusations < max_accusations => ("accusation", Path::OneTime),
                1 | 4 if suggestions < max_suggestions => ("suggestion", Path::OneTime),
                _ if claims < max_claims => ("claim", Path::OneTime),
                _ if suggestions < max_suggestions => ("suggestion", Path::OneTime),
                _ => ("accusation", Path::OneTime),
            }
        };
        if path == Path::OneTime {
            match category {
                "claim" => claims += 1,
                "suggestion" => suggestions += 1,
                _ => accusations += 1,
            }
        }
        let channel = p.channel_draw[g.rng.random_range(0..p.channel_draw.len())];
        plans.push(Petition {
            category,
            path,
            extend: false,
            rating: None,
            accused: (category == "accusation").then(|| p.accused_units[accusations % p.accused_units.len()]),
            handler: g.rng.random_range(0..6),
            channel,
            from_visit: false,
            day,
        });
    }
    let claim_idx: Vec<usize> =
        (0..p.slots).filter(|i| plans[*i].category == "claim" && plans[*i].path == Path::OneTime).collect();
    for (k, path) in p.not_one_time {
        plans[claim_idx[k]].path = path;
    }
    for k in p.extended {
        plans[claim_idx[k]].extend = true;
    }
    // The evaluations: drawn among the accepted that end at the first or second level.
    let mut accepted: Vec<usize> = (0..p.slots)
        .filter(|i| !matches!(plans[*i].path, Path::Redirected | Path::NotAccepted | Path::Final))
        .collect();
    for i in (1..accepted.len()).rev() {
        let j = g.rng.random_range(0..=i);
        accepted.swap(i, j);
    }
    for (n, i) in accepted.into_iter().take(p.rated).enumerate() {
        plans[i].rating = Some(if n % 9 == 4 { "basic" } else { "satisfied" });
    }
    if let Some(f) = plans.iter_mut().find(|d| d.path == Path::Final) {
        f.rating = Some("unsatisfied");
    }
    let (count, stride) = p.from_visit;
    for i in every(p.slots, stride, count, |i| plans[i].path == Path::NotAccepted) {
        plans[i].from_visit = true;
    }
    Ok(plans)
}

/// The petition's title and content, drawn.
///
/// # Errors
/// An accused unit the town does not have (a bug in the plan).
pub fn text(g: &mut Gen<'_>, p: &Petition) -> Result<(String, String)> {
    let list = TEXTS.iter().find(|(c, _)| *c == p.category).map_or(&TEXTS[0].1, |(_, t)| t);
    let (title, content) = list[g.rng.random_range(0..3)];
    let v = VILLAGES[g.rng.random_range(0..VILLAGES.len())].1;
    let accused = match p.accused {
        Some(code) => g.unit(code)?.name.clone(),
        None => String::new(),
    };
    Ok((title.replace("{v}", v).replace("{u}", &accused), content.replace("{v}", v).replace("{u}", &accused)))
}

/// The petition's own fields (what a visit does not carry over).
///
/// # Errors
/// An accused unit the town does not have (a bug in the plan).
pub fn extra(g: &Gen<'_>, p: &Petition) -> Result<Json> {
    let mut extra = json!({"category": p.category});
    if let Some(code) = p.accused {
        extra["accused_unit"] = json!(g.unit(code)?.id.to_string());
    }
    Ok(extra)
}

/// A petition of 2023 from registration (or its conversion from a visit: `opened`) to archive.
///
/// # Errors
/// A step the workflow refuses (a bug in the plan).
pub fn life(g: &mut Gen<'_>, p: &Petition, opened: Option<Life>, t0: OffsetDateTime) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let day = local_date(t0);
    let mut life = match opened {
        Some(l) => l,
        None => {
            let (title, content) = text(g, p)?;
            let mut input = json!({
                "title": title,
                "content": content,
                "channel": p.channel,
                "party_name": g.person(),
                "party_phone": g.phone(),
                "party_address": format!("鳌头镇{}", VILLAGES[g.rng.random_range(0..3)].1),
            });
            extend(&mut input, extra(g, p)?);
            if p.channel == "letter" {
                let back = g.rng.random_range(0..3);
                input["received_on"] = json!(fmt_date(day.checked_sub(Duration::days(back)).unwrap_or(day)));
            }
            g.open(SLUG, clerk, t0, input)?
        }
    };
    let n = g.rng.random_range(1..7);
    let accept_day = g.later(day, n);
    match p.path {
        Path::Redirected => {
            let route = ["litigation", "arbitration", "administrative"][g.rng.random_range(0..3)];
            g.step(&mut life, clerk, at(accept_day, 10 * 60), "redirect", json!({"route": route, "notified_on": fmt_date(accept_day), "notice": "经审查，该事项应通过法定途径解决，已书面告知信访人向有权机关提出及所需程序。"}))?;
            g.step(&mut life, clerk, at(g.later(accept_day, 2), 10 * 60), "archive", json!({}))?;
            g.keep(life);
            return Ok(());
        }
        Path::NotAccepted => {
            let reason = if p.category == "claim" { "pending" } else { "outside" };
            g.step(&mut life, clerk, at(accept_day, 10 * 60), "not_accept", json!({"not_accepted_reason": reason, "notified_on": fmt_date(accept_day), "note": "已书面告知信访人。"}))?;
            g.step(&mut life, clerk, at(g.later(accept_day, 2), 10 * 60), "archive", json!({}))?;
            g.keep(life);
            return Ok(());
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
    let handler = g.actor(handler_name)?;
    let method = ["mail", "system", "onsite"][g.rng.random_range(0..3)];
    let mut accept = json!({"unit": g.unit(unit_code)?.id.to_string(), "accepted_on": fmt_date(accept_day), "notified_on": fmt_date(accept_day), "notice_method": method});
    if p.category == "claim" {
        accept["route_checked"] = json!(true);
    }
    g.step(&mut life, clerk, at(accept_day, 10 * 60), "accept", accept)?;
    let n = g.rng.random_range(8..45);
    let mut served = g.later(accept_day, n);
    if p.extend {
        let d = g.later(accept_day, 40);
        g.step(
            &mut life,
            handler,
            at(d, 10 * 60),
            "request_extension",
            json!({"extension_days": 20, "extension_reason": "需组织现场勘测并听取相关村民小组意见。"}),
        )?;
        g.step(
            &mut life,
            g.actor("leader")?,
            at(g.later(d, 1), 9 * 60),
            "approve_extension",
            json!({"extension_notified_on": fmt_date(g.later(d, 1)), "extension_notice_method": "mail", "note": "同意延期，已告知信访人延期理由。"}),
        )?;
        served = g.later(accept_day, 70);
    }
    // The seed's figures are 2023's as at its end: the year's petitions are concluded in it.
    let served = served.min(date(2023, Month::December, 28)?);
    conclude(g, &mut life, p, handler, served)?;
    let mut window_from = served;
    let mut stage = "concluded";
    if matches!(p.path, Path::ReviewUpheld | Path::Final | Path::Reopened) {
        let asked = g.later(served, 10);
        g.step(&mut life, clerk, at(asked, 10 * 60), "request_review", json!({"review_requested_on": fmt_date(asked), "review_body": "从化区人民政府", "review_reason": "信访人对处理意见不服"}))?;
        let decided = g.later(asked, 20);
        let delivered = g.later(decided, 2);
        let result = if p.path == Path::Reopened { "revoked" } else { "upheld" };
        g.step(&mut life, g.actor("district")?, at(delivered, 15 * 60), "review_decide", json!({"review_result": result, "review_opinion": if result == "revoked" { "原处理意见认定事实不清，撤销并责令重新办理。" } else { "原处理意见认定事实清楚、处理适当，予以维持。" }, "review_decided_on": fmt_date(decided), "review_served_on": fmt_date(delivered)}))?;
        if result == "revoked" {
            let again = g.later(delivered, 20);
            conclude(g, &mut life, p, handler, again)?;
            window_from = again;
        } else {
            window_from = delivered;
            stage = "reviewed";
        }
        if p.path == Path::Final {
            let asked = g.later(delivered, 10);
            g.step(&mut life, clerk, at(asked, 10 * 60), "request_rereview", json!({"rereview_requested_on": fmt_date(asked), "rereview_body": "广州市人民政府", "rereview_reason": "信访人对复查意见不服"}))?;
            let decided = g.later(asked, 20);
            let delivered = g.later(decided, 2);
            g.step(&mut life, g.actor("district")?, at(delivered, 15 * 60), "rereview_decide", json!({"rereview_result": "upheld", "rereview_opinion": "复查意见正确，予以维持。", "rereview_decided_on": fmt_date(decided), "rereview_served_on": fmt_date(delivered)}))?;
            window_from = delivered;
            stage = "final";
        }
    }
    if let Some(r) = p.rating {
        let n = g.rng.random_range(3..8);
        let mut d = g.later(window_from, n);
        // The seed counts 2023's evaluations as at the year's end: a petitioner served in
        // December evaluates before the year is out.
        let year_end = date(2023, Month::December, 29)?;
        if window_from <= year_end && d > year_end {
            d = year_end;
        }
        g.step(&mut life, clerk, at(d, 11 * 60), "rate", json!({"result": r, "note": "电话回访"}))?;
    }
    // Archived once the petitioner can no longer ask for 复查 (复核).
    let archive_day = match stage {
        "final" => g.later(window_from, 10),
        "reviewed" => g.later(thirty_days(g.cal, window_from, "", ""), 3),
        _ => {
            let n = g.rng.random_range(2..10);
            g.later(thirty_days(g.cal, window_from, "", ""), n)
        }
    };
    g.step(&mut life, clerk, at(archive_day, 16 * 60), "archive", json!({}))?;
    g.keep(life);
    Ok(())
}

fn conclude(g: &mut Gen<'_>, life: &mut Life, p: &Petition, handler: &Actor, served: Date) -> Result<()> {
    if p.category == "claim" {
        let outcome = ["support", "support", "explain", "not_supported"][g.rng.random_range(0..4)];
        g.step(
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
        g.step(life, handler, at(served, 16 * 60), "reply", json!({"reply": if p.category == "accusation" { "已依规核查处理，处理结果已书面答复信访人。" } else { "感谢您的建议，已转有关部门研究采纳并纳入工作计划。" }, "served_on": fmt_date(served)}))
    }
}

/// Petitions of the current weeks: one waiting for the acceptance decision, one in handling, one
/// waiting for an extension's approval, an accusation against 司法所 (withheld from its staff),
/// one in 复查.
///
/// # Errors
/// A step the workflow refuses (a bug in the plan).
pub fn current_weeks(g: &mut Gen<'_>, today: Date) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let ago = |n: i64| today.checked_sub(Duration::days(n)).unwrap_or(today);
    let mk = |category: &'static str, accused: Option<&'static str>| Petition {
        category,
        path: Path::OneTime,
        extend: false,
        rating: None,
        accused,
        handler: 0,
        channel: "online",
        from_visit: false,
        day: today,
    };
    let p = mk("claim", None);
    let more = extra(g, &p)?;
    let (title, content) = text(g, &p)?;
    let mut input = json!({"title": title, "content": content, "channel": "letter", "party_name": g.person(), "party_phone": g.phone(), "received_on": fmt_date(ago(4))});
    extend(&mut input, more);
    let life = g.open(SLUG, clerk, at(ago(3), 9 * 60), input)?;
    g.keep(life);
    for (days, category, accused, unit, handler, upto) in [
        (10, "claim", None, "longtan", "handler_longtan", "handling"),
        (45, "claim", None, "xitang", "handler_xitang", "extension_requested"),
        (12, "accusation", Some("sfs"), "jjjc", "handler_jjjc", "handling"),
        (40, "claim", None, "ghjs", "handler_ghjs", "review"),
    ] {
        let p = mk(category, accused);
        let (title, content) = text(g, &p)?;
        let mut input = json!({"title": title, "content": content, "channel": "online", "party_name": g.person(), "party_phone": g.phone()});
        extend(&mut input, extra(g, &p)?);
        let t = at(ago(days), 9 * 60 + 40);
        let mut life = g.open(SLUG, clerk, t, input)?;
        let accept_day = ago(days - 2);
        let mut accept = json!({"unit": g.unit(unit)?.id.to_string(), "accepted_on": fmt_date(accept_day), "notified_on": fmt_date(accept_day), "notice_method": "system"});
        if category == "claim" {
            accept["route_checked"] = json!(true);
        }
        g.step(&mut life, clerk, at(accept_day, 10 * 60), "accept", accept)?;
        let h = g.actor(handler)?;
        g.step(
            &mut life,
            h,
            at(ago(days - 3), 11 * 60),
            "progress",
            json!({"note": "已约见信访人了解情况，正在调查核实。"}),
        )?;
        if upto == "extension_requested" {
            g.step(
                &mut life,
                h,
                at(ago(1), 10 * 60),
                "request_extension",
                json!({"extension_days": 15, "extension_reason": "需等待区有关部门出具书面意见。"}),
            )?;
        }
        if upto == "review" {
            let served = ago(days - 20);
            conclude(g, &mut life, &p, h, served)?;
            let asked = ago(days - 32);
            g.step(&mut life, clerk, at(asked, 10 * 60), "request_review", json!({"review_requested_on": fmt_date(asked), "review_body": "从化区人民政府", "review_reason": "信访人对处理意见不服"}))?;
        }
        g.keep(life);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PLAN;
    use crate::stated;

    #[test]
    fn the_plan_s_counts_add_up_to_the_seed_s_figures() {
        let accepted = PLAN.slots - PLAN.redirected.len() - PLAN.not_accepted.len();
        assert_eq!(accepted.to_string(), stated(PLAN.seed_figures, "petition.accepted"), "受理信访件432宗");
        let (claims, suggestions, accusations) = PLAN.accepted;
        assert_eq!(claims + suggestions + accusations, accepted, "every accepted petition has its category");
        // 求决类信访件一次性化解率98.54%: 270 of the 274 claims at the first handling.
        let one_time = claims - PLAN.not_one_time.len();
        let rate = format!("{}.{:02}%", one_time * 100 / claims, one_time * 10_000 / claims % 100);
        assert_eq!(rate, stated(PLAN.seed_figures, "petition.one_time_rate"));
    }
}
