//! The HTTP layer, in process (`oneshot`) and on a real port: every endpoint, every class of bad
//! input, the golden scenarios through the batch API, jobs and their event streams, auth.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{book, read_events, today, HeldStore, TestApp};
use ruptura_app::Settings;
use ruptura_engine::CriticalityRule;
use ruptura_server::ServerConfig;
use ruptura_testkit::Scenario;
use serde_json::json;
use tokio::sync::Semaphore;

const LOTE: &str = "/carteira/api/ruptura/analisar-lote-async";

fn orders_of(data: &ruptura_engine::records::Dataset) -> Vec<String> {
    let set: BTreeSet<String> = data
        .carteira_principal
        .as_ref()
        .expect("carteira")
        .iter()
        .map(|r| r.num_pedido.clone())
        .collect();
    set.into_iter().collect()
}

#[tokio::test]
async fn golden_scenarios_through_the_batch_api() {
    let mut diffs = Vec::new();
    for s in Scenario::all() {
        let settings = Settings {
            horizon_days: s.param_u32("horizon"),
            lead_time_days: s.param_u32("lead"),
            criticality: s
                .param_str("regra")
                .parse::<CriticalityRule>()
                .expect("regra"),
            ..Settings::default()
        };
        let data = ruptura_import::load_paths(&[&s.dir]).expect("import");
        let app = TestApp::with(&data, settings, ServerConfig::default(), None).await;
        let body = json!({
            "pedidos": s.orders.iter().collect::<Vec<_>>(),
            "data_base": s.param_str("today"),
            "modo": s.param_str("mode"),
            "tamanho_lote": 2,
            "max_workers": 3,
        });
        let reply = app.post(LOTE, &body.to_string()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", s.name);
        let v = reply.json();
        assert_eq!(v["success"], true);
        s.check(&v["resultados"], true, &mut diffs);
        let stats = &v["estatisticas"];
        let found = s.found().len();
        assert_eq!(stats["total_pedidos"], s.orders.len(), "{}", s.name);
        assert_eq!(stats["processados"], s.orders.len(), "{}", s.name);
        assert_eq!(stats["erros"], s.orders.len() - found, "{}", s.name);
        assert_eq!(
            stats["pedidos_ok"].as_u64().unwrap() + stats["pedidos_com_ruptura"].as_u64().unwrap(),
            found as u64,
            "{}",
            s.name
        );
    }
    assert!(
        diffs.is_empty(),
        "{} difference(s):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[tokio::test]
async fn both_batch_paths_answer_alike_and_duplicates_are_analysed_once() {
    let data = book(60);
    let app = TestApp::new(&data).await;
    let orders = orders_of(&data);
    let body = json!({"pedidos": [&orders[0], &orders[1], &orders[0], "NAO-EXISTE"], "data_base": "2026-03-02"});
    let a = app.post(LOTE, &body.to_string()).await.json();
    let b = app
        .post("/api/ruptura/analisar-lote-async", &body.to_string())
        .await
        .json();
    assert_eq!(a["resultados"], b["resultados"]);
    assert_eq!(a["resultados"].as_object().unwrap().len(), 3);
    assert_eq!(a["estatisticas"]["total_pedidos"], 3);
    assert_eq!(a["estatisticas"]["erros"], 1);
    assert_eq!(
        a["resultados"]["NAO-EXISTE"],
        json!({"success": false, "num_pedido": "NAO-EXISTE", "message": "Pedido não encontrado"})
    );
}

#[tokio::test]
async fn single_order_is_200_or_404() {
    let data = book(30);
    let app = TestApp::new(&data).await;
    let num = &orders_of(&data)[0];
    for prefix in ["/carteira/api", "/api"] {
        let ok = app
            .get(&format!(
                "{prefix}/ruptura/analisar-pedido/{num}?data_base=2026-03-02"
            ))
            .await;
        assert_eq!(ok.status, StatusCode::OK);
        let v = ok.json();
        assert_eq!(v["num_pedido"], num.as_str());
        assert!(v["resumo"]["criticidade"].is_string());
        let batch = app
            .post(
                LOTE,
                &json!({"pedidos": [num], "data_base": "2026-03-02"}).to_string(),
            )
            .await
            .json();
        assert_eq!(batch["resultados"][num], v);
        let missing = app
            .get(&format!("{prefix}/ruptura/analisar-pedido/NAO-EXISTE"))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.json()["message"], "Pedido não encontrado");
        let bad = app
            .get(&format!(
                "{prefix}/ruptura/analisar-pedido/{num}?data_base=ontem"
            ))
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn every_class_of_bad_input_gets_a_clear_4xx() {
    let data = book(20);
    let config = ServerConfig {
        max_orders: 3,
        body_limit: 4096,
        ..ServerConfig::default()
    };
    let app = TestApp::with(&data, Settings::default(), config, None).await;
    let cases: Vec<(&str, String, StatusCode)> = vec![
        (LOTE, "{not json".into(), StatusCode::BAD_REQUEST),
        (LOTE, "".into(), StatusCode::BAD_REQUEST),
        (LOTE, "[\"P1\"]".into(), StatusCode::BAD_REQUEST),
        (LOTE, "\"P1\"".into(), StatusCode::BAD_REQUEST),
        (LOTE, "{}".into(), StatusCode::BAD_REQUEST),
        (LOTE, r#"{"pedidos": null}"#.into(), StatusCode::BAD_REQUEST),
        (LOTE, r#"{"pedidos": []}"#.into(), StatusCode::BAD_REQUEST),
        (LOTE, r#"{"pedidos": "P1"}"#.into(), StatusCode::BAD_REQUEST),
        (
            LOTE,
            r#"{"pedidos": ["P1", 2]}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["P1", ""]}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["P1", {"a":1}]}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a","b","c","d"]}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "tamanho_lote": 0}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "tamanho_lote": 1001}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "tamanho_lote": "20"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "max_workers": 0}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "max_workers": 65}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "max_workers": -1}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "data_base": "2026-02-30"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "data_base": 20260302}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            r#"{"pedidos": ["a"], "modo": "rapido"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            LOTE,
            format!(r#"{{"pedidos": ["{}"]}}"#, "x".repeat(5000)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        ("/api/ruptura/jobs", "[1]".into(), StatusCode::BAD_REQUEST),
        (
            "/api/ruptura/jobs",
            r#"{"filtros": "tudo"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/ruptura/jobs",
            r#"{"filtros": {"cor": "azul"}}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/ruptura/jobs",
            r#"{"pedidos": ["a"], "filtros": {}}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/ruptura/jobs",
            r#"{"modo": "x"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/carteira/api/ruptura/analisar-todos-async",
            r#"{"pedidos": ["a"]}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (uri, body, want) in cases {
        let reply = app.post(uri, &body).await;
        assert_eq!(
            reply.status,
            want,
            "{uri} {body:.80}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let v = reply.json();
        assert_eq!(v["success"], false, "{body:.80}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body:.80}"
        );
    }
    // Unknown job ids, routes and methods also answer in JSON.
    for uri in [
        "/api/ruptura/jobs/nao-existe",
        "/api/ruptura/jobs/nao-existe/resultados",
        "/api/nada",
    ] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(reply.json()["success"], false);
    }
    let events = app.get("/api/ruptura/jobs/nao-existe/eventos").await;
    assert_eq!(events.status, StatusCode::NOT_FOUND);
    let wrong_method = app.call(Method::DELETE, LOTE, None, &[]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.json()["success"], false);
    let bad_page = app.get("/api/carteira/pedidos?por_pagina=0").await;
    assert_eq!(bad_page.status, StatusCode::BAD_REQUEST);
    let bad_sort = app.get("/api/carteira/pedidos?ordem=cor").await;
    assert_eq!(bad_sort.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn jobs_run_to_completion_with_results_equal_to_the_batch_api() {
    let data = book(120);
    let app = TestApp::new(&data).await;
    let orders = orders_of(&data);
    let batch = app
        .post(
            LOTE,
            &json!({"pedidos": orders, "data_base": "2026-03-02", "tamanho_lote": 7}).to_string(),
        )
        .await
        .json();

    // Named orders.
    let created = app
        .post(
            "/api/ruptura/jobs",
            &json!({"pedidos": orders, "data_base": "2026-03-02", "tamanho_lote": 7}).to_string(),
        )
        .await;
    assert_eq!(created.status, StatusCode::ACCEPTED);
    let c = created.json();
    assert_eq!(c["total_pedidos"], orders.len());
    assert_eq!(c["total_lotes"], orders.len().div_ceil(7));
    let id = c["job_id"].as_str().unwrap().to_string();
    let status = app.wait_job(&id).await;
    assert_eq!(status["estado"], "concluido");
    assert_eq!(status["processados"], orders.len());
    assert_eq!(
        status["pedidos_ok"].as_u64().unwrap()
            + status["pedidos_com_ruptura"].as_u64().unwrap()
            + status["erros"].as_u64().unwrap(),
        orders.len() as u64
    );
    let results = app
        .get(&format!("/api/ruptura/jobs/{id}/resultados"))
        .await
        .json();
    assert_eq!(results["resultados"], batch["resultados"]);
    check_exports(&app, &id, &orders, &results["resultados"]).await;

    // The whole book (no filter) and the seed's route with a filter.
    let all = app
        .post("/api/ruptura/jobs", r#"{"data_base": "2026-03-02"}"#)
        .await
        .json();
    assert_eq!(all["total_pedidos"], orders.len());
    let seller = data.carteira_principal.as_ref().unwrap()[0]
        .vendedor
        .clone()
        .expect("vendedor");
    let expected: BTreeSet<&String> = data
        .carteira_principal
        .as_ref()
        .unwrap()
        .iter()
        .filter(|r| {
            r.vendedor.as_deref() == Some(seller.as_str())
                && r.ativo
                && r.qtd_saldo_produto_pedido >= "0.001".parse().unwrap()
        })
        .map(|r| &r.num_pedido)
        .collect();
    let filtered = app
        .post(
            "/carteira/api/ruptura/analisar-todos-async",
            &json!({"filtros": {"vendedor": seller}, "data_base": "2026-03-02"}).to_string(),
        )
        .await;
    assert_eq!(filtered.status, StatusCode::ACCEPTED);
    let f = filtered.json();
    assert_eq!(f["total_pedidos"], expected.len());
    let fid = f["job_id"].as_str().unwrap();
    assert_eq!(app.wait_job(fid).await["estado"], "concluido");
    let fres = app
        .get(&format!("/api/ruptura/jobs/{fid}/resultados"))
        .await
        .json();
    let got: BTreeSet<&String> = fres["resultados"].as_object().unwrap().keys().collect();
    assert_eq!(got, expected);
    assert_eq!(
        app.wait_job(all["job_id"].as_str().unwrap()).await["estado"],
        "concluido"
    );
}

#[tokio::test]
async fn event_stream_resumes_with_last_event_id_and_delivers_every_order_once() {
    let data = book(300);
    let orders = orders_of(&data);
    // Hold the analysis until the first connection is open, so the stream is read live.
    let plain = TestApp::new(&data).await;
    let gate = Arc::new(Semaphore::new(0));
    let gated = Arc::new(HeldStore::gated(
        Arc::clone(&plain.store),
        Arc::clone(&gate),
    ));
    let app = TestApp::serving_in(plain.dir, gated);
    let (addr, stop, task) = app.spawn().await;

    let c = app
        .post("/api/ruptura/jobs", &json!({"pedidos": orders, "data_base": "2026-03-02", "tamanho_lote": 10, "max_workers": 2}).to_string())
        .await
        .json();
    let id = c["job_id"].as_str().unwrap().to_string();
    let path = format!("/api/ruptura/jobs/{id}/eventos");
    let reader = tokio::spawn({
        let path = path.clone();
        async move { read_events(addr, &path, &[], 5).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    gate.add_permits(1000);
    let (first, ended) = reader.await.unwrap();
    assert!(!ended);
    assert_eq!(first.len(), 5);
    let last = first.last().unwrap().id.unwrap().to_string();
    let (rest, ended) =
        read_events(addr, &path, &[("Last-Event-ID", last.as_str())], usize::MAX).await;
    assert!(ended, "the stream ends after the final event");

    let all: Vec<_> = first.iter().chain(rest.iter()).collect();
    let ids: Vec<u64> = all.iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(
        ids,
        (1..=all.len() as u64).collect::<Vec<_>>(),
        "ids are contiguous, nothing missed or repeated"
    );
    let (lotes, fin): (Vec<&common::SseEvent>, Vec<&common::SseEvent>) =
        all.iter().partition(|e| e.event == "lote");
    assert_eq!(fin.len(), 1);
    assert_eq!(fin[0].event, "concluido");
    assert_eq!(fin[0].data["processados"], orders.len());
    assert_eq!(lotes.len(), orders.len().div_ceil(10));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for e in &lotes {
        for k in e.data["resultados"].as_object().unwrap().keys() {
            *seen.entry(k.clone()).or_default() += 1;
        }
    }
    assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), orders);
    assert!(seen.values().all(|n| *n == 1), "every order exactly once");
    let counts: Vec<u64> = lotes
        .iter()
        .map(|e| e.data["processados"].as_u64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] < w[1]),
        "running counts grow"
    );

    // A client that connects after the end gets the whole replay.
    let (replay, ended) = read_events(addr, &path, &[], usize::MAX).await;
    assert!(ended);
    assert_eq!(replay.len(), all.len());
    stop.send(()).ok();
    task.await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_open_event_streams() {
    let data = book(40);
    let plain = TestApp::new(&data).await;
    let gate = Arc::new(Semaphore::new(0));
    let gated = Arc::new(HeldStore::gated(Arc::clone(&plain.store), gate));
    let app = TestApp::serving_in(plain.dir, gated);
    let (addr, stop, task) = app.spawn().await;
    let c = app
        .post("/api/ruptura/jobs", r#"{"data_base": "2026-03-02"}"#)
        .await
        .json();
    let path = format!(
        "/api/ruptura/jobs/{}/eventos",
        c["job_id"].as_str().unwrap()
    );
    // The job cannot progress (its load waits at the gate): the stream stays open and idle.
    let reader = tokio::spawn(async move { read_events(addr, &path, &[], usize::MAX).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!reader.is_finished());
    stop.send(()).ok();
    let (events, ended) = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("stream ends")
        .unwrap();
    // One final event says why the stream ends (issue 12).
    assert!(ended);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event, "encerrando");
    assert!(events[0].id.is_none());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("server stops")
        .unwrap();
}

#[tokio::test]
async fn slow_requests_time_out_with_json() {
    let data = book(10);
    let plain = TestApp::new(&data).await;
    let gated = Arc::new(HeldStore::gated(
        Arc::clone(&plain.store),
        Arc::new(Semaphore::new(0)),
    ));
    let config = ServerConfig {
        request_timeout: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let app = TestApp::over(plain.dir, gated, Settings::default(), config, None);
    let reply = app.post(LOTE, r#"{"pedidos": ["A"]}"#).await;
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(reply.json()["success"], false);
}

#[tokio::test]
async fn concurrent_batch_requests_each_get_their_own_results() {
    let data = book(200);
    let app = Arc::new(TestApp::new(&data).await);
    let orders = orders_of(&data);
    let chunks: Vec<Vec<String>> = orders.chunks(25).map(<[String]>::to_vec).collect();
    let mut alone = Vec::new();
    for c in &chunks {
        alone.push(
            app.post(
                LOTE,
                &json!({"pedidos": c, "data_base": "2026-03-02"}).to_string(),
            )
            .await
            .json(),
        );
    }
    let mut tasks = Vec::new();
    for c in chunks.clone() {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            app.post(
                LOTE,
                &json!({"pedidos": c, "data_base": "2026-03-02", "max_workers": 2}).to_string(),
            )
            .await
        }));
    }
    for (task, expected) in tasks.into_iter().zip(alone) {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["resultados"], expected["resultados"]);
    }
}

#[tokio::test]
async fn with_a_token_every_api_route_needs_it() {
    let data = book(20);
    let token = "s3gr3d0-de-teste";
    let app = TestApp::with(
        &data,
        Settings::default(),
        ServerConfig::default(),
        Some(token),
    )
    .await;
    let num = orders_of(&data)[0].clone();
    let job = {
        let r = app
            .call(
                Method::POST,
                "/api/ruptura/jobs",
                Some("{}"),
                &[("authorization", &format!("Bearer {token}"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        r.json()["job_id"].as_str().unwrap().to_string()
    };
    let lote_body = json!({"pedidos": [num]}).to_string();
    let routes: Vec<(Method, String, Option<&str>)> = vec![
        (Method::POST, LOTE.into(), Some(&lote_body)),
        (
            Method::POST,
            "/api/ruptura/analisar-lote-async".into(),
            Some(&lote_body),
        ),
        (
            Method::GET,
            format!("/carteira/api/ruptura/analisar-pedido/{num}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/ruptura/analisar-pedido/{num}"),
            None,
        ),
        (Method::POST, "/api/ruptura/jobs".into(), Some("{}")),
        (
            Method::POST,
            "/carteira/api/ruptura/analisar-todos-async".into(),
            Some("{}"),
        ),
        (Method::GET, format!("/api/ruptura/jobs/{job}"), None),
        (
            Method::GET,
            format!("/api/ruptura/jobs/{job}/resultados"),
            None,
        ),
        (
            Method::GET,
            format!("/api/ruptura/jobs/{job}/eventos"),
            None,
        ),
        (Method::GET, "/api/carteira/pedidos".into(), None),
        (Method::GET, "/api/carteira/filtros".into(), None),
        (Method::GET, "/api/openapi.json".into(), None),
    ];
    let bearer = format!("Bearer {token}");
    for (method, uri, body) in &routes {
        let none = app.call(method.clone(), uri, *body, &[]).await;
        assert_eq!(
            none.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} without token"
        );
        assert_eq!(none.json()["success"], false);
        let wrong = app
            .call(
                method.clone(),
                uri,
                *body,
                &[("authorization", "Bearer errado")],
            )
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} wrong token"
        );
        let in_query = app
            .call(
                method.clone(),
                &format!(
                    "{uri}{}token={token}",
                    if uri.contains('?') { "&" } else { "?" }
                ),
                *body,
                &[],
            )
            .await;
        assert_eq!(
            in_query.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} token in query"
        );
        let ok = app
            .call(method.clone(), uri, *body, &[("authorization", &bearer)])
            .await;
        assert!(
            ok.status.is_success(),
            "{method} {uri} with token: {}",
            ok.status
        );
    }
    // A session cookie, set after giving the token, works like the header (the page's way).
    let bad_login = app.post("/api/auth/sessao", r#"{"token": "errado"}"#).await;
    assert_eq!(bad_login.status, StatusCode::UNAUTHORIZED);
    let login = app
        .post("/api/auth/sessao", &json!({"token": token}).to_string())
        .await;
    assert_eq!(login.status, StatusCode::NO_CONTENT);
    let cookie = login.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains(token), "the cookie never holds the token");
    let pair = cookie.split(';').next().unwrap().to_string();
    let with_cookie = app
        .call(Method::POST, LOTE, Some(&lote_body), &[("cookie", &pair)])
        .await;
    assert_eq!(with_cookie.status, StatusCode::OK);
    let status = app
        .call(Method::GET, "/api/auth/status", None, &[("cookie", &pair)])
        .await
        .json();
    assert_eq!(status, json!({"token_exigido": true, "autenticado": true}));
    let logout = app
        .call(
            Method::DELETE,
            "/api/auth/sessao",
            None,
            &[("cookie", &pair)],
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    let after = app
        .call(Method::POST, LOTE, Some(&lote_body), &[("cookie", &pair)])
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // Health stays open; it says nothing secret.
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
}

#[tokio::test]
async fn health_openapi_docs_and_page() {
    let data = book(20);
    let app = TestApp::new(&data).await;
    let h = app.get("/health").await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.json()["banco"], "ok");
    let spec = app.get("/api/openapi.json").await.json();
    let paths = spec["paths"].as_object().expect("paths");
    for p in [
        "/api/ruptura/analisar-lote-async",
        "/carteira/api/ruptura/analisar-pedido/{num_pedido}",
        "/api/ruptura/jobs",
        "/api/ruptura/jobs/{id}",
        "/api/ruptura/jobs/{id}/resultados",
        "/api/ruptura/jobs/{id}/eventos",
        "/carteira/api/ruptura/analisar-todos-async",
        "/health",
    ] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }
    // The sorts documented are the ones the order list takes (the analysis ones need job_id).
    let schemas = &spec["components"]["schemas"];
    let sorts: Vec<&str> = schemas["OrdemCarteira"]["enum"]
        .as_array()
        .expect("OrdemCarteira lists the sorts")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        sorts.contains(&"num_pedido") && sorts.contains(&"dias_atraso"),
        "{sorts:?}"
    );
    for sort in &sorts {
        let r = app
            .get(&format!("/api/carteira/pedidos?ordem={sort}"))
            .await;
        let needs_job = r.status == StatusCode::BAD_REQUEST
            && String::from_utf8_lossy(&r.body).contains("job_id");
        assert!(
            r.status == StatusCode::OK || needs_job,
            "ordem={sort}: {}",
            r.status
        );
    }
    let unknown = app.get("/api/carteira/pedidos?ordem=cor").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&unknown.body).contains("dias_atraso"));
    // The order list's rows go out as the store reads them, money as a number.
    assert_eq!(
        schemas["PedidoCarteira"]["properties"]["valor_total"]["type"],
        "number"
    );
    let docs = app.get("/api/docs/").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&docs.body)
        .to_lowercase()
        .contains("swagger"));
    let page = app.get("/carteira").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.headers.contains_key("content-security-policy"));
}

#[tokio::test]
async fn order_list_filters_sorts_and_pages() {
    let data = book(150);
    let app = TestApp::new(&data).await;
    let all = app
        .get("/api/carteira/pedidos?por_pagina=1000")
        .await
        .json();
    let total = all["total"].as_u64().unwrap() as usize;
    assert_eq!(total, orders_of(&data).len());
    let page2 = app
        .get("/api/carteira/pedidos?por_pagina=40&pagina=2&ordem=valor&direcao=desc")
        .await
        .json();
    let values: Vec<f64> = page2["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["valor_total"].as_f64().unwrap())
        .collect();
    assert_eq!(values.len(), 40);
    assert!(values.windows(2).all(|w| w[0] >= w[1]));
    let uf = all["pedidos"][0]["cod_uf"].as_str().unwrap().to_string();
    let by_uf = app
        .get(&format!(
            "/api/carteira/pedidos?estado={uf}&por_pagina=1000"
        ))
        .await
        .json();
    let n = by_uf["total"].as_u64().unwrap() as usize;
    assert!(n > 0 && n < total);
    assert!(by_uf["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["cod_uf"] == uf.as_str()));
    let num = all["pedidos"][3]["num_pedido"]
        .as_str()
        .unwrap()
        .to_string();
    let by_text = app
        .get(&format!("/api/carteira/pedidos?busca={}", &num[2..]))
        .await
        .json();
    assert!(by_text["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["num_pedido"] == num.as_str()));
    let facets = app.get("/api/carteira/filtros").await.json();
    assert!(facets["estados"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == uf.as_str()));
    let _ = today();
}

/// PostgreSQL going away while serving: requests get 503 with a JSON message (never a hang or a
/// 500), health says so, and the service recovers by itself when the database returns. The
/// outage is a proxy the test stops, so the shared PostgreSQL server keeps running.
#[tokio::test]
async fn a_database_outage_gives_503_and_the_service_recovers() {
    use ruptura_store::testing::TestDb;
    use ruptura_testkit::{host_port, Proxy};
    let Some(db) = TestDb::create().await else {
        return;
    };
    let upstream = host_port(&ruptura_store::testing::base_url());
    let mut proxy = Proxy::start(0, upstream.clone()).await;
    let via_proxy = db
        .url()
        .replace(&upstream, &format!("127.0.0.1:{}", proxy.port));
    let store = ruptura_store::connect(&via_proxy).await.expect("connect");
    store.migrate().await.expect("migrate");
    let data = book(40);
    store
        .import(&data, ruptura_store::ImportMode::Replace)
        .await
        .expect("import");
    let app = TestApp::serving(store);
    let body = json!({"pedidos": orders_of(&data), "data_base": "2026-03-02"}).to_string();
    let before = app.post(LOTE, &body).await;
    assert_eq!(before.status, StatusCode::OK);

    proxy.stop().await;
    let started = std::time::Instant::now();
    let down = app.post(LOTE, &body).await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&down.body)
    );
    assert_eq!(down.json()["success"], false);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get("/health").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        app.get("/api/carteira/pedidos").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        app.post("/api/ruptura/jobs", "{}").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // A job accepted before the outage is noticed ends `falhou` with a clear message.
    let job = app.post("/api/ruptura/jobs", &body).await.json();
    let status = app.wait_job(job["job_id"].as_str().expect("id")).await;
    assert_eq!(status["estado"], "falhou");
    assert!(
        status["mensagem"]
            .as_str()
            .is_some_and(|m| m.contains("indisponível")),
        "{status}"
    );

    let _back = Proxy::start(proxy.port, upstream).await;
    let after = app.post(LOTE, &body).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.json()["resultados"], before.json()["resultados"]);
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_order_list_filters_by_the_criticality_a_job_found() {
    let data = book(150);
    let app = TestApp::new(&data).await;
    let job = app
        .post("/api/ruptura/jobs", r#"{"data_base": "2026-03-02"}"#)
        .await
        .json();
    let id = job["job_id"].as_str().expect("id").to_string();
    assert_eq!(app.wait_job(&id).await["estado"], "concluido");
    let results = app
        .get(&format!("/api/ruptura/jobs/{id}/resultados"))
        .await
        .json();
    let want: BTreeSet<String> = results["resultados"]
        .as_object()
        .expect("resultados")
        .iter()
        .filter(|(_, r)| {
            matches!(
                r["resumo"]["criticidade"].as_str(),
                Some("CRITICA" | "ALTA")
            )
        })
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!want.is_empty(), "the demo book has critical orders");
    let page = app
        .get(&format!(
            "/api/carteira/pedidos?criticidade=CRITICA,ALTA&job_id={id}&por_pagina=1000"
        ))
        .await
        .json();
    assert_eq!(page["total"], want.len());
    let got: BTreeSet<String> = page["pedidos"]
        .as_array()
        .expect("pedidos")
        .iter()
        .map(|p| p["num_pedido"].as_str().expect("num").to_string())
        .collect();
    assert_eq!(got, want);
    let paged = app
        .get(&format!(
            "/api/carteira/pedidos?criticidade=CRITICA,ALTA&job_id={id}&por_pagina=5&pagina=2"
        ))
        .await
        .json();
    assert_eq!(
        paged["pedidos"].as_array().expect("pedidos").len(),
        5.min(want.len().saturating_sub(5))
    );
    assert_eq!(
        app.get("/api/carteira/pedidos?criticidade=CRITICA")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/carteira/pedidos?criticidade=CRITICA&job_id=nao-existe")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// One log line per request, naming the route and the status, and never the token.
#[tokio::test(flavor = "current_thread")]
async fn requests_are_logged_without_the_token() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let token = "segredo-que-nao-vai-ao-log";
    let data = book(10);
    let app = TestApp::with(
        &data,
        Settings::default(),
        ServerConfig::default(),
        Some(token),
    )
    .await;
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let auth = format!("Bearer {token}");
    let ok = app
        .call(
            Method::POST,
            LOTE,
            Some(r#"{"pedidos": ["X"]}"#),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let denied = app
        .call(
            Method::GET,
            &format!("/api/ruptura/jobs/x?token={token}"),
            None,
            &[],
        )
        .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    let log = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf-8");
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ruptura::http"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains("/carteira/api/ruptura/analisar-lote-async")
            && lines[0].contains("status=200"),
        "{log}"
    );
    assert!(lines[1].contains("status=401"), "{log}");
    assert!(!log.contains(token), "the token reached the log: {log}");
}

#[tokio::test]
async fn json_html_js_and_css_are_gzipped_when_accepted() {
    let data = book(60);
    let app = TestApp::new(&data).await;
    for path in [
        "/api/carteira/pedidos?por_pagina=60",
        "/carteira",
        "/static/app.js",
        "/static/style.css",
    ] {
        let plain = app.get(path).await;
        let gz = app
            .call(Method::GET, path, None, &[("accept-encoding", "gzip")])
            .await;
        assert_eq!(gz.status, StatusCode::OK, "{path}");
        assert_eq!(gz.headers["content-encoding"], "gzip", "{path}");
        assert!(
            !plain.headers.contains_key("content-encoding"),
            "{path}: only when accepted"
        );
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gz.body[..]),
            &mut unzipped,
        )
        .expect("gzip");
        assert_eq!(unzipped, plain.body, "{path}: same bytes once unzipped");
        assert!(gz.body.len() < plain.body.len() / 2, "{path}: smaller");
    }
}

#[tokio::test]
async fn the_job_stream_carries_summaries_unless_asked_for_whole_results() {
    let data = book(40);
    let app = TestApp::new(&data).await;
    let (addr, stop, task) = app.spawn().await;
    let c = app
        .post("/api/ruptura/jobs", r#"{"data_base": "2026-03-02"}"#)
        .await
        .json();
    let id = c["job_id"].as_str().unwrap().to_string();
    app.wait_job(&id).await;
    let full = app
        .get(&format!("/api/ruptura/jobs/{id}/resultados"))
        .await
        .json();
    let full = full["resultados"].as_object().unwrap();
    let lotes = |events: Vec<common::SseEvent>| -> serde_json::Map<String, serde_json::Value> {
        events
            .into_iter()
            .filter(|e| e.event == "lote")
            .flat_map(|e| e.data["resultados"].as_object().unwrap().clone())
            .collect()
    };
    let (summary, ended) = read_events(
        addr,
        &format!("/api/ruptura/jobs/{id}/eventos"),
        &[],
        usize::MAX,
    )
    .await;
    assert!(ended);
    let summary = lotes(summary);
    assert_eq!(summary.len(), full.len());
    let mut short = 0;
    for (num, s) in &summary {
        let f = &full[num];
        assert_eq!(s["resumo"], f["resumo"], "{num}: the whole summary");
        assert_eq!(s["success"], f["success"]);
        if f["success"] == true {
            assert_eq!(s["resumido"], true);
            assert!(s.get("itens").is_none() && s.get("itens_disponiveis").is_none());
            short += usize::from(!f["itens"].as_array().unwrap().is_empty());
        }
    }
    assert!(short > 0, "the book has short orders, whose lines stay out");
    let (whole, ended) = read_events(
        addr,
        &format!("/api/ruptura/jobs/{id}/eventos?completo=true"),
        &[],
        usize::MAX,
    )
    .await;
    assert!(ended);
    let whole = lotes(whole);
    for (num, r) in &whole {
        assert_eq!(r, &full[num], "{num}: whole results on request");
    }
    let bad = app
        .get(&format!("/api/ruptura/jobs/{id}/eventos?completo=talvez"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    stop.send(()).ok();
    task.await.unwrap();
}

#[tokio::test]
async fn the_order_list_is_capped_and_sorts_the_whole_filtered_book_by_a_jobs_results() {
    let data = book(150);
    let app = TestApp::new(&data).await;
    let capped = app.get("/api/carteira/pedidos?por_pagina=1001").await;
    assert_eq!(capped.status, StatusCode::BAD_REQUEST);
    assert!(capped.json()["message"]
        .as_str()
        .unwrap()
        .contains("de 1 a 1000"));
    assert_eq!(
        app.get("/api/carteira/pedidos?ordem=criticidade")
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "sorting by an analysis figure needs the job"
    );

    let job = app
        .post("/api/ruptura/jobs", r#"{"data_base": "2026-03-02"}"#)
        .await
        .json();
    let id = job["job_id"].as_str().unwrap().to_string();
    app.wait_job(&id).await;
    let results = app
        .get(&format!("/api/ruptura/jobs/{id}/resultados"))
        .await
        .json();
    let res = results["resultados"].as_object().unwrap();
    let severity = |num: &str| match res[num]["resumo"]["criticidade"].as_str() {
        Some("CRITICA") => 4,
        Some("ALTA") => 3,
        Some("MEDIA") => 2,
        Some("BAIXA") => 1,
        Some("OK") => 0,
        _ => -1,
    };
    let risk = |num: &str| {
        res[num]["resumo"]["valor_com_ruptura"]
            .as_f64()
            .unwrap_or(0.0)
    };
    // Page by page, the sequence is sorted over the whole book (worst first, then value at risk).
    let mut seq = Vec::new();
    for pagina in 1..=4 {
        let page = app
            .get(&format!(
                "/api/carteira/pedidos?ordem=criticidade&direcao=desc&job_id={id}&por_pagina=40&pagina={pagina}"
            ))
            .await
            .json();
        assert_eq!(page["total"], res.len());
        for p in page["pedidos"].as_array().unwrap() {
            seq.push(p["num_pedido"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seq.len(), res.len());
    for w in seq.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(
            (severity(a), risk(a)) >= (severity(b), risk(b)),
            "{a} before {b}"
        );
    }
    assert!(severity(&seq[0]) > severity(seq.last().unwrap()));
    let by_risk = app
        .get(&format!(
            "/api/carteira/pedidos?ordem=valor_com_ruptura&direcao=desc&job_id={id}&por_pagina=1000"
        ))
        .await
        .json();
    let risks: Vec<f64> = by_risk["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| risk(p["num_pedido"].as_str().unwrap()))
        .collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]));

    // The orders a product blocks: those with a short line of that code.
    let (num, code) = res
        .iter()
        .find_map(|(n, r)| {
            r["itens"]
                .as_array()
                .and_then(|i| i.first())
                .map(|i| (n.clone(), i["cod_produto"].as_str().unwrap().to_string()))
        })
        .expect("a short line");
    let blocked = app
        .get(&format!(
            "/api/carteira/pedidos?falta_produto={code}&job_id={id}&por_pagina=1000"
        ))
        .await
        .json();
    let nums: Vec<&str> = blocked["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["num_pedido"].as_str().unwrap())
        .collect();
    assert!(nums.contains(&num.as_str()));
    let want = res
        .values()
        .filter(|r| {
            r["itens"]
                .as_array()
                .is_some_and(|i| i.iter().any(|l| l["cod_produto"] == code.as_str()))
        })
        .count();
    assert_eq!(nums.len(), want);
}

#[tokio::test]
async fn a_ship_date_range_narrows_the_list_and_the_jobs() {
    let data = book(150);
    let app = TestApp::new(&data).await;
    let all = app
        .get("/api/carteira/pedidos?por_pagina=1000")
        .await
        .json();
    let mut dates: Vec<String> = all["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["expedicao"].as_str().map(str::to_string))
        .collect();
    dates.sort();
    let (de, ate) = (&dates[dates.len() / 4], &dates[dates.len() / 2]);
    let want: BTreeSet<String> = all["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["expedicao"]
                .as_str()
                .is_some_and(|d| d >= de.as_str() && d <= ate.as_str())
        })
        .map(|p| p["num_pedido"].as_str().unwrap().to_string())
        .collect();
    assert!(!want.is_empty() && want.len() < all["total"].as_u64().unwrap() as usize);
    let page = app
        .get(&format!(
            "/api/carteira/pedidos?expedicao_de={de}&expedicao_ate={ate}&por_pagina=1000"
        ))
        .await
        .json();
    let got: BTreeSet<String> = page["pedidos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["num_pedido"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want);
    assert_eq!(page["total"], want.len());
    let job = app
        .post(
            "/api/ruptura/jobs",
            &json!({"filtros": {"expedicao_de": de, "expedicao_ate": ate}}).to_string(),
        )
        .await;
    assert_eq!(job.status, StatusCode::ACCEPTED);
    assert_eq!(job.json()["total_pedidos"], want.len());
    for bad in [
        "/api/carteira/pedidos?expedicao_de=2026-03-09&expedicao_ate=2026-03-02",
        "/api/carteira/pedidos?expedicao_de=09/03/2026",
    ] {
        assert_eq!(app.get(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// The job's exports (made a batch at a time from what the queue keeps): one CSV row and one
/// Pedidos row per order, in the job's order, with the figures of its results; one Itens em
/// falta row per short line.
async fn check_exports(app: &TestApp, id: &str, orders: &[String], resultados: &serde_json::Value) {
    let csv = app
        .get(&format!("/api/ruptura/jobs/{id}/exportar?formato=csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = std::str::from_utf8(&csv.body[3..]).expect("utf-8");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let headers = rdr.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    let nums: Vec<&str> = rows.iter().map(|r| &r[col("num_pedido")]).collect();
    assert_eq!(nums, orders, "one row per order, in the job's order");
    for row in &rows {
        let r = &resultados[&row[col("num_pedido")]];
        let crit = r["resumo"]["criticidade"].as_str().unwrap_or("ERRO");
        assert_eq!(&row[col("criticidade")], crit);
        if let Some(v) = r["resumo"]["valor_com_ruptura"].as_f64() {
            assert_eq!(
                row[col("valor_com_ruptura")],
                format!("{v:.2}").replace('.', ",")
            );
        }
    }

    let xlsx = app
        .get(&format!("/api/ruptura/jobs/{id}/exportar?formato=xlsx"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(xlsx.body)).expect("a workbook");
    let pedidos = wb.worksheet_range("Pedidos").expect("Pedidos");
    let first: Vec<String> = pedidos.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(first, orders);
    let short: usize = resultados
        .as_object()
        .expect("object")
        .values()
        .map(|r| r["itens"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(short > 0, "some short lines");
    let itens = wb.worksheet_range("Itens em falta").expect("Itens");
    assert_eq!(itens.rows().count(), short + 1, "one row per short line");
}
