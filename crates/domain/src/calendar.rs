//! The official working-day calendar: statutory holidays and 调休 make-up working days, per year,
//! as the State Council's yearly notice sets them (rules.md §12).
//!
//! A date is a working day iff it is Monday–Friday and not an off day, or it is a make-up day.
//! Years 2023–2026 ship with fazhi (`crates/domain/data/calendar/*.json`, in the schema of the
//! holiday-cn project so a new year's file can be imported as it is published). For a date in a
//! year with no data fazhi counts plain weekdays and says so: the answer is *provisional* (暂定),
//! never a silent guess.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Weekday};

use crate::time_util::fmt_date;

/// The years shipped in the repository.
const BUILTIN: [(i32, &str); 4] = [
    (2023, include_str!("../data/calendar/2023.json")),
    (2024, include_str!("../data/calendar/2024.json")),
    (2025, include_str!("../data/calendar/2025.json")),
    (2026, include_str!("../data/calendar/2026.json")),
];

/// One year's arrangement, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCalendar {
    pub year: i32,
    /// Where the arrangement was published (the notice's URL).
    pub papers: Vec<String>,
    /// Off days (法定节假日 and the weekend days grouped with them), with the holiday's name.
    pub off: BTreeMap<Date, String>,
    /// Make-up working days (调休上班) on a Saturday or Sunday, with the holiday they serve.
    pub work: BTreeMap<Date, String>,
}

/// The holiday-cn file schema: `{year, papers[], days[{name, date, isOffDay}]}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    papers: Vec<String>,
    days: Vec<DayEntry>,
    #[serde(rename = "$schema", default, skip_serializing)]
    _schema: Option<String>,
    #[serde(rename = "$id", default, skip_serializing)]
    _id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DayEntry {
    name: String,
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// Why a calendar file was refused. Nothing is loaded from a refused file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("日历文件不是有效的JSON或缺少字段：{0}")]
    Malformed(String),
    #[error("日历文件的年份 {0} 不在 2000 至 2100 之间")]
    YearOutOfRange(i32),
    #[error("日历文件未包含任何节假日安排（{0}年的放假通知可能尚未发布），未导入")]
    Empty(i32),
    #[error("第{index}条：日期“{date}”无效，应为 YYYY-MM-DD")]
    BadDate { index: usize, date: String },
    #[error("第{index}条：日期 {date} 不属于 {year} 年的安排（只允许该年及相邻年份的元旦前后日期）")]
    WrongYear { index: usize, date: String, year: i32 },
    #[error("第{index}条：日期 {date} 重复出现")]
    Duplicate { index: usize, date: String },
    #[error("第{index}条：节假日名称不能为空")]
    NoName { index: usize },
    #[error("第{index}条：{date} 标记为调休上班，但该日本来就是工作日（{weekday}）")]
    MakeUpOnWeekday { index: usize, date: String, weekday: &'static str },
}

/// What kind of day a date is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// Monday–Friday, no holiday.
    Weekday,
    /// Saturday or Sunday, no make-up.
    Weekend,
    /// An off day of the named holiday.
    Holiday(String),
    /// A make-up working day for the named holiday.
    MakeUp(String),
}

/// A date as the calendar sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayInfo {
    pub date: Date,
    pub kind: DayKind,
    /// The date's year has no loaded arrangement: `kind` is a plain-weekday guess.
    pub provisional: bool,
}

impl DayInfo {
    pub fn is_working(&self) -> bool {
        matches!(self.kind, DayKind::Weekday | DayKind::MakeUp(_))
    }
}

/// The loaded years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearCalendar>,
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl YearCalendar {
    /// Parses and checks one year's file (holiday-cn schema).
    ///
    /// # Errors
    /// [`CalendarError`], saying which entry is wrong and why.
    pub fn parse_json(text: &str) -> Result<Self, CalendarError> {
        let file: YearFile = serde_json::from_str(text).map_err(|e| CalendarError::Malformed(e.to_string()))?;
        if !(2000..=2100).contains(&file.year) {
            return Err(CalendarError::YearOutOfRange(file.year));
        }
        if file.days.is_empty() {
            return Err(CalendarError::Empty(file.year));
        }
        let mut off = BTreeMap::new();
        let mut work = BTreeMap::new();
        for (i, d) in file.days.iter().enumerate() {
            let index = i + 1;
            let date = crate::time_util::parse_date(&d.date)
                .ok()
                .filter(|_| d.date.len() == 10)
                .ok_or_else(|| CalendarError::BadDate { index, date: d.date.clone() })?;
            // holiday-cn files a year by the notice's title, so a notice may hold the adjoining
            // December or January days (rules.md §12, caveat 1).
            if (date.year() - file.year).abs() > 1 {
                return Err(CalendarError::WrongYear { index, date: d.date.clone(), year: file.year });
            }
            if d.name.trim().is_empty() {
                return Err(CalendarError::NoName { index });
            }
            if off.contains_key(&date) || work.contains_key(&date) {
                return Err(CalendarError::Duplicate { index, date: d.date.clone() });
            }
            if d.is_off_day {
                off.insert(date, d.name.trim().to_string());
            } else {
                if !is_weekend(date) {
                    return Err(CalendarError::MakeUpOnWeekday {
                        index,
                        date: d.date.clone(),
                        weekday: crate::time_util::weekday_zh(date),
                    });
                }
                work.insert(date, d.name.trim().to_string());
            }
        }
        Ok(Self { year: file.year, papers: file.papers, off, work })
    }

    /// The year back in the holiday-cn schema (what `calendar import` stores and exports).
    pub fn to_json(&self) -> String {
        let mut days: Vec<(Date, DayEntry)> = self
            .off
            .iter()
            .map(|(d, n)| (*d, DayEntry { name: n.clone(), date: fmt_date(*d), is_off_day: true }))
            .chain(
                self.work
                    .iter()
                    .map(|(d, n)| (*d, DayEntry { name: n.clone(), date: fmt_date(*d), is_off_day: false })),
            )
            .collect();
        days.sort_by_key(|(d, _)| *d);
        let file = YearFile {
            year: self.year,
            papers: self.papers.clone(),
            days: days.into_iter().map(|(_, e)| e).collect(),
            _schema: None,
            _id: None,
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }
}

impl Calendar {
    /// An empty calendar: every date is provisional.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The years shipped with fazhi (2023–2026).
    pub fn builtin() -> Self {
        let mut cal = Self::empty();
        for (year, text) in BUILTIN {
            match YearCalendar::parse_json(text) {
                Ok(y) => {
                    cal.insert(y);
                }
                // The shipped files are checked by a test; a broken one would be a build defect.
                Err(e) => panic!("built-in calendar {year} is invalid: {e}"),
            }
        }
        cal
    }

    /// Adds or replaces a year; returns the year it replaced.
    pub fn insert(&mut self, year: YearCalendar) -> Option<YearCalendar> {
        self.years.insert(year.year, year)
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = &YearCalendar> {
        self.years.values()
    }

    pub fn year(&self, year: i32) -> Option<&YearCalendar> {
        self.years.get(&year)
    }

    /// What kind of day `date` is.
    pub fn day(&self, date: Date) -> DayInfo {
        let provisional = !self.has_year(date.year());
        // A date may be listed in the neighbouring year's file (元旦 across the year end).
        for y in [date.year(), date.year() + 1, date.year() - 1] {
            if let Some(cal) = self.years.get(&y) {
                if let Some(name) = cal.off.get(&date) {
                    return DayInfo { date, kind: DayKind::Holiday(name.clone()), provisional };
                }
                if let Some(name) = cal.work.get(&date) {
                    return DayInfo { date, kind: DayKind::MakeUp(name.clone()), provisional };
                }
            }
        }
        let kind = if is_weekend(date) { DayKind::Weekend } else { DayKind::Weekday };
        DayInfo { date, kind, provisional }
    }

    /// Whether `date` is a working day for 国家机关.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.day(date).is_working()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_years_load_and_hold_every_make_up_day_of_2026() {
        let cal = Calendar::builtin();
        for y in 2023..=2026 {
            assert!(cal.has_year(y));
        }
        // STACK.md: test the 2026 make-up days.
        for d in [
            date!(2026 - 01 - 04),
            date!(2026 - 02 - 14),
            date!(2026 - 02 - 28),
            date!(2026 - 05 - 09),
            date!(2026 - 09 - 20),
            date!(2026 - 10 - 10),
        ] {
            assert!(matches!(cal.day(d).kind, DayKind::MakeUp(_)), "{d}");
            assert!(cal.is_working_day(d));
        }
    }

    #[test]
    fn holidays_weekends_and_make_up_days_are_told_apart() {
        let cal = Calendar::builtin();
        assert_eq!(cal.day(date!(2024 - 10 - 01)).kind, DayKind::Holiday("国庆节".into()));
        assert_eq!(cal.day(date!(2024 - 09 - 29)).kind, DayKind::MakeUp("国庆节".into()));
        assert_eq!(cal.day(date!(2024 - 09 - 28)).kind, DayKind::Weekend);
        assert_eq!(cal.day(date!(2024 - 09 - 27)).kind, DayKind::Weekday);
        // 2023's 元旦 began on 2022-12-31, listed in the 2023 file.
        let d = cal.day(date!(2022 - 12 - 31));
        assert_eq!(d.kind, DayKind::Holiday("元旦".into()));
        assert!(d.provisional, "2022 itself is not loaded");
    }

    #[test]
    fn a_year_without_data_is_provisional_plain_weekdays() {
        let cal = Calendar::builtin();
        let d = cal.day(date!(2027 - 10 - 01));
        assert!(d.provisional);
        assert_eq!(d.kind, DayKind::Weekday, "a guess, flagged as such");
    }

    #[test]
    fn a_year_round_trips_through_its_json() {
        let cal = Calendar::builtin();
        let y = cal.year(2024).unwrap();
        assert_eq!(&YearCalendar::parse_json(&y.to_json()).unwrap(), y);
    }

    #[test]
    fn malformed_files_are_refused_with_the_entry_and_the_reason() {
        let e = |s: &str| YearCalendar::parse_json(s).unwrap_err();
        assert!(matches!(e("{"), CalendarError::Malformed(_)));
        assert!(matches!(e(r#"{"year":2027}"#), CalendarError::Malformed(_)));
        assert_eq!(e(r#"{"year":2027,"papers":[],"days":[]}"#), CalendarError::Empty(2027));
        assert_eq!(
            e(r#"{"year":2027,"days":[{"name":"元旦","date":"2027-13-01","isOffDay":true}]}"#).to_string(),
            "第1条：日期“2027-13-01”无效，应为 YYYY-MM-DD"
        );
        assert!(matches!(
            e(r#"{"year":2027,"days":[{"name":"元旦","date":"2030-01-01","isOffDay":true}]}"#),
            CalendarError::WrongYear { .. }
        ));
        assert!(matches!(
            e(
                r#"{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true},{"name":"元旦","date":"2027-01-01","isOffDay":true}]}"#
            ),
            CalendarError::Duplicate { index: 2, .. }
        ));
        // 2027-02-03 is a Wednesday: it cannot be a make-up working day.
        assert_eq!(
            e(r#"{"year":2027,"days":[{"name":"春节","date":"2027-02-03","isOffDay":false}]}"#).to_string(),
            "第1条：2027-02-03 标记为调休上班，但该日本来就是工作日（星期三）"
        );
        assert!(matches!(
            e(r#"{"year":2027,"days":[{"name":"","date":"2027-01-01","isOffDay":true}]}"#),
            CalendarError::NoName { index: 1 }
        ));
        assert!(matches!(
            e(r#"{"year":2027,"days":[{"name":"x","date":"2027-01-01","isOffDay":"yes"}]}"#),
            CalendarError::Malformed(_)
        ));
    }
}
