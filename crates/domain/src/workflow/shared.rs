//! Pieces several kinds' tables share, none of them about a kind by name: choice lists, keeping
//! values, stopping every running clock, refusing to extend a period that has run out, notices
//! (flags a reader must see), the internal 合并重复件 action, the confidentiality marker that
//! keeps a complainant's identity from the unit complained about, the 受理回执, the rating after
//! archiving, and the desk's levers over a dispatched case — 催办, 撤回, 改派 — none of which
//! touches a clock.

use serde_json::{Map, Value as Json, json};

use super::kind::{PaperBlock, Printable};
use super::{ActCtx, ActionDef, Effect, FieldDef, FieldKind, Refusal, Target, Values};
use crate::case::CaseRecord;
use crate::ids::{UnitId, UserId};
use crate::role::Role;
use crate::settings::Settings;
use crate::time_util::fmt_date;
use crate::unit::{UnitLookup, UnitPath};

/// `[(code, label)]` as the owned pairs a choice field takes.
pub fn choices(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(c, l)| ((*c).to_string(), (*l).to_string())).collect()
}

/// Copies the named values into the case's data.
pub fn keep(case: &mut CaseRecord, values: &Values, keys: &[&str]) {
    for k in keys {
        if let Some(v) = values.get(k) {
            case.data.insert((*k).to_string(), v.to_json());
        }
    }
}

/// Stops every running clock on the action's date (a case closed by referral, merger or performance).
pub fn stop_running_clocks(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let on = ctx.on();
    for c in case.clocks.0.iter_mut().filter(|c| c.is_running()) {
        c.stop(on);
    }
    Ok(())
}

/// Refuses to ask for more time on a period that has already run out: an extension extends a
/// period that is still running, so a request made (on the action's date) after the clock's due
/// date is refused and the case stays overdue. `rule` cites where the extension comes from.
///
/// # Errors
/// The refusal, naming the day the period ran out and the rule.
pub fn period_still_running(case: &CaseRecord, code: &str, ctx: &ActCtx<'_>, rule: &str) -> Result<(), Refusal> {
    let Some(clock) = case.clocks.get(code) else { return Ok(()) };
    if clock.is_running() && ctx.on() > clock.computed.due {
        return Err(Refusal::new(format!(
            "“{}”已于 {} 届满，期限届满后不能再申请延期，只能延长尚未届满的期限（{rule}）；本件按超期办理记录",
            clock.label,
            fmt_date(clock.computed.due)
        )));
    }
    Ok(())
}

/// The data key of a case's notices: `{<fact key>: <Chinese text>}` — what every reader of the
/// case must be told (a request made after its statutory window, a rule broken at the desk).
pub const NOTICES: &str = "notices";

/// Sets the fact `key` = "yes" (what figures count) and keeps `text` among the case's notices
/// (what pages show). A later flag with the same key replaces the text.
pub fn flag(case: &mut CaseRecord, key: &str, text: impl Into<String>) {
    case.data.insert(key.into(), "yes".into());
    let notices = case.data.entry(NOTICES).or_insert_with(|| json!({}));
    if !notices.is_object() {
        *notices = json!({});
    }
    if let Some(m) = notices.as_object_mut() {
        m.insert(key.into(), Json::String(text.into()));
    }
}

/// The case's notices (in the order of their keys).
pub fn notices(data: &Map<String, Json>) -> Vec<String> {
    data.get(NOTICES)
        .and_then(Json::as_object)
        .map(|m| m.values().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// The data key metrics use to leave a case out of every count ("no" once it was merged into
/// another: the same matter is counted once).
pub const COUNTED: &str = "counted";
/// The internal action that closes a duplicate into its original.
pub const MERGE: &str = "merge";
/// The state a merged duplicate ends in.
pub const MERGED: &str = "merged";

fn close_as_duplicate(case: &mut CaseRecord, values: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    case.data.insert(COUNTED.into(), "no".into());
    stop_running_clocks(case, values, ctx)
}

/// 合并重复件: closes a duplicate into the original named in its fields. Internal: the service's
/// merge use case takes it and writes the original's event in the same transaction.
pub fn merge_action(from: &[&'static str], roles: &[Role], settings: &Settings) -> ActionDef {
    ActionDef::new(MERGE, "合并重复件", from, Target::State { state: MERGED })
        .roles(roles)
        .internal()
        .tagged(super::ActionTag::Merge)
        .fields(vec![
            FieldDef::new("original_case", "原案件", FieldKind::Text { max: 64 }).required(),
            FieldDef::new("original_receipt", "原案件受理编号", FieldKind::Text { max: 40 }).required(),
            FieldDef::new("merge_reason", "合并理由", FieldKind::LongText { max: settings.limits.long_text })
                .required(),
        ])
        .effects(vec![Effect::Record, Effect::Custom { apply: close_as_duplicate }])
        .confirm("合并后本件将作为重复件办结，并入原案件办理，确认合并？")
}

/// The data key of the confidentiality marker: `{"unit": <unit id>, "keys": [<data keys>]}`.
pub const CONFIDENTIAL: &str = "confidential";

/// What replaces a withheld value.
pub const WITHHELD: &str = "（依《信访工作条例》第三十条不向被检举控告单位公开）";

/// Marks the case as withheld from `unit`'s subtree (the store then leaves it out of their every
/// read), the data keys listed being the accuser's identity and material that the service also
/// withholds, as a second line, from any such reader it is handed to. 《信访工作条例》第三十条:
/// the accuser's material is never given to the accused person or unit.
pub fn mark_confidential(case: &mut CaseRecord, unit: UnitId, keys: &[&str]) {
    case.data.insert(CONFIDENTIAL.into(), json!({"unit": unit.to_string(), "keys": keys}));
}

/// The data key listing the staff users named as accused (ids), beside the free-text
/// `accused_persons` for those who are not users.
pub const ACCUSED_USERS: &str = "accused_users";

/// The action that names more accused staff once the matter is known (第三十条).
pub const NAME_ACCUSED: &str = "name_accused";

/// Adds staff users to those a marked case is withheld from, and to its list of accused users.
/// Names are only ever added: a case once withheld from someone stays so.
pub fn name_accused(case: &mut CaseRecord, users: &[UserId]) {
    let mut all: Vec<String> = case
        .data
        .get(ACCUSED_USERS)
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    for u in users {
        let u = u.to_string();
        if !all.contains(&u) {
            all.push(u);
        }
    }
    let list = Json::Array(all.into_iter().map(Json::String).collect());
    if let Some(Json::Object(m)) = case.data.get_mut(CONFIDENTIAL) {
        m.insert("users".into(), list.clone());
    }
    case.data.insert(ACCUSED_USERS.into(), list);
}

/// Whom a case is withheld from, as its marker says: the accused unit (its whole subtree) and
/// the accused staff users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// `None` when the marker names no readable unit: the store then withholds the case from the
    /// whole town (failing closed).
    pub unit: Option<UnitId>,
    pub users: Vec<UserId>,
}

/// The parties a marked case is withheld from (the store keeps them beside the case and every
/// case query leaves the case out for them). `None` for a case without the marker.
pub fn withheld_parties(data: &Map<String, Json>) -> Option<Withheld> {
    let m = data.get(CONFIDENTIAL)?;
    let unit = m.get("unit").and_then(Json::as_str).and_then(|u| UnitId::parse(u).ok());
    let users = m
        .get("users")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().and_then(|u| UserId::parse(u).ok())).collect())
        .unwrap_or_default();
    Some(Withheld { unit, users })
}

fn only_marked(case: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if case.data.contains_key(CONFIDENTIAL) {
        Ok(())
    } else {
        Err(Refusal::new("只有检举控告事项可以补充被检举控告的工作人员（《信访工作条例》第三十条）"))
    }
}

fn add_accused(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    name_accused(case, values.users(ACCUSED_USERS));
    Ok(())
}

/// The field naming accused staff users (第三十条: the case is not shown to them).
pub fn accused_users_field() -> FieldDef {
    FieldDef::new(ACCUSED_USERS, "被检举控告的工作人员", FieldKind::Users { max: 20 })
        .help("选择本镇（街道）或区里的工作人员：被选中的人看不到本件，也搜索不到（第三十条）")
}

/// 补充被检举控告人: names more accused staff once the matter is known; from then on the case
/// does not exist for them (第三十条). Taken by the desk or the district.
pub fn name_accused_action(from: &[&'static str], roles: &[Role], settings: &Settings) -> ActionDef {
    ActionDef::new(NAME_ACCUSED, "补充被检举控告人", from, Target::Stay)
        .roles(roles)
        .fields(vec![
            accused_users_field().required(),
            FieldDef::new("note", "说明", FieldKind::LongText { max: settings.limits.long_text }),
        ])
        .guard(only_marked)
        .effects(vec![Effect::Custom { apply: add_accused }])
        .confirm("被选中的工作人员将看不到本件，且不能撤销，确认？")
}

/// The unit a case's marked keys are withheld from, and the keys.
pub fn confidential(data: &Map<String, Json>) -> Option<(UnitId, Vec<String>)> {
    let m = data.get(CONFIDENTIAL)?;
    let unit = UnitId::parse(m.get("unit")?.as_str()?).ok()?;
    let keys = m.get("keys")?.as_array()?.iter().filter_map(|k| k.as_str().map(String::from)).collect();
    Some((unit, keys))
}

/// Whether a reader at `reader` (their unit's path) must not see the marked keys: they work in the
/// unit complained about or below it. Readers without a unit (the public with the receipt's code,
/// i.e. the petitioner) are not withheld from.
pub fn withheld_from(
    data: &Map<String, Json>,
    reader: Option<&UnitPath>,
    units: &dyn UnitLookup,
) -> Option<Vec<String>> {
    let (unit, keys) = confidential(data)?;
    let reader = reader?;
    // An unknown unit withholds from everybody: failing closed.
    let inside = units.unit(&unit).is_none_or(|u| u.path.contains(reader));
    inside.then_some(keys)
}

/// Replaces the listed keys of a data map (a case's data or an event's payload) by [`WITHHELD`].
pub fn withhold(data: &mut Map<String, Json>, keys: &[String]) {
    for k in keys {
        if let Some(v) = data.get_mut(k) {
            *v = Json::String(WITHHELD.into());
        }
    }
}

/// Refuses to assign a marked case to the unit complained about or below it (第三十条: the
/// material is not passed to the accused unit).
///
/// # Errors
/// The refusal, citing the article.
pub fn not_to_the_accused(case: &CaseRecord, target: UnitId, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let Some((accused, _)) = confidential(&case.data) else { return Ok(()) };
    let (Some(a), Some(t)) = (ctx.units.unit(&accused), ctx.units.unit(&target)) else { return Ok(()) };
    if a.path.contains(&t.path) {
        return Err(Refusal::new(format!(
            "检举控告事项不得交由被检举控告的单位（{}）或其下属单位办理（《信访工作条例》第三十条）",
            a.name
        )));
    }
    Ok(())
}

/// The 受理回执 every kind hands over at registration: the receipt number and the query code the
/// resident tracks the case with (信访工作条例第二十一条: the petitioner may look up the handling
/// and evaluate it), what was received and when, who received it and how to reach them, and the
/// tracking page as a QR code. Only the intake clerk prints it (it carries the query code). `facts`
/// are the kind's own rows after the common ones (the party's name, its due date).
pub fn receipt(facts: &[(&'static str, &'static str)]) -> Printable {
    let mut rows = vec![("受理编号", "receipt_no"), ("查询码", "query_code"), ("事项类别", "kind"), ("事项", "title")];
    rows.extend_from_slice(facts);
    rows.push(("受理日期", "opened_on"));
    rows.extend_from_slice(&[("受理机关", "issuer"), ("联系方式", "contact")]);
    Printable {
        code: "receipt",
        title: "受理回执",
        after: None,
        roles: vec![Role::IntakeClerk],
        docx: false,
        blocks: vec![
            PaperBlock::Facts(rows),
            PaperBlock::Text(
                "凭受理编号和查询码，可扫描下方二维码或访问公开查询页面，查看办理进度和答复；办结后可对办理结果进行评价。请妥善保管本回执，查询码请勿告知他人。",
            ),
            PaperBlock::Tracking,
            PaperBlock::Closing,
        ],
    }
}

/// The code of the rating a resident may still give once the case is archived.
pub const RATE_ARCHIVED: &str = "rate_archived";
/// The data key of that rating (the choice's code).
pub const PUBLIC_RATING: &str = "public_rating";

/// 群众评价 after archiving: a resident who did not rate before the case was archived may still do
/// so, once, from the public tracking page. The state does not change and the kind's own
/// satisfaction facts (回访结果, which its figures count) are left as the callback recorded them:
/// the rating is kept as [`PUBLIC_RATING`] and in the timeline. How long after archiving it stays
/// open is the shared setting `public.rating_days_after_archive`, checked by the service (which
/// reads the day of archiving from the timeline); that nobody rated before is checked here and
/// there.
pub fn rate_archived(from: &[&'static str], fields: Vec<FieldDef>) -> ActionDef {
    ActionDef::new(RATE_ARCHIVED, "群众评价（归档后）", from, Target::Stay)
        .public()
        .fields(fields)
        .guard(not_rated_after_archiving)
        .effects(vec![Effect::Custom { apply: record_public_rating }])
}

fn not_rated_after_archiving(case: &CaseRecord, _: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if case.data.contains_key(PUBLIC_RATING) {
        return Err(Refusal::new("该事项已评价过，不能重复评价"));
    }
    Ok(())
}

fn record_public_rating(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if let Some(r) = values.str("result") {
        case.data.insert(PUBLIC_RATING.into(), Json::String(r.to_string()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The clerk's levers over a dispatched case: 催办, 撤回 and 改派. Each kind that sends cases to a
// unit puts them in its table with its own states, roles and units; the rules are written here
// once. None of them starts or restarts a clock: a legal period runs from its legal date
// whoever holds the case (rules.md §0).

/// The data key counting the reminders (催办) sent to the unit the case is with now.
pub const REMINDERS: &str = "reminders";
/// The data key of the date of the latest reminder.
pub const REMINDED_ON: &str = "reminded_on";
/// The action code of 催办.
pub const REMIND: &str = "remind";
/// The action code of 撤回.
pub const WITHDRAW: &str = "withdraw";
/// The action code of 改派.
pub const REASSIGN: &str = "reassign";
/// 改派's field naming the new unit.
pub const NEW_UNIT: &str = "new_unit";
/// 改派's field (and data key) holding its reason.
pub const REASSIGN_REASON: &str = "reassign_reason";

/// How many times the unit now holding the case has been reminded.
pub fn reminders(case: &CaseRecord) -> i64 {
    case.data_i64(REMINDERS).unwrap_or(0)
}

fn count_reminder(case: &mut CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<(), Refusal> {
    let n = reminders(case) + 1;
    case.data.insert(REMINDERS.into(), n.into());
    case.data.insert(REMINDED_ON.into(), fmt_date(ctx.on()).into());
    Ok(())
}

/// A new holder starts with no reminders: those were sent to the unit before it.
fn clear_reminders(case: &mut CaseRecord) {
    case.data.remove(REMINDERS);
    case.data.remove(REMINDED_ON);
}

/// 催办: the dispatcher reminds the unit the case is with. Recorded as an event and counted on the
/// case (the handler's workbench shows 被催办 with the count); the state, the unit and every
/// clock stay as they are.
pub fn remind_action(from: &[&'static str], roles: &[Role], settings: &Settings) -> ActionDef {
    ActionDef::new(REMIND, "催办", from, Target::Stay)
        .roles(roles)
        .tagged(super::ActionTag::Remind)
        .fields(vec![
            FieldDef::new("remind_note", "催办意见", FieldKind::LongText { max: settings.limits.long_text })
                .help("选填，例如请于何日前反馈办理进展；承办单位在案件页和工作台上看到"),
        ])
        .effects(vec![Effect::Custom { apply: count_reminder }])
}

fn withdrawn(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    keep(case, values, &["withdraw_reason"]);
    clear_reminders(case);
    Ok(())
}

/// 撤回: the dispatcher takes back a case sent to a unit that has not signed for it yet; it goes
/// back to the unit whose id is kept under `desk_key` (the intake desk that registered it) and
/// waits there in `to` (待派单). Taken only from the not-yet-signed states `from`: once a unit has
/// signed for the case it is theirs, and only 改派 (with a reason) moves it — the refusal says so.
pub fn withdraw_action(
    from: &[&'static str],
    to: &'static str,
    roles: &[Role],
    desk_key: &'static str,
    settings: &Settings,
) -> ActionDef {
    ActionDef::new(WITHDRAW, "撤回", from, Target::State { state: to })
        .roles(roles)
        .tagged(super::ActionTag::Withdraw)
        .fields(vec![
            FieldDef::new("withdraw_reason", "撤回原因", FieldKind::LongText { max: settings.limits.long_text })
                .help("选填，例如派错单位、需补充材料后重新派单"),
        ])
        .effects(vec![Effect::AssignUnitFromData { key: desk_key }, Effect::Custom { apply: withdrawn }])
        .otherwise("承办单位已签收的不能撤回；如需更换承办单位，请使用“改派”并说明理由")
        .confirm("撤回后本件回到待派单，承办单位将看不到本件，确认撤回？")
}

/// 改派 goes to another unit: the one holding the case cannot be its own new holder.
fn to_another_unit(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    if values.unit(NEW_UNIT) == Some(case.unit_id) {
        return Err(Refusal::new("改派须选择另一个承办单位：所选单位就是现在的承办单位"));
    }
    Ok(())
}

fn reassigned(case: &mut CaseRecord, values: &Values, _: &ActCtx<'_>) -> Result<(), Refusal> {
    keep(case, values, &[REASSIGN_REASON]);
    clear_reminders(case);
    Ok(())
}

/// 改派: the dispatcher sends the case to another unit, with a reason (required). Taken from the
/// states `from` the kind allows (before or after 签收, as its rules say) into `to` — the state
/// where the new unit picks it up. The clocks are not touched: a period counted from its legal
/// date (受理) keeps running from that date, not from the day of re-dispatch. `unit` is the
/// field choosing the new unit; it must be named [`NEW_UNIT`]. `guard` is the kind's own rule
/// on where the case may go (not to the intake desk, not to an accused unit …).
pub fn reassign_action(
    from: &[&'static str],
    to: &'static str,
    roles: &[Role],
    unit: FieldDef,
    guard: Option<super::Guard>,
    settings: &Settings,
) -> ActionDef {
    debug_assert_eq!(unit.name, NEW_UNIT, "改派's unit field is named {NEW_UNIT}");
    let action = ActionDef::new(REASSIGN, "改派", from, Target::State { state: to })
        .roles(roles)
        .tagged(super::ActionTag::Reassign)
        .fields(vec![
            unit.required(),
            FieldDef::new(REASSIGN_REASON, "改派理由", FieldKind::LongText { max: settings.limits.long_text })
                .required()
                .help("说明为何改由该单位办理；办理期限不因改派重新计算"),
        ])
        .effects(vec![
            Effect::Custom { apply: to_another_unit },
            Effect::AssignUnit { field: NEW_UNIT },
            Effect::Custom { apply: reassigned },
        ])
        .confirm("改派后原承办单位将看不到本件，办理期限照原日期计算，确认改派？");
    match guard {
        Some(g) => action.guard(g),
        None => action,
    }
}
