//! Local rules before queuing: every error names the field. The voucher class (A/B/C) and the
//! receiver's `CondicionIVAReceptorId` come from the issuer's and receiver's IVA conditions, and
//! the totals from `crates/afip` in integer cents.

use chrono::NaiveDate;
use mostrador_afip::invoice::{
    condition_allowed, AssociatedVoucher, Concept, Currency, Invoice, InvoiceDraft, InvoiceError,
    InvoiceSettings, IvaRate, Money, Rate, Receiver, ReceiverDoc, ServicePeriod, VoucherClass,
    VoucherType,
};
use mostrador_types::{round_half_even_div, Cuit, IvaCondition};

use super::model::{ConceptKind, FieldError, ItemIva, NewInvoice, ReceiverDocInput};

/// Who issues: the organization's CUIT and IVA condition, and this computer's point of sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issuer {
    pub cuit: Cuit,
    pub condition: IvaCondition,
    pub point_of_sale: u32,
}

/// The authorized invoice a note refers to, and how much of it is left to credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociatedInfo {
    pub voucher_type: VoucherType,
    pub point_of_sale: u32,
    pub number: u64,
    pub date: NaiveDate,
    pub receiver: Receiver,
    /// Total minus the notas de crédito already issued (or queued) against it.
    pub remaining: Money,
}

/// DNI numbers AFIP accepts as DocTipo 96.
pub const DNI_RANGE: std::ops::RangeInclusive<u64> = 100_000..=99_999_999;

/// One line after parsing, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedItem {
    pub description: String,
    pub quantity_hundredths: i64,
    pub unit_price: Money,
    pub discount: Money,
    pub iva: Option<ItemIva>,
    /// quantity × price − discount, rounded half-even to the cent.
    pub amount: Money,
}

/// A new invoice that passed every local rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub invoice: Invoice,
    pub items: Vec<PreparedItem>,
    pub receiver_name: Option<String>,
    pub receiver_address: Option<String>,
}

/// The class an issuer with `issuer` condition gives a receiver with `receiver` condition.
pub fn voucher_class(issuer: IvaCondition, receiver: IvaCondition) -> VoucherClass {
    if issuer != IvaCondition::ResponsableInscripto {
        return VoucherClass::C;
    }
    if condition_allowed(VoucherClass::A, receiver) {
        VoucherClass::A
    } else {
        VoucherClass::B
    }
}

/// Parses a positive-or-zero amount with at most two decimals (quantities are hundredths).
fn amount(field: &str, s: &str, what: &str) -> Result<i64, FieldError> {
    let t = s.trim().replace(',', ".");
    if let Some((_, frac)) = t.split_once('.') {
        if frac.len() > 2 {
            return Err(FieldError::new(
                field,
                "AT_MOST_TWO_DECIMALS",
                format!("{what} admite como máximo dos decimales (escribiste «{s}»)."),
            ));
        }
    }
    Money::parse(&t).map(|m| m.cents()).map_err(|_| {
        FieldError::new(
            field,
            "NOT_A_NUMBER",
            format!("{what} tiene que ser un número (escribiste «{s}»)."),
        )
    })
}

fn cuit(field: &str, s: &str) -> Result<Cuit, FieldError> {
    Cuit::parse(s).map_err(|e| FieldError::new(field, "CUIT_INVALID", e.message_es()))
}

/// Checks `new` and builds the sendable invoice. `associated` is the invoice a note refers to
/// (looked up by the caller); `today` is Argentina's date.
pub fn prepare(
    new: &NewInvoice,
    issuer: &Issuer,
    settings: &InvoiceSettings,
    associated: Option<&AssociatedInfo>,
    today: NaiveDate,
) -> Result<Prepared, FieldError> {
    let date = new.date.unwrap_or(today);

    // Receiver: a note goes to whoever got the invoice.
    let receiver = match associated {
        Some(a) => a.receiver,
        None => {
            let r = &new.receiver;
            let doc = match &r.doc {
                ReceiverDocInput::ConsumidorFinal => ReceiverDoc::Anonymous,
                ReceiverDocInput::Cuit(s) => ReceiverDoc::Cuit(cuit("receiver.doc.number", s)?),
                ReceiverDocInput::Cuil(s) => ReceiverDoc::Cuil(cuit("receiver.doc.number", s)?),
                ReceiverDocInput::Dni(s) => {
                    let digits: String = s.chars().filter(|c| *c != '.').collect();
                    let n: u64 = digits.trim().parse().map_err(|_| {
                        FieldError::new(
                            "receiver.doc.number",
                            "DNI_INVALID",
                            format!("El DNI tiene que ser un número (escribiste «{s}»)."),
                        )
                    })?;
                    if !DNI_RANGE.contains(&n) {
                        return Err(FieldError::new(
                            "receiver.doc.number",
                            "DNI_RANGE",
                            format!(
                                "Un DNI va de {} a {}; {n} está fuera de ese rango.",
                                DNI_RANGE.start(),
                                DNI_RANGE.end()
                            ),
                        ));
                    }
                    ReceiverDoc::Dni(n as u32)
                }
            };
            if doc == ReceiverDoc::Anonymous && r.condition != IvaCondition::ConsumidorFinal {
                return Err(FieldError::new(
                    "receiver.doc",
                    "IDENTIFY_RECEIVER",
                    "Para un cliente que no es consumidor final, ingresá su CUIT.",
                ));
            }
            Receiver {
                doc,
                condition: r.condition,
            }
        }
    };

    let class = match associated {
        Some(a) => a.voucher_type.class,
        None => voucher_class(issuer.condition, receiver.condition),
    };
    let voucher_type = VoucherType::new(class, new.kind.voucher_kind());
    if voucher_type.is_note() && associated.is_none() {
        return Err(FieldError::new(
            "associated_invoice_id",
            "NOTE_WITHOUT_INVOICE",
            "Una nota de crédito o débito tiene que referirse a una factura autorizada.",
        ));
    }

    // Items.
    if new.items.is_empty() {
        return Err(FieldError::new(
            "items",
            "NO_ITEMS",
            "Agregá al menos un ítem.",
        ));
    }
    let mut items = Vec::with_capacity(new.items.len());
    let overflow = |field: String| {
        FieldError::new(field, "AMOUNT_TOO_LARGE", "El importe es demasiado grande.")
    };
    for (i, it) in new.items.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        if it.description.trim().is_empty() {
            return Err(FieldError::new(
                f("description"),
                "DESCRIPTION_EMPTY",
                "Escribí qué vendés en este ítem.",
            ));
        }
        let q = amount(&f("quantity"), &it.quantity, "La cantidad")?;
        if q <= 0 {
            return Err(FieldError::new(
                f("quantity"),
                "QUANTITY_POSITIVE",
                "La cantidad tiene que ser mayor que cero.",
            ));
        }
        let p = amount(&f("unit_price"), &it.unit_price, "El precio")?;
        if p <= 0 {
            return Err(FieldError::new(
                f("unit_price"),
                "PRICE_POSITIVE",
                "El precio tiene que ser mayor que cero.",
            ));
        }
        let d = match &it.discount {
            Some(s) if !s.trim().is_empty() => amount(&f("discount"), s, "El descuento")?,
            _ => 0,
        };
        if d < 0 {
            return Err(FieldError::new(
                f("discount"),
                "DISCOUNT_NEGATIVE",
                "El descuento no puede ser negativo.",
            ));
        }
        let gross = round_half_even_div(q as i128 * p as i128, 100)
            .ok_or_else(|| overflow(f("unit_price")))?;
        if d > gross {
            return Err(FieldError::new(
                f("discount"),
                "DISCOUNT_EXCEEDS_LINE",
                format!(
                    "El descuento ({}) es mayor que el ítem ({}).",
                    Money::from_cents(d),
                    Money::from_cents(gross)
                ),
            ));
        }
        match (class, it.iva) {
            (VoucherClass::C, Some(_)) => {
                return Err(FieldError::new(
                    f("iva"),
                    "CLASS_C_NO_IVA",
                    "Las facturas C no discriminan IVA: dejá el IVA del ítem vacío.",
                ))
            }
            (VoucherClass::A | VoucherClass::B, None) => {
                return Err(FieldError::new(
                    f("iva"),
                    "IVA_REQUIRED",
                    "Elegí la alícuota de IVA del ítem.",
                ))
            }
            _ => {}
        }
        items.push(PreparedItem {
            description: it.description.trim().to_owned(),
            quantity_hundredths: q,
            unit_price: Money::from_cents(p),
            discount: Money::from_cents(d),
            iva: it.iva,
            amount: Money::from_cents(gross - d),
        });
    }

    // Totals (crates/afip, integer cents).
    let amounts = if class == VoucherClass::C {
        let subtotal = Money::checked_sum(items.iter().map(|i| i.amount))
            .ok_or_else(|| overflow("items".into()))?;
        mostrador_afip::invoice::Amounts::class_c(subtotal, Vec::new())
    } else {
        let mut bases = Vec::new();
        let mut not_taxed = Money::ZERO;
        let mut exempt = Money::ZERO;
        for it in &items {
            let rate = match it.iva.expect("checked above") {
                ItemIva::Zero => IvaRate::Zero,
                ItemIva::TwoPointFive => IvaRate::TwoPointFive,
                ItemIva::Five => IvaRate::Five,
                ItemIva::TenPointFive => IvaRate::TenPointFive,
                ItemIva::TwentyOne => IvaRate::TwentyOne,
                ItemIva::TwentySeven => IvaRate::TwentySeven,
                ItemIva::Exento => {
                    exempt = exempt
                        .checked_add(it.amount)
                        .ok_or_else(|| overflow("items".into()))?;
                    continue;
                }
                ItemIva::NoGravado => {
                    not_taxed = not_taxed
                        .checked_add(it.amount)
                        .ok_or_else(|| overflow("items".into()))?;
                    continue;
                }
            };
            bases.push((rate, it.amount));
        }
        mostrador_afip::invoice::Amounts::compute(&bases, not_taxed, exempt, Vec::new())
    }
    .map_err(|e| afip_field_error(&e))?;

    // Concept.
    let concept = match new.concept.kind {
        ConceptKind::Products => Concept::Products,
        kind => {
            let c = &new.concept;
            let need = |d: Option<NaiveDate>, field: &str, what: &str| {
                d.ok_or_else(|| {
                    FieldError::new(
                        format!("concept.{field}"),
                        "SERVICE_DATES_REQUIRED",
                        format!("Para servicios indicá {what}."),
                    )
                })
            };
            let period = ServicePeriod {
                from: need(c.service_from, "service_from", "desde cuándo")?,
                to: need(c.service_to, "service_to", "hasta cuándo")?,
                payment_due: need(c.payment_due, "payment_due", "el vencimiento del pago")?,
            };
            if kind == ConceptKind::Services {
                Concept::Services(period)
            } else {
                Concept::ProductsAndServices(period)
            }
        }
    };

    // Currency.
    let currency = match &new.currency {
        None => Currency::pesos(),
        Some(c) if c.code.trim().eq_ignore_ascii_case("PES") => Currency::pesos(),
        Some(c) => {
            let rate = Rate::parse(c.rate.trim()).map_err(|_| {
                FieldError::new(
                    "currency.rate",
                    "RATE_INVALID",
                    format!(
                        "La cotización tiene que ser un número (escribiste «{}»).",
                        c.rate
                    ),
                )
            })?;
            if rate.millionths() <= 0 {
                return Err(FieldError::new(
                    "currency.rate",
                    "RATE_POSITIVE",
                    "La cotización tiene que ser mayor que cero.",
                ));
            }
            Currency::foreign(&c.code.trim().to_ascii_uppercase(), rate)
        }
    };

    // Notes: CbtesAsoc, and a credit never exceeds what is left of its invoice.
    let mut associated_vouchers = Vec::new();
    if let Some(a) = associated {
        if voucher_type.kind == mostrador_afip::invoice::VoucherKind::NotaCredito
            && amounts.total > a.remaining
        {
            return Err(FieldError::new(
                "items",
                "CREDIT_EXCEEDS_REMAINING",
                format!(
                    "La nota de crédito ({}) supera lo que queda de la factura ({}).",
                    amounts.total, a.remaining
                ),
            ));
        }
        associated_vouchers.push(AssociatedVoucher {
            voucher_type: a.voucher_type.code(),
            point_of_sale: a.point_of_sale,
            number: a.number,
            cuit: Some(issuer.cuit),
            date: Some(a.date),
        });
    }

    let draft = InvoiceDraft {
        voucher_type,
        point_of_sale: issuer.point_of_sale,
        date,
        concept,
        receiver,
        amounts,
        currency,
        associated: associated_vouchers,
    };
    let invoice = draft.validate(settings).map_err(|e| afip_field_error(&e))?;
    Ok(Prepared {
        invoice,
        items,
        receiver_name: clean(new.receiver.name.as_deref()),
        receiver_address: clean(new.receiver.address.as_deref()),
    })
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// crates/afip's rule, with the form field it concerns.
pub fn afip_field_error(e: &InvoiceError) -> FieldError {
    use InvoiceError as E;
    let (field, message) = match e {
        E::ReceiverMustBeIdentified { threshold, .. } => (
            "receiver.doc",
            format!("Desde {threshold} hay que identificar al consumidor final: ingresá su DNI, CUIL o CUIT."),
        ),
        E::ClassARequiresCuit(_) => ("receiver.doc", "Una factura A necesita el CUIT del cliente.".into()),
        E::ReceiverConditionNotAllowed { condition, voucher, .. } => (
            "receiver.condition",
            format!("Un cliente «{condition}» no puede recibir una {voucher}."),
        ),
        E::ServiceDatesOrder { .. } => (
            "concept.service_to",
            "El fin del período de servicio es anterior al inicio.".into(),
        ),
        E::CurrencyCode(_) | E::ForeignRateMissing | E::PesosRateNotOne(_) => {
            ("currency", format!("Revisá la moneda: {e}"))
        }
        E::PointOfSaleRange(_) => ("point_of_sale", "El punto de venta va de 1 a 99998.".into()),
        E::DateOutsideWindow { .. } | E::DateBeforeLast { .. } => ("date", format!("{e}")),
        _ => ("items", format!("Los importes no cumplen una regla de AFIP: {e}")),
    };
    FieldError::new(field, e.rule(), message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoicing::model::{ItemInput, ReceiverInput};

    fn issuer(condition: IvaCondition) -> Issuer {
        Issuer {
            cuit: Cuit::parse("20-26756539-3").unwrap(),
            condition,
            point_of_sale: 3,
        }
    }

    fn item(q: &str, p: &str, iva: Option<ItemIva>) -> ItemInput {
        ItemInput {
            description: "Yerba".into(),
            quantity: q.into(),
            unit_price: p.into(),
            discount: None,
            iva,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn run(new: &NewInvoice, cond: IvaCondition) -> Result<Prepared, FieldError> {
        prepare(
            new,
            &issuer(cond),
            &InvoiceSettings::default(),
            None,
            today(),
        )
    }

    #[test]
    fn class_follows_issuer_and_receiver_and_totals_are_cents() {
        let ri = IvaCondition::ResponsableInscripto;
        let new = NewInvoice::consumidor_final(vec![
            item("1.5", "100.10", Some(ItemIva::TwentyOne)),
            item("1", "50", Some(ItemIva::TenPointFive)),
        ]);
        let p = run(&new, ri).unwrap();
        assert_eq!(p.invoice.voucher_type, VoucherType::FACTURA_B);
        // 1.5 × 100.10 = 150.15; 21 % = 31.53 (half-even); 50 × 10.5 % = 5.25.
        assert_eq!(p.invoice.amounts.net.cents(), 20015);
        assert_eq!(p.invoice.amounts.iva_total.cents(), 3153 + 525);
        assert_eq!(p.invoice.amounts.total.cents(), 20015 + 3678);

        let mut to_ri = new.clone();
        to_ri.receiver = ReceiverInput {
            doc: ReceiverDocInput::Cuit("30-00000000-7".into()),
            condition: ri,
            name: Some("ACME".into()),
            address: None,
        };
        assert_eq!(
            run(&to_ri, ri).unwrap().invoice.voucher_type,
            VoucherType::FACTURA_A
        );

        let c = NewInvoice::consumidor_final(vec![item("2", "10", None)]);
        let p = run(&c, IvaCondition::Monotributo).unwrap();
        assert_eq!(p.invoice.voucher_type, VoucherType::FACTURA_C);
        assert_eq!(p.invoice.amounts.total.cents(), 2000);
        assert_eq!(p.invoice.receiver.condition.afip_id(), 5);
    }

    #[test]
    fn bad_input_is_refused_naming_the_field() {
        let mono = IvaCondition::Monotributo;
        let field = |new: NewInvoice| run(&new, mono).unwrap_err();

        let mut bad_cuit = NewInvoice::consumidor_final(vec![item("1", "10", None)]);
        bad_cuit.receiver = ReceiverInput {
            doc: ReceiverDocInput::Cuit("20-26756539-4".into()),
            condition: IvaCondition::ResponsableInscripto,
            name: None,
            address: None,
        };
        let e = field(bad_cuit);
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("receiver.doc.number", "CUIT_INVALID")
        );

        let mut dni = NewInvoice::consumidor_final(vec![item("1", "10", None)]);
        dni.receiver.doc = ReceiverDocInput::Dni("123".into());
        assert_eq!(field(dni).rule, "DNI_RANGE");

        let e = field(NewInvoice::consumidor_final(vec![
            item("1", "10", None),
            item("0", "10", None),
        ]));
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("items[1].quantity", "QUANTITY_POSITIVE")
        );
        let e = field(NewInvoice::consumidor_final(vec![item("1", "-3", None)]));
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("items[0].unit_price", "PRICE_POSITIVE")
        );
        let e = field(NewInvoice::consumidor_final(vec![item("1.005", "3", None)]));
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("items[0].quantity", "AT_MOST_TWO_DECIMALS")
        );
        let e = field(NewInvoice::consumidor_final(vec![item("1", "3.999", None)]));
        assert_eq!(e.rule, "AT_MOST_TWO_DECIMALS");

        let mut disc = item("2", "10", None);
        disc.discount = Some("20.01".into());
        let e = field(NewInvoice::consumidor_final(vec![disc]));
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("items[0].discount", "DISCOUNT_EXCEEDS_LINE")
        );

        // Identification threshold (a setting): a consumidor final over it must be identified.
        let big = NewInvoice::consumidor_final(vec![item("1", "500", None)]);
        let low = InvoiceSettings {
            identification_threshold: Money::units(100),
        };
        let e = prepare(&big, &issuer(mono), &low, None, today()).unwrap_err();
        assert_eq!(e.field, "receiver.doc");
        assert!(prepare(
            &big,
            &issuer(mono),
            &InvoiceSettings::default(),
            None,
            today()
        )
        .is_ok());
    }

    #[test]
    fn a_credit_note_cannot_exceed_what_is_left() {
        let mono = IvaCondition::Monotributo;
        let a = AssociatedInfo {
            voucher_type: VoucherType::FACTURA_C,
            point_of_sale: 3,
            number: 7,
            date: today(),
            receiver: Receiver::consumidor_final(),
            remaining: Money::units(15),
        };
        let mut nc = NewInvoice::consumidor_final(vec![item("1", "15.01", None)]);
        nc.kind = crate::invoicing::model::DocumentKind::NotaCredito;
        nc.associated_invoice_id = Some(1);
        let e = prepare(
            &nc,
            &issuer(mono),
            &InvoiceSettings::default(),
            Some(&a),
            today(),
        )
        .unwrap_err();
        assert_eq!(e.rule, "CREDIT_EXCEEDS_REMAINING");
        nc.items[0].unit_price = "15".into();
        let p = prepare(
            &nc,
            &issuer(mono),
            &InvoiceSettings::default(),
            Some(&a),
            today(),
        )
        .unwrap();
        assert_eq!(p.invoice.voucher_type.code(), 13);
        assert_eq!(p.invoice.associated[0].number, 7);
    }
}
