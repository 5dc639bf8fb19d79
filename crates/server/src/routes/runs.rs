//! Recorded runs and what changed between them (SPEC 8.5, 8.6).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use ruptura_app::runs::{ListaExecucoes, Mudancas, RunLog};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::AppState;

fn log(state: &AppState) -> Result<&RunLog, ApiError> {
    state.runs.as_ref().ok_or_else(|| {
        ApiError::NotFound(
            "este servidor não registra execuções (defina EXECUCOES_URL quando o banco é o do \
             sistema antigo)"
                .into(),
        )
    })
}

/// The runs kept (the last `EXECUCOES_MANTIDAS` whole-book analyses), newest first.
#[utoipa::path(get, path = "/api/ruptura/execucoes", tag = "mudancas",
    responses((status = 200, body = ListaExecucoes), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn execucoes(State(state): State<AppState>) -> Result<Json<ListaExecucoes>, ApiError> {
    Ok(Json(log(&state)?.list().await?))
}

/// Which runs to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MudancasQuery {
    /// A execução anterior (padrão: a última antes de `para` com o mesmo modo e parâmetros).
    #[param(value_type = Option<i64>, example = 1, minimum = 1)]
    pub de: Option<String>,
    /// A execução posterior (padrão: a mais recente).
    #[param(value_type = Option<i64>, example = 2, minimum = 1)]
    pub para: Option<String>,
}

fn run_id(name: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::BadRequest(format!(
                "{name} deve ser o número de uma execução (veja /api/ruptura/execucoes), não {v:?}"
            ))
        }),
    }
}

/// The orders whose outcome changed from run `de` to run `para`, each with its kind and causes.
#[utoipa::path(get, path = "/api/ruptura/mudancas", tag = "mudancas", params(MudancasQuery),
    responses((status = 200, body = Mudancas), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mudancas(
    State(state): State<AppState>,
    query: Result<Query<MudancasQuery>, QueryRejection>,
) -> Result<Json<Mudancas>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("parâmetros inválidos: {e}")))?;
    let de = run_id("de", q.de.as_deref())?;
    let para = run_id("para", q.para.as_deref())?;
    Ok(Json(log(&state)?.compare(de, para).await?))
}

/// Recorded runs and their comparison.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/ruptura/execucoes", get(execucoes))
        .route("/api/ruptura/mudancas", get(mudancas))
}
