//! Streaming can never change a result: `ruptura analyze` writes each batch as it is done (in
//! request order, whatever order the batches finish in), and its output must be byte for byte
//! what the in-memory path gives (every result collected, then serialized as one object). In
//! sequential and priority modes the book's allocation is streamed too (batches in allocation
//! order): its results must be those of the allocation held whole, as an API request for the
//! same orders gets them. A few thousand orders, many small batches on several threads so that
//! batches finish out of order.

mod common;

use std::path::Path;

use common::{run_ok, ruptura};
use ruptura_app::wire::Resultados;
use ruptura_app::{Batch, InOrder, InOrderSink, Observer, RunOptions, Streamed};
use ruptura_engine::{Mode, Params};
use ruptura_store::{OrderFilter, Selection};

const TODAY: &str = "2026-03-02";
const ORDERS: usize = 2000;

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

/// A generated book of `ORDERS` orders imported through `ruptura import`; its URL.
fn book(dir: &Path) -> String {
    let csv = dir.join("csv");
    let data = ruptura_datagen::generate(&ruptura_datagen::GenConfig::demo(7, today(), ORDERS));
    ruptura_datagen::write_csv_dir(&data, &csv).unwrap();
    let db = format!("sqlite://{}", dir.join("carteira.db").display());
    run_ok(&["import", "--db", &db, csv.to_str().unwrap()]);
    db
}

/// `ruptura analyze` with `BATCH_SIZE` and `MAX_WORKERS` set; its standard output.
fn analyze(db: &str, mode: &str, format: &str, batch: usize, workers: usize) -> Vec<u8> {
    let out = ruptura()
        .args(["analyze", "--db", db, "--today", TODAY, "--modo", mode])
        .args(["--format", format, "--limit", "0"])
        .env("BATCH_SIZE", batch.to_string())
        .env("MAX_WORKERS", workers.to_string())
        .output()
        .expect("run ruptura");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The `resultados` object of the JSON output, as written (the statistics hold a time).
fn resultados(json: &[u8]) -> &[u8] {
    let text = std::str::from_utf8(json).unwrap();
    let start = "{\"resultados\":".len();
    assert!(text.starts_with("{\"resultados\":"), "{}", &text[..80]);
    let end = text.rfind(",\"estatisticas\":").expect("estatisticas");
    &json[start..end]
}

/// The in-memory path: every result of the run collected, then serialized as one object. The
/// book's orders are asked as a list, as an API request asks them: in sequential and priority
/// modes the allocation is then held whole and reported in the list's order.
async fn in_memory(db: &str, mode: Mode) -> Vec<u8> {
    let store = ruptura_store::connect(db).await.unwrap();
    let orders = store.order_numbers(&OrderFilter::default()).await.unwrap();
    let mut all = InOrder::default();
    ruptura_app::analyze(
        store.as_ref(),
        &Selection::Orders(orders),
        Params::new(today()).with_mode(mode),
        RunOptions {
            batch_size: usize::MAX,
            max_workers: 1,
            json: false,
        },
        &mut all,
    )
    .await
    .unwrap();
    let results = Resultados(all.into_results());
    assert!(results.0.len() > ORDERS / 2, "{} orders", results.0.len());
    serde_json::to_vec(&results).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_output_equals_the_in_memory_path() {
    let tmp = tempfile::tempdir().unwrap();
    let db = book(tmp.path());
    for (mode, engine_mode) in [
        ("independente", Mode::Independent),
        ("sequencial", Mode::Sequential),
        ("prioridade", Mode::Priority),
    ] {
        let want = in_memory(&db, engine_mode).await;
        // Batches of 7 on 5 threads: hundreds of batches, finishing out of order.
        let streamed = analyze(&db, mode, "json", 7, 5);
        if engine_mode == Mode::Independent {
            assert!(
                resultados(&streamed) == want.as_slice(),
                "modo {mode}: the streamed JSON differs from the in-memory one"
            );
        } else {
            // The same results, order by order; the members come in allocation order.
            let got: serde_json::Value = serde_json::from_slice(resultados(&streamed)).unwrap();
            let want: serde_json::Value = serde_json::from_slice(&want).unwrap();
            assert_eq!(
                got.as_object().unwrap().len(),
                want.as_object().unwrap().len()
            );
            assert!(
                got == want,
                "modo {mode}: the streamed allocation differs from the one held whole"
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&streamed).unwrap();
        assert_eq!(
            v["estatisticas"]["processados"].as_u64(),
            Some(v["resultados"].as_object().unwrap().len() as u64)
        );
        // Large batches on one thread (in order) against many small ones, for the other
        // formats.
        for format in ["csv", "table"] {
            let whole = analyze(&db, mode, format, 1000, 1);
            let small = analyze(&db, mode, format, 7, 5);
            let (whole, small) = if format == "table" {
                // The first line says how long the run took.
                let skip = |t: &[u8]| -> Vec<u8> {
                    let at = t.iter().position(|&b| b == b'\n').unwrap();
                    t[at..].to_vec()
                };
                (skip(&whole), skip(&small))
            } else {
                (whole, small)
            };
            assert!(
                whole == small,
                "modo {mode}, formato {format}: the output depends on the batches"
            );
            assert!(
                whole.len() > 1000,
                "modo {mode}, formato {format}: output too short"
            );
        }
    }
}

/// An in-order output that remembers how many finished batches ever waited for an earlier one.
struct Watch {
    streamed: Streamed<Discard>,
    most_waiting: usize,
    batches: usize,
}

struct Discard;

impl InOrderSink for Discard {
    fn batch(&mut self, _batch: Batch) {}
}

impl Observer for Watch {
    fn started(&mut self, orders: &[String], batches: usize) {
        self.streamed.started(orders, batches);
    }

    fn batch(&mut self, batch: Batch) {
        self.streamed.batch(batch);
        self.batches += 1;
        self.most_waiting = self.most_waiting.max(self.streamed.waiting());
    }
}

/// Memory does not grow with the book: batches start in order and never more than a window
/// (4 x max_workers) ahead of the lowest unfinished one, so an in-order writer never holds more
/// than that many finished batches, however many batches the run has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_order_writer_keeps_only_a_window_of_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let db = book(tmp.path());
    let store = ruptura_store::connect(&db).await.unwrap();
    let workers = 5;
    let mut watch = Watch {
        streamed: Streamed::new(Discard),
        most_waiting: 0,
        batches: 0,
    };
    ruptura_app::analyze(
        store.as_ref(),
        &Selection::Book(OrderFilter::default()),
        Params::new(today()),
        RunOptions {
            batch_size: 3,
            max_workers: workers,
            json: true,
        },
        &mut watch,
    )
    .await
    .unwrap();
    assert!(watch.batches > 300, "{} batches", watch.batches);
    assert!(
        watch.most_waiting < 4 * workers,
        "{} finished batches waited for an earlier one",
        watch.most_waiting
    );
}

/// Writes a carteira of `lines` good lines and a movimentacao of `moves` good rows into `dir`,
/// each followed by one bad row when `bad`.
fn big_files(dir: &Path, lines: usize, moves: usize, bad: bool) {
    use std::fmt::Write;
    std::fs::create_dir_all(dir).unwrap();
    let mut carteira =
        String::from("id,num_pedido,cod_produto,nome_produto,qtd_saldo_produto_pedido\n");
    for i in 1..=lines {
        writeln!(carteira, "{i},P{},A{},Produto,3", i / 5, i % 50).unwrap();
    }
    let mut moves_csv = String::from("cod_produto,qtd_movimentacao,ativo\n");
    for i in 1..=moves {
        writeln!(moves_csv, "A{},{}.5,true", i % 50, i % 7).unwrap();
    }
    if bad {
        writeln!(carteira, "{},P1,A1,Produto,12x", lines + 1).unwrap();
        writeln!(moves_csv, ",7,true").unwrap();
    }
    std::fs::write(dir.join("carteira_principal.csv"), carteira).unwrap();
    std::fs::write(dir.join("movimentacao_estoque.csv"), moves_csv).unwrap();
}

/// `analyze --format json` of `db`: its `resultados`.
fn results_of(db: &str) -> serde_json::Value {
    let out = analyze(db, "independente", "json", 20, 2);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["resultados"].clone()
}

/// An import streamed into its transaction in pieces stays all or nothing: bad rows after
/// many pieces were written (in both files) are all reported and nothing is kept.
fn late_bad_rows_write_nothing(db: &str, dir: &Path) {
    let basic = ruptura_testkit::vectors_dir().join("01-basico");
    run_ok(&["import", "--db", db, basic.to_str().unwrap()]);
    let before = results_of(db);
    assert!(!before.as_object().unwrap().is_empty());

    // More rows than several pieces of the import, then a bad cell in each file.
    let (lines, moves) = (45_000, 50_000);
    let bad = dir.join("bad");
    big_files(&bad, lines, moves, true);
    let out = ruptura()
        .args(["import", "--db", db, bad.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let carteira_line = format!(
        "carteira_principal.csv:{}: coluna qtd_saldo_produto_pedido",
        lines + 2
    );
    let moves_line = format!("movimentacao_estoque.csv:{}: coluna cod_produto", moves + 2);
    assert!(stderr.contains(&carteira_line), "{stderr}");
    assert!(stderr.contains(&moves_line), "{stderr}");
    assert!(stderr.contains("nada foi importado"), "{stderr}");
    assert_eq!(results_of(db), before, "a refused import changed the data");

    // The same files without the bad rows: every piece is written.
    let good = dir.join("good");
    big_files(&good, lines, moves, false);
    let out = run_ok(&["import", "--db", db, good.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "carteira_principal: {} linha(s) gravadas",
            br(lines)
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "movimentacao_estoque: {} linha(s) gravadas",
            br(moves)
        )),
        "{stderr}"
    );
    let after = results_of(db);
    assert_eq!(after.as_object().unwrap().len(), lines / 5 + 1);
}

#[test]
fn streamed_import_is_all_or_nothing_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", tmp.path().join("r.db").display());
    late_bad_rows_write_nothing(&db, tmp.path());
}

#[test]
fn streamed_import_is_all_or_nothing_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(ruptura_store::testing::TestDb::create()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    late_bad_rows_write_nothing(db.url(), tmp.path());
    drop(db);
}

/// A count as the command line prints it (pt-BR: 45.000).
fn br(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}
