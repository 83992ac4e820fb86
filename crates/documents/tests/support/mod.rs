//! Sample invoices shared by the tests and the bench.
#![allow(dead_code)]

use chrono::NaiveDate;
use mostrador_afip::invoice::{Amounts, Currency, IvaRate, ReceiverDoc, VoucherType};
use mostrador_afip::qr::{AuthorizationKind, DEFAULT_QR_URL};
use mostrador_documents::{
    Authorization, Customer, InvoiceDocument, Issuer, Line, LineIva, Quantity,
};
use mostrador_types::{Cuit, IvaCondition, Money};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn issuer() -> Issuer {
    Issuer {
        cuit: Cuit::from_prefix(2_012_345_678).expect("a valid CUIT prefix"),
        legal_name: "Pérez Juan Ignacio".into(),
        trade_name: Some("Almacén Don Juan".into()),
        address: "Av. Corrientes 1234, CABA (C1043AAZ)".into(),
        iva_condition: IvaCondition::ResponsableInscripto,
        iibb: "901-123456-7".into(),
        activity_start: d(2015, 3, 1),
        logo: None,
    }
}

/// Factura B to an anonymous consumidor final: prices with IVA, the Ley 27.743 block.
pub fn factura_b() -> InvoiceDocument {
    // 2 × $605,00 (21 % included: base 1.000,00) + 1 × $110,50 (10,5 %: base 100,00).
    let amounts = Amounts::compute(
        &[
            (IvaRate::TwentyOne, Money::units(1000)),
            (IvaRate::TenPointFive, Money::units(100)),
        ],
        Money::ZERO,
        Money::ZERO,
        vec![],
    )
    .unwrap();
    InvoiceDocument {
        issuer: issuer(),
        voucher_type: VoucherType::FACTURA_B,
        point_of_sale: 3,
        number: 1842,
        date: d(2026, 11, 29),
        customer: Customer {
            doc: ReceiverDoc::Anonymous,
            iva_condition: IvaCondition::ConsumidorFinal,
            name: String::new(),
            address: None,
        },
        lines: vec![
            Line {
                description: "Yerba mate Playadito 1 kg con palo, paquete de papel".into(),
                quantity: Quantity::units(2),
                unit_price: Money::units(605),
                discount: Money::ZERO,
                iva: LineIva::Rate(IvaRate::TwentyOne),
                subtotal: Money::units(1210),
            },
            Line {
                description: "Pan francés".into(),
                quantity: Quantity(1000),
                unit_price: Money::from_cents(11_050),
                discount: Money::ZERO,
                iva: LineIva::Rate(IvaRate::TenPointFive),
                subtotal: Money::from_cents(11_050),
            },
        ],
        amounts,
        currency: Currency::pesos(),
        service: None,
        authorization: Authorization {
            kind: AuthorizationKind::Cae,
            code: 76_123_456_789_012,
            due: d(2026, 12, 9),
        },
        qr_base_url: DEFAULT_QR_URL.into(),
    }
}

/// Factura A to a responsable inscripto: net prices, IVA itemized.
pub fn factura_a() -> InvoiceDocument {
    let amounts = Amounts::compute(
        &[(IvaRate::TwentyOne, Money::from_cents(1_234_567))],
        Money::ZERO,
        Money::ZERO,
        vec![],
    )
    .unwrap();
    let mut doc = factura_b();
    doc.voucher_type = VoucherType::FACTURA_A;
    doc.number = 77;
    doc.customer = Customer {
        doc: ReceiverDoc::Cuit(Cuit::from_prefix(3_071_234_567).expect("a valid CUIT prefix")),
        iva_condition: IvaCondition::ResponsableInscripto,
        name: "Distribuidora Ñandú S.R.L.".into(),
        address: Some("Calle 7 N° 456, La Plata".into()),
    };
    doc.lines = vec![Line {
        description: "Servicio de mantenimiento mensual".into(),
        quantity: Quantity(1500),
        unit_price: Money::from_cents(823_045),
        discount: Money::from_cents(1),
        iva: LineIva::Rate(IvaRate::TwentyOne),
        subtotal: Money::from_cents(1_234_567),
    }];
    doc.amounts = amounts;
    doc.authorization.code = 75_000_000_000_099;
    doc
}

/// A Factura B with `n` lines (pagination and the bench).
pub fn long_factura_b(n: usize) -> InvoiceDocument {
    let mut doc = factura_b();
    let line = doc.lines[1].clone();
    doc.lines = (0..n)
        .map(|i| Line {
            description: format!("Artículo de prueba número {i}"),
            ..line.clone()
        })
        .collect();
    doc
}
