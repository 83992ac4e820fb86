//! Padrón lookup (ws_sr_constancia_inscripcion getPersona_v2) against the simulator over real
//! HTTP: fills name, address and IVA condition; cached; never blocks a sale when AFIP is down.

mod invoicing_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use invoicing_support::*;
use mostrador_core::invoicing::model::{ReceiverDocInput, ReceiverInput};
use mostrador_core::invoicing::padron::{Lookup, PadronLookup};
use mostrador_core::invoicing::{InvoiceState, Tickets};
use mostrador_queue::Clock;
use mostrador_sandbox::afip::padron::PadronPersona;
use mostrador_sandbox::afip::Fault;
use mostrador_types::{Cuit, IvaCondition};

#[test]
fn lookup_fills_the_receiver_is_cached_and_never_blocks_a_sale() {
    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(1));
    fx.sim.authorize_service("ws_sr_constancia_inscripcion");
    fx.sim.add_persona(PadronPersona {
        cuit: 30_000_000_007,
        name: "ACME SA".into(),
        first_name: None,
        juridica: true,
        active: true,
        address: "AV SIEMPRE VIVA 742".into(),
        locality: "CABA".into(),
        postal_code: "1000".into(),
        province: "CIUDAD AUTONOMA BUENOS AIRES".into(),
        taxes: vec![30],
        monotributo_category: None,
    });
    let sandbox = serve(&net, &fx.sim, 0);
    let engine = Engine::start(&fx, &sandbox.afip_url());
    let clock: Arc<dyn Clock> = Arc::new(SimClock(fx.sim.clone()));
    // The setups live in the engine's Invoicing; build a lookup on the same wiring.
    let setups = engine.setups.clone();
    let lookup = PadronLookup::new(
        engine.store.clone(),
        setups,
        Arc::new(Tickets::padron(fx.secrets.clone())),
        clock,
        Duration::from_secs(1),
    );
    let acme = Cuit::parse("30-00000000-7").unwrap();

    let found = engine.rt.block_on(lookup.lookup(fx.org, acme)).unwrap();
    let Lookup::Found {
        taxpayer,
        from_cache,
    } = found
    else {
        panic!("{found:?}")
    };
    assert!(!from_cache);
    assert_eq!(taxpayer.name, "ACME SA");
    assert_eq!(taxpayer.iva_condition, IvaCondition::ResponsableInscripto);
    assert!(taxpayer.address.unwrap().contains("AV SIEMPRE VIVA 742"));

    // An unknown CUIT.
    let other = Cuit::parse("20-26756539-3").unwrap();
    assert_eq!(
        engine.rt.block_on(lookup.lookup(fx.org, other)).unwrap(),
        Lookup::NotFound
    );

    // AFIP down (hangs): the cached one answers at once, a new one gives up within the bound.
    fx.sim.inject(mostrador_sandbox::afip::FaultRule {
        operation: Some("getPersona_v2".into()),
        fault: Fault::Hang,
        times: 10,
    });
    let t = Instant::now();
    let cached = engine.rt.block_on(lookup.lookup(fx.org, acme)).unwrap();
    assert!(
        matches!(
            cached,
            Lookup::Found {
                from_cache: true,
                ..
            }
        ),
        "{cached:?}"
    );
    assert!(t.elapsed() < Duration::from_millis(500));
    let unknown = Cuit::parse("20-11111111-2").unwrap();
    let t = Instant::now();
    let down = engine.rt.block_on(lookup.lookup(fx.org, unknown)).unwrap();
    assert!(
        matches!(down, Lookup::Unavailable { cached: None, .. }),
        "{down:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());

    // The sale goes on with typed data: a Factura C to that CUIT is authorized.
    let mut sale = sale(12_345, None);
    sale.receiver = ReceiverInput {
        doc: ReceiverDocInput::Cuit("20-11111111-2".into()),
        condition: IvaCondition::ResponsableInscripto,
        name: Some("Cliente tipeado".into()),
        address: None,
    };
    let id = engine.create(fx.org, sale);
    engine.wait_one(id, Duration::from_secs(30), "authorized", |s, _, _| {
        s == InvoiceState::Authorized
    });
    engine.stop();
}
