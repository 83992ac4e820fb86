use super::*;
use mostrador_types::{Cuit, IvaCondition};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()
}

fn factura_b() -> InvoiceDraft {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_B,
        point_of_sale: 3,
        date: day(),
        concept: Concept::Products,
        receiver: Receiver::consumidor_final(),
        amounts: Amounts::compute(
            &[(IvaRate::TwentyOne, Money::units(100))],
            Money::ZERO,
            Money::ZERO,
            vec![],
        )
        .unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
}

#[test]
fn a_computed_factura_b_is_valid() {
    let inv = factura_b().validate(&InvoiceSettings::default()).unwrap();
    assert_eq!(inv.amounts.total, Money::units(121));
}

#[test]
fn threshold_is_a_setting() {
    let settings = InvoiceSettings {
        identification_threshold: Money::units(100),
    };
    let err = factura_b().validate(&settings).unwrap_err();
    assert_eq!(err.rule(), "RECEIVER_IDENTIFICATION_THRESHOLD");
    let mut d = factura_b();
    d.receiver.doc = ReceiverDoc::Dni(30_123_456);
    assert!(d.validate(&settings).is_ok());
}

#[test]
fn notes_need_associated_vouchers_of_their_class() {
    let mut d = factura_b();
    d.voucher_type = VoucherType::new(VoucherClass::B, VoucherKind::NotaCredito);
    assert_eq!(
        d.validate(&InvoiceSettings::default()).unwrap_err().rule(),
        "NOTE_REQUIRES_ASSOCIATED"
    );
    d.associated.push(AssociatedVoucher {
        voucher_type: 1,
        point_of_sale: 3,
        number: 7,
        cuit: None,
        date: None,
    });
    assert_eq!(
        d.validate(&InvoiceSettings::default()).unwrap_err().rule(),
        "ASSOCIATED_VOUCHER_CLASS"
    );
    d.associated[0].voucher_type = 6;
    assert!(d.validate(&InvoiceSettings::default()).is_ok());
}

#[test]
fn class_a_needs_a_cuit_receiver() {
    let mut d = factura_b();
    d.voucher_type = VoucherType::FACTURA_A;
    d.receiver = Receiver {
        doc: ReceiverDoc::Dni(30_123_456),
        condition: IvaCondition::ResponsableInscripto,
    };
    assert_eq!(
        d.validate(&InvoiceSettings::default()).unwrap_err().rule(),
        "CLASS_A_REQUIRES_CUIT"
    );
    d.receiver.doc = ReceiverDoc::Cuit(Cuit::parse("30-00000000-7").unwrap());
    assert!(d.validate(&InvoiceSettings::default()).is_ok());
}

#[test]
fn pesos_rate_must_be_one() {
    let mut d = factura_b();
    d.currency.rate = Rate::units(2);
    assert_eq!(
        d.validate(&InvoiceSettings::default()).unwrap_err().rule(),
        "PES_RATE_IS_ONE"
    );
}

#[test]
fn the_date_is_checked_against_the_window_and_the_last_invoice() {
    let d = factura_b(); // products, dated day()
    let today = day();
    assert!(d.check_date(today, None).is_ok());
    assert!(d
        .check_date(today + chrono::Duration::days(5), None)
        .is_ok());
    let err = d
        .check_date(today + chrono::Duration::days(6), None)
        .unwrap_err();
    assert_eq!(err.rule(), "DATE_WINDOW");
    assert_eq!(err.afip_code(), Some(10016));
    assert!(d
        .check_date(today - chrono::Duration::days(5), None)
        .is_ok());
    assert_eq!(
        d.check_date(today - chrono::Duration::days(6), None)
            .unwrap_err()
            .rule(),
        "DATE_WINDOW"
    );
    // Services: ±10.
    let mut s = factura_b();
    s.concept = Concept::Services(ServicePeriod {
        from: day(),
        to: day(),
        payment_due: day(),
    });
    assert!(s
        .check_date(today + chrono::Duration::days(10), None)
        .is_ok());
    assert!(s
        .check_date(today - chrono::Duration::days(10), None)
        .is_ok());
    assert!(s
        .check_date(today - chrono::Duration::days(11), None)
        .is_err());
    // Never earlier than the last authorized invoice of the type and point of sale.
    let later = day() + chrono::Duration::days(1);
    let err = d.check_date(today, Some(later)).unwrap_err();
    assert_eq!(err.rule(), "DATE_NOT_BEFORE_LAST");
    assert_eq!(err.afip_code(), Some(10016));
    assert!(d.check_date(today, Some(day())).is_ok());
}

mod computed_amounts_always_validate {
    use super::*;
    use proptest::prelude::*;

    fn rate() -> impl Strategy<Value = IvaRate> {
        prop::sample::select(IvaRate::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn class_a_b(lines in prop::collection::vec((rate(), 0i64..100_000_000), 1..8),
                     not_taxed in 0i64..1_000_000, exempt in 0i64..1_000_000) {
            let bases: Vec<(IvaRate, Money)> =
                lines.iter().map(|(r, c)| (*r, Money::from_cents(*c))).collect();
            let mut d = factura_b();
            d.receiver.doc = ReceiverDoc::Dni(30_123_456);
            d.amounts = Amounts::compute(&bases, Money::from_cents(not_taxed), Money::from_cents(exempt), vec![]).unwrap();
            prop_assert!(d.validate(&InvoiceSettings::default()).is_ok());
            // One cent off the total is always caught.
            d.amounts.total = Money::from_cents(d.amounts.total.cents() + 1);
            prop_assert_eq!(d.validate(&InvoiceSettings::default()).unwrap_err().rule(), "TOTAL_MATCHES_PARTS");
        }
    }
}
