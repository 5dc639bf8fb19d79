//! Routes the old system's page scripts call, so they run unmodified against Ruptura: the
//! `sem-cache` spelling of the single-order analysis (its latest `ruptura-estoque.js`) and the
//! row refresh after a shipment is created (`atualizar-visual-separacao`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::routes::analysis::{self, body_error, PedidoQuery};
use crate::AppState;

/// The same as `analisar-pedido` (Ruptura never caches: every analysis reads fresh data); the
/// old system's latest page script calls this spelling.
#[utoipa::path(get, path = "/carteira/api/ruptura/sem-cache/analisar-pedido/{num_pedido}", tag = "compatibilidade",
    summary = "Analisa um pedido (grafia sem-cache do script antigo)",
    description = "A mesma resposta de `analisar-pedido`: o Ruptura nunca usa cache, toda análise lê dados novos. O script `ruptura-estoque.js` mais recente do sistema antigo chama esta grafia.",
    params(("num_pedido" = String, Path, description = "número do pedido", example = "P1"), PedidoQuery),
    responses(
        (status = 200, description = "o resultado do pedido", body = ruptura_app::wire::Resultado),
        (status = 404, description = "pedido sem linha aberta ativa", body = ruptura_app::wire::Resultado),
        (status = 400, description = "data_base inválida", body = ErrorBody)))]
pub async fn analisar_pedido_sem_cache(
    state: State<AppState>,
    num_pedido: Path<String>,
    query: Query<PedidoQuery>,
) -> Result<Response, ApiError> {
    analysis::analisar_pedido(state, num_pedido, query).await
}

/// Body of `atualizar-visual-separacao`.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"num_pedido": "P1", "data_expedicao": "2026-03-05"}))]
pub struct VisualSeparacaoRequest {
    /// Número do pedido (texto).
    #[schema(min_length = 1, example = "P1")]
    pub num_pedido: String,
    /// Data de expedição da separação criada, AAAA-MM-DD (ou DD/MM/AAAA); sem ela, a menor
    /// expedição das linhas do pedido.
    #[schema(example = "2026-03-05")]
    pub data_expedicao: Option<String>,
}

/// How the order's row should look now.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisualPedido {
    pub num_pedido: String,
    /// A data enviada, ou a menor expedição das linhas do pedido (AAAA-MM-DD), ou null.
    pub data_expedicao: Option<String>,
    /// Verdadeiro quando o pedido tem uma separação em aberto (`sincronizado_nf` falso ou nulo).
    pub tem_separacao: bool,
    /// `table-success` com separação em aberto, senão vazio.
    pub cor_linha: String,
    /// `pedido-com-separacao` com separação em aberto, senão vazio.
    pub classe_css: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisualSeparacaoResposta {
    /// Sempre verdadeiro.
    pub success: bool,
    pub pedido: VisualPedido,
}

/// After the old page creates a shipment ("separação") for an order, it asks how the order's
/// row should look; answered as the old system did.
#[utoipa::path(post, path = "/carteira/api/ruptura/atualizar-visual-separacao", tag = "compatibilidade",
    summary = "Como mostrar a linha de um pedido depois de criar uma separação",
    description = "Chamada pela página do sistema antigo depois de criar uma separação: `tem_separacao` é verdadeiro quando o pedido tem uma linha de separacao em aberto (`sincronizado_nf` falso ou nulo), e então `cor_linha` é `table-success` e `classe_css` é `pedido-com-separacao`.",
    request_body = VisualSeparacaoRequest,
    responses(
        (status = 200, description = "o estado da linha do pedido", body = VisualSeparacaoResposta),
        (status = 400, description = "sem num_pedido, ou data_expedicao inválida", body = ErrorBody),
        (status = 404, description = "pedido desconhecido", body = ErrorBody),
        (status = 503, description = "banco indisponível", body = ErrorBody)))]
pub async fn atualizar_visual_separacao(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VisualSeparacaoResposta>, ApiError> {
    let body = body.map_err(body_error)?;
    let bad = |m: &str| ApiError::BadRequest(m.to_string());
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("o corpo não é um JSON válido: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(bad(
            "o corpo deve ser um objeto JSON, por exemplo {\"num_pedido\": \"P1\"}",
        ));
    };
    let num_pedido = match obj.get("num_pedido") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        // The old page may send the number as read from a data attribute.
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad("número do pedido não informado (\"num_pedido\")")),
    };
    let data_expedicao = match obj.get("data_expedicao") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => {
            let s = s.trim();
            let valid = ["%Y-%m-%d", "%d/%m/%Y"]
                .iter()
                .any(|f| NaiveDate::parse_from_str(s, f).is_ok());
            if !valid {
                return Err(ApiError::BadRequest(format!(
                    "\"data_expedicao\" inválida {s:?}: use AAAA-MM-DD"
                )));
            }
            Some(s.to_string())
        }
        Some(_) => return Err(bad("\"data_expedicao\" deve ser uma data AAAA-MM-DD")),
    };
    let Some(shipment) = state.store.order_shipment(&num_pedido).await? else {
        return Err(ApiError::NotFound(format!(
            "pedido {num_pedido} não encontrado"
        )));
    };
    let com = shipment.tem_separacao;
    Ok(Json(VisualSeparacaoResposta {
        success: true,
        pedido: VisualPedido {
            data_expedicao: data_expedicao
                .or_else(|| shipment.expedicao.map(|d| d.format("%Y-%m-%d").to_string())),
            num_pedido,
            tem_separacao: com,
            cor_linha: if com { "table-success" } else { "" }.into(),
            classe_css: if com { "pedido-com-separacao" } else { "" }.into(),
        },
    }))
}

/// The old page scripts' spellings: `sem-cache`, the row refresh and the whole-book job.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/carteira/api/ruptura/sem-cache/analisar-pedido/{num_pedido}",
            get(analisar_pedido_sem_cache),
        )
        .route(
            "/api/ruptura/sem-cache/analisar-pedido/{num_pedido}",
            get(analisar_pedido_sem_cache),
        )
        .route(
            "/carteira/api/ruptura/atualizar-visual-separacao",
            post(atualizar_visual_separacao),
        )
        .route(
            "/api/ruptura/atualizar-visual-separacao",
            post(atualizar_visual_separacao),
        )
        .route(
            "/carteira/api/ruptura/analisar-todos-async",
            post(crate::routes::jobs::analisar_todos),
        )
}
