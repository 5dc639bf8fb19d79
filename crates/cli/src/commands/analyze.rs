//! `ruptura analyze`: analyses the selected orders of a database and writes the results as
//! JSON, CSV or a table; also the selection flags (`SelectionArgs`) that `produtos` shares.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ruptura_app::runs::{analyze_recorded, is_whole_book, Recorded};
use ruptura_app::wire::{Estatisticas, Resultado, Resultados};
use ruptura_app::{Batch, InOrderSink, JsonStream, RunOptions, Streamed};
use ruptura_engine::Mode;
use ruptura_store::{OrderFilter, Selection};

use crate::{AnalysisArgs, DbArgs, RunArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{"resultados": {...}, "estatisticas": {...}}`, como a API de lote responde.
    Json,
    /// Uma linha por pedido (a planilha Pedidos) em grafia brasileira: `;`, vírgula decimal,
    /// dd/mm/aaaa, UTF-8 com BOM; abre direto no Excel em português.
    Csv,
    /// Uma planilha com as abas Pedidos, Itens em falta e Produtos (exige --saida).
    Xlsx,
    /// Um resumo legível no terminal: todos os pedidos, os em risco primeiro, e os totais.
    #[value(alias = "tabela")]
    Table,
}

#[derive(Debug, Args)]
pub struct AnalyzeOpts {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    #[command(flatten)]
    pub selecao: SelectionArgs,
    /// Formato da saída.
    #[arg(long = "formato", visible_alias = "format", value_name = "FORMATO", value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Escreve neste arquivo em vez da saída padrão.
    #[arg(
        long = "saida",
        visible_alias = "output",
        short = 'o',
        value_name = "ARQUIVO"
    )]
    pub output: Option<PathBuf>,
    /// Formato table: pedidos mostrados no máximo (0: todos); os totais contam todos.
    #[arg(
        long = "limite",
        visible_alias = "limit",
        value_name = "N",
        default_value_t = 0
    )]
    pub limit: usize,
    /// Do not record this run (a whole-book analysis is recorded, see `ruptura execucoes`).
    #[arg(long = "sem-registro")]
    pub sem_registro: bool,
    #[command(flatten)]
    pub runs: RunArgs,
}

/// Which orders a command analyses, on which day and in which mode (`analyze`, `produtos`).
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Data de referência D0 (AAAA-MM-DD); padrão: hoje no fuso do negócio.
    #[arg(long = "hoje", visible_alias = "today", value_name = "AAAA-MM-DD", value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Só estes pedidos (separados por vírgula); padrão: a carteira inteira.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub pedidos: Option<Vec<String>>,
    /// independente (cada pedido sozinho), sequencial (alocação em ordem de prioridade entre os
    /// pedidos analisados) ou prioridade (alocação sobre a carteira inteira; os pedidos pedidos).
    #[arg(long, default_value = "independente", value_parser = parse_mode)]
    pub modo: Mode,
    /// Só pedidos deste vendedor.
    #[arg(long)]
    pub vendedor: Option<String>,
    /// Só pedidos desta equipe de vendas.
    #[arg(long)]
    pub equipe: Option<String>,
    /// Só pedidos para esta UF.
    #[arg(long)]
    pub estado: Option<String>,
    /// Só pedidos que contenham este texto (pedido, cliente, cidade, produto).
    #[arg(long)]
    pub busca: Option<String>,
}

impl SelectionArgs {
    /// The named orders, or the book filtered by the flags given (none: the whole book); both
    /// at once is a usage error.
    pub fn selection(&self) -> anyhow::Result<Selection> {
        let filter = OrderFilter {
            vendedor: self.vendedor.clone(),
            equipe_vendas: self.equipe.clone(),
            estado: self.estado.clone(),
            busca: self.busca.clone(),
        };
        match &self.pedidos {
            Some(_) if !filter.is_empty() => crate::usage_bail!(
                "use --pedidos ou os filtros (--vendedor, --equipe, --estado, --busca), não os dois"
            ),
            Some(list) => {
                let list: Vec<String> = list
                    .iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if list.is_empty() {
                    crate::usage_bail!("--pedidos sem nenhum número de pedido");
                }
                Ok(Selection::Orders(list))
            }
            None => Ok(Selection::Book(filter)),
        }
    }
}

pub fn parse_day(s: &str) -> Result<NaiveDate, String> {
    ruptura_app::settings::parse_date(s).map_err(|e| e.to_string())
}

pub fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse::<Mode>().map_err(|e| e.to_string())
}

pub async fn run(opts: AnalyzeOpts) -> anyhow::Result<()> {
    let settings = opts.analysis.settings()?;
    let selection = opts.selecao.selection()?;
    if opts.format == Format::Xlsx && opts.output.is_none() && std::io::stdout().is_terminal() {
        crate::usage_bail!(
            "--formato xlsx escreve uma planilha (binária): use --saida ARQUIVO.xlsx"
        );
    }
    let store = opts.db.open_existing().await?;
    store.check_schema().await?;
    // Open the output before the work, so a bad path fails fast.
    let out: Box<dyn Write + Send> = match &opts.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("não foi possível criar {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let params = settings.params(opts.selecao.today, opts.selecao.modo);
    let run_opts = RunOptions {
        batch_size: settings.batch_size,
        max_workers: settings.max_workers,
        json: opts.format == Format::Json,
    };

    // Each batch is written (json, csv) or reduced to what the table shows as soon as it and
    // the batches before it are done: memory does not grow with the book.
    let mut streamed = Streamed::new(Output::new(opts.format, out));
    // A whole-book run is recorded (SPEC 8.5); a failure to record is said, not fatal.
    let runs = if is_whole_book(&selection) && !opts.sem_registro {
        match opts.runs.open(&opts.db).await {
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
    output.finish(store.as_ref(), &stats, opts.limit).await?;
    if let Some(path) = &opts.output {
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "{} pedido(s) gravado(s) em {} (formato {}, {} KB)",
            stats.total_pedidos,
            path.display(),
            format_name(opts.format),
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
    /// The exports of SPEC 8.6 (Brazilian CSV, workbook): they need every order's list data
    /// (client, city, seller) and the products of 8.4, so the results are kept until the end.
    Export {
        out: Box<dyn Write + Send>,
        xlsx: bool,
        results: Vec<Resultado>,
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
    fn new(format: Format, out: Box<dyn Write + Send>) -> Self {
        let sink = match format {
            Format::Json => Sink::Json(JsonStream::new(out)),
            Format::Csv | Format::Xlsx => Sink::Export {
                out,
                xlsx: format == Format::Xlsx,
                results: Vec::new(),
                produtos: ruptura_app::Produtos::default(),
            },
            Format::Table => Sink::Table(out, Vec::new()),
        };
        Self {
            sink,
            error: None,
            bar: None,
        }
    }

    async fn finish(
        self,
        store: &dyn ruptura_store::Store,
        stats: &Estatisticas,
        limit: usize,
    ) -> anyhow::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.sink {
            Sink::Json(json) => {
                json.finish(stats)?;
            }
            Sink::Export {
                mut out,
                xlsx,
                results,
                produtos,
            } => {
                let orders = ruptura_app::export::order_summaries(store, &results).await?;
                let produtos = ruptura_app::export::produtos_rows(&produtos)?;
                let export = ruptura_app::export::Export {
                    results: &results,
                    orders: &orders,
                    produtos: &produtos,
                };
                if xlsx {
                    out.write_all(&export.xlsx()?)?;
                } else {
                    export.csv(&mut out)?;
                }
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
                results, produtos, ..
            } => {
                produtos.merge(std::mem::take(&mut batch.produtos));
                results.extend(batch.results);
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

/// Brazilian money formatting: 1234.5 -> "1.234,50".
pub fn brl(v: f64) -> String {
    grouped(&format!("{v:.2}"))
}

/// "-1234567.89" -> "-1.234.567,89".
fn grouped(s: &str) -> String {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (rest.bytes().any(|b| (b'1'..=b'9').contains(&b)), rest),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{}{grouped},{frac}", if negative { "-" } else { "" })
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

/// A criticality as people write it (the wire keeps the names without accents).
pub fn label(c: &str) -> &str {
    match c {
        "CRITICA" => "CRÍTICA",
        "MEDIA" => "MÉDIA",
        other => other,
    }
}

/// A number with a decimal comma and `places` places: 0.05 -> "0,05".
pub fn br_number(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
}

/// A whole number with thousands separated by dots: 270000 -> "270.000".
pub fn br_integer(n: u64) -> String {
    grouped(&format!("{n}.00"))
        .trim_end_matches(",00")
        .to_string()
}

fn write_table(
    out: &mut dyn Write,
    results: &Resultados,
    stats: &Estatisticas,
    limit: usize,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} pedidos analisados em {} s: {} OK, {} com ruptura, {} erro(s)",
        stats.processados,
        br_number(stats.tempo_total_segundos, 2),
        stats.pedidos_ok,
        stats.pedidos_com_ruptura,
        stats.erros
    )?;
    let levels = ["CRITICA", "ALTA", "MEDIA", "BAIXA", "OK", "ERRO"];
    let counts: Vec<String> = levels
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                label(l),
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
    if results.0.is_empty() {
        writeln!(out, "\nNenhum pedido na carteira.")?;
        return Ok(());
    }
    // Every order: the most critical first, then the most value at risk.
    let mut rows: Vec<&Resultado> = results.0.iter().collect();
    rows.sort_by(|a, b| {
        let risk = |r: &Resultado| r.analisado().map_or(0.0, |p| p.resumo.valor_com_ruptura);
        severity(a.criticidade())
            .cmp(&severity(b.criticidade()))
            .then(risk(b).total_cmp(&risk(a)))
            .then(a.num_pedido().cmp(b.num_pedido()))
    });
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
            Resultado::Erro(e) => {
                writeln!(out, "{:<14} {:<9} {}", e.num_pedido, "ERRO", e.message)?
            }
        }
    }
    if shown < rows.len() {
        writeln!(
            out,
            "... e mais {} pedido(s) (--limite 0 mostra todos)",
            rows.len() - shown
        )?;
    }
    // Totals over every order (also those past --limite): the exact sums of the statistics.
    writeln!(out, "{}", "-".repeat(header.chars().count()))?;
    writeln!(
        out,
        "{:<14} {:<9} {:>7} {:>16} {:>16} {:>16}",
        "total",
        "",
        br_integer(rows.len() as u64),
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
    fn brazilian_money() {
        assert_eq!(brl(1234.5), "1.234,50");
        assert_eq!(brl(0.0), "0,00");
        assert_eq!(brl(-1234567.891), "-1.234.567,89");
        assert_eq!(brl(999.999), "1.000,00");
        assert_eq!(brl(-0.001), "0,00");
        assert_eq!(br_number(0.051, 2), "0,05");
        assert_eq!(br_integer(270_000), "270.000");
        assert_eq!(br_integer(12), "12");
        assert_eq!(label("CRITICA"), "CRÍTICA");
    }
}
