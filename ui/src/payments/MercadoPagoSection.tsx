import { useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type MercadoPagoSettings } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";

const EMPTY: MercadoPagoSettings = { base_url: null, notification_url: null, external_pos_id: null, user_id: null, timeout_ms: null };
const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/** Ajustes → MercadoPago: access token and webhook secret (keychain), the relay URL, the counter's
 * point of sale, "Probar" (account info) and the webhook URL to paste in MercadoPago's panel. */
export function MercadoPagoSection({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [s, setS] = useState<MercadoPagoSettings>(EMPTY);
  const [has, setHas] = useState({ token: false, secret: false });
  const [webhookUrl, setWebhookUrl] = useState<string | null>(null);
  const [token, setToken] = useState("");
  const [secret, setSecret] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const load = () =>
    commands
      .mercadopagoSettings(orgId)
      .then((v) => {
        setS(v.settings);
        setHas({ token: v.has_access_token, secret: v.has_webhook_secret });
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
      .saveMercadopagoSettings(orgId, s, orNull(token), orNull(secret))
      .then(() => {
        setToken("");
        setSecret("");
        setStatus(t("mp.saved"));
        return load();
      })
      .catch((e) => setError(asAppError(e)));
  };

  const probe = () => {
    setError(null);
    setStatus(null);
    commands
      .mercadopagoProbe(orgId)
      .then((a) => setStatus(t("mp.probeOk", { name: a.nickname ?? a.email ?? String(a.id) })))
      .catch((e) => setError(asAppError(e)));
  };

  return (
    <section id="settings-mercadopago">
      <h2>{t("mp.title")}</h2>
      <p className="muted">{t("mp.intro")}</p>
      <label>
        {t("mp.token")}
        <input id="mp-token" type="password" value={token} placeholder={has.token ? t("mp.stored") : "APP_USR-…"} onChange={(e) => setToken(e.target.value)} />
      </label>
      <label>
        {t("mp.secret")}
        <input id="mp-secret" type="password" value={secret} placeholder={has.secret ? t("mp.stored") : ""} onChange={(e) => setSecret(e.target.value)} />
      </label>
      <label>
        {t("mp.relayUrl")}
        <input id="mp-relay-url" value={s.notification_url ?? ""} onChange={(e) => setS({ ...s, notification_url: orNull(e.target.value) })} />
      </label>
      <label>
        {t("mp.pos")}
        <input id="mp-pos" value={s.external_pos_id ?? ""} placeholder="CAJA1" onChange={(e) => setS({ ...s, external_pos_id: orNull(e.target.value) })} />
      </label>
      {webhookUrl && (
        <p>
          {t("mp.webhookUrl")} <code id="mp-webhook-url">{webhookUrl}</code>
        </p>
      )}
      <button id="mp-save" onClick={save}>{t("mp.save")}</button>{" "}
      <button id="mp-probe" onClick={probe} disabled={!has.token}>{t("mp.probe")}</button>
      {status && <p role="status">{status}</p>}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
    </section>
  );
}
