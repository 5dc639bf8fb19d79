//! The figures a planner decides with, over a set of results (SPEC 8.3, 8.4): exact value totals
//! and the products that block orders. Both are accumulated batch by batch from the engine's
//! exact results and merge across batches (and across Redis workers: they serialize with their
//! decimals as strings), so the totals are sums of exact values, rounded once when shown.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use ruptura_engine::{OrderOutcome, OrderResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::wire::{money, qty, Dia, Estatisticas};

/// Decimals as strings in JSON (exact through Redis).
mod dec {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Exact value sums over the found orders of a set of results (SPEC 8.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Valores {
    #[serde(with = "dec")]
    pub total: Decimal,
    #[serde(with = "dec")]
    pub com_ruptura: Decimal,
    #[serde(with = "dec")]
    pub agora: Decimal,
}

impl Valores {
    /// The sums over the found orders among `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a OrderOutcome>) -> Self {
        let mut v = Valores::default();
        for r in outcomes.into_iter().filter_map(OrderOutcome::found) {
            v.total += r.summary.valor_total_pedido;
            v.com_ruptura += r.summary.valor_com_ruptura;
            v.agora += r.summary.valor_agora;
        }
        v
    }

    pub fn add(&mut self, other: &Valores) {
        self.total += other.total;
        self.com_ruptura += other.com_ruptura;
        self.agora += other.agora;
    }
}

/// One product group's figures so far (SPEC 8.4), exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct GroupAcc {
    codigos: BTreeSet<String>,
    /// (num_pedido, line id, name) of the first short line: the smallest (order, id).
    primeira: (String, i64, String),
    pedidos: usize,
    linhas: usize,
    #[serde(with = "dec")]
    qtd_falta: Decimal,
    #[serde(with = "dec")]
    valor_linhas: Decimal,
    #[serde(with = "dec")]
    valor_pedidos: Decimal,
    pedidos_destravados: usize,
    #[serde(with = "dec")]
    valor_destravado: Decimal,
    #[serde(with = "dec")]
    estoque_atual: Decimal,
    #[serde(with = "dec")]
    menor_estoque: Decimal,
    data_producao: Option<NaiveDate>,
    #[serde(with = "dec")]
    qtd_producao: Decimal,
}

/// The products that block orders, accumulated over results (SPEC 8.4); merge batches with
/// [`Produtos::merge`] and rank with [`Produtos::rows`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Produtos {
    /// By product group key.
    #[serde(default)]
    grupos: BTreeMap<String, GroupAcc>,
}

impl Produtos {
    /// The product groups blocking the found orders among `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a OrderOutcome>) -> Self {
        let mut p = Produtos::default();
        for r in outcomes.into_iter().filter_map(OrderOutcome::found) {
            p.add_order(r);
        }
        p
    }

    /// Whether no group blocks any order.
    pub fn is_empty(&self) -> bool {
        self.grupos.is_empty()
    }

    fn add_order(&mut self, r: &OrderResult) {
        let groups: BTreeSet<&str> = r.short_lines().map(|l| &*l.grupo).collect();
        let unlocks = groups.len() == 1;
        for g in &groups {
            let mut lines = r.short_lines().filter(|l| &*l.grupo == *g).peekable();
            let Some(first) = lines.peek() else {
                continue;
            };
            let first = *first;
            let acc = self
                .grupos
                .entry((*g).to_string())
                .or_insert_with(|| GroupAcc {
                    codigos: BTreeSet::new(),
                    primeira: (
                        r.num_pedido.clone(),
                        first.id,
                        first.nome_produto.to_string(),
                    ),
                    pedidos: 0,
                    linhas: 0,
                    qtd_falta: Decimal::ZERO,
                    valor_linhas: Decimal::ZERO,
                    valor_pedidos: Decimal::ZERO,
                    pedidos_destravados: 0,
                    valor_destravado: Decimal::ZERO,
                    estoque_atual: first.estoque_atual,
                    menor_estoque: first.menor_estoque_inicial,
                    data_producao: first.data_producao,
                    qtd_producao: first.qtd_producao,
                });
            let key = (r.num_pedido.as_str(), first.id);
            if key < (acc.primeira.0.as_str(), acc.primeira.1) {
                acc.primeira = (
                    r.num_pedido.clone(),
                    first.id,
                    first.nome_produto.to_string(),
                );
            }
            acc.pedidos += 1;
            acc.valor_pedidos += r.summary.valor_total_pedido;
            if unlocks {
                acc.pedidos_destravados += 1;
                acc.valor_destravado += r.summary.valor_total_pedido;
            }
            for l in lines {
                acc.codigos.insert(l.cod_produto.to_string());
                acc.linhas += 1;
                acc.qtd_falta += l.ruptura_qtd;
                acc.valor_linhas += l.valor;
            }
        }
    }

    /// Adds the groups of another, disjoint set of orders.
    pub fn merge(&mut self, other: Produtos) {
        for (g, o) in other.grupos {
            match self.grupos.get_mut(&g) {
                None => {
                    self.grupos.insert(g, o);
                }
                Some(acc) => {
                    acc.codigos.extend(o.codigos);
                    if (o.primeira.0.as_str(), o.primeira.1)
                        < (acc.primeira.0.as_str(), acc.primeira.1)
                    {
                        acc.primeira = o.primeira;
                    }
                    acc.pedidos += o.pedidos;
                    acc.linhas += o.linhas;
                    acc.qtd_falta += o.qtd_falta;
                    acc.valor_linhas += o.valor_linhas;
                    acc.valor_pedidos += o.valor_pedidos;
                    acc.pedidos_destravados += o.pedidos_destravados;
                    acc.valor_destravado += o.valor_destravado;
                }
            }
        }
    }

    /// The rows, ranked by valor_destravado (highest first), then valor_pedidos, then
    /// cod_produto (SPEC 8.4).
    pub fn rows(&self) -> Vec<Produto> {
        let mut ranked: Vec<&GroupAcc> = self.grupos.values().collect();
        let first_code = |a: &GroupAcc| a.codigos.iter().next().cloned().unwrap_or_default();
        ranked.sort_by(|a, b| {
            b.valor_destravado
                .cmp(&a.valor_destravado)
                .then_with(|| b.valor_pedidos.cmp(&a.valor_pedidos))
                .then_with(|| first_code(a).cmp(&first_code(b)))
        });
        ranked
            .into_iter()
            .map(|a| Produto {
                cod_produto: first_code(a),
                nome_produto: a.primeira.2.clone(),
                codigos: a.codigos.iter().cloned().collect(),
                pedidos: a.pedidos,
                linhas: a.linhas,
                qtd_falta: qty(a.qtd_falta),
                valor_linhas: money(a.valor_linhas),
                valor_pedidos: money(a.valor_pedidos),
                pedidos_destravados: a.pedidos_destravados,
                valor_destravado: money(a.valor_destravado),
                estoque_atual: qty(a.estoque_atual),
                menor_estoque: qty(a.menor_estoque),
                data_producao: a.data_producao.map(Dia),
                qtd_producao: qty(a.qtd_producao),
            })
            .collect()
    }
}

/// One product that blocks orders (a row of SPEC 8.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Produto {
    /// The first of `codigos`.
    pub cod_produto: String,
    /// The name on its first short line (orders by num_pedido, lines by id).
    pub nome_produto: String,
    /// The group's codes that appear in the short lines, sorted.
    pub codigos: Vec<String>,
    /// Orders with a short line in the group.
    pub pedidos: usize,
    /// Short lines in the group.
    pub linhas: usize,
    /// Sum of ruptura_qtd of those lines.
    pub qtd_falta: f64,
    /// Sum of the value (qty x price) of those lines.
    pub valor_linhas: f64,
    /// Sum of valor_total_pedido of those orders.
    pub valor_pedidos: f64,
    /// Orders whose short lines are all in this group: fixing it alone completes them.
    pub pedidos_destravados: usize,
    pub valor_destravado: f64,
    /// The group's current stock.
    pub estoque_atual: f64,
    /// The group's window minimum before any allocation.
    pub menor_estoque: f64,
    /// Its first inflow on or after today (null: none) and that day's total.
    pub data_producao: Option<Dia>,
    pub qtd_producao: f64,
}

/// What one batch adds to the figures of its run: its exact totals and its products. Travels
/// through Redis as JSON (exact decimals as strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisoes {
    pub valores: Valores,
    pub produtos: Produtos,
}

impl Decisoes {
    /// Adds another, disjoint batch.
    pub fn merge(&mut self, other: Decisoes) {
        self.valores.add(&other.valores);
        self.produtos.merge(other.produtos);
    }
}

/// As an observer: merges the figures of each batch as it finishes (for a caller that wants only
/// the decisions, not the results).
impl crate::Observer for Decisoes {
    fn batch(&mut self, batch: crate::Batch) {
        self.merge(Decisoes {
            valores: batch.valores,
            produtos: batch.produtos,
        });
    }
}

/// `{"produtos": [...], "estatisticas": {...}}` (SPEC 8.4, 8.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RelatorioProdutos {
    pub produtos: Vec<Produto>,
    pub estatisticas: Estatisticas,
}

impl RelatorioProdutos {
    /// Analyses `selection` and reports the products that block its orders, with the run's
    /// statistics: what `POST /api/ruptura/produtos` and `ruptura produtos` answer.
    pub async fn analyze(
        store: &dyn ruptura_store::Store,
        selection: &ruptura_store::Selection,
        params: ruptura_engine::Params,
        opts: crate::RunOptions,
    ) -> Result<Self, crate::AnalysisError> {
        let mut merged = Decisoes::default();
        let estatisticas = crate::analyze(store, selection, params, opts, &mut merged).await?;
        Ok(Self {
            produtos: merged.produtos.rows(),
            estatisticas,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valores_round_trip_exactly_as_json() {
        let v = Valores {
            total: "1234.56789".parse().unwrap(),
            com_ruptura: "0.00001".parse().unwrap(),
            agora: Decimal::ZERO,
        };
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(serde_json::from_str::<Valores>(&json).unwrap(), v);
    }
}
