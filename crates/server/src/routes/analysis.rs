//! The batch API of SPEC 3.1 and the single-order analysis.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ruptura_app::wire::{RespostaLote, Resultado};
use ruptura_app::{InOrder, JsonInOrder, RunOptions};
use ruptura_engine::Mode;
use ruptura_store::Selection;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::request::{self, LoteRequest, Source};
use crate::AppState;

/// Maps a body that could not be read (too large, broken stream) to a JSON error.
pub fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("corpo da requisição grande demais".into())
    } else {
        ApiError::BadRequest(format!("corpo da requisição ilegível: {e}"))
    }
}

/// Analyses a list of orders in batches and answers with every result at once.
#[utoipa::path(post, path = "/carteira/api/ruptura/analisar-lote-async", tag = "analise",
    summary = "Analisa uma lista de pedidos em lotes",
    description = "Divide os pedidos em lotes de `tamanho_lote`, analisa até `max_workers` lotes ao mesmo tempo e responde com todos os resultados de uma vez (compatível com o script da página do sistema antigo). Um pedido sem linha aberta ativa recebe `{\"success\": false, \"message\": \"Pedido não encontrado\"}` e conta em `erros`, sem falhar a requisição.",
    request_body = LoteRequest,
    responses(
        (status = 200, description = "resultados e estatísticas", body = RespostaLote),
        (status = 400, description = "corpo inválido (a mensagem diz qual campo)", body = ErrorBody),
        (status = 401, description = "falta o token (API_TOKEN definido)", body = ErrorBody),
        (status = 413, description = "corpo grande demais", body = ErrorBody),
        (status = 503, description = "banco indisponível", body = ErrorBody)))]
pub async fn analisar_lote(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(body_error)?;
    let req = request::parse(
        &body,
        Source::Orders,
        &state.settings,
        state.config.max_orders,
    )?;
    let params = req.params(&state.settings);
    // Each batch is serialized on the thread that analysed it; the reply is their concatenation
    // (the shape of `RespostaLote`).
    let opts = req.run_options(true);
    let orders = req.orders.unwrap_or_default();
    let mut collected = JsonInOrder::default();
    let estatisticas = ruptura_app::analyze(
        state.store.as_ref(),
        &Selection::Orders(orders),
        params,
        opts,
        &mut collected,
    )
    .await?;
    let mut out = Vec::new();
    let written = (|| -> std::io::Result<()> {
        out.extend_from_slice(b"{\"success\":true,\"resultados\":");
        collected.write_object(&mut out)?;
        out.extend_from_slice(b",\"estatisticas\":");
        serde_json::to_writer(&mut out, &estatisticas)?;
        out.push(b'}');
        Ok(())
    })();
    written.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, "application/json")], out).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PedidoQuery {
    /// Data de referência D0, AAAA-MM-DD (padrão: hoje no fuso `RUPTURA_TZ`).
    #[param(value_type = Option<String>, format = Date, example = "2026-03-02")]
    data_base: Option<String>,
    /// `independente` (default), `sequencial` (the same as independente for one order) or
    /// `prioridade` (what the order gets when the whole book ships in priority order).
    #[param(value_type = Option<ruptura_app::wire::Modo>)]
    modo: Option<String>,
}

/// Analyses one order (404 when it has no open active line).
#[utoipa::path(get, path = "/carteira/api/ruptura/analisar-pedido/{num_pedido}", tag = "analise",
    summary = "Analisa um pedido",
    description = "O resultado de um pedido, com as linhas em ruptura e as disponíveis. 404 (com o mesmo formato de resultado, `success` falso) quando o pedido não tem linha aberta ativa.",
    params(("num_pedido" = String, Path, description = "número do pedido", example = "P1"), PedidoQuery),
    responses(
        (status = 200, description = "o resultado do pedido", body = Resultado),
        (status = 404, description = "pedido sem linha aberta ativa", body = Resultado),
        (status = 400, description = "data_base inválida", body = ErrorBody),
        (status = 503, description = "banco indisponível", body = ErrorBody)))]
pub async fn analisar_pedido(
    State(state): State<AppState>,
    Path(num_pedido): Path<String>,
    Query(q): Query<PedidoQuery>,
) -> Result<Response, ApiError> {
    let data_base = q
        .data_base
        .as_deref()
        .map(request::parse_date)
        .transpose()?;
    request::check_text("num_pedido", &num_pedido)?;
    let mode = match q.modo.as_deref() {
        None | Some("") => Mode::Independent,
        Some(m) => m
            .parse::<Mode>()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?,
    };
    let params = state.settings.params(data_base, mode);
    let mut collected = InOrder::default();
    ruptura_app::analyze(
        state.store.as_ref(),
        &Selection::Orders(vec![num_pedido]),
        params,
        RunOptions {
            batch_size: 1,
            max_workers: 1,
            json: false,
        },
        &mut collected,
    )
    .await?;
    let result = collected
        .into_results()
        .pop()
        .ok_or_else(|| ApiError::Internal("resultado ausente".into()))?;
    let status = if result.analisado().is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((status, Json(result)).into_response())
}

/// The analyses answered in the request, under both prefixes: at most
/// `max_concurrent_analyses` at once, the permit taken before the body is read.
pub fn routes(state: &AppState) -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/carteira/api/ruptura/analisar-lote-async",
            post(analisar_lote),
        )
        .route("/api/ruptura/analisar-lote-async", post(analisar_lote))
        .route(
            "/carteira/api/ruptura/analisar-pedido/{num_pedido}",
            get(analisar_pedido),
        )
        .route(
            "/api/ruptura/analisar-pedido/{num_pedido}",
            get(analisar_pedido),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            analysis_permit,
        ))
}

/// Waits for an analysis permit, then runs the request holding it.
async fn analysis_permit(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match std::sync::Arc::clone(&state.analyses).acquire_owned().await {
        Ok(_permit) => next.run(request).await,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
