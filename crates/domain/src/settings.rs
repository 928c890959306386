//! Local rules that are configuration, not code (rules.md tags them [U]): 12345 urgency classes
//! and their working-day limits, whether 基本满意 counts as satisfied, how rates are rounded, and
//! the limits on free text.

use serde::{Deserialize, Serialize};

use crate::error::Invalid;

/// Every local setting the domain needs, with the defaults fazhi ships.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub work_order: WorkOrderSettings,
    pub rates: RateSettings,
    pub limits: Limits,
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
        Ok(())
    }
}
