//! Health and the API description.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degradado`.
    pub status: String,
    /// `ok`, or why the database does not answer.
    pub banco: String,
    pub backend: String,
    pub versao: String,
}

/// Whether the service and its database answer (503 when the database does not).
#[utoipa::path(get, path = "/health", tag = "sistema",
    summary = "O serviço e o banco respondem?",
    responses(
        (status = 200, description = "tudo certo", body = Health),
        (status = 503, description = "o banco não responde", body = Health)))]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let backend = format!("{:?}", state.store.backend()).to_lowercase();
    let versao = env!("CARGO_PKG_VERSION").to_string();
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
                banco: "ok".into(),
                backend,
                versao,
            }),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "degradado".into(),
                banco: e.to_string(),
                backend,
                versao,
            }),
        ),
    }
}
