//! The API description at `/api/openapi.json` and a docs page at `/api/docs`.

use axum::Router;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Ruptura", description = "Análise de ruptura de estoque da carteira de pedidos"),
    paths(
        crate::routes::analysis::analisar_lote,
        crate::routes::analysis::analisar_pedido,
        crate::routes::jobs::criar,
        crate::routes::jobs::analisar_todos,
        crate::routes::jobs::status,
        crate::routes::jobs::resultados,
        crate::routes::jobs::eventos,
        crate::routes::runs::execucoes,
        crate::routes::runs::mudancas,
        crate::routes::produtos::produtos,
        crate::routes::produtos::produtos_do_job,
        crate::routes::system::health,
        crate::auth::open_session,
        crate::auth::close_session,
        crate::auth::status,
        crate::web::pedidos,
    ),
    tags(
        (name = "analise", description = "Análise de pedidos"),
        (name = "jobs", description = "Análises grandes com progresso ao vivo"),
        (name = "mudancas", description = "Execuções registradas e o que mudou entre elas"),
        (name = "carteira", description = "A carteira de pedidos, para a página"),
        (name = "auth", description = "Sessão para a página quando API_TOKEN está definido"),
        (name = "sistema")
    )
)]
pub struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}
