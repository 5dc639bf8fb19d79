//! The analysis of orders against the projections of their product groups (SPEC 2.1-2.8).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::ops::{ControlFlow, Range};
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::criticality::Criticality;
use crate::decision::{Prazo, Sugestao};
use crate::groups::ProductGroups;
use crate::params::{Mode, Params};
use crate::projection::{DayFlow, Projection};
use crate::snapshot::{min_open_qty, DatedQty, OrderLine, Snapshot};
use crate::summary::summarize;

/// The last day of a short line's daily projection (`LineResult::projecao`), counted from today.
pub const CHART_MAX_DAYS: u32 = 90;

/// The result of one line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    pub id: i64,
    /// The snapshot's shared code and name (cloning them does not copy the text).
    pub cod_produto: Arc<str>,
    pub nome_produto: Arc<str>,
    /// Open quantity q.
    pub qtd: Decimal,
    /// Unit price as stored (`None`: no price, counted as 0).
    pub preco: Option<Decimal>,
    /// q x price.
    pub valor: Decimal,
    /// Key of the product group (its smallest code).
    pub grupo: Arc<str>,
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
    /// For short lines: the group's `saldo_final` as this order saw it, one value a day from D0
    /// to the covering day (or to the last day with a flow when none covers), at least to D_H
    /// and at most to D[`CHART_MAX_DAYS`].
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
// Almost every outcome is `Found`: boxing it would add one allocation per order for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderOutcome {
    Found(OrderResult),
    /// No active line with an open quantity (`Pedido não encontrado`).
    NotFound,
    /// The order's numbers do not fit exact decimal arithmetic (a quantity times a price, or a
    /// sum over the order, overflows): this order gets an error, every other is analysed.
    Failed(String),
}

impl OrderOutcome {
    pub fn found(&self) -> Option<&OrderResult> {
        match self {
            OrderOutcome::Found(r) => Some(r),
            OrderOutcome::NotFound | OrderOutcome::Failed(_) => None,
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
    /// The lines of each order, keyed by the order number its lines share.
    orders: foldhash::HashMap<Arc<str>, Range<usize>>,
    group_keys: Vec<Arc<str>>,
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
        let index = GroupIndex::of_lines(&lines, &groups);
        let orders = order_ranges(&lines);
        let gid = |code: &str| index.by_key.get(groups.key_of(code)).map(|g| *g as usize);
        let mut stock_of = vec![Decimal::ZERO; index.keys.len()];
        for (code, qty) in &stock {
            if let Some(g) = gid(code) {
                stock_of[g] += *qty;
            }
        }
        let flows = group_flows(index.keys.len(), params.today, &outflows, &inflows, gid);
        let projections = stock_of
            .into_iter()
            .zip(flows)
            .map(|(s, f)| Projection::new(s, params.horizon_days, f))
            .collect();
        Self {
            params,
            lines,
            line_group: index.of_line,
            orders,
            group_keys: index.keys,
            projections,
        }
    }

    /// Orders with at least one analysable line, sorted.
    pub fn order_numbers(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.orders.keys().map(|n| &**n).collect();
        v.sort_unstable();
        v
    }

    /// Analyses one order on its own against the whole projection (independent mode).
    pub fn analyze_order(&self, num_pedido: &str) -> OrderOutcome {
        match self.orders.get(num_pedido) {
            Some(range) => match self.evaluate(range.clone(), &self.projections) {
                Ok((result, _)) => OrderOutcome::Found(result),
                Err(e) => OrderOutcome::Failed(e),
            },
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
                        let outcome = all.remove(n).unwrap_or(OrderOutcome::NotFound);
                        (n.to_string(), outcome)
                    })
                    .collect()
            }
        }
    }

    /// Priority mode's allocation: sequential mode over every order of the analyzer (the whole
    /// active book when the snapshot holds it, SPEC 8.1), keyed by order number.
    pub fn allocate_all(&self) -> HashMap<String, OrderOutcome> {
        let all = self.order_numbers();
        self.allocate(&all)
            .into_iter()
            .filter(|(_, o)| !matches!(o, OrderOutcome::NotFound))
            .collect()
    }

    /// Sequential mode: ranks the orders and analyses them in that order on live projections,
    /// each promise holding stock from the orders after it (SPEC 2.8). Results come back in the
    /// order given.
    pub fn allocate(&self, orders: &[&str]) -> Vec<(String, OrderOutcome)> {
        let mut results: HashMap<String, OrderOutcome> = HashMap::with_capacity(orders.len());
        self.allocate_each(orders, |num, outcome| {
            results.insert(num.to_string(), outcome);
            ControlFlow::Continue(())
        });
        orders
            .iter()
            .map(|n| {
                let outcome = results.remove(*n).unwrap_or(OrderOutcome::NotFound);
                (n.to_string(), outcome)
            })
            .collect()
    }

    /// Sequential mode as a stream: the same allocation as [`Analyzer::allocate`], each order's
    /// outcome handed to `emit` as soon as it is decided, in allocation priority, then the
    /// orders that are not found (in the order given), each distinct order once. Nothing is
    /// held, so a caller that writes as it goes needs memory for one order, not for the book.
    /// `emit` breaks to stop the allocation (its reader is gone).
    pub fn allocate_each(
        &self,
        orders: &[&str],
        mut emit: impl FnMut(&str, OrderOutcome) -> ControlFlow<()>,
    ) {
        let mut live = self.projections.clone();
        let ranked = self.rank(orders);
        for &num in &ranked {
            let range = self.orders[num].clone();
            let (result, holds) = match self.evaluate(range, &live) {
                Ok(r) => r,
                Err(e) => {
                    // Holds nothing: the orders after it are analysed as if it were absent.
                    if emit(num, OrderOutcome::Failed(e)).is_break() {
                        return;
                    }
                    continue;
                }
            };
            for hold in holds {
                let p = &mut live[hold.group as usize];
                p.hold(0, hold.disponivel);
                if let Some(day) = hold.dia_cobertura {
                    p.hold(day, hold.ruptura_qtd);
                }
            }
            if emit(num, OrderOutcome::Found(result)).is_break() {
                return;
            }
        }
        if ranked.len() < orders.len() {
            let ranked: HashSet<&str> = ranked.into_iter().collect();
            let mut seen: HashSet<&str> = HashSet::new();
            for n in orders {
                if !ranked.contains(n)
                    && seen.insert(n)
                    && emit(n, OrderOutcome::NotFound).is_break()
                {
                    return;
                }
            }
        }
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
    ) -> Result<(OrderResult, Vec<Hold>), String> {
        let lines = &self.lines[range.clone()];
        let groups = &self.line_group[range];
        // The quantity of the order's earlier lines in each group.
        let mut before: Vec<(u32, Decimal)> = Vec::with_capacity(lines.len());
        let mut results = Vec::with_capacity(lines.len());
        let mut holds = Vec::with_capacity(lines.len());
        for (line, &g) in lines.iter().zip(groups) {
            let prior = earlier_in_group(&mut before, g, line)?;
            let (result, hold) = self.check_line(line, g, &projections[g as usize], prior)?;
            results.push(result);
            holds.push(hold);
        }
        Ok((self.order_result(lines, results)?, holds))
    }

    /// Checks one line of group `g` against `proj`, after `prior` of the order's earlier lines
    /// in the same group (SPEC 2.3-2.5).
    fn check_line(
        &self,
        line: &OrderLine,
        g: u32,
        proj: &Projection,
        prior: Decimal,
    ) -> Result<(LineResult, Hold), String> {
        let p = &self.params;
        let q = line.qtd;
        let menor = proj.window_min();
        let disponivel = menor
            .checked_sub(prior)
            .ok_or_else(|| overflow(line, "estoque disponível"))?
            .clamp(Decimal::ZERO, q);
        let ruptura_qtd = q
            .checked_sub(disponivel)
            .ok_or_else(|| overflow(line, "quantidade em ruptura"))?;
        let short = ruptura_qtd > Decimal::ZERO;
        let dia_cobertura = if short {
            let need = prior
                .checked_add(q)
                .ok_or_else(|| overflow(line, "quantidade acumulada"))?;
            proj.earliest_covering_day(need)
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
        let hold = Hold {
            group: g,
            disponivel,
            ruptura_qtd,
            dia_cobertura,
        };
        let result = LineResult {
            id: line.id,
            cod_produto: Arc::clone(&line.cod_produto),
            nome_produto: Arc::clone(&line.nome_produto),
            qtd: q,
            preco: line.preco,
            valor: q
                .checked_mul(line.preco.unwrap_or(Decimal::ZERO))
                .ok_or_else(|| overflow(line, "quantidade × preço"))?,
            grupo: Arc::clone(&self.group_keys[g as usize]),
            estoque_atual: proj.stock(),
            menor_estoque: menor,
            menor_estoque_inicial: self.projections[g as usize].window_min(),
            disponivel,
            ruptura_qtd,
            dia_cobertura,
            data_disponivel,
            data_producao,
            qtd_producao,
            projecao: if short {
                chart(proj, dia_cobertura, p)
            } else {
                Vec::new()
            },
        };
        Ok((result, hold))
    }

    /// The order of `lines` with its checked lines and their summary.
    fn order_result(
        &self,
        lines: &[OrderLine],
        results: Vec<LineResult>,
    ) -> Result<OrderResult, String> {
        let expedicao = lines.iter().filter_map(|l| l.expedicao).min();
        let summary = summarize(&results, expedicao, &self.params).ok_or_else(|| {
            format!(
                "valores do pedido grandes demais para somar com exatidão (pedido {})",
                lines.first().map_or("", |l| &*l.num_pedido)
            )
        })?;
        let num_pedido = lines
            .first()
            .map(|l| l.num_pedido.to_string())
            .unwrap_or_default();
        Ok(OrderResult {
            num_pedido,
            lines: results,
            summary,
        })
    }
}

/// Lines sorted by order number, their product groups numbered in order of first appearance.
struct GroupIndex {
    /// Group key -> group number.
    by_key: foldhash::HashMap<Arc<str>, u32>,
    /// Group number -> group key.
    keys: Vec<Arc<str>>,
    /// Group number of each line.
    of_line: Vec<u32>,
}

impl GroupIndex {
    fn of_lines(lines: &[OrderLine], groups: &ProductGroups) -> Self {
        let mut by_key: foldhash::HashMap<Arc<str>, u32> = Default::default();
        let mut keys: Vec<Arc<str>> = Vec::new();
        let of_line = lines
            .iter()
            .map(|l| {
                let key = groups.key_of(&l.cod_produto);
                match by_key.get(key) {
                    Some(g) => *g,
                    None => {
                        let g = keys.len() as u32;
                        let key = groups.shared_key_of(&l.cod_produto);
                        by_key.insert(Arc::clone(&key), g);
                        keys.push(key);
                        g
                    }
                }
            })
            .collect();
        Self {
            by_key,
            keys,
            of_line,
        }
    }
}

/// The range of `lines` (sorted by order number) that each order occupies.
fn order_ranges(lines: &[OrderLine]) -> foldhash::HashMap<Arc<str>, Range<usize>> {
    let mut orders: foldhash::HashMap<Arc<str>, Range<usize>> = Default::default();
    let mut start = 0;
    for i in 1..=lines.len() {
        if i == lines.len() || lines[i].num_pedido != lines[start].num_pedido {
            orders.insert(Arc::clone(&lines[start].num_pedido), start..i);
            start = i;
        }
    }
    orders
}

/// The dated flows of each of `groups` groups (`gid`: the group of a code, when any line draws
/// on it), as day offsets from `today`.
fn group_flows(
    groups: usize,
    today: NaiveDate,
    outflows: &[DatedQty],
    inflows: &[DatedQty],
    gid: impl Fn(&str) -> Option<usize>,
) -> Vec<Vec<(u32, DayFlow)>> {
    let mut flows: Vec<Vec<(u32, DayFlow)>> = vec![Vec::new(); groups];
    for o in outflows {
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
    for i in inflows {
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
    flows
}

/// The quantity of the order's lines before `line` in group `g`; adds `line` to it.
fn earlier_in_group(
    before: &mut Vec<(u32, Decimal)>,
    g: u32,
    line: &OrderLine,
) -> Result<Decimal, String> {
    match before.iter_mut().find(|(bg, _)| *bg == g) {
        Some((_, q)) => {
            let prior = *q;
            *q = q
                .checked_add(line.qtd)
                .ok_or_else(|| overflow(line, "soma das quantidades"))?;
            Ok(prior)
        }
        None => {
            before.push((g, line.qtd));
            Ok(Decimal::ZERO)
        }
    }
}

/// The chart of a short line: it runs to the day it is covered, or to the last known stock
/// event when no day covers it; never shorter than the window, and at most CHART_MAX_DAYS (a
/// far-away production date does not make every line heavy).
fn chart(proj: &Projection, dia_cobertura: Option<u32>, p: &Params) -> Vec<Decimal> {
    let end = dia_cobertura.unwrap_or_else(|| proj.last_day());
    proj.daily(end.clamp(p.horizon_days, p.horizon_days.max(CHART_MAX_DAYS)))
}

/// The message of an order whose arithmetic overflows.
fn overflow(line: &OrderLine, what: &str) -> String {
    format!(
        "valores grandes demais para calcular com exatidão ({what}) na linha {} do produto {}",
        line.id, line.cod_produto
    )
}

/// What one line promises in sequential mode.
struct Hold {
    group: u32,
    disponivel: Decimal,
    ruptura_qtd: Decimal,
    dia_cobertura: Option<u32>,
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
