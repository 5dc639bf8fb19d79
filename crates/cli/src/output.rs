//! Where a command writes its result and how: the `--formato`/`--saida` flags every reporting
//! command shares, the writer they open, a JSON document on one line, the `--limite` cut, and
//! the Brazilian spellings of money, numbers and days that the tables use.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};

/// `--formato` (each command has its own formats, `table` the default), `--saida`, and
/// `--limite`, how many rows the table shows (`LIMITE` by default; 0: all).
#[derive(Debug, Args)]
pub struct OutputArgs<F, const LIMITE: usize = 0>
where
    F: ValueEnum + Default + Clone + Send + Sync + 'static,
{
    /// Formato da saída.
    #[arg(long = "formato", visible_alias = "format", value_name = "FORMATO", value_enum, default_value_t = F::default())]
    pub format: F,
    /// Escreve neste arquivo em vez da saída padrão.
    #[arg(
        long = "saida",
        visible_alias = "output",
        short = 'o',
        value_name = "ARQUIVO"
    )]
    pub output: Option<PathBuf>,
    /// Formato table: linhas mostradas no máximo (0: todas); os totais contam todas.
    #[arg(long = "limite", visible_alias = "limit", value_name = "N", default_value_t = LIMITE)]
    pub limit: usize,
}

impl<F, const LIMITE: usize> OutputArgs<F, LIMITE>
where
    F: ValueEnum + Default + Clone + Send + Sync + 'static,
{
    /// Opens the output, buffered: the file of `--saida` (created or truncated), else stdout.
    /// Commands open it before their work, so a bad path fails fast.
    pub fn open(&self) -> anyhow::Result<Box<dyn Write + Send>> {
        Ok(match &self.output {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("não foi possível criar {}", path.display()))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        })
    }
}

/// `value` as one line of JSON.
pub fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// How many of `len` rows a table shows under `--limite` (0: all of them).
pub fn shown(limit: usize, len: usize) -> usize {
    if limit == 0 {
        len
    } else {
        limit.min(len)
    }
}

/// The line under a table cut by `--limite`: how many of `len` rows (`noun`, plural) were not
/// shown; nothing when all were.
pub fn more_rows(out: &mut dyn Write, shown: usize, len: usize, noun: &str) -> std::io::Result<()> {
    if shown < len {
        writeln!(
            out,
            "... e mais {} {noun} (--limite 0 mostra tudo)",
            len - shown
        )?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_table_says_how_many_rows_it_hid() {
        let mut out = Vec::new();
        more_rows(&mut out, 20, 35, "produto(s)").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "... e mais 15 produto(s) (--limite 0 mostra tudo)\n"
        );
        let mut all = Vec::new();
        more_rows(&mut all, 35, 35, "produto(s)").unwrap();
        assert!(all.is_empty());
    }

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
    }

    #[test]
    fn limit_zero_shows_every_row() {
        assert_eq!(shown(0, 7), 7);
        assert_eq!(shown(3, 7), 3);
        assert_eq!(shown(10, 7), 7);
    }
}
