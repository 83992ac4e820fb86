import { useEffect, useRef, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type PaymentLinkView } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { formatMoney, parseAmount } from "./model";
import "./payments.css";

/** "Cobrar": amount + concept → the link with its QR and a copy button; for "qr" the QR fills the
 * screen until the payment arrives. */
export function ChargeDialog({ orgId, kind, onClose }: { orgId: string; kind: "link" | "qr"; onClose: () => void }) {
  const t = useT();
  const lang = useLanguage();
  const [amount, setAmount] = useState("");
  const [title, setTitle] = useState("");
  const [link, setLink] = useState<PaymentLinkView | null>(null);
  const [svg, setSvg] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
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
    const cents = parseAmount(amount);
    if (cents === null) return setError({ code: "PAYMENT_INVALID", message: t("payments.amountInvalid"), details: null });
    if (busy.current) return;
    busy.current = true;
    commands
      .paymentCharge(orgId, {
        invoice_id: null,
        customer_id: null,
        amount_cents: cents,
        title: title.trim() || null,
        kind,
        send_to_customer: false,
      })
      .then(setLink)
      .catch((e) => setError(asAppError(e)))
      .finally(() => (busy.current = false));
  };

  const copy = () => {
    if (link?.url) navigator.clipboard.writeText(link.url).then(() => setCopied(true));
  };

  const fullScreen = kind === "qr" && link !== null;
  return (
    <div className={fullScreen ? "payments-qr-full" : "payments-dialog"} role="dialog" id="payments-dialog">
      {!link && (
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
          <button id="payments-create" onClick={create}>{t("payments.create")}</button>
        </>
      )}
      {link && (
        <>
          <h2>{link.title} · {formatMoney(link.amount_cents, lang)}</h2>
          {link.state === "creating" && <p role="status">{t("payments.creating")}</p>}
          {link.state === "failed" && <p className="field-error" role="alert">{link.error}</p>}
          {link.paid && <p className="payments-paid" role="status" id="payments-paid">{t("payments.paid")}</p>}
          {svg && !link.paid && (
            // Our own QR renderer's SVG (core: qrcode crate), not user content.
            <div className="payments-qr" id="payments-qr" dangerouslySetInnerHTML={{ __html: svg }} />
          )}
          {link.url && kind === "link" && (
            <p>
              <a id="payments-url" href={link.url} target="_blank" rel="noreferrer">{link.url}</a>{" "}
              <button id="payments-copy" onClick={copy}>{copied ? t("payments.copied") : t("payments.copy")}</button>
            </p>
          )}
        </>
      )}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      <button id="payments-close" onClick={onClose}>{t("payments.close")}</button>
    </div>
  );
}
