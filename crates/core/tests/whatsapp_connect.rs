//! Ajustes → WhatsApp against the Graph simulator over real HTTP, with the real keychain (run
//! under `dbus-run-session` with an unlocked keyring): test, subscribe, save only after a pass,
//! "termina en", rotate (tested first), disconnect (history stays), Meta's errors in Spanish.

use mostrador_core::channels::whatsapp::{
    ConnectionTest, WhatsAppConnect, WhatsAppCredentials, WhatsAppSettings, WhatsAppStatus,
    ACCESS_TOKEN,
};
use mostrador_core::intake::APP_SECRET;
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_core::{AppError, ErrorCode};
use mostrador_sandbox::whatsapp::{Fault, FaultKind};
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};

struct Env {
    sandbox: Sandbox,
    store: Store,
    secrets: SecretStore,
    org: OrgId,
    connect: WhatsAppConnect,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.connect.{}",
        uuid::Uuid::new_v4()
    ));
    let connect = WhatsAppConnect::new(store.clone(), secrets.clone(), Some(sandbox.graph_url()));
    Env {
        sandbox,
        store,
        secrets,
        org,
        connect,
        _dir: dir,
    }
}

fn creds(e: &Env, token: &str) -> WhatsAppCredentials {
    let a = e.sandbox.whatsapp.account();
    WhatsAppCredentials {
        phone_number_id: a.phone_number_id,
        waba_id: a.waba_id,
        access_token: Secret::new(token),
        app_secret: Secret::new(a.app_secret),
        graph_version: None,
        app_id: None,
    }
}

fn good_token(e: &Env) -> String {
    e.sandbox.whatsapp.account().access_token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_subscribe_then_save_shows_only_the_last_four() {
    let e = env().await;
    let c = creds(&e, &good_token(&e));
    let t = e.connect.test_connection(&c).await.unwrap();
    let a = e.sandbox.whatsapp.account();
    assert_eq!(
        t,
        ConnectionTest {
            display_phone_number: a.display_phone_number.clone(),
            verified_name: Some(a.verified_name.clone()),
            quality_rating: Some("GREEN".into()),
            app_subscribed: false,
        }
    );
    // Testing stores nothing.
    assert_eq!(
        e.connect.status(e.org).await.unwrap(),
        WhatsAppStatus::NotConfigured
    );
    assert!(e.secrets.get(e.org, ACCESS_TOKEN).await.unwrap().is_none());

    let t = e.connect.subscribe(&c).await.unwrap();
    assert!(t.app_subscribed);
    assert_eq!(e.sandbox.whatsapp.log_of("subscribe_app").len(), 1);

    let (_, status) = e.connect.save(e.org, &c).await.unwrap();
    let token = good_token(&e);
    let last4: String = token.chars().skip(token.chars().count() - 4).collect();
    match &status {
        WhatsAppStatus::Configured {
            phone_number_id,
            token_hint,
            token_saved,
            app_secret_saved,
            display_phone_number,
            ..
        } => {
            assert_eq!(phone_number_id, &a.phone_number_id);
            assert_eq!(token_hint.as_deref(), Some(last4.as_str()));
            assert!(*token_saved && *app_secret_saved);
            assert_eq!(
                display_phone_number.as_deref(),
                Some(a.display_phone_number.as_str())
            );
        }
        other => panic!("not configured after save: {other:?}"),
    }
    // What crosses to the UI never carries the token or the app secret.
    let json = serde_json::to_string(&status).unwrap();
    assert!(
        !json.contains(&token) && !json.contains(&a.app_secret),
        "{json}"
    );
    assert_eq!(
        e.secrets
            .get(e.org, ACCESS_TOKEN)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        token
    );
    assert_eq!(
        e.secrets
            .get(e.org, APP_SECRET)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        a.app_secret
    );
    // The saved settings are what the sender uses.
    let s = WhatsAppSettings::load(&e.store, e.org)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.base_url.as_deref(), Some(e.sandbox.graph_url().as_str()));
    assert!(
        mostrador_core::channels::whatsapp::load_client(&e.store, &e.secrets, e.org)
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_never_saved_and_meta_says_why_in_spanish() {
    let e = env().await;
    let bad = creds(&e, "EAAGwrongwrongwrong1234");
    let err: AppError = e.connect.save(e.org, &bad).await.unwrap_err().into();
    assert_eq!(err.code, ErrorCode::WhatsappTokenInvalid);
    assert!(err.message.contains("token de acceso"), "{}", err.message);
    assert_eq!(err.details.as_ref().unwrap()["graph_code"], 190);
    assert!(!err.message.contains("wrong"), "the token never shows");
    assert_eq!(
        e.connect.status(e.org).await.unwrap(),
        WhatsAppStatus::NotConfigured
    );
    assert!(e.secrets.get(e.org, ACCESS_TOKEN).await.unwrap().is_none());

    // An expired token says so.
    e.sandbox.whatsapp.expire_token(true);
    let err: AppError = e
        .connect
        .test_connection(&creds(&e, &good_token(&e)))
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::WhatsappTokenInvalid);
    assert!(err.message.contains("venció"), "{}", err.message);
    e.sandbox.whatsapp.expire_token(false);

    // Wrong phone number id: Meta's 100 names the field.
    let mut wrong_phone = creds(&e, &good_token(&e));
    wrong_phone.phone_number_id = "999999999999999".into();
    let err: AppError = e
        .connect
        .test_connection(&wrong_phone)
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::WhatsappWrongId);
    assert_eq!(err.details.as_ref().unwrap()["field"], "phone_number_id");
    assert!(
        err.message.contains("número de teléfono"),
        "{}",
        err.message
    );

    // Wrong WABA id.
    let mut wrong_waba = creds(&e, &good_token(&e));
    wrong_waba.waba_id = "888888888888888".into();
    let err: AppError = e
        .connect
        .test_connection(&wrong_waba)
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::WhatsappWrongId);
    assert_eq!(err.details.as_ref().unwrap()["field"], "waba_id");

    // Missing permission (10, and the 200 range).
    for code in [10, 200] {
        e.sandbox.whatsapp.inject(Fault::new(FaultKind::GraphError {
            code,
            subcode: None,
            http_status: Some(403),
            details: None,
            retry_after: None,
        }));
        let err: AppError = e
            .connect
            .test_connection(&creds(&e, &good_token(&e)))
            .await
            .unwrap_err()
            .into();
        assert_eq!(err.code, ErrorCode::WhatsappPermissionDenied, "code {code}");
        assert!(err.message.contains("permiso"), "{}", err.message);
    }

    // Meta unreachable: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let offline = WhatsAppConnect::new(
        e.store.clone(),
        e.secrets.clone(),
        Some(format!("http://127.0.0.1:{port}/graph")),
    );
    let err: AppError = offline
        .test_connection(&creds(&e, &good_token(&e)))
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::WhatsappUnreachable);

    // Checked before calling Meta: empty fields and a missing app secret.
    let mut empty = creds(&e, &good_token(&e));
    empty.app_secret = Secret::new(" ");
    let err: AppError = e.connect.save(e.org, &empty).await.unwrap_err().into();
    assert_eq!(err.details.as_ref().unwrap()["field"], "app_secret");
    let mut empty = creds(&e, "");
    empty.waba_id = String::new();
    let err: AppError = e.connect.test_connection(&empty).await.unwrap_err().into();
    assert_eq!(err.code, ErrorCode::InvalidSetting);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_tests_the_new_token_first_and_disconnect_keeps_history() {
    let e = env().await;
    let old = good_token(&e);
    e.connect.save(e.org, &creds(&e, &old)).await.unwrap();

    // A wrong new token leaves the old one in place.
    let err: AppError = e
        .connect
        .rotate_token(e.org, Secret::new("EAAGnotthetoken00000"))
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::WhatsappTokenInvalid);
    assert_eq!(
        e.secrets
            .get(e.org, ACCESS_TOKEN)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        old
    );

    // Meta issues a new token; the old one stops working.
    let new = "EAAGrotatedtoken-9876";
    e.sandbox
        .whatsapp
        .configure(mostrador_sandbox::whatsapp::ConfigPatch {
            access_token: Some(new.into()),
            ..Default::default()
        });
    let (_, status) = e
        .connect
        .rotate_token(e.org, Secret::new(new))
        .await
        .unwrap();
    assert!(
        matches!(&status, WhatsAppStatus::Configured { token_hint: Some(h), .. } if h == "9876"),
        "{status:?}"
    );
    assert_eq!(
        e.secrets
            .get(e.org, ACCESS_TOKEN)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        new
    );
    // The saved connection can be tested without the UI ever holding the token.
    let saved = e.connect.saved_credentials(e.org).await.unwrap();
    e.connect.test_connection(&saved).await.unwrap();

    // History: a customer of this business stays after disconnecting.
    sqlx::query("INSERT INTO customers (org_id, wa_id, first_contact_at, created_at, updated_at) VALUES (?1, '5491112345678', ?2, ?2, ?2)")
        .bind(e.org.to_string())
        .bind(mostrador_core::store::timestamp::now_text())
        .execute(e.store.writer())
        .await
        .unwrap();
    e.connect.disconnect(e.org).await.unwrap();
    assert_eq!(
        e.connect.status(e.org).await.unwrap(),
        WhatsAppStatus::NotConfigured
    );
    assert!(e.secrets.get(e.org, ACCESS_TOKEN).await.unwrap().is_none());
    assert!(e.secrets.get(e.org, APP_SECRET).await.unwrap().is_none());
    let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE org_id = ?")
        .bind(e.org.to_string())
        .fetch_one(e.store.reader())
        .await
        .unwrap();
    assert_eq!(customers, 1, "disconnecting kept the history");
    let err: AppError = e
        .connect
        .rotate_token(e.org, Secret::new(new))
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::WhatsappNotConnected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meta_app_id_is_saved_shown_edited_and_removed() {
    let e = env().await;
    let app_of = |s: &WhatsAppStatus| match s {
        WhatsAppStatus::Configured { app_id, .. } => app_id.clone(),
        other => panic!("not configured: {other:?}"),
    };
    let mut c = creds(&e, &good_token(&e));

    // Not a number: refused before anything is stored, naming the field.
    c.app_id = Some("mi-app".into());
    let err: AppError = e.connect.save(e.org, &c).await.unwrap_err().into();
    assert_eq!(err.code, ErrorCode::InvalidSetting);
    assert_eq!(err.details.as_ref().unwrap()["field"], "app_id");
    assert_eq!(
        e.connect.status(e.org).await.unwrap(),
        WhatsAppStatus::NotConfigured
    );

    // Saved with the connection, as the setting template uploads read.
    c.app_id = Some(" 1234567890 ".into());
    let (_, status) = e.connect.save(e.org, &c).await.unwrap();
    assert_eq!(app_of(&status).as_deref(), Some("1234567890"));
    assert_eq!(
        mostrador_core::settings::get(&e.store, Some(e.org), mostrador_core::templates::APP_ID)
            .await
            .unwrap()
            .as_deref(),
        Some("1234567890")
    );
    assert_eq!(
        e.connect
            .saved_credentials(e.org)
            .await
            .unwrap()
            .app_id
            .as_deref(),
        Some("1234567890")
    );

    // Edited alone (the token stays), refused when malformed, removed when blank.
    let status = e
        .connect
        .set_app_id(e.org, Some("987654321"))
        .await
        .unwrap();
    assert_eq!(app_of(&status).as_deref(), Some("987654321"));
    assert!(e.connect.set_app_id(e.org, Some("12 34")).await.is_err());
    let status = e.connect.set_app_id(e.org, Some("  ")).await.unwrap();
    assert_eq!(app_of(&status), None);
    assert!(e.secrets.get(e.org, ACCESS_TOKEN).await.unwrap().is_some());

    // Disconnecting forgets it; editing it then says WhatsApp is not connected.
    e.connect.set_app_id(e.org, Some("555")).await.unwrap();
    e.connect.disconnect(e.org).await.unwrap();
    assert_eq!(
        mostrador_core::settings::get(&e.store, Some(e.org), mostrador_core::templates::APP_ID)
            .await
            .unwrap(),
        None
    );
    let err: AppError = e
        .connect
        .set_app_id(e.org, Some("555"))
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::WhatsappNotConnected);
}
