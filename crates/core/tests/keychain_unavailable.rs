//! Without a Secret Service the store fails with KEYCHAIN_UNAVAILABLE and says what to install;
//! it never falls back to plaintext. Its own test binary, because it points D-Bus nowhere.

use mostrador_core::org::OrgId;
use mostrador_core::secrets::{SecretError, SecretStore};
use mostrador_core::{AppError, ErrorCode};
use mostrador_types::Secret;

#[tokio::test]
async fn no_keychain_is_a_clear_error() {
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/mostrador-test-bus",
    );
    let s = SecretStore::new("ar.mostrador.test");
    let err = s
        .set(
            OrgId::new(),
            "token",
            &Secret::new("should-never-be-stored"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("gnome-keyring"), "{err}");
    let app: AppError = err.into();
    assert_eq!(app.code, ErrorCode::KeychainUnavailable);
    assert!(app.message.contains("llavero"), "{}", app.message);
    assert!(!app.message.contains("should-never-be-stored"));
}
