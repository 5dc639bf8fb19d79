//! Everything the command line says, in Portuguese: clap's help (its headings, the `[default]`,
//! `[env]` and `[possible values]` notes, the help and version flags) and clap's own errors,
//! rebuilt from their kind and context. Exit codes: 0 for help and version, 2 for a usage error
//! ([`USAGE`]), 1 for any other failure.

use std::fmt;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Exit code of a usage error: a bad flag, value or argument (clap's and ours alike).
pub const USAGE: u8 = 2;

/// A usage error found after parsing (for example `--pedidos` with no order number): exits with
/// [`USAGE`] like clap's own.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Returns early with a [`UsageError`].
#[macro_export]
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::lang::UsageError(format!($($arg)*))))
    };
}

/// clap's English words in help and usage, and what we say instead. Longer phrases first.
const HELP_WORDS: [(&str, &str); 15] = [
    (
        "Print this message or the help of the given subcommand(s)",
        "Mostra esta ajuda ou a de um comando",
    ),
    (
        "Print help (see more with '--help')",
        "Mostra a ajuda (mais detalhes com --help)",
    ),
    (
        "Print help (see a summary with '-h')",
        "Mostra a ajuda (resumo com -h)",
    ),
    ("Print help", "Mostra a ajuda"),
    ("Print version", "Mostra a versão"),
    ("Usage:", "Uso:"),
    ("Commands:", "Comandos:"),
    ("Options:", "Opções:"),
    ("Arguments:", "Argumentos:"),
    ("[default: ", "[padrão: "),
    ("[env: ", "[variável: "),
    ("[possible values: ", "[valores: "),
    ("[aliases: ", "[também: "),
    ("[alias: ", "[também: "),
    ("[OPTIONS]", "[OPÇÕES]"),
];

/// Help or usage text with clap's English words replaced.
pub fn translate(text: &str) -> String {
    let mut out = text.to_string();
    for (en, pt) in HELP_WORDS {
        out = out.replace(en, pt);
    }
    out.replace("[COMMAND]", "[COMANDO]")
        .replace("<COMMAND>", "<COMANDO>")
}

/// What to print for a clap error, and the exit code.
pub fn clap_error(e: &clap::Error) -> (String, u8) {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let code = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                USAGE
            } else {
                0
            };
            (translate(&e.render().to_string()), code)
        }
        _ => (format!("erro: {}\n", message(e)), USAGE),
    }
}

fn text(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn message(e: &clap::Error) -> String {
    let arg = text(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = text(e, ContextKind::InvalidValue).unwrap_or_default();
    let mut msg = match e.kind() {
        ErrorKind::InvalidValue => {
            let valid = text(e, ContextKind::ValidValue)
                .map(|v| format!("; valores aceitos: {v}"))
                .unwrap_or_default();
            if value.is_empty() {
                format!("{arg} precisa de um valor{valid}")
            } else {
                format!("valor inválido {value:?} para {arg}{valid}")
            }
        }
        ErrorKind::ValueValidation => {
            let reason = std::error::Error::source(e)
                .map(|s| reason(&s.to_string()))
                .unwrap_or_default();
            format!("valor inválido {value:?} para {arg}: {reason}")
        }
        ErrorKind::UnknownArgument => format!("opção desconhecida {arg}"),
        ErrorKind::InvalidSubcommand => {
            let sub = text(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("comando desconhecido {sub:?}")
        }
        ErrorKind::MissingRequiredArgument => format!("falta o argumento obrigatório {arg}"),
        ErrorKind::MissingSubcommand => "falta o comando".to_string(),
        ErrorKind::ArgumentConflict => {
            let prior = text(e, ContextKind::PriorArg).unwrap_or_default();
            format!("{arg} não pode ser usado junto com {prior}")
        }
        ErrorKind::NoEquals => format!("{arg} precisa de um valor com '=' (por exemplo {arg}=X)"),
        ErrorKind::TooManyValues => format!("valor a mais {value:?} para {arg}"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            let expected = text(e, ContextKind::ExpectedNumValues)
                .or_else(|| text(e, ContextKind::MinValues))
                .unwrap_or_default();
            format!("{arg} precisa de {expected} valor(es)")
        }
        ErrorKind::InvalidUtf8 => "um argumento não é UTF-8 válido".to_string(),
        _ => format!("linha de comando inválida ({:?})", e.kind()),
    };
    if let Some(s) = text(e, ContextKind::SuggestedSubcommand)
        .or_else(|| text(e, ContextKind::SuggestedArg))
        .or_else(|| text(e, ContextKind::SuggestedValue))
    {
        msg.push_str(&format!("\n  dica: talvez {s}"));
    }
    if let Some(usage) = text(e, ContextKind::Usage) {
        msg.push_str(&format!("\n\n{}", translate(usage.trim())));
    }
    msg.push_str("\n\nPara mais informações, use --help.");
    msg
}

/// An operating-system error in Portuguese (the standard library's texts are English).
pub fn io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match e.kind() {
        K::NotFound => "arquivo ou pasta não encontrado",
        K::PermissionDenied => "permissão negada",
        K::AlreadyExists => "já existe",
        K::IsADirectory => "é uma pasta, não um arquivo",
        K::NotADirectory => "um trecho do caminho não é uma pasta",
        K::AddrInUse => "endereço já em uso (outro processo escuta nessa porta?)",
        K::AddrNotAvailable => "endereço indisponível nesta máquina",
        K::ConnectionRefused => "conexão recusada",
        K::ConnectionReset => "conexão interrompida",
        K::TimedOut => "tempo esgotado",
        K::BrokenPipe => "a saída foi fechada",
        K::StorageFull => "disco cheio",
        K::ReadOnlyFilesystem => "sistema de arquivos somente leitura",
        K::InvalidData => "dados inválidos (o arquivo não é texto UTF-8?)",
        K::UnexpectedEof => "o arquivo terminou antes do esperado",
        _ => return e.to_string(),
    };
    what.to_string()
}

/// The reason of a value parser's error, in Portuguese (ours already are; clap's and the
/// standard library's are translated).
fn reason(source: &str) -> String {
    if let Some((_, range)) = source.split_once(" is not in ") {
        let range = range.replace("..=", " e ").replace("..", " e ");
        return format!("deve estar entre {range}");
    }
    match source {
        "invalid digit found in string" | "cannot parse integer from empty string" => {
            "não é um número inteiro".into()
        }
        "number too large to fit in target type" => "número grande demais".into(),
        "number too small to fit in target type" => "número pequeno demais".into(),
        "invalid socket address syntax" => "use ENDEREÇO:PORTA, por exemplo 127.0.0.1:8080".into(),
        "value is too large" => "número grande demais".into(),
        s if s.starts_with("Invalid decimal") || s.contains("decimal") => {
            "não é um número (use ponto ou vírgula decimal)".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_integer_reasons() {
        assert_eq!(
            reason("99999 is not in 0..=3650"),
            "deve estar entre 0 e 3650"
        );
        assert_eq!(
            reason("invalid digit found in string"),
            "não é um número inteiro"
        );
        assert_eq!(reason("use AAAA-MM-DD"), "use AAAA-MM-DD");
    }
}
