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
    /// Opens the output, buffered: the file of `--saida` (created, or replaced: see
    /// [`replace_file`]), else stdout. Commands open it before their work, so a bad path fails
    /// fast.
    pub fn open(&self) -> anyhow::Result<Box<dyn Write + Send>> {
        Ok(match &self.output {
            Some(path) => Box::new(std::io::BufWriter::new(
                replace_file(path)
                    .with_context(|| format!("não foi possível criar {}", path.display()))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        })
    }
}

/// Creates the file at `path`; a writable regular file already there with no other name is
/// removed first (its permissions kept), not truncated. Linux's ext4 writes back a file
/// truncated to zero as soon as it is closed (its `auto_da_alloc` guard against empty files
/// after a crash): 0.1 s of the command's own time for the 186 MB of a 100,000-order JSON
/// written over yesterday's. A new file is written back in the kernel's own time. Anything else
/// (a device such as `/dev/null`, a symbolic link, a file with other hard links, a read-only
/// file) is opened as `File::create` does.
pub fn replace_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(old) = std::fs::symlink_metadata(path) {
        if old.is_file() && old.nlink() == 1 && !old.permissions().readonly() {
            std::fs::remove_file(path)?;
            // Refused if something took the name meanwhile (then opened as before).
            match std::fs::File::create_new(path) {
                Ok(file) => {
                    file.set_permissions(old.permissions())?;
                    return Ok(file);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }
    std::fs::File::create(path)
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
    fn an_output_replaces_a_file_and_keeps_what_must_be_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &std::path::Path, text: &str| -> std::io::Result<()> {
            let mut f = replace_file(path)?;
            f.write_all(text.as_bytes())
        };
        // Replaced: the new text only, the old permissions.
        let plain = dir.path().join("a.json");
        std::fs::write(&plain, "conteúdo antigo, mais longo").unwrap();
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&plain, "novo").unwrap();
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), "novo");
        let mode = std::fs::metadata(&plain).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A file with a second name is written in place: both names see the new text.
        let other = dir.path().join("b.json");
        std::fs::hard_link(&plain, &other).unwrap();
        write(&plain, "terceiro").unwrap();
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "terceiro");
        // Through a symbolic link, the target is written and the link stays.
        let link = dir.path().join("c.json");
        std::os::unix::fs::symlink(&plain, &link).unwrap();
        write(&link, "quarto").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), "quarto");
        // A device is opened, not removed.
        write(std::path::Path::new("/dev/null"), "nada").unwrap();
        assert!(std::path::Path::new("/dev/null").exists());
        // A new file is created.
        write(&dir.path().join("novo.json"), "x").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("novo.json")).unwrap(),
            "x"
        );
    }

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
