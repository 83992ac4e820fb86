import { useCallback, useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, events, onEvent, type AppError, type InvoicePaymentStatus, type NewInvoice, type PaymentView } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { ChargeDialog } from "./ChargeDialog";
import { formatMoney, invoicePaymentKey, refundable, statusKey } from "./model";
import { RefundDialog } from "./RefundDialog";
import "./payments.css";

/** In an invoice's detail: what it has been paid (Pagada / parcial / sobrepagada / contracargo),
 * its payments with "Devolver", "Cobrar" for what is left, and after a refund "Hacer nota de
 * crédito" for that amount (pre-filled by the core, linked to the invoice). */
export function InvoicePayments({
  orgId,
  invoiceId,
  canCharge,
  onCreditNote,
}: {
  orgId: string;
  invoiceId: number;
  canCharge: boolean;
  onCreditNote: (draft: NewInvoice) => void;
}) {
  const t = useT();
  const lang = useLanguage();
  const [status, setStatus] = useState<InvoicePaymentStatus | null>(null);
  const [rows, setRows] = useState<PaymentView[]>([]);
  const [charging, setCharging] = useState(false);
  const [refunded, setRefunded] = useState<{ paymentId: number; cents: number } | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const load = useCallback(() => {
    Promise.all([
      commands.invoicePaymentStatus(orgId, invoiceId),
      commands.paymentsList(orgId, { status: null, invoice_id: invoiceId, customer_id: null, unsolicited_only: false, disputed_only: false, limit: 50 }),
    ])
      .then(([s, list]) => (setStatus(s), setRows(list)))
      .catch((e) => setError(asAppError(e)));
  }, [orgId, invoiceId]);

  useEffect(load, [load]);
  // Pushed by the core when a payment changes (webhook fetched, refund applied).
  useEffect(() => {
    const off = onEvent(events.paymentEvent, (e) => {
      if (e.org_id === orgId) load();
    });
    return () => {
      off.then((f) => f());
    };
  }, [orgId, load]);

  // The payment being refunded (the refund dialog is open).
  const [refunding, setRefunding] = useState<PaymentView | null>(null);
  const refund = (p: PaymentView) => (setError(null), setRefunding(p));
  const refundDone = (p: PaymentView, cents: number) => {
    setRefunding(null);
    setRefunded({ paymentId: p.id, cents });
    load();
  };

  const creditNote = () => {
    if (!refunded) return;
    commands
      .paymentRefundCreditNote(orgId, refunded.paymentId, refunded.cents)
      .then(onCreditNote)
      .catch((e) => setError(asAppError(e)));
  };

  const state = status?.state ?? "unpaid";
  const left = status ? status.due_cents - status.paid_cents : null;
  return (
    <div className="inv-payments" id="inv-payments">
      <p>
        <span className={`inv-pay-state ${state}`} id="inv-payment-state" data-state={state}>
          {t(invoicePaymentKey(state) as never, {
            paid: formatMoney(status?.paid_cents ?? 0, lang),
            due: formatMoney(status?.due_cents ?? 0, lang),
          })}
        </span>
        {status?.flagged && (
          <span className="risk" id="inv-payment-flag">
            {" "}
            · {t("cobrar.flagged", { reason: status.flag_reason ?? "" })}
          </span>
        )}{" "}
        {canCharge && (left === null || left > 0) && (
          <button id="inv-charge" onClick={() => setCharging(true)}>
            {t("payments.charge")}
          </button>
        )}
      </p>
      {rows.length > 0 && (
        <ul className="small" id="inv-payment-list">
          {rows.map((p) => (
            <li key={p.id} data-payment-id={p.id} data-status={p.status}>
              {(p.approved_at ?? p.created_at).slice(0, 10)} · {t(statusKey(p.status) as never)} · {formatMoney(p.amount_cents, lang)}
              {p.refunded_cents > 0 && ` (${t("payments.refunded", { amount: formatMoney(p.refunded_cents, lang) })})`}{" "}
              {refundable(p) > 0 && (
                <button className="link" onClick={() => refund(p)}>
                  {t("payments.refund")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {refunded && (
        <p role="status" id="inv-refund-notice">
          {t("cobrar.refunded", { amount: formatMoney(refunded.cents, lang) })}{" "}
          <button id="inv-refund-credit-note" onClick={creditNote}>
            {t("cobrar.creditNote", { amount: formatMoney(refunded.cents, lang) })}
          </button>
        </p>
      )}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      {charging && (
        <ChargeDialog orgId={orgId} kind="link" invoiceId={invoiceId} onClose={() => (setCharging(false), load())} />
      )}
      {refunding && (
        <RefundDialog orgId={orgId} payment={refunding} onDone={(cents) => refundDone(refunding, cents)} onClose={() => setRefunding(null)} />
      )}
    </div>
  );
}
