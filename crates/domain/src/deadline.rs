//! Legal clocks. A deadline is (trigger, amount, unit, legal source), counted on the official
//! calendar; suspensions and extensions move it; every due date can say how it was computed.
//!
//! Counting follows 民事诉讼法 (2023) 第八十五条, the residual rule for administrative procedure
//! (行政诉讼法 第一百零一条, 行政复议法 第八十八条): the day the period starts is not counted; if the
//! last day of a period in days or months is a rest day, the period ends on the next working day.
//! Months end on the corresponding day of the last month, or its last day if there is none
//! (民法典 第二百零二条). Periods written as 工作日 count only working days (rules.md §0).

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

use crate::calendar::{Calendar, DayKind};
use crate::error::Invalid;
use crate::time_util::{fmt_date, weekday_zh};

/// The unit a period is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// 日 (calendar days).
    CalendarDay,
    /// 工作日.
    WorkingDay,
    /// 个月.
    Month,
}

impl TimeUnit {
    pub fn label(self) -> &'static str {
        match self {
            Self::CalendarDay => "日",
            Self::WorkingDay => "个工作日",
            Self::Month => "个月",
        }
    }
}

/// A period: amount and unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub amount: u32,
    pub unit: TimeUnit,
}

impl Period {
    pub const fn new(amount: u32, unit: TimeUnit) -> Self {
        Self { amount, unit }
    }

    /// Parses what people write: `5工作日`, `5个工作日`, `8日`, `8天`, `3个月`, `3月`.
    ///
    /// # Errors
    /// A Chinese reason with an example.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().replace(' ', "");
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        let rest = &s[digits.len()..];
        let bad = || Invalid::new(format!("“{}”不是有效期限，应写作 5工作日、15日 或 3个月", raw.trim()));
        let amount: u32 = digits.parse().map_err(|_| bad())?;
        if amount == 0 || amount > 3650 {
            return Err(Invalid::new("期限应在1至3650之间"));
        }
        let unit = match rest {
            "工作日" | "个工作日" | "wd" => TimeUnit::WorkingDay,
            "日" | "天" | "d" => TimeUnit::CalendarDay,
            "个月" | "月" | "m" => TimeUnit::Month,
            _ => return Err(bad()),
        };
        Ok(Self { amount, unit })
    }

    /// "5个工作日", "60日", "3个月".
    pub fn label(&self) -> String {
        format!("{}{}", self.amount, self.unit.label())
    }
}

/// A deadline rule: how long, counted from what, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRule {
    pub period: Period,
    /// What starts the clock, in Chinese ("受理", "交办").
    pub trigger: String,
    /// The legal source ("信访工作条例第三十四条") or the configuration that sets it.
    pub source: String,
}

/// A stretch of time that does not count (中止, 补正, 听证).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// The first day not counted.
    pub from: Date,
    /// The day the clock runs again (not itself suspended).
    pub to: Date,
    pub reason: String,
}

/// An approved extension (延期).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub period: Period,
    pub source: String,
    pub reason: String,
    pub approved_on: Date,
}

/// A computed due date with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Computed {
    pub due: Date,
    /// Some day counted lies in a year without calendar data.
    pub provisional: bool,
    /// The steps, in Chinese, in order.
    pub steps: Vec<String>,
}

/// Counts a period from `start` (not itself counted), collecting explanation steps and the
/// calendar facts that mattered.
fn add_period(
    cal: &Calendar,
    start: Date,
    period: Period,
    steps: &mut Vec<String>,
    provisional: &mut Vec<i32>,
) -> Date {
    let note_year = |d: Date, provisional: &mut Vec<i32>| {
        if !cal.has_year(d.year()) && !provisional.contains(&d.year()) {
            provisional.push(d.year());
        }
    };
    match period.unit {
        TimeUnit::WorkingDay => {
            let mut d = start;
            let mut counted = 0;
            let mut makeups = Vec::new();
            let mut holidays: Vec<(Date, Date, String)> = Vec::new();
            while counted < period.amount {
                d = d.next_day().unwrap_or(d);
                note_year(d, provisional);
                let info = cal.day(d);
                match &info.kind {
                    DayKind::MakeUp(name) => {
                        makeups.push(format!("{}（{}，{}调休上班）", fmt_date(d), weekday_zh(d), name))
                    }
                    DayKind::Holiday(name) => match holidays.last_mut() {
                        Some((_, to, n)) if n == name && to.next_day() == Some(d) => *to = d,
                        _ => holidays.push((d, d, name.clone())),
                    },
                    _ => {}
                }
                if info.is_working() {
                    counted += 1;
                }
            }
            if !makeups.is_empty() {
                steps.push(format!("计入调休上班日：{}", makeups.join("、")));
            }
            if !holidays.is_empty() {
                let spans: Vec<String> = holidays
                    .iter()
                    .map(|(a, b, n)| {
                        if a == b {
                            format!("{}（{n}）", fmt_date(*a))
                        } else {
                            format!("{}至{}（{n}）", fmt_date(*a), fmt_date(*b))
                        }
                    })
                    .collect();
                steps.push(format!("跳过法定节假日：{}", spans.join("、")));
            }
            d
        }
        TimeUnit::CalendarDay => {
            let d = start + Duration::days(i64::from(period.amount));
            note_year(d, provisional);
            d
        }
        TimeUnit::Month => {
            let d = add_months(start, period.amount);
            note_year(d, provisional);
            d
        }
    }
}

/// The corresponding day `months` later, or the last day of that month (民法典 第二百零二条).
pub fn add_months(start: Date, months: u32) -> Date {
    let total = i64::from(start.month() as u8) - 1 + i64::from(months);
    let year = start.year() + i32::try_from(total / 12).unwrap_or(0);
    let month = Month::try_from(u8::try_from(total % 12 + 1).unwrap_or(1)).unwrap_or(Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, start.day().min(last)).unwrap_or(start)
}

/// Moves a last day that falls on a rest day to the next working day (民事诉讼法 第八十五条).
fn roll_to_working_day(cal: &Calendar, due: Date, steps: &mut Vec<String>, provisional: &mut Vec<i32>) -> Date {
    let first = cal.day(due);
    if first.is_working() {
        return due;
    }
    let mut d = due;
    loop {
        d = d.next_day().unwrap_or(d);
        if !cal.has_year(d.year()) && !provisional.contains(&d.year()) {
            provisional.push(d.year());
        }
        if cal.is_working_day(d) {
            break;
        }
    }
    let why = match first.kind {
        DayKind::Holiday(name) => format!("法定节假日（{name}）"),
        _ => format!("休息日（{}）", weekday_zh(due)),
    };
    steps.push(format!(
        "期间最后一日 {} 为{}，依《民事诉讼法》第八十五条顺延至其后第一个工作日 {}",
        fmt_date(due),
        why,
        fmt_date(d)
    ));
    d
}

/// Computes a due date: the rule counted from `start`, then suspensions, then extensions, then
/// the rest-day rule for periods in days or months.
pub fn compute(
    cal: &Calendar,
    rule: &DeadlineRule,
    start: Date,
    suspensions: &[Suspension],
    extensions: &[Extension],
) -> Computed {
    let mut steps = Vec::new();
    let mut provisional = Vec::new();
    let p = rule.period;
    steps.push(format!("依据：{}，期限 {}，自{}（{}）起算", rule.source, p.label(), rule.trigger, fmt_date(start)));
    steps.push(match p.unit {
        TimeUnit::WorkingDay => {
            "起算当日不计入，自次日起逐日计算工作日（周一至周五，除去法定节假日，另计调休上班日）".to_string()
        }
        _ => "依《民事诉讼法》第八十五条，期间开始之日不计算在内".to_string(),
    });
    let mut due = add_period(cal, start, p, &mut steps, &mut provisional);
    steps.push(format!("按期限推算至 {}（{}）", fmt_date(due), weekday_zh(due)));

    for s in suspensions {
        let (days, what) = match p.unit {
            TimeUnit::WorkingDay => {
                let mut n = 0;
                let mut d = s.from;
                while d < s.to {
                    if cal.is_working_day(d) {
                        n += 1;
                    }
                    d = d.next_day().unwrap_or(s.to);
                }
                (n, "个工作日")
            }
            _ => (u32::try_from((s.to - s.from).whole_days().max(0)).unwrap_or(0), "日"),
        };
        if days > 0 {
            due = add_period(
                cal,
                due,
                Period::new(
                    days,
                    if p.unit == TimeUnit::WorkingDay { TimeUnit::WorkingDay } else { TimeUnit::CalendarDay },
                ),
                &mut Vec::new(),
                &mut provisional,
            );
        }
        steps.push(format!(
            "中止（{}）：{} 至 {} 不计入期限，共 {days}{what}，顺延至 {}",
            s.reason,
            fmt_date(s.from),
            fmt_date(s.to.previous_day().unwrap_or(s.to)),
            fmt_date(due)
        ));
    }
    for e in extensions {
        // The period being extended ended, in law, on its last day as rolled off a rest day
        // (民事诉讼法 第八十五条: "期间届满的最后一日是法定休假日的，以法定休假日后的第一日为
        // 期间届满的日期"); the extension runs on from that day, not from the unrolled date — so an
        // extension approved on a rest day the period had rolled over is one of a period that
        // still ran (rules.md §0).
        if p.unit != TimeUnit::WorkingDay {
            due = roll_to_working_day(cal, due, &mut steps, &mut provisional);
        }
        let mut ext_steps = Vec::new();
        due = add_period(cal, due, e.period, &mut ext_steps, &mut provisional);
        steps.push(format!(
            "延期：{} 批准延长 {}（{}；{}），延至 {}",
            fmt_date(e.approved_on),
            e.period.label(),
            e.source,
            e.reason,
            fmt_date(due)
        ));
        steps.extend(ext_steps.into_iter().map(|s| format!("　{s}")));
    }
    if p.unit != TimeUnit::WorkingDay {
        due = roll_to_working_day(cal, due, &mut steps, &mut provisional);
    }
    provisional.sort_unstable();
    for y in &provisional {
        steps.push(format!("⚠ {y}年节假日安排尚未导入，该年按周一至周五推算，结果为暂定；导入后自动重算"));
    }
    steps.push(format!("届满日：{}（{}）", fmt_date(due), weekday_zh(due)));
    Computed { due, provisional: !provisional.is_empty(), steps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rule(amount: u32, unit: TimeUnit) -> DeadlineRule {
        DeadlineRule { period: Period::new(amount, unit), trigger: "受理".into(), source: "测试".into() }
    }

    fn due(start: Date, amount: u32, unit: TimeUnit) -> Date {
        compute(&Calendar::builtin(), &rule(amount, unit), start, &[], &[]).due
    }

    #[test]
    fn eight_working_days_from_2024_09_27_count_both_make_up_days_and_skip_national_day() {
        let c = compute(&Calendar::builtin(), &rule(8, TimeUnit::WorkingDay), date!(2024 - 09 - 27), &[], &[]);
        // 09-29 (make-up) 1, 09-30 2, [10-01..10-07 off], 10-08 3, 10-09 4, 10-10 5, 10-11 6,
        // 10-12 (make-up) 7, [10-13 Sunday], 10-14 8.
        assert_eq!(c.due, date!(2024 - 10 - 14));
        assert!(!c.provisional);
        let text = c.steps.join("\n");
        assert!(text.contains("2024-09-29（星期日，国庆节调休上班）"), "{text}");
        assert!(text.contains("2024-10-12（星期六，国庆节调休上班）"), "{text}");
        assert!(text.contains("跳过法定节假日：2024-10-01至2024-10-07（国庆节）"), "{text}");
        assert!(text.ends_with("届满日：2024-10-14（星期一）"), "{text}");
    }

    #[test]
    fn five_working_days_from_2024_09_27() {
        assert_eq!(due(date!(2024 - 09 - 27), 5, TimeUnit::WorkingDay), date!(2024 - 10 - 10));
    }

    #[test]
    fn working_days_across_each_years_spring_festival() {
        // 2023: off 01-21..01-27, make-up 01-28 (Sat), 01-29 (Sun).
        assert_eq!(due(date!(2023 - 01 - 20), 1, TimeUnit::WorkingDay), date!(2023 - 01 - 28));
        assert_eq!(due(date!(2023 - 01 - 20), 3, TimeUnit::WorkingDay), date!(2023 - 01 - 30));
        // 2024: make-up 02-04 (Sun); off 02-10..02-17; make-up 02-18 (Sun).
        assert_eq!(due(date!(2024 - 02 - 02), 1, TimeUnit::WorkingDay), date!(2024 - 02 - 04));
        assert_eq!(due(date!(2024 - 02 - 09), 1, TimeUnit::WorkingDay), date!(2024 - 02 - 18));
        // 2025: make-up 01-26 (Sun); off 01-28..02-04; make-up 02-08 (Sat).
        assert_eq!(due(date!(2025 - 01 - 24), 2, TimeUnit::WorkingDay), date!(2025 - 01 - 27));
        assert_eq!(due(date!(2025 - 01 - 27), 1, TimeUnit::WorkingDay), date!(2025 - 02 - 05));
        assert_eq!(due(date!(2025 - 02 - 07), 1, TimeUnit::WorkingDay), date!(2025 - 02 - 08));
        // 2026: make-up 02-14 (Sat); off 02-15..02-23; make-up 02-28 (Sat).
        assert_eq!(due(date!(2026 - 02 - 13), 1, TimeUnit::WorkingDay), date!(2026 - 02 - 14));
        assert_eq!(due(date!(2026 - 02 - 14), 1, TimeUnit::WorkingDay), date!(2026 - 02 - 24));
        assert_eq!(due(date!(2026 - 02 - 27), 1, TimeUnit::WorkingDay), date!(2026 - 02 - 28));
    }

    #[test]
    fn working_days_across_the_year_end() {
        // 2025-12-31 (Wed) + 1 wd: 2026-01-01..03 off, 01-04 (Sun) make-up.
        assert_eq!(due(date!(2025 - 12 - 31), 1, TimeUnit::WorkingDay), date!(2026 - 01 - 04));
        // 2022-12-30 (Fri) + 1 wd: 12-31..2023-01-02 off → 2023-01-03, but 2022 is not loaded.
        let c = compute(&Calendar::builtin(), &rule(1, TimeUnit::WorkingDay), date!(2022 - 12 - 29), &[], &[]);
        assert_eq!(c.due, date!(2022 - 12 - 30));
        assert!(c.provisional, "a 2022 day was counted without 2022's data");
    }

    #[test]
    fn calendar_days_do_not_count_the_start_day_and_roll_off_a_holiday() {
        // 15 days from 2024-09-16 → 10-01, a holiday → the first working day after: 10-08.
        let c = compute(&Calendar::builtin(), &rule(15, TimeUnit::CalendarDay), date!(2024 - 09 - 16), &[], &[]);
        assert_eq!(c.due, date!(2024 - 10 - 08));
        assert!(c.steps.iter().any(|s| s.contains("2024-10-01 为法定节假日（国庆节）")), "{:?}", c.steps);
        // Ending on a plain Saturday also rolls to Monday.
        assert_eq!(due(date!(2024 - 03 - 01), 15, TimeUnit::CalendarDay), date!(2024 - 03 - 18));
        // Ending on a make-up Sunday does not roll: it is a working day.
        assert_eq!(due(date!(2024 - 09 - 14), 15, TimeUnit::CalendarDay), date!(2024 - 09 - 29));
    }

    #[test]
    fn months_end_on_the_corresponding_day_or_the_month_end() {
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2023 - 01 - 31), 1), date!(2023 - 02 - 28));
        assert_eq!(add_months(date!(2023 - 11 - 15), 3), date!(2024 - 02 - 15));
        // 3 months from 2024-07-01 is 10-01, a holiday: rolls to 10-08.
        assert_eq!(due(date!(2024 - 07 - 01), 3, TimeUnit::Month), date!(2024 - 10 - 08));
    }

    #[test]
    fn suspension_is_not_counted() {
        let cal = Calendar::builtin();
        let s = Suspension { from: date!(2024 - 03 - 05), to: date!(2024 - 03 - 10), reason: "听证".into() };
        // 60 days from 2024-03-01 → 04-30 (Tue); + 5 suspended days → 05-05, a holiday → 05-06.
        let c = compute(&cal, &rule(60, TimeUnit::CalendarDay), date!(2024 - 03 - 01), std::slice::from_ref(&s), &[]);
        assert_eq!(c.due, date!(2024 - 05 - 06));
        assert!(
            c.steps.iter().any(|x| x.contains("中止（听证）：2024-03-05 至 2024-03-09 不计入期限，共 5日")),
            "{:?}",
            c.steps
        );
        // In working days, only the working days of the suspension are added (03-05..03-08: 4).
        let c = compute(&cal, &rule(5, TimeUnit::WorkingDay), date!(2024 - 03 - 01), &[s], &[]);
        assert_eq!(c.due, date!(2024 - 03 - 14));
    }

    #[test]
    fn an_extension_counts_on_from_the_old_due_date() {
        let cal = Calendar::builtin();
        let e = Extension {
            period: Period::new(30, TimeUnit::CalendarDay),
            source: "信访工作条例第三十四条".into(),
            reason: "情况复杂".into(),
            approved_on: date!(2024 - 04 - 20),
        };
        // 60 days from 2024-03-01 → 04-30; + 30 → 05-30 (Thu).
        let c = compute(&cal, &rule(60, TimeUnit::CalendarDay), date!(2024 - 03 - 01), &[], &[e]);
        assert_eq!(c.due, date!(2024 - 05 - 30));
        assert!(c.steps.iter().any(|s| s.starts_with("延期：2024-04-20 批准延长 30日")));
    }

    #[test]
    fn an_extension_counts_on_from_the_original_last_day_as_rolled_off_a_holiday() {
        let cal = Calendar::builtin();
        let e = |approved_on| Extension {
            period: Period::new(30, TimeUnit::CalendarDay),
            source: "信访工作条例第三十四条".into(),
            reason: "情况复杂".into(),
            approved_on,
        };
        // 60 days from 2024-08-02 → 2024-10-01, 国庆节: the original period ends on the first
        // working day after the holiday, 10-08 (民事诉讼法第八十五条). Extended by 30 days from
        // there: 11-07 (Thu) — not 10-31, counted from the unrolled 10-01.
        let c =
            compute(&cal, &rule(60, TimeUnit::CalendarDay), date!(2024 - 08 - 02), &[], &[e(date!(2024 - 09 - 20))]);
        assert_eq!(c.due, date!(2024 - 11 - 07), "{:?}", c.steps);
        let text = c.steps.join("\n");
        assert!(text.contains("期间最后一日 2024-10-01 为法定节假日（国庆节）"), "{text}");
        assert!(text.contains("延至 2024-11-07"), "{text}");
        // 2025's 春节: 60 days from 2024-11-30 → 2025-01-29 (off 01-28..02-04) → 02-05; + 30 → 03-07.
        let c =
            compute(&cal, &rule(60, TimeUnit::CalendarDay), date!(2024 - 11 - 30), &[], &[e(date!(2025 - 01 - 10))]);
        assert_eq!(c.due, date!(2025 - 03 - 07), "{:?}", c.steps);
        // A weekend rolls too: 60 days from 2024-03-02 → 05-01 (劳动节, off to 05-05) → 05-06; + 30 → 06-05.
        let c =
            compute(&cal, &rule(60, TimeUnit::CalendarDay), date!(2024 - 03 - 02), &[], &[e(date!(2024 - 04 - 20))]);
        assert_eq!(c.due, date!(2024 - 06 - 05), "{:?}", c.steps);
    }

    #[test]
    fn a_year_without_data_gives_a_provisional_date_with_a_warning() {
        let c = compute(&Calendar::builtin(), &rule(5, TimeUnit::WorkingDay), date!(2026 - 12 - 30), &[], &[]);
        assert!(c.provisional);
        assert_eq!(c.due, date!(2027 - 01 - 06), "plain weekdays: 12-31, 01-01, 01-04, 01-05, 01-06");
        assert!(c.steps.iter().any(|s| s.contains("2027年节假日安排尚未导入")));
    }

    #[test]
    fn periods_parse_as_people_write_them() {
        assert_eq!(Period::parse("5工作日"), Ok(Period::new(5, TimeUnit::WorkingDay)));
        assert_eq!(Period::parse("5个工作日"), Ok(Period::new(5, TimeUnit::WorkingDay)));
        assert_eq!(Period::parse("60日"), Ok(Period::new(60, TimeUnit::CalendarDay)));
        assert_eq!(Period::parse("15天"), Ok(Period::new(15, TimeUnit::CalendarDay)));
        assert_eq!(Period::parse("3个月"), Ok(Period::new(3, TimeUnit::Month)));
        assert!(Period::parse("五天").is_err());
        assert!(Period::parse("0日").is_err());
        assert!(Period::parse("5周").is_err());
    }
}
