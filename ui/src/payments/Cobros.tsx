import { useCallback, useEffect, useState } from "react";
import { asAppError } from "../api";
import {
  commands,
  events,
  onEvent,
  type AppError,
  type PaymentFilter,
  type PaymentView,
} from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { CREDIT_NOTE_FOR } from "../invoices/events";
import { ChargeDialog } from "./ChargeDialog";
import { formatMoney, refundable, statusKey } from "./model";
import { RefundDialog } from "./RefundDialog";
import "./payments.css";

const NO_FILTER: PaymentFilter = { status: null, invoice_id: null, customer_id: null, unsolicited_only: false, disputed_only: false, limit: null };

/** Cobros: every payment MercadoPago reported, "Cobrar" (link + QR + copy) and "Cobrar con QR". */
export function Cobros({ orgId }: { orgId: string }) {
  const t = useT();
  const lang = useLanguage();
  const [filter, setFilter] = useState<PaymentFilter>(NO_FILTER);
  const [rows, setRows] = useState<PaymentView[]>([]);
  const [error, setError] = useState<AppError | null>(null);
  const [alert, setAlert] = useState<string | null>(null);
  const [charging, setCharging] = useState<"link" | "qr" | null>(null);
  // The last refund of an invoice's payment: offers its nota de crédito.
  const [refunded, setRefunded] = useState<{ paymentId: number; cents: number } | null>(null);

  const load = useCallback(() => {
    commands
      .paymentsList(orgId, filter)
      .then(setRows)
      .catch((e) => setError(asAppError(e)));
  }, [orgId, filter]);

  useEffect(load, [load]);
  useEffect(() => {
    const off = onEvent(events.paymentEvent, (e) => {
      if (e.kind === "alert" && e.org_id === orgId) setAlert(e.message);
      load();
    });
    return () => {
      off.then((f) => f());
    };
  }, [orgId, load]);

  // The payment being refunded (the refund dialog is open).
  const [refunding, setRefunding] = useState<PaymentView | null>(null);
  const refund = (p: PaymentView) => setRefunding(p);
  const refundDone = (p: PaymentView, cents: number) => {
    setRefunding(null);
    setRefunded(p.invoice_id === null ? null : { paymentId: p.id, cents });
    load();
  };

  return (
    <section id="payments" className="payments">
      <header className="payments-head">
        <h1>{t("payments.title")}</h1>
        <button id="payments-charge" onClick={() => setCharging("link")}>{t("payments.charge")}</button>
        <button id="payments-charge-qr" onClick={() => setCharging("qr")}>{t("payments.chargeQr")}</button>
      </header>
      <div className="payments-filters">
        <select
          id="payments-filter-status"
          value={filter.status ?? ""}
          onChange={(e) => setFilter({ ...filter, status: e.target.value || null })}
        >
          <option value="">{t("payments.filter.all")}</option>
          {["approved", "pending", "in_process", "rejected", "refunded", "charged_back", "in_mediation"].map((s) => (
            <option key={s} value={s}>{t(statusKey(s) as never)}</option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={filter.disputed_only} onChange={(e) => setFilter({ ...filter, disputed_only: e.target.checked })} />
          {t("payments.filter.disputed")}
        </label>
        <label>
          <input type="checkbox" checked={filter.unsolicited_only} onChange={(e) => setFilter({ ...filter, unsolicited_only: e.target.checked })} />
          {t("payments.filter.unsolicited")}
        </label>
      </div>
      {alert && <p className="payments-alert" role="alert" id="payments-alert">{alert}</p>}
      {refunded && (
        <p role="status" id="payments-refund-notice">
          {t("cobrar.refunded", { amount: formatMoney(refunded.cents, lang) })}{" "}
          <button
            id="payments-refund-credit-note"
            onClick={() =>
              commands
                .paymentRefundCreditNote(orgId, refunded.paymentId, refunded.cents)
                .then((draft) => window.dispatchEvent(new CustomEvent(CREDIT_NOTE_FOR, { detail: draft })))
                .catch((e) => setError(asAppError(e)))
            }
          >
            {t("cobrar.creditNote", { amount: formatMoney(refunded.cents, lang) })}
          </button>
        </p>
      )}
      {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
      {rows.length === 0 ? (
        <p className="muted" id="payments-empty">{t("payments.empty")}</p>
      ) : (
        <table id="payments-table">
          <thead>
            <tr>
              <th>{t("payments.col.date")}</th>
              <th>{t("payments.col.customer")}</th>
              <th>{t("payments.col.status")}</th>
              <th>{t("payments.col.method")}</th>
              <th>{t("payments.col.amount")}</th>
              <th>{t("payments.col.fees")}</th>
              <th>{t("payments.col.net")}</th>
              <th>{t("payments.col.invoice")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id} data-status={p.status} className={p.disputed ? "disputed" : ""}>
                <td>{(p.approved_at ?? p.created_at).slice(0, 10)}</td>
                <td>{p.customer_name ?? (p.unsolicited ? t("payments.unsolicited") : "—")}</td>
                <td title={p.status_detail ?? ""}>
                  {t(statusKey(p.status) as never)}
                  {p.refunded_cents > 0 && ` (${t("payments.refunded", { amount: formatMoney(p.refunded_cents, lang) })})`}
                </td>
                <td>
                  {p.method ?? "—"}
                  {p.installments && p.installments > 1 ? ` · ${t("payments.installments", { n: String(p.installments) })}` : ""}
                </td>
                <td>{formatMoney(p.amount_cents, lang)}</td>
                <td>{p.fee_cents === null ? "—" : formatMoney(p.fee_cents, lang)}</td>
                <td>{p.net_cents === null ? "—" : formatMoney(p.net_cents, lang)}</td>
                <td>{p.invoice_id === null ? "—" : `#${p.invoice_id}`}</td>
                <td>{refundable(p) > 0 && <button onClick={() => refund(p)}>{t("payments.refund")}</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {charging && (
        <ChargeDialog orgId={orgId} kind={charging} onClose={() => { setCharging(null); load(); }} />
      )}
      {refunding && (
        <RefundDialog orgId={orgId} payment={refunding} onDone={(cents) => refundDone(refunding, cents)} onClose={() => setRefunding(null)} />
      )}
    </section>
  );
}
