//! Bytes of a text file -> text, whatever encoding a spreadsheet program saved it in.

use std::borrow::Cow;

/// Decodes a CSV file: UTF-8 with or without BOM; UTF-16 when it starts with a UTF-16 BOM
/// (Excel's "Unicode text"); otherwise, when the bytes are not valid UTF-8, Windows-1252, the
/// code page of Brazilian Excel exports ("CSV (separado por vírgulas)"). Windows-1252 decodes
/// any byte sequence, so this never fails; a UTF-8 file with a corrupt byte comes out with
/// mangled accents rather than an error, a trade made for the far more common Windows-1252 file.
pub(crate) fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(decode_windows_1252(rest)),
        };
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Cow::Owned(decode_utf16(rest, u16::from_le_bytes));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Cow::Owned(decode_utf16(rest, u16::from_be_bytes));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(decode_windows_1252(bytes)),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| unit([pair[0], pair[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Windows-1252 differs from Latin-1 only in 0x80..=0x9F, where it has printable characters
/// (the euro sign, curly quotes, dashes). The five bytes it leaves undefined map to the C1
/// control of the same value, as Latin-1 and the WHATWG decoder do.
const WINDOWS_1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

fn decode_windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&byte| match byte {
            0x80..=0x9F => WINDOWS_1252_HIGH[usize::from(byte - 0x80)],
            _ => char::from(byte),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode_text("São Paulo".as_bytes()), "São Paulo");
        assert_eq!(decode_text(b"\xEF\xBB\xBFS\xC3\xA3o"), "São");
    }

    #[test]
    fn windows_1252_when_not_utf8() {
        // "Ação – 10€" as Windows-1252 bytes.
        let bytes = b"A\xE7\xE3o \x96 10\x80";
        assert_eq!(decode_text(bytes), "Ação – 10€");
    }

    #[test]
    fn utf16_little_and_big_endian() {
        let little: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Não".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&little), "Não");
        let big: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Não".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&big), "Não");
    }
}
