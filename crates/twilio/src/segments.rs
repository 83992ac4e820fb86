//! How many SMS segments a text costs. GSM-7 texts fit 160 characters in one segment and 153 per
//! segment when concatenated; a character of the extension table (`€ [ ] { } ^ ~ | \`, form feed)
//! takes two septets. One character outside GSM-7 (like "á", "í", "ó", "ú" — "é" and "ñ" are in it)
//! turns the whole text into UCS-2: 70 per segment, 67 when concatenated, counted in UTF-16 units.

/// The encoding a text needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The measure of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCount {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

/// GSM 03.38 basic character set (without the escape).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table: escape + one septet each.
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

fn gsm7_cost(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Counts the segments of `text`.
pub fn count(text: &str) -> SegmentCount {
    let gsm: Option<Vec<usize>> = text.chars().map(gsm7_cost).collect();
    let (encoding, costs, single, multi) = match gsm {
        Some(costs) => (Encoding::Gsm7, costs, 160, 153),
        None => (
            Encoding::Ucs2,
            text.chars().map(char::len_utf16).collect(),
            70,
            67,
        ),
    };
    let units: usize = costs.iter().sum();
    let segments = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        // Fill segments greedily: an escape pair or a surrogate pair is never split.
        let mut segs = 1;
        let mut used = 0;
        for c in costs {
            if used + c > multi {
                segs += 1;
                used = 0;
            }
            used += c;
        }
        segs
    };
    SegmentCount {
        encoding,
        units,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7() {
        assert_eq!(count("").segments, 0);
        let c = count("Hola, tu turno es mañana a las 10. ¿Venis? ¡Gracias! Ñoño");
        assert_eq!(c.encoding, Encoding::Gsm7);
        assert_eq!(count(&"a".repeat(160)).segments, 1);
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
        // Extension characters count double.
        let euro = count(&"€".repeat(80));
        assert_eq!(
            (euro.encoding, euro.units, euro.segments),
            (Encoding::Gsm7, 160, 1)
        );
        assert_eq!(count(&format!("{}€", "a".repeat(159))).segments, 2);
        // A pair is not split across segments: 152 + an escape pair does not fit in 153.
        assert_eq!(
            count(&format!("{}€{}", "a".repeat(152), "a".repeat(152))).segments,
            3
        );
    }

    #[test]
    fn one_accent_switches_to_ucs2() {
        let plain = format!("Su factura esta lista. {}", "x".repeat(100));
        assert_eq!(count(&plain).encoding, Encoding::Gsm7);
        assert_eq!(count(&plain).segments, 1);
        let accented = plain.replacen("esta", "está", 1);
        let c = count(&accented);
        assert_eq!(c.encoding, Encoding::Ucs2);
        assert_eq!(c.units, 123);
        assert_eq!(c.segments, 2);
        assert_eq!(count(&"á".repeat(70)).segments, 1);
        assert_eq!(count(&"á".repeat(71)).segments, 2);
        assert_eq!(count(&"á".repeat(134)).segments, 2);
        assert_eq!(count(&"á".repeat(135)).segments, 3);
        // An emoji is two UTF-16 units.
        assert_eq!(count("👍").units, 2);
        assert_eq!(count(&"👍".repeat(35)).segments, 1);
    }
}
