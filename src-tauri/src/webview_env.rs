//! WebKitGTK settings that must be in the environment before GTK and WebKit start (Linux only).
//!
//! Accelerated compositing is off by default: on the 1,000,000-message database it made the first
//! rendered 5,000-message thread 2–3× slower (313–396 ms against 126–143 ms), scrolling up 500
//! messages 4× slower (1.8 s against 0.4 s) and the WebKit processes 100 MiB larger without a GPU,
//! and it is the usual cause of blank WebKitGTK windows on some GPU drivers. A chat screen has
//! nothing that needs it. `MOSTRADOR_WEBVIEW_COMPOSITING=1` turns it back on; a value the user
//! already set for WebKit itself is left alone.

/// The opt-out: `1` keeps WebKit's own default (compositing on).
pub const COMPOSITING_ENV: &str = "MOSTRADOR_WEBVIEW_COMPOSITING";

const WEBKIT_DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What the environment should gain, from what it has: pure, so it is tested without the process
/// environment.
fn additions(get: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, &'static str)> {
    let opted_out = get(COMPOSITING_ENV).is_some_and(|v| v == "1");
    if opted_out || get(WEBKIT_DISABLE_COMPOSITING).is_some() {
        return Vec::new();
    }
    vec![(WEBKIT_DISABLE_COMPOSITING, "1")]
}

/// Call first thing in `main`, before any thread exists (setting the environment races with
/// threads reading it).
pub fn apply() {
    if !cfg!(target_os = "linux") {
        return;
    }
    for (k, v) in additions(|k| std::env::var(k).ok()) {
        std::env::set_var(k, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn compositing_is_turned_off_by_default() {
        assert_eq!(
            additions(env(&[])),
            vec![("WEBKIT_DISABLE_COMPOSITING_MODE", "1")]
        );
    }

    #[test]
    fn the_opt_out_and_a_users_own_webkit_setting_are_respected() {
        assert!(additions(env(&[("MOSTRADOR_WEBVIEW_COMPOSITING", "1")])).is_empty());
        assert!(additions(env(&[("WEBKIT_DISABLE_COMPOSITING_MODE", "0")])).is_empty());
        assert_eq!(
            additions(env(&[("MOSTRADOR_WEBVIEW_COMPOSITING", "0")])).len(),
            1
        );
    }
}
