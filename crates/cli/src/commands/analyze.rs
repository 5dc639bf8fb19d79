use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ruptura_app::runs::{analyze_recorded, is_whole_book, Recorded};
use ruptura_app::wire::{Estatisticas, Resultado, Resultados};
use ruptura_app::{Batch, InOrder, JsonInOrder, Observer, RunOptions};
use ruptura_engine::Mode;
use ruptura_store::{OrderFilter, Selection};

use crate::{AnalysisArgs, DbArgs, RunArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{"resultados": {...}, "estatisticas": {...}}` as the batch API answers.
    Json,
    /// One row per order with its summary.
    Csv,
    /// A readable summary for the terminal.
    Table,
}

#[derive(Debug, Args)]
pub struct AnalyzeOpts {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Reference date D0 (YYYY-MM-DD); default: today in the business time zone.
    #[arg(long, value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Only these orders (comma-separated); default: the whole order book.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub pedidos: Option<Vec<String>>,
    /// independente (each order on its own), sequencial (allocation in priority order among the
    /// orders analysed) or prioridade (allocation over the whole book; the orders asked).
    #[arg(long, default_value = "independente", value_parser = parse_mode)]
    pub modo: Mode,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only orders of this seller.
    #[arg(long)]
    pub vendedor: Option<String>,
    /// Only orders of this sales team.
    #[arg(long)]
    pub equipe: Option<String>,
    /// Only orders to this UF.
    #[arg(long)]
    pub estado: Option<String>,
    /// Only orders matching this text (order, client, city, product).
    #[arg(long)]
    pub busca: Option<String>,
    /// `table` format: rows shown at most (0: all).
    #[arg(long, default_value_t = 40)]
    pub limit: usize,
    /// Do not record this run (a whole-book analysis is recorded, see `ruptura execucoes`).
    #[arg(long = "sem-registro")]
    pub sem_registro: bool,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn parse_day(s: &str) -> Result<NaiveDate, String> {
    ruptura_app::settings::parse_date(s).map_err(|e| e.to_string())
}

pub fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse::<Mode>().map_err(|e| e.to_string())
}

pub async fn run(opts: AnalyzeOpts) -> anyhow::Result<()> {
    let settings = opts.analysis.settings()?;
    let selection = match &opts.pedidos {
        Some(list) => {
            let list: Vec<String> = list
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            anyhow::ensure!(!list.is_empty(), "--pedidos sem nenhum número de pedido");
            Selection::Orders(list)
        }
        None => Selection::Book(OrderFilter {
            vendedor: opts.vendedor.clone(),
            equipe_vendas: opts.equipe.clone(),
            estado: opts.estado.clone(),
            busca: opts.busca.clone(),
        }),
    };
    // Open the output before the work, so a bad path fails fast.
    let mut out: Box<dyn Write> = match &opts.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("não foi possível criar {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let store = opts.db.open().await?;
    store.check_schema().await?;
    let params = settings.params(opts.today, opts.modo);
    let run_opts = RunOptions {
        batch_size: settings.batch_size,
        max_workers: settings.max_workers,
        json: opts.format == Format::Json,
    };

    let mut collector = Collector {
        json: opts.format == Format::Json,
        ..Collector::default()
    };
    // A whole-book run is recorded (SPEC 8.5); a failure to record is said, not fatal.
    let runs = if is_whole_book(&selection) && !opts.sem_registro {
        match opts.runs.open(&opts.db).await {
            Ok(log) => Some(log),
            Err(e) => {
                eprintln!(
                    "aviso: a execução não será registrada: {e:#}{}",
                    opts.runs.hint()
                );
                None
            }
        }
    } else {
        None
    };
    let (stats, recorded) = analyze_recorded(
        store.as_ref(),
        &selection,
        params,
        run_opts,
        &mut collector,
        runs.as_ref(),
        "analyze",
    )
    .await?;
    if let Some(b) = &collector.bar {
        b.finish_and_clear();
    }
    if let Recorded::Failed(e) = &recorded {
        eprintln!(
            "aviso: análise concluída, mas a execução não foi registrada: {e}{}",
            opts.runs.hint()
        );
    }
    match opts.format {
        Format::Json => {
            // `{"resultados": {...}, "estatisticas": {...}}`; each batch was serialized on the
            // thread that analysed it.
            out.write_all(b"{\"resultados\":")?;
            collector.json_parts.write_object(&mut out)?;
            out.write_all(b",\"estatisticas\":")?;
            serde_json::to_writer(&mut out, &stats)?;
            out.write_all(b"}\n")?;
        }
        Format::Csv => write_csv(&mut out, &Resultados(collector.in_order.into_results()))?,
        Format::Table => {
            let results = Resultados(collector.in_order.into_results());
            write_table(&mut out, &results, &stats, opts.limit)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Keeps each batch in its place, so the output follows the order of the request, and moves a
/// progress bar when stderr is a terminal.
#[derive(Default)]
struct Collector {
    /// JSON output: only the JSON of each batch is kept.
    json: bool,
    json_parts: JsonInOrder,
    in_order: InOrder,
    bar: Option<ProgressBar>,
}

impl Observer for Collector {
    fn started(&mut self, orders: &[String], batches: usize) {
        if self.json {
            self.json_parts.started(orders, batches);
        } else {
            self.in_order.started(orders, batches);
        }
        if std::io::stderr().is_terminal() && orders.len() >= 200 {
            let bar = ProgressBar::new(orders.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} pedidos  {elapsed_precise}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            self.bar = Some(bar);
        }
    }

    fn batch(&mut self, batch: Batch) {
        if let Some(bar) = &self.bar {
            bar.inc(batch.results.len() as u64);
        }
        if self.json {
            self.json_parts.batch(batch);
        } else {
            self.in_order.batch(batch);
        }
    }
}

fn write_csv(out: &mut dyn Write, results: &Resultados) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "num_pedido",
        "success",
        "criticidade",
        "pedido_ok",
        "percentual_ruptura",
        "percentual_disponibilidade",
        "percentual_itens_disponiveis",
        "qtd_itens_ruptura",
        "qtd_itens_disponiveis",
        "total_itens",
        "valor_total_pedido",
        "valor_disponivel",
        "valor_com_ruptura",
        "data_disponibilidade_total",
        "expedicao",
        "data_pronto",
        "prazo",
        "dias_atraso",
        "valor_agora",
        "percentual_valor_agora",
        "itens_agora",
        "sugestao",
        "message",
    ])?;
    for r in &results.0 {
        match r {
            Resultado::Analisado(p) => {
                let s = &p.resumo;
                w.write_record([
                    p.num_pedido.clone(),
                    "true".into(),
                    s.criticidade.clone(),
                    p.pedido_ok.to_string(),
                    s.percentual_ruptura.to_string(),
                    s.percentual_disponibilidade.to_string(),
                    s.percentual_itens_disponiveis.to_string(),
                    s.qtd_itens_ruptura.to_string(),
                    s.qtd_itens_disponiveis.to_string(),
                    s.total_itens.to_string(),
                    format!("{:.2}", s.valor_total_pedido),
                    format!("{:.2}", s.valor_disponivel),
                    format!("{:.2}", s.valor_com_ruptura),
                    s.data_disponibilidade_total.clone().unwrap_or_default(),
                    s.expedicao.map(|d| d.0.to_string()).unwrap_or_default(),
                    s.data_pronto.map(|d| d.0.to_string()).unwrap_or_default(),
                    s.prazo.as_str().to_string(),
                    s.dias_atraso.map(|d| d.to_string()).unwrap_or_default(),
                    format!("{:.2}", s.valor_agora),
                    s.percentual_valor_agora.to_string(),
                    s.itens_agora.to_string(),
                    s.sugestao.as_str().to_string(),
                    String::new(),
                ])?;
            }
            Resultado::Erro(e) => {
                let mut row = vec![e.num_pedido.clone(), "false".into(), "ERRO".into()];
                row.extend(std::iter::repeat_n(String::new(), 19));
                row.push(e.message.clone());
                w.write_record(row)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// Brazilian money formatting: 1234.5 -> "1.234,50".
pub fn brl(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{}{grouped},{frac}", if v < 0.0 { "-" } else { "" })
}

/// `dd/mm/aaaa`, or `-` for none.
pub fn br_day(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".into(), |d| d.format("%d/%m/%Y").to_string())
}

/// The ship-date status as the table shows it.
fn prazo_label(p: ruptura_app::wire::Prazo, dias: Option<i64>) -> String {
    use ruptura_app::wire::Prazo;
    match (p, dias) {
        (Prazo::Atrasa | Prazo::Vencida, Some(d)) if d > 0 => format!("{} +{d}d", p.as_str()),
        _ => p.as_str().to_string(),
    }
}

fn br_date(iso: Option<&str>) -> String {
    match iso {
        Some("agora") => "agora".into(),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        None => "sem previsão".into(),
    }
}

fn severity(c: &str) -> u8 {
    match c {
        "CRITICA" => 0,
        "ALTA" => 1,
        "MEDIA" => 2,
        "BAIXA" => 3,
        "ERRO" => 4,
        _ => 5,
    }
}

fn write_table(
    out: &mut dyn Write,
    results: &Resultados,
    stats: &Estatisticas,
    limit: usize,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} pedidos analisados em {:.2} s: {} OK, {} com ruptura, {} erro(s)",
        stats.processados,
        stats.tempo_total_segundos,
        stats.pedidos_ok,
        stats.pedidos_com_ruptura,
        stats.erros
    )?;
    let levels = ["CRITICA", "ALTA", "MEDIA", "BAIXA", "OK", "ERRO"];
    let counts: Vec<String> = levels
        .iter()
        .map(|l| {
            format!(
                "{l} {}",
                stats.por_criticidade.get(*l).copied().unwrap_or(0)
            )
        })
        .collect();
    writeln!(out, "{}", counts.join("  |  "))?;
    writeln!(
        out,
        "valor total R$ {}  |  em risco R$ {}  |  pode sair agora R$ {}",
        brl(stats.valor_total),
        brl(stats.valor_com_ruptura),
        brl(stats.valor_agora)
    )?;
    let prazos: Vec<String> = ruptura_engine::Prazo::ALL
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p.as_str(),
                stats.por_prazo.get(p.as_str()).copied().unwrap_or(0)
            )
        })
        .collect();
    writeln!(out, "prazo: {}", prazos.join("  |  "))?;
    let mut rows: Vec<&Resultado> = results
        .0
        .iter()
        .filter(|r| r.criticidade() != "OK")
        .collect();
    if rows.is_empty() {
        writeln!(out, "\nNenhum pedido com ruptura.")?;
        return Ok(());
    }
    rows.sort_by(|a, b| {
        let risk = |r: &Resultado| r.analisado().map_or(0.0, |p| p.resumo.valor_com_ruptura);
        severity(a.criticidade())
            .cmp(&severity(b.criticidade()))
            .then(risk(b).total_cmp(&risk(a)))
            .then(a.num_pedido().cmp(b.num_pedido()))
    });
    writeln!(out)?;
    writeln!(
        out,
        "{:<14} {:<9} {:>7} {:>16} {:>16} {:>16} {:>14} {:<18} {:<9}",
        "pedido",
        "nível",
        "itens",
        "valor (R$)",
        "em risco (R$)",
        "agora (R$)",
        "disponível em",
        "prazo",
        "sugestão"
    )?;
    let shown = if limit == 0 {
        rows.len()
    } else {
        limit.min(rows.len())
    };
    for r in &rows[..shown] {
        match r {
            Resultado::Analisado(p) => {
                let s = &p.resumo;
                writeln!(
                    out,
                    "{:<14} {:<9} {:>7} {:>16} {:>16} {:>16} {:>14} {:<18} {:<9}",
                    p.num_pedido,
                    s.criticidade,
                    format!("{}/{}", s.qtd_itens_ruptura, s.total_itens),
                    brl(s.valor_total_pedido),
                    brl(s.valor_com_ruptura),
                    brl(s.valor_agora),
                    br_date(s.data_disponibilidade_total.as_deref()),
                    prazo_label(s.prazo, s.dias_atraso),
                    s.sugestao.as_str()
                )?;
            }
            Resultado::Erro(e) => {
                writeln!(out, "{:<14} {:<9} {}", e.num_pedido, "ERRO", e.message)?
            }
        }
    }
    if shown < rows.len() {
        writeln!(
            out,
            "... e mais {} pedido(s) (use --limit 0 para ver todos)",
            rows.len() - shown
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brazilian_money() {
        assert_eq!(brl(1234.5), "1.234,50");
        assert_eq!(brl(0.0), "0,00");
        assert_eq!(brl(-1234567.891), "-1.234.567,89");
        assert_eq!(brl(999.999), "1.000,00");
    }
}
