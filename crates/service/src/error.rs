//! One error type for every use case. Each variant has a stable code and a Chinese message; the
//! web layer maps them to HTTP once (400 bad input, 401, 403, 404, 409 wrong state or stale
//! version, 422 rule violated, 500 logged with its cause and never shown).

use fazhi_domain::FieldError;
use fazhi_domain::workflow::ActionError;
use fazhi_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("请先登录")]
    Unauthenticated,
    /// A wrong password, an unknown username and a throttled attempt get this one answer, so
    /// the login page never tells which usernames exist (等保 2.0 §8.1.4.1 b).
    #[error("用户名或密码不正确，或登录尝试过多已暂停，请稍后再试")]
    BadCredentials,
    /// Only after the right password: the 安全管理员 locked the account.
    #[error("账户已被锁定，请联系安全管理员解锁")]
    Locked,
    #[error("账户已停用，请联系系统管理员")]
    Disabled,
    #[error("首次登录或密码已由管理员重置，请先修改密码")]
    PasswordChangeRequired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// One or more fields are missing or malformed.
    #[error("{}", .0.iter().map(FieldError::message).collect::<Vec<_>>().join("；"))]
    Invalid(Vec<FieldError>),
    /// The request as a whole is malformed (not JSON, wrong shape).
    #[error("{0}")]
    BadRequest(String),
    #[error("未知的案件类型“{0}”")]
    UnknownKind(String),
    #[error("未知的操作“{0}”")]
    UnknownAction(String),
    #[error("{0}")]
    WrongState(String),
    #[error("该案件已被他人更新（当前版本 {current}），请刷新页面后重新操作")]
    Stale { current: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Rule(String),
    #[error("查询过于频繁，请稍后再试")]
    TooManyRequests,
    /// A password check refused for a while after too many wrong answers.
    #[error("尝试次数过多，请{minutes}分钟后再试")]
    TooManyAttempts { minutes: u32 },
    #[error("系统内部错误，请稍后重试")]
    Internal(String),
}

impl ServiceError {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad_credentials",
            Self::Locked { .. } => "account_locked",
            Self::Disabled => "account_disabled",
            Self::PasswordChangeRequired => "password_change_required",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Invalid(_) => "invalid_input",
            Self::BadRequest(_) => "bad_request",
            Self::UnknownKind(_) => "unknown_kind",
            Self::UnknownAction(_) => "unknown_action",
            Self::WrongState(_) => "wrong_state",
            Self::Stale { .. } => "stale_version",
            Self::Conflict(_) => "conflict",
            Self::Rule(_) => "rule_violated",
            Self::TooManyRequests => "too_many_requests",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::BadCredentials => 401,
            Self::Locked { .. } | Self::Disabled | Self::PasswordChangeRequired | Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Invalid(_) | Self::BadRequest(_) | Self::UnknownKind(_) | Self::UnknownAction(_) => 400,
            Self::WrongState(_) | Self::Stale { .. } | Self::Conflict(_) => 409,
            Self::Rule(_) => 422,
            Self::TooManyRequests | Self::TooManyAttempts { .. } => 429,
            Self::Internal(_) => 500,
        }
    }

    /// The field errors, if any (forms show them next to their fields).
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Self::Invalid(f) => f,
            _ => &[],
        }
    }

    pub fn field(field: &str, label: &str, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, label, reason)])
    }
}

impl From<ActionError> for ServiceError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::UnknownAction(a) => Self::UnknownAction(a),
            ActionError::WrongState { .. } => Self::WrongState(e.to_string()),
            ActionError::Forbidden(_) => Self::Forbidden(e.to_string()),
            ActionError::Invalid(f) => Self::Invalid(f),
            ActionError::Refused(r) => Self::Rule(r),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Stale { current } => Self::Stale { current },
            StoreError::NotFound => Self::NotFound("记录不存在".into()),
            StoreError::Conflict(m) => Self::Conflict(format!("与已有记录冲突：{m}")),
            other => Self::Internal(other.to_string()),
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
