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
#[utoipa::path(post, path = "/api/ruptura/analisar-lote-async", tag = "analise",
    request_body = LoteRequest,
    responses(
        (status = 200, description = "resultados e estatísticas", body = RespostaLote),
        (status = 400, description = "pedido inválido", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
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
    let orders = req.orders.unwrap_or_default();
    // Each batch is serialized on the thread that analysed it; the reply is their concatenation
    // (the shape of `RespostaLote`).
    let opts = RunOptions {
        batch_size: req.batch_size,
        max_workers: req.max_workers,
        json: true,
    };
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
    /// Reference date D0, YYYY-MM-DD (default: today in `RUPTURA_TZ`).
    data_base: Option<String>,
    /// `independente` (default), `sequencial` (the same as independente for one order) or
    /// `prioridade` (what the order gets when the whole book ships in priority order).
    #[param(value_type = Option<ruptura_app::wire::Modo>)]
    modo: Option<String>,
}

/// Analyses one order (404 when it has no open active line).
#[utoipa::path(get, path = "/carteira/api/ruptura/analisar-pedido/{num_pedido}", tag = "analise",
    params(("num_pedido" = String, Path, description = "número do pedido"), PedidoQuery),
    responses((status = 200, body = Resultado), (status = 404, body = Resultado), (status = 400, body = ErrorBody)))]
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
