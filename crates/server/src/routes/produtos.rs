//! The products that block orders (SPEC 8.4): over a request's orders, or over a finished job.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::Json;
use ruptura_app::RelatorioProdutos;
use ruptura_store::Selection;

use crate::error::{ApiError, ErrorBody};
use crate::jobs::JobState;
use crate::request::{self, JobRequest, Source};
use crate::routes::analysis::body_error;
use crate::AppState;

/// Analyses the orders of a job's body (`pedidos`, or `filtros`, or neither: the whole book) and
/// answers with the products that block them, ranked by the value they would unlock.
#[utoipa::path(post, path = "/api/ruptura/produtos", tag = "analise",
    summary = "Os produtos que travam pedidos",
    description = "Analisa os pedidos do corpo (`pedidos`, ou `filtros`, ou nenhum dos dois: a carteira inteira) e responde com os grupos de produto que têm linhas em ruptura, do que destravaria mais valor para o que destravaria menos (SPEC 8.4).",
    request_body = JobRequest,
    responses(
        (status = 200, description = "produtos em falta e estatísticas", body = RelatorioProdutos),
        (status = 400, description = "pedido inválido (por exemplo \"pedidos\" e \"filtros\" juntos)", body = ErrorBody),
        (status = 401, description = "falta o token (API_TOKEN definido)", body = ErrorBody),
        (status = 413, description = "corpo grande demais", body = ErrorBody),
        (status = 503, description = "banco indisponível", body = ErrorBody)))]
pub async fn produtos(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RelatorioProdutos>, ApiError> {
    let body = body.map_err(body_error)?;
    let req = request::parse(
        &body,
        Source::OrdersOrFilter,
        &state.settings,
        state.config.max_job_orders,
    )?;
    let params = req.params(&state.settings);
    let selection = match &req.orders {
        Some(orders) => Selection::Orders(orders.clone()),
        None => Selection::Book(req.filter.clone()),
    };
    let report = RelatorioProdutos::analyze(
        state.store.as_ref(),
        &selection,
        params,
        req.run_options(false),
    )
    .await?;
    Ok(Json(report))
}

/// The products that block the orders of a finished job (409 while it runs).
#[utoipa::path(get, path = "/api/ruptura/jobs/{id}/produtos", tag = "jobs",
    summary = "Os produtos que travam os pedidos de um job concluído",
    params(("id" = String, Path, description = "o `job_id` devolvido ao criar o job")),
    responses(
        (status = 200, description = "produtos em falta e estatísticas do job", body = RelatorioProdutos),
        (status = 404, description = "job desconhecido ou expirado", body = ErrorBody),
        (status = 409, description = "o job ainda não terminou", body = ErrorBody)))]
pub async fn produtos_do_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RelatorioProdutos>, ApiError> {
    let (status, estatisticas, decisoes) =
        state.jobs.decisions(&id).await?.ok_or_else(|| {
            ApiError::NotFound(format!("job {id:?} não encontrado (ou expirado)"))
        })?;
    match status.estado {
        JobState::Concluido => Ok(Json(RelatorioProdutos {
            produtos: decisoes.produtos.rows(),
            estatisticas,
        })),
        JobState::EmAndamento => Err(ApiError::Conflict(format!(
            "o job {id:?} ainda não terminou ({} de {} pedidos): aguarde o evento \"concluido\"",
            status.contagens.processados, status.contagens.total_pedidos
        ))),
        JobState::Falhou => Err(ApiError::Conflict(format!(
            "o job {id:?} falhou: {}",
            status.mensagem.unwrap_or_default()
        ))),
    }
}

/// The products that block orders, over a request or a finished job.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/ruptura/jobs/{id}/produtos", get(produtos_do_job))
        .route("/api/ruptura/produtos", post(produtos))
}
