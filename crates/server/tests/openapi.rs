//! The API description a newcomer tries first: every operation's example is accepted by the
//! server as it is ("Try it out" works out of the box), the limits it states are the ones the
//! server enforces, and every route the page and the old page scripts call is described.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::TestApp;
use ruptura_app::runs::RunLog;
use ruptura_app::Settings;
use ruptura_server::jobs::{LocalQueue, LocalQueueConfig};
use ruptura_server::{AppState, Auth, ServerConfig};
use ruptura_testkit::vectors_dir;
use serde_json::Value;

/// The app over the basic scenario (orders P1 and P2), which the examples name.
/// Its whole-book jobs are recorded as runs (in the same SQLite file), so the routes of SPEC 8.5
/// answer too.
async fn app() -> TestApp {
    let data = ruptura_import::load_paths(&[vectors_dir().join("01-basico")]).expect("import");
    let app = TestApp::new(&data).await;
    let url = format!("sqlite://{}", app.dir.path().join("t.db").display());
    let runs = RunLog::new(ruptura_store::connect_runs(&url).await.expect("runs"), 30);
    let queue = LocalQueue::new(Arc::clone(&app.store), LocalQueueConfig::default())
        .recording(Some(runs.clone()));
    let state = AppState::with_queue(
        Arc::clone(&app.store),
        Settings::default(),
        ServerConfig::default(),
        Auth::new(None),
        Arc::new(queue),
    )
    .with_runs(Some(runs));
    TestApp { state, ..app }
}

/// Follows a `$ref` to `#/components/schemas/X`.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The example of a request body: the media type's own, or its schema's.
fn body_example(spec: &Value, op: &Value) -> Option<Value> {
    let media = &op["requestBody"]["content"]["application/json"];
    if media.is_null() {
        return None;
    }
    let example = media["example"].clone();
    if !example.is_null() {
        return Some(example);
    }
    let schema = resolve(spec, &media["schema"]);
    Some(schema["example"].clone())
}

/// The path with each parameter replaced by its example (a job id by a job just created).
fn concrete_path(path: &str, op: &Value, job_id: &str) -> String {
    let mut out = path.to_string();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] != "path" {
            continue;
        }
        let name = p["name"].as_str().expect("name");
        let value = match name {
            "id" => job_id.to_string(),
            _ => p["example"]
                .as_str()
                .or_else(|| p["schema"]["example"].as_str())
                .unwrap_or_else(|| panic!("{path}: parameter {name} has no example"))
                .to_string(),
        };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

#[tokio::test]
async fn every_operation_example_is_accepted_by_the_server() {
    let app = app().await;
    let spec = app.get("/api/openapi.json").await.json();
    let created = app
        .post("/api/ruptura/jobs", r#"{"pedidos": ["P1", "P2"]}"#)
        .await;
    assert_eq!(created.status, StatusCode::ACCEPTED);
    let job_id = created.json()["job_id"].as_str().expect("id").to_string();
    app.wait_job(&job_id).await;
    // Two whole-book runs, for the examples of /execucoes and /mudancas.
    for _ in 0..2 {
        let whole = app.post("/api/ruptura/jobs", "{}").await;
        assert_eq!(whole.status, StatusCode::ACCEPTED);
        let id = whole.json()["job_id"].as_str().expect("id").to_string();
        app.wait_job(&id).await;
    }

    let mut tried = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "delete" => Method::DELETE,
                _ => continue,
            };
            if path == "/api/ruptura/jobs/{id}/eventos" || path.starts_with("/api/auth") {
                // An event stream (read in api.rs) and the session routes (they need a token).
                continue;
            }
            let uri = concrete_path(path, op, &job_id);
            let body = body_example(&spec, op);
            if let Some(b) = &body {
                assert!(
                    !b.is_null(),
                    "{method} {path}: the request body has no example"
                );
            }
            let text = body.map(|b| b.to_string());
            let reply = app.call(method.clone(), &uri, text.as_deref(), &[]).await;
            assert!(
                reply.status.is_success(),
                "{method} {path}: the example {text:?} got {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            );
            tried += 1;
        }
    }
    assert!(tried >= 15, "only {tried} operations tried");
}

/// The limits the description states are those the server enforces: the bound itself is
/// accepted and one past it refused.
#[tokio::test]
async fn stated_limits_are_the_enforced_ones() {
    let app = app().await;
    let spec = app.get("/api/openapi.json").await.json();
    let lote = &spec["paths"]["/carteira/api/ruptura/analisar-lote-async"]["post"];
    let media = &lote["requestBody"]["content"]["application/json"]["schema"];
    let schema = resolve(&spec, media).clone();
    let props = &schema["properties"];
    for field in ["tamanho_lote", "max_workers"] {
        let min = props[field]["minimum"].as_i64().expect(field);
        let max = props[field]["maximum"].as_i64().expect(field);
        for (value, ok) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
            let body = format!(r#"{{"pedidos": ["P1"], "{field}": {value}}}"#);
            let r = app
                .post("/carteira/api/ruptura/analisar-lote-async", &body)
                .await;
            assert_eq!(r.status.is_success(), ok, "{body}: {}", r.status);
        }
    }
    assert_eq!(props["pedidos"]["minItems"], 1);
    assert_eq!(props["pedidos"]["maxItems"], 20_000);
    // A blank order number is refused: the items must hold a non-space character.
    assert_eq!(resolve(&spec, &props["pedidos"]["items"])["pattern"], "\\S");
    assert_eq!(props["data_base"]["format"], "date");
    // An optional enum: `oneOf` null and the enum's schema.
    let modo = props["modo"]["oneOf"]
        .as_array()
        .and_then(|v| v.iter().find(|s| !s["$ref"].is_null()))
        .unwrap_or(&props["modo"]);
    let modos: BTreeSet<&str> = resolve(&spec, modo)["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        modos.contains("independente") && modos.contains("sequencial"),
        "{modos:?}"
    );
    for modo in &modos {
        let body = format!(r#"{{"pedidos": ["P1"], "modo": "{modo}"}}"#);
        let r = app
            .post("/carteira/api/ruptura/analisar-lote-async", &body)
            .await;
        assert!(r.status.is_success(), "{body}: {}", r.status);
    }

    // The order list's paging.
    let list = &spec["paths"]["/api/carteira/pedidos"]["get"]["parameters"];
    let param = |name: &str| -> Value {
        list.as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}"))["schema"]
            .clone()
    };
    let per_page = param("por_pagina");
    let max = per_page["maximum"].as_i64().expect("por_pagina maximum");
    let min = per_page["minimum"].as_i64().expect("por_pagina minimum");
    for (value, ok) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
        let r = app
            .get(&format!("/api/carteira/pedidos?por_pagina={value}"))
            .await;
        assert_eq!(
            r.status.is_success(),
            ok,
            "por_pagina={value}: {}",
            r.status
        );
    }
    assert_eq!(param("pagina")["minimum"], 1);
    let r = app.get("/api/carteira/pedidos?pagina=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// The options every analysis request takes (`OpcoesAnalise`, flattened into each body) stand in
/// each request's schema as plain properties beside `pedidos` and `filtros`, alike in all three:
/// the description lists the fields the server reads, not an `allOf` of Rust structs.
#[tokio::test]
async fn analysis_options_are_plain_properties_of_every_request() {
    let spec = app().await.get("/api/openapi.json").await.json();
    let schemas = &spec["components"]["schemas"];
    const OPTIONS: [&str; 6] = [
        "tamanho_lote",
        "max_workers",
        "data_base",
        "modo",
        "parcial_minimo_valor",
        "parcial_minimo_pct",
    ];
    let without_description = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("description");
        }
        v
    };
    for (name, own) in [
        ("LoteRequest", &["pedidos"][..]),
        ("JobRequest", &["pedidos", "filtros"][..]),
        ("TodosRequest", &["filtros"][..]),
    ] {
        let schema = &schemas[name];
        assert!(schema.get("allOf").is_none(), "{name}: {schema}");
        assert_eq!(schema["type"], "object", "{name}");
        let props: BTreeSet<&str> = schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        let expected: BTreeSet<&str> = own.iter().chain(&OPTIONS).copied().collect();
        assert_eq!(props, expected, "{name}");
        for option in OPTIONS {
            assert_eq!(
                without_description(&schema["properties"][option]),
                without_description(&schemas["JobRequest"]["properties"][option]),
                "{name}.{option}"
            );
        }
    }
}

/// The five counts of a run (`Contagens`, flattened into each) are plain, required properties of
/// `Estatisticas`, of a job's status and of a `lote` event, as they are on the wire.
#[tokio::test]
async fn counts_are_plain_properties_of_statistics_status_and_events() {
    let spec = app().await.get("/api/openapi.json").await.json();
    let schemas = &spec["components"]["schemas"];
    for name in ["Estatisticas", "JobStatus", "EventoLote"] {
        let schema = &schemas[name];
        assert!(schema.get("allOf").is_none(), "{name}: {schema}");
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for count in [
            "total_pedidos",
            "processados",
            "erros",
            "pedidos_ok",
            "pedidos_com_ruptura",
        ] {
            assert_eq!(
                schema["properties"][count]["type"], "integer",
                "{name}.{count}"
            );
            assert!(required.contains(count), "{name}.{count} not required");
        }
    }
}

/// Every route the page (`web/app.js`) and the old page scripts call is in the description, and
/// the description is written for people: summaries, Portuguese, no Rust links.
#[tokio::test]
async fn every_route_the_page_and_the_old_scripts_call_is_described() {
    let app = app().await;
    let spec = app.get("/api/openapi.json").await.json();
    let paths: BTreeSet<String> = spec["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(|p| normalise(p))
        .collect();
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/app.js"))
        .expect("web/app.js");
    let mut called = page_routes(&page);
    assert!(called.len() >= 5, "{called:?}");
    called.extend(
        [
            "/carteira/api/ruptura/analisar-lote-async",
            "/carteira/api/ruptura/analisar-pedido/{x}",
            "/carteira/api/ruptura/sem-cache/analisar-pedido/{x}",
            "/carteira/api/ruptura/analisar-todos-async",
            "/carteira/api/ruptura/atualizar-visual-separacao",
            "/api/ruptura/analisar-lote-async",
            "/api/ruptura/analisar-pedido/{x}",
            "/api/carteira/filtros",
        ]
        .map(String::from),
    );
    for route in &called {
        assert!(
            paths.contains(route),
            "{route} is not described; described: {paths:?}"
        );
    }
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty(), "{method} {path}: no summary");
            assert!(
                !summary.ends_with(' ') && !summary.contains("[`"),
                "{method} {path}: {summary:?}"
            );
            let text = op.to_string();
            assert!(
                !text.contains("[`"),
                "{method} {path}: a Rust doc link in {text}"
            );
        }
    }
    let text = spec.to_string();
    for english in [
        "Orders per batch",
        "Reference date",
        "Analyses",
        "Starts a job",
    ] {
        assert!(
            !text.contains(english),
            "English text {english:?} in the description"
        );
    }
}

/// `/x/{anything}` -> `/x/{x}`.
fn normalise(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if part.starts_with('{') || part.starts_with("${") {
                "{x}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The API paths quoted in the page's script (template parameters as `{x}`).
fn page_routes(js: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, quote) in js.char_indices() {
        if !matches!(quote, '\'' | '"' | '`') {
            continue;
        }
        let rest = &js[i + 1..];
        if !(rest.starts_with("/api/") || rest.starts_with("/carteira/api/")) {
            continue;
        }
        let end = rest.find([quote, '?']).unwrap_or(rest.len());
        out.insert(normalise(&rest[..end]));
    }
    out
}

/// Every schema of the description and every property of each says what it is, in Portuguese:
/// none is left without a description (on itself, or on the reference of a nullable field),
/// and no description is in English (judged by English words that Portuguese never uses).
#[tokio::test]
async fn every_schema_and_property_is_described_in_portuguese() {
    let app = app().await;
    let spec = app.get("/api/openapi.json").await.json();
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    assert!(schemas.len() >= 40, "{} schemas", schemas.len());
    let described = |v: &Value| {
        let own = v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty());
        own || v["oneOf"].as_array().is_some_and(|items| {
            items.iter().any(|i| {
                i["description"]
                    .as_str()
                    .is_some_and(|d| !d.trim().is_empty())
            })
        })
    };
    let mut missing = Vec::new();
    for (name, schema) in schemas {
        if !described(schema) {
            missing.push(name.clone());
        }
        for (prop, value) in schema["properties"].as_object().into_iter().flatten() {
            if !described(value) {
                missing.push(format!("{name}.{prop}"));
            }
        }
    }
    assert!(missing.is_empty(), "without a description: {missing:?}");

    // Every description string under the schemas, wherever it is.
    fn texts<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    match (k.as_str(), x) {
                        ("description", Value::String(s)) => out.push((path.clone(), s)),
                        // Examples are data, not descriptions.
                        ("example" | "examples", _) => {}
                        _ => texts(x, format!("{path}/{k}"), out),
                    }
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    texts(x, format!("{path}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    texts(&spec["components"]["schemas"], String::new(), &mut all);
    const ENGLISH: [&str; 16] = [
        "the", "of", "when", "and", "or", "is", "by", "with", "which", "what", "whether", "order",
        "orders", "sum", "its", "not",
    ];
    let english: Vec<String> = all
        .iter()
        .filter(|(_, text)| {
            // Code in backticks is wire names and values, not prose.
            let prose: String = text.split('`').step_by(2).collect::<Vec<_>>().join(" ");
            prose
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| ENGLISH.contains(&w.to_lowercase().as_str()))
        })
        .map(|(path, text)| format!("{path}: {text}"))
        .collect();
    assert!(english.is_empty(), "in English: {english:#?}");
}
