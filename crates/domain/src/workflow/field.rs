//! The fields an action takes: each parses raw input (JSON from the API, strings from a form) into
//! a typed [`Value`], or says in Chinese what is wrong with it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value as Json, json};
use time::Date;

use crate::error::{FieldError, Invalid};
use crate::ids::{UnitId, UserId};
use crate::time_util::{fmt_date, parse_date};
use crate::unit::{UnitKind, UnitLookup};
use crate::values::{self, IdCardNumber, Money, Phone};

/// Seals personal identifiers before they are stored: encryption with the installation's key, and
/// a keyed digest for look-ups. The domain only calls it; the service implements it.
pub trait Sealer: Sync {
    /// Ciphertext of `plain`, self-describing (algorithm, nonce).
    fn seal(&self, plain: &str) -> String;
    /// A keyed digest of `plain` for equality look-ups (same person, same phone).
    fn digest(&self, kind: &str, plain: &str) -> String;
}

/// What kind of value a field takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text {
        max: usize,
    },
    /// Several lines of text.
    LongText {
        max: usize,
    },
    /// One of a fixed list: (code, label).
    Choice {
        options: Vec<(String, String)>,
    },
    /// A unit of the case's tenant, of one of these kinds.
    Unit {
        kinds: Vec<UnitKind>,
    },
    Date,
    Integer {
        min: i64,
        max: i64,
    },
    Money,
    /// 居民身份证号码: sealed at rest, masked on screen.
    IdCard,
    /// A telephone number (mobile or fixed line): sealed at rest, masked on screen.
    Phone,
    Bool,
    /// Staff users, chosen by id (the accused staff of a 检举控告, 信访工作条例 第三十条). At most
    /// `max`. The ids are checked here for form only; that each is a user of the town or its
    /// district is checked by the service, which knows the users.
    Users {
        max: usize,
    },
}

/// One field of an action's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    /// The machine name, used in JSON and form posts.
    pub name: &'static str,
    /// The Chinese label next to the input.
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// A hint under the input.
    pub help: Option<&'static str>,
}

impl FieldDef {
    pub fn new(name: &'static str, label: &'static str, kind: FieldKind) -> Self {
        Self { name, label, kind, required: false, help: None }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn help(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }

    /// The label of a choice's code.
    pub fn choice_label(&self, code: &str) -> Option<&str> {
        match &self.kind {
            FieldKind::Choice { options } => options.iter().find(|(c, _)| c == code).map(|(_, l)| l.as_str()),
            _ => None,
        }
    }
}

/// A sealed personal identifier as stored: the masked form for screens and the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SealedValue {
    /// `idcard` or `phone`.
    pub kind: &'static str,
    pub mask: String,
    pub enc: String,
    /// Keyed digest, for the look-up index; never stored in the case data or the event.
    #[serde(skip)]
    pub digest: String,
}

/// A parsed field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Choice(String),
    Unit(UnitId),
    Date(Date),
    Int(i64),
    Money(Money),
    Sealed(SealedValue),
    Bool(bool),
    Users(Vec<UserId>),
}

impl Value {
    /// The stored JSON form: text as strings, dates as YYYY-MM-DD, money in fen, sealed values as
    /// `{mask, enc}`.
    pub fn to_json(&self) -> Json {
        match self {
            Self::Text(s) | Self::Choice(s) => Json::String(s.clone()),
            Self::Unit(u) => Json::String(u.to_string()),
            Self::Date(d) => Json::String(fmt_date(*d)),
            Self::Int(i) => json!(i),
            Self::Money(m) => json!(m.fen()),
            Self::Sealed(s) => json!({"mask": s.mask, "enc": s.enc}),
            Self::Bool(b) => Json::Bool(*b),
            Self::Users(ids) => Json::Array(ids.iter().map(|u| Json::String(u.to_string())).collect()),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) | Self::Choice(s) => Some(s),
            _ => None,
        }
    }
}

/// An action's parsed values, by field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(pub BTreeMap<&'static str, Value>);

impl Values {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn unit(&self, name: &str) -> Option<UnitId> {
        match self.get(name) {
            Some(Value::Unit(u)) => Some(*u),
            _ => None,
        }
    }

    pub fn users(&self, name: &str) -> &[UserId] {
        match self.get(name) {
            Some(Value::Users(ids)) => ids,
            _ => &[],
        }
    }

    /// The values as a JSON object (what the event records).
    pub fn to_json(&self) -> serde_json::Map<String, Json> {
        self.0.iter().map(|(k, v)| ((*k).to_string(), v.to_json())).collect()
    }
}

/// Raw input as text: JSON strings as they are, numbers and booleans written out.
fn raw_text(raw: &Json) -> Result<String, Invalid> {
    match raw {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(if *b { "true".into() } else { "false".into() }),
        Json::Null => Ok(String::new()),
        _ => Err(Invalid::new("应为文字，不能是列表或对象")),
    }
}

/// The tokens of a list of ids: a JSON list of strings, or one string separated by commas, 、 or
/// spaces (a form's multiple choice arrives joined by commas).
pub fn id_tokens(raw: Option<&Json>) -> Result<Vec<String>, Invalid> {
    let joined = match raw {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Array(items)) => {
            let mut out = Vec::new();
            for i in items {
                match i {
                    Json::String(s) => out.push(s.clone()),
                    _ => return Err(Invalid::new("应为工作人员编号的列表")),
                }
            }
            out.join(",")
        }
        Some(other) => raw_text(other)?,
    };
    Ok(joined
        .split([',', '，', '、', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect())
}

/// What parsing needs from outside the field: today, the units of the tenant, the sealer.
pub struct ParseCtx<'a> {
    pub today: Date,
    pub units: &'a dyn UnitLookup,
    pub tenant_id: crate::ids::TenantId,
    pub sealer: &'a dyn Sealer,
}

impl FieldDef {
    fn parse_users(&self, raw: Option<&Json>, max: usize) -> Result<Option<Value>, FieldError> {
        let err = |e: Invalid| e.at(self.name, self.label);
        let tokens = id_tokens(raw).map_err(err)?;
        let mut ids: Vec<UserId> = Vec::new();
        for t in &tokens {
            let id = UserId::parse(t).map_err(|_| err(Invalid::new(format!("“{t}”不是本系统的工作人员"))))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return if self.required { Err(err(Invalid::new("请至少选择一人"))) } else { Ok(None) };
        }
        if ids.len() > max {
            return Err(err(Invalid::new(format!("最多选择{max}人"))));
        }
        Ok(Some(Value::Users(ids)))
    }

    /// Parses one field's raw input. `Ok(None)` for an empty optional field.
    ///
    /// # Errors
    /// A [`FieldError`] naming this field.
    pub fn parse(&self, raw: Option<&Json>, ctx: &ParseCtx<'_>) -> Result<Option<Value>, FieldError> {
        let err = |e: Invalid| e.at(self.name, self.label);
        if let FieldKind::Users { max } = &self.kind {
            return self.parse_users(raw, *max);
        }
        let text = match raw {
            None => String::new(),
            Some(r) => raw_text(r).map_err(err)?,
        };
        if text.trim().is_empty() {
            return if self.required { Err(err(Invalid::new("不能为空"))) } else { Ok(None) };
        }
        let value = match &self.kind {
            FieldKind::Text { max } | FieldKind::LongText { max } => {
                Value::Text(values::text(&text, *max, true).map_err(err)?.unwrap_or_default())
            }
            FieldKind::Choice { options } => {
                let t = text.trim();
                // Accept the code or, from a hand-written client, the label.
                let code = options.iter().find(|(c, l)| c == t || l == t).map(|(c, _)| c.clone()).ok_or_else(|| {
                    let labels: Vec<&str> = options.iter().map(|(_, l)| l.as_str()).collect();
                    err(Invalid::new(format!("“{t}”不是可选项，应为：{}", labels.join("、"))))
                })?;
                Value::Choice(code)
            }
            FieldKind::Unit { kinds } => {
                let id = UnitId::parse(&text).map_err(|_| err(Invalid::new("请选择单位")))?;
                let unit = ctx
                    .units
                    .unit(&id)
                    .filter(|u| u.tenant_id == ctx.tenant_id)
                    .ok_or_else(|| err(Invalid::new("所选单位不存在或不属于本镇（街道）")))?;
                if !kinds.is_empty() && !kinds.contains(&unit.kind) {
                    let labels: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
                    return Err(err(Invalid::new(format!(
                        "应选择{}，“{}”是{}",
                        labels.join("或"),
                        unit.name,
                        unit.kind.label()
                    ))));
                }
                Value::Unit(id)
            }
            FieldKind::Date => Value::Date(parse_date(&text).map_err(err)?),
            FieldKind::Integer { min, max } => {
                let n: i64 = text.trim().parse().map_err(|_| err(Invalid::new("请输入整数")))?;
                if n < *min || n > *max {
                    return Err(err(Invalid::new(format!("应在{min}至{max}之间"))));
                }
                Value::Int(n)
            }
            FieldKind::Money => Value::Money(Money::parse_yuan(&text).map_err(err)?),
            FieldKind::IdCard => {
                let id = IdCardNumber::parse(&text, ctx.today).map_err(err)?;
                Value::Sealed(SealedValue {
                    kind: "idcard",
                    mask: id.masked(),
                    enc: ctx.sealer.seal(id.as_str()),
                    digest: ctx.sealer.digest("idcard", id.as_str()),
                })
            }
            FieldKind::Phone => {
                let p = Phone::parse_contact(&text).map_err(err)?;
                Value::Sealed(SealedValue {
                    kind: "phone",
                    mask: p.masked(),
                    enc: ctx.sealer.seal(p.as_str()),
                    digest: ctx.sealer.digest("phone", p.as_str()),
                })
            }
            FieldKind::Users { .. } => return Err(err(Invalid::new("请选择工作人员"))),
            FieldKind::Bool => match text.trim() {
                "true" | "1" | "on" | "yes" | "是" => Value::Bool(true),
                "false" | "0" | "off" | "no" | "否" => Value::Bool(false),
                _ => return Err(err(Invalid::new("应为“是”或“否”"))),
            },
        };
        Ok(Some(value))
    }
}
