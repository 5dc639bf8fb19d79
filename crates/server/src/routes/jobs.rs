//! Jobs with live progress (SPEC 3.2).

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::Json;
use futures::{Stream, StreamExt};
use ruptura_app::wire::{Resultado, Resultados};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
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
    let whole_book =
        req.record && req.orders.is_none() && req.filter.is_empty() && req.ship.is_empty();
    let params = req.params(&state.settings);
    let orders = match req.orders {
        Some(orders) => orders,
        None if req.ship.is_empty() => state.store.order_numbers(&req.filter).await?,
        None => crate::web::orders_in_range(state, &req.filter, &req.ship).await?,
    };
    let spec = JobSpec {
        orders,
        params,
        batch_size: req.batch_size,
        max_workers: req.max_workers,
        whole_book,
    };
    Ok(state.jobs.submit(spec).await?)
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
) -> Result<axum::response::Response, ApiError> {
    check_id(&id)?;
    let resultados = state
        .jobs
        .results_json(&id)
        .await?
        .ok_or_else(|| unknown(&id))?;
    // A [`JobResults`] written as the queue hands over its pieces: a whole-book job's results
    // (~190 MB of JSON at 100,000 orders) are never held whole.
    let head = format!(
        "{{\"job_id\":{},\"resultados\":",
        serde_json::Value::String(id)
    );
    let body = futures::stream::once(async move { head.into_bytes() })
        .chain(resultados)
        .chain(futures::stream::once(async { b"}".to_vec() }))
        .map(|piece| Ok::<_, Infallible>(Bytes::from(piece)));
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// `data` de um evento `lote`.
#[derive(Debug, ToSchema)]
pub struct EventoLote {
    pub job_id: String,
    /// Índice do lote (0, 1, ...), na ordem em que foi criado.
    pub lote_index: usize,
    /// Os resultados do lote, por número de pedido.
    pub resultados: std::collections::HashMap<String, ruptura_app::wire::Resultado>,
    // The job's counts up to this batch.
    #[serde(flatten)]
    #[schema(inline)]
    pub contagens: ruptura_app::wire::Contagens,
}

/// `data` de um evento `falhou`.
#[derive(Debug, ToSchema)]
pub struct EventoFalhou {
    pub job_id: String,
    /// Por que o job falhou.
    pub message: String,
}

/// A batch's results as the page uses them: each order's RESULT without its lines (`itens`,
/// `itens_disponiveis`), so a whole-book stream carries summaries, not every projection.
struct Resumidos(Vec<Resultado>);

/// One order's summary in a `lote` event.
#[derive(Serialize)]
struct Resumido<'a> {
    success: bool,
    num_pedido: &'a str,
    pedido_ok: bool,
    percentual_disponibilidade: f64,
    data_disponibilidade_total: &'a Option<String>,
    resumo: &'a ruptura_app::wire::Resumo,
    /// Marks a summary: the order's lines are at `/resultados`.
    resumido: bool,
}

impl Serialize for Resumidos {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for r in &self.0 {
            match r {
                Resultado::Analisado(p) => map.serialize_entry(
                    &p.num_pedido,
                    &Resumido {
                        success: p.success,
                        num_pedido: &p.num_pedido,
                        pedido_ok: p.pedido_ok,
                        percentual_disponibilidade: p.percentual_disponibilidade,
                        data_disponibilidade_total: &p.data_disponibilidade_total,
                        resumo: &p.resumo,
                        resumido: true,
                    },
                )?,
                Resultado::Erro(_) => map.serialize_entry(r.num_pedido(), r)?,
            }
        }
        map.end()
    }
}

fn to_sse(job_id: &str, event: JobEvent, completo: bool) -> Event {
    let id = event.id().to_string();
    let (name, data) = match event {
        JobEvent::Lote {
            lote_index,
            resultados,
            counts,
            ..
        } => {
            // An `EventoLote`: the counts' fields beside the batch's (a JSON object's keys are
            // written sorted).
            let mut data = json!(counts);
            data["job_id"] = json!(job_id);
            data["lote_index"] = json!(lote_index);
            data["resultados"] = if completo {
                json!(Resultados(resultados))
            } else {
                json!(Resumidos(resultados))
            };
            ("lote", data)
        }
        JobEvent::Concluido { estatisticas, .. } => ("concluido", json!(estatisticas)),
        JobEvent::Falhou { message, .. } => {
            ("falhou", json!({"job_id": job_id, "message": message}))
        }
    };
    Event::default().id(id).event(name).data(data.to_string())
}

/// Options of the event stream.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventosQuery {
    /// `true`: cada evento `lote` traz os resultados inteiros (itens e projeções). Por padrão
    /// traz o resumo de cada pedido (`resumo`, sem `itens` nem `itens_disponiveis`); os
    /// resultados inteiros ficam em `/api/ruptura/jobs/{id}/resultados`.
    #[param(example = "false")]
    #[serde(default)]
    pub completo: Option<String>,
}

impl EventosQuery {
    fn completo(&self) -> Result<bool, ApiError> {
        match self.completo.as_deref().map(str::trim) {
            None | Some("") | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(other) => Err(ApiError::BadRequest(format!(
                "completo deve ser true ou false, não {other:?}"
            ))),
        }
    }
}

/// Server-sent events: one `lote` per finished batch, then `concluido` (or `falhou`). Every event
/// has an id; a client reconnecting with `Last-Event-ID` gets what it missed. `lote` events carry
/// each order's summary unless `completo=true`.
#[utoipa::path(get, path = "/api/ruptura/jobs/{id}/eventos", tag = "jobs",
    summary = "Progresso de um job ao vivo (server-sent events)",
    description = "Um fluxo `text/event-stream`. Cada evento tem um `id` (1, 2, ...), um nome e, em `data`, um objeto JSON:\n\n- `lote`: um lote concluído; `data` é um `EventoLote` (o resumo de cada pedido do lote, ou os resultados inteiros com `completo=true`, e as contagens até ali);\n- `concluido`: o job terminou; `data` são as `Estatisticas` do job;\n- `falhou`: o job falhou; `data` é um `EventoFalhou`.\n\nO fluxo termina depois de `concluido` ou `falhou`. Um cliente que reconecta com o cabeçalho `Last-Event-ID` recebe só os eventos seguintes.",
    params(("id" = String, Path, description = "o `job_id` devolvido ao criar o job"), EventosQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "o id do último evento recebido (reconexão)")),
    responses(
        (status = 200, description = "eventos `lote`, depois `concluido` ou `falhou`", content_type = "text/event-stream", body = EventoLote),
        (status = 404, description = "job desconhecido ou expirado", body = ErrorBody)))]
pub async fn eventos(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<EventosQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    check_id(&id)?;
    let completo = query
        .map_err(|e| ApiError::BadRequest(format!("parâmetros inválidos: {e}")))?
        .0
        .completo()?;
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
        .map(move |e| Ok(to_sse(&id, e, completo)))
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

/// Options of an export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportarQuery {
    /// `xlsx` (a planilha: Pedidos, Itens em falta, Produtos; o padrão) ou `csv` (Pedidos, em
    /// grafia brasileira: `;`, vírgula decimal, dd/mm/aaaa, UTF-8 com BOM).
    #[param(example = "xlsx", pattern = "^(xlsx|csv)$")]
    pub formato: Option<String>,
}

/// The results of a finished job as a workbook or a Brazilian CSV (SPEC 8.6).
#[utoipa::path(get, path = "/api/ruptura/jobs/{id}/exportar", tag = "jobs",
    params(("id" = String, Path), ExportarQuery),
    responses((status = 200, description = "o arquivo (xlsx ou csv)"), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "a análise ainda não terminou", body = ErrorBody)))]
pub async fn exportar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ExportarQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    let formato = query
        .map_err(|e| ApiError::BadRequest(format!("parâmetros inválidos: {e}")))?
        .0
        .formato
        .unwrap_or_else(|| "xlsx".to_string());
    let xlsx = match formato.trim() {
        "xlsx" => true,
        "csv" => false,
        other => {
            return Err(ApiError::BadRequest(format!(
                "formato desconhecido {other:?}: use xlsx ou csv"
            )))
        }
    };
    let status = state.jobs.status(&id).await?.ok_or_else(|| unknown(&id))?;
    if status.estado != crate::jobs::JobState::Concluido {
        return Err(ApiError::Conflict(
            "a análise ainda não terminou (ou falhou): exporte quando ela concluir".into(),
        ));
    }
    let mut batches = state
        .jobs
        .result_batches(&id)
        .await?
        .ok_or_else(|| unknown(&id))?;
    let orders = ruptura_app::export::order_summaries(state.store.as_ref()).await?;
    let produtos = crate::web::produtos_json(&state, &id).await?;
    let short_id: String = id.chars().take(8).collect();
    // Rows made a batch at a time, off the async threads: the job's results are never all
    // unpacked at once.
    let body = tokio::task::spawn_blocking(move || {
        let mut sheets = ruptura_app::export::Sheets::new(orders, xlsx)?;
        let runtime = tokio::runtime::Handle::current();
        while let Some(batch) = runtime.block_on(batches.next()) {
            sheets.add(&batch)?;
        }
        let mut buf = Vec::new();
        sheets.finish(&produtos, &mut buf).map(|()| buf)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("exportação interrompida: {e}")))?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (ctype, ext) = if xlsx {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        ("text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (CONTENT_TYPE, ctype.to_string()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"ruptura-{}-{short_id}.{ext}\"",
                    status.data_base
                ),
            ),
        ],
        body,
    )
        .into_response())
}

/// Jobs: creation, status, results and export (under the request timeout).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/ruptura/jobs", post(criar))
        .route("/api/ruptura/jobs/{id}", get(status))
        .route("/api/ruptura/jobs/{id}/resultados", get(resultados))
        .route("/api/ruptura/jobs/{id}/exportar", get(exportar))
}

/// A job's event stream: it lasts as long as its job, so no request timeout.
pub fn stream_routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/api/ruptura/jobs/{id}/eventos",
        axum::routing::get(eventos),
    )
}
