//! The command line as a user meets it: bad files, bad flags and bad database URLs get a clear
//! message and a non-zero exit, never a panic, and a failed import leaves the stored data as it
//! was.

mod common;

use std::path::Path;
use std::process::Output;

use common::{json_of, run_ok, ruptura};
use ruptura_testkit::vectors_dir;

fn fails(args: &[&str]) -> String {
    let out: Output = ruptura().args(args).output().expect("run ruptura");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "ruptura {args:?} should fail; stderr: {stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "ruptura {args:?} panicked: {stderr}"
    );
    assert!(
        !stderr.trim().is_empty(),
        "ruptura {args:?} failed silently"
    );
    stderr
}

/// A database holding the basic scenario, and its whole-book analysis as JSON.
fn seeded_db(dir: &Path) -> (String, serde_json::Value) {
    let db = format!("sqlite://{}", dir.join("r.db").display());
    let basic = vectors_dir().join("01-basico");
    run_ok(&["import", "--db", &db, basic.to_str().expect("utf-8")]);
    let before = analysis(&db);
    (db, before)
}

fn analysis(db: &str) -> serde_json::Value {
    let v = json_of(&run_ok(&[
        "analyze",
        "--db",
        db,
        "--today",
        "2026-03-02",
        "--format",
        "json",
    ]));
    v["resultados"].clone()
}

/// Copies the basic scenario into `dir`, replacing one file's contents.
fn scenario_with(dir: &Path, file: &str, contents: &[u8]) {
    let basic = vectors_dir().join("01-basico");
    std::fs::create_dir_all(dir).expect("mkdir");
    for entry in std::fs::read_dir(&basic).expect("read") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    std::fs::write(dir.join(file), contents).expect("write");
}

#[test]
fn bad_rows_are_reported_with_file_line_and_column_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (db, before) = seeded_db(tmp.path());
    let cases: [(&str, &[u8], &[&str]); 4] = [
        (
            "carteira_principal.csv",
            b"id,num_pedido,cod_produto,nome_produto,qtd_saldo_produto_pedido\n1,P9,A,X,12x\n2,P9,A,X,3\n",
            &["carteira_principal.csv:2", "qtd_saldo_produto_pedido"],
        ),
        (
            "movimentacao_estoque.csv",
            b"cod_produto,qtd_movimentacao,ativo\nA,5,true\n,7,true\n",
            &["movimentacao_estoque.csv:3", "cod_produto"],
        ),
        (
            "programacao_producao.csv",
            b"cod_produto;data_programacao;qtd_programada\nA;31/02/2026;50\n",
            &["programacao_producao.csv:2", "data_programacao"],
        ),
        ("separacao.csv", b"cod_produto,qtd_saldo,sincronizado_nf\nA,5,talvez\n", &["separacao.csv:2", "sincronizado_nf"]),
    ];
    for (i, (file, contents, needles)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("bad{i}"));
        scenario_with(&dir, file, contents);
        let stderr = fails(&["import", "--db", &db, dir.to_str().expect("utf-8")]);
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{file}: expected {needle:?} in: {stderr}"
            );
        }
        assert!(stderr.contains("nada foi importado"), "{stderr}");
        assert_eq!(analysis(&db), before, "{file}: the stored data changed");
    }
    // Several bad rows in several files: all reported in one run.
    let dir = tmp.path().join("many");
    scenario_with(
        &dir,
        "carteira_principal.csv",
        b"num_pedido,cod_produto,qtd_saldo_produto_pedido\nP1,A,x\nP2,A,y\n",
    );
    std::fs::write(
        dir.join("movimentacao_estoque.csv"),
        b"cod_produto,qtd_movimentacao\nA,z\n",
    )
    .expect("write");
    let stderr = fails(&["import", "--db", &db, dir.to_str().expect("utf-8")]);
    for needle in [
        "carteira_principal.csv:2",
        "carteira_principal.csv:3",
        "movimentacao_estoque.csv:2",
    ] {
        assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    }
    assert_eq!(analysis(&db), before);
}

#[test]
fn unreadable_inputs_fail_clearly_and_leave_the_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (db, before) = seeded_db(tmp.path());
    let missing = tmp.path().join("nao-existe");
    let stderr = fails(&["import", "--db", &db, missing.to_str().expect("utf-8")]);
    assert!(stderr.contains("nao-existe"), "{stderr}");

    let corrupt = tmp.path().join("corrupt");
    std::fs::create_dir_all(&corrupt).expect("mkdir");
    std::fs::write(
        corrupt.join("carteira_principal.xlsx"),
        b"PK\x03\x04 not really a workbook",
    )
    .expect("write");
    let stderr = fails(&["import", "--db", &db, corrupt.to_str().expect("utf-8")]);
    assert!(stderr.contains("carteira_principal.xlsx"), "{stderr}");

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    fails(&["import", "--db", &db, empty.to_str().expect("utf-8")]);
    assert_eq!(analysis(&db), before);
}

#[test]
fn append_adds_and_replace_replaces() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("a.db").display());
    let stock = tmp.path().join("stock");
    std::fs::create_dir_all(&stock).expect("mkdir");
    std::fs::write(
        stock.join("carteira_principal.csv"),
        b"num_pedido,cod_produto,qtd_saldo_produto_pedido,preco_produto_pedido\nP1,A,150,1\n",
    )
    .expect("write");
    std::fs::write(
        stock.join("movimentacao_estoque.csv"),
        b"cod_produto,qtd_movimentacao\nA,100\n",
    )
    .expect("write");
    run_ok(&["import", "--db", &db, stock.to_str().expect("utf-8")]);
    let short = |db: &str| {
        analysis(db)["P1"]["resumo"]["qtd_itens_ruptura"]
            .as_u64()
            .expect("count")
    };
    assert_eq!(short(&db), 1, "100 in stock, 150 ordered");
    let more = tmp.path().join("more");
    std::fs::create_dir_all(&more).expect("mkdir");
    std::fs::write(
        more.join("movimentacao_estoque.csv"),
        b"cod_produto,qtd_movimentacao\nA,60\n",
    )
    .expect("write");
    run_ok(&[
        "import",
        "--append",
        "--db",
        &db,
        more.to_str().expect("utf-8"),
    ]);
    assert_eq!(short(&db), 0, "appended: 160 in stock");
    run_ok(&["import", "--db", &db, more.to_str().expect("utf-8")]);
    assert_eq!(
        short(&db),
        1,
        "replaced: 60 in stock; the order book (no file given) is kept"
    );
}

#[test]
fn bad_flags_and_databases_get_a_clear_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (db, _) = seeded_db(tmp.path());
    for (args, needle) in [
        (
            vec!["analyze", "--db", db.as_str(), "--format", "xml"],
            "xml",
        ),
        (
            vec!["analyze", "--db", db.as_str(), "--today", "2026-13-01"],
            "2026-13-01",
        ),
        (
            vec!["analyze", "--db", db.as_str(), "--modo", "turbo"],
            "turbo",
        ),
        (
            vec!["analyze", "--db", db.as_str(), "--horizonte", "sete"],
            "sete",
        ),
        (
            vec!["analyze", "--db", db.as_str(), "--regra", "nenhuma"],
            "nenhuma",
        ),
        (
            vec!["analyze", "--db", db.as_str(), "--tz", "Marte/Base"],
            "Marte/Base",
        ),
        (
            vec!["analyze", "--db", db.as_str(), "--pedidos", ","],
            "pedidos",
        ),
        (vec!["analyze", "--db", "mysql://u@h/db"], "mysql"),
        (
            vec!["analyze", "--db", "/nao/existe/pasta/r.db"],
            "/nao/existe/pasta",
        ),
        (vec!["import", "--db", db.as_str()], "CAMINHO"),
        (vec!["nada"], "nada"),
    ] {
        let stderr = fails(&args);
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in: {stderr}"
        );
    }
    // A missing database: named, with what to run, and nothing is created by analyze.
    let empty = tmp.path().join("vazio.db");
    let stderr = fails(&["analyze", "--db", empty.to_str().expect("utf-8")]);
    assert!(
        stderr.contains("não há banco em") && stderr.contains("ruptura import"),
        "{stderr}"
    );
    assert!(!empty.exists());
    // An empty one: the tables are named as missing.
    std::fs::write(&empty, b"").expect("empty file");
    let stderr = fails(&["analyze", "--db", empty.to_str().expect("utf-8")]);
    assert!(
        stderr.contains("ruptura migrate") || stderr.contains("carteira_principal"),
        "{stderr}"
    );
    let out = tmp.path().join("out.json");
    fails(&["analyze", "--db", &db, "--output", "/nao/existe/out.json"]);
    run_ok(&[
        "analyze",
        "--db",
        &db,
        "--today",
        "2026-03-02",
        "--format",
        "json",
        "--output",
        out.to_str().expect("utf-8"),
    ]);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let keys: Vec<&String> = written.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["estatisticas", "resultados"],
        "exactly the two keys of SPEC 3.1"
    );
}

#[test]
fn csv_and_table_formats_summarise_each_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (db, _) = seeded_db(tmp.path());
    let csv = run_ok(&[
        "analyze",
        "--db",
        &db,
        "--today",
        "2026-03-02",
        "--format",
        "csv",
        "--pedidos",
        "P1,P2,X",
    ]);
    // Brazilian CSV (SPEC 8.6): UTF-8 with BOM, `;`, decimal comma, dd/mm/aaaa.
    assert!(csv.stdout.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8_lossy(&csv.stdout[3..]);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let headers = rdr.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 3);
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    assert_eq!(&rows[0][col("criticidade")], "OK");
    assert_eq!(&rows[1][col("criticidade")], "CRITICA");
    assert_eq!(&rows[1][col("valor_com_ruptura")], "1200,00");
    assert_eq!(&rows[1][col("data_pronto")], "05/03/2026");
    assert_eq!(&rows[2][col("criticidade")], "ERRO");

    // The workbook: three sheets, real numbers and dates.
    let xlsx = tmp.path().join("r.xlsx");
    run_ok(&[
        "analyze",
        "--db",
        &db,
        "--today",
        "2026-03-02",
        "--format",
        "xlsx",
        "--output",
        xlsx.to_str().expect("path"),
    ]);
    use calamine::{Data, Reader};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("open the workbook");
    assert_eq!(wb.sheet_names(), ["Pedidos", "Itens em falta", "Produtos"]);
    let pedidos = wb.worksheet_range("Pedidos").expect("Pedidos");
    let head: Vec<String> = pedidos
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let at = |name: &str| head.iter().position(|h| h == name).expect(name);
    let p2 = pedidos
        .rows()
        .find(|r| r[0] == Data::String("P2".into()))
        .expect("P2");
    assert_eq!(
        p2[at("valor_com_ruptura")],
        Data::Float(1200.0),
        "a number, not text"
    );
    assert!(
        matches!(p2[at("data_pronto")], Data::DateTime(_)),
        "a date, not text: {:?}",
        p2[at("data_pronto")]
    );
    let itens = wb.worksheet_range("Itens em falta").expect("Itens");
    assert!(itens
        .rows()
        .skip(1)
        .any(|r| r[0] == Data::String("P2".into())));
    let table = run_ok(&[
        "analyze",
        "--db",
        &db,
        "--today",
        "2026-03-02",
        "--format",
        "table",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("2 pedidos analisados"), "{text}");
    assert!(
        text.contains("P2") && text.contains("1.200,00") && text.contains("05/03/2026"),
        "{text}"
    );
}

#[test]
fn migrate_is_idempotent() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", tmp.path().join("m.db").display());
    run_ok(&["migrate", "--db", &db]);
    run_ok(&["migrate", "--db", &db]);
    let out = run_ok(&["analyze", "--db", &db, "--format", "json"]);
    assert_eq!(json_of(&out)["estatisticas"]["total_pedidos"], 0);
}

/// How to run a command as a user that may not write the database: as root (CI), file modes do
/// not stop writes, so the binary runs as `nobody` (uid 65534) through `setpriv` or `runuser`;
/// otherwise the file modes alone do.
fn unprivileged(bin: &Path) -> std::process::Command {
    let uid = std::process::Command::new("id")
        .arg("-u")
        .output()
        .expect("id -u");
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return std::process::Command::new(bin);
    }
    let has = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has("setpriv") {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin);
        cmd
    } else if has("runuser") {
        let mut cmd = std::process::Command::new("runuser");
        cmd.args(["-u", "nobody", "--"]).arg(bin);
        cmd
    } else {
        panic!("running as root without setpriv or runuser: cannot drop privileges");
    }
}

/// A read-only SQLite file (0444, in a 0555 folder, WAL mode, no -shm beside it) is analysed by
/// a process that cannot write it: analyze, produtos, execucoes and mudancas work on it, the
/// recording of the run fails with a warning naming the cause, import fails naming it, and the
/// file and its folder are byte for byte as they were.
#[test]
fn read_only_database_is_analysed_and_never_written() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let dir = tmp.path().join("somente-leitura");
    std::fs::create_dir(&dir).expect("mkdir");
    let file = dir.join("r.db");
    let path = file.to_str().expect("utf-8").to_string();
    let basic = vectors_dir().join("01-basico");
    run_ok(&["import", "--db", &path, basic.to_str().expect("utf-8")]);
    run_ok(&["migrate", "--db", &path]);
    let expected = json_of(&run_ok(&[
        "analyze",
        "--db",
        &path,
        "--today",
        "2025-01-06",
        "--format",
        "json",
        "--sem-registro",
    ]));
    // That read-only analysis, in a folder it may write, left an empty -wal and the -shm index
    // (only a connection that can write removes them): take them away, so the unprivileged
    // runs below find the WAL file alone, as a copied database is.
    for suffix in ["-wal", "-shm"] {
        let side = dir.join(format!("r.db{suffix}"));
        if side.exists() {
            if suffix == "-wal" {
                assert_eq!(std::fs::metadata(&side).expect("wal").len(), 0);
            }
            std::fs::remove_file(&side).expect("remove");
        }
    }
    let bytes = std::fs::read(&file).expect("read db");
    assert_eq!(&bytes[18..20], &[2, 2], "the file is in WAL mode");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(listing(), ["r.db"]);

    // The binary must be reachable by the unprivileged user: copy it beside the folder when
    // its own path is not.
    let mut bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_ruptura"));
    if !unprivileged(&bin)
        .arg("--version")
        .current_dir(tmp.path())
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let copy = tmp.path().join("ruptura");
        std::fs::copy(&bin, &copy).expect("copy binary");
        bin = copy;
    }
    let run_as = |args: &[&str]| {
        let mut cmd = unprivileged(&bin);
        cmd.args(args).current_dir(tmp.path());
        for var in [
            "DATABASE_URL",
            "EXECUCOES_URL",
            "API_TOKEN",
            "LEAD_TIME_DIAS",
        ] {
            cmd.env_remove(var);
        }
        cmd.output().expect("run ruptura")
    };

    let out = run_as(&[
        "analyze",
        "--db",
        &path,
        "--today",
        "2025-01-06",
        "--formato",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "analyze failed: {stderr}");
    assert_eq!(json_of(&out)["resultados"], expected["resultados"]);
    assert!(
        stderr.contains("não será registrada") && stderr.contains("somente leitura"),
        "{stderr}"
    );
    assert!(!stderr.contains("readonly database"), "{stderr}");
    for args in [
        vec!["produtos", "--db", &path, "--today", "2025-01-06"],
        vec!["execucoes", "--db", &path],
    ] {
        let out = run_as(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // No run was recorded: mudancas says so (exit 1), without failing to open the file.
    let out = run_as(&["mudancas", "--db", &path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nenhuma execução"), "{stderr}");
    // A command that writes names the cause.
    let out = run_as(&["import", "--db", &path, basic.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("somente leitura"), "{stderr}");

    assert_eq!(
        std::fs::read(&file).expect("read db"),
        bytes,
        "the file changed"
    );
    assert_eq!(listing(), ["r.db"], "files were created beside it");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// PostgreSQL: while another session holds `LOCK TABLE carteira_principal IN ACCESS EXCLUSIVE
/// MODE`, an analysis with a short `statement_timeout` (given in the URL) fails at that timeout
/// with a message naming the cause, instead of waiting for the lock (the default limit is
/// 120 s); once the lock is released the same analysis succeeds.
#[test]
fn postgres_statement_timeout_ends_a_read_blocked_by_a_lock() {
    use sqlx::Executor;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(db) = rt.block_on(ruptura_store::testing::TestDb::create()) else {
        return;
    };
    let basic = vectors_dir().join("01-basico");
    run_ok(&["import", "--db", db.url(), basic.to_str().expect("utf-8")]);
    let url = format!("{}?options[statement_timeout]=2s", db.url());
    let args = [
        "analyze",
        "--db",
        &url,
        "--today",
        "2025-01-06",
        "--formato",
        "json",
        "--sem-registro",
    ];
    let expected = json_of(&run_ok(&args));

    let mut locker = rt.block_on(db.connect());
    rt.block_on(async {
        locker.execute("BEGIN").await.expect("begin");
        locker
            .execute("LOCK TABLE carteira_principal IN ACCESS EXCLUSIVE MODE")
            .await
            .expect("lock");
    });
    let started = std::time::Instant::now();
    let out = ruptura().args(args).output().expect("run ruptura");
    let waited = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("statement_timeout") && stderr.contains("travada"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Bounded by the URL's 2 s (plus start-up), far from the 120 s default: not hanging.
    assert!(
        waited < std::time::Duration::from_secs(60),
        "waited {waited:?}"
    );

    rt.block_on(async {
        locker.execute("ROLLBACK").await.expect("rollback");
    });
    let again = json_of(&run_ok(&args));
    assert_eq!(again["resultados"], expected["resultados"]);
}
