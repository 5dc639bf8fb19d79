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

mod flows;
mod orders;
mod rows;

use flows::{build_commitments, build_movements, build_production, calibrate_stock};
use orders::{build_clients, build_orders, days, order_demand_by_product, WeightedIndex};
use rows::{carteira_rows, commitment_rows, movement_rows, production_rows};

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
            catalogue_product(&mut rng, codes, (c, v, p), i / combos.len())
        })
        .collect();
    if products.len() >= MIN_PRODUCTS_FOR_SPECIAL_NAMES {
        give_special_names(&mut products);
    }
    assign_supply(&mut rng, &mut products);
    products
}

/// The product of category `c`, variant `v` and pack `p`, in the `round`-th product line (the
/// plain one first, then the premium and economy lines, then numbered repeats).
fn catalogue_product(
    rng: &mut ChaCha8Rng,
    codes: &mut CodeAllocator,
    (c, v, p): (usize, usize, usize),
    round: usize,
) -> Product {
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
    let price_cents = catalogue_price(rng, category, pack, suffix);
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
        codes: vec![codes.next(rng)],
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
}

/// The pack's base price for the category and product line, give or take 15 %, in steps of 10
/// cents within the catalogue's bounds.
fn catalogue_price(rng: &mut ChaCha8Rng, category: &Category, pack: &Pack, suffix: &str) -> i64 {
    let line_factor = match suffix {
        " Premium" => 125,
        " Econômica" => 85,
        _ => 100,
    };
    let jitter = 0.85 + 0.3 * rng.random::<f64>();
    let raw = (pack.price_cents * category.price_percent * line_factor) as f64 / 10_000.0 * jitter;
    (((raw / 10.0).round() as i64) * 10).clamp(MIN_PRICE_CENTS, MAX_PRICE_CENTS)
}

/// The first products take the names with HTML special characters (the page must escape
/// them), sold by the unit and short.
fn give_special_names(products: &mut [Product]) {
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

#[cfg(test)]
mod tests {
    use super::flows::allocate;
    use super::orders::format_cnpj;
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
