//! `ruptura analyze`: analyses the selected orders of a database and writes the results as
//! JSON, CSV or a table.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ruptura_app::runs::{analyze_recorded, is_whole_book, Recorded};
use ruptura_app::wire::{Estatisticas, Resultado, Resultados};
use ruptura_app::{Batch, InOrderSink, JsonStream, Streamed};

use crate::output::{br_integer, br_number, brl, more_rows, shown, OutputArgs};
use crate::settings::BookArgs;
use crate::RunArgs;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{"resultados": {...}, "estatisticas": {...}}`, como a API de lote responde.
    Json,
    /// Uma linha por pedido (a planilha Pedidos) em grafia brasileira: `;`, vírgula decimal,
    /// dd/mm/aaaa, UTF-8 com BOM; abre direto no Excel em português.
    Csv,
    /// Uma planilha com as abas Pedidos, Itens em falta e Produtos (exige --saida).
    Xlsx,
    /// Um resumo legível no terminal: todos os pedidos, os em risco primeiro, e os totais.
    #[default]
    #[value(alias = "tabela")]
    Table,
}

#[derive(Debug, Args)]
pub struct AnalyzeOpts {
    #[command(flatten)]
    pub carteira: BookArgs,
    #[command(flatten)]
    pub saida: OutputArgs<Format>,
    /// Não registra esta análise (uma análise da carteira inteira é registrada; veja `ruptura execucoes`).
    #[arg(long = "sem-registro")]
    pub sem_registro: bool,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub async fn run(opts: AnalyzeOpts) -> anyhow::Result<()> {
    let (settings, selection) = opts.carteira.settings_and_selection()?;
    let format = opts.saida.format;
    if format == Format::Xlsx && opts.saida.output.is_none() && std::io::stdout().is_terminal() {
        crate::usage_bail!(
            "--formato xlsx escreve uma planilha (binária): use --saida ARQUIVO.xlsx"
        );
    }
    let store = opts.carteira.open().await?;
    let out = opts.saida.open()?;
    let params = opts.carteira.params(&settings);
    let run_opts = settings.run_options(format == Format::Json);

    // Each batch is written (json, csv) or reduced to what the table shows as soon as it and
    // the batches before it are done: memory does not grow with the book.
    // An export shows each order's client beside its figures: the list data is read first, so
    // each batch becomes rows as it comes.
    let orders = match format {
        Format::Csv | Format::Xlsx => ruptura_app::export::order_summaries(store.as_ref()).await?,
        Format::Json | Format::Table => Default::default(),
    };
    let mut streamed = Streamed::new(Output::new(format, out, orders)?);
    // A whole-book run is recorded (SPEC 8.5); a failure to record is said, not fatal.
    let runs = if is_whole_book(&selection) && !opts.sem_registro {
        match opts
            .runs
            .open_beside(&opts.carteira.db, Some(store.as_ref()))
            .await
        {
            Ok(log) => Some(log),
            Err(e) => {
                eprintln!(
                    "aviso: a execução não será registrada: {e:#}{}",
                    opts.runs.hint(&e)
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
        &mut streamed,
        runs.as_ref(),
        "analyze",
    )
    .await?;
    let output = streamed.into_sink();
    if let Some(b) = &output.bar {
        b.finish_and_clear();
    }
    if let Recorded::Failed(e) = &recorded {
        eprintln!(
            "aviso: análise concluída, mas a execução não foi registrada: {e}{}",
            opts.runs.hint(&e)
        );
    }
    output.finish(&stats, opts.saida.limit)?;
    if let Some(path) = &opts.saida.output {
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "{} pedido(s) gravado(s) em {} (formato {}, {} KB)",
            stats.contagens.total_pedidos,
            path.display(),
            format_name(format),
            br_number(bytes as f64 / 1024.0, 1)
        );
    }
    Ok(())
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Json => "json",
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
        Format::Table => "table",
    }
}

/// Where the batches of a run go, in request order.
enum Sink {
    /// `{"resultados": {...}, "estatisticas": {...}}`, written batch by batch; each batch was
    /// serialized on the thread that analysed it.
    Json(JsonStream<Box<dyn Write + Send>>),
    /// The exports of SPEC 8.6 (Brazilian CSV, workbook): each batch becomes rows as it comes
    /// (with the orders' list data, read before the run); the workbook is written at the end,
    /// with the products of 8.4.
    Export {
        out: Box<dyn Write + Send>,
        sheets: Box<ruptura_app::export::Sheets>,
        produtos: ruptura_app::Produtos,
    },
    /// The table shows every order, risk first, by its summary: only summaries are kept.
    Table(Box<dyn Write + Send>, Vec<Resultado>),
}

/// The output of the command, and a progress bar when stderr is a terminal.
struct Output {
    sink: Sink,
    /// The first error writing the output.
    error: Option<anyhow::Error>,
    bar: Option<ProgressBar>,
}

impl Output {
    /// `orders`: the list data of the book's orders, for the exports.
    fn new(
        format: Format,
        out: Box<dyn Write + Send>,
        orders: std::collections::HashMap<String, ruptura_store::OrderSummary>,
    ) -> anyhow::Result<Self> {
        let sink = match format {
            Format::Json => Sink::Json(JsonStream::new(out)),
            Format::Csv | Format::Xlsx => Sink::Export {
                out,
                sheets: Box::new(ruptura_app::export::Sheets::new(
                    orders,
                    format == Format::Xlsx,
                )?),
                produtos: ruptura_app::Produtos::default(),
            },
            Format::Table => Sink::Table(out, Vec::new()),
        };
        Ok(Self {
            sink,
            error: None,
            bar: None,
        })
    }

    fn finish(self, stats: &Estatisticas, limit: usize) -> anyhow::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.sink {
            Sink::Json(json) => {
                json.finish(stats)?;
            }
            Sink::Export {
                mut out,
                sheets,
                produtos,
            } => {
                let produtos = ruptura_app::export::produtos_rows(&produtos)?;
                sheets.finish(&produtos, &mut out)?;
                out.flush()?;
            }
            Sink::Table(mut out, rows) => {
                write_table(&mut out, &Resultados(rows), stats, limit)?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

impl InOrderSink for Output {
    fn started(&mut self, orders: &[String], batches: usize) {
        match &mut self.sink {
            Sink::Json(json) => json.started(orders, batches),
            Sink::Export { .. } | Sink::Table(..) => {}
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

    fn batch(&mut self, mut batch: Batch) {
        if let Some(bar) = &self.bar {
            bar.inc(batch.results.len() as u64);
        }
        if self.error.is_some() {
            return;
        }
        match &mut self.sink {
            Sink::Json(json) => json.batch(batch),
            Sink::Export {
                sheets, produtos, ..
            } => {
                produtos.merge(std::mem::take(&mut batch.produtos));
                if let Err(e) = sheets.add(&batch.results) {
                    self.error = Some(e.into());
                }
            }
            Sink::Table(_, rows) => rows.extend(batch.results.into_iter().map(summary_only)),
        }
    }
}

/// The result without its lines: what the table needs of an order.
fn summary_only(r: Resultado) -> Resultado {
    match r {
        Resultado::Analisado(mut p) => {
            p.itens = Vec::new();
            p.itens_disponiveis = Vec::new();
            Resultado::Analisado(p)
        }
        erro => erro,
    }
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

/// A criticality as people write it (the wire keeps the names without accents).
pub fn label(c: &str) -> &str {
    match c {
        "CRITICA" => "CRÍTICA",
        "MEDIA" => "MÉDIA",
        other => other,
    }
}

/// The table of `analyze`: the run's counts and sums, then every order (the most critical
/// first) up to `limit`, then the totals over all of them.
fn write_table(
    out: &mut dyn Write,
    results: &Resultados,
    stats: &Estatisticas,
    limit: usize,
) -> anyhow::Result<()> {
    write_summary(out, stats)?;
    if results.0.is_empty() {
        writeln!(out, "\nNenhum pedido na carteira.")?;
        return Ok(());
    }
    let rows = by_risk(&results.0);
    writeln!(out)?;
    let header = format!(
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
    );
    writeln!(out, "{header}")?;
    write_rows(out, &rows, limit)?;
    writeln!(out, "{}", "-".repeat(header.chars().count()))?;
    write_totals(out, rows.len(), stats)
}

/// The lines above the table: orders by outcome, by criticality and by ship-date status, and
/// the three value sums.
fn write_summary(out: &mut dyn Write, stats: &Estatisticas) -> anyhow::Result<()> {
    let c = &stats.contagens;
    writeln!(
        out,
        "{} pedidos analisados em {} s: {} OK, {} com ruptura, {} erro(s)",
        c.processados,
        br_number(stats.tempo_total_segundos, 2),
        c.pedidos_ok,
        c.pedidos_com_ruptura,
        c.erros
    )?;
    let levels = ["CRITICA", "ALTA", "MEDIA", "BAIXA", "OK", "ERRO"];
    let levels = levels.iter().map(|l| (label(l), *l));
    writeln!(out, "{}", counts_line(levels, &stats.por_criticidade))?;
    write_values(out, stats)?;
    let prazos = ruptura_engine::Prazo::ALL
        .iter()
        .map(|p| (p.as_str(), p.as_str()));
    writeln!(out, "prazo: {}", counts_line(prazos, &stats.por_prazo))?;
    Ok(())
}

/// `name n  |  name n ...`: each (name, key) with the count of its key (0 when absent).
fn counts_line<'a>(
    keys: impl Iterator<Item = (&'a str, &'a str)>,
    counts: &BTreeMap<String, usize>,
) -> String {
    keys.map(|(name, key)| format!("{name} {}", counts.get(key).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join("  |  ")
}

/// The value sums of a run, as `analyze` and `produtos` show them above their tables.
pub fn write_values(out: &mut dyn Write, stats: &Estatisticas) -> anyhow::Result<()> {
    writeln!(
        out,
        "valor total R$ {}  |  em risco R$ {}  |  pode sair agora R$ {}",
        brl(stats.valor_total),
        brl(stats.valor_com_ruptura),
        brl(stats.valor_agora)
    )?;
    Ok(())
}

/// Every order: the most critical first, then the most value at risk, then by number.
fn by_risk(results: &[Resultado]) -> Vec<&Resultado> {
    let mut rows: Vec<&Resultado> = results.iter().collect();
    rows.sort_by(|a, b| {
        let risk = |r: &Resultado| r.analisado().map_or(0.0, |p| p.resumo.valor_com_ruptura);
        severity(a.criticidade())
            .cmp(&severity(b.criticidade()))
            .then(risk(b).total_cmp(&risk(a)))
            .then(a.num_pedido().cmp(b.num_pedido()))
    });
    rows
}

/// One order's line of the table.
fn write_row(out: &mut dyn Write, r: &Resultado) -> anyhow::Result<()> {
    match r {
        Resultado::Analisado(p) => {
            let s = &p.resumo;
            writeln!(
                out,
                "{:<14} {:<9} {:>7} {:>16} {:>16} {:>16} {:>14} {:<18} {:<9}",
                p.num_pedido,
                label(&s.criticidade),
                format!("{}/{}", s.qtd_itens_ruptura, s.total_itens),
                brl(s.valor_total_pedido),
                brl(s.valor_com_ruptura),
                brl(s.valor_agora),
                br_date(s.data_disponibilidade_total.as_deref()),
                prazo_label(s.prazo, s.dias_atraso),
                s.sugestao.as_str()
            )?;
        }
        Resultado::Erro(e) => writeln!(out, "{:<14} {:<9} {}", e.num_pedido, "ERRO", e.message)?,
    }
    Ok(())
}

/// The first `limit` orders (0: all), and how many were left out.
fn write_rows(out: &mut dyn Write, rows: &[&Resultado], limit: usize) -> anyhow::Result<()> {
    let shown = shown(limit, rows.len());
    for r in &rows[..shown] {
        write_row(out, r)?;
    }
    more_rows(out, shown, rows.len(), "pedido(s)")?;
    Ok(())
}

/// The totals line: over every order (also those past --limite), the exact sums of the
/// statistics.
fn write_totals(out: &mut dyn Write, orders: usize, stats: &Estatisticas) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<14} {:<9} {:>7} {:>16} {:>16} {:>16}",
        "total",
        "",
        br_integer(orders as u64),
        brl(stats.valor_total),
        brl(stats.valor_com_ruptura),
        brl(stats.valor_agora),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criticality_as_people_write_it() {
        assert_eq!(label("CRITICA"), "CRÍTICA");
        assert_eq!(label("MEDIA"), "MÉDIA");
        assert_eq!(label("OK"), "OK");
    }
}
