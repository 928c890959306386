//! 领导驾驶舱: every kind at once (one summary row per registered kind), then one kind's figures
//! for a period — in total, by month, by unit (or by town for the district) — and the overdue
//! list. Every figure comes from the metric catalogue or the case list's own filter.

use std::collections::HashMap;

use fazhi_domain::case::Phase;
use fazhi_domain::metric::{Figure, MetricDef, Period};
use fazhi_domain::time_util::local_date;
use fazhi_store::{CaseFilter, CaseListItem, Extent, GroupBy, GroupKey, SortField};
use time::{Date, Duration, Month};

use crate::{App, Principal, Result, ServiceError};

/// One row of a breakdown: its label and the kind's figures.
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    /// For a unit or town row: the unit whose subtree it covers (links to its list).
    pub unit_id: Option<String>,
    pub figures: Vec<(MetricDef, Figure)>,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub period: Period,
    pub totals: Vec<(MetricDef, Figure)>,
    pub months: Vec<Row>,
    pub units: Vec<Row>,
    pub overdue: Vec<CaseListItem>,
    pub overdue_total: u64,
}

/// One kind's row of the overview: what it received in the period and its on-time rate (the
/// kind's own figures, [`fazhi_domain::kinds::Summary`], as the report computes them), and what is
/// in progress and overdue now — all within the reader's scope.
#[derive(Debug, Clone)]
pub struct KindSummary {
    pub kind: &'static str,
    /// The kind's name (12345工单).
    pub label: &'static str,
    /// The received figure with its definition (受理数).
    pub received: (MetricDef, Figure),
    /// Open cases now (the list's `phase=open`).
    pub in_progress: u64,
    /// Open cases past a running clock's due date today (the list's `overdue=1`).
    pub overdue: u64,
    /// The on-time rate with its definition; `None` for a kind without one.
    pub on_time_rate: Option<(MetricDef, Figure)>,
}

fn month_of_day(day: i64) -> Option<(i32, Month)> {
    let d = Date::from_calendar_date(1970, Month::January, 1).ok()?.checked_add(Duration::days(day))?;
    Some((d.year(), d.month()))
}

impl App {
    fn figures(&self, defs: &[&MetricDef], raw: &HashMap<String, i64>) -> Result<Vec<(MetricDef, Figure)>> {
        let cat = self.catalogue();
        defs.iter()
            .map(|m| {
                let f = cat
                    .figure(m.code, &mut |d: &MetricDef| raw.get(d.code).copied().unwrap_or(0))
                    .map_err(ServiceError::internal)?;
                Ok(((*m).clone(), f))
            })
            .collect()
    }

    /// One row per registered kind, in the registry's order: received and on-time rate over
    /// `period` (as at its end — today for the default year to date), in progress and overdue as
    /// at now, for the cases this user may see (scope and 检举控告 withholding in the store's SQL).
    ///
    /// # Errors
    /// 403 for users who see no cases; database errors.
    pub async fn dashboard_summary(&self, p: &Principal, period: Period) -> Result<Vec<KindSummary>> {
        p.ready()?;
        if p.scope.is_nothing() {
            return Err(ServiceError::Forbidden("您的角色不查看业务数据".into()));
        }
        let today = local_date(self.now());
        let mut codes = Vec::new();
        let summaries: Vec<_> = self.kinds().all().iter().map(|k| (k, k.summary_figures())).collect();
        for (_, s) in &summaries {
            if let Some(s) = s {
                codes.push(s.received.to_string());
                codes.extend(s.on_time_rate.map(str::to_string));
            }
        }
        let figures =
            if codes.is_empty() { Vec::new() } else { self.metrics_in(&p.scope, None, &codes, &period).await? };
        let figure = |code: &str| figures.iter().find(|(m, _)| m.code == code).cloned();
        let mut rows = Vec::new();
        for (k, s) in summaries {
            let Some(s) = s else { continue };
            let Some(received) = figure(s.received) else { continue };
            let open = CaseFilter { kind: Some(k.slug.to_string()), phase: Some(Phase::Open), ..Default::default() };
            let overdue = CaseFilter { overdue_on: Some(today), ..open.clone() };
            rows.push(KindSummary {
                kind: k.slug,
                label: k.label,
                received,
                in_progress: self.store().count_cases(&p.scope, &open).await?,
                overdue: self.store().count_cases(&p.scope, &overdue).await?,
                on_time_rate: s.on_time_rate.and_then(figure),
            });
        }
        Ok(rows)
    }

    /// The dashboard of `kind` over `period` for the cases this user may see.
    ///
    /// # Errors
    /// 403 for users who see no cases; an unknown kind; a period longer than three years.
    pub async fn dashboard(&self, p: &Principal, kind: &str, period: Period) -> Result<Dashboard> {
        p.ready()?;
        if p.scope.is_nothing() {
            return Err(ServiceError::Forbidden("您的角色不查看业务数据".into()));
        }
        let k = self.kind(kind)?;
        if period.to < period.from || (period.to - period.from).whole_days() > 366 * 3 {
            return Err(ServiceError::field("from", "统计期间", "开始日期应不晚于结束日期，且期间不超过三年"));
        }
        let cat = self.catalogue();
        let defs: Vec<&MetricDef> = cat.of_kind(kind).collect();
        // The raw parts every figure needs (ratios need their numerator and denominator).
        let mut raw_defs: Vec<&MetricDef> = Vec::new();
        for m in &defs {
            match &m.measure {
                fazhi_domain::metric::Measure::Ratio { num, den } => {
                    raw_defs.extend([num, den].iter().filter_map(|c| cat.get(c)));
                }
                _ => raw_defs.push(m),
            }
        }
        raw_defs.sort_by_key(|m| m.code);
        raw_defs.dedup_by_key(|m| m.code);
        let store = self.store();
        let totals_raw = store.metric_values(&p.scope, &raw_defs, &period).await?;
        let totals = self.figures(&defs, &totals_raw)?;

        // By month: group by day in SQL, fold the days into months here.
        let by_day = store.metric_values_by(&p.scope, &raw_defs, &period, GroupBy::Day).await?;
        let mut months: Vec<((i32, Month), HashMap<String, i64>)> = Vec::new();
        let mut m = (period.from.year(), period.from.month());
        loop {
            months.push((m, HashMap::new()));
            if m == (period.to.year(), period.to.month()) || months.len() > 40 {
                break;
            }
            m = if m.1 == Month::December { (m.0 + 1, Month::January) } else { (m.0, m.1.next()) };
        }
        for (key, values) in &by_day {
            let GroupKey::Day(day) = key else { continue };
            if let Some(ym) = month_of_day(*day)
                && let Some((_, acc)) = months.iter_mut().find(|(k, _)| *k == ym)
            {
                for (code, v) in values {
                    *acc.entry(code.clone()).or_insert(0) += v;
                }
            }
        }
        let month_rows = months
            .iter()
            .map(|((y, mo), raw)| {
                Ok(Row { label: format!("{y}-{:02}", *mo as u8), unit_id: None, figures: self.figures(&defs, raw)? })
            })
            .collect::<Result<Vec<_>>>()?;

        // By unit: the units right below the tenant root (villages, departments); for the district,
        // the towns.
        let by_unit = store.metric_values_by(&p.scope, &raw_defs, &period, GroupBy::UnitPath).await?;
        let units = self.units();
        let depth = if matches!(p.scope.extent, Extent::Tenants(_)) { 1 } else { 2 };
        let mut groups: Vec<(String, String, HashMap<String, i64>)> = units
            .values()
            .filter(|u| u.path.depth() == depth)
            .filter(|u| match &p.scope.extent {
                Extent::Tenant(t) => u.tenant_id == *t,
                Extent::Subtree { tenant, path } => {
                    u.tenant_id == *tenant && (path.contains(&u.path) || u.path.contains(path))
                }
                Extent::Tenants(ts) => ts.contains(&u.tenant_id),
                Extent::Everything => true,
                Extent::Nothing => false,
            })
            .map(|u| {
                let label = if depth == 1 {
                    self.tenant(u.tenant_id).map_or(u.name.clone(), |t| t.name)
                } else {
                    u.name.clone()
                };
                (u.path.as_str().to_string(), label, HashMap::new())
            })
            .collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, values) in &by_unit {
            let GroupKey::UnitPath(path) = key else { continue };
            if let Some((_, _, acc)) = groups.iter_mut().find(|(g, _, _)| path.starts_with(g.as_str())) {
                for (code, v) in values {
                    *acc.entry(code.clone()).or_insert(0) += v;
                }
            }
        }
        let path_to_id: HashMap<&str, String> = units.values().map(|u| (u.path.as_str(), u.id.to_string())).collect();
        let mut unit_rows = groups
            .iter()
            .map(|(path, label, raw)| {
                Ok(Row {
                    label: label.clone(),
                    unit_id: path_to_id.get(path.as_str()).cloned(),
                    figures: self.figures(&defs, raw)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Busiest first; units with nothing at the end.
        let first_count = |r: &Row| match r.figures.first().map(|(_, f)| *f) {
            Some(Figure::Count(n)) => n,
            _ => 0,
        };
        unit_rows.sort_by_key(|r| std::cmp::Reverse(first_count(r)));

        let today = local_date(self.now());
        let overdue_filter = CaseFilter {
            kind: Some(kind.to_string()),
            overdue_on: Some(today),
            sort: SortField::DueOn,
            ..Default::default()
        };
        let mut overdue = store.list_cases(&p.scope, &overdue_filter, 1, 20).await?;
        for item in &mut overdue.items {
            self.redact_case(p, &mut item.case);
        }
        Ok(Dashboard {
            kind: k.slug,
            kind_label: k.label,
            period,
            totals,
            months: month_rows,
            units: unit_rows,
            overdue_total: overdue.total,
            overdue: overdue.items,
        })
    }
}
