//! Raw values of metrics: counts and sums over case sets, computed in SQL in one pass per kind —
//! each metric a `SUM(CASE WHEN … THEN …)` column — whole, or grouped by day or by unit.

use std::collections::HashMap;

use fazhi_domain::metric::{CaseSet, Measure, MetricDef, Period};

use crate::model::Scope;
use crate::sql::{self, Sql, bind_all};
use crate::{Result, Store};

/// How to break figures down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// By the day of registration in China (days since 1970-01-01 CST).
    Day,
    /// By the unit the case is with (its path).
    UnitPath,
    /// By the case's category (dispute categories, petition categories …); '' for none.
    Category,
    /// By tenant (each town of a district comparison).
    Tenant,
}

/// A group's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupKey {
    Day(i64),
    UnitPath(String),
    Category(String),
    Tenant(String),
}

/// Per kind: each metric, the set it counts, and the data key it sums (None: it counts).
type Column<'m> = (&'m MetricDef, &'m CaseSet, Option<&'m str>);

fn by_kind<'m>(metrics: &[&'m MetricDef]) -> HashMap<&'m str, Vec<Column<'m>>> {
    let mut out: HashMap<&str, Vec<Column<'_>>> = HashMap::new();
    for m in metrics {
        match &m.measure {
            Measure::Count { set } => out.entry(set.kind).or_default().push((m, set, None)),
            Measure::SumMoney { set, key } | Measure::Sum { set, key } => {
                out.entry(set.kind).or_default().push((m, set, Some(key)))
            }
            Measure::Ratio { .. } => {}
        }
    }
    out
}

/// `SELECT [group,] m0, m1 … FROM <table> c WHERE kind AND scope AND in effect at the period's end
/// [GROUP BY group]`: over `cases` (current versions) or `case_versions` (superseded ones). Each
/// case has exactly one version in effect at the end, so the two answers add up.
fn query(
    kind: &str,
    items: &[Column<'_>],
    scope: &Scope,
    period: &Period,
    group: Option<&str>,
    versions: bool,
    pg: bool,
) -> Sql {
    let mut q = Sql::new("SELECT ");
    let mut cols = Vec::new();
    if let Some(g) = group {
        cols.push(format!("{g} AS g"));
    }
    for (i, (_, set, sum_key)) in items.iter().enumerate() {
        let mut cond = Sql { text: String::new(), args: std::mem::take(&mut q.args) };
        cond.push("1 = 1");
        for c in &set.conds {
            sql::cond(&mut cond, c, period);
        }
        q.args = cond.args;
        let value = match sum_key {
            None => "1".to_string(),
            Some(k) => format!("CAST(c.data->>'{k}' AS BIGINT)"),
        };
        cols.push(format!("CAST(COALESCE(SUM(CASE WHEN {} THEN {value} ELSE 0 END), 0) AS BIGINT) AS m{i}", cond.text));
    }
    q.push(&cols.join(", "));
    q.push(if versions { " FROM case_versions c WHERE 1 = 1" } else { " FROM cases c WHERE 1 = 1" });
    let k = q.text_arg(kind);
    q.push(&format!(" AND c.kind = {k}"));
    if versions {
        sql::scope_of_versions(&mut q, scope);
    } else {
        sql::scope(&mut q, scope, pg);
    }
    sql::in_effect_at(&mut q, versions, sql::period_end_ms(period));
    if let Some(g) = group {
        q.push(&format!(" GROUP BY {g}"));
    }
    q
}

/// Whether any version can have been superseded after the period's end: not while it lasts.
fn past(period: &Period) -> bool {
    sql::period_end_ms(period) <= fazhi_domain::time_util::to_ms(time::OffsetDateTime::now_utc())
}

impl Store {
    /// The raw values of count and sum metrics over a period, as the cases stood at its end
    /// (统计截止日): each case counted by its version in effect then. Ratios are not raw values
    /// (the catalogue builds them from their parts).
    ///
    /// # Errors
    /// Database errors.
    pub async fn metric_values(
        &self,
        scope: &Scope,
        metrics: &[&MetricDef],
        period: &Period,
    ) -> Result<HashMap<String, i64>> {
        let mut out: HashMap<String, i64> = HashMap::new();
        for (kind, items) in by_kind(metrics) {
            for versions in [false, true] {
                if versions && !past(period) {
                    continue;
                }
                let q = query(kind, &items, scope, period, None, versions, self.is_postgres());
                let values: Vec<i64> = on_reader!(self, pool => {
                    use sqlx::Row;
                    let row = bind_all!(sqlx::query(sql::safe(&q.text)), &q.args).fetch_one(pool).await?;
                    (0..items.len()).map(|i| row.try_get::<i64, _>(i)).collect::<std::result::Result<Vec<i64>, sqlx::Error>>()
                })?;
                for ((m, _, _), v) in items.iter().zip(values) {
                    *out.entry(m.code.to_string()).or_default() += v;
                }
            }
        }
        Ok(out)
    }

    /// As [`Store::metric_values`], broken down by day, unit, category or tenant: one grouped
    /// query per kind. Groups with no case are absent.
    ///
    /// # Errors
    /// Database errors.
    pub async fn metric_values_by(
        &self,
        scope: &Scope,
        metrics: &[&MetricDef],
        period: &Period,
        group: GroupBy,
    ) -> Result<HashMap<GroupKey, HashMap<String, i64>>> {
        // Integer division is the same on both backends; 28 800 000 ms is UTC+8.
        let expr = match group {
            GroupBy::Day => "((c.opened_at + 28800000) / 86400000)",
            GroupBy::UnitPath => "c.unit_path",
            GroupBy::Category => "COALESCE(c.category, '')",
            GroupBy::Tenant => "c.tenant_id",
        };
        let mut out: HashMap<GroupKey, HashMap<String, i64>> = HashMap::new();
        for (kind, items) in by_kind(metrics) {
            for versions in [false, true] {
                if versions && !past(period) {
                    continue;
                }
                let q = query(kind, &items, scope, period, Some(expr), versions, self.is_postgres());
                let rows: Vec<(GroupKey, Vec<i64>)> = on_reader!(self, pool => {
                    use sqlx::Row;
                    let rows = bind_all!(sqlx::query(sql::safe(&q.text)), &q.args).fetch_all(pool).await?;
                    rows.iter()
                        .map(|row| {
                            let key = match group {
                                GroupBy::Day => GroupKey::Day(row.try_get::<i64, _>(0)?),
                                GroupBy::UnitPath => GroupKey::UnitPath(row.try_get::<String, _>(0)?),
                                GroupBy::Category => GroupKey::Category(row.try_get::<String, _>(0)?),
                                GroupBy::Tenant => GroupKey::Tenant(row.try_get::<String, _>(0)?),
                            };
                            let vals = (0..items.len()).map(|i| row.try_get::<i64, _>(i + 1)).collect::<std::result::Result<Vec<i64>, sqlx::Error>>()?;
                            Ok((key, vals))
                        })
                        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                })?;
                for (key, vals) in rows {
                    let entry = out.entry(key).or_default();
                    for ((m, _, _), v) in items.iter().zip(vals) {
                        *entry.entry(m.code.to_string()).or_default() += v;
                    }
                }
            }
        }
        Ok(out)
    }
}
