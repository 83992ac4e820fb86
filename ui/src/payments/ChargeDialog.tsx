import { useEffect, useRef, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type PaymentLinkView, type ProviderName } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { formatMoney, parseAmount } from "./model";
import { defaultProvider, ProviderSelect, useConfiguredProviders } from "./ProviderSelect";
import "./payments.css";

/** "Cobrar": amount + concept → the link with its QR and a copy button; for "qr" the QR fills the
 * screen until the payment arrives. With `invoiceId` it charges what is left of that invoice at
 * once (a second open finds the same link); with `customerId` the amount is for that customer,
 * and a ready link can be sent in their conversation ("Enviar por WhatsApp"). When both MercadoPago
 * and Stripe are configured, the owner picks who collects first (per charge, so per invoice). */
export function ChargeDialog({
  orgId,
  kind,
  onClose,
  invoiceId = null,
  customerId = null,
  provider: askedProvider,
  currency = "ARS",
}: {
  orgId: string;
  kind: "link" | "qr";
  onClose: () => void;
  invoiceId?: number | null;
  customerId?: number | null;
  /** Who collects; absent: chosen here when both are configured (MercadoPago for ARS, Stripe for USD). */
  provider?: ProviderName;
  currency?: string;
}) {
  const t = useT();
  const lang = useLanguage();
  const configured = useConfiguredProviders(orgId);
  const [chosen, setChosen] = useState<ProviderName | null>(askedProvider ?? null);
  // The counter QR is MercadoPago's only.
  const provider = kind === "qr" ? "mercadopago" : chosen ?? (configured ? defaultProvider(configured, currency) : null);
  // Both configured and nobody asked for one: the owner chooses before the link is made.
  const choosing = kind === "link" && !askedProvider && configured !== null && configured.mercadopago && configured.stripe;
  const [amount, setAmount] = useState("");
  const [title, setTitle] = useState("");
  const [link, setLink] = useState<PaymentLinkView | null>(null);
  const [svg, setSvg] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [sent, setSent] = useState(false);
  const busy = useRef(false);

  // Until the link is ready (and, at the counter, until it is paid).
  useEffect(() => {
    if (!link || (link.state !== "creating" && !(kind === "qr" && link.state === "ready" && !link.paid))) return;
    const id = window.setInterval(() => {
      commands.paymentLink(orgId, link.id).then(setLink).catch((e) => setError(asAppError(e)));
    }, 1000);
    return () => window.clearInterval(id);
  }, [orgId, link, kind]);

  useEffect(() => {
    if (link?.state === "ready" && svg === null) {
      commands.paymentLinkQr(orgId, link.id).then(setSvg).catch(() => setSvg(null));
    }
  }, [orgId, link, svg]);

  const create = () => {
    const cents = invoiceId === null ? parseAmount(amount) : null;
    if (invoiceId === null && cents === null) return setError({ code: "PAYMENT_INVALID", message: t("payments.amountInvalid"), details: null });
    if (busy.current) return;
    busy.current = true;
    commands
      .paymentCharge(orgId, {
        invoice_id: invoiceId,
        customer_id: customerId,
        amount_cents: cents,
        title: title.trim() || null,
        kind,
        send_to_customer: false,
        provider: provider ?? undefined,
        currency,
      })
      .then(setLink)
      .catch((e) => setError(asAppError(e)))
      .finally(() => (busy.current = false));
  };

  // An invoice's charge needs no typing: the core charges what is left (the open link if any).
  // (Once it is known whether the owner must choose the provider first.)
  useEffect(() => {
    if (invoiceId !== null && configured !== null && !choosing) create();
  }, [invoiceId, configured, choosing]);

  const send = () => {
    if (!link || busy.current) return;
    busy.current = true;
    commands
      .paymentLinkSend(orgId, link.id)
      .then(() => setSent(true))
      .catch((e) => setError(asAppError(e)))
      .finally(() => (busy.current = false));
  };

  // The checkout page opens in the system browser (the window never navigates away).
  const open = () => {
    if (link?.url) commands.openLink(link.url).catch((e) => setError(asAppError(e)));
  };

  const copy = () => {
    if (link?.url) navigator.clipboard.writeText(link.url).then(() => setCopied(true));
  };

  const fullScreen = kind === "qr" && link !== null;
  return (
    <div className={fullScreen ? "payments-qr-full" : "payments-dialog"} role="dialog" id="payments-dialog">
      {!link && invoiceId !== null && !error && !choosing && <p role="status">{t("payments.creating")}</p>}
      {!link && invoiceId !== null && choosing && (
        <>
          <h2>{t("payments.charge")}</h2>
          <ProviderSelect configured={configured} value={provider} onChange={setChosen} />
          <button id="payments-create" onClick={create}>{t("payments.create")}</button>
        </>
      )}
      {!link && invoiceId === null && (
        <>
          <h2>{t(kind === "qr" ? "payments.chargeQr" : "payments.charge")}</h2>
          <label>
            {t("payments.amount")}
            <input id="payments-amount" value={amount} inputMode="decimal" onChange={(e) => setAmount(e.target.value)} />
          </label>
          <label>
            {t("payments.concept")}
            <input id="payments-concept" value={title} onChange={(e) => setTitle(e.target.value)} />
          </label>
          {kind === "link" && !askedProvider && <ProviderSelect configured={configured} value={provider} onChange={setChosen} />}
          <button id="payments-create" onClick={create}>{t("payments.create")}</button>
        </>
      )}
      {link && (
        <>
          <h2>{link.title} · {formatMoney(link.amount_cents, lang)}</h2>
          {link.state === "creating" && <p role="status">{t("payments.creating")}</p>}
          {link.state === "failed" && <p className="field-error" role="alert">{link.error}</p>}
          {link.state === "expired" && <p className="field-error" role="alert" id="payments-expired">{t("payments.linkExpired")}</p>}
          {link.paid && <p className="payments-paid" role="status" id="payments-paid">{t("payments.paid")}</p>}
          {svg && !link.paid && (
            // Our own QR renderer's SVG (core: qrcode crate), not user content.
            <div className="payments-qr" id="payments-qr" dangerouslySetInnerHTML={{ __html: svg }} />
          )}
          {link.url && kind === "link" && (
            <p>
              <a
                id="payments-url"
                href={link.url}
                onClick={(e) => {
                  e.preventDefault();
                  open();
                }}
              >
                {link.url}
              </a>{" "}
              <button id="payments-copy" onClick={copy}>{copied ? t("payments.copied") : t("payments.copy")}</button>{" "}
              <button id="payments-open" onClick={open}>{t("cobrar.open")}</button>{" "}
              {link.customer_id !== null && (
                <button id="payments-send" onClick={send} disabled={sent}>
                  {sent ? t("cobrar.sent") : t("cobrar.send")}
                </button>
              )}
            </p>
          )}
          {link.error && link.state === "ready" && <p className="small muted">{link.error}</p>}
        </>
      )}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      <button id="payments-close" onClick={onClose}>{t("payments.close")}</button>
    </div>
  );
}
