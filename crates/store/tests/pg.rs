//! The PostgreSQL store against a real server (`RUPTURA_TEST_PG`, default
//! postgres://postgres@127.0.0.1:5432; each test on its own throwaway database), with the same
//! checks run on SQLite wherever they apply: every query runs on both databases.
//!
//! Without PostgreSQL these tests print a notice and pass, except with `CI=true`, where they fail.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ruptura_engine::records::{CarteiraRow, Dataset};
use ruptura_store::postgres::PgStore;
use ruptura_store::testing::TestDb;
use ruptura_store::{ImportMode, OrderFilter, Selection, Store, StoreError};
use ruptura_testkit::{host_port, Proxy};

#[tokio::test]
async fn start_up_without_postgresql_is_unavailable_and_redacts_the_password() {
    // Nothing listens on port 1.
    let err = PgStore::connect("postgres://ruptura:segredo@127.0.0.1:1/ruptura")
        .await
        .expect_err("no server");
    assert!(err.is_unavailable(), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("ruptura:***@127.0.0.1:1"), "{msg}");
    assert!(!msg.contains("segredo"), "{msg}");

    // A URL that does not parse: said so, without the password.
    let err = PgStore::connect("postgres://ruptura:segredo@127.0.0.1:porta/ruptura")
        .await
        .expect_err("bad port");
    assert!(matches!(err, StoreError::BadUrl(_)), "{err:?}");
    assert!(!err.to_string().contains("segredo"), "{err}");

    // A server that accepts and hangs up at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            drop(sock);
        }
    });
    let err = PgStore::connect(&format!("postgres://u:segredo@127.0.0.1:{port}/x"))
        .await
        .expect_err("hung up");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(!err.to_string().contains("segredo"), "{err}");
}

#[tokio::test]
async fn a_database_that_does_not_exist_is_named() {
    if TestDb::create().await.is_none() {
        return;
    }
    let url = ruptura_store::testing::url_of("ruptura_nao_existe_xyz");
    let err = PgStore::connect(&url).await.expect_err("no such database");
    assert!(matches!(err, StoreError::BadUrl(_)), "{err:?}");
    assert!(err.to_string().contains("não existe"), "{err}");
}

#[tokio::test]
async fn postgresql_loads_what_sqlite_loads() {
    let Some((_db, pg)) = postgres().await else {
        return;
    };
    let (_dir, lite) = sqlite().await;
    let data = sample(300, 0);
    let report = pg
        .import(&data, ImportMode::Replace)
        .await
        .expect("import pg");
    assert_eq!(
        report,
        lite.import(&data, ImportMode::Replace).await.unwrap()
    );
    for sel in selections() {
        let (a, b) = (
            load(lite.as_ref(), &sel).await,
            load(pg.as_ref(), &sel).await,
        );
        assert_eq!(a.orders, b.orders, "{sel:?}");
        assert_eq!(a.snapshot, b.snapshot, "{sel:?}");
    }
    same_order_views(lite.as_ref(), pg.as_ref()).await;
    // The filters do filter, and the free text escapes % and _.
    let book = load(pg.as_ref(), &Selection::Book(OrderFilter::default())).await;
    let pct = load(
        pg.as_ref(),
        &Selection::Book(OrderFilter {
            busca: Some("50%".into()),
            ..Default::default()
        }),
    )
    .await;
    assert!(!pct.orders.is_empty() && pct.orders.len() * 5 < book.orders.len());
    assert!(
        pct.orders.iter().all(|o| o.ends_with('0')),
        "{:?}",
        pct.orders
    );
    // Orders asked: first occurrence order, duplicates once, missing ones kept.
    let asked = load(pg.as_ref(), &selections()[0]).await;
    assert_eq!(asked.orders, ["P00003", "P00001", "NAO-EXISTE", "P00010"]);
    // Only the codes of the groups involved are read for a subset.
    let codes: std::collections::BTreeSet<&str> =
        asked.snapshot.stock.iter().map(|(c, _)| &**c).collect();
    assert!(codes.len() < 20, "{codes:?}");
}

#[tokio::test]
async fn the_old_systems_database_is_read_as_it_is_and_never_written() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    db.create_original_schema().await;
    let data = sample(300, 0);
    db.insert_original(&data).await.expect("fill old layout");
    let schema_before = db.schema_description().await;
    let rows_before = db.contents_digest().await;

    let old = PgStore::connect(db.url()).await.expect("connect");
    old.check_schema()
        .await
        .expect("the old layout has what the analysis reads");
    let (_dir, lite) = sqlite().await;
    lite.import(&data, ImportMode::Replace).await.unwrap();
    // The reads cast only what differs from Ruptura's layout.
    let reads = ruptura_store::postgres::whole_book_reads(&old)
        .await
        .unwrap();
    for cast in [
        "id::bigint",
        "codigo_origem::text",
        "round(qtd_saldo::numeric, 3)",
        "round(qtd_programada::numeric, 3)",
    ] {
        assert!(reads.contains(cast), "{cast} not in {reads}");
    }
    for sel in selections() {
        let (a, b) = (load(lite.as_ref(), &sel).await, load(&old, &sel).await);
        assert_eq!(a.orders, b.orders, "{sel:?}");
        assert_eq!(a.snapshot, b.snapshot, "{sel:?}");
    }

    same_order_views(lite.as_ref(), &old).await;

    // Never migrated, never written.
    let err = old.migrate().await.expect_err("migrate must refuse");
    assert!(matches!(err, StoreError::Foreign(_)), "{err:?}");
    assert!(err.to_string().contains("outro sistema"), "{err}");
    for mode in [ImportMode::Replace, ImportMode::Append] {
        let err = old
            .import(&data, mode)
            .await
            .expect_err("import must refuse");
        assert!(matches!(err, StoreError::Foreign(_)), "{err:?}");
    }
    assert!(!db.has_table("_sqlx_migrations").await);
    assert_eq!(db.schema_description().await, schema_before);
    assert_eq!(db.contents_digest().await, rows_before);
}

#[tokio::test]
async fn check_schema_names_what_is_missing() {
    let Some((db, pg)) = postgres().await else {
        return;
    };
    pg.check_schema()
        .await
        .expect("migrated database is complete");
    db.run_script("ALTER TABLE separacao DROP COLUMN expedicao; DROP TABLE unificacao_codigos;")
        .await;
    let err = pg.check_schema().await.expect_err("missing");
    let StoreError::Schema(missing) = &err else {
        panic!("{err:?}")
    };
    assert!(
        missing.contains(&"tabela unificacao_codigos".to_string()),
        "{missing:?}"
    );
    assert!(
        missing.contains(&"coluna separacao.expedicao".to_string()),
        "{missing:?}"
    );
    assert_eq!(missing.len(), 2, "{missing:?}");
    // A load says the same instead of failing on SQL.
    let err = pg
        .load(&Selection::Book(OrderFilter::default()), today())
        .await
        .expect_err("load");
    assert!(matches!(err, StoreError::Schema(_)), "{err:?}");

    // The old layout: either spelling of the city will do, not neither.
    let Some(old) = TestDb::create().await else {
        return;
    };
    old.create_original_schema().await;
    old.run_script("ALTER TABLE carteira_principal DROP COLUMN municipio, DROP COLUMN cod_uf;")
        .await;
    let store = PgStore::connect(old.url()).await.unwrap();
    store
        .check_schema()
        .await
        .expect("nome_cidade and estado remain");
    old.run_script("ALTER TABLE carteira_principal DROP COLUMN nome_cidade;")
        .await;
    let err = store.check_schema().await.expect_err("no city column");
    assert!(
        err.to_string()
            .contains("coluna carteira_principal.nome_cidade (ou municipio)"),
        "{err}"
    );
}

#[tokio::test]
async fn one_load_of_40000_orders() {
    for (name, _keep, store) in backends().await {
        let data = sample(2_000, 0);
        let started = Instant::now();
        store.import(&data, ImportMode::Replace).await.unwrap();
        let imported = started.elapsed();
        let mut asked: Vec<String> = (0..38_000).map(|i| format!("X{i:06}")).collect();
        asked.extend((0..2_000).map(|o| format!("P{o:05}")));
        let started = Instant::now();
        let loaded = store
            .load(&Selection::Orders(asked.clone()), today())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: import of {} rows {:?}, load of 40000 orders {:?}",
            data.row_count(),
            imported,
            started.elapsed()
        );
        assert_eq!(loaded.orders, asked, "{name}");
        let book = load(store.as_ref(), &Selection::Book(OrderFilter::default())).await;
        assert_eq!(
            canonical(loaded).snapshot.lines,
            book.snapshot.lines,
            "{name}"
        );
    }
}

#[tokio::test]
async fn large_import_is_fast_and_ids_do_not_collide() {
    let Some((_db, pg)) = postgres().await else {
        return;
    };
    // 100,000 lines without ids, then 10 with explicit ids, then more without: no collision.
    let rows: Vec<CarteiraRow> = (0..100_000)
        .map(|i| CarteiraRow {
            id: None,
            num_pedido: format!("P{}", i / 5),
            cod_produto: format!("{}", 1000 + i % 300),
            nome_produto: "Produto".into(),
            qtd_saldo_produto_pedido: dec("1.5"),
            ativo: true,
            ..Default::default()
        })
        .collect();
    let data = Dataset {
        carteira_principal: Some(rows),
        ..Default::default()
    };
    let started = Instant::now();
    pg.import(&data, ImportMode::Replace).await.unwrap();
    eprintln!("postgres: import of 100000 lines {:?}", started.elapsed());

    for (name, _keep, store) in backends().await {
        let explicit = |ids: &[Option<i64>]| Dataset {
            carteira_principal: Some(
                ids.iter()
                    .map(|id| CarteiraRow {
                        id: *id,
                        num_pedido: "Q".into(),
                        cod_produto: "A".into(),
                        nome_produto: "A".into(),
                        qtd_saldo_produto_pedido: dec("1"),
                        ativo: true,
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        store
            .import(&explicit(&[Some(5), None, Some(7)]), ImportMode::Replace)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        store
            .import(&explicit(&[None, None]), ImportMode::Append)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ids: Vec<i64> = load(store.as_ref(), &Selection::Orders(vec!["Q".into()]))
            .await
            .snapshot
            .lines
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(ids.len(), 5, "{name}: {ids:?}");
        assert!(ids.contains(&5) && ids.contains(&7), "{name}: {ids:?}");
        assert!(
            ids.iter().filter(|&&i| i > 7).count() >= 2,
            "{name}: {ids:?}"
        );

        // A repeated id: rejected, naming the table, and nothing written.
        let err = store
            .import(&explicit(&[Some(1), Some(2), Some(1)]), ImportMode::Replace)
            .await
            .expect_err("repeated id");
        assert!(matches!(err, StoreError::Rejected(_)), "{name}: {err:?}");
        assert!(
            err.to_string().contains("carteira_principal"),
            "{name}: {err}"
        );
        let after = load(store.as_ref(), &Selection::Orders(vec!["Q".into()])).await;
        assert_eq!(
            after.snapshot.lines.len(),
            5,
            "{name}: the failed import wrote"
        );
    }
}

#[tokio::test]
async fn a_load_sees_one_import_or_the_other_never_a_mix() {
    for (name, _keep, store) in backends().await {
        let (a, b) = (sample(400, 0), sample(400, 1));
        let book = Selection::Book(OrderFilter::default());
        let some = Selection::Orders((0..400).step_by(3).map(|o| format!("P{o:05}")).collect());
        store.import(&a, ImportMode::Replace).await.unwrap();
        let (book_a, some_a) = (
            load(store.as_ref(), &book).await,
            load(store.as_ref(), &some).await,
        );
        store.import(&b, ImportMode::Replace).await.unwrap();
        let (book_b, some_b) = (
            load(store.as_ref(), &book).await,
            load(store.as_ref(), &some).await,
        );
        assert_ne!(book_a.snapshot, book_b.snapshot);
        for (x, y) in [(&book_a, &book_b), (&some_a, &some_b)] {
            // Every part differs, so a mix of the two is never equal to either.
            assert_ne!(x.snapshot.lines, y.snapshot.lines);
            assert_ne!(x.snapshot.stock, y.snapshot.stock);
            assert_ne!(x.snapshot.outflows, y.snapshot.outflows);
            assert_ne!(x.snapshot.inflows, y.snapshot.inflows);
            assert_ne!(x.snapshot.links, y.snapshot.links);
        }

        let done = Arc::new(AtomicBool::new(false));
        let seen = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let mut readers = Vec::new();
        for r in 0..3 {
            let (store, done, seen) = (store.clone(), done.clone(), seen.clone());
            let (sel, x, y) = if r == 0 {
                (some.clone(), some_a.clone(), some_b.clone())
            } else {
                (book.clone(), book_a.clone(), book_b.clone())
            };
            let name = name.clone();
            readers.push(tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    let got = load(store.as_ref(), &sel).await;
                    if got.snapshot == x.snapshot && got.orders == x.orders {
                        seen[0].fetch_add(1, Ordering::Relaxed);
                    } else if got.snapshot == y.snapshot && got.orders == y.orders {
                        seen[1].fetch_add(1, Ordering::Relaxed);
                    } else {
                        panic!("{name}: a load saw a mix of two imports");
                    }
                }
            }));
        }
        for i in 0..30 {
            let data = if i % 2 == 0 { &a } else { &b };
            store.import(data, ImportMode::Replace).await.unwrap();
        }
        done.store(true, Ordering::Relaxed);
        for r in readers {
            r.await.expect("reader");
        }
        let seen = [
            seen[0].load(Ordering::Relaxed),
            seen[1].load(Ordering::Relaxed),
        ];
        eprintln!(
            "{name}: loads during imports saw A {} times, B {} times",
            seen[0], seen[1]
        );
        assert!(seen[0] + seen[1] > 0, "{name}");
    }
}

#[tokio::test]
async fn the_pool_recovers_when_its_connections_are_killed() {
    let Some((db, pg)) = postgres().await else {
        return;
    };
    pg.import(&sample(50, 0), ImportMode::Replace)
        .await
        .unwrap();
    let book = Selection::Book(OrderFilter::default());
    let expected = load(pg.as_ref(), &book).await;
    // Several connections in the pool.
    let loads: Vec<_> = (0..4)
        .map(|_| {
            let (pg, book) = (pg.clone(), book.clone());
            tokio::spawn(async move { pg.load(&book, today()).await.map(|_| ()) })
        })
        .collect();
    for l in loads {
        l.await.unwrap().unwrap();
    }
    for round in 0..3 {
        assert!(db.terminate_sessions().await >= 1, "round {round}");
        // The next call succeeds, or fails once as Unavailable and then succeeds.
        let got = match pg.load(&book, today()).await {
            Ok(got) => got,
            Err(e) => {
                assert!(e.is_unavailable(), "round {round}: {e:?}");
                pg.load(&book, today()).await.expect("second call")
            }
        };
        assert_eq!(canonical(got).snapshot, expected.snapshot);
        pg.ping().await.expect("ping");
    }
}

#[tokio::test]
async fn a_connection_killed_mid_transaction_is_unavailable() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = PgStore::connect(db.url()).await.unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query("SELECT 1").execute(&mut *tx).await.unwrap();
    assert_eq!(db.terminate_sessions().await, 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = sqlx::query("SELECT 1")
        .execute(&mut *tx)
        .await
        .expect_err("terminated");
    // PostgreSQL says 57P01 (admin_shutdown, as on a fast shutdown) ...
    let err = StoreError::from(err);
    assert!(err.is_unavailable(), "{err:?}");
    // ... and then the socket is closed: an io error.
    let err = sqlx::query("SELECT 1")
        .execute(&mut *tx)
        .await
        .expect_err("closed");
    let err = StoreError::from(err);
    assert!(err.is_unavailable(), "{err:?}");
    drop(tx);
    store.ping().await.expect("a new connection");
}

#[tokio::test]
async fn an_outage_fails_fast_and_the_store_recovers_when_the_database_returns() {
    let Some((db, pg)) = postgres().await else {
        return;
    };
    pg.import(&sample(50, 0), ImportMode::Replace)
        .await
        .unwrap();
    let upstream = host_port(&ruptura_store::testing::base_url());
    let mut proxy = Proxy::start(0, upstream.clone()).await;
    let via_proxy = db
        .url()
        .replace(&upstream, &format!("127.0.0.1:{}", proxy.port));
    let store = PgStore::connect(&via_proxy)
        .await
        .expect("connect via proxy");
    let book = Selection::Book(OrderFilter::default());
    let expected = load(&store, &book).await;

    proxy.stop().await;
    let started = Instant::now();
    let err = store.load(&book, today()).await.expect_err("database down");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );

    let _proxy = Proxy::start(proxy.port, upstream).await;
    let got = load(&store, &book).await;
    assert_eq!(got.snapshot, expected.snapshot);
}

/// `bench/pg_raw_reads.sql` holds the five reads of a whole-book analysis exactly as the store
/// runs them on Ruptura's layout (so the bench compares `psql -f` with `ruptura analyze` fairly).
/// `RUPTURA_WRITE_BENCH_SQL=1` rewrites the file.
#[tokio::test]
async fn the_bench_script_has_the_reads_the_store_runs() {
    let Some((db, _)) = postgres().await else {
        return;
    };
    let store = PgStore::connect(db.url()).await.unwrap();
    let reads = ruptura_store::postgres::whole_book_reads(&store)
        .await
        .unwrap();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/pg_raw_reads.sql");
    if std::env::var("RUPTURA_WRITE_BENCH_SQL").is_ok() {
        let header = "\
-- The raw reads of a whole-book analysis on PostgreSQL (Ruptura's own layout), exactly as
-- `ruptura analyze --db postgres://...` runs them (written by the store test
-- `the_bench_script_has_the_reads_the_store_runs`; RUPTURA_WRITE_BENCH_SQL=1 rewrites it):
-- order lines, active links, stock per code, outflows and inflows per code and day.
-- Time it against the analysis, for example:
--   time psql \"$DATABASE_URL\" -X -q -v today=2026-03-02 -f bench/pg_raw_reads.sql > /dev/null
--   time ruptura analyze --db \"$DATABASE_URL\" --today 2026-03-02 --format json -o /dev/null
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
";
        std::fs::write(&path, format!("{header}{reads}COMMIT;\n")).unwrap();
    }
    let script =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        script.contains(&reads),
        "{} is stale; rerun this test with RUPTURA_WRITE_BENCH_SQL=1",
        path.display()
    );
}
