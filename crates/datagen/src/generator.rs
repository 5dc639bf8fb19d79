//! The generator proper. It builds an in-memory model (products, clients, orders) with integer
//! quantities (thousandths) and prices (cents), calibrates stock against it, and only then turns
//! it into table rows.
//!
//! Portability: only integer arithmetic and IEEE basic operations on `f64` (`+ - * /` and
//! rounding) are used, never `exp`/`ln`/`powf`, whose last bit differs between platform maths
//! libraries; together with ChaCha8 this gives the same rows for a seed on every platform.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, TimeDelta};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ruptura_engine::records::{
    CarteiraRow, Dataset, MovimentacaoRow, ProgramacaoRow, SeparacaoRow, UnificacaoRow,
};
use rust_decimal::Decimal;

use crate::catalog::{
    self, Category, Pack, CATEGORIES, CITIES, CLIENT_KINDS, CLIENT_NAMES,
    HTML_SPECIAL_CLIENT_NAMES, HTML_SPECIAL_PRODUCT_NAMES, PRODUCTION_LINES, PRODUCT_LINE_SUFFIXES,
    SELLERS, TEAMS,
};
use crate::GenConfig;

/// Thousandths in one unit: quantities are held as integer thousandths (3 decimal places).
const MILLI: i64 = 1_000;

/// Unit prices stay within R$ 3,50 .. R$ 250,00, the range of the catalogue.
const MIN_PRICE_CENTS: i64 = 350;
const MAX_PRICE_CENTS: i64 = 25_000;

/// The horizon stock is calibrated for: the default `HORIZONTE_DIAS` of SPEC 2.3.
const CALIBRATION_HORIZON_DAYS: usize = 7;

/// Special names replace generic ones only in catalogues at least this big, so that small test
/// books are not made of nothing else.
const MIN_PRODUCTS_FOR_SPECIAL_NAMES: usize = 20;

/// How generously a product is stocked against the demand of the book; this is what sets the
/// mix of outcomes the analysis finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Supply {
    /// Stock covers the biggest order of the product in the window: never short.
    Plenty,
    /// Stock covers the smaller orders but not the bigger ones; production comes later.
    Tight,
    /// Little, no or negative stock in the window; production comes later, so short lines get
    /// an availability date.
    Short,
    /// Like `Short` but with no future production: short lines have no forecast.
    Exhausted,
}

/// Share of niche products (in percent): specialties bought in small quantities, made in small
/// batches, and so the ones most often short. Their short lines are a small part of an order's
/// value, which is what gives the milder criticality levels (BAIXA, MEDIA) their share.
const NICHE_PERCENT: u32 = 25;

/// Shares of the supply classes in percent of products, `[tight, short, exhausted]` (the rest is
/// `Plenty`), for niche and for regular products. Tuned with the criticality-mix test so the
/// demo book lands in its target mix (see tests/demo_mix.rs).
const NICHE_SUPPLY_PERCENT: [u32; 3] = [7, 16, 6];
const REGULAR_SUPPLY_PERCENT: [u32; 3] = [6, 2, 1];

/// Independent random streams, one per part of the model, so that changing one size (say, the
/// number of movements) leaves the other tables as they were.
mod stream {
    pub const PRODUCTS: u64 = 1;
    pub const LINKS: u64 = 2;
    pub const CLIENTS: u64 = 3;
    pub const ORDERS: u64 = 4;
    pub const COMMITMENTS: u64 = 5;
    pub const PRODUCTION: u64 = 6;
    pub const STOCK: u64 = 7;
    pub const MOVEMENTS: u64 = 8;
}

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

struct Product {
    /// `codes[0]` is the current code; the others are older codes unified into it.
    codes: Vec<String>,
    name: String,
    price_cents: i64,
    /// Sold by the kilogram: quantities keep 3 decimals; otherwise whole units.
    by_weight: bool,
    qty_lo_milli: i64,
    qty_hi_milli: i64,
    /// Relative frequency in orders.
    popularity: u64,
    production_line: usize,
    /// A specialty bought in small quantities (see [`NICHE_PERCENT`]).
    niche: bool,
    supply: Supply,
}

impl Product {
    /// The smallest step of this product's quantities, in thousandths.
    fn step(&self) -> i64 {
        if self.by_weight {
            1
        } else {
            MILLI
        }
    }

    /// Rounds a quantity in thousandths to this product's step, away from zero for halves.
    fn round(&self, milli: f64) -> i64 {
        let step = self.step() as f64;
        ((milli / step).round() * step) as i64
    }
}

struct Client {
    name: String,
    cnpj: String,
    city: usize,
    seller: usize,
}

struct Order {
    num_pedido: String,
    client: usize,
    data_pedido: NaiveDate,
    expedicao: Option<NaiveDate>,
    agendamento: Option<NaiveDate>,
    lines: Vec<Line>,
}

struct Line {
    product: usize,
    /// Index into the product's codes.
    code: usize,
    qty_milli: i64,
    price_cents: Option<i64>,
    active: bool,
}

impl Line {
    /// Counts as demand in the analysis (SPEC 2.1).
    fn is_open(&self) -> bool {
        self.active && self.qty_milli >= 1
    }
}

struct Commitment {
    lot: String,
    order: usize,
    product: usize,
    code: usize,
    qty_milli: i64,
    expedicao: Option<NaiveDate>,
    invoiced: bool,
}

struct Production {
    product: usize,
    date: NaiveDate,
    qty_milli: i64,
    line: usize,
}

struct Movement {
    product: usize,
    code: usize,
    date: NaiveDate,
    kind: &'static str,
    qty_milli: i64,
    active: bool,
}

pub(crate) fn generate(cfg: &GenConfig) -> Dataset {
    let mut codes = CodeAllocator::default();
    let mut products = build_products(cfg, &mut codes);
    let links = build_links(cfg, &mut products, &mut codes);
    let clients = build_clients(cfg);
    let orders = build_orders(cfg, &products, &clients);
    let demand = order_demand_by_product(&products, &orders);
    let commitments = build_commitments(cfg, &products, &orders);
    let production = build_production(cfg, &products, &demand);
    let stock = calibrate_stock(cfg, &products, &demand, &commitments, &production);
    let movements = build_movements(cfg, &products, &demand, &stock);

    Dataset {
        carteira_principal: Some(carteira_rows(&products, &clients, &orders)),
        movimentacao_estoque: Some(movement_rows(&products, movements)),
        separacao: Some(commitment_rows(&products, &orders, &commitments)),
        programacao_producao: Some(production_rows(&products, production)),
        unificacao_codigos: Some(links),
    }
}

// ---------------------------------------------------------------------------------------------
// Products and code links

/// Hands out distinct numeric-looking product codes such as "4210123".
#[derive(Default)]
struct CodeAllocator {
    used: HashSet<u32>,
}

impl CodeAllocator {
    fn next(&mut self, rng: &mut ChaCha8Rng) -> String {
        loop {
            let code = rng.random_range(4_000_000..=4_999_999u32);
            if self.used.insert(code) {
                return code.to_string();
            }
        }
    }
}

fn build_products(cfg: &GenConfig, codes: &mut CodeAllocator) -> Vec<Product> {
    let mut rng = rng_for(cfg.seed, stream::PRODUCTS);
    let mut combos: Vec<(usize, usize, usize)> = Vec::new();
    for (c, category) in CATEGORIES.iter().enumerate() {
        for v in 0..category.variants.len() {
            for p in 0..category.packs.len() {
                combos.push((c, v, p));
            }
        }
    }
    combos.shuffle(&mut rng);

    let mut products: Vec<Product> = (0..cfg.products)
        .map(|i| {
            let (c, v, p) = combos[i % combos.len()];
            let round = i / combos.len();
            let category: &Category = &CATEGORIES[c];
            let pack: &Pack = &category.packs[p];
            let suffix = PRODUCT_LINE_SUFFIXES[round % PRODUCT_LINE_SUFFIXES.len()];
            let mut name = format!(
                "{} {} {}{}",
                category.name, category.variants[v], pack.label, suffix
            );
            if round >= PRODUCT_LINE_SUFFIXES.len() {
                // Only catalogues of thousands of products get here; keep names distinct.
                name.push_str(&format!(" {}", round / PRODUCT_LINE_SUFFIXES.len() + 1));
            }
            let line_factor = match suffix {
                " Premium" => 125,
                " Econômica" => 85,
                _ => 100,
            };
            let jitter = 0.85 + 0.3 * rng.random::<f64>();
            let raw = (pack.price_cents * category.price_percent * line_factor) as f64 / 10_000.0
                * jitter;
            // Catalogue prices in steps of 10 cents.
            let price_cents =
                (((raw / 10.0).round() as i64) * 10).clamp(MIN_PRICE_CENTS, MAX_PRICE_CENTS);
            let u = rng.random::<f64>();
            let niche = rng.random_range(0..100u32) < NICHE_PERCENT;
            // Customers buy a niche product by the few units, a regular one by the pack's range.
            let volume = if niche {
                0.05 + 0.2 * rng.random::<f64>()
            } else {
                0.6 + rng.random::<f64>()
            };
            let step = if pack.by_weight { 1 } else { MILLI };
            let scaled = |units: i64| {
                ((((units * MILLI) as f64 * volume) / step as f64).round() as i64 * step).max(step)
            };
            Product {
                codes: vec![codes.next(&mut rng)],
                name,
                price_cents,
                by_weight: pack.by_weight,
                qty_lo_milli: scaled(pack.qty_lo),
                qty_hi_milli: scaled(pack.qty_hi),
                // A few best sellers and a long tail.
                popularity: 1 + (u * u * u * 60.0) as u64,
                production_line: if rng.random_bool(0.8) {
                    c % PRODUCTION_LINES.len()
                } else {
                    rng.random_range(0..PRODUCTION_LINES.len())
                },
                niche,
                supply: Supply::Plenty,
            }
        })
        .collect();

    if products.len() >= MIN_PRODUCTS_FOR_SPECIAL_NAMES {
        for (product, name) in products.iter_mut().zip(HTML_SPECIAL_PRODUCT_NAMES) {
            product.name = (*name).to_string();
            // Their names are jars and bottles, sold by the unit, not by the kilogram.
            if product.by_weight {
                product.by_weight = false;
                product.qty_lo_milli = product.round(product.qty_lo_milli as f64).max(MILLI);
                product.qty_hi_milli = product.round(product.qty_hi_milli as f64).max(MILLI);
            }
            // Short, so that they also show in the page's list of short lines.
            product.supply = Supply::Short;
        }
    }
    assign_supply(&mut rng, &mut products);
    products
}

/// Gives each product its supply class. Classes are dealt by popularity rather than drawn one
/// product at a time: walking the products in random order, each class takes products until it
/// holds its share of the total popularity (that is, of the order lines), so the mix of the book
/// barely moves from one seed to another; the rest stays `Plenty`. Products already marked `Short` (the special names)
/// count towards the short share.
fn assign_supply(rng: &mut ChaCha8Rng, products: &mut [Product]) {
    for niche in [true, false] {
        let [tight, short, exhausted] = if niche {
            NICHE_SUPPLY_PERCENT
        } else {
            REGULAR_SUPPLY_PERCENT
        };
        let mut members: Vec<usize> = (0..products.len())
            .filter(|&i| products[i].niche == niche)
            .collect();
        let total: u64 = members.iter().map(|&i| products[i].popularity).sum();
        let share = |percent: u32| total * u64::from(percent) / 100;
        let preset_short: u64 = members
            .iter()
            .filter(|&&i| products[i].supply == Supply::Short)
            .map(|&i| products[i].popularity)
            .sum();
        let mut budgets = [
            (Supply::Exhausted, share(exhausted)),
            (Supply::Short, share(short).saturating_sub(preset_short)),
            (Supply::Tight, share(tight)),
        ];
        members.retain(|&i| products[i].supply != Supply::Short);
        members.shuffle(rng);
        for i in members {
            let popularity = products[i].popularity;
            // A product joins the first class it does not overfill by more than half its own
            // popularity, so a best seller cannot blow a small class's share.
            if let Some((supply, budget)) = budgets
                .iter_mut()
                .find(|(_, budget)| 2 * *budget >= popularity)
            {
                products[i].supply = *supply;
                *budget = budget.saturating_sub(popularity);
            }
        }
    }
}

/// Gives some products older codes and links them (origem = old code, destino = newer code),
/// a few as chains A->B->C; adds a few inactive links between unrelated products, which the
/// analysis must not follow.
fn build_links(
    cfg: &GenConfig,
    products: &mut [Product],
    codes: &mut CodeAllocator,
) -> Vec<UnificacaoRow> {
    let mut rng = rng_for(cfg.seed, stream::LINKS);
    let inactive = match cfg.links {
        0..=4 => 0,
        5..=39 => 1,
        n => n / 20,
    }
    .min(if products.len() >= 2 { cfg.links } else { 0 });
    let mut active_left = cfg.links - inactive;
    let mut rows = Vec::with_capacity(cfg.links);

    let mut order: Vec<usize> = (0..products.len()).collect();
    order.shuffle(&mut rng);
    for &p in &order {
        if active_left == 0 {
            break;
        }
        let product = &mut products[p];
        let main = product.codes[0].clone();
        let older = codes.next(&mut rng);
        rows.push(link(&older, &main, true));
        product.codes.push(older.clone());
        active_left -= 1;
        if active_left > 0 && rng.random_bool(0.3) {
            let oldest = codes.next(&mut rng);
            // A chain oldest -> older -> main, or both old codes straight to the main one.
            let target = if rng.random_bool(0.5) { older } else { main };
            rows.push(link(&oldest, &target, true));
            product.codes.push(oldest);
            active_left -= 1;
        }
    }

    for _ in 0..inactive {
        let a = rng.random_range(0..products.len());
        let mut b = rng.random_range(0..products.len() - 1);
        if b >= a {
            b += 1;
        }
        let origem = products[a].codes.last().cloned().unwrap_or_default();
        rows.push(link(&origem, &products[b].codes[0], false));
    }

    rows.shuffle(&mut rng);
    for (i, row) in rows.iter_mut().enumerate() {
        row.id = Some(i as i64 + 1);
    }
    rows
}

fn link(origem: &str, destino: &str, ativo: bool) -> UnificacaoRow {
    UnificacaoRow {
        id: None,
        codigo_origem: origem.to_string(),
        codigo_destino: destino.to_string(),
        ativo,
    }
}

// ---------------------------------------------------------------------------------------------
// Clients and orders

fn build_clients(cfg: &GenConfig) -> Vec<Client> {
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
fn format_cnpj(root: u32, branch: u32) -> String {
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
struct WeightedIndex {
    cumulative: Vec<u64>,
}

impl WeightedIndex {
    fn new(weights: impl Iterator<Item = u64>) -> Self {
        let mut total = 0;
        let cumulative = weights
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { cumulative }
    }

    fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let r = rng.random_range(0..self.total());
        self.cumulative.partition_point(|&c| c <= r)
    }
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn build_orders(cfg: &GenConfig, products: &[Product], clients: &[Client]) -> Vec<Order> {
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

fn draw_line(rng: &mut ChaCha8Rng, product: &Product, index: usize) -> Line {
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
fn order_demand_by_product(products: &[Product], orders: &[Order]) -> Vec<Vec<i64>> {
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

// ---------------------------------------------------------------------------------------------
// Commitments and production

/// Picked lots of order lines: most ship in the next two weeks, some are overdue, some have no
/// date, and some are already invoiced (their outflow is then in the movements).
fn build_commitments(cfg: &GenConfig, products: &[Product], orders: &[Order]) -> Vec<Commitment> {
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
fn allocate(rng: &mut ChaCha8Rng, total: usize, weights: &[u64], minimums: &[usize]) -> Vec<usize> {
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
fn build_production(cfg: &GenConfig, products: &[Product], demand: &[Vec<i64>]) -> Vec<Production> {
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
fn calibrate_stock(
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
fn target_window_minimum(rng: &mut ChaCha8Rng, product: &Product, demand: &[i64]) -> i64 {
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
fn build_movements(
    cfg: &GenConfig,
    products: &[Product],
    demand: &[Vec<i64>],
    stock: &[i64],
) -> Vec<Movement> {
    let mut rng = rng_for(cfg.seed, stream::MOVEMENTS);
    let weights: Vec<u64> = products.iter().map(|p| p.popularity + 10).collect();
    let minimums = vec![1; products.len()];
    let counts = allocate(&mut rng, cfg.movements, &weights, &minimums);
    let today = cfg.today;
    let opening_date = today - days(60);

    let mut rows = Vec::with_capacity(cfg.movements);
    for (index, (product, &count)) in products.iter().zip(&counts).enumerate() {
        if count == 0 {
            continue;
        }
        let typical = if demand[index].is_empty() {
            (product.qty_lo_milli + product.qty_hi_milli) / 2
        } else {
            demand[index].iter().sum::<i64>() / demand[index].len() as i64
        }
        .max(product.step());
        let code = |rng: &mut ChaCha8Rng| {
            if product.codes.len() > 1 && rng.random_bool(0.2) {
                rng.random_range(1..product.codes.len())
            } else {
                0
            }
        };
        let step = product.step();
        let first = rows.len();
        // The opening inventory count, valued below once the other rows are known.
        rows.push(Movement {
            product: index,
            code: 0,
            date: opening_date,
            kind: "AJUSTE",
            qty_milli: 0,
            active: true,
        });
        // Entries and minor exits are drawn; invoices are sized afterwards so that the
        // active rows add up to the calibrated stock while the opening stays a positive count.
        let mut drawn_sum = 0;
        let mut invoices: Vec<(usize, u64)> = Vec::new();
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
            let mut qty_milli = product.round(typical as f64 * size);
            if qty_milli == 0 {
                qty_milli = if size < 0.0 { -step } else { step };
            }
            if active && kind == "FATURAMENTO" {
                invoices.push((rows.len(), rng.random_range(1..=10u64)));
            } else if active {
                drawn_sum += qty_milli;
            }
            rows.push(Movement {
                product: index,
                code: code(&mut rng),
                date: today - days(rng.random_range(0..=59)),
                kind,
                qty_milli,
                active,
            });
        }
        let wanted_opening = product.round(typical as f64 * (1.0 + 3.0 * rng.random::<f64>()));
        let invoice_count = invoices.len() as i64;
        // opening + drawn - invoiced = stock; every invoice is at least one step.
        let invoiced = (wanted_opening + drawn_sum - stock[index]).max(invoice_count * step);
        rows[first].qty_milli = stock[index] - drawn_sum + invoiced;
        if !invoices.is_empty() {
            // Share the invoiced total out in whole steps, by the drawn weights.
            let steps = invoiced / step - invoice_count;
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
    }
    // A ledger reads in date order.
    rows.sort_by_key(|m| m.date);
    rows
}

// ---------------------------------------------------------------------------------------------
// Rows

fn quantity(milli: i64) -> Decimal {
    Decimal::new(milli, 3).normalize()
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

fn carteira_rows(products: &[Product], clients: &[Client], orders: &[Order]) -> Vec<CarteiraRow> {
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

fn movement_rows(products: &[Product], movements: Vec<Movement>) -> Vec<MovimentacaoRow> {
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

fn commitment_rows(
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

fn production_rows(products: &[Product], production: Vec<Production>) -> Vec<ProgramacaoRow> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnpj_check_digits_are_valid() {
        assert_eq!(format_cnpj(11_222_333, 1), "11.222.333/0001-81");
    }

    #[test]
    fn allocation_meets_the_total_and_the_minimums() {
        let mut rng = rng_for(1, 99);
        let counts = allocate(&mut rng, 100, &[1, 5, 10, 0], &[1, 1, 1, 1]);
        assert_eq!(counts.iter().sum::<usize>(), 100);
        assert!(counts.iter().all(|&c| c >= 1));
        assert_eq!(counts[3], 1, "a zero weight gets only its minimum");
        let short = allocate(&mut rng, 2, &[1, 1, 1], &[1, 1, 1]);
        assert_eq!(short, vec![1, 1, 0]);
    }
}
