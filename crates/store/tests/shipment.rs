//! `order_shipment` (what the old page asks after creating a shipment) on SQLite, PostgreSQL in
//! Ruptura's layout and the old system's layout read as it is (NULL flags, double precision).

mod common;

use common::*;
use ruptura_engine::records::{CarteiraRow, Dataset, SeparacaoRow};
use ruptura_store::postgres::PgStore;
use ruptura_store::testing::TestDb;
use ruptura_store::{ImportMode, OrderShipment, Store};

fn line(id: i64, num_pedido: &str, expedicao: Option<&str>) -> CarteiraRow {
    CarteiraRow {
        id: Some(id),
        num_pedido: num_pedido.into(),
        cod_produto: "1000".into(),
        nome_produto: "Produto".into(),
        qtd_saldo_produto_pedido: dec("3"),
        preco_produto_pedido: Some(dec("1.50")),
        ativo: true,
        cnpj_cpf: Some("1".into()),
        cod_uf: Some("SP".into()),
        expedicao: expedicao.map(day),
        ..CarteiraRow::default()
    }
}

fn sep(id: i64, num_pedido: &str, sincronizado_nf: bool) -> SeparacaoRow {
    SeparacaoRow {
        id: Some(id),
        num_pedido: Some(num_pedido.into()),
        cod_produto: "1000".into(),
        qtd_saldo: dec("2.5"),
        expedicao: Some(day("2026-03-04")),
        sincronizado_nf,
        ..SeparacaoRow::default()
    }
}

/// P1: an invoiced and an open separacao; P2: only invoiced ones; P3: none; P4: inactive line.
fn data() -> Dataset {
    let mut inactive = line(6, "P4", Some("2026-03-08"));
    inactive.ativo = false;
    Dataset {
        carteira_principal: Some(vec![
            line(1, "P1", Some("2026-03-09")),
            line(2, "P1", Some("2026-03-06")),
            line(3, "P2", Some("2026-03-07")),
            line(4, "P3", None),
            line(5, "P3", None),
            inactive,
        ]),
        separacao: Some(vec![
            sep(1, "P1", true),
            sep(2, "P1", false),
            sep(3, "P2", true),
            sep(4, "P2", true),
            sep(5, "P4", false),
            sep(6, "P4", false),
        ]),
        ..Dataset::default()
    }
}

async fn check(name: &str, store: &dyn Store) {
    let got = |n: &'static str| async move { store.order_shipment(n).await.expect(n) };
    assert_eq!(
        got("P1").await,
        Some(OrderShipment {
            expedicao: Some(day("2026-03-06")),
            tem_separacao: true
        }),
        "{name}"
    );
    assert_eq!(
        got("P2").await,
        Some(OrderShipment {
            expedicao: Some(day("2026-03-07")),
            tem_separacao: false
        }),
        "{name}"
    );
    assert_eq!(
        got("P3").await,
        Some(OrderShipment {
            expedicao: None,
            tem_separacao: false
        }),
        "{name}"
    );
    assert_eq!(
        got("P4").await.map(|s| s.tem_separacao),
        Some(true),
        "{name}"
    );
    assert_eq!(got("P9").await, None, "{name}");
}

#[tokio::test]
async fn order_shipment_on_every_backend_and_the_old_layout() {
    for (name, _keep, store) in backends().await {
        store.import(&data(), ImportMode::Replace).await.unwrap();
        check(&name, store.as_ref()).await;
    }
    let Some(old) = TestDb::create().await else {
        return;
    };
    old.create_original_schema().await;
    // NULL `sincronizado_nf` on every other row: P1's open row and one of P4's are NULL.
    old.insert_original(&data()).await.expect("fill old layout");
    let store = PgStore::connect(old.url()).await.unwrap();
    check("old layout", &store).await;
}
