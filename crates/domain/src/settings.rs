//! Local rules that are configuration, not code (rules.md tags them [U]): 12345 urgency classes
//! and their working-day limits, whether 基本满意 counts as satisfied, how rates are rounded, the
//! limits on free text, the dispute categories and the mediation target (人民调解 sets no time
//! limit by law), the petition target where the 条例 sets none, and the duplicate-detection
//! threshold.

use serde::{Deserialize, Serialize};

use crate::error::Invalid;

/// Every local setting the domain needs, with the defaults fazhi ships.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub work_order: WorkOrderSettings,
    pub rates: RateSettings,
    pub limits: Limits,
    pub dispute: DisputeSettings,
    pub petition: PetitionSettings,
    pub duplicates: DuplicateSettings,
}

/// 12345 work orders. Guangzhou's limits under 广州市人民政府令第191号 could not be read
/// (rules.md §8, [U]): the classes and their working days are configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkOrderSettings {
    pub urgency: Vec<UrgencyClass>,
    /// Whether 基本满意 counts towards 满意率 (no official formula found: rules.md §8).
    pub satisfied_includes_basic: bool,
    /// The most working days one extension may add.
    pub max_extension_working_days: u32,
}

impl Default for WorkOrderSettings {
    fn default() -> Self {
        Self {
            urgency: vec![
                UrgencyClass { code: "urgent".into(), label: "紧急".into(), working_days: 1 },
                UrgencyClass { code: "normal".into(), label: "一般".into(), working_days: 5 },
                UrgencyClass { code: "complex".into(), label: "复杂".into(), working_days: 15 },
            ],
            satisfied_includes_basic: true,
            max_extension_working_days: 15,
        }
    }
}

/// One urgency class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrgencyClass {
    pub code: String,
    pub label: String,
    pub working_days: u32,
}

/// A code and its label, for configurable choice lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

impl Choice {
    fn new(code: &str, label: &str) -> Self {
        Self { code: code.into(), label: label.into() }
    }
}

/// Disputes (矛盾纠纷). The categories are the town's own ledger headings (the seed names 迁坟,
/// 人身损害, 劳资欠薪; 社保 for its 社会保险费联合处置 method). The 人民调解法 sets no time limit
/// for mediation; 司法部令第75号 (2002) art 33 says "一般在一个月内调结", whose force today is
/// unconfirmed (rules.md §7, [U]): the target is configuration.
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
    pub fn mediation(&self) -> crate::deadline::Period {
        crate::deadline::Period::parse(&self.mediation_period)
            .unwrap_or(crate::deadline::Period::new(1, crate::deadline::TimeUnit::Month))
    }
}

/// Petitions (信访事项). The 60-day limit of 条例 第三十四条 is for 申诉求决类; the 建议意见类 and
/// 检举控告类 follow other procedures without a limit in the 条例, so the town sets its own target.
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

/// Repeat and duplicate detection at intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DuplicateSettings {
    /// The character-bigram Jaccard similarity of title + content, in percent, from which an open
    /// case is shown as possibly the same matter.
    pub min_similarity_percent: u32,
}

impl Default for DuplicateSettings {
    fn default() -> Self {
        Self { min_similarity_percent: 30 }
    }
}

/// How rates are printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateSettings {
    pub rounding: Rounding,
}

impl Default for RateSettings {
    fn default() -> Self {
        Self { rounding: Rounding::Truncate }
    }
}

/// Truncation is the default: the one Guangdong hotline report whose counts could be read printed
/// 2477/3136 as 78.98% (rules.md §8), and truncation never shows 100.00% for an unfinished count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    Truncate,
    HalfUp,
}

/// Upper bounds on what forms and the API accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Characters in a title.
    pub title: usize,
    /// Characters in a short text field (names, addresses).
    pub short_text: usize,
    /// Characters in a long text field (content, replies, reasons).
    pub long_text: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { title: 100, short_text: 200, long_text: 5000 }
    }
}

impl Settings {
    /// Checks the settings as a whole.
    ///
    /// # Errors
    /// A Chinese reason naming the setting.
    pub fn validate(&self) -> Result<(), Invalid> {
        let u = &self.work_order.urgency;
        if u.is_empty() {
            return Err(Invalid::new("work_order.urgency：至少需要一个紧急程度"));
        }
        for (i, c) in u.iter().enumerate() {
            if c.code.trim().is_empty() || c.label.trim().is_empty() {
                return Err(Invalid::new(format!("work_order.urgency[{i}]：代码和名称不能为空")));
            }
            if c.working_days == 0 || c.working_days > 365 {
                return Err(Invalid::new(format!("work_order.urgency[{i}]：办理时限应为1至365个工作日")));
            }
            if u[..i].iter().any(|o| o.code == c.code) {
                return Err(Invalid::new(format!("work_order.urgency[{i}]：代码“{}”重复", c.code)));
            }
        }
        if self.limits.title == 0 || self.limits.short_text == 0 || self.limits.long_text == 0 {
            return Err(Invalid::new("limits：长度上限必须大于0"));
        }
        let cats = &self.dispute.categories;
        if cats.is_empty() {
            return Err(Invalid::new("dispute.categories：至少需要一个纠纷类别"));
        }
        for (i, c) in cats.iter().enumerate() {
            if c.code.trim().is_empty() || c.label.trim().is_empty() {
                return Err(Invalid::new(format!("dispute.categories[{i}]：代码和名称不能为空")));
            }
            if cats[..i].iter().any(|o| o.code == c.code) {
                return Err(Invalid::new(format!("dispute.categories[{i}]：代码“{}”重复", c.code)));
            }
        }
        crate::deadline::Period::parse(&self.dispute.mediation_period)
            .map_err(|e| Invalid::new(format!("dispute.mediation_period：{}", e.0)))?;
        if self.dispute.max_extension_days == 0 || self.dispute.max_extension_days > 365 {
            return Err(Invalid::new("dispute.max_extension_days：应为1至365日"));
        }
        if self.petition.other_conclude_days == 0 || self.petition.other_conclude_days > 365 {
            return Err(Invalid::new("petition.other_conclude_days：应为1至365日"));
        }
        if self.duplicates.min_similarity_percent == 0 || self.duplicates.min_similarity_percent > 100 {
            return Err(Invalid::new("duplicates.min_similarity_percent：应为1至100"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        Settings::default().validate().unwrap();
        assert_eq!(Settings::default().dispute.mediation().label(), "1个月");
    }

    #[test]
    fn bad_dispute_and_petition_settings_are_named() {
        let mut s = Settings::default();
        s.dispute.categories.push(Choice::new("wages", "欠薪"));
        assert_eq!(s.validate().unwrap_err().0, "dispute.categories[10]：代码“wages”重复");
        let mut s = Settings::default();
        s.dispute.mediation_period = "一个月".into();
        assert!(s.validate().unwrap_err().0.starts_with("dispute.mediation_period："));
        let mut s = Settings::default();
        s.petition.other_conclude_days = 0;
        assert_eq!(s.validate().unwrap_err().0, "petition.other_conclude_days：应为1至365日");
        let mut s = Settings::default();
        s.duplicates.min_similarity_percent = 101;
        assert_eq!(s.validate().unwrap_err().0, "duplicates.min_similarity_percent：应为1至100");
    }
}
