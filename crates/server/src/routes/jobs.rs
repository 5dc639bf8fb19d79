//! Jobs with live progress (SPEC 3.2).

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::Json;
use futures::{Stream, StreamExt};
use ruptura_app::wire::Resultados;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::jobs::{JobCreated, JobEvent, JobSpec, JobStatus};
use crate::request::{self, JobRequest, Source};
use crate::routes::analysis::body_error;
use crate::AppState;

async fn start(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
    source: Source,
) -> Result<JobCreated, ApiError> {
    let body = body.map_err(body_error)?;
    let req = request::parse(&body, source, &state.settings, state.config.max_job_orders)?;
    let whole_book = req.orders.is_none() && req.filter.is_empty();
    let params = req.params(&state.settings);
    let orders = match req.orders {
        Some(orders) => orders,
        None => state.store.order_numbers(&req.filter).await?,
    };
    let spec = JobSpec {
        orders,
        params,
        batch_size: req.batch_size,
        max_workers: req.max_workers,
        whole_book,
    };
    state.jobs.submit(spec).await
}

/// Starts a job over the named orders, or the filtered book (no filter: the whole book).
#[utoipa::path(post, path = "/api/ruptura/jobs", tag = "jobs", request_body = JobRequest,
    responses((status = 202, body = JobCreated), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn criar(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let created = start(&state, body, Source::OrdersOrFilter).await?;
    Ok((StatusCode::ACCEPTED, Json(created)))
}

/// The seed's "analyse everything": a job over the active orders matching `filtros`.
#[utoipa::path(post, path = "/carteira/api/ruptura/analisar-todos-async", tag = "jobs", request_body = JobRequest,
    responses((status = 202, body = JobCreated), (status = 400, body = ErrorBody)))]
pub async fn analisar_todos(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let created = start(&state, body, Source::Filter).await?;
    Ok((StatusCode::ACCEPTED, Json(created)))
}

fn unknown(id: &str) -> ApiError {
    ApiError::NotFound(format!("job {id:?} não encontrado (ou expirado)"))
}

#[utoipa::path(get, path = "/api/ruptura/jobs/{id}", tag = "jobs",
    params(("id" = String, Path)), responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
    state
        .jobs
        .status(&id)
        .await?
        .map(Json)
        .ok_or_else(|| unknown(&id))
}

/// Every result finished so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobResults {
    pub job_id: String,
    #[schema(value_type = std::collections::HashMap<String, ruptura_app::wire::Resultado>)]
    pub resultados: Resultados,
}

#[utoipa::path(get, path = "/api/ruptura/jobs/{id}/resultados", tag = "jobs",
    params(("id" = String, Path)), responses((status = 200, body = JobResults), (status = 404, body = ErrorBody)))]
pub async fn resultados(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobResults>, ApiError> {
    let results = state.jobs.results(&id).await?.ok_or_else(|| unknown(&id))?;
    Ok(Json(JobResults {
        job_id: id,
        resultados: Resultados(results),
    }))
}

fn to_sse(job_id: &str, event: JobEvent) -> Event {
    let id = event.id().to_string();
    let (name, data) = match event {
        JobEvent::Lote {
            lote_index,
            resultados,
            counts,
            ..
        } => (
            "lote",
            json!({
                "job_id": job_id,
                "lote_index": lote_index,
                "resultados": Resultados(resultados),
                "processados": counts.processados,
                "total_pedidos": counts.total_pedidos,
                "erros": counts.erros,
                "pedidos_ok": counts.pedidos_ok,
                "pedidos_com_ruptura": counts.pedidos_com_ruptura,
            }),
        ),
        JobEvent::Concluido { estatisticas, .. } => ("concluido", json!(estatisticas)),
        JobEvent::Falhou { message, .. } => {
            ("falhou", json!({"job_id": job_id, "message": message}))
        }
    };
    Event::default().id(id).event(name).data(data.to_string())
}

/// Server-sent events: one `lote` per finished batch, then `concluido` (or `falhou`). Every event
/// has an id; a client reconnecting with `Last-Event-ID` gets what it missed.
#[utoipa::path(get, path = "/api/ruptura/jobs/{id}/eventos", tag = "jobs",
    params(("id" = String, Path), ("Last-Event-ID" = Option<u64>, Header, description = "último evento recebido")),
    responses((status = 200, description = "text/event-stream"), (status = 404, body = ErrorBody)))]
pub async fn eventos(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let events = state
        .jobs
        .events(&id, after)
        .await?
        .ok_or_else(|| unknown(&id))?;
    let shutdown = state.shutdown.clone().cancelled_owned();
    let stream = events.map(move |e| Ok(to_sse(&id, e))).take_until(shutdown);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
