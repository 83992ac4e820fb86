import { useState } from "react";
import { asAppError } from "../api";
import type { AppError } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import "./demo.css";

/** First run, beside "Crear mi negocio": try the app with an example shop and no accounts. */
export function DemoOffer(props: { onEnter: () => Promise<void> }) {
  const t = useT();
  const lang = useLanguage();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  async function enter() {
    setBusy(true);
    setError(null);
    try {
      await props.onEnter();
    } catch (raw) {
      setError(asAppError(raw));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="demo-offer" aria-labelledby="demo-offer-title">
      <h2 id="demo-offer-title">{t("demo.offer.title")}</h2>
      <p className="muted">{t("demo.offer.body")}</p>
      <button id="demo-enter" type="button" onClick={enter} disabled={busy}>
        {busy ? t("demo.offer.starting") : t("demo.offer.button")}
      </button>
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
    </section>
  );
}
