//! The Estado page on the real app, against the WhatsApp simulator on 127.0.0.1: a 5xx storm
//! opens the WhatsApp breaker and the card says so; a job that ended in the dead letter is sent
//! exactly once by "Reintentar". The test seeds the app's database (same file, WAL) and keychain
//! with core's APIs and enqueues sends the same way; the app's dispatcher picks them up.

mod support;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use fantoccini::Locator;
use mostrador_core::channels::whatsapp::{WhatsAppSend, WhatsAppSettings, ACCESS_TOKEN, KIND};
use mostrador_core::org::{self, NewOrganization};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::{Store, DB_FILE_NAME};
use mostrador_queue::{JobId, JobState, NewJob, Queue};
use mostrador_sandbox::whatsapp::{Fault, FaultKind, NewCustomer};
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};
use support::{screenshot, wait_for, wait_for_gone, wait_for_text, Driver, STEP_TIMEOUT};

const CUSTOMER: &str = "5491122334455";

/// The sends the simulator accepted for one job (its id is the callback data).
fn accepted_for(sandbox: &Sandbox, id: JobId) -> usize {
    sandbox
        .whatsapp
        .log_of("send_message")
        .iter()
        .filter(|e| e.request["biz_opaque_callback_data"].as_str() == Some(&id.to_string()))
        .count()
}

/// Waits (bounded) until the job is in `state`.
async fn wait_state(queue: &Queue, id: JobId, state: JobState) -> Result<()> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let job = queue.get(id).await?;
        if job.as_ref().map(|j| j.state) == Some(state) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("job {id} never got {}: {job:#?}", state.as_str());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn estado_shows_the_breaker_opening_and_retries_a_dead_letter_job() -> Result<()> {
    let data = tempfile::tempdir()?;
    let sandbox = Sandbox::start("127.0.0.1:0".parse()?).await?;
    sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    assert!(sandbox
        .whatsapp
        .set_last_inbound_age(CUSTOMER, Duration::from_secs(0)));

    // The app's own database and keychain entry, before it starts.
    let store = Store::open(&data.path().join(DB_FILE_NAME)).await?;
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco Don Pepe".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await?
    .id;
    let account = sandbox.whatsapp.account();
    WhatsAppSettings {
        phone_number_id: account.phone_number_id.clone(),
        waba_id: account.waba_id.clone(),
        base_url: Some(sandbox.graph_url()),
        graph_version: None,
    }
    .save(&store, org)
    .await?;
    SecretStore::default()
        .set(org, ACCESS_TOKEN, &Secret::new(account.access_token))
        .await?;
    let queue = Queue::builder(store.writer().clone())
        .reader(store.reader().clone())
        .build();
    let send = |body: &str| NewJob::new(org.0, KIND, &WhatsAppSend::text(CUSTOMER, body));

    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    wait_for(&app, "#nav-estado").await?.click().await?;
    wait_for_text(&app, "#health-whats_app .breaker", "Cerrado").await?;

    // A send Meta refuses for good (131047: outside the 24 h window) lands in the dead letter,
    // with the error explained in Spanish.
    sandbox.whatsapp.inject(
        Fault::new(FaultKind::GraphError {
            code: 131047,
            subcode: None,
            http_status: Some(400),
            details: None,
            retry_after: None,
        })
        .on_path("/messages"),
    );
    let dead = queue.enqueue(&send("Tu pedido está listo")?).await?.id();
    let row = format!("#dead-{dead}");
    let text = wait_for_text(&app, &row, "131047").await?;
    assert!(text.contains("Intento 1"), "{text}");
    wait_state(&queue, dead, JobState::Discarded).await?;
    assert_eq!(accepted_for(&sandbox, dead), 0);

    // The fault is gone; "Reintentar" sends it, once.
    sandbox.whatsapp.clear_faults();
    app.find(Locator::Css(&format!("#dead-retry-{dead}")))
        .await?
        .click()
        .await?;
    wait_state(&queue, dead, JobState::Completed).await?;
    wait_for_gone(&app, &row).await?;
    assert_eq!(
        accepted_for(&sandbox, dead),
        1,
        "Reintentar must send the job exactly once"
    );
    wait_for_text(&app, "#dead-letter", "No hay mensajes sin enviar").await?;

    // An auth failure (190) pauses WhatsApp at once (panic mode): the red banner with its reason,
    // then "Reanudar envíos" lets the waiting send go out, once.
    sandbox.whatsapp.inject(
        Fault::new(FaultKind::GraphError {
            code: 190,
            subcode: None,
            http_status: Some(401),
            details: None,
            retry_after: None,
        })
        .on_path("/messages"),
    );
    let paused = queue.enqueue(&send("Tu turno es mañana")?).await?.id();
    let banner = wait_for_text(&app, "#panic-banner", "pausados").await?;
    assert!(banner.contains("Reanudar envíos"), "{banner}");
    wait_for_text(&app, "#health-whats_app .panic-state", "Activado").await?;
    screenshot(&app, "estado-panic").await?;
    wait_for(&app, "#resume-whats_app").await?.click().await?;
    wait_for_gone(&app, "#panic-banner").await?;
    wait_for_text(&app, "#panic-history", "por vos").await?;
    wait_state(&queue, paused, JobState::Completed).await?;
    assert_eq!(accepted_for(&sandbox, paused), 1);

    // A 5xx storm: five failures open the WhatsApp breaker, and the card says so.
    sandbox.whatsapp.inject(
        Fault::new(FaultKind::HttpStatus { status: 503 })
            .times(100)
            .on_path("/messages"),
    );
    for n in 0..6 {
        queue
            .enqueue(&send(&format!("Aviso {n}"))?.max_attempts(1))
            .await?;
    }
    let breaker = wait_for_text(&app, "#health-whats_app .breaker", "Abierto").await?;
    assert!(breaker.contains("pausado por fallas"), "{breaker}");
    let card = wait_for_text(&app, "#health-whats_app", "Sin servicio").await?;
    // A 5xx on a send may have been accepted by Meta (no idempotency key): in doubt, not retried.
    assert!(
        card.contains("maybe_sent"),
        "the card shows the last error: {card}"
    );
    // Those sends are in doubt but still within the wait for WhatsApp's status: the list says so.
    wait_for_text(
        &app,
        "#doubt-awaiting",
        "esperan la confirmación de WhatsApp",
    )
    .await?;
    screenshot(&app, "estado-breaker-open").await?;
    assert_eq!(
        accepted_for(&sandbox, dead),
        1,
        "nothing sent the retried job again"
    );
    app.close().await?;
    Ok(())
}
