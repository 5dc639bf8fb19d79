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
use crate::request::{self, JobRequest, Source, TodosRequest};
use crate::routes::analysis::body_error;
use crate::AppState;

async fn start(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
    source: Source,
) -> Result<JobCreated, ApiError> {
    let body = body.map_err(body_error)?;
    let req = request::parse(&body, source, &state.settings, state.config.max_job_orders)?;
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
    };
    state.jobs.submit(spec).await
}

/// Starts a job over the named orders, or the filtered book (no filter: the whole book).
#[utoipa::path(post, path = "/api/ruptura/jobs", tag = "jobs",
    summary = "Inicia um job de análise",
    description = "Um job sobre os pedidos indicados, ou sobre a carteira filtrada (sem `pedidos` nem `filtros`: a carteira inteira). Responde logo, com 202; o progresso vem de `GET /api/ruptura/jobs/{id}` e, ao vivo, de `GET /api/ruptura/jobs/{id}/eventos`.",
    request_body = JobRequest,
    responses(
        (status = 202, description = "job criado", body = JobCreated),
        (status = 400, description = "corpo inválido (a mensagem diz qual campo)", body = ErrorBody),
        (status = 429, description = "jobs demais esperando; tente mais tarde", body = ErrorBody),
        (status = 503, description = "banco indisponível", body = ErrorBody)))]
pub async fn criar(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let created = start(&state, body, Source::OrdersOrFilter).await?;
    Ok((StatusCode::ACCEPTED, Json(created)))
}

/// The seed's "analyse everything": a job over the active orders matching `filtros`.
#[utoipa::path(post, path = "/carteira/api/ruptura/analisar-todos-async", tag = "jobs",
    summary = "Analisa toda a carteira filtrada (rota do sistema antigo)",
    description = "\"Analisar tudo\" do sistema antigo: um job sobre os pedidos ativos que atendem `filtros` (sem filtros: a carteira inteira). Aceita `filtros`, não `pedidos`.",
    request_body = TodosRequest,
    responses(
        (status = 202, description = "job criado", body = JobCreated),
        (status = 400, description = "corpo inválido (a mensagem diz qual campo)", body = ErrorBody),
        (status = 429, description = "jobs demais esperando; tente mais tarde", body = ErrorBody),
        (status = 503, description = "banco indisponível", body = ErrorBody)))]
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

/// A job id of the wrong form names no job: 404 before any queue is asked.
fn check_id(id: &str) -> Result<(), ApiError> {
    if crate::jobs::valid_job_id(id) {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "job {:?} não encontrado: um id de job tem a forma de um UUID",
            id.chars().take(64).collect::<String>()
        )))
    }
}

#[utoipa::path(get, path = "/api/ruptura/jobs/{id}", tag = "jobs",
    summary = "Estado e contagens de um job",
    params(("id" = String, Path, description = "o `job_id` devolvido ao criar o job")),
    responses(
        (status = 200, description = "estado do job", body = JobStatus),
        (status = 404, description = "job desconhecido ou expirado", body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
    check_id(&id)?;
    state
        .jobs
        .status(&id)
        .await?
        .map(Json)
        .ok_or_else(|| unknown(&id))
}

/// Todos os resultados concluídos até agora.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobResults {
    pub job_id: String,
    #[schema(value_type = std::collections::HashMap<String, ruptura_app::wire::Resultado>)]
    pub resultados: Resultados,
}

#[utoipa::path(get, path = "/api/ruptura/jobs/{id}/resultados", tag = "jobs",
    summary = "Resultados de um job concluídos até agora",
    params(("id" = String, Path, description = "o `job_id` devolvido ao criar o job")),
    responses(
        (status = 200, description = "os resultados por número de pedido", body = JobResults),
        (status = 404, description = "job desconhecido ou expirado", body = ErrorBody)))]
pub async fn resultados(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobResults>, ApiError> {
    check_id(&id)?;
    let results = state.jobs.results(&id).await?.ok_or_else(|| unknown(&id))?;
    Ok(Json(JobResults {
        job_id: id,
        resultados: Resultados(results),
    }))
}

/// `data` de um evento `lote`.
#[derive(Debug, ToSchema)]
pub struct EventoLote {
    pub job_id: String,
    /// Índice do lote (0, 1, ...), na ordem em que foi criado.
    pub lote_index: usize,
    /// Os resultados do lote, por número de pedido.
    pub resultados: std::collections::HashMap<String, ruptura_app::wire::Resultado>,
    /// Pedidos analisados até agora.
    pub processados: usize,
    pub total_pedidos: usize,
    pub erros: usize,
    pub pedidos_ok: usize,
    pub pedidos_com_ruptura: usize,
}

/// `data` de um evento `falhou`.
#[derive(Debug, ToSchema)]
pub struct EventoFalhou {
    pub job_id: String,
    /// Por que o job falhou.
    pub message: String,
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
    summary = "Progresso de um job ao vivo (server-sent events)",
    description = "Um fluxo `text/event-stream`. Cada evento tem um `id` (1, 2, ...), um nome e, em `data`, um objeto JSON:\n\n- `lote`: um lote concluído; `data` é um `EventoLote` (os resultados do lote e as contagens até ali);\n- `concluido`: o job terminou; `data` são as `Estatisticas` do job;\n- `falhou`: o job falhou; `data` é um `EventoFalhou`.\n\nO fluxo termina depois de `concluido` ou `falhou`. Um cliente que reconecta com o cabeçalho `Last-Event-ID` recebe só os eventos seguintes.",
    params(("id" = String, Path, description = "o `job_id` devolvido ao criar o job"),
        ("Last-Event-ID" = Option<u64>, Header, description = "o id do último evento recebido (reconexão)")),
    responses(
        (status = 200, description = "eventos `lote`, depois `concluido` ou `falhou`", content_type = "text/event-stream", body = EventoLote),
        (status = 404, description = "job desconhecido ou expirado", body = ErrorBody)))]
pub async fn eventos(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    check_id(&id)?;
    let after = match headers.get("last-event-id") {
        None => 0,
        Some(v) => v
            .to_str()
            .ok()
            .map(str::trim)
            .and_then(|v| {
                if v.is_empty() {
                    Some(0)
                } else {
                    v.parse::<u64>().ok()
                }
            })
            .ok_or_else(|| {
                ApiError::BadRequest(
                    "Last-Event-ID inválido: use o id (inteiro) do último evento recebido".into(),
                )
            })?,
    };
    let events = state
        .jobs
        .events(&id, after)
        .await?
        .ok_or_else(|| unknown(&id))?;
    let token = state.shutdown.clone();
    let farewell_id = id.clone();
    let live = events
        .map(move |e| Ok(to_sse(&id, e)))
        .take_until(token.clone().cancelled_owned());
    // Cut by a shutdown: one last event (no id, so Last-Event-ID keeps the last real one) says
    // why, instead of a silent end.
    let farewell = futures::stream::once(async move {
        token.is_cancelled().then(|| {
            Ok(Event::default().event("encerrando").data(
                json!({
                    "job_id": farewell_id,
                    "message": "o servidor está encerrando: reconecte com Last-Event-ID; \
                                com a fila em processo (sem Redis) o job em andamento se perde \
                                e a análise deve ser enviada de novo",
                })
                .to_string(),
            ))
        })
    })
    .filter_map(futures::future::ready);
    Ok(Sse::new(live.chain(farewell)).keep_alive(KeepAlive::default()))
}
