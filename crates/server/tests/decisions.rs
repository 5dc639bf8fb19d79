//! SPEC 8.1-8.4 through the HTTP API: every decision scenario of ../shared/vectors-decisoes
//! through the batch API, `POST /api/ruptura/produtos`, and a job (its status, its `concluido`
//! event and `GET /api/ruptura/jobs/{id}/produtos`), compared with the whole `expected.json`;
//! priority mode on the single-order route; every bad input of the new fields.

mod common;

use axum::http::StatusCode;
use common::{book, read_events, TestApp};
use ruptura_app::Settings;
use ruptura_engine::CriticalityRule;
use ruptura_server::ServerConfig;
use ruptura_testkit::Scenario;
use serde_json::{json, Value};

const LOTE: &str = "/carteira/api/ruptura/analisar-lote-async";

fn settings_of(s: &Scenario) -> Settings {
    Settings {
        horizon_days: s.param_u32("horizon"),
        lead_time_days: s.param_u32("lead"),
        criticality: s
            .param_str("regra")
            .parse::<CriticalityRule>()
            .expect("regra"),
        ..Settings::default()
    }
}

/// The body of a request for the scenario: its orders (or the whole book), mode, date and
/// minimums as request fields.
fn body_of(s: &Scenario, whole_book_as_list: bool) -> Value {
    let mut body = json!({
        "data_base": s.param_str("today"),
        "modo": s.param_str("mode"),
        "tamanho_lote": 2,
        "max_workers": 3,
    });
    match s.pedidos() {
        Some(list) => body["pedidos"] = json!(list),
        None if whole_book_as_list => body["pedidos"] = json!(s.found()),
        None => {}
    }
    for (param, field) in [
        ("parcial_min_valor", "parcial_minimo_valor"),
        ("parcial_min_pct", "parcial_minimo_pct"),
    ] {
        if let Some(v) = s.param_minimum(param) {
            body[field] = json!(v);
        }
    }
    body
}

#[tokio::test]
async fn decision_scenarios_through_the_batch_api_products_and_jobs() {
    let mut diffs = Vec::new();
    let all = Scenario::all_decisions();
    assert!(all.len() >= 4, "found {}", all.len());
    for s in all {
        let data = ruptura_import::load_paths(&[&s.dir]).expect("import");
        let app = TestApp::with(&data, settings_of(&s), ServerConfig::default(), None).await;

        // The batch API: resultados and estatisticas.
        let reply = app.post(LOTE, &body_of(&s, true).to_string()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", s.name, reply.json());
        s.check_document(&reply.json(), &mut diffs);

        // The products of the same orders: produtos and estatisticas.
        let reply = app
            .post("/api/ruptura/produtos", &body_of(&s, false).to_string())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", s.name, reply.json());
        let v = reply.json();
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["estatisticas", "produtos"]
        );
        s.check_document(&v, &mut diffs);

        // A job over the same orders: its status, its final event and its products.
        let reply = app
            .post("/api/ruptura/jobs", &body_of(&s, false).to_string())
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", s.name);
        let id = reply.json()["job_id"].as_str().unwrap().to_string();
        let status = app.wait_job(&id).await;
        assert_eq!(status["estado"], "concluido", "{}", s.name);
        let expected_stats = &s.expected["estatisticas"];
        for key in ["por_prazo", "valor_total", "valor_com_ruptura", "valor_agora"] {
            ruptura_testkit::compare(
                &format!("{}:status.{key}", s.name),
                key,
                &expected_stats[key],
                &status[key],
                &mut diffs,
            );
        }
        let reply = app.get(&format!("/api/ruptura/jobs/{id}/produtos")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", s.name);
        s.check_document(&reply.json(), &mut diffs);
        let reply = app.get(&format!("/api/ruptura/jobs/{id}/resultados")).await;
        s.check_document(&reply.json(), &mut diffs);
        let (addr, stop, task) = app.spawn().await;
        let (events, ended) = read_events(
            addr,
            &format!("/api/ruptura/jobs/{id}/eventos"),
            &[],
            usize::MAX,
        )
        .await;
        assert!(ended);
        let last = events.last().expect("events");
        assert_eq!(last.event, "concluido");
        s.check_document(&json!({"estatisticas": last.data}), &mut diffs);
        let _ = stop.send(());
        task.await.unwrap();
    }
    assert!(
        diffs.is_empty(),
        "{} difference(s):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[tokio::test]
async fn single_order_route_takes_priority_mode() {
    let s = Scenario::all_decisions()
        .into_iter()
        .find(|s| s.name.starts_with("23-"))
        .expect("scenario 23");
    let data = ruptura_import::load_paths(&[&s.dir]).expect("import");
    let app = TestApp::with(&data, settings_of(&s), ServerConfig::default(), None).await;
    let uri = |modo: &str| format!("/api/ruptura/analisar-pedido/P4?data_base=2026-03-02&modo={modo}");
    let priority = app.get(&uri("prioridade")).await;
    assert_eq!(priority.status, StatusCode::OK);
    let mut diffs = Vec::new();
    ruptura_testkit::compare(
        "P4",
        "P4",
        &s.expected["resultados"]["P4"],
        &priority.json(),
        &mut diffs,
    );
    assert!(diffs.is_empty(), "{diffs:?}");
    let alone = app.get(&uri("independente")).await.json();
    assert_eq!(alone["pedido_ok"], true, "alone, P4 is covered");
    let bad = app.get(&uri("turbo")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["message"].as_str().unwrap().contains("prioridade"));
}

#[tokio::test]
async fn bad_decision_input_is_a_clear_400() {
    let data = book(10);
    let app = TestApp::new(&data).await;
    for (uri, body, needle) in [
        (LOTE, json!({"pedidos": ["P1"], "modo": "turbo"}), "modo desconhecido"),
        ("/api/ruptura/produtos", json!({"modo": "turbo"}), "modo desconhecido"),
        ("/api/ruptura/jobs", json!({"modo": 3}), "prioridade"),
        (
            LOTE,
            json!({"pedidos": ["P1"], "parcial_minimo_valor": -10}),
            "negativo",
        ),
        (
            "/api/ruptura/produtos",
            json!({"parcial_minimo_pct": "metade"}),
            "inválido",
        ),
        (
            "/api/ruptura/jobs",
            json!({"parcial_minimo_pct": true}),
            "parcial_minimo_pct",
        ),
        (
            "/api/ruptura/produtos",
            json!({"pedidos": ["P1"], "filtros": {"vendedor": "Ana"}}),
            "não os dois",
        ),
        ("/api/ruptura/produtos", json!([1]), "objeto"),
    ] {
        let reply = app.post(uri, &body.to_string()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri} {body}");
        let v = reply.json();
        assert_eq!(v["success"], false);
        let message = v["message"].as_str().unwrap();
        assert!(message.contains(needle), "{uri} {body}: {message}");
    }
    let reply = app.get("/api/ruptura/jobs/nao-existe/produtos").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn openapi_lists_the_new_routes_and_enums() {
    let app = TestApp::new(&book(1)).await;
    let doc = app.get("/api/openapi.json").await.json();
    for path in ["/api/ruptura/produtos", "/api/ruptura/jobs/{id}/produtos"] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    let schemas = &doc["components"]["schemas"];
    for (name, values) in [
        ("Modo", vec!["independente", "sequencial", "prioridade"]),
        ("Prazo", vec!["sem_expedicao", "vencida", "sem_previsao", "no_prazo", "atrasa"]),
        ("Sugestao", vec!["enviar", "parcial", "aguardar"]),
        ("Criticidade", vec!["OK", "BAIXA", "MEDIA", "ALTA", "CRITICA"]),
    ] {
        let got: Vec<&str> = schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {}", schemas[name]))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(got, values, "{name}");
    }
    let resumo = &schemas["Resumo"]["properties"];
    for field in ["prazo", "sugestao", "valor_agora", "data_pronto", "dias_atraso", "expedicao"] {
        assert!(resumo.get(field).is_some(), "Resumo.{field}");
    }
    assert!(schemas["Produto"]["properties"].get("valor_destravado").is_some());
}
