//! Commitments (picked lots), production schedules, the stock calibration against the demand of
//! the first days and the movements ledger that produces that stock.

use super::*;

// Commitments and production

/// Picked lots of order lines: most ship in the next two weeks, some are overdue, some have no
/// date, and some are already invoiced (their outflow is then in the movements).
pub(super) fn build_commitments(
    cfg: &GenConfig,
    products: &[Product],
    orders: &[Order],
) -> Vec<Commitment> {
    let mut rng = rng_for(cfg.seed, stream::COMMITMENTS);
    let mut rows = Vec::with_capacity(cfg.commitments);
    if !orders.iter().any(|o| o.lines.iter().any(Line::is_open)) {
        return rows;
    }
    let today = cfg.today;
    let mut lot_number = rng.random_range(100..1_000u32);
    while rows.len() < cfg.commitments {
        let order_index = rng.random_range(0..orders.len());
        let order = &orders[order_index];
        let open: Vec<&Line> = order.lines.iter().filter(|l| l.is_open()).collect();
        if open.is_empty() {
            continue;
        }
        lot_number += 1;
        let lot = format!("LOTE-{lot_number:06}");
        let roll = rng.random::<f64>();
        let expedicao = if roll < 0.12 {
            Some(today - days(rng.random_range(1..=10)))
        } else if roll < 0.18 {
            None
        } else if roll < 0.90 {
            Some(today + days(rng.random_range(0..=14)))
        } else {
            Some(today + days(rng.random_range(15..=30)))
        };
        let invoiced = match expedicao {
            Some(date) if date < today => rng.random_bool(0.6),
            Some(date) if date == today => rng.random_bool(0.4),
            Some(_) => rng.random_bool(0.03),
            None => false,
        };
        let take = rng.random_range(1..=open.len().min(4));
        let start = rng.random_range(0..open.len());
        for k in 0..take {
            if rows.len() == cfg.commitments {
                break;
            }
            let line = open[(start + k) % open.len()];
            let product = &products[line.product];
            let qty_milli = if rng.random_bool(0.85) {
                line.qty_milli
            } else {
                // Partly picked: the rest waits for stock.
                let share = 0.3 + 0.6 * rng.random::<f64>();
                product
                    .round(line.qty_milli as f64 * share)
                    .clamp(product.step(), line.qty_milli)
            };
            rows.push(Commitment {
                lot: lot.clone(),
                order: order_index,
                product: line.product,
                code: line.code,
                qty_milli,
                expedicao,
                invoiced,
            });
        }
    }
    rows
}

/// Splits `total` into one count per weight, each at least its minimum while the total allows.
pub(super) fn allocate(
    rng: &mut ChaCha8Rng,
    total: usize,
    weights: &[u64],
    minimums: &[usize],
) -> Vec<usize> {
    let mut counts = vec![0usize; weights.len()];
    let mut left = total;
    for (count, &min) in counts.iter_mut().zip(minimums) {
        let give = min.min(left);
        *count = give;
        left -= give;
    }
    let weight_sum: u64 = weights.iter().sum();
    if weight_sum == 0 || left == 0 {
        return counts;
    }
    let share = left as u64;
    let mut given = 0usize;
    for (count, &w) in counts.iter_mut().zip(weights) {
        let extra = (share * w / weight_sum) as usize;
        *count += extra;
        given += extra;
    }
    let picker = WeightedIndex::new(weights.iter().copied());
    for _ in given..left {
        counts[picker.sample(rng)] += 1;
    }
    counts
}

/// Production batches over the next ~30 days (and a few past ones, which the analysis ignores).
/// Every tight or short product gets at least one future batch big enough for any of its
/// orders; exhausted products get none.
pub(super) fn build_production(
    cfg: &GenConfig,
    products: &[Product],
    demand: &[Vec<i64>],
) -> Vec<Production> {
    let mut rng = rng_for(cfg.seed, stream::PRODUCTION);
    let today = cfg.today;
    let minimums: Vec<usize> = products
        .iter()
        .map(|p| usize::from(matches!(p.supply, Supply::Tight | Supply::Short)))
        .collect();
    let weights: Vec<u64> = products.iter().map(|p| p.popularity + 5).collect();
    let counts = allocate(&mut rng, cfg.production, &weights, &minimums);

    let mut rows = Vec::with_capacity(cfg.production);
    for (index, (product, &count)) in products.iter().zip(&counts).enumerate() {
        let biggest_order = demand[index]
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(product.qty_hi_milli);
        for n in 0..count {
            let future = match product.supply {
                Supply::Exhausted => false,
                Supply::Tight | Supply::Short if n == 0 => true,
                _ => !rng.random_bool(0.08),
            };
            let date = if future {
                today + days(rng.random_range(0..=30))
            } else {
                today - days(rng.random_range(1..=10))
            };
            let batch = biggest_order as f64 * (1.5 + 1.5 * rng.random::<f64>());
            // Batches in round figures: tens of boxes, or tens of kilograms.
            let qty_milli = ((batch / (10.0 * MILLI as f64)).ceil() as i64).max(1) * 10 * MILLI;
            let line = if rng.random_bool(0.9) {
                product.production_line
            } else {
                rng.random_range(0..PRODUCTION_LINES.len())
            };
            rows.push(Production {
                product: index,
                date,
                qty_milli,
                line,
            });
        }
    }
    // A schedule reads by date, then by production line.
    rows.sort_by_key(|r| (r.date, r.line));
    rows
}

// ---------------------------------------------------------------------------------------------
// Stock calibration and movements

/// The current stock of each product (sum of its active movements), solved backwards so that
/// the lowest projected balance of the first `CALIBRATION_HORIZON_DAYS` days (SPEC 2.3,
/// `menor_estoque`) lands where the product's supply class wants it.
pub(super) fn calibrate_stock(
    cfg: &GenConfig,
    products: &[Product],
    demand: &[Vec<i64>],
    commitments: &[Commitment],
    production: &[Production],
) -> Vec<i64> {
    let mut rng = rng_for(cfg.seed, stream::STOCK);
    let horizon = CALIBRATION_HORIZON_DAYS;
    // Net flow per product and day of the window (outflows negative), as SPEC 2.1 counts them.
    let mut net = vec![[0i64; CALIBRATION_HORIZON_DAYS + 1]; products.len()];
    for c in commitments.iter().filter(|c| !c.invoiced) {
        let day = c.expedicao.map_or(0, |d| (d - cfg.today).num_days().max(0));
        if day <= horizon as i64 {
            net[c.product][day as usize] -= c.qty_milli;
        }
    }
    for p in production {
        let day = (p.date - cfg.today).num_days();
        if (0..=horizon as i64).contains(&day) {
            net[p.product][day as usize] += p.qty_milli;
        }
    }

    products
        .iter()
        .enumerate()
        .map(|(index, product)| {
            let mut running = 0;
            let lowest_net = net[index]
                .iter()
                .map(|flow| {
                    running += flow;
                    running
                })
                .min()
                .unwrap_or(0);
            let target = target_window_minimum(&mut rng, product, &demand[index]);
            target - lowest_net
        })
        .collect()
}

/// The lowest balance in the window that the product's supply class calls for.
pub(super) fn target_window_minimum(
    rng: &mut ChaCha8Rng,
    product: &Product,
    demand: &[i64],
) -> i64 {
    let mut sorted = demand.to_vec();
    sorted.sort_unstable();
    let biggest = sorted.last().copied().unwrap_or(product.qty_hi_milli);
    let smallest = sorted.first().copied().unwrap_or(product.qty_lo_milli);
    let plenty = || product.round(biggest as f64 * 1.1) + product.step();
    match product.supply {
        Supply::Plenty => {
            let margin = 1.1 + 1.4 * rng.random::<f64>();
            product.round(biggest as f64 * margin) + product.step()
        }
        Supply::Tight if sorted.len() >= 2 => {
            // Enough for the orders below a quantile of the product's order sizes.
            let quantile = 0.5 + 0.35 * rng.random::<f64>();
            let index = ((sorted.len() as f64 * quantile) as usize).min(sorted.len() - 1);
            (sorted[index] - product.step()).max(0)
        }
        Supply::Tight => plenty(),
        Supply::Short | Supply::Exhausted => match rng.random_range(0..3u32) {
            0 => 0,
            // Negative: already promised more than there is (SPEC vector 06).
            1 => -product.round(biggest as f64 * 0.5 * rng.random::<f64>()),
            // A little: lines get part of their quantity.
            _ => product.round(smallest as f64 * (0.1 + 0.8 * rng.random::<f64>())),
        }
        .min(smallest - product.step()),
    }
}

/// Stock movements of the past 60 days whose active rows add up to each product's calibrated
/// stock: an opening inventory adjustment, then production, purchases, invoices, other exits
/// and adjustments, a few of them cancelled (inactive).
pub(super) fn build_movements(
    cfg: &GenConfig,
    products: &[Product],
    demand: &[Vec<i64>],
    stock: &[i64],
) -> Vec<Movement> {
    let mut rng = rng_for(cfg.seed, stream::MOVEMENTS);
    let weights: Vec<u64> = products.iter().map(|p| p.popularity + 10).collect();
    let minimums = vec![1; products.len()];
    let counts = allocate(&mut rng, cfg.movements, &weights, &minimums);
    let mut rows = Vec::with_capacity(cfg.movements);
    for (index, (product, &count)) in products.iter().zip(&counts).enumerate() {
        if count == 0 {
            continue;
        }
        let ledger = Ledger {
            index,
            product,
            typical: typical_qty(product, &demand[index]),
            today: cfg.today,
        };
        ledger.write(&mut rng, &mut rows, count, stock[index]);
    }
    // A ledger reads in date order.
    rows.sort_by_key(|m| m.date);
    rows
}

/// A product's typical line quantity: the mean of its demand, else the middle of its range.
fn typical_qty(product: &Product, demand: &[i64]) -> i64 {
    if demand.is_empty() {
        (product.qty_lo_milli + product.qty_hi_milli) / 2
    } else {
        demand.iter().sum::<i64>() / demand.len() as i64
    }
    .max(product.step())
}

/// The movements of one product (the `index`-th).
struct Ledger<'p> {
    index: usize,
    product: &'p Product,
    typical: i64,
    today: NaiveDate,
}

/// An invoice row drawn, to be sized: its place in the rows and its weight.
type Invoice = (usize, u64);

impl Ledger<'_> {
    /// Appends `count` rows whose active ones add up to `stock`.
    fn write(&self, rng: &mut ChaCha8Rng, rows: &mut Vec<Movement>, count: usize, stock: i64) {
        let step = self.product.step();
        let first = rows.len();
        // The opening inventory count, valued below once the other rows are known.
        rows.push(Movement {
            product: self.index,
            code: 0,
            date: self.today - days(60),
            kind: "AJUSTE",
            qty_milli: 0,
            active: true,
        });
        let (drawn_sum, invoices) = self.draw(rng, rows, count);
        let wanted_opening = self
            .product
            .round(self.typical as f64 * (1.0 + 3.0 * rng.random::<f64>()));
        let invoice_count = invoices.len() as i64;
        // opening + drawn - invoiced = stock; every invoice is at least one step.
        let invoiced = (wanted_opening + drawn_sum - stock).max(invoice_count * step);
        rows[first].qty_milli = stock - drawn_sum + invoiced;
        share_invoices(rows, &invoices, invoiced, step);
    }

    /// Entries and minor exits are drawn; invoices are sized afterwards (see
    /// [`share_invoices`]) so that the active rows add up to the calibrated stock while the
    /// opening stays a positive count. Returns the sum of the active rows drawn other than
    /// invoices, and the invoices.
    fn draw(
        &self,
        rng: &mut ChaCha8Rng,
        rows: &mut Vec<Movement>,
        count: usize,
    ) -> (i64, Vec<Invoice>) {
        let product = self.product;
        let step = product.step();
        let mut drawn_sum = 0;
        let mut invoices: Vec<Invoice> = Vec::new();
        for _ in 1..count {
            let roll = rng.random_range(0..100u32);
            let active = !rng.random_bool(0.03);
            let (kind, size) = match roll {
                0..=44 => ("FATURAMENTO", -(0.3 + 1.4 * rng.random::<f64>())),
                45..=64 => ("PRODUCAO", 1.0 + 3.0 * rng.random::<f64>()),
                65..=74 => ("ENTRADA", 0.3 + 1.4 * rng.random::<f64>()),
                75..=89 => ("SAIDA", -(0.02 + 0.2 * rng.random::<f64>())),
                _ => ("AJUSTE", -0.1 + 0.2 * rng.random::<f64>()),
            };
            let mut qty_milli = product.round(self.typical as f64 * size);
            if qty_milli == 0 {
                qty_milli = if size < 0.0 { -step } else { step };
            }
            if active && kind == "FATURAMENTO" {
                invoices.push((rows.len(), rng.random_range(1..=10u64)));
            } else if active {
                drawn_sum += qty_milli;
            }
            let code = if product.codes.len() > 1 && rng.random_bool(0.2) {
                rng.random_range(1..product.codes.len())
            } else {
                0
            };
            rows.push(Movement {
                product: self.index,
                code,
                date: self.today - days(rng.random_range(0..=59)),
                kind,
                qty_milli,
                active,
            });
        }
        (drawn_sum, invoices)
    }
}

/// Shares the `invoiced` total out over the invoice rows in whole steps, by their drawn
/// weights, each at least one step.
fn share_invoices(rows: &mut [Movement], invoices: &[Invoice], invoiced: i64, step: i64) {
    if invoices.is_empty() {
        return;
    }
    let steps = invoiced / step - invoices.len() as i64;
    let weight_sum: u64 = invoices.iter().map(|(_, w)| w).sum();
    let mut left = steps;
    for (n, &(at, weight)) in invoices.iter().enumerate() {
        let share = if n + 1 == invoices.len() {
            left
        } else {
            (steps as i128 * i128::from(weight) / i128::from(weight_sum)) as i64
        };
        left -= share;
        rows[at].qty_milli = -(share + 1) * step;
    }
}
