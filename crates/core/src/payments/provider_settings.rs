//! What Ajustes → MercadoPago and Ajustes → Stripe have in common: optional settings stored
//! trimmed (empty removes them), http(s) URLs checked before anything is saved, secrets that go to
//! the keychain only (a given one replaces the stored one, an empty one keeps it), and "Probar"
//! with a given secret or the stored one. The per-provider parts (config.rs, stripe.rs) say which
//! settings, which keychain entries and what "Probar" asks.

use mostrador_types::Secret;

use super::error::{invalid, PaymentsError};
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;

/// Stores `v` trimmed under `key`, or removes the setting when it is empty or absent.
pub(crate) async fn set_opt(
    store: &Store,
    org: OrgId,
    key: &str,
    v: Option<&str>,
) -> Result<(), PaymentsError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => settings::set(store, Some(org), key, v).await?,
        None => settings::delete(store, Some(org), key).await?,
    }
    Ok(())
}

/// Refuses the first non-empty field that is not an http(s) URL (before anything is saved).
pub(crate) fn check_http_urls(
    fields: &[(&'static str, &Option<String>)],
) -> Result<(), PaymentsError> {
    for (field, v) in fields {
        if let Some(u) = v.as_deref().filter(|u| !u.trim().is_empty()) {
            let ok =
                url::Url::parse(u.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(invalid(
                    field,
                    format!("«{u}» no es una dirección http(s)."),
                ));
            }
        }
    }
    Ok(())
}

/// Saves the given secrets to the keychain: a non-empty value replaces the stored one, an empty
/// or absent one keeps it (the settings page never shows a stored secret back).
pub async fn save_secrets(
    secrets: &SecretStore,
    org: OrgId,
    given: [(&str, Option<String>); 2],
) -> Result<(), PaymentsError> {
    for (name, v) in given {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            secrets.set(org, name, &Secret::new(v.trim())).await?;
        }
    }
    Ok(())
}

/// Whether keychain entry `name` is stored (shown as "guardado", never the secret).
pub async fn has_secret(
    secrets: &SecretStore,
    org: OrgId,
    name: &str,
) -> Result<bool, PaymentsError> {
    Ok(secrets.get(org, name).await?.is_some())
}

/// The stored secret `name`, or [`PaymentsError::NotConfigured`] naming it.
pub(crate) async fn stored(
    secrets: &SecretStore,
    org: OrgId,
    name: &str,
) -> Result<Secret, PaymentsError> {
    secrets
        .get(org, name)
        .await?
        .ok_or_else(|| PaymentsError::NotConfigured(name.into()))
}

/// "Probar" with `given` (before saving it), else the stored secret `name`.
pub(crate) async fn given_or_stored(
    secrets: &SecretStore,
    org: OrgId,
    name: &str,
    given: Option<Secret>,
) -> Result<Secret, PaymentsError> {
    match given {
        Some(s) => Ok(s),
        None => stored(secrets, org, name).await,
    }
}

/// The per-call timeout and base URL a provider client is built with (both optional settings).
pub(crate) fn http_options(
    base_url: &Option<String>,
    timeout_ms: Option<u64>,
) -> (Option<&str>, Option<std::time::Duration>) {
    (
        base_url.as_deref().map(str::trim).filter(|b| !b.is_empty()),
        timeout_ms
            .filter(|ms| *ms > 0)
            .map(std::time::Duration::from_millis),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_empty_ones_pass() {
        let good = Some("https://relay.example/in/t/stripe".to_owned());
        let empty = Some("  ".to_owned());
        let bad = Some("ftp://x".to_owned());
        assert!(check_http_urls(&[("a", &good), ("b", &empty), ("c", &None)]).is_ok());
        let e = check_http_urls(&[("a", &good), ("c", &bad)]).unwrap_err();
        assert!(e.to_string().contains("ftp://x"), "{e}");
    }

    #[test]
    fn http_options_ignore_blank_and_zero() {
        assert_eq!(http_options(&Some(" ".into()), Some(0)), (None, None));
        let base = Some(" http://127.0.0.1:9 ".to_owned());
        let (b, t) = http_options(&base, Some(1500));
        assert_eq!(b, Some("http://127.0.0.1:9"));
        assert_eq!(t, Some(std::time::Duration::from_millis(1500)));
    }
}
