//! What a run keeps (SPEC 8.5): each order's outcome and, per product group of its lines, its
//! own quantity, its short quantity and date, and the window minimum it saw; and the inputs of
//! every product group used (stock, outflows and inflows by calendar date). Quantities are
//! integer thousandths, money integer cents: exact, and compact once compressed.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;

use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt};
use ruptura_engine::{ProductGroups, Snapshot};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::binary::OrderArena;
use crate::run::{Batch, Observer};
use crate::wire::Resultado;

/// Version of the document; a run written by a later version is refused, not misread. Format 1
/// was JSON, gzip-compressed; format 2 is the binary encoding of `binary.rs` (both are read).
pub const FORMAT_VERSION: u32 = 2;

/// The document of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunData {
    pub v: u32,
    pub data_base: Option<NaiveDate>,
    /// Orders, sorted by number.
    pub pedidos: Vec<OrderRec>,
    /// Product groups used, sorted by key.
    pub grupos: Vec<GroupRec>,
}

/// One order's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRec {
    #[serde(rename = "n")]
    pub num_pedido: String,
    /// `OK`, `CRITICA`, ..., or `ERRO` for an order that could not be analysed.
    #[serde(rename = "c")]
    pub criticidade: String,
    #[serde(rename = "k")]
    pub pedido_ok: bool,
    /// `data_disponibilidade_total`: `agora`, a date, or null.
    #[serde(rename = "d")]
    pub total: Option<String>,
    /// valor_com_ruptura, cents.
    #[serde(rename = "v")]
    pub valor_com_ruptura: i64,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub prazo: Option<String>,
    /// Per product group of its lines, by key.
    #[serde(rename = "g")]
    pub grupos: Vec<OrderGroup>,
}

/// One order's lines in one product group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderGroup {
    /// Group key (its smallest code).
    #[serde(rename = "k")]
    pub grupo: String,
    /// A code of the order's lines in the group (a short one when any is short).
    #[serde(rename = "c")]
    pub cod_produto: String,
    /// The order's quantity in the group, thousandths.
    #[serde(rename = "q")]
    pub qtd: i64,
    /// Sum of ruptura_qtd of its short lines in the group, thousandths.
    #[serde(rename = "f")]
    pub falta: i64,
    /// Latest data_disponivel of those short lines (null when none is short or one has none).
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<NaiveDate>,
    /// The window minimum this order saw (below the group's own in a priority mode).
    #[serde(rename = "m")]
    pub visto: i64,
}

/// The inputs of one product group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupRec {
    #[serde(rename = "k")]
    pub grupo: String,
    /// Current stock, thousandths.
    #[serde(rename = "s")]
    pub estoque: i64,
    /// Window minimum before any allocation (the highest any order saw), thousandths.
    #[serde(rename = "m")]
    pub menor_estoque: i64,
    /// Committed outflows per expedicao date (null: no date), thousandths.
    #[serde(rename = "o", default, skip_serializing_if = "Vec::is_empty")]
    pub saidas: Vec<(Option<NaiveDate>, i64)>,
    /// Scheduled production per date (on or after the reference date), thousandths.
    #[serde(rename = "i", default, skip_serializing_if = "Vec::is_empty")]
    pub entradas: Vec<(NaiveDate, i64)>,
}

/// Thousandths of a quantity (quantities carry 3 places).
pub(crate) fn milli(d: Decimal) -> i64 {
    (d * Decimal::from(1000))
        .round()
        .to_i64()
        .unwrap_or(i64::MAX)
}

fn milli_f(x: f64) -> i64 {
    (x * 1000.0).round() as i64
}

fn cents_f(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

impl RunData {
    /// One run from the parts of it recorded apart (the messages of a job spread over Redis
    /// workers, each from the snapshot its own batches were analysed on): the orders of every
    /// part (an order met twice, in a batch done again, kept once), each product group's inputs
    /// as the latest part that used it read them, and its window minimum the highest any part
    /// saw (as [`Recording::finish`] does over one run).
    pub fn merge(parts: impl IntoIterator<Item = RunData>) -> RunData {
        let mut pedidos: Vec<OrderRec> = Vec::new();
        let mut grupos: HashMap<String, GroupRec> = HashMap::new();
        let mut data_base = None;
        for part in parts {
            data_base = data_base.max(part.data_base);
            pedidos.extend(part.pedidos);
            for g in part.grupos {
                match grupos.get_mut(&g.grupo) {
                    Some(seen) => {
                        let menor = seen.menor_estoque.max(g.menor_estoque);
                        *seen = g;
                        seen.menor_estoque = menor;
                    }
                    None => {
                        grupos.insert(g.grupo.clone(), g);
                    }
                }
            }
        }
        // Stable: of an order met twice, the later part's record is the one kept.
        pedidos.sort_by(|a, b| a.num_pedido.cmp(&b.num_pedido));
        let mut kept: Vec<OrderRec> = Vec::with_capacity(pedidos.len());
        for o in pedidos {
            match kept.last_mut() {
                Some(last) if last.num_pedido == o.num_pedido => *last = o,
                _ => kept.push(o),
            }
        }
        let mut grupos: Vec<GroupRec> = grupos.into_values().collect();
        grupos.sort_unstable_by(|a, b| a.grupo.cmp(&b.grupo));
        RunData {
            v: FORMAT_VERSION,
            data_base,
            pedidos: kept,
            grupos,
        }
    }

    /// The stored form: the binary encoding of format 2.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        Ok(super::binary::encode(self))
    }

    /// Reads a stored run: format 2, or format 1 (JSON, gzip-compressed) written before.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let data = if bytes.starts_with(super::binary::MAGIC) {
            super::binary::decode(bytes)
                .map_err(|e| format!("documento da execução ilegível: {e}"))?
        } else {
            Self::decode_json(bytes)?
        };
        if data.v > FORMAT_VERSION {
            return Err(format!(
                "execução gravada por uma versão mais nova do Ruptura (formato {})",
                data.v
            ));
        }
        Ok(data)
    }

    /// Format 1: JSON, gzip-compressed (what runs recorded before format 2 hold).
    pub fn encode_json(&self) -> Result<Vec<u8>, String> {
        let json = serde_json::to_vec(self).map_err(|e| e.to_string())?;
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(json.len() / 6),
            flate2::Compression::fast(),
        );
        gz.write_all(&json).map_err(|e| e.to_string())?;
        gz.finish().map_err(|e| e.to_string())
    }

    fn decode_json(bytes: &[u8]) -> Result<Self, String> {
        let mut json = Vec::with_capacity(bytes.len() * 6);
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut json)
            .map_err(|e| format!("documento da execução ilegível: {e}"))?;
        serde_json::from_slice(&json).map_err(|e| format!("documento da execução ilegível: {e}"))
    }
}

/// Builds a [`RunData`] while a run goes: the inputs from the snapshot, the outcomes from each
/// batch. Wraps the caller's observer, which sees everything as before.
pub struct Recording<'a> {
    inner: &'a mut (dyn Observer + Send),
    groups: Arc<ProductGroups>,
    data_base: Option<NaiveDate>,
    /// Inputs per group key, summed on a thread of their own while the run goes on (see
    /// [`Recording::record_inputs`]).
    inputs: GroupInputs,
    /// The highest window minimum any order saw of each group.
    seen: HashMap<String, i64>,
    /// Each order's record, encoded as it comes (see [`OrderArena`]).
    orders: OrderArena,
}

impl<'a> Recording<'a> {
    pub fn new(inner: &'a mut (dyn Observer + Send)) -> Self {
        Self {
            inner,
            groups: Arc::default(),
            data_base: None,
            inputs: GroupInputs::None,
            seen: HashMap::new(),
            orders: OrderArena::default(),
        }
    }

    /// The document, encoded as the run log stores it, once the run has finished.
    pub fn finish(self) -> Vec<u8> {
        let Recording {
            data_base,
            inputs,
            seen,
            orders,
            ..
        } = self;
        let mut inputs = match inputs {
            GroupInputs::None => HashMap::new(),
            GroupInputs::Summed(inputs) => inputs,
            GroupInputs::Summing(thread) => match thread.join() {
                Ok(inputs) => inputs,
                // The same panic as if the inputs had been summed on this thread.
                Err(panic) => std::panic::resume_unwind(panic),
            },
        };
        // Holds of a priority mode only lower a group's balances, so the highest minimum any
        // order saw is the group's own (every order of the book that uses it comes here).
        for (key, visto) in seen {
            if let Some(input) = inputs.get_mut(&key) {
                input.menor_estoque = input.menor_estoque.max(visto);
            }
        }
        let mut grupos: Vec<GroupRec> = inputs.into_values().collect();
        grupos.sort_unstable_by(|a, b| a.grupo.cmp(&b.grupo));
        orders.finish(FORMAT_VERSION, data_base, &grupos)
    }

    /// Keeps one order's record: its bytes, and the window minimum it saw of each group.
    fn keep(&mut self, rec: &OrderRec) {
        for g in &rec.grupos {
            match self.seen.get_mut(&g.grupo) {
                Some(seen) => *seen = (*seen).max(g.visto),
                None => {
                    self.seen.insert(g.grupo.clone(), g.visto);
                }
            }
        }
        self.orders.push(rec);
    }

    /// Starts summing the inputs of every group of the snapshot's lines on a thread of its own:
    /// the run's analysis does not wait for them (its projections are built meanwhile), the
    /// document does ([`Recording::finish`]).
    fn record_inputs(&mut self, s: &Snapshot, today: NaiveDate) {
        self.groups = Arc::new(ProductGroups::from_links(&s.links));
        let groups = Arc::clone(&self.groups);
        let inputs = Inputs::of(s);
        let summing = std::thread::Builder::new()
            .name("ruptura-registro".to_string())
            .spawn({
                let groups = Arc::clone(&groups);
                move || inputs.sum(&groups, today)
            });
        self.inputs = match summing {
            Ok(thread) => GroupInputs::Summing(thread),
            // No thread to be had: summed here, as the run waits.
            Err(_) => GroupInputs::Summed(Inputs::of(s).sum(&groups, today)),
        };
        self.data_base = Some(today);
    }
}

/// The inputs of a run's groups: none yet, being summed, or summed.
enum GroupInputs {
    None,
    Summing(std::thread::JoinHandle<HashMap<String, GroupRec>>),
    Summed(HashMap<String, GroupRec>),
}

/// What the record of a run's inputs is summed from: the codes of its lines, the stock and the
/// flows.
struct Inputs {
    codes: Vec<Arc<str>>,
    stock: Vec<(Arc<str>, Decimal)>,
    outflows: Vec<ruptura_engine::DatedQty>,
    inflows: Vec<ruptura_engine::DatedQty>,
}

impl Inputs {
    /// What `s` gives: the lines' codes, each once (a load shares one string per code, so most
    /// repeats are found by address), and copies of the stock and flows.
    fn of(s: &Snapshot) -> Self {
        let mut by_address: foldhash::HashSet<*const u8> = foldhash::HashSet::default();
        let codes: Vec<Arc<str>> = s
            .lines
            .iter()
            .filter(|l| by_address.insert(l.cod_produto.as_ptr()))
            .map(|l| Arc::clone(&l.cod_produto))
            .collect();
        Inputs {
            codes,
            stock: s.stock.clone(),
            outflows: s.outflows.clone(),
            inflows: s.inflows.clone(),
        }
    }

    /// Each group of the lines with its stock, outflows and inflows (from `today` on) by date.
    fn sum(self, groups: &ProductGroups, today: NaiveDate) -> HashMap<String, GroupRec> {
        let mut inputs: HashMap<String, GroupRec> = HashMap::new();
        for code in &self.codes {
            let key = groups.key_of(code);
            if !inputs.contains_key(key) {
                inputs.insert(
                    key.to_string(),
                    GroupRec {
                        grupo: key.to_string(),
                        menor_estoque: i64::MIN,
                        ..GroupRec::default()
                    },
                );
            }
        }
        for (code, qty) in &self.stock {
            if let Some(g) = inputs.get_mut(groups.key_of(code)) {
                g.estoque += milli(*qty);
            }
        }
        let mut out: HashMap<&str, BTreeMap<Option<NaiveDate>, i64>> = HashMap::new();
        for o in &self.outflows {
            let key = groups.key_of(&o.cod_produto);
            if inputs.contains_key(key) {
                *out.entry(key).or_default().entry(o.date).or_default() += milli(o.qty);
            }
        }
        let mut inflow: HashMap<&str, BTreeMap<NaiveDate, i64>> = HashMap::new();
        for i in &self.inflows {
            let key = groups.key_of(&i.cod_produto);
            // The analysis ignores production dated before the reference date.
            if let Some(date) = i.date.filter(|d| *d >= today) {
                if inputs.contains_key(key) {
                    *inflow.entry(key).or_default().entry(date).or_default() += milli(i.qty);
                }
            }
        }
        for (key, by_date) in out {
            if let Some(g) = inputs.get_mut(key) {
                g.saidas = by_date.into_iter().filter(|(_, q)| *q != 0).collect();
            }
        }
        for (key, by_date) in inflow {
            if let Some(g) = inputs.get_mut(key) {
                g.entradas = by_date.into_iter().filter(|(_, q)| *q != 0).collect();
            }
        }
        inputs
    }
}

impl OrderRec {
    /// What a run keeps of one order's result; `groups` are the run's product groups.
    pub fn of(r: &Resultado, groups: &ProductGroups) -> Self {
        let Some(p) = r.analisado() else {
            return OrderRec {
                num_pedido: r.num_pedido().to_string(),
                criticidade: r.criticidade().to_string(),
                pedido_ok: false,
                total: None,
                valor_com_ruptura: 0,
                prazo: None,
                grupos: Vec::new(),
            };
        };
        let mut grupos: Vec<OrderGroup> = Vec::new();
        let group_of = |grupos: &mut Vec<OrderGroup>, code: &str, visto: f64| -> usize {
            let key = groups.key_of(code);
            match grupos.iter().position(|g| g.grupo == key) {
                Some(i) => i,
                None => {
                    grupos.push(OrderGroup {
                        grupo: key.to_string(),
                        cod_produto: code.to_string(),
                        qtd: 0,
                        falta: 0,
                        data: None,
                        visto: milli_f(visto),
                    });
                    grupos.len() - 1
                }
            }
        };
        // Short lines first: their dates decide the group's date, and one undated short line
        // leaves the group without a date.
        let mut undated: Vec<usize> = Vec::new();
        for l in &p.itens {
            let i = group_of(&mut grupos, &l.cod_produto, l.estoque_min_d7);
            let g = &mut grupos[i];
            g.qtd += milli_f(l.qtd_saldo);
            g.falta += milli_f(l.ruptura_qtd);
            match l.data_disponivel {
                Some(d) => g.data = g.data.max(Some(d.0)),
                None => undated.push(i),
            }
        }
        for i in undated {
            grupos[i].data = None;
        }
        for l in &p.itens_disponiveis {
            let i = group_of(&mut grupos, &l.cod_produto, l.estoque_min_d7);
            grupos[i].qtd += milli_f(l.qtd_saldo);
        }
        grupos.sort_unstable_by(|a, b| a.grupo.cmp(&b.grupo));
        OrderRec {
            num_pedido: p.num_pedido.clone(),
            criticidade: p.resumo.criticidade.clone(),
            pedido_ok: p.pedido_ok,
            total: p.resumo.data_disponibilidade_total.clone(),
            valor_com_ruptura: cents_f(p.resumo.valor_com_ruptura),
            prazo: Some(p.resumo.prazo.as_str().to_string()),
            grupos,
        }
    }
}

impl Observer for Recording<'_> {
    fn snapshot(&mut self, snapshot: &Snapshot, today: NaiveDate) {
        self.record_inputs(snapshot, today);
        self.inner.snapshot(snapshot, today);
    }

    fn needs_snapshot(&self) -> bool {
        true
    }

    fn started(&mut self, orders: &[String], batches: usize) {
        self.inner.started(orders, batches);
    }

    fn record_groups(&self) -> Option<Arc<ProductGroups>> {
        Some(Arc::clone(&self.groups))
    }

    fn batch_encoder(&self) -> Option<crate::BatchEncoder> {
        self.inner.batch_encoder()
    }

    fn batch(&mut self, mut batch: Batch) {
        match batch.records.take() {
            // Built on the batch's thread (see `Observer::record_groups`).
            Some(records) => records.iter().for_each(|r| self.keep(r)),
            None => {
                let groups = Arc::clone(&self.groups);
                for r in &batch.results {
                    self.keep(&OrderRec::of(r, &groups));
                }
            }
        }
        self.inner.batch(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(n: &str, grupo: &str, visto: i64) -> OrderRec {
        OrderRec {
            num_pedido: n.into(),
            criticidade: "OK".into(),
            pedido_ok: true,
            total: Some("agora".into()),
            valor_com_ruptura: 0,
            prazo: None,
            grupos: vec![OrderGroup {
                grupo: grupo.into(),
                cod_produto: grupo.into(),
                qtd: 1000,
                falta: 0,
                data: None,
                visto,
            }],
        }
    }

    fn group(k: &str, estoque: i64, menor: i64) -> GroupRec {
        GroupRec {
            grupo: k.into(),
            estoque,
            menor_estoque: menor,
            ..GroupRec::default()
        }
    }

    #[test]
    fn parts_merge_into_one_run() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2);
        let a = RunData {
            v: FORMAT_VERSION,
            data_base: day,
            pedidos: vec![order("P2", "A", 5), order("P1", "B", 7)],
            grupos: vec![group("A", 10, 5), group("B", 20, 7)],
        };
        let mut redone = order("P2", "A", 6);
        redone.criticidade = "ALTA".into();
        let b = RunData {
            v: FORMAT_VERSION,
            data_base: day,
            pedidos: vec![order("P3", "A", 9), redone],
            grupos: vec![group("A", 11, 9)],
        };
        let m = RunData::merge([a, b]);
        assert_eq!(m.data_base, day);
        let numbers: Vec<&str> = m.pedidos.iter().map(|o| o.num_pedido.as_str()).collect();
        assert_eq!(numbers, ["P1", "P2", "P3"]);
        assert_eq!(
            m.pedidos[1].criticidade, "ALTA",
            "the later part's record is kept"
        );
        assert_eq!(m.grupos, vec![group("A", 11, 9), group("B", 20, 7)]);
    }
}
