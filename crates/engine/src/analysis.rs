//! The analysis of orders against the projections of their product groups (SPEC 2.1-2.8).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::criticality::Criticality;
use crate::decision::{Prazo, Sugestao};
use crate::groups::ProductGroups;
use crate::params::{round_half_away, Mode, Params};
use crate::projection::{DayFlow, Projection};
use crate::snapshot::{min_open_qty, OrderLine, Snapshot};

/// The result of one line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    pub id: i64,
    pub cod_produto: String,
    pub nome_produto: String,
    /// Open quantity q.
    pub qtd: Decimal,
    /// Unit price as stored (`None`: no price, counted as 0).
    pub preco: Option<Decimal>,
    /// q x price.
    pub valor: Decimal,
    /// Key of the product group (its smallest code).
    pub grupo: String,
    /// Current stock S of the group (`estoque_atual`).
    pub estoque_atual: Decimal,
    /// Minimum projected balance over D0..=D_H as this order saw it (`estoque_min_d7`).
    pub menor_estoque: Decimal,
    /// The group's window minimum before any allocation (the same as `menor_estoque` in
    /// independent mode; SPEC 8.4 reports this one).
    pub menor_estoque_inicial: Decimal,
    /// Quantity of the line that the window covers.
    pub disponivel: Decimal,
    /// q - disponivel; the line is short when this is positive.
    pub ruptura_qtd: Decimal,
    /// Earliest day offset D from which the balance covers this line and the earlier lines of
    /// the order in its group (only for short lines; `None` also when no day covers).
    pub dia_cobertura: Option<u32>,
    /// today + D + lead time (only for short lines).
    pub data_disponivel: Option<NaiveDate>,
    /// First production day of the group on or after today, and that day's total.
    pub data_producao: Option<NaiveDate>,
    pub qtd_producao: Decimal,
    /// For short lines: the group's `saldo_final` on D0..=D_H as this order saw it.
    pub projecao: Vec<Decimal>,
}

impl LineResult {
    pub fn is_short(&self) -> bool {
        self.ruptura_qtd > Decimal::ZERO
    }
}

/// When the whole order can ship (`data_disponibilidade_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalAvailability {
    /// No line is short (`"agora"`).
    Now,
    /// The latest availability date of the short lines.
    On(NaiveDate),
    /// Some short line has no forecast (null).
    NoForecast,
}

/// The order summary (SPEC 2.6, 2.7). Figures are exact; the wire rounds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub total_itens: usize,
    pub qtd_itens_ruptura: usize,
    pub qtd_itens_disponiveis: usize,
    pub valor_total_pedido: Decimal,
    pub valor_com_ruptura: Decimal,
    pub valor_disponivel: Decimal,
    /// valor_com_ruptura / valor_total_pedido x 100, exact (0 when the total is 0).
    pub percentual_ruptura: Decimal,
    /// 100 - percentual_ruptura, rounded to a whole number.
    pub percentual_disponibilidade: Decimal,
    /// Lines not short / all lines x 100, rounded to a whole number.
    pub percentual_itens_disponiveis: Decimal,
    pub criticidade: Criticality,
    pub disponibilidade_total: TotalAvailability,
    /// The earliest ship date of the order's lines (SPEC 8.2).
    pub expedicao: Option<NaiveDate>,
    /// When the whole order can ship: today + lead time when no line is short, else the total
    /// availability date (`None`: no forecast).
    pub data_pronto: Option<NaiveDate>,
    pub prazo: Prazo,
    /// max(0, data_pronto - expedicao) in days, when both are known.
    pub dias_atraso: Option<i64>,
    /// Sum of disponivel x price over the lines, exact (SPEC 8.3).
    pub valor_agora: Decimal,
    /// valor_agora / valor_total_pedido x 100, exact (0 when the total is 0).
    pub percentual_valor_agora: Decimal,
    /// Lines with disponivel > 0.
    pub itens_agora: usize,
    pub sugestao: Sugestao,
}

/// The analysis of one order that has open lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderResult {
    pub num_pedido: String,
    /// All analysed lines, in ascending id.
    pub lines: Vec<LineResult>,
    pub summary: Summary,
}

impl OrderResult {
    /// `pedido_ok`: no line is short.
    pub fn is_ok(&self) -> bool {
        self.summary.qtd_itens_ruptura == 0
    }

    pub fn short_lines(&self) -> impl Iterator<Item = &LineResult> {
        self.lines.iter().filter(|l| l.is_short())
    }

    pub fn available_lines(&self) -> impl Iterator<Item = &LineResult> {
        self.lines.iter().filter(|l| !l.is_short())
    }
}

/// What the analysis says of one requested order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderOutcome {
    Found(OrderResult),
    /// No active line with an open quantity (`Pedido não encontrado`).
    NotFound,
}

impl OrderOutcome {
    pub fn found(&self) -> Option<&OrderResult> {
        match self {
            OrderOutcome::Found(r) => Some(r),
            OrderOutcome::NotFound => None,
        }
    }
}

/// A snapshot prepared for analysis: lines indexed by order, one projection per product group
/// that the lines draw on. Build it once per snapshot; it is `Sync`, so batches of orders can be
/// analysed on several threads in independent mode.
#[derive(Debug, Clone)]
pub struct Analyzer {
    params: Params,
    /// Lines sorted by (num_pedido, id).
    lines: Vec<OrderLine>,
    /// Group index of each line in `lines`.
    line_group: Vec<u32>,
    orders: HashMap<String, Range<usize>>,
    group_keys: Vec<String>,
    projections: Vec<Projection>,
}

impl Analyzer {
    /// Prepares `snapshot` for analysis with `params`.
    pub fn new(snapshot: Snapshot, params: Params) -> Self {
        let Snapshot {
            mut lines,
            stock,
            outflows,
            inflows,
            links,
        } = snapshot;
        let groups = ProductGroups::from_links(&links);
        let floor = min_open_qty();
        lines.retain(|l| l.qtd >= floor);
        // Stable sort: two lines with the same id keep their snapshot order.
        lines.sort_by(|a, b| a.num_pedido.cmp(&b.num_pedido).then(a.id.cmp(&b.id)));

        let mut group_index: HashMap<String, u32> = HashMap::new();
        let mut group_keys: Vec<String> = Vec::new();
        let line_group: Vec<u32> = lines
            .iter()
            .map(|l| {
                let key = groups.key_of(&l.cod_produto);
                match group_index.get(key) {
                    Some(g) => *g,
                    None => {
                        let g = group_keys.len() as u32;
                        group_index.insert(key.to_string(), g);
                        group_keys.push(key.to_string());
                        g
                    }
                }
            })
            .collect();

        let mut orders: HashMap<String, Range<usize>> = HashMap::new();
        let mut start = 0;
        for i in 1..=lines.len() {
            if i == lines.len() || lines[i].num_pedido != lines[start].num_pedido {
                orders.insert(lines[start].num_pedido.clone(), start..i);
                start = i;
            }
        }

        let n = group_keys.len();
        let mut stock_of = vec![Decimal::ZERO; n];
        let mut flows: Vec<Vec<(u32, DayFlow)>> = vec![Vec::new(); n];
        let gid = |code: &str| group_index.get(groups.key_of(code)).map(|g| *g as usize);
        for (code, qty) in &stock {
            if let Some(g) = gid(code) {
                stock_of[g] += *qty;
            }
        }
        let today = params.today;
        for o in &outflows {
            if let Some(g) = gid(&o.cod_produto) {
                // Overdue and undated commitments still leave the stock: they count on D0.
                let day = o.date.map_or(0, |d| day_offset(today, d).unwrap_or(0));
                flows[g].push((
                    day,
                    DayFlow {
                        out: o.qty,
                        inflow: Decimal::ZERO,
                    },
                ));
            }
        }
        for i in &inflows {
            let (Some(g), Some(date)) = (gid(&i.cod_produto), i.date) else {
                continue;
            };
            if let Some(day) = day_offset(today, date) {
                flows[g].push((
                    day,
                    DayFlow {
                        out: Decimal::ZERO,
                        inflow: i.qty,
                    },
                ));
            }
        }
        let projections = stock_of
            .into_iter()
            .zip(flows)
            .map(|(s, f)| Projection::new(s, params.horizon_days, f))
            .collect();

        Self {
            params,
            lines,
            line_group,
            orders,
            group_keys,
            projections,
        }
    }

    /// Orders with at least one analysable line, sorted.
    pub fn order_numbers(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.orders.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Analyses one order on its own against the whole projection (independent mode).
    pub fn analyze_order(&self, num_pedido: &str) -> OrderOutcome {
        match self.orders.get(num_pedido) {
            Some(range) => OrderOutcome::Found(self.evaluate(range.clone(), &self.projections).0),
            None => OrderOutcome::NotFound,
        }
    }

    /// Analyses `orders` in the mode of the parameters. Duplicates are analysed once; the result
    /// lists each distinct order once, in the order first given.
    pub fn analyze(&self, orders: &[impl AsRef<str>]) -> Vec<(String, OrderOutcome)> {
        let distinct = dedup(orders);
        match self.params.mode {
            Mode::Independent => distinct
                .into_iter()
                .map(|n| (n.to_string(), self.analyze_order(n)))
                .collect(),
            Mode::Sequential => self.allocate(&distinct),
            Mode::Priority => {
                let mut all = self.allocate_all();
                distinct
                    .into_iter()
                    .map(|n| {
                        let outcome = all
                            .remove(n)
                            .map_or(OrderOutcome::NotFound, OrderOutcome::Found);
                        (n.to_string(), outcome)
                    })
                    .collect()
            }
        }
    }

    /// Priority mode's allocation: sequential mode over every order of the analyzer (the whole
    /// active book when the snapshot holds it, SPEC 8.1), keyed by order number.
    pub fn allocate_all(&self) -> HashMap<String, OrderResult> {
        let all = self.order_numbers();
        self.allocate(&all)
            .into_iter()
            .filter_map(|(n, o)| match o {
                OrderOutcome::Found(r) => Some((n, r)),
                OrderOutcome::NotFound => None,
            })
            .collect()
    }

    /// Sequential mode: ranks the orders and analyses them in that order on live projections,
    /// each promise holding stock from the orders after it (SPEC 2.8). Results come back in the
    /// order given.
    pub fn allocate(&self, orders: &[&str]) -> Vec<(String, OrderOutcome)> {
        let mut live = self.projections.clone();
        let mut results: HashMap<&str, OrderResult> = HashMap::new();
        for num in self.rank(orders) {
            let range = self.orders[num].clone();
            let (result, holds) = self.evaluate(range, &live);
            for hold in holds {
                let p = &mut live[hold.group as usize];
                p.hold(0, hold.disponivel);
                if let Some(day) = hold.dia_cobertura {
                    p.hold(day, hold.ruptura_qtd);
                }
            }
            results.insert(num, result);
        }
        orders
            .iter()
            .map(|n| {
                let outcome = results
                    .remove(n)
                    .map_or(OrderOutcome::NotFound, OrderOutcome::Found);
                (n.to_string(), outcome)
            })
            .collect()
    }

    /// The found orders among `orders`, in allocation priority: the earliest expedicao of their
    /// lines (a past date counts as today, none last), then the earliest data_pedido (none
    /// last), then num_pedido.
    pub fn rank<'o>(&self, orders: &[&'o str]) -> Vec<&'o str> {
        let today = self.params.today;
        let mut keyed: Vec<(Option<NaiveDate>, Option<NaiveDate>, &'o str)> = orders
            .iter()
            .filter_map(|n| {
                let lines = &self.lines[self.orders.get(*n)?.clone()];
                let exp = lines
                    .iter()
                    .filter_map(|l| l.expedicao)
                    .min()
                    .map(|d| d.max(today));
                let ped = lines.iter().filter_map(|l| l.data_pedido).min();
                Some((exp, ped, *n))
            })
            .collect();
        keyed.sort_by(|a, b| {
            none_last(a.0, b.0)
                .then_with(|| none_last(a.1, b.1))
                .then_with(|| a.2.cmp(b.2))
        });
        keyed.dedup_by(|a, b| a.2 == b.2);
        keyed.into_iter().map(|k| k.2).collect()
    }

    /// Checks the lines of one order (a range of `self.lines`) against `projections`, and says
    /// what the order would hold in sequential mode.
    fn evaluate(
        &self,
        range: Range<usize>,
        projections: &[Projection],
    ) -> (OrderResult, Vec<Hold>) {
        let p = &self.params;
        let lines = &self.lines[range.clone()];
        let groups = &self.line_group[range];
        let mut before: Vec<(u32, Decimal)> = Vec::with_capacity(lines.len());
        let mut results = Vec::with_capacity(lines.len());
        let mut holds = Vec::with_capacity(lines.len());
        for (line, &g) in lines.iter().zip(groups) {
            let proj = &projections[g as usize];
            let prior = match before.iter_mut().find(|(bg, _)| *bg == g) {
                Some((_, q)) => {
                    let prior = *q;
                    *q += line.qtd;
                    prior
                }
                None => {
                    before.push((g, line.qtd));
                    Decimal::ZERO
                }
            };
            let q = line.qtd;
            let menor = proj.window_min();
            let disponivel = (menor - prior).clamp(Decimal::ZERO, q);
            let ruptura_qtd = q - disponivel;
            let short = ruptura_qtd > Decimal::ZERO;
            let dia_cobertura = if short {
                proj.earliest_covering_day(prior + q)
            } else {
                None
            };
            let data_disponivel = dia_cobertura.and_then(|d| {
                p.today
                    .checked_add_days(Days::new(u64::from(d) + u64::from(p.lead_time_days)))
            });
            let (data_producao, qtd_producao) = match proj.first_inflow() {
                Some((d, qty)) => (p.today.checked_add_days(Days::new(u64::from(d))), qty),
                None => (None, Decimal::ZERO),
            };
            let projecao = if short {
                proj.daily(p.horizon_days)
            } else {
                Vec::new()
            };
            holds.push(Hold {
                group: g,
                disponivel,
                ruptura_qtd,
                dia_cobertura,
            });
            results.push(LineResult {
                id: line.id,
                cod_produto: line.cod_produto.clone(),
                nome_produto: line.nome_produto.clone(),
                qtd: q,
                preco: line.preco,
                valor: q * line.preco.unwrap_or(Decimal::ZERO),
                grupo: self.group_keys[g as usize].clone(),
                estoque_atual: proj.stock(),
                menor_estoque: menor,
                menor_estoque_inicial: self.projections[g as usize].window_min(),
                disponivel,
                ruptura_qtd,
                dia_cobertura,
                data_disponivel,
                data_producao,
                qtd_producao,
                projecao,
            });
        }
        let expedicao = lines.iter().filter_map(|l| l.expedicao).min();
        let summary = summarize(&results, expedicao, p);
        let num_pedido = lines
            .first()
            .map(|l| l.num_pedido.clone())
            .unwrap_or_default();
        (
            OrderResult {
                num_pedido,
                lines: results,
                summary,
            },
            holds,
        )
    }
}

/// What one line promises in sequential mode.
struct Hold {
    group: u32,
    disponivel: Decimal,
    ruptura_qtd: Decimal,
    dia_cobertura: Option<u32>,
}

fn summarize(lines: &[LineResult], expedicao: Option<NaiveDate>, params: &Params) -> Summary {
    let total_itens = lines.len();
    let qtd_itens_ruptura = lines.iter().filter(|l| l.is_short()).count();
    let qtd_itens_disponiveis = total_itens - qtd_itens_ruptura;
    let valor_total_pedido: Decimal = lines.iter().map(|l| l.valor).sum();
    let valor_com_ruptura: Decimal = lines.iter().filter(|l| l.is_short()).map(|l| l.valor).sum();
    let valor_disponivel = valor_total_pedido - valor_com_ruptura;
    let hundred = Decimal::ONE_HUNDRED;
    let percentual_ruptura = if valor_total_pedido.is_zero() {
        Decimal::ZERO
    } else {
        (valor_com_ruptura * hundred)
            .checked_div(valor_total_pedido)
            .unwrap_or(Decimal::ZERO)
    };
    let percentual_disponibilidade = round_half_away(hundred - percentual_ruptura, 0);
    let percentual_itens_disponiveis = if total_itens == 0 {
        Decimal::ZERO
    } else {
        round_half_away(
            Decimal::from(qtd_itens_disponiveis * 100) / Decimal::from(total_itens),
            0,
        )
    };
    let criticidade = params
        .criticality
        .classify(qtd_itens_ruptura, percentual_ruptura);
    let disponibilidade_total = if qtd_itens_ruptura == 0 {
        TotalAvailability::Now
    } else {
        let dates: Option<Vec<NaiveDate>> = lines
            .iter()
            .filter(|l| l.is_short())
            .map(|l| l.data_disponivel)
            .collect();
        match dates.and_then(|d| d.into_iter().max()) {
            Some(d) => TotalAvailability::On(d),
            None => TotalAvailability::NoForecast,
        }
    };
    let data_pronto = match disponibilidade_total {
        TotalAvailability::Now => params
            .today
            .checked_add_days(Days::new(u64::from(params.lead_time_days))),
        TotalAvailability::On(d) => Some(d),
        TotalAvailability::NoForecast => None,
    };
    let prazo = match (expedicao, data_pronto) {
        (None, _) => Prazo::SemExpedicao,
        (Some(e), _) if e < params.today => Prazo::Vencida,
        (Some(_), None) => Prazo::SemPrevisao,
        (Some(e), Some(p)) if p <= e => Prazo::NoPrazo,
        (Some(_), Some(_)) => Prazo::Atrasa,
    };
    let dias_atraso = match (expedicao, data_pronto) {
        (Some(e), Some(p)) => Some((p - e).num_days().max(0)),
        _ => None,
    };
    let valor_agora: Decimal = lines
        .iter()
        .map(|l| l.disponivel * l.preco.unwrap_or(Decimal::ZERO))
        .sum();
    let percentual_valor_agora = if valor_total_pedido.is_zero() {
        Decimal::ZERO
    } else {
        (valor_agora * hundred)
            .checked_div(valor_total_pedido)
            .unwrap_or(Decimal::ZERO)
    };
    let itens_agora = lines
        .iter()
        .filter(|l| l.disponivel > Decimal::ZERO)
        .count();
    let sugestao = if qtd_itens_ruptura == 0 {
        Sugestao::Enviar
    } else if valor_agora > Decimal::ZERO
        // The minimums compare with the figures as shown (2 places).
        && round_half_away(valor_agora, 2) >= params.partial_min_value
        && round_half_away(percentual_valor_agora, 2) >= params.partial_min_pct
    {
        Sugestao::Parcial
    } else {
        Sugestao::Aguardar
    };
    Summary {
        total_itens,
        qtd_itens_ruptura,
        qtd_itens_disponiveis,
        valor_total_pedido,
        valor_com_ruptura,
        valor_disponivel,
        percentual_ruptura,
        percentual_disponibilidade,
        percentual_itens_disponiveis,
        criticidade,
        disponibilidade_total,
        expedicao,
        data_pronto,
        prazo,
        dias_atraso,
        valor_agora,
        percentual_valor_agora,
        itens_agora,
        sugestao,
    }
}

/// Days from `today` to `date`, or `None` when `date` is before today.
fn day_offset(today: NaiveDate, date: NaiveDate) -> Option<u32> {
    u32::try_from((date - today).num_days()).ok()
}

fn none_last<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn dedup<S: AsRef<str>>(orders: &[S]) -> Vec<&str> {
    let mut seen = HashSet::with_capacity(orders.len());
    orders
        .iter()
        .map(AsRef::as_ref)
        .filter(|n| seen.insert(*n))
        .collect()
}

/// Analyses `orders` of `snapshot` with `params`: the whole of SPEC 2 as one function of data.
pub fn analyze(
    snapshot: Snapshot,
    params: Params,
    orders: &[impl AsRef<str>],
) -> Vec<(String, OrderOutcome)> {
    Analyzer::new(snapshot, params).analyze(orders)
}
