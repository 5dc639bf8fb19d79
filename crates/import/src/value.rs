//! Reading one cell's text as a number, a date, a boolean or an id, in the spellings that
//! Brazilian and plain exports use. Pure functions: the caller turns a failure into a
//! diagnostic that names the file, line and column.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

/// Parses a decimal number written with a decimal point or a decimal comma, with optional
/// thousands separators, surrounding spaces and a leading sign.
///
/// If both `.` and `,` occur, the last one is the decimal separator. A lone `,` is a decimal
/// comma. A lone `.` is a decimal point, unless the file writes decimal commas elsewhere
/// (`file_uses_decimal_comma`) and the dot is followed by exactly three digits: then it
/// separates thousands (`1.234` is 1234 in such a file). Several dots separate thousands.
/// Returns `None` for anything else (NaN, inf, exponents, `1,2,3`, misplaced separators).
pub(crate) fn parse_decimal(raw: &str, file_uses_decimal_comma: bool) -> Option<Decimal> {
    let (negative, body) = signed_body(raw)?;
    let parts = split_number(body, file_uses_decimal_comma)?;
    let integer = integer_digits(parts.integer, parts.thousands)?;
    let mut normalized = String::with_capacity(integer.len() + 8);
    if negative {
        normalized.push('-');
    }
    match parts.fraction {
        Some(fraction) => {
            // "5," and "," are not numbers; ",5" is 0.5.
            if fraction.is_empty() || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            normalized.push_str(if integer.is_empty() { "0" } else { &integer });
            normalized.push('.');
            normalized.push_str(fraction);
        }
        None => {
            if integer.is_empty() {
                return None;
            }
            normalized.push_str(&integer);
        }
    }
    Decimal::from_str(&normalized).ok()
}

/// The sign and the rest of a trimmed number, when the rest is digits and separators only.
fn signed_body(raw: &str) -> Option<(bool, &str)> {
    let text = raw.trim();
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits_and_separators = body
        .bytes()
        .all(|byte| byte.is_ascii_digit() || byte == b'.' || byte == b',');
    (!body.is_empty() && digits_and_separators).then_some((negative, body))
}

/// A number's text split at its decimal separator.
struct NumberParts<'t> {
    integer: &'t str,
    fraction: Option<&'t str>,
    /// The thousands separator the integer part may hold.
    thousands: Option<char>,
}

/// Finds the decimal separator of `body` (digits, dots and commas) by the rules of
/// [`parse_decimal`]; `None` for several commas and no dot.
fn split_number(body: &str, file_uses_decimal_comma: bool) -> Option<NumberParts<'_>> {
    let parts = |integer, fraction, thousands| NumberParts {
        integer,
        fraction,
        thousands,
    };
    Some(match (body.rfind('.'), body.rfind(',')) {
        (None, None) => parts(body, None, None),
        (Some(dot), Some(comma)) => {
            let (decimal_at, thousands) = if dot > comma {
                (dot, ',')
            } else {
                (comma, '.')
            };
            parts(
                &body[..decimal_at],
                Some(&body[decimal_at + 1..]),
                Some(thousands),
            )
        }
        (None, Some(comma)) => {
            if body[..comma].contains(',') {
                return None;
            }
            parts(&body[..comma], Some(&body[comma + 1..]), None)
        }
        (Some(dot), None) => {
            let several_dots = body[..dot].contains('.');
            if several_dots || (file_uses_decimal_comma && is_grouped_by_thousands(body, '.')) {
                parts(body, None, Some('.'))
            } else {
                parts(&body[..dot], Some(&body[dot + 1..]), None)
            }
        }
    })
}

/// The digits of the integer part without its thousands separators, when it is grouped by
/// thousands correctly and holds nothing else.
fn integer_digits(integer: &str, thousands: Option<char>) -> Option<String> {
    let digits: String = match thousands {
        Some(separator) if integer.contains(separator) => {
            if !is_grouped_by_thousands(integer, separator) {
                return None;
            }
            integer.chars().filter(|c| *c != separator).collect()
        }
        _ => integer.to_owned(),
    };
    digits
        .bytes()
        .all(|byte| byte.is_ascii_digit())
        .then_some(digits)
}

/// `1.234`, `12.345.678`: a first group of 1 to 3 digits not starting with 0, then groups of
/// exactly 3 digits.
fn is_grouped_by_thousands(text: &str, separator: char) -> bool {
    let mut groups = text.split(separator);
    let Some(first) = groups.next() else {
        return false;
    };
    let first_ok = (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && first.bytes().all(|byte| byte.is_ascii_digit());
    let mut rest_count = 0;
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|byte| byte.is_ascii_digit()) {
            return false;
        }
        rest_count += 1;
    }
    first_ok && rest_count > 0
}

/// Rounds half away from zero to `places` decimals, as PostgreSQL NUMERIC(p, places) stores
/// it, and never returns a negative zero.
pub(crate) fn round_to(value: Decimal, places: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    if rounded.is_zero() {
        rounded.set_sign_positive(true);
    }
    rounded
}

/// Why a date could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateProblem {
    /// Not in any accepted spelling.
    Unreadable,
    /// Well spelled, but no such day (31/02/2026, month 13).
    Impossible,
}

/// Parses `YYYY-MM-DD`, `DD/MM/YYYY` (also `D/M/YYYY`), either optionally followed by a time
/// after `T` or a space (the time is dropped: only the day matters here).
pub(crate) fn parse_date(raw: &str) -> Result<NaiveDate, DateProblem> {
    let text = raw.trim();
    let (date_part, time_part) = match text.find(['T', ' ']) {
        Some(at) => (&text[..at], Some(text[at + 1..].trim_start())),
        None => (text, None),
    };
    if let Some(time) = time_part {
        if !looks_like_time(time) {
            return Err(DateProblem::Unreadable);
        }
    }

    let (year, month, day) = if date_part.contains('-') {
        let mut parts = date_part.split('-');
        let year = number_of_digits(parts.next(), 4..=4)?;
        let month = number_of_digits(parts.next(), 1..=2)?;
        let day = number_of_digits(parts.next(), 1..=2)?;
        if parts.next().is_some() {
            return Err(DateProblem::Unreadable);
        }
        (year, month, day)
    } else if date_part.contains('/') {
        let mut parts = date_part.split('/');
        let day = number_of_digits(parts.next(), 1..=2)?;
        let month = number_of_digits(parts.next(), 1..=2)?;
        let year = number_of_digits(parts.next(), 4..=4)?;
        if parts.next().is_some() {
            return Err(DateProblem::Unreadable);
        }
        (year, month, day)
    } else {
        return Err(DateProblem::Unreadable);
    };
    let year = i32::try_from(year).map_err(|_| DateProblem::Unreadable)?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateProblem::Impossible)
}

fn number_of_digits(
    part: Option<&str>,
    lengths: std::ops::RangeInclusive<usize>,
) -> Result<u32, DateProblem> {
    let part = part.ok_or(DateProblem::Unreadable)?;
    if !lengths.contains(&part.len()) || !part.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(DateProblem::Unreadable);
    }
    part.parse().map_err(|_| DateProblem::Unreadable)
}

/// `H:MM` or `HH:MM`, then anything (seconds, fractions, a zone): enough to tell a time from
/// stray text after a date.
fn looks_like_time(text: &str) -> bool {
    let Some((hours, rest)) = text.split_once(':') else {
        return false;
    };
    (1..=2).contains(&hours.len())
        && hours.bytes().all(|byte| byte.is_ascii_digit())
        && rest.len() >= 2
        && rest.as_bytes()[..2].iter().all(u8::is_ascii_digit)
}

/// true/false, 1/0, sim/não (or nao), s/n, t/f, yes/no, y/n, verdadeiro/falso; any case.
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "true" | "1" | "sim" | "s" | "t" | "yes" | "y" | "verdadeiro" | "v" => Some(true),
        "false" | "0" | "não" | "nao" | "n" | "f" | "no" | "falso" => Some(false),
        _ => None,
    }
}

/// A row id: a positive integer, optionally with a leading `+` and surrounding spaces.
pub(crate) fn parse_id(raw: &str) -> Option<i64> {
    let text = raw.trim();
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("test literal")
    }

    #[test]
    fn decimals_in_plain_and_brazilian_spellings() {
        let cases = [
            ("1234.56", "1234.56"),
            ("1234,56", "1234.56"),
            ("1.234,56", "1234.56"),
            ("1,234.56", "1234.56"),
            ("-50,25", "-50.25"),
            ("+7", "7"),
            ("  80,125 ", "80.125"),
            ("1.234.567", "1234567"),
            ("1.234.567,5", "1234567.5"),
            ("0", "0"),
            ("0.0004", "0.0004"),
            (",5", "0.5"),
            ("1.234", "1.234"),
            ("1,234,567.5", "1234567.5"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_decimal(text, false), Some(dec(expected)), "{text}");
        }
    }

    #[test]
    fn a_lone_dot_followed_by_three_digits_is_thousands_in_a_decimal_comma_file() {
        assert_eq!(parse_decimal("1.234", true), Some(dec("1234")));
        assert_eq!(parse_decimal("12.345", true), Some(dec("12345")));
        assert_eq!(parse_decimal("1.5", true), Some(dec("1.5")));
        assert_eq!(parse_decimal("0.125", true), Some(dec("0.125")));
        assert_eq!(parse_decimal("1234.567", true), Some(dec("1234.567")));
    }

    #[test]
    fn garbage_is_not_a_number() {
        for text in [
            "",
            " ",
            "-",
            "+",
            "1,2,3",
            "abc",
            "NaN",
            "inf",
            "-inf",
            "1e5",
            "5,",
            "5.",
            "1.2,5",
            "12.34.5",
            "--1",
            "+-1",
            "1 234",
            "0.123.456",
            ",",
            ".",
        ] {
            assert_eq!(parse_decimal(text, false), None, "{text:?}");
        }
        assert_eq!(
            parse_decimal("99999999999999999999999999999999", false),
            None
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero_without_negative_zero() {
        assert_eq!(round_to(dec("1.0005"), 3), dec("1.001"));
        assert_eq!(round_to(dec("-1.0005"), 3), dec("-1.001"));
        assert_eq!(round_to(dec("2.345"), 2), dec("2.35"));
        let zero = round_to(dec("-0.0004"), 3);
        assert!(zero.is_zero() && zero.is_sign_positive());
    }

    #[test]
    fn dates_in_iso_and_brazilian_spellings() {
        let expected = NaiveDate::from_ymd_opt(2026, 3, 2);
        for text in [
            "2026-03-02",
            "02/03/2026",
            "2/3/2026",
            " 2026-3-2 ",
            "2026-03-02 10:00:00",
            "2026-03-02T10:00:00",
            "2026-03-02T10:00:00.123Z",
            "02/03/2026 10:00",
        ] {
            assert_eq!(parse_date(text).ok(), expected, "{text}");
        }
    }

    #[test]
    fn impossible_and_unreadable_dates_are_told_apart() {
        assert_eq!(parse_date("31/02/2026"), Err(DateProblem::Impossible));
        assert_eq!(parse_date("2026-13-01"), Err(DateProblem::Impossible));
        assert_eq!(parse_date("2026-02-29"), Err(DateProblem::Impossible));
        for text in [
            "",
            "amanhã",
            "02/03/26",
            "2026/03/02",
            "20260302",
            "2026-03-02 xx",
            "1/2",
        ] {
            assert_eq!(parse_date(text), Err(DateProblem::Unreadable), "{text:?}");
        }
    }

    #[test]
    fn booleans_in_every_accepted_spelling() {
        for text in [
            "true",
            "TRUE",
            " 1 ",
            "sim",
            "Sim",
            "S",
            "t",
            "yes",
            "y",
            "Verdadeiro",
        ] {
            assert_eq!(parse_bool(text), Some(true), "{text}");
        }
        for text in ["false", "0", "não", "NÃO", "nao", "n", "F", "no", "falso"] {
            assert_eq!(parse_bool(text), Some(false), "{text}");
        }
        for text in ["", "talvez", "2", "yes!"] {
            assert_eq!(parse_bool(text), None, "{text}");
        }
    }

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(parse_id(" 12 "), Some(12));
        assert_eq!(parse_id("+3"), Some(3));
        for text in ["", "0", "-1", "1.5", "abc", "99999999999999999999"] {
            assert_eq!(parse_id(text), None, "{text}");
        }
    }
}
