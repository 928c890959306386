//! The metric catalogue: every figure the dashboard, the district comparison, the exports and the
//! annual report print, defined once — its Chinese name, its unit, its formula in words, and the
//! set of cases it counts. A count is a [`CaseSet`]: the same filter the case list applies, so a
//! figure can always be traced to the cases behind it.

use serde::Serialize;
use time::Date;

use crate::rate::Rate;
use crate::settings::Rounding;
use crate::values::Money;

/// A condition on a case, for metrics and for traced lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Cond {
    /// Opened (受理) within the period.
    OpenedIn,
    /// Concluded (closed_at set) no later than the end of the period.
    ClosedByEnd,
    /// A data field equals a text value.
    DataEq { key: &'static str, value: String },
    /// A data field is one of several text values.
    DataIn { key: &'static str, values: Vec<String> },
    /// A numeric data field is at least this.
    DataAtLeast { key: &'static str, min: i64 },
    /// A data field is absent or other than this value.
    DataNot { key: &'static str, value: String },
    /// A date data field (YYYY-MM-DD) falls within the period: a deadline that fell due in it
    /// (应办结), a conclusion served in it.
    DateIn { key: &'static str },
}

/// A set of cases of one kind, as they stood at the end of the period the figure covers: every
/// condition is evaluated on the version of each case in effect at the period's end (统计截止日),
/// so a closed period's figures do not change when later events arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseSet {
    pub kind: &'static str,
    pub conds: Vec<Cond>,
}

/// What a metric measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Measure {
    /// How many cases.
    Count { set: CaseSet },
    /// The sum of a money data field (fen) over the cases.
    SumMoney { set: CaseSet, key: &'static str },
    /// The sum of an integer data field over the cases (来访人次: the people of each visit).
    Sum { set: CaseSet, key: &'static str },
    /// One count metric over another.
    Ratio { num: &'static str, den: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricUnit {
    /// 件
    Cases,
    /// 万元
    Money,
    /// %
    Rate,
    /// 批 (visits: one batch of visitors)
    Batches,
    /// 人次 (people, counted once per visit)
    PersonTimes,
}

impl MetricUnit {
    pub fn label(self) -> &'static str {
        match self {
            Self::Cases => "件",
            Self::Money => "万元",
            Self::Rate => "%",
            Self::Batches => "批",
            Self::PersonTimes => "人次",
        }
    }
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricDef {
    /// `work_order.close_rate`: the kind's slug, a dot, the figure.
    pub code: &'static str,
    /// 办结率
    pub name: &'static str,
    pub unit: MetricUnit,
    /// The formula in words (办结数 ÷ 受理数).
    pub formula: String,
    pub measure: Measure,
}

impl MetricDef {
    /// The kind this figure counts.
    pub fn kind(&self) -> &str {
        self.code.split('.').next().unwrap_or("")
    }
}

/// The period a figure covers: `[from, to]`, both dates in China, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// A calendar year.
    pub fn year(y: i32) -> Option<Self> {
        Some(Self {
            from: Date::from_calendar_date(y, time::Month::January, 1).ok()?,
            to: Date::from_calendar_date(y, time::Month::December, 31).ok()?,
        })
    }
}

/// A computed figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Figure {
    Count(u64),
    Money(Money),
    Rate(Rate),
}

impl std::fmt::Display for Figure {
    /// As the seed prints them: counts with no separator, money in 万元 with two decimals, rates
    /// with two decimals and "—" without a denominator.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Money(m) => f.write_str(&m.wan_yuan()),
            Self::Rate(r) => write!(f, "{r}"),
        }
    }
}

/// The whole catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub metrics: Vec<MetricDef>,
    pub rounding: Rounding,
}

/// Why figures could not be computed from a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("未知的指标“{0}”")]
    Unknown(String),
    #[error("指标“{0}”不是计数指标")]
    NotACount(String),
}

impl Catalogue {
    pub fn get(&self, code: &str) -> Option<&MetricDef> {
        self.metrics.iter().find(|m| m.code == code)
    }

    /// The figures of one kind, in catalogue order.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a MetricDef> + 'a {
        self.metrics.iter().filter(move |m| m.kind() == kind)
    }

    /// The case set a metric counts: its own for a count or sum, the numerator's for a ratio (what
    /// a click on a rate lists).
    ///
    /// # Errors
    /// An unknown code.
    pub fn traced_set(&self, code: &str) -> Result<&CaseSet, MetricError> {
        let m = self.get(code).ok_or_else(|| MetricError::Unknown(code.to_string()))?;
        match &m.measure {
            Measure::Count { set } | Measure::SumMoney { set, .. } | Measure::Sum { set, .. } => Ok(set),
            Measure::Ratio { num, .. } => self.traced_set(num),
        }
    }

    /// Builds the figures of `codes` from raw counts and sums supplied by `raw` (which the store
    /// answers with SQL). Ratios are computed from their parts, never stored.
    ///
    /// # Errors
    /// An unknown code, or a ratio over something that is not a count.
    pub fn figure<F>(&self, code: &str, raw: &mut F) -> Result<Figure, MetricError>
    where
        F: FnMut(&MetricDef) -> i64,
    {
        let m = self.get(code).ok_or_else(|| MetricError::Unknown(code.to_string()))?;
        Ok(match &m.measure {
            Measure::Count { .. } | Measure::Sum { .. } => Figure::Count(u64::try_from(raw(m)).unwrap_or(0)),
            Measure::SumMoney { .. } => Figure::Money(Money::from_fen(raw(m))),
            Measure::Ratio { num, den } => {
                let part = |c: &str, raw: &mut F| match self.figure(c, raw)? {
                    Figure::Count(n) => Ok(n),
                    _ => Err(MetricError::NotACount(c.to_string())),
                };
                let n = part(num, raw)?;
                let d = part(den, raw)?;
                Figure::Rate(Rate::new(n, d, self.rounding))
            }
        })
    }

    /// Checks the catalogue: unique codes, ratios over count metrics of the same kind.
    ///
    /// # Errors
    /// The first defect, in English (a programming error, caught by tests).
    pub fn check(&self) -> Result<(), String> {
        for (i, m) in self.metrics.iter().enumerate() {
            if self.metrics[..i].iter().any(|o| o.code == m.code) {
                return Err(format!("duplicate metric {}", m.code));
            }
            if let Measure::Ratio { num, den } = &m.measure {
                for part in [num, den] {
                    match self.get(part).map(|p| &p.measure) {
                        Some(Measure::Count { .. }) => {}
                        _ => return Err(format!("{}: {part} is not a count metric", m.code)),
                    }
                }
            }
            if let Measure::Count { set } | Measure::SumMoney { set, .. } | Measure::Sum { set, .. } = &m.measure
                && set.kind != m.kind()
            {
                return Err(format!("{}: counts kind {}", m.code, set.kind));
            }
        }
        Ok(())
    }
}
