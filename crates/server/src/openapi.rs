//! The API description at `/api/openapi.json` and a docs page at `/api/docs`.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::{Modify, OpenApi};
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
        crate::routes::produtos::produtos,
        crate::routes::produtos::produtos_do_job,
        crate::routes::system::health,
        crate::auth::open_session,
        crate::auth::close_session,
        crate::auth::status,
        crate::web::pedidos,
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "analise", description = "Análise de pedidos"),
        (name = "jobs", description = "Análises grandes com progresso ao vivo"),
        (name = "carteira", description = "A carteira de pedidos, para a página"),
        (name = "auth", description = "Sessão para a página quando API_TOKEN está definido"),
        (name = "sistema")
    )
)]
pub struct ApiDoc;

/// Declares `Authorization: Bearer <API_TOKEN>` (the `bearer` scheme) as the API's security.
/// Routes that need no token (`/health`, `/api/auth/*`) say so with an empty requirement.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API_TOKEN; a página usa o cookie de sessão aberto em /api/auth/sessao",
                    ))
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path == "/health" || path.starts_with("/api/auth/") {
                for op in [&mut item.get, &mut item.post, &mut item.delete]
                    .into_iter()
                    .flatten()
                {
                    op.security = Some(vec![SecurityRequirement::default()]);
                }
            }
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}
