import { commands, type MercadoPagoSettings } from "../bindings";
import { useT } from "../i18n/context";
import { ProviderSettingsSection, type ProviderSettingsSpec } from "./ProviderSettingsSection";

const EMPTY: MercadoPagoSettings = { base_url: null, notification_url: null, external_pos_id: null, user_id: null, timeout_ms: null };

/** Ajustes → MercadoPago: access token and webhook secret (keychain), the relay URL, the counter's
 * point of sale, "Probar" (account info) and the webhook URL to paste in MercadoPago's panel. */
export function MercadoPagoSection({ orgId }: { orgId: string }) {
  const t = useT();
  const spec: ProviderSettingsSpec<MercadoPagoSettings> = {
    section: "mercadopago",
    prefix: "mp",
    i18n: "mp",
    empty: EMPTY,
    secrets: [
      { id: "mp-token", label: t("mp.token"), placeholder: "APP_USR-…" },
      { id: "mp-secret", label: t("mp.secret"), placeholder: "" },
    ],
    fields: [
      { id: "mp-relay-url", label: t("mp.relayUrl"), get: (s) => s.notification_url, set: (s, v) => ({ ...s, notification_url: v }) },
      { id: "mp-pos", label: t("mp.pos"), placeholder: "CAJA1", get: (s) => s.external_pos_id, set: (s, v) => ({ ...s, external_pos_id: v }) },
    ],
    load: () =>
      commands.mercadopagoSettings(orgId).then((v) => ({
        settings: v.settings,
        has: [v.has_access_token, v.has_webhook_secret],
        webhookUrl: v.webhook_url,
      })),
    save: (s, token, secret) => commands.saveMercadopagoSettings(orgId, s, token, secret),
    probe: () => commands.mercadopagoProbe(orgId).then((a) => t("mp.probeOk", { name: a.nickname ?? a.email ?? String(a.id) })),
  };
  return <ProviderSettingsSection spec={spec} />;
}
