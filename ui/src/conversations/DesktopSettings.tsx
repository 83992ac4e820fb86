import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type DesktopPrefs } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";

/**
 * Ajustes → Escritorio: the OS notification for a new customer message (on by default), its
 * sound (off by default), and "Al cerrar, seguir en la bandeja" so reminders go out on time.
 */
export function DesktopSettings() {
  const t = useT();
  const lang = useLanguage();
  const [prefs, setPrefs] = useState<DesktopPrefs | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  useEffect(() => {
    commands.desktopPrefs().then(setPrefs).catch((e) => setError(asAppError(e)));
  }, []);
  async function change(next: DesktopPrefs) {
    const before = prefs;
    setPrefs(next);
    try {
      await commands.setDesktopPrefs(next);
      setError(null);
    } catch (e) {
      setPrefs(before);
      setError(asAppError(e));
    }
  }
  return (
    <section id="settings-desktop">
      <h2>{t("desk.title")}</h2>
      {prefs && (
        <>
          <label className="check">
            <input
              type="checkbox"
              id="desktop-notifications"
              checked={prefs.notifications}
              onChange={(e) => change({ ...prefs, notifications: e.target.checked })}
            />
            {t("desk.notifications")}
          </label>
          <label className="check">
            <input
              type="checkbox"
              id="desktop-sound"
              checked={prefs.sound}
              disabled={!prefs.notifications}
              onChange={(e) => change({ ...prefs, sound: e.target.checked })}
            />
            {t("desk.sound")}
          </label>
          <label className="check">
            <input
              type="checkbox"
              id="desktop-close-to-tray"
              checked={prefs.close_to_tray}
              onChange={(e) => change({ ...prefs, close_to_tray: e.target.checked })}
            />
            {t("desk.closeToTray")}
          </label>
          <p className="hint">{t("desk.hint")}</p>
        </>
      )}
      {error && (
        <p className="field-error" role="alert">
          {errorText(error, lang)}
        </p>
      )}
    </section>
  );
}
