import { commands, type StripeSettings } from "../bindings";
import { useT } from "../i18n/context";
import { ProviderSettingsSection, type ProviderSettingsSpec } from "./ProviderSettingsSection";

const EMPTY: StripeSettings = { base_url: null, webhook_url: null, return_url: null, timeout_ms: null };

/** Ajustes → Stripe: secret key and webhook signing secret (keychain), the relay URL, the page the
 * customer returns to, "Probar" (the balance) and the webhook URL to paste in Stripe's dashboard. */
export function StripeSection({ orgId }: { orgId: string }) {
  const t = useT();
  const spec: ProviderSettingsSpec<StripeSettings> = {
    section: "stripe",
    prefix: "stripe",
    i18n: "stripe",
    empty: EMPTY,
    secrets: [
      { id: "stripe-key", label: t("stripe.key"), placeholder: "sk_live_…" },
      { id: "stripe-secret", label: t("stripe.secret"), placeholder: "whsec_…" },
    ],
    fields: [
      { id: "stripe-relay-url", label: t("stripe.relayUrl"), get: (s) => s.webhook_url, set: (s, v) => ({ ...s, webhook_url: v }) },
      { id: "stripe-return-url", label: t("stripe.returnUrl"), placeholder: "https://", get: (s) => s.return_url, set: (s, v) => ({ ...s, return_url: v }) },
    ],
    load: () =>
      commands.stripeSettings(orgId).then((v) => ({
        settings: v.settings,
        has: [v.has_secret_key, v.has_webhook_secret],
        webhookUrl: v.webhook_url,
      })),
    save: (s, key, secret) => commands.saveStripeSettings(orgId, s, key, secret),
    probe: () =>
      commands.stripeProbe(orgId).then((p) => {
        const ok = t("stripe.probeOk", { balance: p.available.join(", ") || "—" });
        return p.test_mode ? `${ok} ${t("stripe.probeTest")}` : ok;
      }),
    webhookNote: <p className="muted">{t("stripe.webhookEvents")}</p>,
  };
  return <ProviderSettingsSection spec={spec} />;
}
