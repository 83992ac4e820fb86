//! Secrets in the OS keychain only (design §3): Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows. Entries are `service = app identifier`, `account = {org_id}/{name}`.
//! There is no plaintext fallback: without a keychain every call fails with
//! [`SecretError::Unavailable`].

use mostrador_types::Secret;

use crate::org::OrgId;

/// The app identifier, used as the keychain service name.
pub const SERVICE: &str = "ar.mostrador.app";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no OS keychain is available ({detail}). {}",
        how_to_get_a_keychain_en()
    )]
    Unavailable { detail: String },
    #[error("the OS keychain failed on {account}: {detail}")]
    Keychain { account: String, detail: String },
    #[error("the keychain task was cancelled")]
    Join,
}

/// One keychain call at a time in this process. Each call opens its own Secret Service
/// connection and session, and gnome-keyring (42 through 50 at least) hangs or aborts when
/// several fresh connections of one process open sessions at once (upstream gnome-keyring#196);
/// when it aborts, every secret is unreachable until the user unlocks the keyring again. Callers
/// cache what they read, so waiting here costs nothing measurable.
static KEYCHAIN_CALLS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Reads and writes secrets of organizations in the OS keychain.
#[derive(Debug, Clone)]
pub struct SecretStore {
    service: String,
}

impl Default for SecretStore {
    fn default() -> Self {
        SecretStore::new(SERVICE)
    }
}

impl SecretStore {
    /// `service` is the app identifier; tests pass their own so they never touch real entries.
    pub fn new(service: &str) -> Self {
        SecretStore {
            service: service.to_owned(),
        }
    }

    /// Stores or replaces a secret.
    #[tracing::instrument(skip(self, secret), fields(%org, name))]
    pub async fn set(&self, org: OrgId, name: &str, secret: &Secret) -> Result<(), SecretError> {
        let value = secret.clone();
        self.with_entry(org, name, move |entry| entry.set_password(value.expose()))
            .await?;
        tracing::debug!("secret stored");
        Ok(())
    }

    /// The secret, or `None` when it was never stored.
    #[tracing::instrument(skip(self), fields(%org, name))]
    pub async fn get(&self, org: OrgId, name: &str) -> Result<Option<Secret>, SecretError> {
        let found = self
            .with_entry(org, name, |entry| match entry.get_password() {
                Ok(v) => Ok(Some(Secret::new(v))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            })
            .await?;
        tracing::debug!(found = found.is_some(), "secret read");
        Ok(found)
    }

    /// Removes a secret; removing one that does not exist is not an error.
    #[tracing::instrument(skip(self), fields(%org, name))]
    pub async fn delete(&self, org: OrgId, name: &str) -> Result<(), SecretError> {
        self.with_entry(org, name, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
        .await
    }

    /// Runs a keychain call off the async runtime (the keyring API is blocking D-Bus/OS calls).
    async fn with_entry<T: Send + 'static>(
        &self,
        org: OrgId,
        name: &str,
        f: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, SecretError> {
        let account = format!("{org}/{name}");
        let service = self.service.clone();
        tokio::task::spawn_blocking(move || {
            // A poisoned lock only means another call panicked; the keychain itself is fine.
            let _one = KEYCHAIN_CALLS.lock().unwrap_or_else(|p| p.into_inner());
            let entry =
                keyring::Entry::new(&service, &account).map_err(|e| classify(&account, e))?;
            f(&entry).map_err(|e| classify(&account, e))
        })
        .await
        .map_err(|_| SecretError::Join)?
    }
}

fn classify(account: &str, e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoStorageAccess(inner) => SecretError::Unavailable {
            detail: inner.to_string(),
        },
        keyring::Error::PlatformFailure(inner) => SecretError::Unavailable {
            detail: inner.to_string(),
        },
        // The value itself is never part of these errors.
        other => SecretError::Keychain {
            account: account.to_owned(),
            detail: other.to_string(),
        },
    }
}

/// What to install, per OS, in English (for logs).
pub fn how_to_get_a_keychain_en() -> &'static str {
    if cfg!(target_os = "linux") {
        "Install and unlock a Secret Service provider: on Debian/Ubuntu `sudo apt install gnome-keyring` (or KDE Wallet), then log in to a desktop session so it is unlocked."
    } else if cfg!(target_os = "macos") {
        "The macOS Keychain is not accessible: unlock the login keychain in Keychain Access."
    } else {
        "Windows Credential Manager is not accessible: sign in with a user account that has a profile."
    }
}

/// What to install, per OS, in Spanish (for the UI).
pub fn how_to_get_a_keychain_es() -> &'static str {
    if cfg!(target_os = "linux") {
        "Instalá y desbloqueá un llavero compatible con Secret Service: en Debian/Ubuntu `sudo apt install gnome-keyring` (o KWallet) e iniciá sesión en el escritorio para desbloquearlo."
    } else if cfg!(target_os = "macos") {
        "No se puede acceder al Llavero de macOS: desbloqueá el llavero de inicio de sesión en Acceso a Llaveros."
    } else {
        "No se puede acceder al Administrador de credenciales de Windows: iniciá sesión con un usuario que tenga perfil."
    }
}
