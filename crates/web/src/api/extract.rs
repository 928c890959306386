//! Extractors: the bearer-token principal, and JSON bodies and query strings whose rejections
//! speak the API's error shape.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use fazhi_service::{App, Principal, ServiceError, SessionKind};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The user a request acts as, from `Authorization: Bearer <token>`.
pub struct ApiUser(pub Principal);

impl FromRequestParts<App> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(Self(app.authenticate(token, SessionKind::Api).await?))
    }
}

/// A JSON body; malformed JSON is a 400 in the API's shape, an oversized one a 413.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, app).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::bad_request("请求体应为JSON（Content-Type: application/json）"))
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(ApiError::bad_request(format!("请求体不是有效的JSON：{}", e.body_text())))
            }
            Err(JsonRejection::JsonDataError(e)) => {
                Err(ApiError::bad_request(format!("请求体字段不正确：{}", e.body_text())))
            }
            Err(JsonRejection::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("请求体超过{}KB上限", crate::BODY_LIMIT / 1024),
            )),
            Err(e) => Err(ApiError::bad_request(format!("无法读取请求体：{}", e.body_text()))),
        }
    }
}

/// Query parameters; unknown or malformed ones are a 400 in the API's shape.
pub struct QueryOf<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<App> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, app).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::bad_request(format!("查询参数不正确：{}", e.body_text())))
            }
            Err(e) => Err(ApiError::bad_request(format!("查询参数不正确：{}", e.body_text()))),
        }
    }
}
