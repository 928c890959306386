//! The demo's 12345 work orders: the year 2023 as the seed report gives it — "承办广州12345政府服务
//! 热线工单4326件，办结率达100%" — and a dozen orders of the current weeks, open in every state, so
//! the workbench has something to show.
//!
//! [`PLAN`] states the year; [`year`] fills it with the generator, each order driven through the
//! real `work_order` workflow action by action at the time it would have happened.

use fazhi_domain::time_util::local_date;
use fazhi_service::Result;
use rand::Rng;
use serde_json::json;
use time::{Duration, Month};

use crate::SeedFigure;
use crate::generate::{Gen, Weighted, at, date};

pub const SLUG: &str = "work_order";

/// The year of work orders, as data.
pub struct WorkOrderPlan {
    /// The random sequence's seed.
    pub seed: u64,
    /// Orders registered in the year, spread over its working days.
    pub count: usize,
    /// What the seed says, and the figure each sentence must read.
    pub seed_figures: &'static [SeedFigure],
    /// Categories, drawn evenly from this table (so its repeats are the shares): indexes into
    /// [`TEXTS`].
    pub category_draw: [usize; 8],
    /// Where orders go: (unit, the handler who signs there, the place, share in %).
    pub targets: [Weighted<(&'static str, &'static str, &'static str)>; 6],
    /// Urgency, drawn evenly from this table.
    pub urgency_draw: [&'static str; 8],
    /// Each order draws r in 0..1000. Returned first to the wrong village when r is a multiple
    /// of this.
    pub returned_every: u32,
    /// Extended (not urgent ones) when r % .0 == .1; late when r % .0 == .1 — neither for
    /// orders registered after `quiet_from` December (they close within the year).
    pub extended_when: (u32, u32),
    pub late_when: (u32, u32),
    pub quiet_from_december: u8,
    /// The callback's result by r: up to the first bound satisfied, then basic, then (not in
    /// the quiet weeks) unsatisfied and handled again; the rest unreachable.
    pub callback: [(u32, &'static str); 3],
    /// An identity card number is given when r % 10 == this.
    pub idcard_when: u32,
    /// The current weeks: (days ago, unit, handler, how far it got).
    pub current: [(i64, &'static str, &'static str, &'static str); 12],
}

pub const PLAN: WorkOrderPlan = WorkOrderPlan {
    seed: 2023,
    // 承办广州12345政府服务热线工单4326件
    count: 4326,
    seed_figures: &[
        SeedFigure {
            metric: "work_order.accepted", figure: "4326", seed: "承办广州12345政府服务热线工单4326件"
        },
        SeedFigure { metric: "work_order.closed", figure: "4326", seed: "办结率达100%：4326件全部办结" },
        SeedFigure { metric: "work_order.close_rate", figure: "100%", seed: "办结率达100%" },
    ],
    // 1 consult : 2 help : 3 complaint : 1 report : 1 suggestion
    category_draw: [0, 1, 1, 2, 2, 2, 3, 4],
    targets: [
        (("longtan", "handler_longtan", "龙潭村"), 26),
        (("xitang", "handler_xitang", "西塘村"), 24),
        (("qiaotou", "handler_qiaotou", "桥头村"), 22),
        (("ghjs", "handler_ghjs", "规划建设办公室"), 12),
        (("shsw", "handler_shsw", "社会事务办公室"), 9),
        (("nync", "handler_nync", "农业农村办公室"), 7),
    ],
    // 1 urgent : 6 normal : 1 complex
    urgency_draw: ["urgent", "normal", "normal", "normal", "normal", "normal", "normal", "complex"],
    returned_every: 37,
    extended_when: (53, 1),
    late_when: (41, 2),
    quiet_from_december: 10,
    // 90% satisfied, 6% basically satisfied, 2% unsatisfied (handled again), the rest unreachable
    callback: [(899, "satisfied"), (959, "basic"), (979, "unsatisfied")],
    idcard_when: 3,
    current: [
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
    ],
};

/// A sample of texts by category: (title, content); {v} is the village.
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

/// How far an order of the year gets and how: returned first, extended, late, the callback.
#[derive(Debug, Clone, Copy)]
struct Path {
    returned: bool,
    extended: bool,
    late: bool,
    result: &'static str,
}

/// The year's orders and those of the current weeks, by the generator; `progress` hears of every
/// hundred. Returns the first order's receipt number and query code (a sample for the public
/// tracking page).
///
/// # Errors
/// A step the workflow refuses (a bug in the plan).
pub fn year(g: &mut Gen<'_>, progress: &mut impl FnMut(usize, usize)) -> Result<Option<(String, String)>> {
    let p = &PLAN;
    let clerk = g.actor("clerk")?;
    let leader = g.actor("leader")?;
    // Registration dates: `count` working-day slots spread over 2023, in order.
    let days = g.working_days(date(2023, Month::January, 1)?, date(2023, Month::December, 31)?);
    let mut opened: Vec<(time::Date, i64)> =
        (0..p.count).map(|i| (days[i * days.len() / p.count], g.rng.random_range(8 * 60 + 30..17 * 60 + 30))).collect();
    opened.sort();

    let mut sample = None;
    for (i, (day, minute)) in opened.iter().enumerate() {
        let seq = i + 1;
        let (cat, texts) = TEXTS[p.category_draw[g.rng.random_range(0..p.category_draw.len())]];
        let (title, content) = texts[g.rng.random_range(0..texts.len())];
        let (unit_code, handler, place) = g.pick(&p.targets).unwrap_or(p.targets[0].0);
        let place = if unit_code.len() > 4 && place.ends_with('村') {
            place
        } else {
            ["龙潭村", "西塘村", "桥头村"][seq % 3]
        };
        let urgency = p.urgency_draw[g.rng.random_range(0..p.urgency_draw.len())];
        let r: u32 = g.rng.random_range(0..1000);
        let quiet = day.month() == Month::December && day.day() > p.quiet_from_december;
        let path = Path {
            returned: r.is_multiple_of(p.returned_every),
            extended: urgency != "urgent" && r % p.extended_when.0 == p.extended_when.1 && !quiet,
            late: r % p.late_when.0 == p.late_when.1 && !quiet,
            result: if r <= p.callback[0].0 {
                p.callback[0].1
            } else if r <= p.callback[1].0 {
                p.callback[1].1
            } else if r <= p.callback[2].0 && !quiet {
                p.callback[2].1
            } else {
                "unreachable"
            },
        };
        let caller = g.caller(r.is_multiple_of(2));
        let mut input = json!({
            "title": title.replace("{v}", place),
            "content": content.replace("{v}", place),
            "category": cat,
            "urgency": urgency,
            "caller_name": caller,
            "caller_phone": g.phone(),
            "location": format!("鳌头镇{place}"),
            "hotline_no": format!("GZ12345-2023-{:07}", 1_000_000 + seq * 7),
        });
        if r % 10 == p.idcard_when {
            input["caller_idcard"] = json!(g.id_number());
        }
        let t0 = at(*day, *minute);
        let code = g.query_code();
        let mut life = g.open_with_code(SLUG, clerk, t0, input, code)?;
        if sample.is_none() {
            sample = Some((life.case.receipt_no.clone(), life.query_code.clone()));
        }
        let handler_actor = g.actor(handler)?;
        let unit_id = g.unit(unit_code)?.id.to_string();
        let mut t = t0 + Duration::minutes(g.rng.random_range(20..120));
        if path.returned {
            // Sent to the wrong village first.
            let wrong = if unit_code == "longtan" { "xitang" } else { "longtan" };
            let to = g.unit(wrong)?.id.to_string();
            g.step(&mut life, clerk, t, "dispatch", json!({"unit": to, "note": "请核实办理"}))?;
            t += Duration::minutes(g.rng.random_range(30..150));
            let wrong_handler = g.actor(if wrong == "longtan" { "handler_longtan" } else { "handler_xitang" })?;
            g.step(
                &mut life,
                wrong_handler,
                t,
                "return",
                json!({"return_reason": format!("该事项位于{place}，不属本村辖区")}),
            )?;
            t += Duration::minutes(g.rng.random_range(10..60));
        }
        g.step(&mut life, clerk, t, "dispatch", json!({"unit": unit_id, "note": "请按时办理并答复来电人"}))?;
        t += Duration::minutes(g.rng.random_range(10..180));
        g.step(&mut life, handler_actor, t, "sign", json!({}))?;
        let due = life.case.clocks.due_on().unwrap_or(*day);
        let mut reply_day = if path.late {
            let n = g.rng.random_range(1..4);
            g.add_working_days(due, n)
        } else {
            let limit = u32::try_from((due - *day).whole_days()).unwrap_or(1).max(1);
            let span = g.rng.random_range(0..limit.min(4));
            g.working(day.checked_add(Duration::days(i64::from(span))).unwrap_or(*day)).min(due)
        };
        if path.extended {
            t += Duration::hours(3);
            g.step(
                &mut life,
                handler_actor,
                t,
                "request_extension",
                json!({"extension_days": 5, "extension_reason": "需协调相关部门现场核查"}),
            )?;
            t += Duration::hours(1);
            g.step(&mut life, leader, t, "approve_extension", json!({"note": "同意延期，请抓紧办理"}))?;
            reply_day = life.case.clocks.due_on().unwrap_or(reply_day);
            reply_day = g.add_working_days(*day, 3).min(reply_day);
        }
        let mut reply_t = at(reply_day, g.rng.random_range(9 * 60..17 * 60)).max(t + Duration::minutes(30));
        if reply_t.year() > 2023 {
            reply_t = at(date(2023, Month::December, 29).unwrap_or(*day), 16 * 60).max(t + Duration::minutes(5));
        }
        g.step(
            &mut life,
            handler_actor,
            reply_t,
            "reply",
            json!({"reply": "已现场核实并处理，处理结果已电话告知来电人。", "reply_method": "phone"}),
        )?;
        let mut cb_t = reply_t + Duration::hours(g.rng.random_range(20..50));
        g.step(&mut life, clerk, cb_t, "callback", json!({"result": path.result, "note": "已电话回访"}))?;
        if path.result == "unsatisfied" {
            // 重办: the unit handles it again; the caller is satisfied the second time.
            cb_t += Duration::hours(g.rng.random_range(20..40));
            g.step(
                &mut life,
                handler_actor,
                cb_t,
                "reply",
                json!({"reply": "已再次上门处理，问题已解决。", "reply_method": "in_person"}),
            )?;
            cb_t += Duration::hours(24);
            g.step(&mut life, clerk, cb_t, "callback", json!({"result": "satisfied", "note": "重办后回访满意"}))?;
        }
        let archive_t = cb_t + Duration::hours(g.rng.random_range(24..96));
        g.step(&mut life, clerk, archive_t, "archive", json!({}))?;
        g.keep(life);
        if g.made().is_multiple_of(100) {
            progress(g.made(), p.count);
        }
    }
    current_weeks(g)?;
    Ok(sample)
}

/// A handful of orders registered in the last two weeks, left in every open state.
fn current_weeks(g: &mut Gen<'_>) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let today = local_date(g.now());
    g.current_weeks(Some(today.year()), &[]);
    for (i, (ago, unit_code, handler, upto)) in PLAN.current.iter().enumerate() {
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
            "caller_name": Gen::nth_caller(i),
            "caller_phone": g.phone(),
            "location": format!("鳌头镇{place}"),
        });
        let mut life = g.open(SLUG, clerk, t0, input)?;
        let h = g.actor(handler)?;
        let t = t0 + Duration::minutes(30);
        if *upto != "registered" {
            let first = if *upto == "returned" { "xitang" } else { unit_code };
            let to = g.unit(first)?.id.to_string();
            g.step(&mut life, clerk, t, "dispatch", json!({"unit": to}))?;
        }
        if *upto == "returned" {
            g.step(
                &mut life,
                g.actor("handler_xitang")?,
                t + Duration::minutes(40),
                "return",
                json!({"return_reason": "该路段属龙潭村管辖"}),
            )?;
        }
        if matches!(*upto, "handling" | "extension_requested" | "replied") {
            g.step(&mut life, h, t + Duration::hours(1), "sign", json!({}))?;
        }
        if *upto == "extension_requested" {
            g.step(
                &mut life,
                h,
                t + Duration::hours(3),
                "request_extension",
                json!({"extension_days": 5, "extension_reason": "需等待区规划部门意见"}),
            )?;
        }
        if *upto == "replied" {
            g.step(
                &mut life,
                h,
                t + Duration::hours(26),
                "reply",
                json!({"reply": "已安排维修，当天修复。", "reply_method": "phone"}),
            )?;
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
    fn the_plan_s_count_is_the_seed_s() {
        // 承办广州12345政府服务热线工单4326件
        assert_eq!(PLAN.count.to_string(), stated(PLAN.seed_figures, "work_order.accepted"));
        assert_eq!(PLAN.targets.iter().map(|t| t.1).sum::<u32>(), 100, "the targets' shares are percentages");
    }
}
