//! Clients (names, CNPJ/CPF, cities) and their orders, each a few lines drawn from the catalogue.

use super::*;

// Clients and orders

pub(super) fn build_clients(cfg: &GenConfig) -> Vec<Client> {
    let mut rng = rng_for(cfg.seed, stream::CLIENTS);
    let count = (cfg.orders / 4).max(HTML_SPECIAL_CLIENT_NAMES.len() + 7);
    // A name already taken is another branch of the same company: same CNPJ root, next branch.
    let mut companies: HashMap<String, (u32, u32)> = HashMap::new();
    let mut used_roots: HashSet<u32> = HashSet::new();
    (0..count)
        .map(|i| {
            let name = match HTML_SPECIAL_CLIENT_NAMES.get(i) {
                Some(special) => (*special).to_string(),
                None => format!(
                    "{} {}",
                    CLIENT_KINDS[rng.random_range(0..CLIENT_KINDS.len())],
                    CLIENT_NAMES[rng.random_range(0..CLIENT_NAMES.len())]
                ),
            };
            let (root, branch) = match companies.get_mut(&name) {
                Some(entry) => {
                    entry.1 += 1;
                    *entry
                }
                None => {
                    let root = loop {
                        let root = rng.random_range(10_000_000..=99_999_999u32);
                        if used_roots.insert(root) {
                            break root;
                        }
                    };
                    companies.insert(name.clone(), (root, 1));
                    (root, 1)
                }
            };
            let city = rng.random_range(0..CITIES.len());
            let team = CITIES[city].2;
            let team_sellers: Vec<usize> = (0..SELLERS.len())
                .filter(|&s| SELLERS[s].1 == team)
                .collect();
            let seller = team_sellers[rng.random_range(0..team_sellers.len())];
            Client {
                name,
                cnpj: format_cnpj(root, branch),
                city,
                seller,
            }
        })
        .collect()
}

/// A CNPJ "12.345.678/0001-95" with valid check digits, from an 8-digit root and a branch.
pub(super) fn format_cnpj(root: u32, branch: u32) -> String {
    let mut digits: Vec<u32> = format!("{root:08}{branch:04}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    for weights in [
        &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][..],
        &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][..],
    ] {
        let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
        let rest = sum % 11;
        digits.push(if rest < 2 { 0 } else { 11 - rest });
    }
    let d: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    format!(
        "{}.{}.{}/{}-{}",
        &d[0..2],
        &d[2..5],
        &d[5..8],
        &d[8..12],
        &d[12..14]
    )
}

/// Picks indices with probability proportional to integer weights.
pub(super) struct WeightedIndex {
    cumulative: Vec<u64>,
}

impl WeightedIndex {
    pub(super) fn new(weights: impl Iterator<Item = u64>) -> Self {
        let mut total = 0;
        let cumulative = weights
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { cumulative }
    }

    pub(super) fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let r = rng.random_range(0..self.total());
        self.cumulative.partition_point(|&c| c <= r)
    }
}

pub(super) fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

pub(super) fn build_orders(
    cfg: &GenConfig,
    products: &[Product],
    clients: &[Client],
) -> Vec<Order> {
    let mut rng = rng_for(cfg.seed, stream::ORDERS);
    if products.is_empty() {
        return Vec::new();
    }
    let popularity = WeightedIndex::new(products.iter().map(|p| p.popularity));
    let specials_present = products.len() >= MIN_PRODUCTS_FOR_SPECIAL_NAMES;
    // Lines per order: 1 + Binomial(11, p), so 1..=12 with the requested mean.
    let extra_line_chance = ((cfg.avg_lines_per_order - 1.0) / 11.0).clamp(0.0, 1.0);
    let mut number = rng.random_range(2_500_000..2_600_000u32);
    let today = cfg.today;

    (0..cfg.orders)
        .map(|i| {
            // Some numbers are skipped, as cancelled orders leave gaps in a real book.
            number += if rng.random_bool(0.1) { 2 } else { 1 };
            let client = if i < HTML_SPECIAL_CLIENT_NAMES.len() {
                i
            } else {
                rng.random_range(0..clients.len())
            };
            let data_pedido = today - days(rng.random_range(0..=30));
            let expedicao = if rng.random_bool(0.08) {
                None
            } else {
                Some((today + days(rng.random_range(-5..=21))).max(data_pedido))
            };
            let agendamento = match expedicao {
                Some(date) if rng.random_bool(0.25) => Some(date + days(rng.random_range(1..=5))),
                _ => None,
            };

            let line_count = 1
                + (0..11)
                    .filter(|_| rng.random_bool(extra_line_chance))
                    .count();
            let mut lines: Vec<Line> = Vec::with_capacity(line_count);
            for l in 0..line_count {
                let product = if l == 0 && specials_present && i < HTML_SPECIAL_PRODUCT_NAMES.len()
                {
                    // The special names open the first orders, so the demo always shows them.
                    i
                } else if l > 0 && rng.random_bool(0.015) {
                    // The same item twice in one order (a second line, say at another price).
                    lines[rng.random_range(0..l)].product
                } else {
                    let mut pick = popularity.sample(&mut rng);
                    for _ in 0..3 {
                        if !lines.iter().any(|line| line.product == pick) {
                            break;
                        }
                        pick = popularity.sample(&mut rng);
                    }
                    pick
                };
                lines.push(draw_line(&mut rng, &products[product], product));
            }
            Order {
                num_pedido: format!("VCD{number}"),
                client,
                data_pedido,
                expedicao,
                agendamento,
                lines,
            }
        })
        .collect()
}

pub(super) fn draw_line(rng: &mut ChaCha8Rng, product: &Product, index: usize) -> Line {
    let code = if product.codes.len() > 1 && rng.random_bool(0.15) {
        rng.random_range(1..product.codes.len())
    } else {
        0
    };
    let u = rng.random::<f64>();
    // Skewed towards small quantities: most lines are a few boxes, some are pallets.
    let span = (product.qty_hi_milli - product.qty_lo_milli) as f64;
    let mut qty_milli = product
        .round(product.qty_lo_milli as f64 + span * u * u)
        .max(product.step());
    if rng.random_bool(0.02) {
        // Already invoiced in full: the line stays in the book with nothing open.
        qty_milli = 0;
    }
    let price_cents = if rng.random_bool(0.015) {
        None
    } else {
        // Each client negotiates a little around the list price.
        let factor = 0.92 + 0.16 * rng.random::<f64>();
        Some(
            ((product.price_cents as f64 * factor).round() as i64)
                .clamp(MIN_PRICE_CENTS, MAX_PRICE_CENTS),
        )
    };
    Line {
        product: index,
        code,
        qty_milli,
        price_cents,
        active: !rng.random_bool(0.02),
    }
}

/// For each product, the open quantity each order asks of it (orders that ask nothing left out).
pub(super) fn order_demand_by_product(products: &[Product], orders: &[Order]) -> Vec<Vec<i64>> {
    let mut demand = vec![Vec::new(); products.len()];
    let mut per_order: Vec<(usize, i64)> = Vec::new();
    for order in orders {
        per_order.clear();
        for line in order.lines.iter().filter(|l| l.is_open()) {
            match per_order.iter_mut().find(|(p, _)| *p == line.product) {
                Some((_, qty)) => *qty += line.qty_milli,
                None => per_order.push((line.product, line.qty_milli)),
            }
        }
        for &(product, qty) in &per_order {
            demand[product].push(qty);
        }
    }
    demand
}
