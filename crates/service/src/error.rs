//! One error type for every use case. Each variant has a stable code and a Chinese message; the
//! web layer maps them to HTTP once (400 bad input, 401, 403, 404, 409 wrong state or stale
//! version, 422 rule violated, 500 logged with its cause and never shown). Messages said in more
//! than one place come from named constructors ([`ServiceError::case_not_found`], …).

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
    /// Something failed that the user cannot mend: they read only this message and the code;
    /// the cause, with its whole chain, is for the log ([`ServiceError::cause_chain`]).
    #[error("系统内部错误，请稍后重试")]
    Internal(#[source] Cause),
}

/// Any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The cause of an internal error, kept with its source chain for the log and never shown.
#[derive(Debug)]
pub struct Cause(BoxError);

impl Cause {
    /// The message and every source under it, joined by ": ".
    pub fn chain(&self) -> String {
        let mut out = self.0.to_string();
        let mut next = self.0.source();
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What was being done when an error struck (a path, a step), above the error itself.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct Context {
    what: String,
    #[source]
    source: BoxError,
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

    /// An internal error caused by `e` (an error, or a message where there is none).
    pub fn internal(e: impl Into<BoxError>) -> Self {
        Self::Internal(Cause(e.into()))
    }

    /// An internal error caused by `e` while doing `what` (a path, a step): both are logged.
    pub fn internal_in(what: impl std::fmt::Display, e: impl Into<BoxError>) -> Self {
        Self::Internal(Cause(Box::new(Context { what: what.to_string(), source: e.into() })))
    }

    /// For the log: an internal error's cause with its whole chain; `None` for other errors.
    pub fn cause_chain(&self) -> Option<String> {
        match self {
            Self::Internal(c) => Some(c.chain()),
            _ => None,
        }
    }

    /// A case that does not exist — or that the reader may not know exists (the same answer).
    pub fn case_not_found() -> Self {
        Self::NotFound("案件不存在".into())
    }

    /// A user account that does not exist.
    pub fn user_not_found() -> Self {
        Self::NotFound("用户不存在".into())
    }

    /// An attachment that does not exist, or not on this case.
    pub fn attachment_not_found() -> Self {
        Self::NotFound("附件不存在".into())
    }

    /// An activation link unknown, used or expired: one answer for all three.
    pub fn activation_invalid() -> Self {
        Self::NotFound("激活链接无效、已使用或已过期，请联系系统管理员重新签发".into())
    }

    /// An administrator's role reads no business data (三员分立).
    pub fn no_business_data() -> Self {
        Self::Forbidden("您的角色不查看业务数据（三员分立）".into())
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
            other => Self::internal(other),
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause_chain_for_the_log_and_shows_only_the_message() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = ServiceError::internal_in("/data/secret.key", io);
        assert_eq!(e.to_string(), "系统内部错误，请稍后重试");
        assert_eq!((e.code(), e.status()), ("internal", 500));
        assert_eq!(e.cause_chain().as_deref(), Some("/data/secret.key: permission denied"));
        let source = std::error::Error::source(&e).expect("the cause is the source");
        assert!(std::error::Error::source(source).is_some(), "the io error stays in the chain");
        assert_eq!(ServiceError::case_not_found().cause_chain(), None);
        let store = ServiceError::from(StoreError::Corrupt("row 7".into()));
        assert_eq!(store.cause_chain().as_deref(), Some("corrupt row: row 7"));
    }
}
