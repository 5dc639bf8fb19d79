//! Recorded runs through the HTTP API (SPEC 8.5, 8.6): whole-book jobs are recorded, others are
//! not; `GET /api/ruptura/execucoes` lists them; `GET /api/ruptura/mudancas` compares them, on
//! SQLite and on PostgreSQL; bad requests get a clear 4xx.

mod common;

use std::sync::Arc;

use common::TestApp;
use ruptura_app::runs::RunLog;
use ruptura_app::Settings;
use ruptura_server::{AppState, Auth, LocalQueue, LocalQueueConfig, ServerConfig};
use ruptura_store::testing::TestDb;
use ruptura_store::{ImportMode, Store};
use ruptura_testkit::changes::{self, Book, TODAY};
use serde_json::Value;

fn book(book: Book) -> ruptura_engine::records::Dataset {
    let dir = tempfile::tempdir().expect("tempdir");
    changes::write(dir.path(), book);
    ruptura_import::load_paths(&[dir.path()]).expect("load")
}

/// An app whose in-process queue records whole-book jobs in the analysed database.
async fn app_over(dir: tempfile::TempDir, store: Arc<dyn Store>, url: &str) -> TestApp {
    store.migrate().await.expect("migrate");
    store
        .import(&book(Book::Before), ImportMode::Replace)
        .await
        .expect("import");
    let runs = RunLog::new(ruptura_store::connect_runs(url).await.expect("runs"), 30);
    let queue = LocalQueue::new(Arc::clone(&store), LocalQueueConfig::default())
        .recording(Some(runs.clone()));
    let state = AppState::with_queue(
        Arc::clone(&store),
        Settings::default(),
        ServerConfig::default(),
        Auth::new(None),
        Arc::new(queue),
    )
    .with_runs(Some(runs));
    TestApp { dir, store, state }
}

async fn job(app: &TestApp, body: &str) -> Value {
    let r = app.post("/api/ruptura/jobs", body).await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["job_id"].as_str().expect("job_id").to_string();
    let done = app.wait_job(&id).await;
    assert_eq!(done["estado"], "concluido", "{done}");
    done
}

async fn run_count(app: &TestApp) -> usize {
    let r = app.get("/api/ruptura/execucoes").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["execucoes"].as_array().expect("execucoes").len()
}

async fn scenario(app: &TestApp) {
    let none = app.get("/api/ruptura/mudancas").await;
    assert_eq!(none.status, 404);
    assert!(none.json()["message"]
        .as_str()
        .is_some_and(|m| m.contains("nenhuma execução")));

    let whole = format!(r#"{{"data_base": "{TODAY}"}}"#);
    let done = job(app, &whole).await;
    assert!(done.get("mensagem").is_none(), "{done}");
    assert_eq!(run_count(app).await, 1);
    // Named orders, a filter: not the whole book, not recorded.
    job(
        app,
        &format!(r#"{{"pedidos": ["PA"], "data_base": "{TODAY}"}}"#),
    )
    .await;
    job(
        app,
        &format!(r#"{{"filtros": {{"vendedor": "ninguém"}}, "data_base": "{TODAY}"}}"#),
    )
    .await;
    // The whole book with `registrar: false` (the page's own totals job): not recorded.
    job(
        app,
        &format!(r#"{{"registrar": false, "data_base": "{TODAY}"}}"#),
    )
    .await;
    let bad = app
        .post("/api/ruptura/jobs", r#"{"registrar": "sim"}"#)
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(run_count(app).await, 1);
    let only = app.get("/api/ruptura/mudancas").await;
    assert_eq!(only.status, 404, "one run: nothing to compare");

    app.store
        .import(&book(Book::After), ImportMode::Replace)
        .await
        .expect("import");
    job(app, &whole).await;
    let list = app.get("/api/ruptura/execucoes").await.json();
    let runs = list["execucoes"].as_array().expect("execucoes");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["origem"], "job");
    assert_eq!(runs[0]["data_base"], TODAY);
    assert!(runs[0]["bytes"].as_i64().is_some_and(|b| b > 0));

    let m = app.get("/api/ruptura/mudancas").await;
    assert_eq!(m.status, 200, "{}", String::from_utf8_lossy(&m.body));
    let m = m.json();
    let diffs = changes::check_independent(&m);
    assert!(diffs.is_empty(), "{diffs:#?}\n{m:#}");
    assert_eq!(m["de"]["id"], runs[1]["id"]);
    assert_eq!(m["para"]["id"], runs[0]["id"]);
    let (de, para) = (runs[1]["id"].clone(), runs[0]["id"].clone());
    let explicit = app
        .get(&format!("/api/ruptura/mudancas?de={de}&para={para}"))
        .await
        .json();
    assert_eq!(explicit, m);

    for (uri, status, needle) in [
        (
            "/api/ruptura/mudancas?de=abc",
            400,
            "número de uma execução",
        ),
        ("/api/ruptura/mudancas?de=999999", 404, "não encontrada"),
        (
            &format!("/api/ruptura/mudancas?de={para}&para={de}") as &str,
            400,
            "anterior",
        ),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, status, "{uri}");
        let body = r.json();
        assert_eq!(body["success"], false);
        assert!(
            body["message"].as_str().is_some_and(|s| s.contains(needle)),
            "{uri}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_and_changes_over_the_api_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let store = ruptura_store::connect(&url).await.expect("open");
    let app = app_over(dir, store, &url).await;
    scenario(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_and_changes_over_the_api_on_postgresql() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = ruptura_store::connect(db.url()).await.expect("open");
    let app = app_over(tempfile::tempdir().expect("tempdir"), store, db.url()).await;
    scenario(&app).await;
}

#[tokio::test]
async fn a_server_that_records_no_runs_says_so() {
    let app = TestApp::new(&book(Book::Before)).await;
    let r = app.get("/api/ruptura/execucoes").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["message"]
        .as_str()
        .is_some_and(|m| m.contains("EXECUCOES_URL")));
    let doc = app.get("/api/openapi.json").await.json();
    for path in ["/api/ruptura/execucoes", "/api/ruptura/mudancas"] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} not in OpenAPI"
        );
    }
    assert!(doc["components"]["schemas"]["Mudancas"].is_object());
}
