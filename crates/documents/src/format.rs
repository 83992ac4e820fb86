//! es-AR formatting: `$ 1.234,56`, `dd/mm/aaaa`, `00001-00000042`.

use chrono::NaiveDate;
use mostrador_types::{BasisPoints, Money, Rate};

use crate::model::Quantity;

/// Groups the integer part with dots.
fn group(mut n: u64) -> String {
    let mut parts = Vec::new();
    loop {
        if n < 1000 {
            parts.push(n.to_string());
            break;
        }
        parts.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join(".")
}

/// `1.234,56` (no currency sign).
pub fn amount(m: Money) -> String {
    let c = m.cents();
    let sign = if c < 0 { "-" } else { "" };
    let abs = c.unsigned_abs();
    format!("{sign}{},{:02}", group(abs / 100), abs % 100)
}

/// `$ 1.234,56`.
pub fn money(m: Money) -> String {
    format!("$ {}", amount(m))
}

/// `1,5`, `2`, `0,125`: no trailing zeros.
pub fn quantity(q: Quantity) -> String {
    let m = q.milli();
    let sign = if m < 0 { "-" } else { "" };
    let abs = m.unsigned_abs();
    let frac = abs % 1000;
    if frac == 0 {
        return format!("{sign}{}", group(abs / 1000));
    }
    let f = format!("{frac:03}");
    format!("{sign}{},{}", group(abs / 1000), f.trim_end_matches('0'))
}

/// `21%`, `10,5%`.
pub fn percent(bp: BasisPoints) -> String {
    let v = bp.get();
    let frac = v.unsigned_abs() % 100;
    if frac == 0 {
        return format!("{}%", v / 100);
    }
    let f = format!("{frac:02}");
    format!("{},{}%", v / 100, f.trim_end_matches('0'))
}

/// `1.234,5` for an exchange rate.
pub fn rate(r: Rate) -> String {
    let m = r.millionths().unsigned_abs();
    let frac = m % 1_000_000;
    if frac == 0 {
        return group(m / 1_000_000);
    }
    let f = format!("{frac:06}");
    format!("{},{}", group(m / 1_000_000), f.trim_end_matches('0'))
}

pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Punto de venta (5 digits) and number (8 digits), as AFIP prints them.
pub fn voucher_number(point_of_sale: u32, number: u64) -> String {
    format!("{point_of_sale:05}-{number:08}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_group_thousands_with_dots_and_decimals_with_comma() {
        assert_eq!(money(Money::from_cents(12_345_678)), "$ 123.456,78");
        assert_eq!(money(Money::from_cents(5)), "$ 0,05");
        assert_eq!(money(Money::from_cents(-100_000)), "$ -1.000,00");
        assert_eq!(amount(Money::from_cents(1_000_000_000)), "10.000.000,00");
    }

    #[test]
    fn quantities_rates_and_percentages_drop_trailing_zeros() {
        assert_eq!(quantity(Quantity(1500)), "1,5");
        assert_eq!(quantity(Quantity(2000)), "2");
        assert_eq!(quantity(Quantity(1_234_125)), "1.234,125");
        assert_eq!(percent(BasisPoints(1050)), "10,5%");
        assert_eq!(percent(BasisPoints(2100)), "21%");
        assert_eq!(rate(Rate::from_millionths(1_234_500_000)), "1.234,5");
    }

    #[test]
    fn voucher_numbers_are_zero_padded() {
        assert_eq!(voucher_number(1, 42), "00001-00000042");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()),
            "05/03/2026"
        );
    }
}
