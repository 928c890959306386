//! Building the SQL of case queries: the reader's scope, the list filters and the metric
//! conditions, as text with `$n` placeholders plus the arguments to bind (one text for both
//! backends).

use fazhi_domain::metric::{CaseSet, Cond, Period};
use fazhi_domain::time_util::{day_start_ms, fmt_date};
use fazhi_domain::workflow::shared;
use time::Date;

use crate::model::{CaseFilter, Extent, IdentifierTerm, Reader, Scope, SortField};

/// An argument to bind.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Date(Date),
}

/// SQL text and its arguments, numbered as they are added.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), args: Vec::new() }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Adds an argument and returns its placeholder.
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub fn text_arg(&mut self, s: impl Into<String>) -> String {
        self.arg(Arg::Text(s.into()))
    }
}

/// Binds every argument of an [`Sql`] to a query, in order.
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::sql::Arg::Text(s) => q.bind(s.clone()),
                $crate::sql::Arg::Int(i) => q.bind(*i),
                $crate::sql::Arg::Date(d) => q.bind(*d),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// The day after `d`, as the exclusive end of a period in ms.
fn end_ms(d: Date) -> i64 {
    day_start_ms(d.next_day().unwrap_or(d))
}

/// `AND <scope>` for the alias `c`: the extent, then — for a reader — `AND NOT withheld`.
pub(crate) fn scope(sql: &mut Sql, scope: &Scope, pg: bool) {
    extent(sql, &scope.extent);
    if let Some(r) = &scope.reader {
        not_withheld(sql, r, pg);
    }
}

fn extent(sql: &mut Sql, extent: &Extent) {
    match extent {
        Extent::Nothing => {
            sql.push(" AND 1 = 0");
        }
        Extent::Everything => {}
        Extent::Tenant(t) => {
            let p = sql.text_arg(t.to_string());
            sql.push(&format!(" AND c.tenant_id = {p}"));
        }
        Extent::Tenants(ts) => {
            if ts.is_empty() {
                sql.push(" AND 1 = 0");
                return;
            }
            let ps: Vec<String> = ts.iter().map(|t| sql.text_arg(t.to_string())).collect();
            sql.push(&format!(" AND c.tenant_id IN ({})", ps.join(", ")));
        }
        Extent::Subtree { tenant, path } => {
            let t = sql.text_arg(tenant.to_string());
            let (lo, hi) = path.subtree_range();
            let lo = sql.text_arg(lo);
            let hi = sql.text_arg(hi);
            sql.push(&format!(" AND c.tenant_id = {t} AND c.unit_path >= {lo} AND c.unit_path < {hi}"));
        }
    }
}

/// `SELECT case_id …`: the ids of the cases withheld from `r` (《信访工作条例》第三十条) — those
/// whose accused unit is the reader's unit or above it (its path is in the reader's lineage:
/// equality, so the index on `(tenant_id, unit_path)` answers it), and those naming the reader
/// as accused. A handful of rows whatever the size of the town.
pub(crate) fn withheld_ids(sql: &mut Sql, r: &Reader) -> String {
    let t = sql.text_arg(r.tenant.to_string());
    let paths: Vec<String> = r.unit_path.lineage().iter().map(|p| sql.text_arg(p.as_str())).collect();
    let u = sql.text_arg(r.user.to_string());
    format!(
        "SELECT case_id FROM case_withheld_units WHERE tenant_id = {t} AND unit_path IN ({}) \
         UNION ALL SELECT case_id FROM case_withheld_users WHERE user_id = {u}",
        paths.join(", ")
    )
}

/// ` AND NOT withheld from r`, uncorrelated so that both backends compute the few withheld ids
/// once per query and test each row against them. SQLite compares rowids, which every list index
/// carries, so counts read from an index alone stay so; PostgreSQL compares ids.
fn not_withheld(sql: &mut Sql, r: &Reader, pg: bool) {
    let ids = withheld_ids(sql, r);
    if pg {
        sql.push(&format!(" AND c.id NOT IN ({ids})"));
    } else {
        sql.push(&format!(" AND c.rowid NOT IN (SELECT w.rowid FROM cases w WHERE w.id IN ({ids}))"));
    }
}

/// [`scope`] for alias `c` of `case_versions`, whose case is `case_id`: the same extent, and the
/// same cases withheld from the reader (《信访工作条例》第三十条).
pub(crate) fn scope_of_versions(sql: &mut Sql, scope: &Scope) {
    extent(sql, &scope.extent);
    if let Some(r) = &scope.reader {
        let ids = withheld_ids(sql, r);
        sql.push(&format!(" AND c.case_id NOT IN ({ids})"));
    }
}

/// [`scope`] for several towns, written so that SQLite does not use it to pick an index (`+x` is
/// the same value, but not a column). SQLite only: PostgreSQL has no unary plus on text.
pub(crate) fn scope_unindexed(sql: &mut Sql, scope: &Scope) {
    if let Extent::Tenants(ts) = &scope.extent
        && !ts.is_empty()
    {
        let ps: Vec<String> = ts.iter().map(|t| sql.text_arg(t.to_string())).collect();
        sql.push(&format!(" AND +c.tenant_id IN ({})", ps.join(", ")));
        if let Some(r) = &scope.reader {
            not_withheld(sql, r, false);
        }
    } else {
        self::scope(sql, scope, false);
    }
}

/// Keys of data fields are code constants; refuse anything else rather than quote it.
fn key(k: &str) -> &str {
    if k.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()) { k } else { "invalid_key" }
}

/// `AND <cond>` for one metric condition over a period.
pub(crate) fn cond(sql: &mut Sql, cond: &Cond, period: &Period) {
    match cond {
        Cond::OpenedIn => {
            let from = sql.arg(Arg::Int(day_start_ms(period.from)));
            let to = sql.arg(Arg::Int(end_ms(period.to)));
            sql.push(&format!(" AND c.opened_at >= {from} AND c.opened_at < {to}"));
        }
        Cond::ClosedByEnd => {
            let to = sql.arg(Arg::Int(end_ms(period.to)));
            sql.push(&format!(" AND c.closed_at IS NOT NULL AND c.closed_at < {to}"));
        }
        Cond::DataEq { key: k, value } => {
            let v = sql.text_arg(value.clone());
            sql.push(&format!(" AND c.data->>'{}' = {v}", key(k)));
        }
        Cond::DataIn { key: k, values } => {
            if values.is_empty() {
                sql.push(" AND 1 = 0");
                return;
            }
            let ps: Vec<String> = values.iter().map(|v| sql.text_arg(v.clone())).collect();
            sql.push(&format!(" AND c.data->>'{}' IN ({})", key(k), ps.join(", ")));
        }
        Cond::DataAtLeast { key: k, min } => {
            let m = sql.arg(Arg::Int(*min));
            sql.push(&format!(" AND CAST(c.data->>'{}' AS BIGINT) >= {m}", key(k)));
        }
        Cond::DataNot { key: k, value } => {
            let v = sql.text_arg(value.clone());
            sql.push(&format!(" AND COALESCE(c.data->>'{}', '') <> {v}", key(k)));
        }
        Cond::DateIn { key: k } => {
            // Dates are kept as YYYY-MM-DD text, which orders as the dates do.
            let from = sql.text_arg(fmt_date(period.from));
            let to = sql.text_arg(fmt_date(period.to));
            sql.push(&format!(" AND c.data->>'{0}' >= {from} AND c.data->>'{0}' <= {to}", key(k)));
        }
    }
}

/// The instant a period ends (exclusive), in ms: figures are taken as at then.
pub(crate) fn period_end_ms(period: &Period) -> i64 {
    end_ms(period.to)
}

/// Which rows of a case table are the versions in effect at `end_ms`: ` AND …` for alias `c` of
/// `cases` (the current version, when it took effect before the end) or of `case_versions` (a
/// superseded version that was in effect at the end).
pub(crate) fn in_effect_at(sql: &mut Sql, versions: bool, end_ms: i64) {
    let end = sql.arg(Arg::Int(end_ms));
    if versions {
        sql.push(&format!(" AND c.effective_at < {end} AND c.superseded_at >= {end}"));
    } else {
        sql.push(&format!(" AND c.effective_at < {end}"));
    }
}

/// `AND kind = … AND <conds>` for a case set.
pub(crate) fn case_set(sql: &mut Sql, set: &CaseSet, period: &Period) {
    let k = sql.text_arg(set.kind);
    sql.push(&format!(" AND c.kind = {k}"));
    for c in &set.conds {
        cond(sql, c, period);
    }
}

/// `AND …` for the free text of a list: every word (split on spaces) must match, so "道路 积水"
/// finds the cases holding both. A word with a character outside ASCII is a substring of the
/// searched text (which an index covers, see migration 0005). A word of ASCII only (a receipt
/// number, a 12345 number, a phone number) matches exactly or as a prefix: the receipt number (or
/// its serial, exactly), a word of the searched text if it is a number (as a substring, "2024"
/// would match every receipt number of the year) or anywhere in it if it has letters, and —
/// given in full — an identifier through its digest (`identifiers`).
fn text(sql: &mut Sql, text: &str, identifiers: &[IdentifierTerm]) {
    for word in text.split_whitespace() {
        if !word.is_ascii() {
            let p = sql.text_arg(prefix_pattern(word, "%"));
            sql.push(&format!(" AND c.search_text LIKE {p} ESCAPE '\\'"));
            continue;
        }
        let mut any = Vec::new();
        // Receipt numbers are stored in capitals; a prefix of one is typed in either case, and
        // so is its serial alone ("000123" of AT-GD-2024-000123), exactly.
        let upper = word.to_uppercase();
        let r = sql.text_arg(prefix_pattern(&upper, ""));
        any.push(format!("c.receipt_no LIKE {r} ESCAPE '\\'"));
        let mut serial = prefix_pattern(&upper, "%-");
        serial.pop();
        let r = sql.text_arg(serial);
        any.push(format!("c.receipt_no LIKE {r} ESCAPE '\\'"));
        if word.chars().all(|c| c.is_ascii_digit() || c == '-') {
            // A number: a word of the searched text (its words are joined by spaces) that it
            // begins — a 12345 number by its prefix; "2024" is no one's number.
            let w = sql.text_arg(prefix_pattern(word, "% "));
            any.push(format!("(' ' || c.search_text) LIKE {w} ESCAPE '\\'"));
        } else {
            // Latin letters ("WiFi" in 小区WiFi故障) are found anywhere in the text.
            let w = sql.text_arg(prefix_pattern(word, "%"));
            any.push(format!("c.search_text LIKE {w} ESCAPE '\\'"));
        }
        for id in identifiers.iter().filter(|i| i.word == word) {
            let k = sql.text_arg(id.kind.clone());
            let d = sql.text_arg(id.digest.clone());
            any.push(format!(
                "c.id IN (SELECT pi.case_id FROM party_index pi WHERE pi.kind = {k} AND pi.digest = {d})"
            ));
        }
        sql.push(&format!(" AND ({})", any.join(" OR ")));
    }
}

/// `lead` + `text` with LIKE wildcards escaped + `%`.
fn prefix_pattern(text: &str, lead: &str) -> String {
    let mut s = String::from(lead);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('%');
    s
}

/// `AND …` for every field of a list filter.
pub(crate) fn filter(sql: &mut Sql, f: &CaseFilter) {
    if let Some(t) = &f.tenant {
        let p = sql.text_arg(t.to_string());
        sql.push(&format!(" AND c.tenant_id = {p}"));
    }
    if let Some(k) = &f.kind {
        let p = sql.text_arg(k.clone());
        sql.push(&format!(" AND c.kind = {p}"));
    }
    if !f.states.is_empty() {
        let ps: Vec<String> = f.states.iter().map(|s| sql.text_arg(s.clone())).collect();
        sql.push(&format!(" AND c.state IN ({})", ps.join(", ")));
    }
    if let Some(ph) = f.phase {
        let p = sql.text_arg(ph.code());
        sql.push(&format!(" AND c.phase = {p}"));
    }
    if let Some(path) = &f.unit {
        let (lo, hi) = path.subtree_range();
        let lo = sql.text_arg(lo);
        let hi = sql.text_arg(hi);
        sql.push(&format!(" AND c.unit_path >= {lo} AND c.unit_path < {hi}"));
    }
    if let Some(c) = &f.category {
        let p = sql.text_arg(c.clone());
        sql.push(&format!(" AND c.category = {p}"));
    }
    if let Some(u) = &f.urgency {
        let p = sql.text_arg(u.clone());
        sql.push(&format!(" AND c.urgency = {p}"));
    }
    if let Some(d) = f.overdue_on {
        let p = sql.arg(Arg::Date(d));
        sql.push(&format!(" AND c.due_on < {p}"));
    }
    if let Some(d) = f.due_from {
        let p = sql.arg(Arg::Date(d));
        sql.push(&format!(" AND c.due_on >= {p}"));
    }
    if let Some(d) = f.due_by {
        let p = sql.arg(Arg::Date(d));
        sql.push(&format!(" AND c.due_on <= {p}"));
    }
    if let Some(d) = f.opened_from {
        let p = sql.arg(Arg::Int(day_start_ms(d)));
        sql.push(&format!(" AND c.opened_at >= {p}"));
    }
    if let Some(d) = f.opened_to {
        let p = sql.arg(Arg::Int(end_ms(d)));
        sql.push(&format!(" AND c.opened_at < {p}"));
    }
    if let Some(t) = f.text.as_deref() {
        text(sql, t, &f.identifiers);
    }
    if let Some((set, period)) = &f.metric {
        traced(sql, set, period);
    }
    if f.reminded {
        // The count the 催办 action keeps (`workflow::shared::REMINDERS`).
        let m = sql.arg(Arg::Int(1));
        sql.push(&format!(" AND CAST(c.data->>'{}' AS BIGINT) >= {m}", key(shared::REMINDERS)));
    }
    if !f.ids.is_empty() {
        let ps: Vec<String> = f.ids.iter().map(|id| sql.text_arg(id.to_string())).collect();
        sql.push(&format!(" AND c.id IN ({})", ps.join(", ")));
    }
}

/// ` AND …` keeping the cases a metric counted: those whose version in effect at the period's end
/// met the set's conditions (the current row, or a superseded version). The same cases the figure
/// counted, whatever happened to them since.
fn traced(sql: &mut Sql, set: &CaseSet, period: &Period) {
    let end = period_end_ms(period);
    let mut current = Sql { text: String::new(), args: std::mem::take(&mut sql.args) };
    current.push("1 = 1");
    in_effect_at(&mut current, false, end);
    case_set(&mut current, set, period);
    let mut past = Sql { text: String::new(), args: std::mem::take(&mut current.args) };
    past.push("SELECT c.case_id FROM case_versions c WHERE 1 = 1");
    in_effect_at(&mut past, true, end);
    case_set(&mut past, set, period);
    sql.args = past.args;
    sql.push(&format!(" AND (({}) OR c.id IN ({}))", current.text, past.text));
}

/// How a list answers its free-text filter (chosen by the store, see `Store::text_plan`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextPlan {
    /// No free text.
    NoText,
    /// Check each case's text only (the substring match in [`filter`]).
    Scan,
    /// Narrow through the term index first: the FTS5 query on SQLite, the space-separated terms
    /// on PostgreSQL.
    Index(String),
}

/// ` AND …` narrowing a text search through the term index; the substring match of [`filter`]
/// still decides.
pub(crate) fn text_index(sql: &mut Sql, plan: &TextPlan, pg: bool, scope: &Scope) {
    if let TextPlan::Index(q) = plan {
        let p = sql.text_arg(q.clone());
        if pg {
            // The stored vector of migration 0006 (its comment says why not the expression).
            // Within a department's or village's subtree (a few thousand cases) each case is
            // checked as it is read: the planner otherwise intersects the subtree with the
            // word's whole posting list, 40 ms for a common word at a million cases, because it
            // prices a large GIN bitmap as cheap. `ts_match_vq` is the operator's own function,
            // which no index answers. A town or a district uses the index.
            let narrow = matches!(&scope.extent, Extent::Subtree { path, .. } if path.depth() > 1);
            if narrow {
                sql.push(&format!(" AND ts_match_vq(c.search_vector, plainto_tsquery('simple', {p}))"));
            } else {
                sql.push(&format!(" AND c.search_vector @@ plainto_tsquery('simple', {p})"));
            }
        } else {
            // Cases past the index's watermark are not in it yet (migration 0005): they are
            // checked directly, by the substring match. One `rowid IN` (not an OR of two
            // conditions) so that, with `cases_from`'s NOT INDEXED, the query is led by the few
            // rows the index names.
            sql.push(&format!(
                " AND c.rowid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH {p} \
                 UNION ALL SELECT rowid FROM cases WHERE rowid > (SELECT upto FROM search_indexed WHERE id = 1))"
            ));
        }
    }
}

/// The `FROM` of a case query under `plan`. On SQLite a text search answered by the index is
/// led by the rows the index names (at most `NARROW_PROBE`, plus any not yet indexed): the
/// planner, which cannot know how few they are, otherwise walked a district's towns through the
/// town index and checked every case (2.4 s for a rare name at a million cases). `NOT INDEXED`
/// forbids the other indexes and leaves rowid look-ups, the documented way to say so.
pub(crate) fn cases_from(plan: &TextPlan, pg: bool) -> &'static str {
    if !pg && matches!(plan, TextPlan::Index(_)) { "cases c NOT INDEXED" } else { "cases c" }
}

/// ` ORDER BY …` with a unique tie-breaker (`key`: `c.rowid` on SQLite, `c.id` on PostgreSQL) so
/// pages never overlap.
pub(crate) fn order(sql: &mut Sql, f: &CaseFilter, key: &str) {
    let dir = if f.descending { "DESC" } else { "ASC" };
    let by = match f.sort {
        // A due-date filter already leaves out cases without a running clock; ordering by the bare
        // column lets an index deliver the rows in order.
        SortField::DueOn if f.overdue_on.is_some() || f.due_from.is_some() || f.due_by.is_some() => {
            format!("c.due_on {dir}")
        }
        // Cases without a running clock sort last either way.
        SortField::DueOn => format!("(c.due_on IS NULL) ASC, c.due_on {dir}"),
        SortField::OpenedAt => format!("c.opened_at {dir}"),
        SortField::UpdatedAt => format!("c.updated_at {dir}"),
        SortField::ReceiptNo => format!("c.receipt_no {dir}"),
    };
    sql.push(&format!(" ORDER BY {by}, {key} {dir}"));
}

/// Marks SQL text assembled by this crate as safe to run: it is made only of constants, column
/// names from code and `$n` placeholders; every value a user supplies is bound, never spliced.
pub(crate) fn safe(text: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_user_text_are_escaped() {
        assert_eq!(prefix_pattern("100%_x", "%"), "%100\\%\\_x%");
        assert_eq!(prefix_pattern("纠纷", "%"), "%纠纷%");
    }

    #[test]
    fn unexpected_data_keys_are_never_spliced_into_sql() {
        assert_eq!(key("on_time"), "on_time");
        assert_eq!(key("x' OR 1=1 --"), "invalid_key");
    }
}
