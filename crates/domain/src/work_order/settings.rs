//! The `[work_order]` section of the configuration. Guangzhou's limits under 广州市人民政府令第191号
//! could not be read (rules.md §8, [U]): the urgency classes and their working days are
//! configuration.

use serde::{Deserialize, Serialize};

use crate::error::Invalid;
use crate::settings::KindSettings;

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

impl KindSettings for WorkOrderSettings {
    fn validate(&self, section: &str) -> Result<(), Invalid> {
        let u = &self.urgency;
        if u.is_empty() {
            return Err(Invalid::new(format!("{section}.urgency：至少需要一个紧急程度")));
        }
        for (i, c) in u.iter().enumerate() {
            if c.code.trim().is_empty() || c.label.trim().is_empty() {
                return Err(Invalid::new(format!("{section}.urgency[{i}]：代码和名称不能为空")));
            }
            if c.working_days == 0 || c.working_days > 365 {
                return Err(Invalid::new(format!("{section}.urgency[{i}]：办理时限应为1至365个工作日")));
            }
            if u[..i].iter().any(|o| o.code == c.code) {
                return Err(Invalid::new(format!("{section}.urgency[{i}]：代码“{}”重复", c.code)));
            }
        }
        if self.max_extension_working_days == 0 || self.max_extension_working_days > 365 {
            return Err(Invalid::new(format!("{section}.max_extension_working_days：应为1至365个工作日")));
        }
        Ok(())
    }
}
