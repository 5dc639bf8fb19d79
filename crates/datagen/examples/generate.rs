//! Generates a data set and reports its sizes and how long it took; with a directory, also
//! writes it there as CSV for `ruptura import`.
//!
//! cargo run --release -p ruptura-datagen --example generate -- [scale|scale10|demo] [SEED] [DIR]

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use ruptura_datagen::{generate, write_csv_dir, GenConfig, DEFAULT_DEMO_ORDERS};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().map_or("scale", String::as_str);
    let seed = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(42);
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).expect("valid date");
    let cfg = match kind {
        "demo" => GenConfig::demo(seed, today, DEFAULT_DEMO_ORDERS),
        // Ten times the scale set: 100,000 orders (~500,000 lines), 20,000 products, 1,000,000
        // movements, 200,000 commitments, 100,000 production rows, 3,000 links.
        "scale10" => {
            let base = GenConfig::scale(seed, today);
            GenConfig {
                orders: base.orders * 10,
                products: base.products * 10,
                movements: base.movements * 10,
                commitments: base.commitments * 10,
                production: base.production * 10,
                links: base.links * 10,
                ..base
            }
        }
        _ => GenConfig::scale(seed, today),
    };

    let started = Instant::now();
    let ds = generate(&cfg);
    let elapsed = started.elapsed();
    let len = |rows: Option<usize>| rows.unwrap_or(0);
    println!(
        "{kind} seed {seed}: generated in {:.1} ms",
        elapsed.as_secs_f64() * 1e3
    );
    println!(
        "  carteira_principal   {:>7}",
        len(ds.carteira_principal.as_ref().map(Vec::len))
    );
    println!(
        "  movimentacao_estoque {:>7}",
        len(ds.movimentacao_estoque.as_ref().map(Vec::len))
    );
    println!(
        "  separacao            {:>7}",
        len(ds.separacao.as_ref().map(Vec::len))
    );
    println!(
        "  programacao_producao {:>7}",
        len(ds.programacao_producao.as_ref().map(Vec::len))
    );
    println!(
        "  unificacao_codigos   {:>7}",
        len(ds.unificacao_codigos.as_ref().map(Vec::len))
    );

    if let Some(dir) = args.get(2) {
        let started = Instant::now();
        write_csv_dir(&ds, Path::new(dir))?;
        println!(
            "  written to {dir} in {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
