//! The decision scenarios of ../shared/vectors-decisoes (SPEC 8) through the real import and the
//! real binary: `ruptura analyze --format json` (resultados, estatisticas) and `ruptura produtos
//! --format json` (produtos, estatisticas), compared field by field with the whole of each
//! `expected.json`, on SQLite and on PostgreSQL. Also the table and CSV outputs and bad input.

mod common;

use common::{json_of, ruptura, run_ok};
use ruptura_store::testing::TestDb;
use ruptura_testkit::Scenario;

/// The flags every run of a scenario shares.
fn scenario_args(s: &Scenario, db: &str) -> Vec<String> {
    let p = &s.params;
    let mut args: Vec<String> = vec![
        "--db".into(),
        db.into(),
        "--today".into(),
        p["today"].as_str().expect("today").into(),
        "--horizonte".into(),
        p["horizon"].as_u64().expect("horizon").to_string(),
        "--lead-time".into(),
        p["lead"].as_u64().expect("lead").to_string(),
        "--modo".into(),
        p["mode"].as_str().expect("mode").into(),
        "--regra".into(),
        p["regra"].as_str().expect("regra").into(),
    ];
    if let Some(list) = s.pedidos() {
        args.extend(["--pedidos".into(), list.join(",")]);
    }
    if let Some(v) = s.param_minimum("parcial_min_valor") {
        args.extend(["--parcial-minimo-valor".into(), v]);
    }
    if let Some(v) = s.param_minimum("parcial_min_pct") {
        args.extend(["--parcial-minimo-pct".into(), v]);
    }
    args
}

fn run_json(command: &str, s: &Scenario, db: &str) -> serde_json::Value {
    let mut args = vec![command.to_string()];
    args.extend(scenario_args(s, db));
    args.extend(["--format".into(), "json".into()]);
    json_of(&run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>()))
}

/// `analyze` gives resultados and estatisticas, `produtos` gives produtos and the same
/// estatisticas: together, the whole expected document.
fn check_scenario(s: &Scenario, db: &str, diffs: &mut Vec<String>) {
    let analysis = run_json("analyze", s, db);
    let keys: Vec<&String> = analysis.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["estatisticas", "resultados"], "{}", s.name);
    s.check_document(&analysis, diffs);
    let produtos = run_json("produtos", s, db);
    let keys: Vec<&String> = produtos.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["estatisticas", "produtos"], "{}", s.name);
    s.check_document(&produtos, diffs);
}

fn assert_no_diffs(diffs: &[String]) {
    assert!(
        diffs.is_empty(),
        "{} difference(s):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

fn scenarios() -> Vec<Scenario> {
    let all = Scenario::all_decisions();
    assert!(all.len() >= 4, "expected the 4 decision scenarios, found {}", all.len());
    all
}

#[test]
fn every_decision_scenario_matches_the_whole_document() {
    let mut diffs = Vec::new();
    for s in scenarios() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite://{}", tmp.path().join("d.db").display());
        run_ok(&["import", "--db", &db, s.dir.to_str().expect("utf-8 path")]);
        check_scenario(&s, &db, &mut diffs);
    }
    assert_no_diffs(&diffs);
}

/// The same on PostgreSQL (skipped with a notice when it does not answer, unless `CI=true`).
#[test]
fn every_decision_scenario_matches_on_postgresql() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut diffs = Vec::new();
    for s in scenarios() {
        let Some(db) = rt.block_on(TestDb::create()) else {
            return;
        };
        run_ok(&[
            "import",
            "--db",
            db.url(),
            s.dir.to_str().expect("utf-8 path"),
        ]);
        check_scenario(&s, db.url(), &mut diffs);
    }
    assert_no_diffs(&diffs);
}

/// Priority mode gives a subset what the whole book gives it, and differs from sequential on
/// that subset (scenario 23).
#[test]
fn priority_subset_equals_the_whole_book_run() {
    let s = scenarios()
        .into_iter()
        .find(|s| s.name.starts_with("23-"))
        .expect("scenario 23");
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("p.db").display());
    run_ok(&["import", "--db", &db, s.dir.to_str().expect("utf-8 path")]);
    let subset = run_json("analyze", &s, &db);
    let mut whole_args: Vec<String> = vec!["analyze".into()];
    whole_args.extend(
        scenario_args(&s, &db)
            .into_iter()
            .take_while(|a| a != "--pedidos"),
    );
    whole_args.extend(["--format".into(), "json".into()]);
    let whole = json_of(&run_ok(
        &whole_args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for num in s.pedidos().expect("pedidos") {
        assert_eq!(
            subset["resultados"][&num], whole["resultados"][&num],
            "{num}"
        );
    }
    let mut seq_args = whole_args.clone();
    let modo = seq_args.iter().position(|a| a == "--modo").expect("--modo") + 1;
    seq_args[modo] = "sequencial".into();
    seq_args.extend(["--pedidos".into(), s.pedidos().expect("pedidos").join(",")]);
    let seq = json_of(&run_ok(
        &seq_args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_ne!(
        seq["resultados"]["P4"]["resumo"], subset["resultados"]["P4"]["resumo"],
        "sequencial over P2 and P4 alone must differ from the whole-book priority"
    );
}

#[test]
fn tables_and_csv_show_the_decisions() {
    let s = scenarios()
        .into_iter()
        .find(|s| s.name.starts_with("22-"))
        .expect("scenario 22");
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("t.db").display());
    run_ok(&["import", "--db", &db, s.dir.to_str().expect("utf-8 path")]);
    let run_text = |command: &str, format: &str| {
        let mut args = vec![command.to_string()];
        args.extend(scenario_args(&s, &db));
        args.extend(["--format".into(), format.into()]);
        String::from_utf8(
            run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>()).stdout,
        )
        .expect("utf-8")
    };
    let table = run_text("produtos", "table");
    let y = table.find("Y1+1").expect(&table);
    let x = table.find("Produto X").expect(&table);
    assert!(y < x, "ranked by value unlocked:\n{table}");
    assert!(table.contains("900,00") && table.contains("1/2"), "{table}");
    assert!(table.contains("100 em 12/03/2026"), "{table}");

    let csv_text = run_text("produtos", "csv");
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = rdr.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][col("codigos")], "Y1 Y2");
    assert_eq!(&rows[1][col("valor_destravado")], "505.00");

    let analysis = run_text("analyze", "table");
    assert!(
        analysis.contains("pode sair agora R$ 1.065,00") && analysis.contains("sem_expedicao 5"),
        "{analysis}"
    );
    assert!(analysis.contains("parcial"), "{analysis}");
    let csv_text = run_text("analyze", "csv");
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = rdr.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let p1 = rdr
        .records()
        .map(|r| r.expect("row"))
        .find(|r| &r[0] == "P1")
        .expect("P1");
    assert_eq!(&p1[col("valor_agora")], "105.00");
    assert_eq!(&p1[col("sugestao")], "parcial");
    assert_eq!(&p1[col("prazo")], "sem_expedicao");
}

#[test]
fn bad_decision_input_exits_non_zero_with_a_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("b.db").display());
    run_ok(&["migrate", "--db", &db]);
    for (args, needle) in [
        (vec!["analyze", "--modo", "turbo"], "modo desconhecido"),
        (vec!["produtos", "--modo", "turbo"], "modo desconhecido"),
        (
            vec!["analyze", "--parcial-minimo-valor", "-5"],
            "negativo",
        ),
        (vec!["produtos", "--parcial-minimo-pct", "muito"], "inválido"),
        (
            vec!["produtos", "--pedidos", "P1", "--vendedor", "Ana"],
            "não os dois",
        ),
    ] {
        let mut all = args.clone();
        all.extend(["--db", &db]);
        let out = ruptura().args(&all).output().expect("run ruptura");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let out = ruptura()
        .args(["analyze", "--db", &db, "--format", "json"])
        .env("PARCIAL_MINIMO_PCT", "-1")
        .output()
        .expect("run ruptura");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("negativo"));
}
