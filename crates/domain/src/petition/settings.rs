//! The `[petition]` section of the configuration. The 60-day limit of 条例 第三十四条 is for
//! 申诉求决类; the 建议意见类 and 检举控告类 follow other procedures without a limit in the 条例,
//! so the town sets its own target.

use serde::{Deserialize, Serialize};

use crate::error::Invalid;
use crate::settings::KindSettings;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PetitionSettings {
    /// Calendar days to conclude a 建议意见类 or 检举控告类 petition after acceptance.
    pub other_conclude_days: u32,
    /// Whether 基本满意 counts towards 满意率 (no official formula found).
    pub satisfied_includes_basic: bool,
}

impl Default for PetitionSettings {
    fn default() -> Self {
        Self { other_conclude_days: 60, satisfied_includes_basic: true }
    }
}

impl KindSettings for PetitionSettings {
    fn validate(&self, section: &str) -> Result<(), Invalid> {
        if self.other_conclude_days == 0 || self.other_conclude_days > 365 {
            return Err(Invalid::new(format!("{section}.other_conclude_days：应为1至365日")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_petition_settings_are_named() {
        let s = PetitionSettings { other_conclude_days: 0, ..Default::default() };
        assert_eq!(s.validate("petition").unwrap_err().0, "petition.other_conclude_days：应为1至365日");
    }
}
