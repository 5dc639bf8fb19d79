//! The comparison of two runs (SPEC 8.5): the kind of each changed order and its causes, read
//! from the recorded inputs of both runs.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use ruptura_store::RunInfo;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::record::{GroupRec, OrderGroup, OrderRec, RunData};
use super::words;
use super::Execucao;

/// The kinds of change, in the order they are listed.
pub const TIPOS: [&str; 6] = [
    "nova_ruptura",
    "piorou",
    "melhorou",
    "resolvida",
    "entrou",
    "saiu",
];

/// An order's outcome in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Situacao {
    pub criticidade: String,
    pub pedido_ok: bool,
    pub data_disponibilidade_total: Option<String>,
    pub valor_com_ruptura: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prazo: Option<String>,
}

/// What moved in one product group between the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Causa {
    /// The order's code in the group.
    pub cod_produto: String,
    /// The group's key (its smallest code), when it is not `cod_produto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grupo: Option<String>,
    /// `estoque`, `compromissos`, `producao`, `pedido`, `fila` or `data_base`.
    pub tipo: String,
    /// A quantity (`estoque`, `pedido`, `fila`), a list of `{"data", "qtd"}` for the dates that
    /// changed (`compromissos`, `producao`), or the reference date (`data_base`).
    #[schema(value_type = Object)]
    pub antes: Value,
    #[schema(value_type = Object)]
    pub depois: Value,
    /// The cause in words.
    pub texto: String,
}

/// One order whose outcome changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Mudanca {
    pub num_pedido: String,
    /// One of [`TIPOS`].
    pub tipo: String,
    pub antes: Option<Situacao>,
    pub depois: Option<Situacao>,
    pub causas: Vec<Causa>,
}

/// `GET /api/ruptura/mudancas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Mudancas {
    pub de: Execucao,
    pub para: Execucao,
    /// Changed orders per kind (every kind present).
    pub resumo: BTreeMap<String, usize>,
    pub mudancas: Vec<Mudanca>,
}

fn situacao(o: &OrderRec) -> Situacao {
    Situacao {
        criticidade: o.criticidade.clone(),
        pedido_ok: o.pedido_ok,
        data_disponibilidade_total: o.total.clone(),
        valor_com_ruptura: o.valor_com_ruptura as f64 / 100.0,
        prazo: o.prazo.clone(),
    }
}

/// `CRITICA` 4 ... `BAIXA` 1; `OK`, `ERRO` and anything else 0.
fn severity(criticidade: &str) -> i8 {
    crate::wire::Rotulo::of(criticidade).map_or(0, |r| r.gravidade().max(0))
}

/// `data_disponibilidade_total` as an order: a date, null latest.
fn total_key(total: Option<&str>) -> (bool, Option<NaiveDate>) {
    match total {
        None => (true, None),
        Some(s) => (
            false,
            NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(), // "agora" sorts first
        ),
    }
}

/// The kind of change of an order found in both runs, if its outcome changed.
fn kind(a: &OrderRec, b: &OrderRec) -> Option<&'static str> {
    match (a.pedido_ok, b.pedido_ok) {
        (true, true) => None,
        (true, false) => Some("nova_ruptura"),
        (false, true) => Some("resolvida"),
        (false, false) => match severity(&b.criticidade).cmp(&severity(&a.criticidade)) {
            Ordering::Greater => Some("piorou"),
            Ordering::Less => Some("melhorou"),
            Ordering::Equal => {
                match total_key(b.total.as_deref()).cmp(&total_key(a.total.as_deref())) {
                    Ordering::Greater => Some("piorou"),
                    Ordering::Less => Some("melhorou"),
                    Ordering::Equal => None,
                }
            }
        },
    }
}

/// One run, with its groups indexed.
struct Side<'r> {
    info: &'r RunInfo,
    data: &'r RunData,
}

impl Side<'_> {
    fn group(&self, key: &str) -> Option<&GroupRec> {
        self.data
            .grupos
            .binary_search_by(|g| g.grupo.as_str().cmp(key))
            .ok()
            .map(|i| &self.data.grupos[i])
    }

    fn priority(&self) -> bool {
        self.info.facts.modo != "independente"
    }

    /// What orders ranked ahead took of a group before this order (0 on its own).
    fn fila(&self, g: &OrderGroup) -> i64 {
        match self.group(&g.grupo) {
            Some(rec) if self.priority() => (rec.menor_estoque - g.visto).max(0),
            _ => 0,
        }
    }
}

fn qty_json(milli: i64) -> Value {
    json!(milli as f64 / 1000.0)
}

fn date_json(d: Option<NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| json!(d.format("%Y-%m-%d").to_string()))
}

/// A date whose quantity moved, with the quantity before and after.
type Change<K> = (K, i64, i64);

/// The dates whose quantity differs, with both quantities (0 where absent).
fn changed_dates<K: Ord + Copy>(a: &[(K, i64)], b: &[(K, i64)]) -> Vec<Change<K>> {
    let mut all: BTreeMap<K, (i64, i64)> = BTreeMap::new();
    for (d, q) in a {
        all.entry(*d).or_default().0 += q;
    }
    for (d, q) in b {
        all.entry(*d).or_default().1 += q;
    }
    all.into_iter()
        .filter(|(_, (x, y))| x != y)
        .map(|(d, (x, y))| (d, x, y))
        .collect()
}

fn dated_json<K: Copy>(
    changes: &[Change<K>],
    date: impl Fn(K) -> Option<NaiveDate>,
    pick: impl Fn(&Change<K>) -> i64,
) -> Value {
    Value::Array(
        changes
            .iter()
            .map(|c| json!({"data": date_json(date(c.0)), "qtd": qty_json(pick(c))}))
            .collect(),
    )
}

/// The causes of one group of a changed order.
fn group_causes(
    a: &Side<'_>,
    ga: Option<&OrderGroup>,
    b: &Side<'_>,
    gb: Option<&OrderGroup>,
) -> Vec<Causa> {
    let Some(any) = gb.or(ga) else {
        return Vec::new();
    };
    let mut causes = Causes::of(any);
    let qtd = |g: Option<&OrderGroup>| g.map_or(0, |g| g.qtd);
    causes.quantity("pedido", qtd(ga), qtd(gb), words::pedido);
    let empty = GroupRec::default();
    let ra = a.group(&any.grupo).unwrap_or(&empty);
    let rb = b.group(&any.grupo).unwrap_or(&empty);
    causes.quantity("estoque", ra.estoque, rb.estoque, words::estoque);
    // Production dated before the later reference date counts in neither analysis of that day,
    // and commitments dated before it count on its D0 as the undated ones do (the store gives
    // them no date): what only days passing moved is not a change in the data.
    let cutoff = a.data.data_base.max(b.data.data_base);
    let saidas = changed_dates(&due(&ra.saidas, cutoff), &due(&rb.saidas, cutoff));
    causes.dated("compromissos", &saidas, |d| d, words::compromissos);
    let entradas = changed_dates(
        &current(&ra.entradas, cutoff),
        &current(&rb.entradas, cutoff),
    );
    causes.dated("producao", &entradas, Some, words::producao);
    let fila = |s: &Side<'_>, g: Option<&OrderGroup>| g.map_or(0, |g| s.fila(g));
    causes.quantity("fila", fila(a, ga), fila(b, gb), words::fila);
    let (da, db) = (a.data.data_base, b.data.data_base);
    if causes.found.is_empty() && da != db {
        causes.push(
            "data_base",
            date_json(da),
            date_json(db),
            words::data_base(da, db),
        );
    }
    causes.found
}

/// The causes found in one group of an order.
struct Causes<'g> {
    code: &'g str,
    /// The group's key, when it is not `code`.
    grupo: Option<&'g str>,
    found: Vec<Causa>,
}

impl<'g> Causes<'g> {
    fn of(group: &'g OrderGroup) -> Self {
        let code = group.cod_produto.as_str();
        Self {
            code,
            grupo: Some(group.grupo.as_str()).filter(|k| *k != code),
            found: Vec::new(),
        }
    }

    fn push(&mut self, tipo: &str, antes: Value, depois: Value, texto: String) {
        self.found.push(Causa {
            cod_produto: self.code.to_string(),
            grupo: self.grupo.map(str::to_string),
            tipo: tipo.to_string(),
            antes,
            depois,
            texto,
        });
    }

    /// A quantity that moved from `a` to `b`, if it did.
    fn quantity(&mut self, tipo: &str, a: i64, b: i64, text: fn(&str, i64, i64) -> String) {
        if a != b {
            self.push(tipo, qty_json(a), qty_json(b), text(self.code, a, b));
        }
    }

    /// The dates whose quantity moved, if any did.
    fn dated<K: Copy>(
        &mut self,
        tipo: &str,
        changes: &[Change<K>],
        date: fn(K) -> Option<NaiveDate>,
        text: fn(&str, &[Change<K>]) -> String,
    ) {
        if !changes.is_empty() {
            let antes = dated_json(changes, date, |c| c.1);
            let depois = dated_json(changes, date, |c| c.2);
            self.push(tipo, antes, depois, text(self.code, changes));
        }
    }
}

/// Commitments as of `cutoff`: one dated before it has no date (it counts on D0).
fn due(v: &[(Option<NaiveDate>, i64)], cutoff: Option<NaiveDate>) -> Vec<(Option<NaiveDate>, i64)> {
    v.iter()
        .map(|(d, q)| (d.filter(|d| cutoff.is_none_or(|c| *d >= c)), *q))
        .collect()
}

/// Production as of `cutoff`: what is dated before it is left out.
fn current(v: &[(NaiveDate, i64)], cutoff: Option<NaiveDate>) -> Vec<(NaiveDate, i64)> {
    v.iter()
        .filter(|(d, _)| cutoff.is_none_or(|c| *d >= c))
        .copied()
        .collect()
}

/// The causes of an order found in both runs: every group whose short quantity or date moved.
fn causes(a: &Side<'_>, oa: &OrderRec, b: &Side<'_>, ob: &OrderRec) -> Vec<Causa> {
    let mut keys: Vec<&str> = oa
        .grupos
        .iter()
        .chain(&ob.grupos)
        .map(|g| g.grupo.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let find = |o: &'_ OrderRec, k: &str| -> Option<usize> {
        o.grupos.binary_search_by(|g| g.grupo.as_str().cmp(k)).ok()
    };
    let mut out = Vec::new();
    for k in keys {
        let ga = find(oa, k).map(|i| &oa.grupos[i]);
        let gb = find(ob, k).map(|i| &ob.grupos[i]);
        let short = |g: Option<&OrderGroup>| g.map_or((0, None), |g| (g.falta, g.data));
        if short(ga) != short(gb) {
            out.extend(group_causes(a, ga, b, gb));
        }
    }
    out
}

/// Every order whose outcome changed from run `a` to run `b`, with its kind and causes.
pub fn compare(ia: &RunInfo, a: &RunData, ib: &RunInfo, b: &RunData) -> Mudancas {
    let sa = Side { info: ia, data: a };
    let sb = Side { info: ib, data: b };
    let mut mudancas = Vec::new();
    let (mut i, mut j) = (0, 0);
    // Both order lists are sorted by number: one merge pass.
    while i < a.pedidos.len() || j < b.pedidos.len() {
        let oa = a.pedidos.get(i);
        let ob = b.pedidos.get(j);
        let order = match (oa, ob) {
            (Some(x), Some(y)) => x.num_pedido.cmp(&y.num_pedido),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match (order, oa, ob) {
            (Ordering::Less, Some(x), _) => {
                i += 1;
                mudancas.push(Mudanca {
                    num_pedido: x.num_pedido.clone(),
                    tipo: "saiu".into(),
                    antes: Some(situacao(x)),
                    depois: None,
                    causas: x
                        .grupos
                        .iter()
                        .flat_map(|g| group_causes(&sa, Some(g), &sb, None))
                        .filter(|c| c.tipo == "pedido")
                        .collect(),
                });
            }
            (Ordering::Greater, _, Some(y)) => {
                j += 1;
                mudancas.push(Mudanca {
                    num_pedido: y.num_pedido.clone(),
                    tipo: "entrou".into(),
                    antes: None,
                    depois: Some(situacao(y)),
                    causas: y
                        .grupos
                        .iter()
                        .flat_map(|g| group_causes(&sa, None, &sb, Some(g)))
                        .filter(|c| c.tipo == "pedido")
                        .collect(),
                });
            }
            (_, Some(x), Some(y)) => {
                i += 1;
                j += 1;
                if let Some(tipo) = kind(x, y) {
                    mudancas.push(Mudanca {
                        num_pedido: x.num_pedido.clone(),
                        tipo: tipo.into(),
                        antes: Some(situacao(x)),
                        depois: Some(situacao(y)),
                        causas: causes(&sa, x, &sb, y),
                    });
                }
            }
            _ => break,
        }
    }
    let rank = |t: &str| TIPOS.iter().position(|k| *k == t).unwrap_or(TIPOS.len());
    mudancas.sort_by(|x, y| {
        rank(&x.tipo)
            .cmp(&rank(&y.tipo))
            .then_with(|| x.num_pedido.cmp(&y.num_pedido))
    });
    let mut resumo: BTreeMap<String, usize> = TIPOS.iter().map(|t| (t.to_string(), 0)).collect();
    for m in &mudancas {
        *resumo.entry(m.tipo.clone()).or_default() += 1;
    }
    Mudancas {
        de: Execucao::from(ia),
        para: Execucao::from(ib),
        resumo,
        mudancas,
    }
}
