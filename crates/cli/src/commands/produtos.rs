//! `ruptura produtos`: the products that block orders (SPEC 8.4), ranked by the value they
//! would unlock: what the planner takes to the production meeting.

use std::io::Write;

use clap::{Args, ValueEnum};
use ruptura_app::{Produto, RelatorioProdutos};

use super::analyze::write_values;
use crate::output::{br_day, brl, more_rows, shown, write_json, OutputArgs};
use crate::settings::BookArgs;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `{"produtos": [...], "estatisticas": {...}}`.
    Json,
    /// Uma linha por produto.
    Csv,
    /// Os primeiros produtos, legíveis no terminal.
    #[default]
    #[value(alias = "tabela")]
    Table,
}

#[derive(Debug, Args)]
pub struct ProdutosOpts {
    #[command(flatten)]
    pub carteira: BookArgs,
    #[command(flatten)]
    pub saida: OutputArgs<Format, 20>,
}

pub async fn run(opts: ProdutosOpts) -> anyhow::Result<()> {
    let (settings, selection) = opts.carteira.settings_and_selection()?;
    let store = opts.carteira.open().await?;
    let mut out = opts.saida.open()?;
    let params = opts.carteira.params(&settings);
    let report = RelatorioProdutos::analyze(
        store.as_ref(),
        &selection,
        params,
        settings.run_options(false),
    )
    .await?;
    match opts.saida.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Csv => write_csv(&mut out, &report.produtos)?,
        Format::Table => write_table(&mut out, &report, opts.saida.limit)?,
    }
    out.flush()?;
    if let Some(path) = &opts.saida.output {
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
        s.contagens.processados,
        s.contagens.pedidos_com_ruptura,
        r.produtos.len()
    )?;
    write_values(out, s)?;
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
    let shown = shown(limit, r.produtos.len());
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
    more_rows(out, shown, r.produtos.len(), "produto(s)")?;
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
