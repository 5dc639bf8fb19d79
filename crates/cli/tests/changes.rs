//! Recorded runs and what changed between them (SPEC 8.5), through the real binary: import a
//! book, analyse it, import the changed book, analyse again, and check every listed order's kind
//! and causes; on SQLite and on PostgreSQL. Also: which analyses are recorded, the retention, a
//! recording failure that does not fail the analysis, and the scheduled analysis of `serve`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{json_of, run_ok, ruptura};
use ruptura_store::testing::TestDb;
use ruptura_testkit::changes::{self, Book, NEXT_DAY, TODAY};
use serde_json::Value;

fn import(db: &str, dir: &std::path::Path, book: Book) {
    changes::write(dir, book);
    run_ok(&["import", "--db", db, dir.to_str().expect("utf-8")]);
}

fn analyze(db: &str, today: &str, extra: &[&str]) -> Value {
    let mut args = vec!["analyze", "--db", db, "--today", today, "--format", "json"];
    args.extend_from_slice(extra);
    json_of(&run_ok(&args))
}

fn runs(db: &str) -> Vec<Value> {
    let list = json_of(&run_ok(&["execucoes", "--db", db, "--format", "json"]));
    list["execucoes"].as_array().expect("execucoes").clone()
}

fn mudancas(db: &str, extra: &[&str]) -> Value {
    let mut args = vec!["mudancas", "--db", db, "--format", "json"];
    args.extend_from_slice(extra);
    json_of(&run_ok(&args))
}

fn by_order(m: &Value) -> BTreeMap<String, Value> {
    m["mudancas"]
        .as_array()
        .expect("mudancas")
        .iter()
        .map(|c| {
            (
                c["num_pedido"].as_str().expect("num").to_string(),
                c.clone(),
            )
        })
        .collect()
}

fn cause<'a>(change: &'a Value, tipo: &str) -> &'a Value {
    change["causas"]
        .as_array()
        .expect("causas")
        .iter()
        .find(|c| c["tipo"] == tipo)
        .unwrap_or_else(|| panic!("no {tipo} cause in {change}"))
}

/// The whole story on one database.
fn scenario(db: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    import(db, &tmp.path().join("antes"), Book::Before);
    analyze(db, TODAY, &[]);
    analyze(db, TODAY, &["--modo", "sequencial"]);
    // Not the whole book, or asked not to: not recorded.
    analyze(db, TODAY, &["--pedidos", "PA,PB"]);
    analyze(db, TODAY, &["--vendedor", "ninguém"]);
    analyze(db, TODAY, &["--sem-registro"]);
    let listed = runs(db);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["modo"], "sequencial");
    assert_eq!(listed[1]["modo"], "independente");
    assert_eq!(listed[1]["origem"], "analyze");
    assert_eq!(listed[1]["data_base"], TODAY);
    assert_eq!(listed[1]["total_pedidos"], 11);
    let (indep_before, seq_before) = (listed[1]["id"].clone(), listed[0]["id"].clone());

    import(db, &tmp.path().join("depois"), Book::After);
    analyze(db, TODAY, &[]);
    analyze(db, TODAY, &["--modo", "sequencial"]);
    let listed = runs(db);
    assert_eq!(listed.len(), 4);
    let (indep_after, seq_after) = (listed[1]["id"].clone(), listed[0]["id"].clone());

    // Independent runs: each listed order with its kind and causes; nothing else listed.
    let para = indep_after.to_string();
    let m = mudancas(db, &["--para", &para]);
    assert_eq!(m["de"]["id"], indep_before, "default de: same mode");
    assert_eq!(m["para"]["id"], indep_after);
    let diffs = changes::check_independent(&m);
    assert!(diffs.is_empty(), "{diffs:#?}\n{m:#}");
    let got = by_order(&m);
    // Before and after, from the recorded inputs.
    let pa = cause(&got["PA"], "estoque");
    assert_eq!(
        (pa["antes"].as_f64(), pa["depois"].as_f64()),
        (Some(120.0), Some(15.0))
    );
    assert_eq!(pa["texto"], "estoque de 4000218 caiu de 120 para 15");
    assert_eq!(got["PA"]["antes"]["criticidade"], "OK");
    assert_eq!(got["PA"]["depois"]["pedido_ok"], false);
    let pb = cause(&got["PB"], "compromissos");
    assert_eq!(
        pb["antes"],
        serde_json::json!([{"data": "2026-03-04", "qtd": 0.0}])
    );
    assert_eq!(
        pb["depois"],
        serde_json::json!([{"data": "2026-03-04", "qtd": 50.0}])
    );
    let pc = cause(&got["PC"], "producao");
    assert_eq!(
        pc["depois"],
        serde_json::json!([{"data": "2026-03-20", "qtd": 100.0}])
    );
    assert_eq!(
        got["PC"]["antes"]["data_disponibilidade_total"],
        Value::Null
    );
    assert_eq!(
        got["PC"]["depois"]["data_disponibilidade_total"],
        "2026-03-20"
    );
    let pd = cause(&got["PD"], "pedido");
    assert_eq!(
        (pd["antes"].as_f64(), pd["depois"].as_f64()),
        (Some(50.0), Some(150.0))
    );
    assert_eq!(
        cause(&got["PE"], "producao")["texto"],
        "produção de 4000037 antecipada de 12/03 para 05/03"
    );
    assert_eq!(got["PN"]["antes"], Value::Null);
    assert_eq!(got["PR"]["depois"], Value::Null);
    assert_eq!(m["resumo"]["nova_ruptura"], 3);
    assert_eq!(m["resumo"]["melhorou"], 2);

    // Priority runs (the default pair: the two latest of the same mode): what orders ranked ahead
    // took is a cause of its own.
    let m = mudancas(db, &[]);
    assert_eq!(
        (&m["de"]["id"], &m["para"]["id"]),
        (&seq_before, &seq_after)
    );
    let got = by_order(&m);
    let pd2 = &got["PD2"];
    assert_eq!(pd2["tipo"], "nova_ruptura");
    let causes = pd2["causas"].as_array().expect("causas");
    assert_eq!(causes.len(), 1, "{pd2:#}");
    assert_eq!(causes[0]["tipo"], "fila");
    assert_eq!(
        (causes[0]["antes"].as_f64(), causes[0]["depois"].as_f64()),
        (Some(50.0), Some(100.0))
    );
    let pa2 = &got["PA2"];
    assert_eq!(pa2["tipo"], "nova_ruptura");
    let fila = cause(pa2, "fila");
    assert_eq!(
        (fila["antes"].as_f64(), fila["depois"].as_f64()),
        (Some(100.0), Some(15.0))
    );
    cause(pa2, "estoque");

    // The next day on the same data: only the reference date moved.
    analyze(db, NEXT_DAY, &[]);
    let next = runs(db)[0]["id"].to_string();
    let m = mudancas(db, &["--de", &para, "--para", &next]);
    let got = by_order(&m);
    assert_eq!(got.keys().collect::<Vec<_>>(), ["PW"], "{m:#}");
    assert_eq!(got["PW"]["tipo"], "nova_ruptura");
    let causes = got["PW"]["causas"].as_array().expect("causas");
    assert_eq!(causes.len(), 1, "{m:#}");
    assert_eq!(causes[0]["tipo"], "data_base");
    assert_eq!(
        (&causes[0]["antes"], &causes[0]["depois"]),
        (&Value::from(TODAY), &Value::from(NEXT_DAY))
    );

    // The table says the same in words.
    let out = run_ok(&[
        "mudancas",
        "--db",
        db,
        "--de",
        &indep_before.to_string(),
        "--para",
        &para,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("estoque de 4000218 caiu de 120 para 15"),
        "{text}"
    );
    assert!(text.contains("nova_ruptura 3"), "{text}");
}

#[test]
fn changes_between_runs_on_sqlite() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("m.db").display());
    scenario(&db);
}

#[test]
fn changes_between_runs_on_postgresql() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(db) = rt.block_on(TestDb::create()) else {
        return;
    };
    scenario(db.url());
}

fn fails(args: &[&str]) -> String {
    let out = ruptura().args(args).output().expect("run ruptura");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn retention_keeps_exactly_the_last_runs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("r.db").display());
    import(&db, &tmp.path().join("antes"), Book::Before);
    for _ in 0..5 {
        analyze(&db, TODAY, &["--execucoes-mantidas", "3"]);
    }
    let ids: Vec<i64> = runs(&db)
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [5, 4, 3]);
    // A dropped run cannot be compared; kept ones can.
    assert!(fails(&["mudancas", "--db", &db, "--de", "1"]).contains("execução 1 não encontrada"));
    let m = mudancas(&db, &["--de", "3", "--para", "5"]);
    assert_eq!(m["mudancas"], serde_json::json!([]));
    // Bad requests: a clear message and a non-zero exit.
    assert!(fails(&["mudancas", "--db", &db, "--de", "5", "--para", "3"]).contains("anterior"));
    assert!(fails(&["mudancas", "--db", &db, "--de", "x"]).contains("--de"));
}

#[test]
fn nothing_to_compare_is_said_clearly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("n.db").display());
    import(&db, &tmp.path().join("antes"), Book::Before);
    assert!(fails(&["mudancas", "--db", &db]).contains("nenhuma execução registrada"));
    analyze(&db, TODAY, &[]);
    assert!(fails(&["mudancas", "--db", &db]).contains("não há execução anterior"));
}

#[test]
fn a_recording_failure_does_not_fail_the_analysis() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("f.db");
    let db = format!("sqlite://{}", path.display());
    import(&db, &tmp.path().join("antes"), Book::Before);
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch("DROP TABLE execucoes").expect("drop");
    drop(conn);
    let out = run_ok(&["analyze", "--db", &db, "--today", TODAY, "--format", "json"]);
    let report = json_of(&out);
    assert_eq!(report["estatisticas"]["processados"], 11);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("não foi registrada"), "{stderr}");
    assert!(stderr.contains("ruptura migrate"), "{stderr}");

    // A separate database for the runs (as for the old system's database): created on first use.
    let runs_db = format!("sqlite://{}", tmp.path().join("execucoes.db").display());
    let out = run_ok(&[
        "analyze",
        "--db",
        &db,
        "--today",
        TODAY,
        "--format",
        "json",
        "--execucoes-db",
        &runs_db,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    let list = json_of(&run_ok(&[
        "execucoes",
        "--db",
        &db,
        "--execucoes-db",
        &runs_db,
        "--format",
        "json",
    ]));
    assert_eq!(list["execucoes"].as_array().map(Vec::len), Some(1));
}

/// `serve --agendar 1s` analyses the whole book by itself and records each run.
#[test]
fn serve_records_scheduled_runs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("s.db").display());
    import(&db, &tmp.path().join("antes"), Book::Before);
    let mut child = ruptura()
        .args([
            "serve",
            "--db",
            &db,
            "--bind",
            "127.0.0.1:0",
            "--agendar",
            "1s",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    // Drain stderr so the server never blocks on a full pipe.
    let lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let started = Instant::now();
    let mut scheduled = 0;
    while started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(300));
        scheduled = runs(&db)
            .iter()
            .filter(|r| r["origem"] == "agendada")
            .count();
        if scheduled >= 2 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = lines.join().unwrap_or_default();
    assert!(
        scheduled >= 2,
        "scheduled runs: {scheduled}; serve said: {log:?}"
    );
}

#[test]
fn a_bad_schedule_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("b.db").display());
    import(&db, &tmp.path().join("antes"), Book::Before);
    let stderr = fails(&[
        "serve",
        "--db",
        &db,
        "--bind",
        "127.0.0.1:0",
        "--agendar",
        "amanhã",
    ]);
    assert!(stderr.contains("agendamento inválido"), "{stderr}");
}
