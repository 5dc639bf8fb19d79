//! `ruptura produtos`: the products that block orders (SPEC 8.4), ranked by the value they
//! would unlock: what the planner takes to the production meeting.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use ruptura_app::{Decisoes, Produto, RelatorioProdutos, RunOptions};

use super::analyze::{br_day, brl, SelectionArgs};
use crate::{AnalysisArgs, DbArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{"produtos": [...], "estatisticas": {...}}`.
    Json,
    /// Uma linha por produto.
    Csv,
    /// Os primeiros produtos, legíveis no terminal.
    #[value(alias = "tabela")]
    Table,
}

#[derive(Debug, Args)]
pub struct ProdutosOpts {
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
    /// Formato table: produtos mostrados no máximo (0: todos).
    #[arg(
        long = "limite",
        visible_alias = "limit",
        value_name = "N",
        default_value_t = 20
    )]
    pub limit: usize,
}

pub async fn run(opts: ProdutosOpts) -> anyhow::Result<()> {
    let settings = opts.analysis.settings()?;
    let selection = opts.selecao.selection()?;
    let store = opts.db.open_existing().await?;
    store.check_schema().await?;
    let mut out: Box<dyn Write> = match &opts.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("não foi possível criar {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let params = settings.params(opts.selecao.today, opts.selecao.modo);
    let run_opts = RunOptions {
        batch_size: settings.batch_size,
        max_workers: settings.max_workers,
        json: false,
    };
    let mut merged = Decisoes::default();
    let estatisticas =
        ruptura_app::analyze(store.as_ref(), &selection, params, run_opts, &mut merged).await?;
    let report = RelatorioProdutos {
        produtos: merged.produtos.rows(),
        estatisticas,
    };
    match opts.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &report)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => write_csv(&mut out, &report.produtos)?,
        Format::Table => write_table(&mut out, &report, opts.limit)?,
    }
    out.flush()?;
    if let Some(path) = &opts.output {
        eprintln!(
            "{} produto(s) gravado(s) em {}",
            report.produtos.len(),
            path.display()
        );
    }
    Ok(())
}

fn write_csv(out: &mut dyn Write, rows: &[Produto]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(ruptura_app::export::PRODUTOS)?;
    for p in rows {
        w.write_record([
            p.cod_produto.clone(),
            p.nome_produto.clone(),
            p.codigos.join(" "),
            p.pedidos.to_string(),
            p.linhas.to_string(),
            p.qtd_falta.to_string(),
            format!("{:.2}", p.valor_linhas),
            format!("{:.2}", p.valor_pedidos),
            p.pedidos_destravados.to_string(),
            format!("{:.2}", p.valor_destravado),
            p.estoque_atual.to_string(),
            p.menor_estoque.to_string(),
            p.data_producao.map(|d| d.0.to_string()).unwrap_or_default(),
            p.qtd_producao.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// A quantity in Brazilian spelling, without needless decimals: 1234.5 -> "1.234,5".
fn br_qty(v: f64) -> String {
    let money = brl(v);
    let trimmed = money.trim_end_matches('0').trim_end_matches(',');
    if (v * 100.0).round() == v * 100.0 {
        trimmed.to_string()
    } else {
        format!("{v}")
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn write_table(out: &mut dyn Write, r: &RelatorioProdutos, limit: usize) -> anyhow::Result<()> {
    let s = &r.estatisticas;
    writeln!(
        out,
        "{} pedidos: {} com ruptura, bloqueados por {} produto(s)",
        s.processados,
        s.pedidos_com_ruptura,
        r.produtos.len()
    )?;
    writeln!(
        out,
        "valor total R$ {}  |  em risco R$ {}  |  pode sair agora R$ {}",
        brl(s.valor_total),
        brl(s.valor_com_ruptura),
        brl(s.valor_agora)
    )?;
    if r.produtos.is_empty() {
        writeln!(out, "\nNenhum produto em falta.")?;
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<12} {:<28} {:>16} {:>9} {:>16} {:>12} {:>12} {:>12} {:>22}",
        "produto",
        "nome",
        "destrava (R$)",
        "pedidos",
        "bloqueado (R$)",
        "falta",
        "estoque",
        "menor D0-DH",
        "próxima produção"
    )?;
    let shown = if limit == 0 {
        r.produtos.len()
    } else {
        limit.min(r.produtos.len())
    };
    for p in &r.produtos[..shown] {
        let code = if p.codigos.len() > 1 {
            format!("{}+{}", p.cod_produto, p.codigos.len() - 1)
        } else {
            p.cod_produto.clone()
        };
        let next = match p.data_producao {
            Some(d) => format!("{} em {}", br_qty(p.qtd_producao), br_day(Some(d.0))),
            None => "sem produção".into(),
        };
        writeln!(
            out,
            "{:<12} {:<28} {:>16} {:>9} {:>16} {:>12} {:>12} {:>12} {:>22}",
            clip(&code, 12),
            clip(&p.nome_produto, 28),
            brl(p.valor_destravado),
            format!("{}/{}", p.pedidos_destravados, p.pedidos),
            brl(p.valor_pedidos),
            br_qty(p.qtd_falta),
            br_qty(p.estoque_atual),
            br_qty(p.menor_estoque),
            next
        )?;
    }
    if shown < r.produtos.len() {
        writeln!(
            out,
            "... e mais {} produto(s) (use --limit 0 para ver todos)",
            r.produtos.len() - shown
        )?;
    }
    writeln!(
        out,
        "\n\"destrava\": valor dos pedidos que só esperam este produto; \"pedidos\": destravados/bloqueados."
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_brazilian_spelling() {
        assert_eq!(br_qty(1234.5), "1.234,5");
        assert_eq!(br_qty(10.0), "10");
        assert_eq!(br_qty(0.0), "0");
        assert_eq!(br_qty(-30.25), "-30,25");
        assert_eq!(clip("Produto muito comprido", 8), "Produto…");
    }
}
