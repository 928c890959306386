//! The case-list filter as it travels in a URL query. One parser serves the list pages, the
//! JSON API (`GET /api/v1/cases`) and the exports, so a query string means the same cases
//! wherever it is sent; a bad value is named by its field, in Chinese.

use fazhi_domain::FieldError;
use fazhi_domain::case::Phase;
use fazhi_domain::ids::UnitId;
use fazhi_domain::metric::Period;
use fazhi_domain::time_util::{fmt_date, local_date, parse_date};
use fazhi_store::{CaseFilter, SortField};
use time::Date;

use crate::{App, Result, ServiceError};

/// The page size when none is asked.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// The largest page.
pub const MAX_PER_PAGE: u32 = 200;

/// The list parameters as written in the query string (so a list can be bookmarked and shared):
/// raw text, read by [`ListQuery::to_filter`]. Every field is optional; an empty one is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Kind slug.
    pub kind: String,
    /// State codes, comma-separated (the parameter may also be repeated).
    pub state: String,
    /// `open`, `closed` or `archived`.
    pub phase: String,
    /// A unit id: that unit and everything below it.
    pub unit: String,
    pub category: String,
    pub urgency: String,
    /// `1`, `true` or `on`: only cases past their running deadline.
    pub overdue: String,
    /// 1–60: running deadline within this many working days from today.
    pub due_within: String,
    pub due_from: String,
    /// Running deadline on or before this date (`due_before` is read as the same).
    pub due_to: String,
    pub opened_from: String,
    pub opened_to: String,
    /// Free text: receipt number, title, content …
    pub q: String,
    /// `due_on`, `opened_at`, `updated_at` or `receipt_no`; a leading `-` sorts descending.
    pub sort: String,
    pub page: String,
    pub per_page: String,
    /// A town's code (the district reading one town).
    pub tenant: String,
    /// A metric's code: list the cases it counts (a report figure's link) over `mfrom`–`mto`.
    pub metric: String,
    pub mfrom: String,
    pub mto: String,
    /// `1`, `true` or `on`: only cases reminded (催办) since their unit received them.
    pub reminded: String,
}

fn nonempty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A date field; a bad one is noted in `errors`.
fn date_field(raw: &str, field: &str, label: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    parse_date(raw).map_err(|e| errors.push(e.at(field, label))).ok()
}

impl ListQuery {
    /// The parameters of a query string's decoded pairs. An unknown name, or a name given twice
    /// (but `state`, whose values add up), is refused: a filter silently ignored would list more
    /// than the reader asked for.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming each such parameter.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self> {
        let mut q = Self::default();
        let mut errors = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            if k == "state" {
                if !v.trim().is_empty() {
                    if !q.state.is_empty() {
                        q.state.push(',');
                    }
                    q.state.push_str(v.trim());
                }
                continue;
            }
            // `due_before` (the API's first name for it) is `due_to`.
            let name = if k == "due_before" { "due_to" } else { k };
            let Some(slot) = q.slot(name) else {
                errors.push(FieldError::new(k, k, "不是可用的筛选条件"));
                continue;
            };
            if seen.iter().any(|s| s == name) {
                errors.push(FieldError::new(name, name, "只能给出一次"));
                continue;
            }
            seen.push(name.to_string());
            *slot = v.to_string();
        }
        if errors.is_empty() { Ok(q) } else { Err(ServiceError::Invalid(errors)) }
    }

    fn slot(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "kind" => &mut self.kind,
            "state" => &mut self.state,
            "phase" => &mut self.phase,
            "unit" => &mut self.unit,
            "category" => &mut self.category,
            "urgency" => &mut self.urgency,
            "overdue" => &mut self.overdue,
            "due_within" => &mut self.due_within,
            "due_from" => &mut self.due_from,
            "due_to" => &mut self.due_to,
            "opened_from" => &mut self.opened_from,
            "opened_to" => &mut self.opened_to,
            "q" => &mut self.q,
            "sort" => &mut self.sort,
            "page" => &mut self.page,
            "per_page" => &mut self.per_page,
            "tenant" => &mut self.tenant,
            "metric" => &mut self.metric,
            "mfrom" => &mut self.mfrom,
            "mto" => &mut self.mto,
            "reminded" => &mut self.reminded,
            _ => return None,
        })
    }

    /// The non-empty parameters as `(name, value)`, without the page number: what a link to the
    /// same list (another page of it, its export) carries.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("kind", &self.kind),
            ("state", &self.state),
            ("phase", &self.phase),
            ("unit", &self.unit),
            ("category", &self.category),
            ("urgency", &self.urgency),
            ("overdue", &self.overdue),
            ("due_within", &self.due_within),
            ("due_from", &self.due_from),
            ("due_to", &self.due_to),
            ("opened_from", &self.opened_from),
            ("opened_to", &self.opened_to),
            ("q", &self.q),
            ("sort", &self.sort),
            ("per_page", &self.per_page),
            ("tenant", &self.tenant),
            ("metric", &self.metric),
            ("mfrom", &self.mfrom),
            ("mto", &self.mto),
            ("reminded", &self.reminded),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect()
    }

    /// The page asked (from 1).
    pub fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().ok().filter(|n| *n >= 1).unwrap_or(1)
    }

    /// The page size asked: 1–200, 20 when absent.
    pub fn per_page(&self) -> u32 {
        self.per_page.trim().parse::<u32>().ok().filter(|n| *n >= 1).map_or(DEFAULT_PER_PAGE, |n| n.min(MAX_PER_PAGE))
    }

    /// The filter in the store's terms.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming every field that could not be read: a bad date, an
    /// unknown phase, unit, town, metric or sort, a page that is not a number;
    /// [`ServiceError::UnknownKind`] for a kind that does not exist.
    pub fn to_filter(&self, app: &App) -> Result<CaseFilter> {
        let mut errors = Vec::new();
        let today = local_date(app.now());
        let opened_from = date_field(&self.opened_from, "opened_from", "受理日期起", &mut errors);
        let opened_to = date_field(&self.opened_to, "opened_to", "受理日期止", &mut errors);
        let mut due_from = date_field(&self.due_from, "due_from", "期限起", &mut errors);
        let mut due_by = date_field(&self.due_to, "due_to", "期限止", &mut errors);
        if let Some(n) = nonempty(&self.due_within) {
            match n.parse::<u32>() {
                Ok(n) if (1..=60).contains(&n) => {
                    due_from = Some(today);
                    due_by = Some(app.working_days_from_today(n));
                }
                _ => errors.push(FieldError::new("due_within", "几个工作日内到期", "应为1至60的整数")),
            }
        }
        let unit = match nonempty(&self.unit) {
            None => None,
            Some(u) => match UnitId::parse(&u).ok().and_then(|id| app.unit(id)) {
                Some(u) => Some(u.path),
                None => {
                    errors.push(FieldError::new("unit", "单位", "不存在"));
                    None
                }
            },
        };
        // An unknown kind is answered as everywhere else (`unknown_kind`), before the fields.
        let kind = nonempty(&self.kind);
        if let Some(k) = &kind {
            app.kind(k)?;
        }
        let phase = match nonempty(&self.phase) {
            None => None,
            Some(p) => match Phase::parse(&p) {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(FieldError::new("phase", "阶段", "应为 open、closed 或 archived"));
                    None
                }
            },
        };
        let mut flag = |raw: &str, field: &str, label: &str| match raw.trim() {
            "" | "0" | "false" | "off" => false,
            "1" | "true" | "on" => true,
            _ => {
                errors.push(FieldError::new(field, label, "应为 true 或 false"));
                false
            }
        };
        let overdue = flag(&self.overdue, "overdue", "仅看超期");
        let reminded = flag(&self.reminded, "reminded", "仅看被催办");
        let s = nonempty(&self.sort).unwrap_or_else(|| "-opened_at".into());
        let (name, descending) = s.strip_prefix('-').map_or((s.as_str(), false), |n| (n, true));
        let sort = match name {
            "due_on" => SortField::DueOn,
            "opened_at" => SortField::OpenedAt,
            "updated_at" => SortField::UpdatedAt,
            "receipt_no" => SortField::ReceiptNo,
            _ => {
                errors.push(FieldError::new(
                    "sort",
                    "排序",
                    "应为 due_on、opened_at、updated_at 或 receipt_no，前加 - 为倒序",
                ));
                SortField::OpenedAt
            }
        };
        let text = nonempty(&self.q);
        if text.as_ref().is_some_and(|q| q.chars().count() > 100) {
            errors.push(FieldError::new("q", "关键词", "不能超过100个字"));
        }
        for (field, label, raw) in [("page", "页码", &self.page), ("per_page", "每页条数", &self.per_page)] {
            if nonempty(raw).is_some_and(|n| n.parse::<u32>().is_err()) {
                errors.push(FieldError::new(field, label, "应为正整数"));
            }
        }
        let tenant = match nonempty(&self.tenant) {
            None => None,
            Some(code) => match app.tenants().iter().find(|t| t.code.eq_ignore_ascii_case(&code)) {
                Some(t) => Some(t.id),
                None => {
                    errors.push(FieldError::new("tenant", "镇（街道）", "不存在"));
                    None
                }
            },
        };
        let metric = match nonempty(&self.metric) {
            None => None,
            Some(code) => {
                let set = app
                    .catalogue()
                    .traced_set(&code)
                    .map_err(|_| errors.push(FieldError::new("metric", "指标", format!("“{code}”不存在"))))
                    .ok()
                    .cloned();
                let from = date_field(&self.mfrom, "mfrom", "统计期间起", &mut errors);
                let to = date_field(&self.mto, "mto", "统计期间止", &mut errors);
                match (set, from, to) {
                    (Some(set), Some(from), Some(to)) => Some((set, Period { from, to })),
                    (Some(_), _, _) => {
                        errors.push(FieldError::new("mfrom", "统计期间", "请同时给出起止日期"));
                        None
                    }
                    _ => None,
                }
            }
        };
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        Ok(CaseFilter {
            tenant,
            kind,
            states: self.state.split(',').filter_map(nonempty).collect(),
            phase,
            unit,
            category: nonempty(&self.category),
            urgency: nonempty(&self.urgency),
            overdue_on: overdue.then_some(today),
            due_from,
            due_by,
            opened_from,
            opened_to,
            identifiers: text.as_deref().map(|t| app.identifier_terms(t)).unwrap_or_default(),
            text,
            metric,
            reminded,
            ids: Vec::new(),
            sort,
            descending,
        })
    }

    /// The parameters that give `f` (for links from the workbench and the dashboard). A metric's
    /// set has no query form: such a filter is linked by its metric code instead.
    pub fn from_filter(app: &App, f: &CaseFilter) -> Self {
        let today = local_date(app.now());
        Self {
            kind: f.kind.clone().unwrap_or_default(),
            state: f.states.join(","),
            phase: f.phase.map(|p| p.code().to_string()).unwrap_or_default(),
            unit: f
                .unit
                .as_ref()
                .and_then(|path| app.units().values().find(|u| &u.path == path).map(|u| u.id.to_string()))
                .unwrap_or_default(),
            category: f.category.clone().unwrap_or_default(),
            urgency: f.urgency.clone().unwrap_or_default(),
            overdue: if f.overdue_on == Some(today) { "1".into() } else { String::new() },
            due_from: f.due_from.map(fmt_date).unwrap_or_default(),
            due_to: f.due_by.map(fmt_date).unwrap_or_default(),
            opened_from: f.opened_from.map(fmt_date).unwrap_or_default(),
            opened_to: f.opened_to.map(fmt_date).unwrap_or_default(),
            q: f.text.clone().unwrap_or_default(),
            tenant: f.tenant.and_then(|t| app.tenant(t)).map(|t| t.code).unwrap_or_default(),
            reminded: if f.reminded { "1".into() } else { String::new() },
            ..Self::default()
        }
    }
}

impl App {
    /// The filter of a decoded query string: [`ListQuery::from_pairs`] then
    /// [`ListQuery::to_filter`].
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming each bad parameter.
    pub fn list_filter<K: AsRef<str>, V: AsRef<str>>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(ListQuery, CaseFilter)> {
        let q = ListQuery::from_pairs(pairs)?;
        let f = q.to_filter(self)?;
        Ok((q, f))
    }
}
