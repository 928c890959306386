//! # fazhi-web — fazhi over HTTP
//!
//! The staff pages and the public tracking page ([`pages`]), the JSON API under `/api/v1` (bearer tokens; one error shape `{code, message, fields}`; its
//! OpenAPI document at `/api/v1/openapi.json`), and health and readiness probes. Handlers are thin:
//! they parse the request into the service's terms, call one service method, and shape the answer.
//! Every error is mapped to HTTP in one place ([`error::ApiError`]).
//!
//! This crate must not depend on sqlx: it sees the database only through `fazhi-service`.

pub mod api;
pub mod error;
pub mod pages;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use fazhi_service::App;
use tower_http::trace::TraceLayer;

/// The largest request body accepted (JSON and forms). Attachments will have their own route.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The whole HTTP application. `fazhi serve` and the test kit both build it here.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api::routes())
        .merge(pages::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(app.clone(), pages::security_headers))
        .layer(axum::middleware::from_fn_with_state(app.clone(), pages::session::client_context))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(app): State<App>) -> (StatusCode, &'static str) {
    match app.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Serves until Ctrl-C or SIGTERM, then drains connections. A background task re-reads the
/// calendar and units every ten minutes, so a year imported by `fazhi calendar import` in another
/// process takes effect without a restart.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve(app: App, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(app, listener).await
}

/// As [`serve`], on a listener already bound (tests bind port 0).
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve_on(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let reloader = app.clone();
    let reload = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = reloader.reload().await {
                tracing::warn!(error = %e, "periodic reload failed");
            }
        }
    });
    // Signed checkpoints of the chains that moved ([audit] checkpoint_minutes; checkpoint.rs).
    let every = u64::from(app.config().audit.checkpoint_minutes);
    let checkpointer = app.clone();
    let checkpoints = tokio::spawn(async move {
        if every == 0 {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(every * 60));
        tick.tick().await;
        loop {
            tick.tick().await;
            match checkpointer.checkpoint_now().await {
                Ok((_, Some(problem))) => tracing::warn!(%problem, "checkpoint written locally, not sent"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "writing a checkpoint failed; the next round will retry"),
            }
        }
    });
    let result = axum::serve(listener, router(app).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await;
    reload.abort();
    checkpoints.abort();
    result
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
