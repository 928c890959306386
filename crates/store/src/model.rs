//! The records the store reads and writes, and the query shapes it accepts.

use fazhi_domain::case::{CaseRecord, Phase};
use fazhi_domain::ids::{CaseId, TenantId, UnitId, UserId};
use fazhi_domain::metric::{CaseSet, Period};
use fazhi_domain::role::Role;
use fazhi_domain::unit::UnitPath;
use serde::Serialize;
use time::Date;

/// A town (镇/街道) or a district office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Short code used in receipt numbers (AT).
    pub code: String,
    pub name: String,
    pub kind: TenantKind,
    /// The district a town belongs to.
    pub parent_id: Option<TenantId>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    Town,
    District,
}

impl TenantKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Town => "town",
            Self::District => "district",
        }
    }
}

/// A staff user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub unit_id: UnitId,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub must_change_password: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub disabled: bool,
    pub created_at: i64,
    pub password_changed_at: i64,
    pub last_login_at: Option<i64>,
    pub roles: Vec<Role>,
}

/// A login session (web cookie or API bearer token); only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: UserId,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Web,
}

impl SessionKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Web => "web",
        }
    }
}

/// Which cases a reader may see: how far their roles reach, and who they are. Built by the
/// service from the user's roles and unit; applied in SQL by every case query (`sql::scope`),
/// so that a case withheld from the reader (检举控告, 《信访工作条例》第三十条) does not exist for
/// them in any read — details, lists, counts, search, figures, exports, links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub extent: Extent,
    /// The person reading; `None` for fazhi's own tasks (verification, the demo loader, a town's
    /// annual report), which read every case of their extent.
    pub reader: Option<Reader>,
}

/// How far a reader's roles reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extent {
    /// No case at all (the three administrators).
    Nothing,
    /// The cases of one unit's subtree in one tenant.
    Subtree { tenant: TenantId, path: UnitPath },
    /// Every case of one tenant.
    Tenant(TenantId),
    /// Every case of these tenants (the district).
    Tenants(Vec<TenantId>),
    /// Every case (fazhi itself: audit verification, recomputation, the demo loader).
    Everything,
}

/// A staff user reading cases. A case is withheld from them when they are named as accused, or
/// when their unit lies in the accused unit's subtree (the unit's path is in their lineage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub user: UserId,
    pub tenant: TenantId,
    pub unit_path: UnitPath,
}

impl Scope {
    /// No case at all.
    pub fn nothing() -> Self {
        Self { extent: Extent::Nothing, reader: None }
    }

    /// Every case (fazhi's own tasks).
    pub fn everything() -> Self {
        Self { extent: Extent::Everything, reader: None }
    }

    /// Every case of a tenant, read by fazhi itself (a town's report, the demo).
    pub fn tenant(t: TenantId) -> Self {
        Self { extent: Extent::Tenant(t), reader: None }
    }

    /// Every case of these tenants, read by fazhi itself (the district comparison).
    pub fn tenants(ts: Vec<TenantId>) -> Self {
        Self { extent: Extent::Tenants(ts), reader: None }
    }

    /// A unit's subtree.
    pub fn subtree(tenant: TenantId, path: UnitPath) -> Self {
        Self { extent: Extent::Subtree { tenant, path }, reader: None }
    }

    /// The same extent, read by `reader`.
    pub fn read_by(self, reader: Reader) -> Self {
        Self { reader: Some(reader), ..self }
    }

    /// Whether no case at all is in reach.
    pub fn is_nothing(&self) -> bool {
        self.extent == Extent::Nothing
    }
}

/// The sort orders lists offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    /// 办理期限, earliest first, cases without a running clock last.
    DueOn,
    /// 受理时间.
    #[default]
    OpenedAt,
    UpdatedAt,
    ReceiptNo,
}

/// A list filter; every field narrows. The same shape serves the case list, the workbench, the
/// exports and the traced lists behind report figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Only this tenant's cases (within the reader's scope): a town's figures read by the district.
    pub tenant: Option<TenantId>,
    pub kind: Option<String>,
    pub states: Vec<String>,
    pub phase: Option<Phase>,
    /// Only this unit's subtree (within the reader's scope).
    pub unit: Option<UnitPath>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    /// Running clock due before this date (overdue as of it).
    pub overdue_on: Option<Date>,
    /// Running clock due on or after this date.
    pub due_from: Option<Date>,
    /// Running clock due on or before this date.
    pub due_by: Option<Date>,
    /// Opened on or after this date (China).
    pub opened_from: Option<Date>,
    /// Opened on or before this date (China).
    pub opened_to: Option<Date>,
    /// Free text, matched as a substring of the receipt number, title and the kind's text fields
    /// (a substring match finds "纠纷" in "劳资纠纷" without segmentation).
    pub text: Option<String>,
    /// Words of `text` that read as a full personal identifier (a phone number, a 身份证号),
    /// with their keyed digests: such a word also finds the cases holding that identifier
    /// through `party_index` — identifiers are sealed, so no substring of one is searchable.
    /// Set only for readers allowed to search by identifier (the service decides).
    pub identifiers: Vec<IdentifierTerm>,
    /// The cases a metric counts over a period (traceability).
    pub metric: Option<(CaseSet, Period)>,
    /// Only cases reminded (催办) at least once since their unit received them.
    pub reminded: bool,
    /// Only these cases (a list's selected rows); empty: no such limit.
    pub ids: Vec<CaseId>,
    pub sort: SortField,
    pub descending: bool,
}

/// A word of a list's free text read as a personal identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierTerm {
    /// The word as typed.
    pub word: String,
    /// `phone` or `idcard` (the digest's kind).
    pub kind: String,
    /// The keyed digest of the identifier in its normal form.
    pub digest: String,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// `total` is a lower bound: counting stopped there (free-text searches, see
    /// `TEXT_COUNT_CAP`).
    pub capped: bool,
    pub page: u32,
    pub per_page: u32,
}

/// A case in a list, with the name of the unit it is with.
#[derive(Debug, Clone)]
pub struct CaseListItem {
    pub case: CaseRecord,
    pub unit_name: String,
}
