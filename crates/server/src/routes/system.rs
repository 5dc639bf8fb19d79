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
    /// `ok`, or why the job queue (Redis, with `--queue redis`) does not answer.
    pub fila: String,
    pub backend: String,
    pub versao: String,
    /// The whole-book priority allocation kept between requests (SPEC 8.1), under a
    /// fingerprint of the data read; absent when the database gives no fingerprint (nothing is
    /// kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_prioridade: Option<CachePrioridade>,
}

/// How the kept priority allocation has done since the server started.
#[derive(Debug, Serialize, ToSchema)]
pub struct CachePrioridade {
    /// Priority requests answered from the kept allocation (the data had not changed).
    pub acertos: u64,
    /// Of those, the ones answered without reading the data: its fingerprint was the same (the
    /// others read it and found it exactly equal to what the allocation was computed from).
    pub acertos_sem_leitura: u64,
    /// Priority requests that allocated again (first request, data changed, other parameters
    /// or reference date).
    pub falhas: u64,
    /// Allocations kept now (at most 2).
    pub entradas: usize,
}

/// Whether the service, its database and its job queue answer (503 and `degradado` when one
/// does not).
#[utoipa::path(get, path = "/health", tag = "sistema",
    summary = "O serviço, o banco e a fila de jobs respondem?",
    responses(
        (status = 200, description = "tudo certo", body = Health),
        (status = 503, description = "o banco ou a fila não responde (`degradado`)", body = Health)))]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let backend = format!("{:?}", state.store.backend()).to_lowercase();
    let versao = env!("CARGO_PKG_VERSION").to_string();
    let (banco, fila) = tokio::join!(state.store.ping(), state.jobs.ping());
    let ok = banco.is_ok() && fila.is_ok();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if ok { "ok" } else { "degradado" }.into(),
            banco: banco.map_or_else(|e| e.to_string(), |()| "ok".into()),
            fila: fila.map_or_else(|e| e, |()| "ok".into()),
            backend,
            versao,
            cache_prioridade: state.store.memo().map(|m| {
                let s = m.stats();
                CachePrioridade {
                    acertos: s.hits,
                    acertos_sem_leitura: s.unread_hits,
                    falhas: s.misses,
                    entradas: s.entries,
                }
            }),
        }),
    )
}

/// Health, open to all.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/health", axum::routing::get(health))
}
