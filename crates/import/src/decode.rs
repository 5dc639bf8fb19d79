//! Bytes of a text file -> text, whatever encoding a spreadsheet program saved it in.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Decodes a CSV file: UTF-8 with or without BOM; UTF-16 when it starts with a UTF-16 BOM
/// (Excel's "Unicode text"); otherwise, when the bytes are not valid UTF-8, Windows-1252, the
/// code page of Brazilian Excel exports ("CSV (separado por vírgulas)"). Windows-1252 decodes
/// any byte sequence, so this never fails; a UTF-8 file with a corrupt byte comes out with
/// mangled accents rather than an error, a trade made for the far more common Windows-1252 file.
pub(crate) fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((encoding, bom)) => (encoding, &bytes[bom..]),
        None => (UTF_8, bytes),
    };
    if encoding != UTF_8 {
        return encoding.decode_without_bom_handling(body).0;
    }
    match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        // The five bytes Windows-1252 leaves undefined become the C1 control of the same value
        // (the WHATWG decoder), so this never fails.
        Err(_) => WINDOWS_1252.decode_without_bom_handling(body).0,
    }
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
        // Undefined bytes and a UTF-8 BOM before Windows-1252 text.
        assert_eq!(decode_text(b"\x81\x8D"), "\u{81}\u{8D}");
        assert_eq!(decode_text(b"\xEF\xBB\xBFS\xE3o"), "São");
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
