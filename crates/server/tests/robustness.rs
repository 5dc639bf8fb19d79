//! Holes a hostile review found (issue 12), each closed: files outside the page's folder, memory
//! held by finished jobs, NUL characters, CSRF, slow or idle connections, shutdown, tokens.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::*;
use ruptura_app::Settings;
use ruptura_server::ServerConfig;

/// `--web-dir` serves the files of its folder and nothing else: no absolute path, no `..`, no
/// encoded variant, no symbolic link leading out.
#[tokio::test]
async fn web_dir_serves_only_files_inside_it() {
    let outside = tempfile::tempdir().unwrap();
    let web = outside.path().join("web");
    std::fs::create_dir(&web).unwrap();
    std::fs::write(web.join("app.js"), "console.log('ok')").unwrap();
    std::fs::write(outside.path().join("segredo.txt"), "API_TOKEN=s3cret").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("segredo.txt"), web.join("atalho.txt")).unwrap();
    let config = ServerConfig {
        web_dir: Some(web.clone()),
        ..ServerConfig::default()
    };
    let app = TestApp::with(&book(5), Settings::default(), config, Some("tok")).await;

    let ok = app.get("/static/app.js").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body, b"console.log('ok')");

    let secret = outside.path().join("segredo.txt");
    let abs = secret.display().to_string();
    let attempts = [
        format!("/static/{abs}"),
        format!("/static//{abs}"),
        "/static//etc/passwd".to_string(),
        "/static//proc/self/environ".to_string(),
        "/static/../segredo.txt".to_string(),
        "/static/%2e%2e/segredo.txt".to_string(),
        "/static/%2E%2E%2Fsegredo.txt".to_string(),
        "/static/..%2fsegredo.txt".to_string(),
        "/static/%2fetc%2fpasswd".to_string(),
        "/static/x/..%2f..%2fsegredo.txt".to_string(),
        "/static/..%5csegredo.txt".to_string(),
        "/static/atalho.txt".to_string(),
        format!("/static/{}", abs.replace('/', "%2f")),
    ];
    for uri in attempts {
        let r = app.get(&uri).await;
        assert_ne!(r.status, StatusCode::OK, "{uri} foi servido");
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            !body.contains("s3cret") && !body.contains("root:"),
            "{uri}: {body}"
        );
    }
}

/// A NUL (or other control character) in an order number, a filter, a search or a job id is a
/// 400 everywhere, never a 500 nor "every order".
#[tokio::test]
async fn nul_characters_are_rejected_with_400() {
    let app = TestApp::new(&book(10)).await;
    let posts = [
        (
            "/api/ruptura/analisar-lote-async",
            r#"{"pedidos": ["P\u0000"]}"#,
        ),
        ("/api/ruptura/jobs", r#"{"pedidos": ["P1", "\u0000"]}"#),
        ("/api/ruptura/jobs", r#"{"filtros": {"busca": "a\u0000"}}"#),
        (
            "/api/ruptura/jobs",
            r#"{"filtros": {"vendedor": "\u0000"}}"#,
        ),
        (
            "/carteira/api/ruptura/analisar-todos-async",
            r#"{"filtros": {"estado": "S\u0000"}}"#,
        ),
    ];
    for (uri, body) in posts {
        let r = app.post(uri, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri} {body}");
        assert!(r.json()["message"].as_str().unwrap().contains("controle"));
    }
    for uri in [
        "/api/carteira/pedidos?busca=%00",
        "/api/carteira/pedidos?vendedor=a%00b",
        "/api/carteira/pedidos?equipe_vendas=%00",
        "/api/carteira/pedidos?estado=%00",
        "/api/ruptura/analisar-pedido/P%00",
        "/carteira/api/ruptura/analisar-pedido/%00",
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
    }
}

/// Job ids of the wrong form name no job, and a bad `Last-Event-ID` is a clear 400.
#[tokio::test]
async fn job_ids_and_event_ids_are_validated() {
    let app = TestApp::new(&book(10)).await;
    for uri in [
        "/api/ruptura/jobs/x%3Aeventos",
        "/api/ruptura/jobs/..%2F..",
        "/api/ruptura/jobs/%00/resultados",
        "/api/ruptura/jobs/ABCDEFAB-1234-1234-1234-123456789012/eventos",
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(r.json()["success"], false);
    }
    let created = app.post("/api/ruptura/jobs", "{}").await.json();
    let id = created["job_id"].as_str().unwrap().to_string();
    app.wait_job(&id).await;
    let r = app
        .call(
            Method::GET,
            &format!("/api/ruptura/jobs/{id}/eventos"),
            None,
            &[("last-event-id", "-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

fn session_cookie(reply: &Reply) -> String {
    let set = reply
        .headers
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_string()
}

/// CSRF: with the session cookie, a text/plain or form body is 415 and a request from another
/// origin is 403; the page's own requests and bearer-token clients go through.
#[tokio::test]
async fn cookie_requests_from_other_origins_and_non_json_bodies_are_refused() {
    let app = TestApp::with(
        &book(10),
        Settings::default(),
        ServerConfig::default(),
        Some("tok"),
    )
    .await;
    let login = app.post("/api/auth/sessao", r#"{"token": "tok"}"#).await;
    assert_eq!(login.status, StatusCode::NO_CONTENT);
    let cookie = session_cookie(&login);
    let jobs = "/api/ruptura/jobs";
    let body = r#"{"filtros": {}}"#;

    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = app
            .call(
                Method::POST,
                jobs,
                Some(body),
                &[("cookie", &cookie), ("content-type", ct)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert!(r.json()["message"]
            .as_str()
            .unwrap()
            .contains("application/json"));
    }
    let host = [("host", "127.0.0.1:8080")];
    for (name, value) in [
        ("origin", "http://127.0.0.1:9999"),
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = app
            .call(
                Method::POST,
                jobs,
                Some(body),
                &[("cookie", &cookie), host[0], (name, value)],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {value}");
        let r = app
            .call(
                Method::DELETE,
                "/api/auth/sessao",
                None,
                &[("cookie", &cookie), host[0], (name, value)],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "DELETE {name}: {value}");
    }
    // The page: same origin, JSON.
    let r = app
        .call(
            Method::POST,
            jobs,
            Some(body),
            &[
                ("cookie", &cookie),
                host[0],
                ("origin", "http://127.0.0.1:8080"),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    // The old system's script: $.ajax({contentType: 'application/json; charset=utf-8'}).
    let r = app
        .call(
            Method::POST,
            "/carteira/api/ruptura/analisar-todos-async",
            Some(body),
            &[
                ("cookie", &cookie),
                host[0],
                ("content-type", "application/json; charset=UTF-8"),
                ("origin", "http://127.0.0.1:8080"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    // A bearer client needs no Origin, wherever it runs.
    let r = app
        .call(
            Method::POST,
            jobs,
            Some(body),
            &[
                ("authorization", "Bearer tok"),
                ("origin", "http://elsewhere"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
}

/// A silent connection, one that sends half a request head, and an idle keep-alive connection
/// are all closed after the header timeout.
#[tokio::test]
async fn silent_slow_and_idle_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = ServerConfig {
        header_timeout: Duration::from_millis(400),
        ..ServerConfig::default()
    };
    let app = TestApp::with(&book(5), Settings::default(), config, None).await;
    let (addr, stop, task) = app.spawn().await;

    async fn closed_within(s: &mut tokio::net::TcpStream, limit: Duration) -> bool {
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue, // a 408 or the answer of an earlier request
            }
        }
    }

    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        "silenciosa"
    );
    assert!(
        closed_within(&mut slow, Duration::from_secs(5)).await,
        "lenta"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(5)).await,
        "ociosa"
    );
    let _ = stop.send(());
    task.await.unwrap();
}

/// Connections beyond the cap wait: with every slot held by silent sockets a request is only
/// answered once the header timeout frees one, and the server keeps answering afterwards.
#[tokio::test]
async fn open_connections_are_capped() {
    let config = ServerConfig {
        header_timeout: Duration::from_millis(800),
        max_connections: 3,
        ..ServerConfig::default()
    };
    let app = TestApp::with(&book(5), Settings::default(), config, None).await;
    let (addr, stop, task) = app.spawn().await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let status = health_status(addr).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "respondeu com todas as vagas ocupadas: {:?}",
        started.elapsed()
    );
    drop(held);
    let _ = stop.send(());
    task.await.unwrap();
}

async fn health_status(addr: std::net::SocketAddr) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("resposta")
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Shutdown completes within its bound while clients hold an idle keep-alive connection and
/// a silent one.
#[tokio::test]
async fn shutdown_is_bounded_with_idle_clients() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = ServerConfig {
        header_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(1),
        ..ServerConfig::default()
    };
    let app = TestApp::with(&book(5), Settings::default(), config, None).await;
    let (addr, stop, task) = app.spawn().await;
    let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut partial = tokio::net::TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"GET /health HTTP/1.1\r\n")
        .await
        .unwrap();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("o servidor encerrou dentro do limite")
        .unwrap();
}

fn app_with_queue(t: TestApp, queue: ruptura_server::LocalQueueConfig) -> TestApp {
    let state = ruptura_server::AppState::new(
        std::sync::Arc::clone(&t.store),
        Settings::default(),
        ServerConfig::default(),
        ruptura_server::Auth::new(None),
        queue,
    );
    TestApp {
        dir: t.dir,
        store: t.store,
        state,
    }
}

async fn run_job(app: &TestApp) -> String {
    let created = app.post("/api/ruptura/jobs", "{}").await;
    assert_eq!(created.status, StatusCode::ACCEPTED);
    let id = created.json()["job_id"].as_str().unwrap().to_string();
    assert_eq!(app.wait_job(&id).await["estado"], "concluido");
    id
}

/// Finished jobs are bounded by count: the oldest is forgotten first; the kept ones still
/// answer with every result.
#[tokio::test]
async fn finished_jobs_are_bounded_by_count_oldest_first() {
    let base = TestApp::new(&book(30)).await;
    let app = app_with_queue(
        base,
        ruptura_server::LocalQueueConfig {
            max_finished_jobs: 2,
            ..Default::default()
        },
    );
    let ids = [
        run_job(&app).await,
        run_job(&app).await,
        run_job(&app).await,
    ];
    let first = app.get(&format!("/api/ruptura/jobs/{}", ids[0])).await;
    assert_eq!(
        first.status,
        StatusCode::NOT_FOUND,
        "o mais antigo foi esquecido"
    );
    for id in &ids[1..] {
        let r = app.get(&format!("/api/ruptura/jobs/{id}/resultados")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["resultados"].as_object().unwrap().len(), 30);
    }
}

/// Finished jobs are bounded by the bytes of their results: past the budget the oldest go,
/// the newest always stays.
#[tokio::test]
async fn finished_jobs_are_bounded_by_bytes() {
    let base = TestApp::new(&book(30)).await;
    let app = app_with_queue(
        base,
        ruptura_server::LocalQueueConfig {
            max_finished_bytes: 1,
            ..Default::default()
        },
    );
    let a = run_job(&app).await;
    let b = run_job(&app).await;
    assert_eq!(
        app.get(&format!("/api/ruptura/jobs/{a}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app.get(&format!("/api/ruptura/jobs/{b}/resultados")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["resultados"].as_object().unwrap().len(), 30);
}

/// Batch requests beyond `max_concurrent_analyses` wait for a permit: however many arrive at
/// once, at most that many analyses run, and every request is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_analyses_are_bounded() {
    let data = book(20);
    let base = TestApp::new(&data).await;
    // Each load is held a moment, so that concurrent requests overlap.
    let counting = std::sync::Arc::new(ruptura_store::testing::HeldStore::delayed(
        std::sync::Arc::clone(&base.store),
        Duration::from_millis(60),
    ));
    let store: std::sync::Arc<dyn ruptura_store::Store> = counting.clone();
    let config = ServerConfig {
        max_concurrent_analyses: 2,
        ..ServerConfig::default()
    };
    let app = std::sync::Arc::new(TestApp::over(
        base.dir,
        store,
        Settings::default(),
        config,
        None,
    ));
    let orders: std::collections::BTreeSet<String> = data
        .carteira_principal
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| l.num_pedido.clone())
        .collect();
    let body = serde_json::json!({ "pedidos": orders }).to_string();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (app, body) = (app.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            app.post("/api/ruptura/analisar-lote-async", &body)
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    let max = counting.most_loads_at_once();
    assert!(max <= 2, "{max} análises ao mesmo tempo");
    assert!(max >= 1);
}
