//! Units: the town, its departments, its villages and communities, and their grids. A unit's
//! materialised path (`/aotou/longtan/grid-1/`) lets every query select a unit's whole subtree with
//! one index range, never by walking the tree row by row.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Invalid;
use crate::ids::{TenantId, UnitId};

/// What kind of unit this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 区 (the district office's own tenant root).
    District,
    /// 镇 / 街道 (a tenant's root).
    Town,
    /// 部门 (综治中心, 综合行政执法办, 司法所 …).
    Department,
    /// 村委会.
    Village,
    /// 社区居委会.
    Community,
    /// 网格.
    Grid,
}

impl UnitKind {
    pub const ALL: [UnitKind; 6] =
        [Self::District, Self::Town, Self::Department, Self::Village, Self::Community, Self::Grid];

    pub fn code(self) -> &'static str {
        match self {
            Self::District => "district",
            Self::Town => "town",
            Self::Department => "department",
            Self::Village => "village",
            Self::Community => "community",
            Self::Grid => "grid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::District => "区",
            Self::Town => "镇（街道）",
            Self::Department => "部门",
            Self::Village => "村",
            Self::Community => "社区",
            Self::Grid => "网格",
        }
    }

    /// # Errors
    /// An unknown code.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|k| k.code() == code).ok_or_else(|| Invalid::new(format!("未知的单位类型“{code}”")))
    }

    /// Which kinds may sit directly under this one.
    pub fn may_contain(self, child: UnitKind) -> bool {
        use UnitKind::*;
        matches!(
            (self, child),
            (District, Department)
                | (Town, Department | Village | Community)
                | (Department, Department)
                | (Village | Community, Grid)
        )
    }
}

/// A unit's short code: lower-case ASCII letters, digits and hyphens, unique within its tenant
/// and never changed once made (paths are built from codes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    /// # Errors
    /// Empty, longer than 32 characters, or using characters other than a–z, 0–9 and '-'.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 32 {
            return Err(Invalid::new("单位代码应为1至32个字符"));
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(Invalid::new("单位代码只能使用小写字母、数字和连字符"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A materialised path: the codes from the tenant root down to the unit, each followed by '/',
/// starting with '/'. `/aotou/` contains `/aotou/longtan/` and everything below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitPath(String);

impl UnitPath {
    /// The path of a root unit.
    pub fn root(code: &UnitCode) -> Self {
        Self(format!("/{}/", code.as_str()))
    }

    /// The path of a child of this unit.
    pub fn child(&self, code: &UnitCode) -> Self {
        Self(format!("{}{}/", self.0, code.as_str()))
    }

    /// Rebuilds a path read from storage.
    ///
    /// # Errors
    /// A path that does not start and end with '/' or holds an invalid code.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let inner = raw
            .strip_prefix('/')
            .and_then(|r| r.strip_suffix('/'))
            .ok_or_else(|| Invalid::new("单位路径格式不正确"))?;
        for seg in inner.split('/') {
            UnitCode::parse(seg)?;
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` is this unit or below it.
    pub fn contains(&self, other: &UnitPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Depth: 1 for a root.
    pub fn depth(&self) -> usize {
        self.0.matches('/').count() - 1
    }

    /// This path and every path above it, from the root down: the units whose subtree holds
    /// this one. `/aotou/longtan/g1/` → `/aotou/`, `/aotou/longtan/`, `/aotou/longtan/g1/`. A
    /// reader is in a unit's subtree exactly when that unit's path is among the reader's lineage,
    /// which lets the store test it with equality (`IN`) instead of a range per row.
    pub fn lineage(&self) -> Vec<UnitPath> {
        self.0
            .char_indices()
            .filter(|(i, c)| *c == '/' && *i > 0)
            .map(|(i, _)| UnitPath(self.0[..=i].to_string()))
            .collect()
    }

    /// The half-open range `[low, high)` of paths in this subtree, for an index range scan. Works
    /// because every path ends in '/', and '0' is the byte after '/'.
    pub fn subtree_range(&self) -> (String, String) {
        let mut high = self.0.clone();
        high.pop();
        high.push('0');
        (self.0.clone(), high)
    }
}

impl fmt::Display for UnitPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unit as the rest of the code sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub tenant_id: TenantId,
    pub parent_id: Option<UnitId>,
    pub kind: UnitKind,
    pub code: UnitCode,
    pub name: String,
    pub path: UnitPath,
}

/// Looks units up by id; the workflow engine uses it to resolve a unit chosen in a form.
pub trait UnitLookup: Sync {
    fn unit(&self, id: &UnitId) -> Option<&Unit>;
}

impl UnitLookup for std::collections::HashMap<UnitId, Unit> {
    fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    #[test]
    fn a_path_contains_its_subtree_and_nothing_else() {
        let town = UnitPath::root(&code("aotou"));
        let village = town.child(&code("longtan"));
        let grid = village.child(&code("g1"));
        let other = town.child(&code("longtan2"));
        assert!(town.contains(&grid));
        assert!(village.contains(&grid));
        assert!(village.contains(&village));
        assert!(!village.contains(&other), "a sibling whose code starts the same is not inside");
        assert!(!grid.contains(&village));
        assert_eq!(grid.depth(), 3);
    }

    #[test]
    fn the_subtree_range_brackets_exactly_the_subtree() {
        let village = UnitPath::root(&code("aotou")).child(&code("longtan"));
        let (lo, hi) = village.subtree_range();
        let inside = ["/aotou/longtan/", "/aotou/longtan/g1/", "/aotou/longtan/zz-9/"];
        let outside = ["/aotou/longtan2/", "/aotou/longta/", "/aotou/longtan-x/", "/aotou/"];
        for p in inside {
            assert!(p >= lo.as_str() && p < hi.as_str(), "{p}");
        }
        for p in outside {
            assert!(!(p >= lo.as_str() && p < hi.as_str()), "{p}");
        }
    }

    #[test]
    fn the_lineage_is_every_unit_whose_subtree_holds_the_path() {
        let grid = UnitPath::root(&code("aotou")).child(&code("longtan")).child(&code("g1"));
        let lineage: Vec<String> = grid.lineage().iter().map(|p| p.as_str().to_string()).collect();
        assert_eq!(lineage, ["/aotou/", "/aotou/longtan/", "/aotou/longtan/g1/"]);
        for p in grid.lineage() {
            assert!(p.contains(&grid), "{p} holds the grid");
        }
        assert_eq!(UnitPath::root(&code("aotou")).lineage().len(), 1);
    }

    #[test]
    fn codes_are_restricted_so_paths_stay_unambiguous() {
        assert!(UnitCode::parse("Longtan").is_err());
        assert!(UnitCode::parse("long/tan").is_err());
        assert!(UnitCode::parse("").is_err());
        assert!(UnitPath::parse("/aotou/longtan/").is_ok());
        assert!(UnitPath::parse("aotou/").is_err());
    }

    #[test]
    fn only_sensible_units_nest() {
        assert!(UnitKind::Town.may_contain(UnitKind::Village));
        assert!(UnitKind::Village.may_contain(UnitKind::Grid));
        assert!(!UnitKind::Grid.may_contain(UnitKind::Village));
        assert!(!UnitKind::Village.may_contain(UnitKind::Town));
    }
}
