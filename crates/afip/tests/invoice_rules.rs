//! Invalid invoices fail locally, before any network call, with an error naming the rule.

use chrono::NaiveDate;
use mostrador_afip::invoice::*;
use mostrador_afip::{Cuit, IvaCondition};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()
}

fn factura_c() -> InvoiceDraft {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_C,
        point_of_sale: 2,
        date: date(),
        concept: Concept::Products,
        receiver: Receiver::consumidor_final(),
        amounts: Amounts::class_c(Money::from_cents(15000), vec![]).unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
}

fn factura_a() -> InvoiceDraft {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_A,
        point_of_sale: 2,
        date: date(),
        concept: Concept::Products,
        receiver: Receiver {
            doc: ReceiverDoc::Cuit(Cuit::parse("30-00000000-7").unwrap()),
            condition: IvaCondition::ResponsableInscripto,
        },
        amounts: Amounts::compute(
            &[
                (IvaRate::TwentyOne, Money::from_cents(10000)),
                (IvaRate::TenPointFive, Money::from_cents(3333)),
            ],
            Money::ZERO,
            Money::ZERO,
            vec![],
        )
        .unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
}

fn rule_of(d: &InvoiceDraft) -> &'static str {
    d.validate(&InvoiceSettings::default()).unwrap_err().rule()
}

#[test]
fn valid_drafts_pass() {
    factura_c().validate(&InvoiceSettings::default()).unwrap();
    factura_a().validate(&InvoiceSettings::default()).unwrap();
}

#[test]
fn class_c_with_iva_lines_is_refused() {
    let mut d = factura_c();
    // A "mixed" class C: IVA lines as if it were a class B.
    let b = Amounts::compute(
        &[(IvaRate::TwentyOne, Money::from_cents(10000))],
        Money::ZERO,
        Money::ZERO,
        vec![],
    )
    .unwrap();
    d.amounts = b;
    let err = d.validate(&InvoiceSettings::default()).unwrap_err();
    assert_eq!(err.rule(), "CLASS_C_NO_IVA");
    assert_eq!(err.afip_code(), Some(10071));
    assert!(err.to_string().contains("CLASS_C_NO_IVA"), "{err}");

    let mut d = factura_c();
    d.amounts.iva_total = Money::from_cents(2100);
    d.amounts.total = Money::from_cents(17100);
    assert_eq!(rule_of(&d), "CLASS_C_IVA_ZERO");

    let mut d = factura_c();
    d.amounts.exempt = Money::from_cents(100);
    assert_eq!(rule_of(&d), "CLASS_C_NO_EXEMPT");
}

#[test]
fn totals_off_by_one_cent_are_refused() {
    let mut d = factura_a();
    d.amounts.total = Money::from_cents(d.amounts.total.cents() + 1);
    let err = d.validate(&InvoiceSettings::default()).unwrap_err();
    assert_eq!(err.rule(), "TOTAL_MATCHES_PARTS");
    assert_eq!(err.afip_code(), Some(10048));

    let mut d = factura_a();
    d.amounts.iva_total = Money::from_cents(d.amounts.iva_total.cents() - 1);
    assert_eq!(rule_of(&d), "IVA_TOTAL_MATCHES_LINES");

    let mut d = factura_a();
    d.amounts.net = Money::from_cents(d.amounts.net.cents() + 1);
    assert_eq!(rule_of(&d), "NET_MATCHES_IVA_BASES");

    let mut d = factura_c();
    d.amounts.total = Money::from_cents(15001);
    assert_eq!(rule_of(&d), "TOTAL_MATCHES_PARTS");
}

#[test]
fn iva_line_must_match_its_rate() {
    let mut d = factura_a();
    d.amounts.iva[1].amount = Money::from_cents(d.amounts.iva[1].amount.cents() + 2);
    d.amounts.iva_total = Money::from_cents(d.amounts.iva_total.cents() + 2);
    d.amounts.total = Money::from_cents(d.amounts.total.cents() + 2);
    assert_eq!(rule_of(&d), "IVA_LINE_AMOUNT");
    // One cent off the exact product is AFIP's tolerance (IVA computed from gross prices).
    let mut d = factura_a();
    d.amounts.iva[1].amount = Money::from_cents(d.amounts.iva[1].amount.cents() + 1);
    d.amounts.iva_total = Money::from_cents(d.amounts.iva_total.cents() + 1);
    d.amounts.total = Money::from_cents(d.amounts.total.cents() + 1);
    d.validate(&InvoiceSettings::default()).unwrap();
}

#[test]
fn repeated_rate_is_refused() {
    let mut d = factura_a();
    let line = d.amounts.iva[1];
    d.amounts.iva.push(line);
    d.amounts.net = d.amounts.net.checked_add(line.base).unwrap();
    d.amounts.iva_total = d.amounts.iva_total.checked_add(line.amount).unwrap();
    d.amounts.total = Money::checked_sum([d.amounts.total, line.base, line.amount]).unwrap();
    assert_eq!(rule_of(&d), "IVA_RATE_REPEATED");
}

#[test]
fn receiver_condition_not_allowed_for_the_class() {
    // Consumidor final cannot receive a class A.
    let mut d = factura_a();
    d.receiver.condition = IvaCondition::ConsumidorFinal;
    let err = d.validate(&InvoiceSettings::default()).unwrap_err();
    assert_eq!(err.rule(), "RECEIVER_CONDITION_FOR_CLASS");
    assert_eq!(err.afip_code(), Some(10243));
    // A responsable inscripto cannot receive a class B.
    let mut d = factura_a();
    d.voucher_type = VoucherType::FACTURA_B;
    assert_eq!(rule_of(&d), "RECEIVER_CONDITION_FOR_CLASS");
    // Class C accepts every condition.
    let mut d = factura_c();
    d.receiver.condition = IvaCondition::ResponsableInscripto;
    d.validate(&InvoiceSettings::default()).unwrap();
}

#[test]
fn anonymous_consumer_over_the_threshold_is_refused() {
    let mut d = factura_c();
    d.amounts = Amounts::class_c(Money::units(10_000_000), vec![]).unwrap();
    assert_eq!(rule_of(&d), "RECEIVER_IDENTIFICATION_THRESHOLD");
    d.amounts = Amounts::class_c(Money::from_cents(999_999_999), vec![]).unwrap();
    d.validate(&InvoiceSettings::default()).unwrap();
    // Foreign currency is converted to ARS before comparing.
    d.currency = Currency::foreign("DOL", Rate::units(1000));
    d.amounts = Amounts::class_c(Money::units(10_000), vec![]).unwrap();
    assert_eq!(rule_of(&d), "RECEIVER_IDENTIFICATION_THRESHOLD");
}

#[test]
fn tributes_must_add_up_and_99_needs_a_description() {
    let mut d = factura_c();
    let t = Tribute {
        id: 99,
        description: String::new(),
        base: Money::units(150),
        rate: BasisPoints(300),
        amount: Money::from_cents(450),
    };
    d.amounts = Amounts::class_c(Money::units(150), vec![t.clone()]).unwrap();
    assert_eq!(rule_of(&d), "TRIBUTE_DESCRIPTION");
    d.amounts.tributes[0].description = "Tasa municipal".into();
    d.validate(&InvoiceSettings::default()).unwrap();
    d.amounts.tributes_total = Money::from_cents(449);
    assert_eq!(rule_of(&d), "TRIBUTES_TOTAL_MATCHES_LINES");
}

#[test]
fn point_of_sale_and_service_dates() {
    let mut d = factura_c();
    d.point_of_sale = 0;
    assert_eq!(rule_of(&d), "POINT_OF_SALE_RANGE");
    let mut d = factura_c();
    d.concept = Concept::Services(ServicePeriod {
        from: NaiveDate::from_ymd_opt(2025, 7, 31).unwrap(),
        to: NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
        payment_due: date(),
    });
    assert_eq!(rule_of(&d), "SERVICE_DATES_ORDER");
}

/// Issue 15 point 11: amounts too large to add up are a rule violation, not a panic (debug) or a
/// wrapped sum that happens to validate (release).
#[test]
fn amounts_that_overflow_are_refused_not_panicked_on() {
    let big = Money::from_cents(i64::MAX);
    let mut d = factura_a();
    d.amounts.not_taxed = big;
    assert_eq!(
        d.validate(&InvoiceSettings::default()).unwrap_err().rule(),
        "AMOUNT_OVERFLOW"
    );
    assert_eq!(
        Amounts::compute(
            &[(IvaRate::TwentyOne, big)],
            Money::ZERO,
            Money::ZERO,
            vec![]
        )
        .unwrap_err()
        .rule(),
        "AMOUNT_OVERFLOW"
    );
    assert_eq!(
        Amounts::class_c(
            big,
            vec![Tribute {
                id: 7,
                description: "IIBB".into(),
                base: big,
                rate: BasisPoints(300),
                amount: Money::from_cents(1),
            }]
        )
        .unwrap_err()
        .rule(),
        "AMOUNT_OVERFLOW"
    );
    // A foreign total that overflows once converted to pesos.
    let mut d = factura_c();
    d.receiver = Receiver::consumidor_final();
    d.currency = Currency::foreign("DOL", Rate::units(1_000_000));
    d.amounts = Amounts::class_c(Money::from_cents(i64::MAX / 2), vec![]).unwrap();
    assert_eq!(
        d.validate(&InvoiceSettings::default()).unwrap_err().rule(),
        "AMOUNT_OVERFLOW"
    );
}
