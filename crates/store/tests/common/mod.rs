//! Datasets and helpers shared by the store tests.
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use ruptura_engine::records::{
    CarteiraRow, Dataset, MovimentacaoRow, ProgramacaoRow, SeparacaoRow, UnificacaoRow,
};
use ruptura_engine::Snapshot;
use ruptura_store::postgres::PgStore;
use ruptura_store::sqlite::SqliteStore;
use ruptura_store::testing::TestDb;
use ruptura_store::{Loaded, OrderFilter, OrderQuery, OrderSort, Selection, Store};
use rust_decimal::Decimal;

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

pub const TODAY: &str = "2026-03-02";

pub fn today() -> NaiveDate {
    day(TODAY)
}

/// A deterministic order book of `orders` orders over 50 numeric product codes ("1000".."1049"),
/// with everything the reads must get right: inactive and already-invoiced lines, null prices,
/// inactive and negative movements, invoiced / overdue / undated / future outflows with
/// fractional quantities, past and future production, active and inactive links (chains),
/// several sellers, teams, cities and UFs, and `%` / `_` in client names. `variant` changes every
/// value and the number of rows of every table.
pub fn sample(orders: usize, variant: u32) -> Dataset {
    let v = i64::from(variant);
    let code = |i: usize| format!("{}", 1000 + (i % 50));
    let mut lines = Vec::new();
    let mut id = 1;
    for o in 0..orders {
        for l in 0..(1 + (o + variant as usize) % 3) {
            let q = match (o + l) % 11 {
                0 => dec("0.0004"), // below the open-quantity floor
                _ => Decimal::new((((o * 7 + l * 13) % 90) as i64 + 1 + v) * 1000 + 250, 3),
            };
            lines.push(CarteiraRow {
                id: Some(id),
                num_pedido: format!("P{o:05}"),
                cod_produto: code(o * 3 + l),
                nome_produto: format!("Produto {}", code(o * 3 + l)),
                qtd_saldo_produto_pedido: q,
                preco_produto_pedido: (o % 7 != 3)
                    .then(|| Decimal::new((o % 50) as i64 * 100 + 99 + v, 2)),
                ativo: (o + l) % 13 != 5,
                raz_social_red: Some(if o % 10 == 0 {
                    format!("Cliente {o} 50% off_x")
                } else {
                    format!("Cliente {o}")
                }),
                cnpj_cpf: Some(format!("{:014}", o * 97)),
                nome_cidade: Some(["Campinas", "Santos", "Niteroi", "Recife"][o % 4].into()),
                cod_uf: Some(["SP", "SP", "RJ", "PE"][o % 4].into()),
                vendedor: Some(format!("Vendedor {}", o % 5)),
                equipe_vendas: Some(format!("Equipe {}", o % 3)),
                data_pedido: (o % 5 != 0)
                    .then(|| day("2026-02-01") + chrono::Days::new((o % 20) as u64)),
                expedicao: (o % 4 != 0)
                    .then(|| day("2026-02-25") + chrono::Days::new((o % 15) as u64)),
                agendamento: None,
            });
            id += 1;
        }
    }
    let mut moves = Vec::new();
    for i in 0..(50 + variant as usize) {
        moves.push(MovimentacaoRow {
            id: None,
            cod_produto: code(i),
            nome_produto: Some(format!("Produto {}", code(i))),
            data_movimentacao: Some(day("2026-02-20")),
            tipo_movimentacao: Some("ENTRADA".into()),
            qtd_movimentacao: Decimal::new(((i * 37) % 400) as i64 * 1000 + 125 + v, 3),
            ativo: i % 9 != 4,
        });
        if i % 4 == 0 {
            moves.push(MovimentacaoRow {
                id: None,
                cod_produto: code(i),
                nome_produto: None,
                data_movimentacao: None,
                tipo_movimentacao: None,
                qtd_movimentacao: Decimal::new(-((i as i64) * 1000 + 500 + v), 3),
                ativo: true,
            });
        }
    }
    let mut outs = Vec::new();
    for i in 0..(60 + 2 * variant as usize) {
        outs.push(SeparacaoRow {
            id: Some(i as i64 + 1),
            separacao_lote_id: Some(format!("L{i}")),
            num_pedido: Some(format!("S{i}")),
            cod_produto: code(i * 7),
            qtd_saldo: Decimal::new(((i % 9) as i64 + 1) * 100 + v, 3) + dec("0.1"),
            expedicao: match i % 5 {
                0 => None,
                1 => Some(day("2026-02-10")),
                _ => Some(day(TODAY) + chrono::Days::new((i % 12) as u64)),
            },
            sincronizado_nf: i % 6 == 2,
        });
    }
    let mut ins = Vec::new();
    for i in 0..(40 + variant as usize) {
        ins.push(ProgramacaoRow {
            id: None,
            cod_produto: code(i * 11),
            nome_produto: None,
            data_programacao: if i % 7 == 0 {
                day("2026-02-27")
            } else {
                day(TODAY) + chrono::Days::new((i % 20) as u64)
            },
            qtd_programada: Decimal::new(((i % 13) as i64 + 1) * 2500 + v, 3) + dec("0.2"),
            linha_producao: Some("L1".into()),
        });
    }
    let links = vec![
        link("1001", "1002", true),
        link("1002", "1003", true),
        link("1010", "1003", true),
        link("1020", "1021", false),
        link("1030", &format!("{}", 1031 + variant), true),
    ];
    Dataset {
        carteira_principal: Some(lines),
        movimentacao_estoque: Some(moves),
        separacao: Some(outs),
        programacao_producao: Some(ins),
        unificacao_codigos: Some(links),
    }
}

pub fn link(a: &str, b: &str, ativo: bool) -> UnificacaoRow {
    UnificacaoRow {
        id: None,
        codigo_origem: a.into(),
        codigo_destino: b.into(),
        ativo,
    }
}

/// The selections the tests compare between databases.
pub fn selections() -> Vec<Selection> {
    let f = |v: Option<&str>, e: Option<&str>, uf: Option<&str>, b: Option<&str>| {
        Selection::Book(OrderFilter {
            vendedor: v.map(Into::into),
            equipe_vendas: e.map(Into::into),
            estado: uf.map(Into::into),
            busca: b.map(Into::into),
        })
    };
    vec![
        Selection::Orders(vec![
            "P00003".into(),
            "P00001".into(),
            "NAO-EXISTE".into(),
            "P00003".into(),
            "P00010".into(),
        ]),
        Selection::Book(OrderFilter::default()),
        f(Some("Vendedor 1"), None, None, None),
        f(None, Some("Equipe 2"), Some("SP"), None),
        f(None, None, Some("RJ"), None),
        f(None, None, None, Some("niteroi")),
        f(None, None, None, Some("50%")),
        f(None, None, None, Some("f_x")),
        f(None, None, None, Some("%")),
        f(None, None, None, Some("produto 1002")),
        f(None, None, None, Some("P0001")),
        f(None, None, None, Some(" ")),
    ]
}

/// The snapshot in a canonical order (databases return rows in any order).
pub fn canonical(mut l: Loaded) -> Loaded {
    let s: &mut Snapshot = &mut l.snapshot;
    s.lines.sort_by_key(|x| x.id);
    s.stock.sort();
    s.outflows
        .sort_by(|a, b| (&a.cod_produto, a.date).cmp(&(&b.cod_produto, b.date)));
    s.inflows
        .sort_by(|a, b| (&a.cod_produto, a.date).cmp(&(&b.cod_produto, b.date)));
    s.links.sort();
    l
}

pub async fn load(store: &dyn Store, selection: &Selection) -> Loaded {
    canonical(
        store
            .load(selection, today())
            .await
            .unwrap_or_else(|e| panic!("load {selection:?}: {e}")),
    )
}

/// A migrated SQLite store in a temporary folder.
pub async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("t.db"))
        .await
        .expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    (dir, Arc::new(store))
}

/// A migrated PostgreSQL store on a throwaway database, or `None` when PostgreSQL is not there
/// (and CI is not set).
pub async fn postgres() -> Option<(TestDb, Arc<dyn Store>)> {
    let db = TestDb::create().await?;
    let store = PgStore::connect(db.url()).await.expect("connect");
    store.migrate().await.expect("migrate postgres");
    Some((db, Arc::new(store)))
}

/// A backend under test: its name, what keeps its database alive, and the store.
pub type Backend = (String, Box<dyn std::any::Any + Send>, Arc<dyn Store>);

/// Both backends, migrated and empty (PostgreSQL only when it answers).
pub async fn backends() -> Vec<Backend> {
    let mut out: Vec<Backend> = Vec::new();
    let (dir, s) = sqlite().await;
    out.push(("sqlite".into(), Box::new(dir), s));
    if let Some((db, s)) = postgres().await {
        out.push(("postgres".into(), Box::new(db), s));
    }
    out
}

/// The order list, its filters and the order numbers of `b` are those of `a`, for every filter
/// of [`selections`] and every sort.
pub async fn same_order_views(a: &dyn Store, b: &dyn Store) {
    assert_eq!(a.facets().await.unwrap(), b.facets().await.unwrap());
    for sel in selections() {
        let Selection::Book(filter) = sel else {
            continue;
        };
        assert_eq!(
            a.order_numbers(&filter).await.unwrap(),
            b.order_numbers(&filter).await.unwrap(),
            "{filter:?}"
        );
        for sort in [
            OrderSort::NumPedido,
            OrderSort::Cliente,
            OrderSort::Cidade,
            OrderSort::Vendedor,
            OrderSort::Expedicao,
            OrderSort::DataPedido,
            OrderSort::Valor,
            OrderSort::Linhas,
        ] {
            for descending in [false, true] {
                for (offset, limit) in [(0, 25), (10, 7), (0, 100_000)] {
                    let q = OrderQuery {
                        filter: filter.clone(),
                        sort,
                        descending,
                        offset,
                        limit,
                    };
                    let (x, y) = (
                        a.list_orders(&q).await.unwrap(),
                        b.list_orders(&q).await.unwrap(),
                    );
                    assert_eq!(x.total, y.total, "{q:?}");
                    if sort == OrderSort::Cliente {
                        // Client names have spaces and punctuation, which the database's
                        // collation may order differently from SQLite's byte order.
                        if limit == 100_000 {
                            let mut xs = x.orders.clone();
                            let mut ys = y.orders.clone();
                            xs.sort_by(|p, q| p.num_pedido.cmp(&q.num_pedido));
                            ys.sort_by(|p, q| p.num_pedido.cmp(&q.num_pedido));
                            assert_eq!(xs, ys, "{q:?}");
                        }
                    } else {
                        assert_eq!(x.orders, y.orders, "{q:?}");
                    }
                }
            }
        }
    }
}
