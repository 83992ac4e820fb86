//! Everything the simulator remembers.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate};
use openssl::x509::X509;
use serde::Serialize;

use super::clock::SimClock;
use super::faults::FaultRule;
use super::soap::FEV1_NS;
use super::xml::Element;

/// A ticket WSAA issued (kept to answer `coe.alreadyAuthenticated` and to check WSFE's Auth).
#[derive(Debug, Clone)]
pub struct IssuedTicket {
    pub service: String,
    pub sign: String,
    pub generation: DateTime<FixedOffset>,
    pub expiration: DateTime<FixedOffset>,
    /// CUITs the ticket may represent (frozen at issue time, like AFIP's token relations).
    pub relations: Vec<u64>,
}

/// An invoice WSFE authorized (or that a "foreign" system issued on the same point of sale).
#[derive(Debug, Clone, Serialize)]
pub struct StoredInvoice {
    pub cuit: u64,
    pub point_of_sale: u32,
    pub voucher_type: u16,
    pub number: u64,
    pub date: NaiveDate,
    pub concept: u8,
    pub doc_tipo: u8,
    pub doc_nro: u64,
    /// `ImpTotal` as AFIP keeps it (a double).
    pub total: f64,
    pub cae: String,
    pub cae_due: NaiveDate,
    /// `yyyymmddhhmiss`.
    pub processed_at: String,
    /// Issued by another system (fault injection), not through this request path.
    pub foreign: bool,
    /// The authorization's `Observaciones` (FECompConsultar repeats them).
    pub observations: Vec<(i64, String)>,
    /// The `FECAEDetRequest` as received, echoed by FECompConsultar.
    #[serde(skip)]
    pub detail: Element,
    /// `EmisionTipo`: `CAE`, or `CAEA` for an invoice informed with FECAEARegInformativo.
    pub emission: &'static str,
}

/// What [`super::AfipSim::restore_invoice`] needs of an invoice an earlier run stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredInvoice {
    pub cuit: u64,
    pub point_of_sale: u32,
    pub voucher_type: u16,
    pub number: u64,
    pub date: NaiveDate,
    /// The CAE, or the CAEA it was informed with.
    pub code: String,
    pub code_due: NaiveDate,
    /// `CAE` or `CAEA`.
    pub emission: &'static str,
}

/// Key of the numbering sequences and the invoice store: (CUIT, PtoVta, CbteTipo).
pub type SeqKey = (u64, u32, u16);

pub struct State {
    pub clock: SimClock,
    pub trusted_cas: Vec<X509>,
    /// Services certificates may log in to.
    pub authorized_services: BTreeSet<String>,
    /// Latest ticket per (CUIT, service).
    pub issued: HashMap<(u64, String), IssuedTicket>,
    /// Ticket by token.
    pub tokens: HashMap<String, IssuedTicket>,
    pub invoices: BTreeMap<(SeqKey, u64), StoredInvoice>,
    pub faults: Vec<FaultRule>,
    /// Registered web-service points of sale; `None` = every valid number is registered.
    pub points_of_sale: Option<BTreeSet<u32>>,
    /// Points of sale listed as CAEA (contingency) ones by FEParamGetPtosVenta.
    pub caea_points_of_sale: BTreeSet<u32>,
    /// CUITs missing from the padrón (10015).
    pub unregistered_cuits: BTreeSet<u64>,
    /// Final consumers at or above this total (ARS cents) must be identified (10015).
    pub identification_threshold_cents: i64,
    /// `FECompTotXRequest`.
    pub max_records: u32,
    pub cae_counter: u64,
    /// `Events/Evt` added to every WSFE answer (AFIP announces maintenance this way).
    pub events: Vec<(i64, String)>,
    /// The simulated padrón (ws_sr_constancia_inscripcion), by CUIT.
    pub personas: BTreeMap<u64, super::padron::PadronPersona>,
    pub caea: super::caea::CaeaBook,
}

impl Default for State {
    fn default() -> Self {
        State {
            clock: SimClock::default(),
            trusted_cas: Vec::new(),
            authorized_services: ["wsfe".to_owned()].into_iter().collect(),
            issued: HashMap::new(),
            tokens: HashMap::new(),
            invoices: BTreeMap::new(),
            faults: Vec::new(),
            points_of_sale: None,
            caea_points_of_sale: BTreeSet::new(),
            unregistered_cuits: BTreeSet::new(),
            identification_threshold_cents: 1_000_000_000,
            max_records: 250,
            cae_counter: 0,
            events: Vec::new(),
            personas: BTreeMap::new(),
            caea: Default::default(),
        }
    }
}

impl State {
    /// Last authorized number (0 when none) and its date.
    pub fn last(&self, key: SeqKey) -> Option<&StoredInvoice> {
        self.invoices
            .range((key, 0)..=(key, u64::MAX))
            .next_back()
            .map(|(_, v)| v)
    }

    /// A fresh 14-digit CAE.
    pub fn next_cae(&mut self) -> String {
        self.cae_counter += 1;
        format!("{}", 75_000_000_000_000u64 + self.cae_counter * 7919)
    }

    pub fn restore(&mut self, r: RestoredInvoice) {
        let key = (r.cuit, r.point_of_sale, r.voucher_type);
        let processed_at = self
            .clock
            .now()
            .with_timezone(&super::argentina())
            .format("%Y%m%d%H%M%S")
            .to_string();
        self.invoices.insert(
            (key, r.number),
            StoredInvoice {
                cuit: r.cuit,
                point_of_sale: r.point_of_sale,
                voucher_type: r.voucher_type,
                number: r.number,
                date: r.date,
                concept: 1,
                doc_tipo: 99,
                doc_nro: 0,
                total: 1.0,
                cae: r.code,
                cae_due: r.code_due,
                processed_at,
                foreign: false,
                observations: Vec::new(),
                detail: foreign_detail(r.number, r.date),
                emission: r.emission,
            },
        );
    }

    /// Another system takes the next number of `key` (shared point of sale).
    pub fn insert_foreign(&mut self, key: SeqKey) -> u64 {
        let now = self.clock.now().with_timezone(&super::argentina());
        let number = self.last(key).map_or(0, |l| l.number) + 1;
        let date = now.date_naive();
        let cae = self.next_cae();
        let stored = StoredInvoice {
            cuit: key.0,
            point_of_sale: key.1,
            voucher_type: key.2,
            number,
            date,
            concept: 1,
            doc_tipo: 99,
            doc_nro: 0,
            total: 1.0,
            cae,
            cae_due: date + chrono::Duration::days(10),
            processed_at: now.format("%Y%m%d%H%M%S").to_string(),
            foreign: true,
            observations: Vec::new(),
            detail: foreign_detail(number, date),
            emission: "CAE",
        };
        self.invoices.insert((key, number), stored);
        number
    }
}

fn foreign_detail(number: u64, date: NaiveDate) -> Element {
    let leaf = |name: &str, text: String| Element::leaf(FEV1_NS, name, text);
    Element {
        ns: Some(FEV1_NS.into()),
        name: "FECAEDetRequest".into(),
        text: String::new(),
        children: vec![
            leaf("Concepto", "1".into()),
            leaf("DocTipo", "99".into()),
            leaf("DocNro", "0".into()),
            leaf("CbteDesde", number.to_string()),
            leaf("CbteHasta", number.to_string()),
            leaf("CbteFch", date.format("%Y%m%d").to_string()),
            leaf("ImpTotal", "1".into()),
            leaf("ImpTotConc", "0".into()),
            leaf("ImpNeto", "1".into()),
            leaf("ImpOpEx", "0".into()),
            leaf("ImpTrib", "0".into()),
            leaf("ImpIVA", "0".into()),
            leaf("MonId", "PES".into()),
            leaf("MonCotiz", "1".into()),
            leaf("CondicionIVAReceptorId", "5".into()),
        ],
    }
}
