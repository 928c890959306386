//! 统一社会信用代码 under GB 32100-2015 (rules.md §11.2).

use std::fmt;

use crate::error::Invalid;

/// The 31 characters of the code: digits and upper-case letters except I, O, S, V, Z.
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights 3^(i−1) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// An 18-character unified social credit code with a valid check character. Unknown registering
/// authority and category codes are accepted (rules.md §11.2: do not reject them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

fn value(c: char) -> Option<u32> {
    CHARSET.find(c).and_then(|i| u32::try_from(i).ok())
}

impl CreditCode {
    /// Parses a code; lower-case letters are accepted as upper-case.
    ///
    /// # Errors
    /// A Chinese reason: wrong length, a character outside the code's alphabet, digits expected in
    /// positions 3–8, or a wrong check character.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_uppercase();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(Invalid::new(format!("应为18位（现为{}位）", chars.len())));
        }
        if let Some(bad) = chars.iter().find(|c| value(**c).is_none()) {
            return Err(Invalid::new(format!("含有不允许的字符“{bad}”（不使用I、O、S、V、Z）")));
        }
        if !chars[2..8].iter().all(char::is_ascii_digit) {
            return Err(Invalid::new("第3至8位应为行政区划码（数字）"));
        }
        let sum: u32 = chars[..17].iter().zip(WEIGHTS).map(|(c, w)| value(*c).unwrap_or(0) * w).sum();
        let check = (31 - sum % 31) % 31;
        let expected = CHARSET.chars().nth(check as usize).unwrap_or('0');
        if chars[17] != expected {
            return Err(Invalid::new("校验位不正确，请核对最后一位"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_test_vector_is_valid() {
        assert!(CreditCode::parse("91110000600037341L").is_ok());
        assert!(CreditCode::parse("91110000600037341l").is_ok());
    }

    #[test]
    fn bad_codes_say_why() {
        assert_eq!(CreditCode::parse("91110000600037341A").unwrap_err().0, "校验位不正确，请核对最后一位");
        assert_eq!(CreditCode::parse("9111000060003734").unwrap_err().0, "应为18位（现为16位）");
        assert_eq!(
            CreditCode::parse("9111000060003734IL").unwrap_err().0,
            "含有不允许的字符“I”（不使用I、O、S、V、Z）"
        );
        assert_eq!(CreditCode::parse("91AB0000600037341L").unwrap_err().0, "第3至8位应为行政区划码（数字）");
    }

    #[test]
    fn a_check_value_of_31_becomes_zero() {
        // Find a body whose check is 0 and confirm it validates with '0'.
        for n in 0..10_000u32 {
            let body = format!("9144010{n:04}000000");
            let body = &body[..17];
            let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| value(c).unwrap() * w).sum();
            if sum.is_multiple_of(31) {
                assert!(CreditCode::parse(&format!("{body}0")).is_ok());
                return;
            }
        }
        panic!("no body with check value 0 found");
    }
}
