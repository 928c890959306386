//! The demo's visits (来访) of 2023, reproducing the seed's "接待群众来访296批939人次", and the
//! order of the year's intakes at the town's door: a visit is received, and may become a dispute
//! or a petition in one click (a link both ways); disputes and petitions also come in by other
//! channels. Two visits of the current weeks: a group waiting at the desk, one turned into a work
//! order.
//!
//! How the figures come about: 296 visits are received (批), their people adding up to 939 (人次):
//! 150 are turned into disputes and 90 into petitions (see `dispute.rs`, `petition.rs`), 52 are
//! answered on the spot, and 4 are the same person back the same afternoon about the same matter,
//! each registered and merged into the visit it repeats — received all the same (信访工作条例
//! counts receptions), one matter (292 来访事项).

use fazhi_domain::time_util::local_date;
use fazhi_service::Result;
use rand::Rng;
use serde_json::json;
use time::{Date, Duration, Month, OffsetDateTime};

use crate::generate::{Gen, VILLAGES, at, date, spread};
use crate::{SeedFigure, dispute, petition};

pub const SLUG: &str = "visit";

/// The year of visits, as data.
pub struct VisitPlan {
    /// The random sequence's seed (of this part of the year: visits, disputes, petitions).
    pub seed: u64,
    /// What the seed says, and the figure each sentence must read.
    pub seed_figures: &'static [SeedFigure],
    /// 人次: the people of all visits, the repeat visits' one each included.
    pub persons: i64,
    /// Visits answered on the spot, spread over the working days of 2023 up to `last_day`, and
    /// those of them (by number) visited again by the same person the same afternoon.
    pub answered: usize,
    pub last_day: (Month, u8),
    pub repeated: [usize; 4],
    /// Group visits: every `.0`-th visit from the `.1`-th, of 6 to 25 people; the others bring 1
    /// to 3 (at most 5 once the total is made up).
    pub groups: (usize, usize),
    /// The hotline orders of the current weeks numbered before the one a visit becomes then
    /// (its receipt number follows theirs, with room: 900101).
    pub current_orders_before: u32,
}

pub const PLAN: VisitPlan = VisitPlan {
    // the seed's 2256.03万元 recovered, as a number
    seed: 2_256_030,
    seed_figures: &[
        SeedFigure { metric: "visit.batches", figure: "296", seed: "接待群众来访296批" },
        SeedFigure { metric: "visit.persons", figure: "939", seed: "939人次" },
        SeedFigure {
            metric: "visit.matters",
            figure: "292",
            seed: "（296批中4批为同一来访人当日重复来访：292个来访事项）",
        },
    ],
    // 接待群众来访296批939人次
    persons: 939,
    // 296 = 150 to disputes + 90 to petitions + 52 answered + 4 repeats
    answered: 52,
    last_day: (Month::December, 22),
    repeated: [7, 21, 35, 49],
    groups: (13, 6),
    current_orders_before: 100,
};

/// What a visit comes to.
#[derive(Debug, Clone)]
enum End {
    ToDispute(usize),
    ToPetition(usize),
    Answered { repeat: bool },
}

enum Intake {
    Visit(End),
    Dispute(usize),
    Petition(usize),
}

/// The year's visits, disputes and petitions, in the order they came in, then those of the
/// current weeks.
///
/// # Errors
/// A step the workflow refuses (a bug in a plan).
pub fn year(g: &mut Gen<'_>) -> Result<()> {
    let p = &PLAN;
    let disputes = dispute::plan_year(g)?;
    let petitions = petition::plan_year(g)?;
    let days = g.working_days(date(2023, Month::January, 3)?, date(2023, p.last_day.0, p.last_day.1)?);

    // Those turned into disputes and petitions come on their day; the answered ones spread out.
    let mut intakes: Vec<(OffsetDateTime, Intake)> = Vec::new();
    for (i, d) in disputes.iter().enumerate() {
        let t = at(d.day, g.rng.random_range(8 * 60 + 30..16 * 60));
        intakes.push((t, if d.from_visit { Intake::Visit(End::ToDispute(i)) } else { Intake::Dispute(i) }));
    }
    for (i, d) in petitions.iter().enumerate() {
        let t = at(d.day, g.rng.random_range(8 * 60 + 30..16 * 60));
        intakes.push((t, if d.from_visit { Intake::Visit(End::ToPetition(i)) } else { Intake::Petition(i) }));
    }
    for (k, day) in spread(&days, p.answered).into_iter().enumerate() {
        let t = at(day, g.rng.random_range(8 * 60 + 30..16 * 60));
        intakes.push((t, Intake::Visit(End::Answered { repeat: p.repeated.contains(&k) })));
    }
    intakes.sort_by_key(|(t, _)| *t);

    // People per visit, adding up to the seed's 人次 with the one person of each repeat visit.
    let (every, from) = p.groups;
    let n_visits = intakes.iter().filter(|(_, i)| matches!(i, Intake::Visit(_))).count();
    let target = p.persons - i64::try_from(p.repeated.len()).unwrap_or(0);
    let mut people: Vec<i64> = (0..n_visits)
        .map(|k| if k % every == from { g.rng.random_range(6..=25) } else { g.rng.random_range(1..=3) })
        .collect();
    let mut total: i64 = people.iter().sum();
    while total != target {
        let k = g.rng.random_range(0..n_visits);
        if k % every == from {
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

    let mut visit_no = 0;
    for (t, intake) in intakes {
        match intake {
            Intake::Visit(end) => {
                let n = people[visit_no];
                visit_no += 1;
                visit(g, t, n, end, &disputes, &petitions)?;
            }
            Intake::Dispute(i) => dispute::life(g, &disputes[i], None, t)?,
            Intake::Petition(i) => petition::life(g, &petitions[i], None, t)?,
        }
    }

    let today = local_date(g.now());
    g.current_weeks(None, &[(crate::work_order::SLUG, p.current_orders_before)]);
    current_weeks(g, today)?;
    dispute::current_weeks(g, today)?;
    petition::current_weeks(g, today)
}

/// A visit of 2023 and what it became.
fn visit(
    g: &mut Gen<'_>,
    t: OffsetDateTime,
    people: i64,
    end: End,
    disputes: &[dispute::Dispute],
    petitions: &[petition::Petition],
) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let (vcode, vname) = VILLAGES[g.rng.random_range(0..VILLAGES.len())];
    let (title, content, matter) = match &end {
        End::ToDispute(i) => {
            let (ti, co) = dispute::visit_text(g, &disputes[*i]);
            (ti, co, "conflict")
        }
        End::ToPetition(i) => {
            let (ti, co) = petition::text(g, &petitions[*i])?;
            (ti, co, "appeal")
        }
        End::Answered { .. } => {
            let (ti, co, m) = [
                ("咨询{v}宅基地建房审批手续", "来访人咨询农村宅基地建房审批所需材料和办理流程。", "consult"),
                ("咨询劳动合同解除补偿", "来访人咨询被辞退后经济补偿金的计算标准。", "consult"),
                ("咨询遗产继承办理", "来访人咨询父母遗留房屋的继承手续及所需证明。", "consult"),
                ("求助办理法律援助", "来访人因交通事故受伤，求助申请法律援助。", "help"),
                ("反映{v}路灯损坏", "来访人反映{v}村道路灯损坏，请求转有关部门维修。", "complaint"),
            ][g.rng.random_range(0..5)];
            (ti.replace("{v}", vname), co.replace("{v}", vname), m)
        }
    };
    let name = g.person();
    let mut input = json!({
        "title": title,
        "content": content,
        "category": matter,
        "visitor_count": people,
        "party_name": name,
        "party_phone": g.phone(),
        "party_address": format!("鳌头镇{vname}"),
        "received_by": "综治中心 李晓梅",
    });
    // 信访工作条例第二十条: a group names representatives, at most five and never more than came.
    if people > 5 || (people > 1 && g.rng.random_range(0..2) == 0) {
        let more = g.rng.random_range(0..3).min(people - 1);
        let mut reps = vec![name.clone()];
        for _ in 0..more {
            reps.push(g.person());
        }
        input["representatives"] = json!(reps.join("、"));
    }
    if g.rng.random_range(0..10) < 3 {
        input["party_idcard"] = json!(g.id_number());
    }
    // 村（居）法律顾问坐岗接访: some visits are received at the village.
    if g.rng.random_range(0..5) == 0 {
        input["receiving_unit"] = json!(g.unit(vcode)?.id.to_string());
        input["received_by"] = json!(format!("{vname}法律顾问"));
    }
    let mut life = g.open(SLUG, clerk, t, input.clone())?;
    let t1 = t + Duration::minutes(30);
    match end {
        End::ToDispute(i) => {
            let extra = dispute::extra(g, &disputes[i]);
            let d = g.convert(&mut life, &input, dispute::SLUG, extra, clerk, t1)?;
            dispute::life(g, &disputes[i], Some(d), t1)?;
        }
        End::ToPetition(i) => {
            let extra = petition::extra(g, &petitions[i])?;
            let p = g.convert(&mut life, &input, petition::SLUG, extra, clerk, t1)?;
            petition::life(g, &petitions[i], Some(p), t1)?;
        }
        End::Answered { repeat } => {
            g.step(
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
                let mut dup = g.open(SLUG, clerk, t2, again)?;
                g.merge(
                    &mut dup,
                    &mut life,
                    "同一来访人当日就同一事项再次来访",
                    clerk,
                    t2,
                    t2 + Duration::minutes(10),
                )?;
                let ta = at(g.later(local_date(t2), 1), 17 * 60);
                g.step(&mut dup, clerk, ta, "archive", json!({}))?;
                g.keep(dup);
            }
        }
    }
    let ta = at(g.later(local_date(t), 1), 17 * 60 + 10);
    g.step(&mut life, clerk, ta, "archive", json!({}))?;
    g.keep(life);
    Ok(())
}

/// Visits of the current weeks: a group waiting at the desk, and a visit turned into a work
/// order.
fn current_weeks(g: &mut Gen<'_>, today: Date) -> Result<()> {
    let clerk = g.actor("clerk")?;
    let group = json!({
        "title": "反映西塘村工地拖欠农民工工资",
        "content": "十二名工人集体来访，反映在西塘村附近工地务工被拖欠工资约十八万元，请求协调解决。",
        "category": "conflict",
        "visitor_count": 12,
        "party_name": "黄国强",
        "party_phone": g.phone(),
        "representatives": "黄国强、李家豪、张伟权",
        "received_by": "综治中心 李晓梅",
    });
    let v = g.open(SLUG, clerk, at(today, 9 * 60 + 5), group)?;
    g.keep(v);
    let lamp = json!({
        "title": "反映龙潭村村道路灯损坏",
        "content": "来访人反映龙潭村村道多盏路灯损坏已一周，夜间出行不便。",
        "category": "complaint",
        "visitor_count": 1,
        "party_name": "陈志明",
        "party_phone": g.phone(),
    });
    let t = at(today.checked_sub(Duration::days(1)).unwrap_or(today), 10 * 60);
    let mut v = g.open(SLUG, clerk, t, lamp.clone())?;
    let order = g.convert(
        &mut v,
        &lamp,
        crate::work_order::SLUG,
        json!({"category": "help", "urgency": "normal", "location": "鳌头镇龙潭村村道"}),
        clerk,
        t + Duration::minutes(15),
    )?;
    g.keep(v);
    g.keep(order);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PLAN;
    use crate::{dispute, petition, stated};

    #[test]
    fn the_plan_s_counts_add_up_to_the_seed_s_figures() {
        // 接待群众来访296批939人次: those turned into disputes and petitions, those answered on the
        // spot, and the repeat visits.
        let batches = dispute::PLAN.from_visit.0 + petition::PLAN.from_visit.0 + PLAN.answered + PLAN.repeated.len();
        assert_eq!(batches.to_string(), stated(PLAN.seed_figures, "visit.batches"), "296批");
        assert_eq!(PLAN.persons.to_string(), stated(PLAN.seed_figures, "visit.persons"), "939人次");
        let matters = batches - PLAN.repeated.len();
        assert_eq!(matters.to_string(), stated(PLAN.seed_figures, "visit.matters"));
    }
}
