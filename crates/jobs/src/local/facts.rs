//! What a job keeps of each order besides its packed results, in a few large buffers: its order
//! numbers, and the facts the order list filters and sorts by. Held as strings and vectors of
//! their own, a whole-book job's 100,000 orders would be hundreds of thousands of small
//! allocations made among the run's short-lived memory, each keeping a page resident after the
//! rest of it is freed.

use std::ops::Range;

use chrono::NaiveDate;

use crate::{FactsOf, OrderFacts};

/// Strings one after the other in one buffer.
#[derive(Debug, Default)]
pub(super) struct Texts {
    text: String,
    ends: Vec<usize>,
}

impl Texts {
    pub(super) fn with_capacity(n: usize) -> Self {
        Self {
            text: String::new(),
            ends: Vec::with_capacity(n),
        }
    }

    pub(super) fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1],
        };
        self.text.get(start..end)
    }

    /// Bytes held (about).
    fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }
}

/// One finished order's facts, its texts elsewhere.
#[derive(Debug)]
struct Row {
    /// Index in [`Facts::labels`].
    criticidade: u8,
    valor_com_ruptura: f64,
    data_pronto: Option<NaiveDate>,
    dias_atraso: Option<i64>,
    /// Its short codes: these entries of [`Facts::codes`].
    codes: Range<usize>,
}

/// The facts of each finished order, by position (its slot among the job's results).
#[derive(Debug, Default)]
pub(super) struct Facts {
    nums: Texts,
    rows: Vec<Row>,
    codes: Texts,
    /// The distinct criticality labels (a handful).
    labels: Vec<String>,
}

impl Facts {
    pub(super) fn with_capacity(n: usize) -> Self {
        Self {
            nums: Texts::with_capacity(n),
            rows: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    /// Adds the facts of order `num`; returns its slot.
    pub(super) fn push(&mut self, num: &str, facts: &FactsOf<'_>) -> usize {
        let label = match self.labels.iter().position(|l| l == facts.criticidade) {
            Some(i) => i,
            None => {
                self.labels.push(facts.criticidade.to_string());
                self.labels.len() - 1
            }
        };
        let first = self.codes.len();
        for code in facts.short_codes() {
            self.codes.push(code);
        }
        self.nums.push(num);
        self.rows.push(Row {
            criticidade: u8::try_from(label).unwrap_or(u8::MAX),
            valor_com_ruptura: facts.valor_com_ruptura,
            data_pronto: facts.data_pronto,
            dias_atraso: facts.dias_atraso,
            codes: first..self.codes.len(),
        });
        self.rows.len() - 1
    }

    /// Orders with facts.
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The order number at `slot`.
    pub(super) fn num(&self, slot: usize) -> &str {
        self.nums.get(slot).unwrap_or_default()
    }

    /// The criticality at `slot`.
    pub(super) fn criticidade(&self, slot: usize) -> &str {
        self.rows
            .get(slot)
            .and_then(|r| self.labels.get(usize::from(r.criticidade)))
            .map_or("", String::as_str)
    }

    /// The facts at `slot`.
    pub(super) fn get(&self, slot: usize) -> Option<OrderFacts> {
        let row = self.rows.get(slot)?;
        Some(OrderFacts {
            criticidade: self.criticidade(slot).to_string(),
            valor_com_ruptura: row.valor_com_ruptura,
            data_pronto: row.data_pronto,
            dias_atraso: row.dias_atraso,
            short_codes: row
                .codes
                .clone()
                .filter_map(|i| self.codes.get(i).map(str::to_string))
                .collect(),
        })
    }

    /// Gives back the spare capacity (a finished job's table grows no more).
    pub(super) fn shrink_to_fit(&mut self) {
        for texts in [&mut self.nums, &mut self.codes] {
            texts.text.shrink_to_fit();
            texts.ends.shrink_to_fit();
        }
        self.rows.shrink_to_fit();
    }

    /// Bytes held (about).
    pub(super) fn bytes(&self) -> usize {
        self.nums.bytes() + self.codes.bytes() + self.rows.capacity() * std::mem::size_of::<Row>()
    }
}

#[cfg(test)]
mod tests {
    use ruptura_app::wire::ItemRuptura;

    use super::*;

    fn item(code: &str) -> ItemRuptura {
        ItemRuptura {
            cod_produto: code.to_string(),
            nome_produto: format!("produto {code}"),
            qtd_saldo: 1.0,
            estoque_atual: 0.0,
            estoque_min_d7: 0.0,
            ruptura_qtd: 1.0,
            data_producao: None,
            qtd_producao: 0.0,
            data_disponivel: None,
            qtd_agora: 0.0,
            qtd_disponivel: 0.0,
            preco_unitario: 1.0,
            valor_total: 1.0,
            grupo: None,
            projecao: Vec::new(),
        }
    }

    /// Facts as a result would give them, and the same owned.
    fn facts<'a>(
        crit: &'a str,
        short: &'a [ItemRuptura],
        valor: f64,
        dias: Option<i64>,
    ) -> (FactsOf<'a>, OrderFacts) {
        let data_pronto = NaiveDate::from_ymd_opt(2026, 3, 2);
        let of = FactsOf {
            criticidade: crit,
            valor_com_ruptura: valor,
            data_pronto,
            dias_atraso: dias,
            short,
        };
        let owned = OrderFacts {
            criticidade: crit.to_string(),
            valor_com_ruptura: valor,
            data_pronto,
            dias_atraso: dias,
            short_codes: short.iter().map(|i| i.cod_produto.clone()).collect(),
        };
        (of, owned)
    }

    #[test]
    fn facts_read_back_as_pushed_by_slot() {
        let (ab, empty, c) = ([item("A"), item("B")], [item("")], [item("C")]);
        let pushed = [
            ("P1", facts("CRITICA", &ab, 10.5, Some(3))),
            ("P2", facts("OK", &[], 0.0, None)),
            ("", facts("", &empty, -1.0, Some(-2))),
            ("P3", facts("CRITICA", &c, 1e9, Some(0))),
        ];
        let mut table = Facts::with_capacity(1);
        for (i, (num, (of, _))) in pushed.iter().enumerate() {
            assert_eq!(table.push(num, of), i);
        }
        assert_eq!(table.len(), pushed.len());
        assert_eq!(table.labels.len(), 3, "labels are shared");
        for (i, (num, (_, f))) in pushed.iter().enumerate() {
            assert_eq!(table.num(i), *num);
            assert_eq!(table.criticidade(i), f.criticidade);
            assert_eq!(table.get(i).as_ref(), Some(f));
        }
        assert_eq!(table.get(pushed.len()), None);
        assert_eq!(table.criticidade(pushed.len()), "");
    }

    #[test]
    fn texts_keep_each_string_apart() {
        let mut texts = Texts::with_capacity(1);
        for s in ["ab", "", "c", "déf"] {
            texts.push(s);
        }
        assert_eq!(texts.len(), 4);
        let read: Vec<_> = (0..4).map(|i| texts.get(i)).collect();
        assert_eq!(read, [Some("ab"), Some(""), Some("c"), Some("déf")]);
        assert_eq!(texts.get(4), None);
    }
}
