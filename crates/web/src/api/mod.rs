//! The JSON API, version 1.
//!
//! | method | path | what |
//! | --- | --- | --- |
//! | POST | `/auth/login` | username + password → bearer token |
//! | POST | `/auth/logout` | end the session |
//! | POST | `/auth/password` | change one's password |
//! | GET | `/me` | the signed-in user |
//! | GET | `/kinds` | every case kind with its states, actions and fields |
//! | POST | `/cases` | register a case (409 with the possible duplicates unless `confirm_new`) |
//! | GET | `/cases` | list cases (filters, sort, pages) |
//! | GET | `/cases/{id}` | a case with clocks, timeline and the actions open now |
//! | POST | `/cases/{id}/actions/{action}` | act on a case |
//! | POST | `/cases/bulk` | one action on several selected cases, each on its own (成功 N 条，失败 M 条) |
//! | GET | `/metrics` | figures of the catalogue over a period |
//! | GET | `/reports/annual` | a town's annual report (md, html, docx) |
//! | GET | `/reports/compare` | the district comparison of key rates |
//! | POST | `/audit/checkpoints` | a district receives its towns' signed checkpoints |
//! | GET | `/admin/users` | the tenant's accounts (系统管理员, 安全管理员) |
//! | POST | `/admin/users` | create an account without roles; answers its activation link (系统管理员) |
//! | POST | `/admin/users/{id}/password` | reset a password; answers a new activation link (系统管理员) |
//! | POST | `/admin/users/{id}/activation-code` | issue the activation code of an account awaiting activation (安全管理员) |
//! | PUT | `/admin/users/{id}/roles` | set another user's business roles (安全管理员) |
//! | GET | `/audit` | the audit log: who, when, which case, which action (审计管理员) |
//! | GET | `/openapi.json` | this API as OpenAPI 3.1 |

pub mod dto;
pub mod extract;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use fazhi_domain::FieldError;
use fazhi_domain::ids::{CaseId, UnitId};
use fazhi_domain::metric::{Figure, Period};
use fazhi_domain::time_util::{fmt_date, local_date, parse_date};
use fazhi_service::duplicates::Registration;
use fazhi_service::{App, ServiceError, SessionKind};
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue};
use time::Date;
use utoipa::{IntoParams, OpenApi, ToSchema};

use self::dto::*;
use self::extract::{ApiUser, JsonBody, QueryOf};
use crate::error::{ApiError, ErrorBody, FieldErrorBody};
use crate::pages::session::Client;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/password", post(change_password))
        .route("/me", get(me))
        .route("/kinds", get(kinds))
        .route("/cases", post(open_case).get(list_cases))
        .route("/cases/bulk", post(bulk_act))
        .route("/cases/{id}", get(case_detail))
        .route("/cases/{id}/actions/{action}", post(act))
        .route("/cases/{id}/reveal", post(reveal))
        .route("/metrics", get(metrics))
        .route("/reports/annual", get(annual_report))
        .route("/reports/compare", get(compare_report))
        .route("/audit/checkpoints", post(receive_checkpoints))
        .route("/admin/users", get(admin_users).post(admin_create_user))
        .route("/admin/users/{id}/password", post(admin_reset_password))
        .route("/admin/users/{id}/activation-code", post(admin_activation_code))
        .route("/admin/users/{id}/roles", axum::routing::put(admin_set_roles))
        .route("/audit", get(audit_log))
        .route("/openapi.json", get(openapi))
}

type ApiResult<T> = Result<T, ApiError>;

fn case_id(raw: &str) -> ApiResult<CaseId> {
    CaseId::parse(raw).map_err(|_| ServiceError::case_not_found().into())
}

/// Log in with username and password; answers a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = LoginResponse),
        (status = 401, body = ErrorBody, description = "bad_credentials: a wrong password, an unknown username or too many attempts from this address — one answer"),
        (status = 403, body = ErrorBody, description = "account_locked / account_disabled (only after the right password)")))]
async fn login(
    State(app): State<App>,
    Client(client): Client,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let ok = app.login_from(&client, &req.username, &req.password, SessionKind::Api).await?;
    Ok(Json(LoginResponse { token: ok.token, expires_at: instant(ok.expires_at), user: UserDto::from(&app, &ok.user) }))
}

/// End this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses((status = 204)))]
async fn logout(State(app): State<App>, ApiUser(p): ApiUser) -> ApiResult<StatusCode> {
    app.logout(&p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change one's own password (required after a temporary password).
#[utoipa::path(post, path = "/api/v1/auth/password", request_body = PasswordRequest, tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 400, body = ErrorBody)))]
async fn change_password(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    JsonBody(req): JsonBody<PasswordRequest>,
) -> ApiResult<StatusCode> {
    app.change_password(&p, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signed chain checkpoints sent by a town's fazhi (`[audit] checkpoint_url`).
#[derive(Debug, Deserialize)]
struct CheckpointsRequest {
    checkpoints: Vec<fazhi_service::checkpoint::Checkpoint>,
}

/// A district account receives its towns' signed checkpoints and appends them to its own file, so
/// that a town's chain rewritten at the town is still caught against the district's copy.
async fn receive_checkpoints(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    JsonBody(req): JsonBody<CheckpointsRequest>,
) -> ApiResult<Json<JsonValue>> {
    let kept = app.receive_checkpoints(&p, &req.checkpoints).await?;
    Ok(Json(serde_json::json!({"kept": kept})))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses((status = 200, body = UserDto)))]
async fn me(State(app): State<App>, ApiUser(p): ApiUser) -> Json<UserDto> {
    Json(UserDto::from(&app, &p.user))
}

/// Every case kind: states, the registration form, the actions and their fields.
#[utoipa::path(get, path = "/api/v1/kinds", tag = "cases", security(("bearer" = [])), responses((status = 200, body = [KindDto])))]
async fn kinds(State(app): State<App>, ApiUser(p): ApiUser) -> ApiResult<Json<Vec<KindDto>>> {
    p.ready()?;
    Ok(Json(app.kinds().all().iter().map(KindDto::from).collect()))
}

/// Register a case at the user's unit. For a kind checked for duplicates at intake (see
/// `checks_duplicates` in `GET /api/v1/kinds`), the cases that look like the same person or
/// the same matter are answered first (409 `possible_duplicates`, nothing registered); send the
/// request again with `confirm_new: true` to register it as a new case all the same.
#[utoipa::path(post, path = "/api/v1/cases", request_body = OpenRequest, tag = "cases", security(("bearer" = [])),
    responses((status = 201, body = OpenResponse), (status = 400, body = ErrorBody, description = "invalid_input / unknown_kind / bad_request"),
        (status = 403, body = ErrorBody),
        (status = 409, body = DuplicatesResponse, description = "possible_duplicates: nothing registered; resend with confirm_new: true to register a new case")))]
async fn open_case(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    JsonBody(req): JsonBody<OpenRequest>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    Ok(match app.register(&p, &req.kind, &req.fields, req.confirm_new).await? {
        Registration::Opened(opened) => (
            StatusCode::CREATED,
            Json(OpenResponse { case: CaseDto::from(&app, &opened.case), query_code: opened.query_code }),
        )
            .into_response(),
        Registration::Candidates(candidates) => {
            (StatusCode::CONFLICT, Json(DuplicatesResponse::new(candidates))).into_response()
        }
    })
}

/// Filters of the case list: the same parameters, read by the same parser, as the list pages
/// and their export (`/cases?…`, `/cases/export.xlsx?…`). An unknown parameter is refused (400).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; `fazhi_service::cases::ListQuery` reads them
pub struct ListParams {
    /// Kind slug.
    kind: Option<String>,
    /// State codes, comma-separated (or the parameter repeated).
    state: Option<String>,
    /// open, closed or archived.
    phase: Option<String>,
    /// A unit id: that unit and everything below it.
    unit: Option<String>,
    category: Option<String>,
    urgency: Option<String>,
    /// Only cases past their running deadline (true/false; 1/0).
    overdue: Option<bool>,
    /// 1–60: running deadline within this many working days from today.
    due_within: Option<u32>,
    /// Running deadline on or after this date.
    due_from: Option<String>,
    /// Running deadline on or before this date.
    due_to: Option<String>,
    /// The same as `due_to` (its first name).
    due_before: Option<String>,
    opened_from: Option<String>,
    opened_to: Option<String>,
    /// Free text: receipt number, title, content …
    q: Option<String>,
    /// due_on, opened_at, updated_at or receipt_no; a leading '-' sorts descending. Default -opened_at.
    sort: Option<String>,
    /// A town's code (a district account reading one town).
    tenant: Option<String>,
    /// A metric's code: the cases it counts over `mfrom`–`mto` (a report figure traced).
    metric: Option<String>,
    mfrom: Option<String>,
    mto: Option<String>,
    /// Only cases reminded (催办) since their unit received them (true/false; 1/0): the 被催办 tile.
    reminded: Option<bool>,
    page: Option<u32>,
    /// 1–200, default 20.
    per_page: Option<u32>,
}

fn date_param(raw: &Option<String>, field: &str, label: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    let raw = raw.as_deref().filter(|s| !s.trim().is_empty())?;
    parse_date(raw).map_err(|e| errors.push(e.at(field, label))).ok()
}

/// List the cases the user may see.
#[utoipa::path(get, path = "/api/v1/cases", params(ListParams), tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = CaseList), (status = 400, body = ErrorBody)))]
async fn list_cases(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    QueryOf(pairs): QueryOf<Vec<(String, String)>>,
) -> ApiResult<Json<CaseList>> {
    let (q, filter) = app.list_filter(pairs)?;
    let page = app.list(&p, &filter, q.page_number(), q.per_page()).await?;
    Ok(Json(CaseList {
        items: page.items.iter().map(|i| CaseDto::from(&app, &i.case)).collect(),
        total: page.total,
        total_capped: page.capped,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// A case with its clocks (each with its explanation), its timeline and the actions open to the user.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = CaseDetailDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn case_detail(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseDetailDto>> {
    let d = app.detail(&p, case_id(&id)?).await?;
    Ok(Json(CaseDetailDto::from(&app, &d)))
}

/// Take an action on a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions/{action}", request_body = ActionRequest, tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "case id"), ("action" = String, Path, description = "action code, e.g. dispatch")),
    responses((status = 200, body = CaseDto), (status = 400, body = ErrorBody, description = "invalid_input / unknown_action"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "wrong_state / stale_version"), (status = 422, body = ErrorBody, description = "rule_violated")))]
async fn act(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    Path((id, action)): Path<(String, String)>,
    JsonBody(req): JsonBody<ActionRequest>,
) -> ApiResult<Json<CaseDto>> {
    let mut input: Map<String, JsonValue> = req.fields;
    if !req.attachments.is_empty() {
        input.insert(
            "attachments".into(),
            JsonValue::Array(req.attachments.into_iter().map(JsonValue::String).collect()),
        );
    }
    let case = app.act(&p, case_id(&id)?, &action, &input, req.version).await?;
    Ok(Json(CaseDto::from(&app, &case)))
}

/// Reveal a masked identifier of a case (a caller's phone, a 身份证号) for a stated reason. The
/// roles allowed and the rule are in docs/security.md; every reveal, and every refusal, is an
/// audit event.
#[utoipa::path(post, path = "/api/v1/cases/{id}/reveal", request_body = RevealRequest, tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = RevealedDto), (status = 400, body = ErrorBody, description = "invalid_input: no reason"),
        (status = 403, body = ErrorBody, description = "a role that may not reveal (recorded)"), (status = 404, body = ErrorBody)))]
async fn reveal(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RevealRequest>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let r = app.reveal(&p, case_id(&id)?, &req.field, &req.reason).await?;
    let body = RevealedDto { field: r.field, label: r.label, value: r.value, receipt_no: r.receipt_no };
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], Json(body)))
}

/// Take one action on several cases (批量派单, 批量催办): each case goes through the same use case
/// as a single action — its scope, role, version and rules — and one refused does not stop the
/// others. Answers 200 with what was done and what was refused, and why.
#[utoipa::path(post, path = "/api/v1/cases/bulk", request_body = BulkRequest, tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = BulkResponse),
        (status = 400, body = ErrorBody, description = "bad_request: no case selected, too many, or a malformed id"),
        (status = 403, body = ErrorBody, description = "a user who reads no case")))]
async fn bulk_act(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    JsonBody(req): JsonBody<BulkRequest>,
) -> ApiResult<Json<BulkResponse>> {
    let items = req
        .cases
        .iter()
        .map(|c| fazhi_service::bulk::BulkItem::parse(&format!("{}:{}", c.id, c.version)))
        .collect::<Result<Vec<_>, _>>()?;
    let out = app.bulk_act(&p, &req.action, &items, &req.fields).await?;
    Ok(Json(BulkResponse::from(&out)))
}

/// The period and figures wanted.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// Kind slug; all kinds when absent.
    kind: Option<String>,
    /// A calendar year (instead of from/to).
    year: Option<i32>,
    from: Option<String>,
    to: Option<String>,
    /// Metric codes, comma-separated; all of the kind when absent.
    metric: Option<String>,
}

/// Figures of the metric catalogue over a period, for the cases the user may see.
#[utoipa::path(get, path = "/api/v1/metrics", params(MetricsQuery), tag = "metrics", security(("bearer" = [])),
    responses((status = 200, body = MetricsResponse), (status = 400, body = ErrorBody)))]
async fn metrics(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    QueryOf(q): QueryOf<MetricsQuery>,
) -> ApiResult<Json<MetricsResponse>> {
    let mut errors = Vec::new();
    let period = match (q.year, &q.from, &q.to) {
        (Some(y), None, None) => Period::year(y).filter(|_| (2000..=2100).contains(&y)),
        (None, Some(_), Some(_)) => {
            let from = date_param(&q.from, "from", "开始日期", &mut errors);
            let to = date_param(&q.to, "to", "结束日期", &mut errors);
            from.zip(to).map(|(from, to)| Period { from, to })
        }
        (None, None, None) => Period::year(local_date(app.now()).year()),
        _ => None,
    };
    let Some(period) = period.filter(|p| p.from <= p.to) else {
        if errors.is_empty() {
            errors.push(FieldError::new(
                "year",
                "统计期间",
                "请给出 year（2000–2100），或同时给出 from 与 to 且 from 不晚于 to",
            ));
        }
        return Err(ServiceError::Invalid(errors).into());
    };
    let codes: Vec<String> = q
        .metric
        .as_deref()
        .map(|m| m.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let figures = app.metrics(&p, q.kind.as_deref(), &codes, &period).await?;
    Ok(Json(MetricsResponse {
        from: fmt_date(period.from),
        to: fmt_date(period.to),
        figures: figures
            .into_iter()
            .map(|(m, f)| {
                let (value, numerator, denominator) = match f {
                    Figure::Count(n) => (i64::try_from(n).ok(), None, None),
                    Figure::Money(m) => (Some(m.fen()), None, None),
                    Figure::Rate(r) => (r.basis_points().and_then(|b| i64::try_from(b).ok()), Some(r.num), Some(r.den)),
                };
                FigureDto {
                    code: m.code.into(),
                    name: m.name.into(),
                    unit: m.unit.label().into(),
                    formula: m.formula.clone(),
                    display: f.to_string(),
                    value,
                    numerator,
                    denominator,
                }
            })
            .collect(),
    }))
}

/// Which report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnnualQuery {
    year: i32,
    /// Town code; the user's own town when absent.
    tenant: Option<String>,
    /// md (default), html or docx.
    format: Option<String>,
    /// A draft (allowed before the year is over).
    draft: Option<bool>,
}

/// A town's annual 法治政府建设情况报告 as Markdown, HTML or Word: for the town-wide roles of that
/// town and the 区级监督 role of its district (a unit's handler gets 403).
#[utoipa::path(get, path = "/api/v1/reports/annual", params(AnnualQuery), tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "the report", content_type = "text/markdown"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn annual_report(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    QueryOf(q): QueryOf<AnnualQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let town = app.report_town(&p, q.tenant.as_deref())?;
    let r = app.annual_report_for(&p, &town, q.year, q.draft.unwrap_or(false), None).await?;
    Ok(match q.format.as_deref().unwrap_or("md") {
        "md" => ([(axum::http::header::CONTENT_TYPE, "text/markdown; charset=utf-8")], r.to_markdown()).into_response(),
        "html" => {
            ([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], r.to_html_document()).into_response()
        }
        "docx" => {
            let bytes = fazhi_report::docx::to_docx(&r).map_err(ServiceError::internal)?;
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                )],
                bytes,
            )
                .into_response()
        }
        other => {
            return Err(ServiceError::field("format", "格式", format!("“{other}”不支持，应为 md、html 或 docx")).into());
        }
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    year: i32,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CompareRow {
    pub town: String,
    /// Rates in the order of `metrics`, as printed.
    pub figures: Vec<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CompareResponse {
    pub year: i32,
    pub district: String,
    pub metrics: Vec<String>,
    pub towns: Vec<CompareRow>,
    /// All the district's cases counted together.
    pub district_pooled: Vec<String>,
    /// The plain mean of the towns' rates.
    pub town_mean: Vec<String>,
}

/// Each town's key rates beside the district's: every town for the 区级监督 role; a town's 领导
/// and 司法所 get their own town's row only, beside the district's figures.
#[utoipa::path(get, path = "/api/v1/reports/compare", params(CompareQuery), tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = CompareResponse), (status = 403, body = ErrorBody)))]
async fn compare_report(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    QueryOf(q): QueryOf<CompareQuery>,
) -> ApiResult<Json<CompareResponse>> {
    let c = app.compare_for(&p, q.year).await?;
    Ok(Json(CompareResponse {
        year: c.year,
        district: c.district,
        metrics: c.metrics.iter().map(|m| m.code.to_string()).collect(),
        towns: c
            .towns
            .into_iter()
            .map(|(town, f)| CompareRow { town, figures: f.iter().map(ToString::to_string).collect() })
            .collect(),
        district_pooled: c.district_pooled.iter().map(ToString::to_string).collect(),
        town_mean: c.town_mean,
    }))
}

/// The accounts of the administrator's tenant (系统管理员, 安全管理员): no case data, no passwords.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [AccountDto]), (status = 403, body = ErrorBody)))]
async fn admin_users(State(app): State<App>, ApiUser(p): ApiUser) -> ApiResult<Json<Vec<AccountDto>>> {
    let now = app.now_ms();
    Ok(Json(app.list_users(&p).await?.iter().map(|u| AccountDto::from(&app, u, now)).collect()))
}

/// Create an account without roles (系统管理员). The answer carries its one-time activation link
/// for the user — never a password. Roles asked here are refused (403): the 安全管理员 grants them.
#[utoipa::path(post, path = "/api/v1/admin/users", request_body = NewAccountRequest, tag = "admin", security(("bearer" = [])),
    responses((status = 201, body = ActivationResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody, description = "not the 系统管理员, or roles asked (三员分立)")))]
async fn admin_create_user(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    JsonBody(req): JsonBody<NewAccountRequest>,
) -> ApiResult<(StatusCode, Json<ActivationResponse>)> {
    let unit = UnitId::parse(&req.unit).map_err(|_| ServiceError::field("unit", "所属单位", "不存在"))?;
    let roles = req
        .roles
        .iter()
        .map(|r| fazhi_domain::role::Role::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::Invalid(vec![e.at("roles", "角色")]))?;
    let new = fazhi_service::admin::NewUser {
        tenant: p.user.tenant_id,
        unit,
        username: req.username,
        display_name: req.display_name,
        roles,
        password: None,
        must_change: true,
    };
    let (user, activation) = app.create_user(&p, new).await?;
    Ok((StatusCode::CREATED, Json(ActivationResponse::from(&app, &user, &activation))))
}

/// Reset a user's password (系统管理员): the old one stops working and a new activation link is
/// answered. An administrator's account, or one's own, is refused (403).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = ActivationResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn admin_reset_password(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ActivationResponse>> {
    let id = fazhi_domain::ids::UserId::parse(&id).map_err(|_| ServiceError::user_not_found())?;
    let (user, activation) = app.reset_password(&p, id).await?;
    Ok(Json(ActivationResponse::from(&app, &user, &activation)))
}

/// Issue the activation code of an account awaiting activation (安全管理员): the second half of its
/// activation, shown this once. The activation link alone (the 系统管理员's half) sets no password.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/activation-code", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = ActivationCodeResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "no live activation link")))]
async fn admin_activation_code(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ActivationCodeResponse>> {
    let id = fazhi_domain::ids::UserId::parse(&id).map_err(|_| ServiceError::NotFound("用户不存在".into()))?;
    let (user, code) = app.issue_activation_code(&p, id).await?;
    Ok(Json(ActivationCodeResponse { user: AccountDto::from(&app, &user, app.now_ms()), activation_code: code }))
}

/// Set another user's business roles (安全管理员). One's own roles, an administrator's account
/// and administrator roles are refused (403); the 区级监督 role outside a district office (422).
#[utoipa::path(put, path = "/api/v1/admin/users/{id}/roles", request_body = RolesRequest, tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn admin_set_roles(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RolesRequest>,
) -> ApiResult<StatusCode> {
    let id = fazhi_domain::ids::UserId::parse(&id).map_err(|_| ServiceError::user_not_found())?;
    let roles = req
        .roles
        .iter()
        .map(|r| fazhi_domain::role::Role::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::Invalid(vec![e.at("roles", "角色")]))?;
    app.set_roles(&p, id, &roles).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQueryParams {
    /// The acting user's username.
    user: Option<String>,
    /// Action code prefix (`user.`, `dispatch`).
    action: Option<String>,
    /// Exactly this action code (`dispatch`).
    action_code: Option<String>,
    /// A case's receipt number.
    receipt_no: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u32>,
    /// 1–200, default 50.
    per_page: Option<u32>,
}

/// The audit log of the auditor's tenant, newest first (审计管理员): who, when, which case or
/// account, which action, which state change — no case content (三员分立).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQueryParams), tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AuditPageDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(app): State<App>,
    ApiUser(p): ApiUser,
    QueryOf(q): QueryOf<AuditQueryParams>,
) -> ApiResult<Json<AuditPageDto>> {
    let mut errors = Vec::new();
    let from = date_param(&q.from, "from", "开始日期", &mut errors);
    let to = date_param(&q.to, "to", "结束日期", &mut errors);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors).into());
    }
    let query = fazhi_service::audit::AuditQuery {
        username: q.user,
        action: q.action,
        action_code: q.action_code,
        receipt_no: q.receipt_no,
        from_ms: from.map(fazhi_domain::time_util::day_start_ms),
        to_ms: to.map(|d| fazhi_domain::time_util::day_start_ms(d.next_day().unwrap_or(d))),
    };
    let page = q.page.unwrap_or(1).max(1);
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    let (entries, total) = app.audit_log(&p, query, page, per_page).await?;
    Ok(Json(AuditPageDto { items: entries.iter().map(AuditEntryDto::from).collect(), total, page, per_page }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "fazhi API", version = "1", description = "法治政府建设工作平台 JSON API。错误统一为 {code, message, fields}。"),
    paths(login, logout, change_password, me, kinds, open_case, list_cases, case_detail, act, reveal, bulk_act, metrics, annual_report, compare_report,
        admin_users, admin_create_user, admin_reset_password, admin_activation_code, admin_set_roles, audit_log),
    components(schemas(ErrorBody, FieldErrorBody, DuplicatesResponse, CandidateDto)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This API as OpenAPI 3.1.
/// The document, with every registered kind's registration form as a schema
/// (`fields.<slug>`: the `fields` of `POST /cases` for that kind) — a kind appears here the
/// moment it is registered.
async fn openapi(State(app): State<App>) -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    for kind in app.kinds().all() {
        components.schemas.insert(format!("fields.{}", kind.slug), kind_fields_schema(kind).into());
    }
    Json(doc)
}

/// The registration form of `kind` as a JSON schema: each field's type, its choices, its length
/// limit, and which are required.
fn kind_fields_schema(kind: &fazhi_domain::kinds::KindDef) -> utoipa::openapi::schema::Schema {
    use fazhi_domain::workflow::FieldKind;
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let open = &kind.workflow.open;
    let mut obj = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(format!("{}（{}）", kind.label, kind.slug)))
        .description(Some(format!("POST /cases 登记{}时 fields 的内容", kind.label)));
    for f in &open.fields {
        let text = |max: usize| ObjectBuilder::new().schema_type(Type::String).max_length(Some(max));
        let field = match &f.kind {
            FieldKind::Text { max } | FieldKind::LongText { max } => text(*max),
            FieldKind::Choice { options } => {
                ObjectBuilder::new().schema_type(Type::String).enum_values(Some(options.iter().map(|(c, _)| c.clone())))
            }
            FieldKind::Integer { min, max } => {
                ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(*min as f64)).maximum(Some(*max as f64))
            }
            FieldKind::Bool => ObjectBuilder::new().schema_type(Type::Boolean),
            FieldKind::Date => ObjectBuilder::new().schema_type(Type::String).description(Some("YYYY-MM-DD")),
            FieldKind::Money => ObjectBuilder::new().schema_type(Type::String).description(Some("金额（元）")),
            FieldKind::Unit { .. } => ObjectBuilder::new().schema_type(Type::String).description(Some("单位 id")),
            FieldKind::IdCard | FieldKind::Phone => ObjectBuilder::new().schema_type(Type::String),
            FieldKind::Users { max } => {
                let ids =
                    ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)).max_items(Some(*max));
                obj = obj.property(f.name, ids.description(Some(f.label)));
                if f.required {
                    obj = obj.required(f.name);
                }
                continue;
            }
        };
        let described = match f.help {
            Some(help) => format!("{}：{help}", f.label),
            None => f.label.to_string(),
        };
        obj = obj.property(f.name, field.title(Some(described)));
        if f.required {
            obj = obj.required(f.name);
        }
    }
    obj.build().into()
}
