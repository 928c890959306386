//! 居民身份证号码 under GB 11643-1999 (rules.md §11.1).

use std::fmt;

use time::{Date, Month};

use crate::error::Invalid;

/// ISO 7064 MOD 11-2 weights, 2^(18−i) mod 11 (GB 11643-1999).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check characters indexed by the weighted sum mod 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level prefixes of GB/T 2260 address codes (plus 71 台湾, 81 香港, 82 澳门, and 83 used on
/// residence permits for Taiwan residents). The full county table is not checked: historic codes
/// stay valid on old cards (rules.md §11.1 says be lenient).
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82, 83,
];

/// An 18-character citizen identity number whose structure, birth date and check character are valid.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNumber(String);

impl IdCardNumber {
    /// Parses a number; `today` bounds the birth date. A lower-case `x` is accepted as `X`.
    ///
    /// # Errors
    /// A Chinese reason: wrong length, non-digits, unknown province, impossible or future birth
    /// date, or a wrong check character.
    pub fn parse(raw: &str, today: Date) -> Result<Self, Invalid> {
        let s: String = raw.trim().to_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(Invalid::new(format!("应为18位（现为{n}位）")));
        }
        let chars: Vec<char> = s.chars().collect();
        if !chars[..17].iter().all(char::is_ascii_digit) {
            return Err(Invalid::new("前17位必须是数字"));
        }
        if !(chars[17].is_ascii_digit() || chars[17] == 'X') {
            return Err(Invalid::new("最后一位必须是数字或X"));
        }
        let digit = |i: usize| chars[i].to_digit(10).unwrap_or(0);
        let province = u8::try_from(digit(0) * 10 + digit(1)).unwrap_or(0);
        if !PROVINCES.contains(&province) {
            return Err(Invalid::new("前两位不是有效的省级行政区划代码"));
        }
        let num = |from: usize, len: usize| (from..from + len).fold(0u32, |acc, i| acc * 10 + digit(i));
        let year = i32::try_from(num(6, 4)).unwrap_or(0);
        let month = Month::try_from(u8::try_from(num(10, 2)).unwrap_or(0));
        let day = u8::try_from(num(12, 2)).unwrap_or(0);
        let birth = month.ok().and_then(|m| Date::from_calendar_date(year, m, day).ok());
        match birth {
            None => return Err(Invalid::new("第7至14位的出生日期不是有效日期")),
            Some(b) if b > today => return Err(Invalid::new("出生日期晚于今天")),
            Some(b) if b.year() < 1880 => return Err(Invalid::new("出生日期早于1880年")),
            Some(_) => {}
        }
        let sum: u32 = (0..17).map(|i| digit(i) * WEIGHTS[i]).sum();
        let expected = CHECK[(sum % 11) as usize];
        if chars[17] != expected {
            return Err(Invalid::new("校验位不正确，请核对最后一位"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown on screens and in lists: the first 4 and last 4 characters
    /// (4401**********1234).
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..4], "*".repeat(10), &self.0[14..])
    }
}

/// Never prints the number itself: logs and debug output see the masked form.
impl fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 26);

    fn with_check(first17: &str) -> String {
        let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
        format!("{first17}{}", CHECK[(sum % 11) as usize])
    }

    #[test]
    fn the_published_test_vectors_are_valid() {
        for v in ["11010519491231002X", "440524188001010014", "360426199101010071"] {
            assert!(IdCardNumber::parse(v, TODAY).is_ok(), "{v}");
        }
    }

    #[test]
    fn a_lower_case_x_is_read_as_upper_case() {
        assert_eq!(IdCardNumber::parse("11010519491231002x", TODAY).unwrap().as_str(), "11010519491231002X");
    }

    #[test]
    fn a_wrong_check_digit_says_so() {
        assert_eq!(IdCardNumber::parse("110105194912310021", TODAY).unwrap_err().0, "校验位不正确，请核对最后一位");
    }

    #[test]
    fn wrong_length_impossible_dates_and_future_births_are_refused() {
        assert_eq!(IdCardNumber::parse("4405241880010100", TODAY).unwrap_err().0, "应为18位（现为16位）");
        assert_eq!(
            IdCardNumber::parse(&with_check("44052419990230001"), TODAY).unwrap_err().0,
            "第7至14位的出生日期不是有效日期"
        );
        assert_eq!(IdCardNumber::parse(&with_check("44052420300101001"), TODAY).unwrap_err().0, "出生日期晚于今天");
        assert_eq!(
            IdCardNumber::parse(&with_check("99052419900101001"), TODAY).unwrap_err().0,
            "前两位不是有效的省级行政区划代码"
        );
        assert_eq!(IdCardNumber::parse("44052419900101A011", TODAY).unwrap_err().0, "前17位必须是数字");
    }

    #[test]
    fn the_masked_form_keeps_four_and_four() {
        let id = IdCardNumber::parse("440524188001010014", TODAY).unwrap();
        assert_eq!(id.masked(), "4405**********0014");
        assert_eq!(format!("{id:?}"), "IdCardNumber(4405**********0014)");
    }

    proptest! {
        #[test]
        fn every_number_with_a_computed_check_digit_parses(seq in 0u32..1000, y in 1950i32..2020, m in 1u8..=12, d in 1u8..=28) {
            let body = format!("440117{y:04}{m:02}{d:02}{seq:03}");
            let full = with_check(&body);
            prop_assert!(IdCardNumber::parse(&full, TODAY).is_ok());
            // Changing the check character always breaks it.
            let last = full.chars().last().unwrap();
            let other = if last == '0' { '1' } else { '0' };
            let broken = format!("{body}{other}");
            prop_assert!(IdCardNumber::parse(&broken, TODAY).is_err());
        }
    }
}
