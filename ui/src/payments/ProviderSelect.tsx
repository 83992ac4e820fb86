import { useEffect, useState } from "react";
import { commands, type ProviderName } from "../bindings";
import { useT } from "../i18n/context";

/** The provider a charge in `currency` goes to by default: MercadoPago for pesos, Stripe for
 * dollars, or the only one configured. */
export function defaultProvider(configured: { mercadopago: boolean; stripe: boolean }, currency: string): ProviderName | null {
  if (configured.mercadopago && configured.stripe) return currency.toUpperCase() === "USD" ? "stripe" : "mercadopago";
  if (configured.mercadopago) return "mercadopago";
  if (configured.stripe) return "stripe";
  return null;
}

/** Which providers can charge, loaded once per organization (`null` while loading). */
export function useConfiguredProviders(orgId: string) {
  const [configured, setConfigured] = useState<{ mercadopago: boolean; stripe: boolean } | null>(null);
  useEffect(() => {
    commands
      .paymentProviders(orgId)
      .then(setConfigured)
      .catch(() => setConfigured({ mercadopago: true, stripe: false }));
  }, [orgId]);
  return configured;
}

/** "Cobrar con": shown only when both MercadoPago and Stripe are configured. */
export function ProviderSelect({
  configured,
  value,
  onChange,
}: {
  configured: { mercadopago: boolean; stripe: boolean } | null;
  value: ProviderName | null;
  onChange: (p: ProviderName) => void;
}) {
  const t = useT();
  if (!configured || !(configured.mercadopago && configured.stripe)) return null;
  return (
    <label>
      {t("payments.provider")}
      <select id="payments-provider" value={value ?? ""} onChange={(e) => onChange(e.target.value as ProviderName)}>
        <option value="mercadopago">{t("payments.provider.mercadopago")}</option>
        <option value="stripe">{t("payments.provider.stripe")}</option>
      </select>
    </label>
  );
}
