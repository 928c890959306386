//! Time as fazhi records it: instants are Unix milliseconds (UTC), and every date a person sees or
//! a deadline counts is a date in China Standard Time (UTC+8, no daylight saving).

use time::format_description::BorrowedFormatItem;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, UtcOffset};

/// China Standard Time.
pub const CST: UtcOffset = offset!(+8);

const DATE_FMT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");
const MINUTE_FMT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day] [hour]:[minute]");

/// Milliseconds since the Unix epoch.
pub fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The instant of a millisecond timestamp.
pub fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The date in China of an instant.
pub fn local_date(t: OffsetDateTime) -> Date {
    t.to_offset(CST).date()
}

/// The date in China of a millisecond timestamp.
pub fn local_date_ms(ms: i64) -> Date {
    local_date(from_ms(ms))
}

/// Midnight at the start of `d` in China, as milliseconds.
pub fn day_start_ms(d: Date) -> i64 {
    to_ms(d.midnight().assume_offset(CST))
}

/// 2023-10-08
pub fn fmt_date(d: Date) -> String {
    d.format(DATE_FMT).unwrap_or_default()
}

/// 2023-10-08 14:05, in China time.
pub fn fmt_minute(t: OffsetDateTime) -> String {
    t.to_offset(CST).format(MINUTE_FMT).unwrap_or_default()
}

/// 2023-10-08 14:05 from milliseconds.
pub fn fmt_minute_ms(ms: i64) -> String {
    fmt_minute(from_ms(ms))
}

/// Parses 2023-10-08 (also 2023/10/08 and 2023年10月8日).
///
/// # Errors
/// A Chinese reason.
pub fn parse_date(raw: &str) -> Result<Date, crate::Invalid> {
    let t = raw.trim();
    let norm: String = t.replace(['年', '月', '/'], "-").replace('日', "");
    let parts: Vec<&str> = norm.split('-').collect();
    let bad = || crate::Invalid::new(format!("“{t}”不是有效日期，请按 2024-09-27 的格式填写"));
    if parts.len() != 3 {
        return Err(bad());
    }
    let y: i32 = parts[0].parse().map_err(|_| bad())?;
    let m: u8 = parts[1].parse().map_err(|_| bad())?;
    let d: u8 = parts[2].parse().map_err(|_| bad())?;
    if !(1900..=2200).contains(&y) {
        return Err(bad());
    }
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    Date::from_calendar_date(y, month, d).map_err(|_| bad())
}

/// 星期一 … 星期日
pub fn weekday_zh(d: Date) -> &'static str {
    use time::Weekday::*;
    match d.weekday() {
        Monday => "星期一",
        Tuesday => "星期二",
        Wednesday => "星期三",
        Thursday => "星期四",
        Friday => "星期五",
        Saturday => "星期六",
        Sunday => "星期日",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_late_evening_utc_instant_is_the_next_day_in_china() {
        let t = datetime!(2023-12-31 17:00 UTC);
        assert_eq!(local_date(t), date!(2024 - 01 - 01));
        assert_eq!(fmt_minute(t), "2024-01-01 01:00");
    }

    #[test]
    fn milliseconds_round_trip() {
        let t = datetime!(2024-09-27 08:30:00.123 UTC);
        assert_eq!(from_ms(to_ms(t)), t);
        assert_eq!(day_start_ms(date!(2024 - 01 - 01)), to_ms(datetime!(2023-12-31 16:00 UTC)));
    }

    #[test]
    fn dates_parse_in_the_forms_people_type() {
        assert_eq!(parse_date("2024-09-27"), Ok(date!(2024 - 09 - 27)));
        assert_eq!(parse_date("2024/9/27"), Ok(date!(2024 - 09 - 27)));
        assert_eq!(parse_date("2024年9月27日"), Ok(date!(2024 - 09 - 27)));
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("明天").is_err());
    }
}
