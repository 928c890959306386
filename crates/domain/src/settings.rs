//! Local rules that are configuration, not code (rules.md tags them [U]): how rates are rounded,
//! the limits on free text and the duplicate-detection threshold here; each kind's own (12345
//! urgency classes, dispute categories, the petition target where the 条例 sets none …) in the
//! kind's folder, as a section named by its slug.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::Invalid;

/// Every local setting the domain needs, with the defaults fazhi ships: the settings every kind
/// shares, and each kind's own section, keyed by its slug. A kind defines its section in its own
/// folder (a [`KindSettings`] type) and reads it with [`Settings::of`]; a kind without a section
/// here runs on its defaults. Which sections exist is the registry's business
/// ([`crate::kinds::Kinds::validate_settings`] refuses a section no kind owns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub rates: RateSettings,
    pub limits: Limits,
    pub duplicates: DuplicateSettings,
    pub public: PublicSettings,
    /// Each kind's section as configured (TOML table or JSON object), by slug.
    #[serde(flatten)]
    pub kinds: BTreeMap<String, Json>,
}

/// A kind's own settings: a section of the configuration named by the kind's slug, with
/// defaults and validation.
pub trait KindSettings: Serialize + DeserializeOwned + Default {
    /// Checks the section; `section` is its name, for messages.
    ///
    /// # Errors
    /// A Chinese reason naming the setting (`section.key`).
    fn validate(&self, section: &str) -> Result<(), Invalid>;
}

/// A code and its label, for configurable choice lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

impl Choice {
    pub fn new(code: &str, label: &str) -> Self {
        Self { code: code.into(), label: label.into() }
    }
}

/// Checks a configurable choice list: not empty, codes and labels present, codes unique.
///
/// # Errors
/// A Chinese reason naming `key[i]`.
pub fn validate_choices(key: &str, choices: &[Choice], what: &str) -> Result<(), Invalid> {
    if choices.is_empty() {
        return Err(Invalid::new(format!("{key}：至少需要一个{what}")));
    }
    for (i, c) in choices.iter().enumerate() {
        if c.code.trim().is_empty() || c.label.trim().is_empty() {
            return Err(Invalid::new(format!("{key}[{i}]：代码和名称不能为空")));
        }
        if choices[..i].iter().any(|o| o.code == c.code) {
            return Err(Invalid::new(format!("{key}[{i}]：代码“{}”重复", c.code)));
        }
    }
    Ok(())
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

/// The public tracking page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicSettings {
    /// Days after a case is archived during which a resident who has not rated it yet still
    /// may (0: not after archiving). A local choice: no rule fixes it.
    pub rating_days_after_archive: u32,
}

impl Default for PublicSettings {
    fn default() -> Self {
        Self { rating_days_after_archive: 30 }
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
    /// The section of the kind `slug`, or its defaults when it has none (or, before validation,
    /// when it does not read).
    pub fn of<T: KindSettings>(&self, slug: &str) -> T {
        self.kinds.get(slug).and_then(|v| T::deserialize(v).ok()).unwrap_or_default()
    }

    /// Sets the section of the kind `slug` (tests, and configuration built in code).
    pub fn set<T: Serialize>(&mut self, slug: &str, section: &T) {
        if let Ok(v) = serde_json::to_value(section) {
            self.kinds.insert(slug.to_string(), v);
        }
    }

    /// Checks the settings every kind shares; each kind's section is checked by the registry
    /// ([`crate::kinds::Kinds::validate_settings`]).
    ///
    /// # Errors
    /// A Chinese reason naming the setting.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.limits.title == 0 || self.limits.short_text == 0 || self.limits.long_text == 0 {
            return Err(Invalid::new("limits：长度上限必须大于0"));
        }
        if self.duplicates.min_similarity_percent == 0 || self.duplicates.min_similarity_percent > 100 {
            return Err(Invalid::new("duplicates.min_similarity_percent：应为1至100"));
        }
        if self.public.rating_days_after_archive > 365 {
            return Err(Invalid::new("public.rating_days_after_archive：应为0至365（天）"));
        }
        Ok(())
    }
}

/// Checks a kind's section as configured: it reads as the kind's type and passes its checks.
///
/// # Errors
/// A Chinese reason naming the section.
pub fn validate_section<T: KindSettings>(section: &str, value: &Json) -> Result<(), Invalid> {
    let typed = T::deserialize(value).map_err(|e| Invalid::new(format!("{section}：{e}")))?;
    typed.validate(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        Settings::default().validate().unwrap();
    }

    #[test]
    fn bad_shared_settings_are_named() {
        let mut s = Settings::default();
        s.duplicates.min_similarity_percent = 101;
        assert_eq!(s.validate().unwrap_err().0, "duplicates.min_similarity_percent：应为1至100");
        let mut s = Settings::default();
        s.limits.title = 0;
        assert_eq!(s.validate().unwrap_err().0, "limits：长度上限必须大于0");
        let mut s = Settings::default();
        s.public.rating_days_after_archive = 366;
        assert_eq!(s.validate().unwrap_err().0, "public.rating_days_after_archive：应为0至365（天）");
    }

    #[test]
    fn a_choice_list_names_the_duplicate_code() {
        let list = vec![Choice::new("a", "甲"), Choice::new("a", "乙")];
        assert_eq!(validate_choices("x.categories", &list, "类别").unwrap_err().0, "x.categories[1]：代码“a”重复");
        assert_eq!(validate_choices("x.categories", &[], "类别").unwrap_err().0, "x.categories：至少需要一个类别");
    }
}
