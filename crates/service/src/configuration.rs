//! The configuration as the 系统管理员 and 安全管理员 read it on the settings page: every section
//! in effect — the server's, the rules every kind shares, and each registered kind's own section
//! (defined in the kind's folder) — with each key's value and whether it differs from what fazhi
//! ships. Derived from the same `Config` that `fazhi config show` prints, so a kind's setting appears
//! here the moment the kind is registered. Secrets are masked as in `config show`.
//!
//! Read-only: settings are changed in `fazhi.toml` (or `FAZHI__…` variables) and take effect at the
//! next start, after validation (`Config::validate`), so that a bad value never reaches a running
//! server.

use serde_json::Value as Json;

use fazhi_domain::kinds::Kinds;
use fazhi_domain::role::Role;

use crate::auth::Principal;
use crate::{App, Config, Result};

/// One section of the configuration (`[slug]` in `fazhi.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSection {
    /// The section's name in `fazhi.toml`.
    pub key: String,
    /// Its name in Chinese: the kind's label for a kind's section.
    pub title: String,
    /// Whether the section is a kind's own.
    pub of_kind: bool,
    pub entries: Vec<ConfigEntry>,
}

/// One setting: its dotted key within the section, its value as shown, and whether it differs
/// from the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub key: String,
    pub value: String,
    pub changed: bool,
}

/// The Chinese names of the sections every installation has.
const SHARED: &[(&str, &str)] = &[
    ("server", "服务"),
    ("database", "数据库"),
    ("security", "安全"),
    ("audit", "审计链"),
    ("rates", "比率的取舍"),
    ("limits", "填写长度上限"),
    ("duplicates", "重复件识别"),
    ("public", "群众查询与评价"),
    ("towns", "各镇（街）对外联系方式"),
];

impl App {
    /// The configuration in effect, by section, for the administrators who look after it.
    ///
    /// # Errors
    /// `Forbidden` for every other role.
    pub fn configuration(&self, p: &Principal) -> Result<Vec<ConfigSection>> {
        p.require(&[Role::SysAdmin, Role::SecurityAdmin])?;
        Ok(sections(self.config(), self))
    }
}

fn sections(config: &Config, app: &App) -> Vec<ConfigSection> {
    let now = serde_json::to_value(config).unwrap_or(Json::Null);
    let shipped = Config {
        registry: config.registry,
        kinds: Kinds::default_sections(config.registry).into_iter().map(|(slug, v)| (slug.to_string(), v)).collect(),
        ..Config::default()
    };
    let defaults = serde_json::to_value(shipped).unwrap_or(Json::Null);
    let Json::Object(now) = now else { return Vec::new() };
    let mut out = Vec::new();
    // The data directory is the one top-level key that is not a section.
    if let Some(dir) = now.get("data_dir") {
        out.push(ConfigSection {
            key: "data_dir".into(),
            title: "数据目录".into(),
            of_kind: false,
            entries: vec![ConfigEntry {
                key: "data_dir".into(),
                value: show(dir),
                changed: defaults.get("data_dir") != Some(dir),
            }],
        });
    }
    for (key, title) in SHARED {
        if let Some(v) = now.get(*key) {
            out.push(section(key, title, false, v, defaults.get(*key)));
        }
    }
    for k in app.kinds().all() {
        let v = now.get(k.slug).cloned().unwrap_or_else(|| Json::Object(Default::default()));
        out.push(section(k.slug, k.label, true, &v, defaults.get(k.slug)));
    }
    // A section added to `Config` without a Chinese name here still shows, under its key.
    for (key, v) in &now {
        if key != "data_dir" && !out.iter().any(|s| &s.key == key) {
            out.push(section(key, key, false, v, defaults.get(key)));
        }
    }
    out
}

fn section(key: &str, title: &str, of_kind: bool, v: &Json, default: Option<&Json>) -> ConfigSection {
    let mut entries = Vec::new();
    flatten("", v, default, &mut entries);
    ConfigSection { key: key.into(), title: title.into(), of_kind, entries }
}

fn flatten(prefix: &str, v: &Json, default: Option<&Json>, out: &mut Vec<ConfigEntry>) {
    match v {
        Json::Object(map) if !is_choice(v) => {
            for (k, inner) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, inner, default.and_then(|d| d.get(k)), out);
            }
        }
        _ => out.push(ConfigEntry { key: prefix.to_string(), value: show(v), changed: default != Some(v) }),
    }
}

/// A `{code, label}` pair of a configurable choice list.
fn is_choice(v: &Json) -> bool {
    v.as_object().is_some_and(|m| m.len() == 2 && m.contains_key("code") && m.contains_key("label"))
}

/// A value as an administrator reads it: choice lists as 名称（代码）, lists joined with 、.
fn show(v: &Json) -> String {
    match v {
        Json::Null => "（未设置）".into(),
        Json::String(s) if s.is_empty() => "（空）".into(),
        Json::String(s) => s.clone(),
        Json::Array(items) if items.is_empty() => "（无）".into(),
        Json::Array(items) => items.iter().map(show).collect::<Vec<_>>().join("、"),
        Json::Object(m) if is_choice(v) => format!(
            "{}（{}）",
            m.get("label").and_then(Json::as_str).unwrap_or_default(),
            m.get("code").and_then(Json::as_str).unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_an_administrator_reads_them() {
        assert_eq!(show(&json!([{"code": "a", "label": "甲"}, {"code": "b", "label": "乙"}])), "甲（a）、乙（b）");
        assert_eq!(show(&json!(null)), "（未设置）");
        assert_eq!(show(&json!("")), "（空）");
        assert_eq!(show(&json!(30)), "30");
        assert_eq!(show(&json!(true)), "true");
    }

    #[test]
    fn nested_keys_are_dotted_and_changes_marked() {
        let mut out = Vec::new();
        flatten(
            "",
            &json!({"a": {"b": 1, "c": 2}, "d": "x"}),
            Some(&json!({"a": {"b": 1, "c": 3}, "d": "x"})),
            &mut out,
        );
        let got: Vec<_> = out.iter().map(|e| (e.key.as_str(), e.value.as_str(), e.changed)).collect();
        assert_eq!(got, [("a.b", "1", false), ("a.c", "2", true), ("d", "x", false)]);
    }
}
