//! Exact rates: an integer numerator over an integer denominator, printed the way the seed report
//! prints them: two decimals (98.68%), and a full rate as the seed writes it (办结率达100%). A rate
//! with no denominator prints "—", never NaN or 100%.
//!
//! Written by hand rather than with a rational-number crate: the whole need is one division in
//! integers and one formatting rule.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::settings::Rounding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
    pub rounding: Rounding,
}

impl Rate {
    pub fn new(num: u64, den: u64, rounding: Rounding) -> Self {
        Self { num, den, rounding }
    }

    /// Hundredths of a percent (9868 for 98.68%), or `None` without a denominator.
    pub fn basis_points(&self) -> Option<u64> {
        if self.den == 0 {
            return None;
        }
        let scaled = u128::from(self.num) * 10_000;
        let den = u128::from(self.den);
        let bp = match self.rounding {
            Rounding::Truncate => scaled / den,
            Rounding::HalfUp => (scaled * 2 + den) / (den * 2),
        };
        u64::try_from(bp).ok()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.basis_points() {
            None => f.write_str("—"),
            // Only an exactly full rate: 9999/10000 truncates to 99.99%, never to 100%.
            Some(_) if self.num == self.den => f.write_str("100%"),
            Some(bp) => write!(f, "{}.{:02}%", bp / 100, bp % 100),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seed_rates_print_as_the_seed_prints_them() {
        assert_eq!(Rate::new(450, 456, Rounding::Truncate).to_string(), "98.68%");
        assert_eq!(Rate::new(4326, 4326, Rounding::Truncate).to_string(), "100%", "办结率达100%");
        assert_eq!(Rate::new(2477, 3136, Rounding::Truncate).to_string(), "78.98%");
        assert_eq!(Rate::new(2477, 3136, Rounding::HalfUp).to_string(), "78.99%");
    }

    #[test]
    fn no_denominator_prints_a_dash() {
        assert_eq!(Rate::new(0, 0, Rounding::Truncate).to_string(), "—");
        assert_eq!(Rate::new(5, 0, Rounding::HalfUp).to_string(), "—");
    }

    #[test]
    fn truncation_never_shows_a_full_rate_for_an_unfinished_count() {
        assert_eq!(Rate::new(99_999, 100_000, Rounding::Truncate).to_string(), "99.99%");
        assert_eq!(Rate::new(99_999, 100_000, Rounding::HalfUp).to_string(), "100.00%");
    }

    proptest! {
        #[test]
        fn a_rate_lies_between_its_bounds(num in 0u64..1_000_000, extra in 0u64..1_000_000) {
            let den = num + extra;
            let r = Rate::new(num, den, Rounding::Truncate);
            match r.basis_points() {
                None => prop_assert_eq!(den, 0),
                Some(bp) => {
                    prop_assert!(bp <= 10_000);
                    prop_assert_eq!(bp == 10_000, num == den);
                }
            }
        }
    }
}
