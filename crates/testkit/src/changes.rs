//! A book and the same book changed, for the tests of recorded runs and their comparison
//! (SPEC 8.5): stock down on one product, a new commitment on another, production added for a
//! third and moved earlier for a fourth, one order's quantity raised, one order removed, one
//! added. [`expected_independent`] says what the comparison must list, and nothing else.

use std::path::Path;

/// Reference date of the runs.
pub const TODAY: &str = "2026-03-02";
/// The next day: only the production dated on [`TODAY`] stops counting (SPEC 2.1).
pub const NEXT_DAY: &str = "2026-03-03";

const CARTEIRA_HEADER: &str =
    "id,num_pedido,cod_produto,nome_produto,qtd_saldo_produto_pedido,preco_produto_pedido,expedicao\n";

const CARTEIRA_COMMON: &str = "\
1,PA,4000218,Produto A,100,10.00,2026-03-03
2,PA2,4000218,Produto A,10,10.00,2026-03-10
3,PB,B100,Produto B,80,10.00,2026-03-10
4,PC,C100,Produto C,40,10.00,2026-03-10
6,PD2,D100,Produto D,40,10.00,2026-03-06
7,PE,4000037,Produto E,50,10.00,2026-03-10
9,PU1,G100,Produto G,10,10.00,2026-03-10
10,PU2,H100,Produto H,30,10.00,2026-03-10
11,PW,W100,Produto W,50,10.00,2026-03-10
";

const ESTOQUE_COMMON: &str = "\
B100,100,true
C100,10,true
D100,100,true
F100,100,true
G100,100,true
H100,10,true
";

/// Which book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Book {
    Before,
    After,
}

/// The five files of `book`, as (file name, contents).
pub fn files(book: Book) -> Vec<(&'static str, String)> {
    let after = book == Book::After;
    let mut carteira = format!("{CARTEIRA_HEADER}{CARTEIRA_COMMON}");
    if after {
        // PD's quantity raised; PR removed; PN added.
        carteira.push_str("5,PD,D100,Produto D,150,10.00,2026-03-03\n");
        carteira.push_str("12,PN,F100,Produto F,5,10.00,2026-03-10\n");
    } else {
        carteira.push_str("5,PD,D100,Produto D,50,10.00,2026-03-03\n");
        carteira.push_str("8,PR,F100,Produto F,10,10.00,2026-03-10\n");
    }
    // Stock of 4000218 down from 120 to 15.
    let estoque = format!(
        "cod_produto,qtd_movimentacao,ativo\n{ESTOQUE_COMMON}4000218,{},true\n",
        if after { 15 } else { 120 }
    );
    // A new commitment of 50 on B100. W100's commitment on TODAY is overdue the next day, which
    // changes nothing but the day it is counted on.
    let separacao = if after {
        "cod_produto,qtd_saldo,expedicao,sincronizado_nf,num_pedido\nW100,5,2026-03-02,false,X8\nB100,50,2026-03-04,false,X9\n"
    } else {
        "cod_produto,qtd_saldo,expedicao,sincronizado_nf,num_pedido\nW100,5,2026-03-02,false,X8\n"
    };
    // Production added for C100; 4000037's moved from 12/03 to 05/03; W100's on TODAY.
    let producao = if after {
        "cod_produto,data_programacao,qtd_programada\n4000037,2026-03-05,50\nW100,2026-03-02,100\nC100,2026-03-20,100\n"
    } else {
        "cod_produto,data_programacao,qtd_programada\n4000037,2026-03-12,50\nW100,2026-03-02,100\n"
    };
    vec![
        ("carteira_principal.csv", carteira),
        ("movimentacao_estoque.csv", estoque),
        ("separacao.csv", separacao.to_string()),
        ("programacao_producao.csv", producao.to_string()),
        (
            "unificacao_codigos.csv",
            "codigo_origem,codigo_destino,ativo\n".to_string(),
        ),
    ]
}

/// Writes the files of `book` into `dir`.
pub fn write(dir: &Path, book: Book) {
    std::fs::create_dir_all(dir).expect("create dir");
    for (name, contents) in files(book) {
        std::fs::write(dir.join(name), contents).expect("write csv");
    }
}

/// One listed order: its number, kind, and its causes as (cod_produto, tipo, antes, depois)
/// with quantities as numbers and dated lists as `[{"data", "qtd"}]`.
pub type Expected = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

/// What comparing the independent runs of [`Book::Before`] and [`Book::After`] on [`TODAY`] must
/// list: every changed order with its kind and the kinds of its causes (per code). PA2, PD2, PU1,
/// PU2 and PW did not change and must not be listed.
pub fn expected_independent() -> Vec<Expected> {
    vec![
        ("PA", "nova_ruptura", vec![("4000218", "estoque")]),
        ("PB", "nova_ruptura", vec![("B100", "compromissos")]),
        ("PC", "melhorou", vec![("C100", "producao")]),
        ("PD", "nova_ruptura", vec![("D100", "pedido")]),
        ("PE", "melhorou", vec![("4000037", "producao")]),
        ("PN", "entrou", vec![("F100", "pedido")]),
        ("PR", "saiu", vec![("F100", "pedido")]),
    ]
}

/// Checks a comparison (`{"mudancas": [...]}`) of the independent runs against
/// [`expected_independent`]: exactly those orders, each with its kind and its causes' codes and
/// kinds, in order. Returns every difference.
pub fn check_independent(m: &serde_json::Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let Some(listed) = m["mudancas"].as_array() else {
        return vec![format!("no mudancas in {m}")];
    };
    let expected = expected_independent();
    let nums: Vec<&str> = listed
        .iter()
        .filter_map(|c| c["num_pedido"].as_str())
        .collect();
    let mut want: Vec<&str> = expected.iter().map(|e| e.0).collect();
    want.sort_unstable();
    let mut got = nums.clone();
    got.sort_unstable();
    if got != want {
        diffs.push(format!("listed {got:?}, expected {want:?}"));
    }
    for (num, tipo, causes) in expected {
        let Some(c) = listed.iter().find(|c| c["num_pedido"] == num) else {
            continue;
        };
        if c["tipo"] != tipo {
            diffs.push(format!("{num}: tipo {}, expected {tipo}", c["tipo"]));
        }
        let have: Vec<(String, String)> = c["causas"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x["cod_produto"].as_str().unwrap_or("?").to_string(),
                            x["tipo"].as_str().unwrap_or("?").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let want: Vec<(String, String)> = causes
            .iter()
            .map(|(cod, t)| (cod.to_string(), t.to_string()))
            .collect();
        if have != want {
            diffs.push(format!("{num}: causes {have:?}, expected {want:?}"));
        }
        let texts_ok = c["causas"].as_array().is_some_and(|a| {
            a.iter()
                .all(|x| x["texto"].as_str().is_some_and(|t| !t.is_empty()))
        });
        if !texts_ok {
            diffs.push(format!("{num}: a cause without texto: {c}"));
        }
    }
    diffs
}
