//! IVA aliquots, tributes and the invoice totals, totalized exactly in integer cents.

use serde::{Deserialize, Serialize};

use mostrador_types::{BasisPoints, Money};

use super::rules::InvoiceError;

/// An IVA aliquot (`AlicIva/Id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IvaRate {
    /// Id 3, 0 %.
    Zero,
    /// Id 9, 2.5 %.
    TwoPointFive,
    /// Id 8, 5 %.
    Five,
    /// Id 4, 10.5 %.
    TenPointFive,
    /// Id 5, 21 %.
    TwentyOne,
    /// Id 6, 27 %.
    TwentySeven,
}

impl IvaRate {
    pub const ALL: [IvaRate; 6] = [
        IvaRate::Zero,
        IvaRate::TwoPointFive,
        IvaRate::Five,
        IvaRate::TenPointFive,
        IvaRate::TwentyOne,
        IvaRate::TwentySeven,
    ];

    pub fn afip_id(self) -> u8 {
        match self {
            IvaRate::Zero => 3,
            IvaRate::TenPointFive => 4,
            IvaRate::TwentyOne => 5,
            IvaRate::TwentySeven => 6,
            IvaRate::Five => 8,
            IvaRate::TwoPointFive => 9,
        }
    }

    pub fn from_afip_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.afip_id() == id)
    }

    /// The rate in basis points (21 % = 2100).
    pub fn basis_points(self) -> BasisPoints {
        BasisPoints(match self {
            IvaRate::Zero => 0,
            IvaRate::TwoPointFive => 250,
            IvaRate::Five => 500,
            IvaRate::TenPointFive => 1050,
            IvaRate::TwentyOne => 2100,
            IvaRate::TwentySeven => 2700,
        })
    }

    /// The IVA of `base`, rounded half-even to the cent (`None` if it does not fit).
    pub fn tax_on(self, base: Money) -> Option<Money> {
        self.basis_points().of(base)
    }
}

/// One `AlicIva` line: the taxed base and the IVA for one aliquot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlicIva {
    pub rate: IvaRate,
    pub base: Money,
    pub amount: Money,
}

/// One `Tributo` (percepciones, impuestos internos, ...). `Desc` is required for id 99.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tribute {
    /// AFIP's tribute type (1–9, 13, 99).
    pub id: u16,
    pub description: String,
    pub base: Money,
    /// Aliquot (3 % = `BasisPoints(300)`); informative.
    pub rate: BasisPoints,
    pub amount: Money,
}

/// Every amount of the invoice as sent to WSFE. Build it with [`Amounts::compute`] or
/// [`Amounts::class_c`]; a hand-built value is checked by the invoice validation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Amounts {
    /// `ImpTotConc`: not taxed.
    pub not_taxed: Money,
    /// `ImpNeto`: taxed net (class C: the subtotal).
    pub net: Money,
    /// `ImpOpEx`: exempt.
    pub exempt: Money,
    /// `Iva/AlicIva`, one line per aliquot.
    pub iva: Vec<AlicIva>,
    /// `ImpIVA`.
    pub iva_total: Money,
    pub tributes: Vec<Tribute>,
    /// `ImpTrib`.
    pub tributes_total: Money,
    /// `ImpTotal`.
    pub total: Money,
}

impl Amounts {
    /// Class A/B amounts from taxed bases (any number of lines; lines with the same aliquot are
    /// totalized into one `AlicIva`, as 10022 requires), computing each aliquot's IVA once on the
    /// totalized base and deriving every total from the rounded parts, so all sums are exact.
    /// Amounts too large to add up are [`InvoiceError::AmountOverflow`].
    pub fn compute(
        bases: &[(IvaRate, Money)],
        not_taxed: Money,
        exempt: Money,
        tributes: Vec<Tribute>,
    ) -> Result<Amounts, InvoiceError> {
        let overflow = || InvoiceError::AmountOverflow("the invoice totals");
        let mut per_rate: Vec<(IvaRate, Money)> = Vec::new();
        for (rate, base) in bases {
            match per_rate.iter_mut().find(|(r, _)| r == rate) {
                Some((_, b)) => *b = b.checked_add(*base).ok_or_else(overflow)?,
                None => per_rate.push((*rate, *base)),
            }
        }
        per_rate.sort_by_key(|(r, _)| r.afip_id());
        let iva: Vec<AlicIva> = per_rate
            .into_iter()
            .map(|(rate, base)| {
                Ok(AlicIva {
                    rate,
                    base,
                    amount: rate.tax_on(base).ok_or_else(overflow)?,
                })
            })
            .collect::<Result<_, InvoiceError>>()?;
        let net = Money::checked_sum(iva.iter().map(|l| l.base)).ok_or_else(overflow)?;
        let iva_total = Money::checked_sum(iva.iter().map(|l| l.amount)).ok_or_else(overflow)?;
        let tributes_total =
            Money::checked_sum(tributes.iter().map(|t| t.amount)).ok_or_else(overflow)?;
        let total = Money::checked_sum([not_taxed, net, exempt, iva_total, tributes_total])
            .ok_or_else(overflow)?;
        Ok(Amounts {
            not_taxed,
            net,
            exempt,
            iva,
            iva_total,
            tributes,
            tributes_total,
            total,
        })
    }

    /// Class C amounts: the subtotal goes in `ImpNeto`, no IVA, total = subtotal + tributes.
    pub fn class_c(subtotal: Money, tributes: Vec<Tribute>) -> Result<Amounts, InvoiceError> {
        let overflow = || InvoiceError::AmountOverflow("the invoice totals");
        let tributes_total =
            Money::checked_sum(tributes.iter().map(|t| t.amount)).ok_or_else(overflow)?;
        Ok(Amounts {
            net: subtotal,
            total: subtotal.checked_add(tributes_total).ok_or_else(overflow)?,
            tributes,
            tributes_total,
            ..Amounts::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totalizes_per_rate_and_sums_exactly() {
        let a = Amounts::compute(
            &[
                (IvaRate::TwentyOne, Money::from_cents(101)),
                (IvaRate::TenPointFive, Money::from_cents(333)),
                (IvaRate::TwentyOne, Money::from_cents(202)),
            ],
            Money::ZERO,
            Money::ZERO,
            vec![],
        )
        .unwrap();
        assert_eq!(a.iva.len(), 2);
        assert_eq!(a.iva[0].rate, IvaRate::TenPointFive);
        assert_eq!(a.iva[1].base, Money::from_cents(303));
        // 3.03 × 21 % = 0.6363 → 0.64; 3.33 × 10.5 % = 0.34965 → 0.35
        assert_eq!(a.iva[1].amount, Money::from_cents(64));
        assert_eq!(a.iva[0].amount, Money::from_cents(35));
        assert_eq!(a.total, Money::from_cents(3_03 + 3_33 + 64 + 35));
    }

    #[test]
    fn half_even_on_exact_halves() {
        // 0.50 × 5 % = 0.025 → 0.02 (half to even); 1.50 × 5 % = 0.075 → 0.08
        assert_eq!(
            IvaRate::Five.tax_on(Money::from_cents(50)),
            Some(Money::from_cents(2))
        );
        assert_eq!(
            IvaRate::Five.tax_on(Money::from_cents(150)),
            Some(Money::from_cents(8))
        );
    }
}
