//! Shape of the generated data sets: determinism, sizes, ids, consistency of orders, the special
//! names the page's tests rely on, and decimal places.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use ruptura_datagen::{generate, GenConfig, DEFAULT_DEMO_ORDERS, XSS_PRODUCT_NAME};
use ruptura_engine::records::{CarteiraRow, Dataset};
use rust_decimal::Decimal;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn demo(seed: u64) -> Dataset {
    generate(&GenConfig::demo(seed, today(), DEFAULT_DEMO_ORDERS))
}

fn ids_of<T>(rows: &Option<Vec<T>>, id: impl Fn(&T) -> Option<i64>) -> Vec<Option<i64>> {
    rows.as_ref()
        .expect("table present")
        .iter()
        .map(id)
        .collect()
}

fn within_ten_percent(actual: usize, target: usize) -> bool {
    actual * 10 >= target * 9 && actual * 10 <= target * 11
}

#[test]
fn same_seed_gives_the_same_data_and_another_seed_does_not() {
    let a = demo(42);
    assert_eq!(a, demo(42));
    assert_ne!(a, demo(43));
    let later = generate(&GenConfig::demo(
        42,
        today() + chrono::TimeDelta::days(1),
        DEFAULT_DEMO_ORDERS,
    ));
    assert_ne!(a, later, "dates follow `today`");
}

#[test]
fn scale_config_hits_its_sizes() {
    let cfg = GenConfig::scale(7, today());
    let ds = generate(&cfg);
    let lines = ds.carteira_principal.as_ref().unwrap();
    let orders: BTreeSet<&str> = lines.iter().map(|r| r.num_pedido.as_str()).collect();
    let products: BTreeSet<&str> = ds
        .movimentacao_estoque
        .as_ref()
        .unwrap()
        .iter()
        .filter_map(|r| r.nome_produto.as_deref())
        .collect();
    let sizes = [
        ("orders", orders.len(), 10_000),
        ("lines", lines.len(), 50_000),
        ("products", products.len(), 2_000),
        (
            "movements",
            ds.movimentacao_estoque.as_ref().unwrap().len(),
            100_000,
        ),
        ("commitments", ds.separacao.as_ref().unwrap().len(), 20_000),
        (
            "production",
            ds.programacao_producao.as_ref().unwrap().len(),
            10_000,
        ),
        ("links", ds.unificacao_codigos.as_ref().unwrap().len(), 300),
    ];
    for (what, actual, target) in sizes {
        assert!(
            within_ten_percent(actual, target),
            "{what}: {actual}, expected about {target}"
        );
    }
}

#[test]
fn every_table_is_present_with_ids_one_to_n() {
    let ds = demo(1);
    let tables = [
        ids_of(&ds.carteira_principal, |r| r.id),
        ids_of(&ds.movimentacao_estoque, |r| r.id),
        ids_of(&ds.separacao, |r| r.id),
        ids_of(&ds.programacao_producao, |r| r.id),
        ids_of(&ds.unificacao_codigos, |r| r.id),
    ];
    for ids in tables {
        assert!(!ids.is_empty());
        let expected: Vec<Option<i64>> = (1..=ids.len() as i64).map(Some).collect();
        assert_eq!(ids, expected);
    }
}

#[test]
fn lines_of_one_order_share_its_order_level_fields() {
    type OrderFields = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );
    let fields = |r: &CarteiraRow| -> OrderFields {
        (
            r.raz_social_red.clone(),
            r.cnpj_cpf.clone(),
            r.nome_cidade.clone(),
            r.cod_uf.clone(),
            r.vendedor.clone(),
            r.equipe_vendas.clone(),
            r.data_pedido,
            r.expedicao,
            r.agendamento,
        )
    };
    let ds = demo(3);
    let mut seen: HashMap<&str, OrderFields> = HashMap::new();
    let mut lines_per_order: BTreeMap<&str, usize> = BTreeMap::new();
    let mut last_order: Option<&str> = None;
    for row in ds.carteira_principal.as_ref().unwrap() {
        let expected = seen
            .entry(row.num_pedido.as_str())
            .or_insert_with(|| fields(row));
        assert_eq!(*expected, fields(row), "order {}", row.num_pedido);
        // Lines of one order are contiguous and orders ascend with the ids.
        if last_order != Some(row.num_pedido.as_str()) {
            assert!(last_order < Some(row.num_pedido.as_str()));
            last_order = Some(row.num_pedido.as_str());
        }
        *lines_per_order.entry(row.num_pedido.as_str()).or_default() += 1;
        assert!(row.data_pedido.unwrap() <= today());
        if let Some(expedicao) = row.expedicao {
            assert!(expedicao >= row.data_pedido.unwrap());
        }
    }
    assert!(lines_per_order.values().all(|&n| (1..=12).contains(&n)));
    let mean = ds.carteira_principal.as_ref().unwrap().len() as f64 / lines_per_order.len() as f64;
    assert!((4.5..=5.5).contains(&mean), "mean lines per order {mean}");
}

#[test]
fn commitments_reference_orders_of_the_book() {
    let ds = demo(5);
    let orders: BTreeSet<&str> = ds
        .carteira_principal
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.num_pedido.as_str())
        .collect();
    for row in ds.separacao.as_ref().unwrap() {
        assert!(orders.contains(row.num_pedido.as_deref().unwrap()));
        assert!(row
            .separacao_lote_id
            .as_deref()
            .unwrap()
            .starts_with("LOTE-"));
        assert!(row.qtd_saldo > Decimal::ZERO);
    }
}

#[test]
fn demo_book_carries_html_special_names_and_one_xss_product() {
    let ds = demo(42);
    let lines = ds.carteira_principal.as_ref().unwrap();
    let product_names: BTreeSet<&str> = lines.iter().map(|r| r.nome_produto.as_str()).collect();
    let client_names: BTreeSet<&str> = lines
        .iter()
        .filter_map(|r| r.raz_social_red.as_deref())
        .collect();
    for name in [
        "Molho <Picante> & \"Extra\" 150ml",
        "Palmito D'Ouro <Pupunha> 300g",
        XSS_PRODUCT_NAME,
    ] {
        assert!(product_names.contains(name), "product {name}");
    }
    for name in ["D'Ávila & Filhos", "Mercadinho <Central> & Cia"] {
        assert!(client_names.contains(name), "client {name}");
    }

    // Exactly one product bears the XSS name: its codes are one current code plus older
    // codes unified into it (the origins of active links).
    let older: BTreeSet<&str> = ds
        .unificacao_codigos
        .as_ref()
        .unwrap()
        .iter()
        .filter(|r| r.ativo)
        .map(|r| r.codigo_origem.as_str())
        .collect();
    let xss_codes: BTreeSet<&str> = lines
        .iter()
        .map(|r| (r.cod_produto.as_str(), r.nome_produto.as_str()))
        .chain(
            ds.movimentacao_estoque
                .as_ref()
                .unwrap()
                .iter()
                .map(|r| (r.cod_produto.as_str(), r.nome_produto.as_deref().unwrap())),
        )
        .filter(|(_, name)| *name == XSS_PRODUCT_NAME)
        .map(|(code, _)| code)
        .filter(|code| !older.contains(code))
        .collect();
    assert_eq!(xss_codes.len(), 1, "{xss_codes:?}");
}

#[test]
fn quantities_have_at_most_three_decimals_and_prices_two() {
    let ds = demo(9);
    let quantities = ds
        .carteira_principal
        .iter()
        .flatten()
        .map(|r| r.qtd_saldo_produto_pedido)
        .chain(
            ds.movimentacao_estoque
                .iter()
                .flatten()
                .map(|r| r.qtd_movimentacao),
        )
        .chain(ds.separacao.iter().flatten().map(|r| r.qtd_saldo))
        .chain(
            ds.programacao_producao
                .iter()
                .flatten()
                .map(|r| r.qtd_programada),
        );
    let mut fractional = 0;
    for q in quantities {
        assert!(q.scale() <= 3, "{q}");
        if q.fract() != Decimal::ZERO {
            fractional += 1;
        }
    }
    assert!(fractional > 0, "some products are sold by weight");

    let prices: Vec<Option<Decimal>> = ds
        .carteira_principal
        .iter()
        .flatten()
        .map(|r| r.preco_produto_pedido)
        .collect();
    assert!(
        prices.iter().any(Option::is_none),
        "a few lines have no price"
    );
    for price in prices.into_iter().flatten() {
        assert_eq!(price.scale(), 2, "{price}");
        assert!(price >= Decimal::new(350, 2) && price <= Decimal::new(25_000, 2));
    }
}

#[test]
fn the_book_has_inactive_and_invoiced_rows() {
    let ds = demo(11);
    let lines = ds.carteira_principal.as_ref().unwrap();
    assert!(lines.iter().any(|r| !r.ativo));
    assert!(lines.iter().any(|r| r.qtd_saldo_produto_pedido.is_zero()));
    assert!(lines.iter().any(|r| r.expedicao.is_none()));
    assert!(lines.iter().any(|r| r.agendamento.is_some()));
    assert!(ds.movimentacao_estoque.iter().flatten().any(|r| !r.ativo));
    let commitments = ds.separacao.as_ref().unwrap();
    assert!(commitments.iter().any(|r| r.sincronizado_nf));
    assert!(commitments.iter().any(|r| r.expedicao.is_none()));
    assert!(commitments
        .iter()
        .any(|r| r.expedicao.is_some_and(|d| d < today())));
    let production = ds.programacao_producao.as_ref().unwrap();
    assert!(production.iter().any(|r| r.data_programacao < today()));
    let links = ds.unificacao_codigos.as_ref().unwrap();
    assert!(links.iter().any(|r| !r.ativo));
    // A chain A -> B -> C: some active destination is itself an active origin.
    let origins: BTreeSet<&str> = links
        .iter()
        .filter(|r| r.ativo)
        .map(|r| r.codigo_origem.as_str())
        .collect();
    assert!(links
        .iter()
        .any(|r| r.ativo && origins.contains(r.codigo_destino.as_str())));
}

#[test]
fn tiny_and_empty_configs_do_not_panic() {
    for orders in [0, 1, 2, 10] {
        let ds = generate(&GenConfig::demo(1, today(), orders));
        assert!(ds.carteira_principal.is_some());
    }
    let empty = GenConfig {
        seed: 1,
        today: today(),
        orders: 0,
        avg_lines_per_order: 5.0,
        products: 0,
        movements: 0,
        commitments: 0,
        production: 0,
        links: 0,
    };
    assert_eq!(generate(&empty).row_count(), 0);
    let few_products = GenConfig {
        products: 1,
        links: 10,
        orders: 5,
        movements: 3,
        commitments: 4,
        production: 2,
        ..empty
    };
    let ds = generate(&few_products);
    assert!(!ds.carteira_principal.unwrap().is_empty());
}
