import { useCallback, useEffect, useState } from "react";
import { asAppError } from "../api";
import { commands, events, onEvent, type AppError, type PaymentView } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { ChargeDialog } from "./ChargeDialog";
import { formatMoney, statusKey } from "./model";
import "./payments.css";

/** In a conversation's customer panel: "Cobrar" an amount to this customer (the link can go in
 * the conversation) and the customer's payments. */
export function CustomerPayments({ orgId, customerId }: { orgId: string; customerId: number }) {
  const t = useT();
  const lang = useLanguage();
  const [rows, setRows] = useState<PaymentView[]>([]);
  const [charging, setCharging] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  const load = useCallback(() => {
    commands
      .paymentsList(orgId, { status: null, invoice_id: null, customer_id: customerId, unsolicited_only: false, disputed_only: false, limit: 20 })
      .then(setRows)
      .catch((e) => setError(asAppError(e)));
  }, [orgId, customerId]);

  useEffect(load, [load]);
  useEffect(() => {
    const off = onEvent(events.paymentEvent, (e) => {
      if (e.org_id === orgId) load();
    });
    return () => {
      off.then((f) => f());
    };
  }, [orgId, load]);

  return (
    <div className="customer-payments" id="customer-payments">
      <button id="customer-charge" onClick={() => setCharging(true)}>
        {t("payments.charge")}
      </button>
      <h4>{t("cobrar.customerPayments")}</h4>
      {rows.length === 0 ? (
        <p className="small muted">{t("cobrar.noPayments")}</p>
      ) : (
        <ul className="small" id="customer-payment-list">
          {rows.map((p) => (
            <li key={p.id} data-status={p.status}>
              {(p.approved_at ?? p.created_at).slice(0, 10)} · {t(statusKey(p.status) as never)} · {formatMoney(p.amount_cents, lang)}
              {p.invoice_id !== null && ` · ${t("payments.col.invoice")} #${p.invoice_id}`}
            </li>
          ))}
        </ul>
      )}
      {error && <p className="field-error">{errorText(error, lang)}</p>}
      {charging && <ChargeDialog orgId={orgId} kind="link" customerId={customerId} onClose={() => (setCharging(false), load())} />}
    </div>
  );
}
