//! Money in fen (分), the smallest unit of the yuan: exact integers, never floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Invalid;

/// An amount of money in fen. Non-negative: fazhi records amounts in dispute, losses recovered,
/// fines — none of them negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// The largest amount accepted from a form: 1 000 亿元, far beyond any township figure.
const MAX_FEN: i64 = 10_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Self(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Parses an amount in yuan as typed: "2256.03", "22,560,300", "¥1,234.5", "300元".
    ///
    /// # Errors
    /// A Chinese reason: not a number, more than two decimals, negative, or implausibly large.
    pub fn parse_yuan(raw: &str) -> Result<Self, Invalid> {
        let s: String = raw
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .collect();
        if s.starts_with('-') {
            return Err(Invalid::new("金额不能为负数"));
        }
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(Invalid::new("请输入金额数字，如 2256.03"));
        }
        if frac.len() > 2 {
            return Err(Invalid::new("金额最多保留两位小数（到分）"));
        }
        if int.len() > 13 {
            return Err(Invalid::new("金额过大"));
        }
        let yuan: i64 = int.parse().map_err(|_| Invalid::new("金额过大"))?;
        let fen: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        let total = yuan.checked_mul(100).and_then(|v| v.checked_add(fen)).filter(|v| *v <= MAX_FEN);
        total.map(Self).ok_or_else(|| Invalid::new("金额过大"))
    }

    /// "2256.03万元": ten-thousands of yuan with two decimals, as reports print it. Rounded half up
    /// at the cent of 万元 (i.e. to the nearest 100 yuan).
    pub fn wan_yuan(self) -> String {
        // 1 万元 = 1 000 000 fen; two decimals of 万元 = units of 10 000 fen.
        let units = (self.0 + 5_000) / 10_000;
        format!("{}.{:02}万元", units / 100, units % 100)
    }
}

/// "¥2,256.03": yuan with thousands separators, as tables print it.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yuan = self.0 / 100;
        let digits = yuan.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "¥{grouped}.{:02}", self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_typed_parse_to_fen() {
        assert_eq!(Money::parse_yuan("2256.03"), Ok(Money(225_603)));
        assert_eq!(Money::parse_yuan("¥22,560,300"), Ok(Money(2_256_030_000)));
        assert_eq!(Money::parse_yuan("300元"), Ok(Money(30_000)));
        assert_eq!(Money::parse_yuan("0.5"), Ok(Money(50)));
    }

    #[test]
    fn bad_amounts_say_why() {
        assert_eq!(Money::parse_yuan("-3").unwrap_err().0, "金额不能为负数");
        assert_eq!(Money::parse_yuan("1.234").unwrap_err().0, "金额最多保留两位小数（到分）");
        assert_eq!(Money::parse_yuan("abc").unwrap_err().0, "请输入金额数字，如 2256.03");
        assert_eq!(Money::parse_yuan("99999999999999").unwrap_err().0, "金额过大");
    }

    #[test]
    fn the_seed_figure_prints_as_the_seed_prints_it() {
        // ¥22,560,300 of losses recovered → "2256.03万元".
        assert_eq!(Money::from_fen(2_256_030_000).wan_yuan(), "2256.03万元");
        assert_eq!(Money::from_fen(2_256_030_000).to_string(), "¥22,560,300.00");
        assert_eq!(Money::from_fen(225_603).to_string(), "¥2,256.03");
    }
}
