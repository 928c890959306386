//! Digests of records, sealed into the events that write them (等保 §8.1.4 数据完整性: tampering with
//! stored business and authentication data must be detected).
//!
//! A record (a case row with its party digests, attachments and links; a user with its roles; a
//! unit; a tenant; a report draft; a calendar year) is described as a list of named [`Field`]s.
//! Its digest is SHA-256 over their canonical JSON, and beside it a two-byte *fingerprint* per field
//! (and a one-byte one per part of a field that is a map or a list): when a record no longer
//! matches the last event about it, the fingerprints tell which fields changed, so `fazhi audit
//! verify` can say "标题与第 5 号事件记录的不一致" instead of only "changed". The fingerprints only
//! name; the SHA-256 decides. Short fingerprints keep an event's seal short (a case's is ~200
//! characters); a changed field whose fingerprint happens to collide (1 in 65,536) is still caught
//! by the digest and reported without its name.
//!
//! Encoding: `{scheme}.{sha256 hex}.{two hex bytes per field}` then, for each field marked
//! [`Field::parts`], `.{one hex byte per part}`. The scheme names the field list (`case1`): a new
//! column means a new scheme, and the old one stays computable for the events that carry it.

use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::event::canonical_json;

/// One field of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Stable name (`title`), part of the digest.
    pub name: &'static str,
    /// What the field is called in a report (`标题`).
    pub label: &'static str,
    pub value: Json,
    /// Also fingerprint each entry (a map's keys, a list's items), to name which one changed.
    pub parts: bool,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, value: impl Into<Json>) -> Self {
        Self { name, label, value: value.into(), parts: false }
    }

    /// A field whose entries are fingerprinted one by one.
    pub fn with_parts(name: &'static str, label: &'static str, value: impl Into<Json>) -> Self {
        Self { name, label, value: value.into(), parts: true }
    }
}

fn sha(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// SHA-256 of a text, lower-case hex (a password hash or a file is sealed by its digest, never
/// itself).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(sha(text))
}

/// The entries of a field and their names, in a fixed order: a map's keys sorted; a list's items,
/// named by their `code` when they have one (clocks) or their position.
fn parts(v: &Json) -> Vec<(String, Json)> {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            keys.into_iter().map(|k| (k.clone(), Json::Array(vec![Json::String(k.clone()), m[k].clone()]))).collect()
        }
        Json::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let name = x.get("code").and_then(Json::as_str).map_or_else(|| format!("第{}项", i + 1), String::from);
                (name, x.clone())
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn fp(v: &Json) -> u8 {
    sha(&canonical_json(v))[0]
}

fn field_fp(v: &Json) -> [u8; 2] {
    let h = sha(&canonical_json(v));
    [h[0], h[1]]
}

/// The digest of a record under `scheme`.
pub fn digest(scheme: &str, fields: &[Field]) -> String {
    let mut all = Map::new();
    all.insert("scheme".into(), Json::String(scheme.to_string()));
    for f in fields {
        all.insert(f.name.to_string(), f.value.clone());
    }
    let mut out = format!("{scheme}.{}.", hex::encode(sha(&canonical_json(&Json::Object(all)))));
    out.push_str(&hex::encode(fields.iter().flat_map(|f| field_fp(&f.value)).collect::<Vec<u8>>()));
    for f in fields.iter().filter(|f| f.parts) {
        out.push('.');
        out.push_str(&hex::encode(parts(&f.value).iter().map(|(_, v)| fp(v)).collect::<Vec<u8>>()));
    }
    out
}

/// The scheme a stored digest was made under.
pub fn scheme_of(stored: &str) -> &str {
    stored.split('.').next().unwrap_or("")
}

/// How a record differs from the digest sealed in an event: `None` when it matches; otherwise
/// what changed, by label ("标题", "数据（satisfaction）"), or an empty list when the
/// fingerprints cannot tell (a collision, or a digest of another shape).
pub fn differences(stored: &str, fields: &[Field]) -> Option<Vec<String>> {
    let now = digest(scheme_of(stored), fields);
    if now == stored {
        return None;
    }
    let old: Vec<&str> = stored.split('.').collect();
    let new: Vec<&str> = now.split('.').collect();
    let (Some(old_fp), Some(new_fp)) =
        (old.get(2).and_then(|h| hex::decode(h).ok()), new.get(2).and_then(|h| hex::decode(h).ok()))
    else {
        return Some(Vec::new());
    };
    if old_fp.len() != new_fp.len() || new_fp.len() != 2 * fields.len() {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let mut part_no = 3;
    for (i, f) in fields.iter().enumerate() {
        let changed = old_fp[2 * i..2 * i + 2] != new_fp[2 * i..2 * i + 2];
        if f.parts {
            let idx = part_no;
            part_no += 1;
            let old_parts = old.get(idx).and_then(|h| hex::decode(h).ok()).unwrap_or_default();
            let new_parts = new.get(idx).and_then(|h| hex::decode(h).ok()).unwrap_or_default();
            // The parts tell too: a list that lost an item has another number of them.
            if changed || old_parts != new_parts {
                let names = parts(&f.value);
                let named: Vec<String> = if old_parts.len() == new_parts.len() {
                    names
                        .iter()
                        .zip(old_parts.iter().zip(&new_parts))
                        .filter(|(_, (a, b))| a != b)
                        .map(|((n, _), _)| n.clone())
                        .collect()
                } else {
                    Vec::new()
                };
                if named.is_empty() {
                    out.push(f.label.to_string());
                } else {
                    out.push(format!("{}（{}）", f.label, named.join("、")));
                }
            }
        } else if changed {
            out.push(f.label.to_string());
        }
    }
    Some(out)
}

/// "标题、数据（satisfaction）" — or a plain word when the fingerprints could not name a field.
pub fn describe(diff: &[String]) -> String {
    if diff.is_empty() { "内容（未能确定字段）".to_string() } else { diff.join("、") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(title: &str, sat: &str) -> Vec<Field> {
        vec![
            Field::new("title", "标题", title),
            Field::with_parts("data", "数据", json!({"satisfaction": sat, "content": "路灯不亮"})),
            Field::with_parts("clocks", "时限", json!([{"code": "handle", "met": true}])),
        ]
    }

    #[test]
    fn an_unchanged_record_matches_its_digest() {
        let d = digest("t1", &fields("路灯", "满意"));
        assert_eq!(differences(&d, &fields("路灯", "满意")), None);
        assert!(d.starts_with("t1."), "the scheme leads the digest: {d}");
    }

    #[test]
    fn a_changed_field_is_named_by_its_label_and_part() {
        let d = digest("t1", &fields("路灯", "不满意"));
        let diff = differences(&d, &fields("路灯", "满意")).expect("differs");
        assert_eq!(diff, vec!["数据（satisfaction）".to_string()]);
        let diff = differences(&d, &fields("路灯坏了", "不满意")).expect("differs");
        assert_eq!(diff, vec!["标题".to_string()]);
    }

    #[test]
    fn a_list_item_is_named_by_its_code() {
        let mut f = fields("路灯", "满意");
        let d = digest("t1", &f);
        f[2].value = json!([{"code": "handle", "met": false}]);
        assert_eq!(differences(&d, &f), Some(vec!["时限（handle）".to_string()]));
    }

    #[test]
    fn the_digest_depends_on_every_field_and_the_scheme() {
        let a = digest("t1", &fields("路灯", "满意"));
        assert_ne!(a, digest("t2", &fields("路灯", "满意")));
        assert_ne!(a, digest("t1", &fields("路灯", "满意 ")));
    }
}
