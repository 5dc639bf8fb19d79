//! The routes the old system's page scripts call, answered as that system did: the `sem-cache`
//! spelling of the single-order analysis, `atualizar-visual-separacao`, and a whole page of
//! orders in one batch request.

mod common;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{book, today, TestApp};
use ruptura_engine::records::{CarteiraRow, Dataset, SeparacaoRow};
use rust_decimal::Decimal;
use serde_json::json;

const VISUAL: &str = "/carteira/api/ruptura/atualizar-visual-separacao";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
}

fn line(num_pedido: &str, expedicao: Option<NaiveDate>) -> CarteiraRow {
    CarteiraRow {
        num_pedido: num_pedido.into(),
        cod_produto: "A".into(),
        nome_produto: "Produto A".into(),
        qtd_saldo_produto_pedido: Decimal::new(10, 0),
        preco_produto_pedido: Some(Decimal::new(5, 0)),
        ativo: true,
        expedicao,
        ..CarteiraRow::default()
    }
}

fn separacao(num_pedido: &str, sincronizado_nf: bool) -> SeparacaoRow {
    SeparacaoRow {
        num_pedido: Some(num_pedido.into()),
        cod_produto: "A".into(),
        qtd_saldo: Decimal::new(10, 0),
        expedicao: Some(day(4)),
        sincronizado_nf,
        ..SeparacaoRow::default()
    }
}

/// P1: an open separacao; P2: only an invoiced one; P3: none; P4: an open one and no date.
fn shipments() -> Dataset {
    Dataset {
        carteira_principal: Some(vec![
            line("P1", Some(day(9))),
            line("P1", Some(day(6))),
            line("P2", Some(day(7))),
            line("P3", None),
            line("P4", None),
        ]),
        separacao: Some(vec![
            separacao("P1", true),
            separacao("P1", false),
            separacao("P2", true),
            separacao("P4", false),
        ]),
        ..Dataset::default()
    }
}

#[tokio::test]
async fn sem_cache_route_answers_as_analisar_pedido() {
    let data = book(30);
    let app = TestApp::new(&data).await;
    // An order with an open line (the generator also makes closed ones).
    let num = &data
        .carteira_principal
        .as_ref()
        .expect("carteira")
        .iter()
        .find(|l| l.ativo && l.qtd_saldo_produto_pedido >= Decimal::new(1, 3))
        .expect("an open line")
        .num_pedido;
    for prefix in ["/carteira/api/ruptura", "/api/ruptura"] {
        let plain = app
            .get(&format!(
                "/carteira/api/ruptura/analisar-pedido/{num}?data_base={}",
                today()
            ))
            .await;
        let sem_cache = app
            .get(&format!(
                "{prefix}/sem-cache/analisar-pedido/{num}?data_base={}",
                today()
            ))
            .await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(sem_cache.status, StatusCode::OK, "{prefix}");
        let (a, b) = (plain.json(), sem_cache.json());
        assert_eq!(b["success"], true);
        assert_eq!(b["num_pedido"], num.as_str());
        assert_eq!(a["resumo"], b["resumo"], "{prefix}");
        assert_eq!(a["itens"], b["itens"], "{prefix}");
    }
    let missing = app
        .get("/carteira/api/ruptura/sem-cache/analisar-pedido/NAO-EXISTE")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["success"], false);
    let bad = app
        .get(&format!(
            "/carteira/api/ruptura/sem-cache/analisar-pedido/{num}?data_base=ontem"
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn atualizar_visual_separacao_answers_as_the_old_system() {
    let app = TestApp::new(&shipments()).await;

    // An open separacao (an invoiced one beside it does not matter); the date sent is echoed.
    let r = app
        .post(
            VISUAL,
            r#"{"num_pedido": "P1", "data_expedicao": "2026-03-12"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"success": true, "pedido": {"num_pedido": "P1", "data_expedicao": "2026-03-12",
            "tem_separacao": true, "cor_linha": "table-success", "classe_css": "pedido-com-separacao"}})
    );

    // Without a date: the earliest expedicao of the order's lines.
    let r = app.post(VISUAL, r#"{"num_pedido": "P1"}"#).await;
    assert_eq!(r.json()["pedido"]["data_expedicao"], "2026-03-06");

    // Only invoiced separacao rows, or none: no tint.
    for num in ["P2", "P3"] {
        let r = app
            .post(VISUAL, &json!({"num_pedido": num}).to_string())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{num}");
        let p = &r.json()["pedido"];
        assert_eq!(p["tem_separacao"], false, "{num}");
        assert_eq!(p["cor_linha"], "", "{num}");
        assert_eq!(p["classe_css"], "", "{num}");
    }
    let r = app.post(VISUAL, r#"{"num_pedido": "P3"}"#).await;
    assert_eq!(r.json()["pedido"]["data_expedicao"], json!(null));

    // The /api spelling too.
    let r = app
        .post(
            "/api/ruptura/atualizar-visual-separacao",
            r#"{"num_pedido": "P4", "data_expedicao": null}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["pedido"]["tem_separacao"], true);

    // Unknown order: 404; no num_pedido or a bad date: 400; every error as JSON.
    let r = app.post(VISUAL, r#"{"num_pedido": "NAO-EXISTE"}"#).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["success"], false);
    for body in [
        "{}",
        r#"{"num_pedido": ""}"#,
        r#"{"num_pedido": null}"#,
        r#"{"data_expedicao": "2026-03-12"}"#,
        r#"{"num_pedido": "P1", "data_expedicao": "amanhã"}"#,
        r#"{"num_pedido": "P1", "data_expedicao": 5}"#,
        "[]",
        "não é json",
    ] {
        let r = app.post(VISUAL, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        let v = r.json();
        assert_eq!(v["success"], false, "{body}");
        assert!(!v["message"].as_str().unwrap_or_default().is_empty());
    }
}

#[tokio::test]
async fn a_page_of_ten_thousand_orders_fits_in_one_request_by_default() {
    let app = TestApp::new(&shipments()).await;
    let pedidos: Vec<String> = (0..10_000).map(|i| format!("X{i}")).collect();
    let r = app
        .post(
            "/carteira/api/ruptura/analisar-lote-async",
            &json!({ "pedidos": pedidos }).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["estatisticas"]["total_pedidos"], 10_000);
    let too_many: Vec<String> = (0..20_001).map(|i| format!("X{i}")).collect();
    let r = app
        .post(
            "/carteira/api/ruptura/analisar-lote-async",
            &json!({ "pedidos": too_many }).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"]
        .as_str()
        .unwrap_or_default()
        .contains("20000"));
}
