//! The model turned into the five tables' rows (quantities and money as exact decimals).

use super::*;

pub(super) fn quantity(milli: i64) -> Decimal {
    Decimal::new(milli, 3).normalize()
}

pub(super) fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

pub(super) fn carteira_rows(
    products: &[Product],
    clients: &[Client],
    orders: &[Order],
) -> Vec<CarteiraRow> {
    let mut rows = Vec::with_capacity(orders.iter().map(|o| o.lines.len()).sum());
    for order in orders {
        let client = &clients[order.client];
        let (city, uf, _) = CITIES[client.city];
        let (seller, team) = SELLERS[client.seller];
        for line in &order.lines {
            let product = &products[line.product];
            rows.push(CarteiraRow {
                id: Some(rows.len() as i64 + 1),
                num_pedido: order.num_pedido.clone(),
                cod_produto: product.codes[line.code].clone(),
                nome_produto: product.name.clone(),
                qtd_saldo_produto_pedido: quantity(line.qty_milli),
                preco_produto_pedido: line.price_cents.map(money),
                ativo: line.active,
                raz_social_red: Some(client.name.clone()),
                cnpj_cpf: Some(client.cnpj.clone()),
                nome_cidade: Some(city.to_string()),
                cod_uf: Some(uf.to_string()),
                vendedor: Some(seller.to_string()),
                equipe_vendas: Some(TEAMS[team].to_string()),
                data_pedido: Some(order.data_pedido),
                expedicao: order.expedicao,
                agendamento: order.agendamento,
            });
        }
    }
    rows
}

pub(super) fn movement_rows(
    products: &[Product],
    movements: Vec<Movement>,
) -> Vec<MovimentacaoRow> {
    movements
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let product = &products[m.product];
            MovimentacaoRow {
                id: Some(i as i64 + 1),
                cod_produto: product.codes[m.code].clone(),
                nome_produto: Some(product.name.clone()),
                data_movimentacao: Some(m.date),
                tipo_movimentacao: Some(m.kind.to_string()),
                qtd_movimentacao: quantity(m.qty_milli),
                ativo: m.active,
            }
        })
        .collect()
}

pub(super) fn commitment_rows(
    products: &[Product],
    orders: &[Order],
    commitments: &[Commitment],
) -> Vec<SeparacaoRow> {
    commitments
        .iter()
        .enumerate()
        .map(|(i, c)| SeparacaoRow {
            id: Some(i as i64 + 1),
            separacao_lote_id: Some(c.lot.clone()),
            num_pedido: Some(orders[c.order].num_pedido.clone()),
            cod_produto: products[c.product].codes[c.code].clone(),
            qtd_saldo: quantity(c.qty_milli),
            expedicao: c.expedicao,
            sincronizado_nf: c.invoiced,
        })
        .collect()
}

pub(super) fn production_rows(
    products: &[Product],
    production: Vec<Production>,
) -> Vec<ProgramacaoRow> {
    production
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let product = &products[p.product];
            ProgramacaoRow {
                id: Some(i as i64 + 1),
                cod_produto: product.codes[0].clone(),
                nome_produto: Some(product.name.clone()),
                data_programacao: p.date,
                qtd_programada: quantity(p.qty_milli),
                linha_producao: Some(catalog::PRODUCTION_LINES[p.line].to_string()),
            }
        })
        .collect()
}
