//! Telephone numbers: mainland mobile numbers (rules.md §11.3) and, where a form allows it, fixed
//! lines with an area code.

use std::fmt;

use crate::error::Invalid;

/// A normalised telephone number: 11 digits for a mobile, `0AA(A)-NNNNNNN(N)` for a fixed line.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// A mainland mobile number: 11 digits, `1[3-9]…`, optionally prefixed with 86 or +86. The
    /// lenient pattern of rules.md §11.3; per-carrier ranges go stale and are not checked.
    ///
    /// # Errors
    /// A Chinese reason.
    pub fn parse_mobile(raw: &str) -> Result<Self, Invalid> {
        let s: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let s = s.strip_prefix("+86").or_else(|| s.strip_prefix("86").filter(|r| r.len() == 11)).unwrap_or(&s);
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(Invalid::new("手机号码只能包含数字"));
        }
        if s.len() != 11 {
            return Err(Invalid::new(format!("手机号码应为11位（现为{}位）", s.len())));
        }
        let b = s.as_bytes();
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(Invalid::new("手机号码应以13至19开头"));
        }
        Ok(Self(s.to_string()))
    }

    /// A mobile number, or a fixed line written with its area code (020-87654321, 02087654321).
    ///
    /// # Errors
    /// A Chinese reason.
    pub fn parse_contact(raw: &str) -> Result<Self, Invalid> {
        let t = raw.trim();
        if t.starts_with('0') {
            let digits: String = t.chars().filter(char::is_ascii_digit).collect();
            let only_digits_and_dash = t.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
            if !only_digits_and_dash || !(10..=12).contains(&digits.len()) {
                return Err(Invalid::new("固定电话应为区号加7至8位号码，如020-87654321"));
            }
            // Area codes are 3 digits for 010 and 02x, otherwise 4 digits.
            let area_len = if digits.starts_with("01") || digits.starts_with("02") { 3 } else { 4 };
            let local = &digits[area_len..];
            if !(7..=8).contains(&local.len()) {
                return Err(Invalid::new("固定电话应为区号加7至8位号码，如020-87654321"));
            }
            return Ok(Self(format!("{}-{}", &digits[..area_len], local)));
        }
        Self::parse_mobile(t)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown on screens: 138****5678, or 020-****4321 for a fixed line.
    pub fn masked(&self) -> String {
        match self.0.split_once('-') {
            Some((area, local)) => format!("{area}-****{}", &local[local.len() - 4..]),
            None => format!("{}****{}", &self.0[..3], &self.0[7..]),
        }
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_normalised() {
        assert_eq!(Phone::parse_mobile("138 1234 5678").unwrap().as_str(), "13812345678");
        assert_eq!(Phone::parse_mobile("+8613812345678").unwrap().as_str(), "13812345678");
        assert_eq!(Phone::parse_mobile("8613812345678").unwrap().as_str(), "13812345678");
    }

    #[test]
    fn bad_mobiles_say_why() {
        assert_eq!(Phone::parse_mobile("1381234567").unwrap_err().0, "手机号码应为11位（现为10位）");
        assert_eq!(Phone::parse_mobile("12812345678").unwrap_err().0, "手机号码应以13至19开头");
        assert_eq!(Phone::parse_mobile("1381234567a").unwrap_err().0, "手机号码只能包含数字");
    }

    #[test]
    fn fixed_lines_keep_their_area_code() {
        assert_eq!(Phone::parse_contact("020-87654321").unwrap().as_str(), "020-87654321");
        assert_eq!(Phone::parse_contact("07552345678").unwrap().as_str(), "0755-2345678");
        assert!(Phone::parse_contact("020-123").is_err());
    }

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(Phone::parse_mobile("13812345678").unwrap().masked(), "138****5678");
        assert_eq!(Phone::parse_contact("020-87654321").unwrap().masked(), "020-****4321");
    }
}
