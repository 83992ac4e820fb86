//! The composer's API over the whole pipeline on real HTTP: a fake customer writes through the
//! simulator → relay → processor; the owner answers with `conversations::send`; the real outbound
//! engine sends to the simulator, whose status webhooks come back through the relay and move the
//! ticks. Needs a keychain (run under `dbus-run-session`, see COMMON.md / scripts/test).

mod conversations_support;
mod outbound_support;

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::conversations::{
    self, ComposeError, ListFilter, MessageStatus, MessageView, Outgoing, SendRequest,
};
use mostrador_core::customers;
use mostrador_core::error::{AppError, ErrorCode};
use mostrador_core::events::ConversationEvent;
use mostrador_core::outbound::{Outbound, Wiring};
use mostrador_sandbox::whatsapp::{Fault, FaultKind};
use serde_json::json;
use tokio::sync::broadcast;

const JUANA: &str = "5491155550001";

struct World {
    p: conversations_support::Pipeline,
    engine: Arc<Outbound>,
}

/// The pipeline with WhatsApp sending to the simulator and the engine announcing on the same bus.
async fn world() -> World {
    let p = conversations_support::pipeline().await;
    outbound_support::configure_whatsapp(&p.store, &p.secrets, p.org, &p.sandbox, true).await;
    p.customer(JUANA, "Juana");
    let mut wiring = Wiring::new(p.secrets.clone(), ActivityGate::new());
    wiring.events = Some(p.events.clone());
    let engine = Arc::new(
        Outbound::start(p.store.clone(), wiring, outbound_support::fast_config())
            .await
            .unwrap(),
    );
    World { p, engine }
}

impl World {
    /// Juana writes; returns her conversation and the message's id.
    async fn juana_writes(&mut self, body: &str) -> (i64, i64) {
        self.p
            .customer_sends(JUANA, json!({"type":"text","text":{"body": body}}))
            .await;
        let c = self.p.only_conversation().await;
        let last = self.p.thread(c).await.last().unwrap().id;
        (c, last)
    }

    fn text(&self, conversation_id: i64, key: &str, body: &str) -> SendRequest {
        SendRequest {
            conversation_id,
            client_key: key.into(),
            content: Outgoing::Text { body: body.into() },
            reply_to_message_id: None,
        }
    }

    async fn send(&self, req: &SendRequest) -> Result<MessageView, ComposeError> {
        conversations::send(
            &self.p.store,
            self.engine.queue(),
            &self.p.events,
            self.p.org,
            req,
        )
        .await
    }

    async fn jobs(&self) -> i64 {
        self.p
            .count("SELECT count(*) FROM jobs WHERE kind = 'whatsapp.send'")
            .await
    }

    async fn stop(self) {
        self.engine.shutdown().await;
        let _ = self
            .p
            .secrets
            .delete(self.p.org, mostrador_core::channels::whatsapp::ACCESS_TOKEN)
            .await;
        self.p.stop().await;
    }
}

/// Waits (bounded) for the message's status to reach `want` by events, never by polling.
async fn wait_status(
    rx: &mut broadcast::Receiver<ConversationEvent>,
    message_id: i64,
    want: MessageStatus,
) -> (Option<i64>, Option<String>) {
    let f = async {
        loop {
            match rx.recv().await {
                Ok(ConversationEvent::StatusChanged {
                    message_id: m,
                    status,
                    error_code,
                    error_reason,
                    ..
                }) if m == message_id && status == want => return (error_code, error_reason),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event bus closed: {e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("message {message_id} never reached {want:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_moves_up_to_read_and_a_double_click_sends_once() {
    let mut w = world().await;
    let (c, inbound) = w.juana_writes("Hola, ¿tienen pan?").await;
    let mut rx = w.p.events.subscribe();

    // Opening it: read locally and one read receipt, however often it is opened.
    let before = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.unread_count, 1);
    assert!(before.window_open_until.is_some() && before.window_closed_at.is_none());
    assert!(
        conversations::open(&w.p.store, Some(w.engine.queue()), &w.p.events, w.p.org, c)
            .await
            .unwrap()
    );
    assert!(
        !conversations::open(&w.p.store, Some(w.engine.queue()), &w.p.events, w.p.org, c)
            .await
            .unwrap()
    );
    let after = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.unread_count, 0);

    // A double click: the same key twice at once.
    let mut req = w.text(c, "k-1", "Sí, hasta las 20");
    req.reply_to_message_id = Some(inbound);
    let (a, b) = tokio::join!(w.send(&req), w.send(&req));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.id, b.id);
    assert_eq!(a.status, MessageStatus::Pending);
    assert!(a.reply_to_provider_id.is_some());
    // And the command retried later (e.g. after a restart of the UI): still the same message.
    assert_eq!(w.send(&req).await.unwrap().id, a.id);
    assert_eq!(
        w.p.count("SELECT count(*) FROM messages WHERE direction = 'out'")
            .await,
        1
    );

    wait_status(&mut rx, a.id, MessageStatus::Sent).await;
    wait_status(&mut rx, a.id, MessageStatus::Read).await;
    let thread = w.p.thread(c).await;
    let mine = thread.iter().find(|m| m.id == a.id).unwrap();
    assert_eq!(mine.status, MessageStatus::Read);
    assert!(mine.provider_id.is_some());
    let sends = w.p.sandbox.whatsapp.log_of("send_message");
    assert_eq!(sends.len(), 1, "one message reached WhatsApp");
    assert_eq!(
        sends[0].request["context"]["message_id"],
        mine.reply_to_provider_id.as_deref().unwrap()
    );
    assert_eq!(w.p.sandbox.whatsapp.log_of("mark_read").len(), 1);
    let list = conversations::list_page(&w.p.store, w.p.org, &ListFilter::All, None, 10)
        .await
        .unwrap();
    assert_eq!(
        list.conversations[0].last_message_preview.as_deref(),
        Some("Sí, hasta las 20")
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_window_is_refused_in_core_with_her_name_and_nothing_is_written() {
    let mut w = world().await;
    let (c, _) = w.juana_writes("¿Abren mañana?").await;
    // Her message was 25 h ago.
    let old =
        mostrador_core::store::timestamp::to_text(chrono::Utc::now() - chrono::Duration::hours(25));
    sqlx::query("UPDATE conversations SET last_inbound_at = ? WHERE id = ?")
        .bind(&old)
        .bind(c)
        .execute(w.p.store.writer())
        .await
        .unwrap();
    let summary = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.window_open_until, None);
    assert!(summary.window_closed_at.is_some());
    let jobs = w.jobs().await;
    let err = w.send(&w.text(c, "k-late", "Sí")).await.unwrap_err();
    assert!(
        matches!(&err, ComposeError::WindowClosed { customer_name, closed_at: Some(_) } if customer_name == "Juana"),
        "{err:?}"
    );
    let app = AppError::from(err);
    assert_eq!(app.code, ErrorCode::WindowClosed);
    assert_eq!(
        app.message,
        "Pasaron más de 24 h desde el último mensaje de Juana: solo podés enviar una plantilla."
    );
    assert_eq!(w.jobs().await, jobs);
    assert_eq!(
        w.p.count("SELECT count(*) FROM messages WHERE direction = 'out'")
            .await,
        0
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_shows_the_reason_and_reintentar_sends_it_once() {
    let mut w = world().await;
    let (c, _) = w.juana_writes("Hola").await;
    let mut rx = w.p.events.subscribe();
    w.p.sandbox.whatsapp.inject(
        Fault::new(FaultKind::GraphError {
            code: 131026,
            subcode: None,
            http_status: Some(400),
            details: None,
            retry_after: None,
        })
        .on_path("/messages"),
    );
    let m = w
        .send(&w.text(c, "k-f", "¿Lo pasás a buscar?"))
        .await
        .unwrap();
    let (code, reason) = wait_status(&mut rx, m.id, MessageStatus::Failed).await;
    assert_eq!(code, Some(131026));
    assert!(reason.unwrap().contains("No se pudo entregar"));

    let jobs = w.jobs().await;
    let (a, b) = tokio::join!(
        conversations::retry(&w.p.store, w.engine.queue(), &w.p.events, w.p.org, m.id),
        conversations::retry(&w.p.store, w.engine.queue(), &w.p.events, w.p.org, m.id)
    );
    assert_eq!(a.unwrap().id, b.unwrap().id);
    assert_eq!(w.jobs().await, jobs + 1, "Reintentar queued one send");
    wait_status(&mut rx, m.id, MessageStatus::Read).await;
    assert_eq!(w.p.sandbox.whatsapp.log_of("send_message").len(), 1);
    // A message that is not failed is not sent again.
    let again = conversations::retry(&w.p.store, w.engine.queue(), &w.p.events, w.p.org, m.id)
        .await
        .unwrap();
    assert_eq!(again.status, MessageStatus::Read);
    assert_eq!(w.jobs().await, jobs + 1);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baja_and_131050_mark_the_customer_opted_out_of_marketing() {
    let mut w = world().await;
    let (c, _) = w.juana_writes("BAJA").await;
    let s = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    assert!(s.customer_opted_out_marketing);
    let mut conn = w.p.store.writer().acquire().await.unwrap();
    assert!(
        !customers::marketing_allowed(&mut conn, w.p.org, s.customer_id)
            .await
            .unwrap()
    );
    drop(conn);
    // ALTA undoes it; Meta's 131050 on a send sets it again.
    w.juana_writes("alta").await;
    let s = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    assert!(!s.customer_opted_out_marketing);
    let mut rx = w.p.events.subscribe();
    w.p.sandbox.whatsapp.inject(
        Fault::new(FaultKind::GraphError {
            code: 131050,
            subcode: None,
            http_status: Some(400),
            details: None,
            retry_after: None,
        })
        .on_path("/messages"),
    );
    let m = w.send(&w.text(c, "k-o", "¡Ofertas!")).await.unwrap();
    wait_status(&mut rx, m.id, MessageStatus::Failed).await;
    let s = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    assert!(s.customer_opted_out_marketing);
    // Opting out of everything refuses free-form sends too, before anything is written.
    sqlx::query("UPDATE customers SET opted_out = 1")
        .execute(w.p.store.writer())
        .await
        .unwrap();
    let err = w.send(&w.text(c, "k-o2", "Hola")).await.unwrap_err();
    assert_eq!(AppError::from(err).code, ErrorCode::CustomerOptedOut);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_is_uploaded_by_the_job_a_reaction_shows_and_notes_are_never_sent() {
    let mut w = world().await;
    let (c, inbound) = w.juana_writes("¿Me mandás una foto?").await;
    let mut rx = w.p.events.subscribe();
    let png = w.p.dir.path().join("pan.png");
    // A PNG signature is enough for the simulator.
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nfake").unwrap();
    let photo = w
        .send(&SendRequest {
            conversation_id: c,
            client_key: "k-img".into(),
            content: Outgoing::Media {
                path: png.to_string_lossy().into_owned(),
                mime_type: "image/png".into(),
                caption: Some("Recién salido".into()),
                filename: None,
            },
            reply_to_message_id: None,
        })
        .await
        .unwrap();
    assert_eq!(photo.kind, "image");
    wait_status(&mut rx, photo.id, MessageStatus::Sent).await;
    assert_eq!(w.p.sandbox.whatsapp.log_of("upload_media").len(), 1);
    let sent = w.p.sandbox.whatsapp.log_of("send_message");
    assert_eq!(sent[0].request["type"], "image");
    assert_eq!(sent[0].request["image"]["caption"], "Recién salido");

    // A file WhatsApp refuses is refused before anything is written.
    let exe = w.p.dir.path().join("x.exe");
    std::fs::write(&exe, b"MZ").unwrap();
    let err = w
        .send(&SendRequest {
            conversation_id: c,
            client_key: "k-exe".into(),
            content: Outgoing::Media {
                path: exe.to_string_lossy().into_owned(),
                mime_type: "application/x-msdownload".into(),
                caption: None,
                filename: Some("x.exe".into()),
            },
            reply_to_message_id: None,
        })
        .await
        .unwrap_err();
    assert_eq!(AppError::from(err).code, ErrorCode::InvalidMessage);

    // A reaction on her message: shown at once, sent as a reaction.
    let r = w
        .send(&SendRequest {
            conversation_id: c,
            client_key: "k-r".into(),
            content: Outgoing::Reaction {
                message_id: inbound,
                emoji: "👍".into(),
            },
            reply_to_message_id: None,
        })
        .await
        .unwrap();
    wait_status(&mut rx, r.id, MessageStatus::Sent).await;
    let thread = w.p.thread(c).await;
    let hers = thread.iter().find(|m| m.id == inbound).unwrap();
    assert!(hers
        .reactions
        .iter()
        .any(|x| x.reactor == "business" && x.emoji == "👍"));
    assert!(thread.iter().all(|m| m.kind != "reaction"));
    let sent = w.p.sandbox.whatsapp.log_of("send_message");
    assert_eq!(sent.last().unwrap().request["type"], "reaction");

    // An internal note: in the thread, no job, and the same key gives the same note.
    let jobs = w.jobs().await;
    let n = conversations::add_note(
        &w.p.store,
        &w.p.events,
        w.p.org,
        c,
        "k-n",
        "Cliente habitual",
    )
    .await
    .unwrap();
    let n2 = conversations::add_note(
        &w.p.store,
        &w.p.events,
        w.p.org,
        c,
        "k-n",
        "Cliente habitual",
    )
    .await
    .unwrap();
    assert_eq!(n.id, n2.id);
    assert_eq!(n.kind, "note");
    assert_eq!(w.jobs().await, jobs);
    assert_eq!(w.p.sandbox.whatsapp.log_of("send_message").len(), 2);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_we_send_is_kept_in_the_media_store_and_previewed_before_and_after_upload() {
    use sha2::{Digest, Sha256};
    let mut w = world().await;
    let (c, _) = w.juana_writes("¿Me mandás una foto?").await;
    let mut rx = w.p.events.subscribe();
    let data_dir = w.p.dir.path().join("data");
    let bytes = b"\x89PNG\r\n\x1a\nrecien salido del horno".to_vec();
    let png = w.p.dir.path().join("pan-out.png");
    std::fs::write(&png, &bytes).unwrap();
    let photo = conversations::send_storing(
        &w.p.store,
        w.engine.queue(),
        &w.p.events,
        w.p.org,
        Some(&data_dir),
        &SendRequest {
            conversation_id: c,
            client_key: "k-store".into(),
            content: Outgoing::Media {
                path: png.to_string_lossy().into_owned(),
                mime_type: "image/png".into(),
                caption: None,
                filename: Some("../../.bashrc".into()),
            },
            reply_to_message_id: None,
        },
    )
    .await
    .unwrap();
    // At once, before the upload: a stored file named by its sha256, not by anything we were given.
    let media = photo
        .media
        .clone()
        .expect("our photo is linked to a media row");
    assert_eq!(media.state, "downloaded");
    let want = hex::encode(Sha256::digest(&bytes));
    let rel = media.path.clone().unwrap();
    assert_eq!(rel, format!("media/{}/{want}", &want[..2]));
    let stored = data_dir.join(&rel);
    assert_eq!(
        hex::encode(Sha256::digest(std::fs::read(&stored).unwrap())),
        want
    );
    assert_eq!(media.size_bytes, Some(bytes.len() as i64));
    assert_eq!(media.mime_type.as_deref(), Some("image/png"));
    let loc = mostrador_core::intake::media::locate(&w.p.store, &data_dir, w.p.org, photo.id)
        .await
        .unwrap()
        .unwrap();
    assert!(loc.previewable);
    assert_eq!(loc.path.as_deref(), Some(stored.to_str().unwrap()));

    // The original goes away: the job uploads our copy, and the thread still shows it after.
    std::fs::remove_file(&png).unwrap();
    wait_status(&mut rx, photo.id, MessageStatus::Sent).await;
    assert_eq!(w.p.sandbox.whatsapp.log_of("upload_media").len(), 1);
    let after = w.p.thread(c).await;
    let after = after.iter().find(|m| m.id == photo.id).unwrap();
    assert_eq!(
        after.media.as_ref().unwrap().path.as_deref(),
        Some(rel.as_str())
    );
    assert_eq!(after.media.as_ref().unwrap().state, "downloaded");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_s_name_for_a_customer_survives_her_next_message() {
    let mut w = world().await;
    let (c, _) = w.juana_writes("Hola").await;
    let s = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    customers::update(
        &w.p.store,
        &w.p.events,
        w.p.org,
        s.customer_id,
        Some("Juana (panadería)"),
        "Paga con transferencia",
    )
    .await
    .unwrap()
    .unwrap();
    w.juana_writes("¿Está listo?").await;
    let s = conversations::get(&w.p.store, w.p.org, c)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.customer_name, "Juana (panadería)");
    let hits = conversations::search(&w.p.store, w.p.org, "panadería", 10)
        .await
        .unwrap();
    assert!(hits.iter().any(|h| h.conversation_id == c));
    // Labels and resolve round-trip through the list filters.
    conversations::set_labels(&w.p.store, &w.p.events, w.p.org, c, &["mayorista".into()])
        .await
        .unwrap();
    conversations::set_resolved(&w.p.store, &w.p.events, w.p.org, c, true)
        .await
        .unwrap();
    let by = |f: ListFilter| {
        let store = w.p.store.clone();
        let org = w.p.org;
        async move {
            conversations::list_page(&store, org, &f, None, 10)
                .await
                .unwrap()
                .conversations
                .len()
        }
    };
    assert_eq!(by(ListFilter::Resolved).await, 1);
    assert_eq!(by(ListFilter::Open).await, 0);
    assert_eq!(by(ListFilter::Label("mayorista".into())).await, 1);
    w.stop().await;
}
