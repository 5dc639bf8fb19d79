//! `ruptura execucoes` and `ruptura mudancas`: the recorded runs and what changed between two of
//! them (SPEC 8.5, 8.6). The JSON is exactly the API's.

use std::io::Write;

use clap::{Args, ValueEnum};
use ruptura_app::runs::{ListaExecucoes, Mudancas, Situacao, TIPOS};

use crate::output::{brl, more_rows, shown, write_json, OutputArgs};
use crate::{DbArgs, RunArgs};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Exatamente o que a API responde.
    Json,
    /// Um resumo legível para o terminal.
    #[default]
    Table,
}

#[derive(Debug, Args)]
pub struct ExecucoesOpts {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub runs: RunArgs,
    #[command(flatten)]
    pub saida: OutputArgs<Format>,
}

#[derive(Debug, Args)]
pub struct MudancasOpts {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub runs: RunArgs,
    /// A execução anterior (padrão: a última antes de --para com o mesmo modo e parâmetros).
    #[arg(long)]
    pub de: Option<i64>,
    /// A execução posterior (padrão: a mais recente).
    #[arg(long)]
    pub para: Option<i64>,
    #[command(flatten)]
    pub saida: OutputArgs<Format, 100>,
}

pub async fn execucoes(opts: ExecucoesOpts) -> anyhow::Result<()> {
    let mut out = opts.saida.open()?;
    let log = opts.runs.open_read_only(&opts.db).await?;
    let list = log
        .list()
        .await
        .map_err(|e| anyhow::anyhow!("{e}{}", opts.runs.hint(&e)))?;
    match opts.saida.format {
        Format::Json => write_json(&mut out, &list)?,
        Format::Table => write_runs(&mut out, &list, opts.saida.limit)?,
    }
    out.flush()?;
    Ok(())
}

pub async fn mudancas(opts: MudancasOpts) -> anyhow::Result<()> {
    let mut out = opts.saida.open()?;
    let log = opts.runs.open_read_only(&opts.db).await?;
    let changes = log.compare(opts.de, opts.para).await.map_err(|e| match e {
        ruptura_app::runs::RunError::Store(_) | ruptura_app::runs::RunError::NoTable => {
            anyhow::anyhow!("{e}{}", opts.runs.hint(&e))
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    match opts.saida.format {
        Format::Json => write_json(&mut out, &changes)?,
        Format::Table => write_changes(&mut out, &changes, opts.saida.limit)?,
    }
    out.flush()?;
    Ok(())
}

fn br_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

fn write_runs(out: &mut dyn Write, list: &ListaExecucoes, limit: usize) -> anyhow::Result<()> {
    if list.execucoes.is_empty() {
        writeln!(
            out,
            "Nenhuma execução registrada: `ruptura analyze` sobre a carteira inteira registra uma."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<20}  {:<10}  {:<12}  {:<9}  {:>8}  {:>8}  {:>9}",
        "id", "registrada em (UTC)", "data base", "modo", "origem", "pedidos", "ruptura", "KB"
    )?;
    let shown = shown(limit, list.execucoes.len());
    for r in &list.execucoes[..shown] {
        let when = r
            .criada_em
            .replace('T', " ")
            .trim_end_matches('Z')
            .to_string();
        writeln!(
            out,
            "{:>6}  {:<20}  {:<10}  {:<12}  {:<9}  {:>8}  {:>8}  {:>9.1}",
            r.id,
            when,
            r.data_base.0.format("%d/%m/%Y"),
            r.modo,
            r.origem,
            r.total_pedidos,
            r.pedidos_com_ruptura,
            r.bytes as f64 / 1024.0
        )?;
    }
    more_rows(out, shown, list.execucoes.len(), "execução(ões)")?;
    Ok(())
}

fn situacao(s: Option<&Situacao>) -> String {
    match s {
        None => "—".into(),
        Some(s) if s.pedido_ok => "OK".into(),
        Some(s) => format!(
            "{}, R$ {} em falta, {}",
            s.criticidade,
            brl(s.valor_com_ruptura),
            match s.data_disponibilidade_total.as_deref() {
                Some(d) => format!("completo em {}", br_date(d)),
                None => "sem previsão".into(),
            }
        ),
    }
}

fn write_changes(out: &mut dyn Write, m: &Mudancas, limit: usize) -> anyhow::Result<()> {
    writeln!(
        out,
        "Da execução {} ({}, {}) para a {} ({}, {}): {} pedido(s) mudaram",
        m.de.id,
        m.de.data_base.0.format("%d/%m/%Y"),
        m.de.modo,
        m.para.id,
        m.para.data_base.0.format("%d/%m/%Y"),
        m.para.modo,
        m.mudancas.len()
    )?;
    let counts: Vec<String> = TIPOS
        .iter()
        .map(|t| format!("{} {}", t, m.resumo.get(*t).copied().unwrap_or(0)))
        .collect();
    writeln!(out, "{}", counts.join("  |  "))?;
    let shown = shown(limit, m.mudancas.len());
    for c in &m.mudancas[..shown] {
        writeln!(out)?;
        writeln!(
            out,
            "{:<14} {:<13} {}  ->  {}",
            c.num_pedido,
            c.tipo,
            situacao(c.antes.as_ref()),
            situacao(c.depois.as_ref())
        )?;
        for causa in &c.causas {
            writeln!(out, "    - {}", causa.texto)?;
        }
    }
    more_rows(out, shown, m.mudancas.len(), "pedido(s)")?;
    Ok(())
}
