//! What each record's digest covers (see `fazhi_domain::record`): the one place that lists the
//! columns of a case, a user, a unit, a tenant, a report draft and a calendar year that
//! `fazhi audit verify` holds to the events. A writer seals the digest of the record as it left it
//! into its event; verification recomputes it from the row as it is now. Both go through the
//! functions below, so they cannot drift apart.
//!
//! A case's record is its row *and* what hangs off it: its party digests (`party_index`), its
//! attachments and its links — so an attachment or link row added, edited or deleted by hand, or a
//! party digest inserted, shows as a change of the case. To seal a new column or a new table about
//! cases (a version history, the readers a case is withheld from), add it to [`case_fields`] under
//! a new scheme name and keep the old scheme's list for the events that carry it.

use fazhi_domain::case::CaseRecord;
use fazhi_domain::record::{Field, sha256_hex};
use fazhi_domain::time_util::fmt_date;
use serde_json::{Value as Json, json};

/// The scheme of case digests written now.
pub(crate) const CASE_SCHEME: &str = "case1";

/// What hangs off a case row, each list in a canonical order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CaseParts {
    /// `[kind, digest]` pairs.
    pub parties: Vec<Json>,
    pub attachments: Vec<Json>,
    pub links: Vec<Json>,
    /// The case's superseded versions (`case_versions`), which the figures of past periods read:
    /// an edited version would change a closed year's figures.
    pub versions: Vec<Json>,
    /// Read with the parts inside a writer's transaction (one query): the case's stored
    /// query-code digest, which an update does not change but the seal covers.
    pub query_digest: Option<String>,
}

impl CaseParts {
    /// Sorts and de-duplicates each list (rows come from sets: the order they are read in means
    /// nothing, and `party_index` ignores a repeated digest).
    pub fn normalise(mut self) -> Self {
        for v in [&mut self.parties, &mut self.attachments, &mut self.links, &mut self.versions] {
            v.sort_by_cached_key(fazhi_domain::event::canonical_json);
            v.dedup();
        }
        self
    }

    /// From identifier digests given at registration (a new case has no attachments or links).
    pub fn of_digests(digests: &[(String, String)]) -> Self {
        Self { parties: digests.iter().map(|(k, d)| json!([k, d])).collect(), ..Self::default() }.normalise()
    }

    /// Adds one row of the [`PARTS_SQL`] shape.
    pub fn push(&mut self, r: &PartRow) {
        match r.0 {
            0 => self.parties.push(json!([r.1, r.2])),
            1 => self.attachments.push(attachment_json(&r.1, &r.2, &r.3, r.7, &r.4, r.5.as_deref(), r.8)),
            3 => self.query_digest.clone_from(&r.5),
            _ => self.links.push(link_json(&r.1, &r.2, &r.3, &r.4, r.6.as_deref().unwrap_or(""), r.5.as_deref(), r.7)),
        }
    }
}

/// One superseded version of a case as sealed (the columns of `case_versions`; the case id and
/// tenant are the case's own).
pub(crate) fn version_json(v: &VersionRow) -> Json {
    json!({"version": v.version, "kind": v.kind, "category": v.category, "state": v.state, "phase": v.phase,
           "unit_path": v.unit_path, "data": v.data, "opened_at": v.opened_at, "closed_at": v.closed_at,
           "effective_at": v.effective_at, "superseded_at": v.superseded_at})
}

/// A row of `case_versions`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub case_id: String,
    pub version: i64,
    pub kind: String,
    pub category: Option<String>,
    pub state: String,
    pub phase: String,
    pub unit_path: String,
    #[sqlx(json)]
    pub data: Json,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub effective_at: i64,
    pub superseded_at: i64,
}

impl VersionRow {
    /// The row the history of an imported case writes for `c`, superseded at `superseded_at`.
    pub fn of(c: &CaseRecord, superseded_at: i64) -> Self {
        Self {
            case_id: c.id.to_string(),
            version: c.version,
            kind: c.kind.clone(),
            category: c.category.clone(),
            state: c.state.clone(),
            phase: c.phase.code().to_string(),
            unit_path: c.unit_path.as_str().to_string(),
            data: Json::Object(c.data.clone()),
            opened_at: c.opened_at,
            closed_at: c.closed_at,
            effective_at: c.effective_at,
            superseded_at,
        }
    }
}

/// The superseded versions of the cases whose id satisfies `{cond}` (alias-free, both backends).
pub(crate) fn versions_sql(cond: &str) -> String {
    format!(
        "SELECT case_id, version, kind, category, state, phase, unit_path, data, opened_at, closed_at, effective_at, \
         superseded_at FROM case_versions WHERE {cond}"
    )
}

pub(crate) fn attachment_json(
    hash: &str,
    name: &str,
    mime: &str,
    size: i64,
    event_id: &str,
    uploaded_by: Option<&str>,
    uploaded_at: i64,
) -> Json {
    json!({"hash": hash, "name": name, "mime": mime, "size": size, "event_id": event_id,
           "uploaded_by": uploaded_by, "uploaded_at": uploaded_at})
}

pub(crate) fn link_json(
    id: &str,
    from: &str,
    to: &str,
    relation: &str,
    note: &str,
    created_by: Option<&str>,
    created_at: i64,
) -> Json {
    json!({"id": id, "from": from, "to": to, "relation": relation, "note": note,
           "created_by": created_by, "created_at": created_at})
}

/// One row about a case's parts: (part 0 party / 1 attachment / 2 link, a, b, c, d, e, f, n1, n2)
/// — party: kind, digest; attachment: hash, name, mime, event_id, uploaded_by, —, size,
/// uploaded_at; link: id, from, to, relation, created_by, note, created_at. The case it belongs to
/// comes last.
pub(crate) type PartRow = (i64, String, String, String, String, Option<String>, Option<String>, i64, i64, String);

/// The parts of the cases whose id satisfies `{cond}` (`= $1`, or a range), written once for both
/// backends.
pub(crate) fn parts_sql(party_cond: &str, attachment_cond: &str, from_cond: &str, to_cond: &str) -> String {
    format!(
        "SELECT CAST(0 AS BIGINT), kind, digest, CAST('' AS TEXT), CAST('' AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
         CAST(0 AS BIGINT), CAST(0 AS BIGINT), case_id FROM party_index WHERE {party_cond} \
         UNION ALL SELECT CAST(1 AS BIGINT), hash, name, mime, event_id, uploaded_by, CAST(NULL AS TEXT), size, uploaded_at, \
         case_id FROM attachments WHERE {attachment_cond} \
         UNION ALL SELECT CAST(2 AS BIGINT), id, from_case, to_case, relation, created_by, note, created_at, CAST(0 AS BIGINT), \
         from_case FROM case_links WHERE {from_cond} \
         UNION ALL SELECT CAST(2 AS BIGINT), id, from_case, to_case, relation, created_by, note, created_at, CAST(0 AS BIGINT), \
         to_case FROM case_links WHERE {to_cond}"
    )
}

/// The parts of one case (`$1`), and its query-code digest.
pub(crate) fn parts_of_case_sql() -> String {
    format!(
        "{} UNION ALL SELECT CAST(3 AS BIGINT), CAST('' AS TEXT), CAST('' AS TEXT), CAST('' AS TEXT), CAST('' AS TEXT), \
         query_digest, CAST(NULL AS TEXT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), id FROM cases WHERE id = $1",
        parts_sql("case_id = $1", "case_id = $1", "from_case = $1", "to_case = $1")
    )
}

/// The columns of a case row that are sealed and not in [`CaseRecord`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CaseColumns {
    pub query_digest: Option<String>,
    pub due_on: Option<String>,
    pub statutory_due_on: Option<String>,
    pub provisional: bool,
}

impl CaseColumns {
    /// The stored columns a writer derives from the case.
    pub fn derived(c: &CaseRecord, query_digest: Option<&str>) -> Self {
        Self {
            query_digest: query_digest.map(String::from),
            due_on: c.clocks.due_on().map(fmt_date),
            statutory_due_on: c.clocks.statutory_due_on().map(fmt_date),
            provisional: c.clocks.provisional(),
        }
    }
}

/// The sealed fields of a case, given as the raw values of its row (`data` and `clocks` as JSON).
pub(crate) fn case_fields_raw(c: &CaseRaw, cols: &CaseColumns, parts: &CaseParts) -> Vec<Field> {
    vec![
        Field::new("tenant_id", "租户", c.tenant_id.clone()),
        Field::new("kind", "类型", c.kind.clone()),
        Field::new("receipt_no", "受理编号", c.receipt_no.clone()),
        Field::new("query_digest", "查询码摘要", cols.query_digest.clone()),
        Field::new("title", "标题", c.title.clone()),
        Field::new("category", "类别", c.category.clone()),
        Field::new("urgency", "紧急程度", c.urgency.clone()),
        Field::new("state", "状态", c.state.clone()),
        Field::new("phase", "阶段", c.phase.clone()),
        Field::new("unit_id", "承办单位", c.unit_id.clone()),
        Field::new("unit_path", "单位路径", c.unit_path.clone()),
        Field::new("location", "地点", c.location.clone()),
        Field::with_parts("data", "数据", c.data.clone()),
        Field::with_parts("clocks", "时限", c.clocks.clone()),
        Field::new("due_on", "办理期限", cols.due_on.clone()),
        Field::new("statutory_due_on", "法定期限", cols.statutory_due_on.clone()),
        Field::new("provisional", "临时日期标记", cols.provisional),
        Field::new("opened_at", "登记时间", c.opened_at),
        Field::new("closed_at", "办结时间", c.closed_at),
        Field::new("updated_at", "更新时间", c.updated_at),
        Field::new("effective_at", "生效时间", c.effective_at),
        Field::new("created_by", "登记人", c.created_by.clone()),
        Field::new("version", "版本", c.version),
        Field::new("search_text", "检索文本", c.search_text.clone()),
        Field::with_parts("parties", "当事人索引", Json::Array(parts.parties.clone())),
        Field::with_parts("attachments", "附件", Json::Array(parts.attachments.clone())),
        Field::with_parts("links", "关联", Json::Array(parts.links.clone())),
        Field::with_parts("versions", "历史版本", Json::Array(parts.versions.clone())),
    ]
}

/// A case row as stored, in raw values (so a row too damaged to be a [`CaseRecord`] can still be
/// compared).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct CaseRaw {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub receipt_no: String,
    pub title: String,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub state: String,
    pub phase: String,
    pub unit_id: String,
    pub unit_path: String,
    pub location: Option<String>,
    #[sqlx(json)]
    pub data: Json,
    #[sqlx(json)]
    pub clocks: Json,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
    pub effective_at: i64,
    pub created_by: Option<String>,
    pub version: i64,
    pub search_text: String,
}

impl CaseRaw {
    pub fn of(c: &CaseRecord) -> Self {
        Self {
            id: c.id.to_string(),
            tenant_id: c.tenant_id.to_string(),
            kind: c.kind.clone(),
            receipt_no: c.receipt_no.clone(),
            title: c.title.clone(),
            category: c.category.clone(),
            urgency: c.urgency.clone(),
            state: c.state.clone(),
            phase: c.phase.code().to_string(),
            unit_id: c.unit_id.to_string(),
            unit_path: c.unit_path.as_str().to_string(),
            location: c.location.clone(),
            data: Json::Object(c.data.clone()),
            clocks: serde_json::to_value(&c.clocks).unwrap_or(Json::Null),
            opened_at: c.opened_at,
            closed_at: c.closed_at,
            updated_at: c.updated_at,
            effective_at: c.effective_at,
            created_by: c.created_by.map(|u| u.to_string()),
            version: c.version,
            search_text: c.search_text.clone(),
        }
    }
}

/// The digest a writer seals for a case as it leaves it.
pub(crate) fn case_digest(c: &CaseRecord, query_digest: Option<&str>, parts: &CaseParts) -> String {
    fazhi_domain::record::digest(
        CASE_SCHEME,
        &case_fields_raw(&CaseRaw::of(c), &CaseColumns::derived(c, query_digest), parts),
    )
}

/// The columns read for a case's seal: the case's own plus the stored derived ones.
pub(crate) const CASE_RAW_COLS: &str = "c.id, c.tenant_id, c.kind, c.receipt_no, c.title, c.category, c.urgency, c.state, \
     c.phase, c.unit_id, c.unit_path, c.location, c.data, c.clocks, c.opened_at, c.closed_at, c.updated_at, \
     c.effective_at, c.created_by, c.version, c.search_text, c.query_digest, c.due_on, c.statutory_due_on, c.provisional";

/// A case row with its stored derived columns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CaseSealRow {
    #[sqlx(flatten)]
    pub raw: CaseRaw,
    pub query_digest: Option<String>,
    pub due_on: Option<time::Date>,
    pub statutory_due_on: Option<time::Date>,
    pub provisional: bool,
}

impl CaseSealRow {
    pub fn columns(&self) -> CaseColumns {
        CaseColumns {
            query_digest: self.query_digest.clone(),
            due_on: self.due_on.map(fmt_date),
            statutory_due_on: self.statutory_due_on.map(fmt_date),
            provisional: self.provisional,
        }
    }
}

// ---- Records that are not cases. Each is read by one query, inside the writer's transaction and
// again at verification, and described by one function.

/// A user with the sealed columns; `roles` sorted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UserSealRow {
    pub id: String,
    pub tenant_id: String,
    pub unit_id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub password_changed_at: i64,
}

pub(crate) const USER_SEAL_COLS: &str = "id, tenant_id, unit_id, username, display_name, password_hash, \
     must_change_password, disabled, locked_until, created_at, password_changed_at";

/// A user's sealed fields. The password is sealed by the digest of its hash (the hash itself is
/// never copied into an event). Failed-login counters and temporary lock-outs are left out: they
/// change at every wrong password and are not decisions anybody made; a lock set by the security
/// administrator (until the end of time) is in.
pub(crate) fn user_fields(u: &UserSealRow, roles: &[String]) -> Vec<Field> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    vec![
        Field::new("tenant_id", "租户", u.tenant_id.clone()),
        Field::new("unit_id", "所属单位", u.unit_id.clone()),
        Field::new("username", "用户名", u.username.clone()),
        Field::new("display_name", "姓名", u.display_name.clone()),
        Field::new("password", "密码", sha256_hex(&u.password_hash)),
        Field::new("must_change_password", "须改密码标记", u.must_change_password),
        Field::new("disabled", "停用标记", u.disabled),
        Field::new("locked", "锁定", u.locked_until == Some(i64::MAX)),
        Field::new("created_at", "创建时间", u.created_at),
        Field::new("password_changed_at", "改密时间", u.password_changed_at),
        Field::with_parts("roles", "角色", Json::Array(roles.into_iter().map(Json::String).collect())),
    ]
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UnitSealRow {
    pub id: String,
    pub tenant_id: String,
    pub parent_id: Option<String>,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub path: String,
    pub created_at: i64,
}

pub(crate) const UNIT_SEAL_COLS: &str = "id, tenant_id, parent_id, kind, code, name, path, created_at";

pub(crate) fn unit_fields(u: &UnitSealRow) -> Vec<Field> {
    vec![
        Field::new("tenant_id", "租户", u.tenant_id.clone()),
        Field::new("parent_id", "上级单位", u.parent_id.clone()),
        Field::new("kind", "单位类型", u.kind.clone()),
        Field::new("code", "单位代码", u.code.clone()),
        Field::new("name", "名称", u.name.clone()),
        Field::new("path", "单位路径", u.path.clone()),
        Field::new("created_at", "创建时间", u.created_at),
    ]
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TenantSealRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub created_at: i64,
}

pub(crate) const TENANT_SEAL_COLS: &str = "id, code, name, kind, parent_id, created_at";

pub(crate) fn tenant_fields(t: &TenantSealRow) -> Vec<Field> {
    vec![
        Field::new("code", "代码", t.code.clone()),
        Field::new("name", "名称", t.name.clone()),
        Field::new("kind", "类型", t.kind.clone()),
        Field::new("parent_id", "上级", t.parent_id.clone()),
        Field::new("created_at", "创建时间", t.created_at),
    ]
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct DraftSealRow {
    pub year: i64,
    pub version: i64,
    pub content: String,
    pub saved_by: Option<String>,
    pub saved_by_name: String,
    pub saved_at: i64,
}

pub(crate) const DRAFT_SEAL_COLS: &str = "year, version, content, saved_by, saved_by_name, saved_at";

/// A report draft version: its text by digest.
pub(crate) fn draft_fields(d: &DraftSealRow) -> Vec<Field> {
    vec![
        Field::new("year", "年度", d.year),
        Field::new("version", "版本", d.version),
        Field::new("content", "正文", sha256_hex(&d.content)),
        Field::new("saved_by", "保存人", d.saved_by.clone()),
        Field::new("saved_by_name", "保存人姓名", d.saved_by_name.clone()),
        Field::new("saved_at", "保存时间", d.saved_at),
    ]
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CalendarSealRow {
    pub year: i64,
    pub data: String,
    pub imported_at: i64,
    pub imported_by: String,
}

pub(crate) const CALENDAR_SEAL_COLS: &str = "year, data, imported_at, imported_by";

/// An imported calendar year: the file by digest.
pub(crate) fn calendar_fields(c: &CalendarSealRow) -> Vec<Field> {
    vec![
        Field::new("year", "年度", c.year),
        Field::new("data", "日历文件", sha256_hex(&c.data)),
        Field::new("imported_at", "导入时间", c.imported_at),
        Field::new("imported_by", "导入人", c.imported_by.clone()),
    ]
}

/// Now, in Unix ms, for the events fazhi writes itself to seal a record (the store has no clock of
/// its own; the event's time says when the seal was made, nothing is computed from it).
pub(crate) fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Seals user `$id` (a string) as it now is, inside `$tx`.
macro_rules! seal_user {
    ($tx:expr, $pg:expr, $key:expr, $id:expr) => {{
        let id: String = $id;
        let row: $crate::records::UserSealRow = sqlx::query_as(crate::sql::safe(&format!(
            "SELECT {} FROM users WHERE id = $1",
            $crate::records::USER_SEAL_COLS
        )))
        .bind(&id)
        .fetch_one(&mut *$tx)
        .await?;
        let roles: Vec<(String,)> =
            sqlx::query_as("SELECT role FROM user_roles WHERE user_id = $1").bind(&id).fetch_all(&mut *$tx).await?;
        let roles: Vec<String> = roles.into_iter().map(|(r,)| r).collect();
        let tenant = fazhi_domain::ids::TenantId::parse(&row.tenant_id)
            .map_err(|e| $crate::StoreError::Corrupt(format!("user tenant: {e}")))?;
        let digest = fazhi_domain::record::digest("user1", &$crate::records::user_fields(&row, &roles));
        $crate::events::seal_record!(
            $tx,
            $pg,
            $key,
            tenant,
            $crate::records::subject::user(&id),
            digest,
            $crate::records::now_ms()
        );
    }};
}

/// Seals unit `$id` (a string) as it now is, inside `$tx`.
macro_rules! seal_unit {
    ($tx:expr, $pg:expr, $key:expr, $id:expr) => {{
        let id: String = $id;
        let row: $crate::records::UnitSealRow = sqlx::query_as(crate::sql::safe(&format!(
            "SELECT {} FROM units WHERE id = $1",
            $crate::records::UNIT_SEAL_COLS
        )))
        .bind(&id)
        .fetch_one(&mut *$tx)
        .await?;
        let tenant = fazhi_domain::ids::TenantId::parse(&row.tenant_id)
            .map_err(|e| $crate::StoreError::Corrupt(format!("unit tenant: {e}")))?;
        let digest = fazhi_domain::record::digest("unit1", &$crate::records::unit_fields(&row));
        $crate::events::seal_record!(
            $tx,
            $pg,
            $key,
            tenant,
            $crate::records::subject::unit(&id),
            digest,
            $crate::records::now_ms()
        );
    }};
}

/// Seals calendar year `$year` into tenant `$tenant`'s chain, inside `$tx` (the calendar is shared;
/// every town's chain records the calendar its dates were counted with).
macro_rules! seal_calendar {
    ($tx:expr, $pg:expr, $key:expr, $tenant:expr, $year:expr) => {{
        let year: i64 = $year;
        let row: $crate::records::CalendarSealRow = sqlx::query_as(crate::sql::safe(&format!(
            "SELECT {} FROM calendar_years WHERE year = $1",
            $crate::records::CALENDAR_SEAL_COLS
        )))
        .bind(year)
        .fetch_one(&mut *$tx)
        .await?;
        let digest = fazhi_domain::record::digest("calendar1", &$crate::records::calendar_fields(&row));
        $crate::events::seal_record!(
            $tx,
            $pg,
            $key,
            $tenant,
            $crate::records::subject::calendar(year),
            digest,
            $crate::records::now_ms()
        );
    }};
}

pub(crate) use {seal_calendar, seal_unit, seal_user};

/// The subject names of records that are not cases (`events.subject`).
pub(crate) mod subject {
    pub fn user(id: &str) -> String {
        format!("user:{id}")
    }
    pub fn unit(id: &str) -> String {
        format!("unit:{id}")
    }
    pub fn tenant(id: &str) -> String {
        format!("tenant:{id}")
    }
    pub fn draft(year: i64, version: i64) -> String {
        format!("report_draft:{year}:{version}")
    }
    pub fn calendar(year: i64) -> String {
        format!("calendar:{year}")
    }
}

/// How a record is named in a report: "用户 zhangsan", "单位 龙潭村".
pub(crate) fn subject_label(subject: &str) -> String {
    let (kind, rest) = subject.split_once(':').unwrap_or((subject, ""));
    let what = match kind {
        "user" => "用户",
        "unit" => "单位",
        "tenant" => "租户",
        "report_draft" => "年度报告草稿",
        "calendar" => "节假日安排",
        _ => "记录",
    };
    format!("{what} {rest}")
}
