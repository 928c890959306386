//! The `[dispute]` section of the configuration. The categories are the town's own ledger
//! headings (the seed names 迁坟, 人身损害, 劳资欠薪; 社保 for its 社会保险费联合处置 method). The
//! 人民调解法 sets no time limit for mediation; 司法部令第75号 (2002) art 33 says "一般在一个月内
//! 调结", whose force today is unconfirmed (rules.md §7, [U]): the target is configuration.

use serde::{Deserialize, Serialize};

use crate::deadline::{Period, TimeUnit};
use crate::error::Invalid;
use crate::settings::{Choice, KindSettings, validate_choices};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisputeSettings {
    pub categories: Vec<Choice>,
    /// The mediation target, as people write it ("1个月", "30日").
    pub mediation_period: String,
    /// The most days one extension of the mediation target may add.
    pub max_extension_days: u32,
}

impl Default for DisputeSettings {
    fn default() -> Self {
        Self {
            categories: vec![
                Choice::new("marriage_family", "婚姻家庭"),
                Choice::new("neighbour", "邻里"),
                Choice::new("land_forest", "土地山林"),
                Choice::new("wages", "劳资欠薪"),
                Choice::new("injury", "人身损害"),
                Choice::new("graves", "迁坟"),
                Choice::new("contract", "合同"),
                Choice::new("social_insurance", "社保"),
                Choice::new("homestead", "房屋宅基地"),
                Choice::new("other", "其他"),
            ],
            mediation_period: "1个月".into(),
            max_extension_days: 30,
        }
    }
}

impl DisputeSettings {
    /// The mediation target as a period (validated at start-up; the default if unreadable).
    pub fn mediation(&self) -> Period {
        Period::parse(&self.mediation_period).unwrap_or(Period::new(1, TimeUnit::Month))
    }
}

impl KindSettings for DisputeSettings {
    fn validate(&self, section: &str) -> Result<(), Invalid> {
        validate_choices(&format!("{section}.categories"), &self.categories, "纠纷类别")?;
        Period::parse(&self.mediation_period)
            .map_err(|e| Invalid::new(format!("{section}.mediation_period：{}", e.0)))?;
        if self.max_extension_days == 0 || self.max_extension_days > 365 {
            return Err(Invalid::new(format!("{section}.max_extension_days：应为1至365日")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_dispute_settings_are_named() {
        let mut s = DisputeSettings::default();
        s.categories.push(Choice::new("wages", "欠薪"));
        assert_eq!(s.validate("dispute").unwrap_err().0, "dispute.categories[10]：代码“wages”重复");
        let s = DisputeSettings { mediation_period: "一个月".into(), ..Default::default() };
        assert!(s.validate("dispute").unwrap_err().0.starts_with("dispute.mediation_period："));
        assert_eq!(DisputeSettings::default().mediation().label(), "1个月");
    }
}
