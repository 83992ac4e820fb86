import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type StripeSettings } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";

const EMPTY: StripeSettings = { base_url: null, webhook_url: null, return_url: null, timeout_ms: null };
const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/** Ajustes → Stripe: secret key and webhook signing secret (keychain), the relay URL, the page the
 * customer returns to, "Probar" (the balance) and the webhook URL to paste in Stripe's dashboard. */
export function StripeSection({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [s, setS] = useState<StripeSettings>(EMPTY);
  const [has, setHas] = useState({ key: false, secret: false });
  const [webhookUrl, setWebhookUrl] = useState<string | null>(null);
  const [key, setKey] = useState("");
  const [secret, setSecret] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const load = () =>
    commands
      .stripeSettings(orgId)
      .then((v) => {
        setS(v.settings);
        setHas({ key: v.has_secret_key, secret: v.has_webhook_secret });
        setWebhookUrl(v.webhook_url);
      })
      .catch((e) => setError(asAppError(e)));

  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [orgId]);

  const save = () => {
    setError(null);
    setStatus(null);
    commands
      .saveStripeSettings(orgId, s, orNull(key), orNull(secret))
      .then(() => {
        setKey("");
        setSecret("");
        setStatus(t("stripe.saved"));
        return load();
      })
      .catch((e) => setError(asAppError(e)));
  };

  const probe = () => {
    setError(null);
    setStatus(null);
    commands
      .stripeProbe(orgId)
      .then((p) => {
        const ok = t("stripe.probeOk", { balance: p.available.join(", ") || "—" });
        setStatus(p.test_mode ? `${ok} ${t("stripe.probeTest")}` : ok);
      })
      .catch((e) => setError(asAppError(e)));
  };

  return (
    <section id="settings-stripe">
      <h2>{t("stripe.title")}</h2>
      <p className="muted">{t("stripe.intro")}</p>
      <label>
        {t("stripe.key")}
        <input id="stripe-key" type="password" value={key} placeholder={has.key ? t("stripe.stored") : "sk_live_…"} onChange={(e) => setKey(e.target.value)} />
      </label>
      <label>
        {t("stripe.secret")}
        <input id="stripe-secret" type="password" value={secret} placeholder={has.secret ? t("stripe.stored") : "whsec_…"} onChange={(e) => setSecret(e.target.value)} />
      </label>
      <label>
        {t("stripe.relayUrl")}
        <input id="stripe-relay-url" value={s.webhook_url ?? ""} onChange={(e) => setS({ ...s, webhook_url: orNull(e.target.value) })} />
      </label>
      <label>
        {t("stripe.returnUrl")}
        <input id="stripe-return-url" value={s.return_url ?? ""} placeholder="https://" onChange={(e) => setS({ ...s, return_url: orNull(e.target.value) })} />
      </label>
      {webhookUrl && (
        <>
          <p>
            {t("stripe.webhookUrl")} <code id="stripe-webhook-url">{webhookUrl}</code>
          </p>
          <p className="muted">{t("stripe.webhookEvents")}</p>
        </>
      )}
      <button id="stripe-save" onClick={save}>{t("stripe.save")}</button>{" "}
      <button id="stripe-probe" onClick={probe} disabled={!has.key}>{t("stripe.probe")}</button>
      {status && <p role="status">{status}</p>}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
    </section>
  );
}
