//! A kind's figures broken down by category (纠纷类别, 信访类别 …) or by village: the same
//! catalogue definitions as the totals, computed in one grouped query per kind, so the rows always
//! add up to the total. "By village" groups each case under the unit directly below the town it
//! lies in — a village (its grids included), a community, or a department such as 司法所.

use std::collections::{BTreeMap, HashMap};

use fazhi_domain::metric::{Figure, Measure, MetricDef, Period};
use fazhi_store::{GroupBy, GroupKey};

use crate::{App, Principal, Result, ServiceError};

/// How to break the figures down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakdownBy {
    /// By the case's category.
    Category,
    /// By the unit directly below the town (village, community, department).
    Village,
}

/// One row: a category or a unit, and its figures.
#[derive(Debug, Clone)]
pub struct BreakdownRow {
    /// The category code, or the unit's path.
    pub key: String,
    /// 劳资欠薪, 龙潭村 …
    pub label: String,
    pub figures: Vec<(MetricDef, Figure)>,
}

/// `/aotou/longtan/g1/` → `/aotou/longtan/`; a town's own path stays as it is.
fn village_of(path: &str) -> String {
    let segs: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}/", segs.iter().take(2).copied().collect::<Vec<_>>().join("/"))
}

impl App {
    /// The figures `codes` of `kind` (all of the kind when empty) over a period, one row per
    /// category or per village, within the user's scope. Groups without cases are absent.
    ///
    /// # Errors
    /// An unknown kind, or a metric that is unknown or of another kind (400).
    pub async fn breakdown(
        &self,
        p: &Principal,
        kind: &str,
        codes: &[String],
        period: &Period,
        by: BreakdownBy,
    ) -> Result<Vec<BreakdownRow>> {
        p.ready()?;
        let kind_def = self.kind(kind)?;
        let cat = self.catalogue();
        let wanted: Vec<&MetricDef> = if codes.is_empty() {
            cat.of_kind(kind).collect()
        } else {
            codes
                .iter()
                .map(|c| match cat.get(c) {
                    Some(m) if m.kind() == kind => Ok(m),
                    Some(_) => Err(ServiceError::BadRequest(format!("指标“{c}”不属于{}", kind_def.label))),
                    None => Err(ServiceError::BadRequest(format!("未知的指标“{c}”"))),
                })
                .collect::<Result<_>>()?
        };
        let mut raw_defs: Vec<&MetricDef> = Vec::new();
        for m in &wanted {
            match &m.measure {
                Measure::Ratio { num, den } => raw_defs.extend([num, den].iter().filter_map(|c| cat.get(c))),
                _ => raw_defs.push(m),
            }
        }
        raw_defs.sort_by_key(|m| m.code);
        raw_defs.dedup_by_key(|m| m.code);
        let group = match by {
            BreakdownBy::Category => GroupBy::Category,
            BreakdownBy::Village => GroupBy::UnitPath,
        };
        let grouped = self.store().metric_values_by(&p.scope, &raw_defs, period, group).await?;
        // Roll unit paths up to the village; categories stay as they are.
        let mut rows: BTreeMap<String, HashMap<String, i64>> = BTreeMap::new();
        for (key, values) in grouped {
            let k = match key {
                GroupKey::Category(c) => c,
                GroupKey::UnitPath(path) => village_of(&path),
                GroupKey::Day(_) | GroupKey::Tenant(_) => continue,
            };
            let row = rows.entry(k).or_default();
            for (code, v) in values {
                *row.entry(code).or_default() += v;
            }
        }
        let units = self.units();
        let label = |key: &str| -> String {
            match by {
                BreakdownBy::Category => kind_def
                    .choice_label("category", key)
                    .unwrap_or_else(|| if key.is_empty() { "未分类".into() } else { key.into() }),
                BreakdownBy::Village => units
                    .values()
                    .find(|u| u.path.as_str() == key)
                    .map(|u| if u.path.depth() == 1 { format!("{}本级", u.name) } else { u.name.clone() })
                    .unwrap_or_else(|| key.to_string()),
            }
        };
        let order: Vec<String> = kind_def.open_choices("category").into_iter().map(|(c, _)| c).collect();
        let mut out: Vec<BreakdownRow> = rows
            .into_iter()
            .map(|(key, raw)| {
                let figures = wanted
                    .iter()
                    .map(|m| {
                        let fig = cat
                            .figure(m.code, &mut |d: &MetricDef| raw.get(d.code).copied().unwrap_or(0))
                            .map_err(ServiceError::internal)?;
                        Ok(((*m).clone(), fig))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(BreakdownRow { label: label(&key), key, figures })
            })
            .collect::<Result<_>>()?;
        if by == BreakdownBy::Category {
            out.sort_by_key(|r| order.iter().position(|c| *c == r.key).unwrap_or(usize::MAX));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_rolls_up_to_its_village_and_the_town_stays_itself() {
        assert_eq!(village_of("/aotou/longtan/longtan-g1/"), "/aotou/longtan/");
        assert_eq!(village_of("/aotou/longtan/"), "/aotou/longtan/");
        assert_eq!(village_of("/aotou/"), "/aotou/");
    }
}
