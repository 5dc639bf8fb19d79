//! The whole-book priority allocation kept between requests (SPEC 8.1, issue 9), on SQLite and
//! PostgreSQL: an identical request is answered from it (seen in `/health`, not in timing);
//! after the data changes through another connection (a direct `UPDATE`, an import by another
//! store) the next request allocates again and answers what a fresh server answers; another
//! reference date or other parameters never share an entry.

mod common;

use std::future::Future;
use std::sync::Arc;

use axum::http::StatusCode;
use common::{book, TestApp};
use ruptura_store::testing::TestDb;
use ruptura_store::{ImportMode, Store};
use serde_json::{json, Value};

const LOTE: &str = "/carteira/api/ruptura/analisar-lote-async";

/// `acertos` and `falhas` of `/health` (its `entradas` are checked against the bound here).
async fn cache_stats(app: &TestApp) -> (u64, u64) {
    let (hits, _, misses) = cache_detail(app).await;
    (hits, misses)
}

/// `acertos`, `acertos_sem_leitura` and `falhas` of `/health`.
async fn cache_detail(app: &TestApp) -> (u64, u64, u64) {
    let h = app.get("/health").await.json();
    let c = &h["cache_prioridade"];
    assert!(c.is_object(), "no cache_prioridade in /health: {h}");
    let entries = c["entradas"].as_u64().expect("entradas");
    assert!(entries <= ruptura_store::MEMO_ENTRIES as u64, "{c}");
    let hits = c["acertos"].as_u64().expect("acertos");
    let unread = c["acertos_sem_leitura"].as_u64().expect("sem leitura");
    assert!(unread <= hits, "{c}");
    (hits, unread, c["falhas"].as_u64().expect("falhas"))
}

/// The results and the statistics (without times) of a batch request.
async fn batch(app: &TestApp, body: &Value) -> Value {
    let reply = app.post(LOTE, &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let mut v = reply.json();
    let stats = v["estatisticas"].as_object_mut().expect("estatisticas");
    stats.retain(|k, _| !k.starts_with("tempo"));
    json!({"resultados": v["resultados"], "estatisticas": v["estatisticas"]})
}

/// What a server that has kept nothing answers: a new store over the same database.
async fn fresh(url: &str, body: &Value) -> Value {
    let store = ruptura_store::connect(url).await.expect("open");
    let app = TestApp::serving(store);
    batch(&app, body).await
}

fn request(orders: &[String], data_base: &str) -> Value {
    json!({"pedidos": orders, "modo": "prioridade", "data_base": data_base, "tamanho_lote": 7})
}

/// The scenario on one database: `url` holds the book; `change` changes the stock through
/// another connection. With `fingerprint_is_per_database` (SQLite), a repeated request reads no
/// data; PostgreSQL's fingerprint also moves with writes to other databases of the server (the
/// other tests'), and then the data is read and found equal.
/// With `read_only`, the server's store is opened as `serve` opens it (read-only).
async fn scenario<F, Fut>(url: &str, fingerprint_is_per_database: bool, read_only: bool, change: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let store: Arc<dyn Store> = if read_only {
        ruptura_store::connect_read_only(url).await.expect("open")
    } else {
        ruptura_store::connect(url).await.expect("open")
    };
    let app = TestApp::serving(store);
    let page = app.get("/api/carteira/pedidos?por_pagina=40").await.json();
    let mut orders: Vec<String> = page["pedidos"]
        .as_array()
        .expect("pedidos")
        .iter()
        .map(|p| p["num_pedido"].as_str().expect("num_pedido").to_string())
        .collect();
    assert_eq!(orders.len(), 40, "{page}");
    let second: Vec<String> = orders.split_off(20);
    let today = common::today().to_string();

    // (1) The first request allocates; the same request, and another batch of the same page,
    // are answered from what was kept, and answer what a fresh server answers.
    assert_eq!(cache_stats(&app).await, (0, 0));
    let first = batch(&app, &request(&orders, &today)).await;
    assert_eq!(cache_stats(&app).await, (0, 1));
    let again = batch(&app, &request(&orders, &today)).await;
    assert_eq!(cache_stats(&app).await, (1, 1));
    if fingerprint_is_per_database {
        assert_eq!(cache_detail(&app).await, (1, 1, 1), "no read at all");
    }
    assert_eq!(first, again);
    let other_batch = batch(&app, &request(&second, &today)).await;
    assert_eq!(cache_stats(&app).await, (2, 1));
    assert_eq!(first, fresh(url, &request(&orders, &today)).await);
    assert_eq!(other_batch, fresh(url, &request(&second, &today)).await);

    // (3) Another reference date, other parameters: their own entries, never the first.
    let later = (common::today() + chrono::Days::new(3)).to_string();
    let moved = batch(&app, &request(&orders, &later)).await;
    assert_eq!(cache_stats(&app).await, (2, 2));
    assert_eq!(moved, fresh(url, &request(&orders, &later)).await);
    let mut min = request(&orders, &today);
    min["parcial_minimo_pct"] = json!("50");
    let with_min = batch(&app, &min).await;
    assert_eq!(cache_stats(&app).await, (2, 3), "bounded to 2 entries");
    assert_eq!(with_min, fresh(url, &min).await);
    // The first entry is back after the others pushed it out: allocated again, same answer.
    let (hits, misses) = cache_stats(&app).await;
    assert_eq!(batch(&app, &request(&orders, &today)).await, first);
    assert_eq!(cache_stats(&app).await, (hits, misses + 1));
    assert_eq!(batch(&app, &request(&orders, &today)).await, first);
    assert_eq!(cache_stats(&app).await, (hits + 1, misses + 1));

    // (2) The stock changes through another connection: the next request allocates again and
    // answers the new data, as a fresh server does.
    change().await;
    let changed = batch(&app, &request(&orders, &today)).await;
    assert_eq!(cache_stats(&app).await, (hits + 1, misses + 2));
    assert_ne!(changed, first, "no stock: the answer must change");
    assert_eq!(changed, fresh(url, &request(&orders, &today)).await);

    // An import by another store (another connection, as `ruptura import` would) of the book
    // with its stock back: again what a fresh server answers, i.e. the first answer.
    let other = ruptura_store::connect(url).await.expect("open");
    other
        .import(&book(300), ImportMode::Replace)
        .await
        .expect("import");
    // The data may be exactly what the first allocation was computed from (then it is used
    // again) or read in another row order (then allocated again): one use either way.
    let restored = batch(&app, &request(&orders, &today)).await;
    let (h, m) = cache_stats(&app).await;
    assert_eq!(h + m, hits + misses + 4);
    assert_eq!(restored, first);
    assert_eq!(restored, fresh(url, &request(&orders, &today)).await);
    let (_, unread, _) = cache_detail(&app).await;
    let restored = batch(&app, &request(&orders, &today)).await;
    assert_eq!(cache_stats(&app).await, (h + 1, m));
    if fingerprint_is_per_database {
        assert_eq!(cache_detail(&app).await.1, unread + 1);
    }
    assert_eq!(restored, first);
}

const NO_STOCK: &str = "UPDATE movimentacao_estoque SET qtd_movimentacao = 0";

async fn sqlite_scenario(read_only: bool) {
    let app = TestApp::new(&book(300)).await;
    let path = app.dir.path().join("t.db");
    let url = format!("sqlite://{}", path.display());
    scenario(&url, true, read_only, || async move {
        let conn = rusqlite::Connection::open(&path).expect("open");
        let n = conn.execute(NO_STOCK, []).expect("update");
        assert!(n > 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_allocation_is_kept_while_the_data_is_the_same_on_sqlite() {
    sqlite_scenario(false).await;
}

/// `serve` opens SQLite read-only: the allocation is kept and followed the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_allocation_is_kept_on_a_sqlite_file_opened_read_only() {
    sqlite_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_allocation_is_kept_while_the_data_is_the_same_on_postgresql() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = ruptura_store::connect(db.url()).await.expect("open");
    store.migrate().await.expect("migrate");
    store
        .import(&book(300), ImportMode::Replace)
        .await
        .expect("import");
    drop(store);
    scenario(db.url(), false, false, || db.run_script(NO_STOCK)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_allocation_on_the_old_layout_follows_a_direct_update() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    db.create_original_schema().await;
    db.insert_original(&book(300)).await.expect("insert");
    let store: Arc<dyn Store> = ruptura_store::connect(db.url()).await.expect("open");
    let app = TestApp::serving(store);
    let orders: Vec<String> = app.get("/api/carteira/pedidos?por_pagina=20").await.json()
        ["pedidos"]
        .as_array()
        .expect("pedidos")
        .iter()
        .map(|p| p["num_pedido"].as_str().expect("num").to_string())
        .collect();
    let today = common::today().to_string();
    let first = batch(&app, &request(&orders, &today)).await;
    assert_eq!(batch(&app, &request(&orders, &today)).await, first);
    assert_eq!(cache_stats(&app).await, (1, 1));
    db.run_script(NO_STOCK).await;
    let changed = batch(&app, &request(&orders, &today)).await;
    assert_eq!(cache_stats(&app).await, (1, 2));
    assert_ne!(changed, first);
    assert_eq!(changed, fresh(db.url(), &request(&orders, &today)).await);
}
