import { useRef, useState } from "react";
import { asAppError } from "../api";
import { commands, type AppError, type PaymentView } from "../bindings";
import { useLanguage, useT } from "../i18n/context";
import { errorText } from "../i18n/errors";
import { amountText, formatMoney, refundAmount, refundable } from "./model";
import "./payments.css";

/** "Devolver": how much of payment `payment` to refund (es-AR money input, all that is left by
 * default), refused above what was paid with the reason shown in place; the core refuses it
 * again. `onDone` gets the cents asked for. */
export function RefundDialog({
  orgId,
  payment,
  onDone,
  onClose,
}: {
  orgId: string;
  payment: PaymentView;
  onDone: (cents: number) => void;
  onClose: () => void;
}) {
  const t = useT();
  const lang = useLanguage();
  const left = refundable(payment);
  const [typed, setTyped] = useState(amountText(left, lang));
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  // One idempotency key per dialog: a double click is one refund.
  const key = useRef(crypto.randomUUID());
  const busy = useRef(false);

  const submit = () => {
    const r = refundAmount(typed, left);
    if (!r.ok) {
      setProblem(r.reason === "above" ? t("refund.above", { max: formatMoney(left, lang) }) : t("payments.amountInvalid"));
      return;
    }
    if (busy.current) return;
    busy.current = true;
    setProblem(null);
    setError(null);
    commands
      .paymentRefund(orgId, { payment_id: payment.id, amount_cents: r.cents, idempotency_key: key.current })
      .then(() => onDone(r.cents))
      .catch((e) => {
        busy.current = false;
        setError(asAppError(e));
      });
  };

  return (
    <div className="payments-dialog" role="dialog" id="refund-dialog" aria-labelledby="refund-title">
      <h2 id="refund-title">{t("refund.title")}</h2>
      <p className="muted">{t("refund.paid", { paid: formatMoney(payment.amount_cents, lang), max: formatMoney(left, lang) })}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label>
          {t("refund.amount")}
          <input
            id="refund-amount"
            value={typed}
            inputMode="decimal"
            autoFocus
            aria-invalid={problem !== null}
            aria-describedby="refund-problem"
            onChange={(e) => (setTyped(e.target.value), setProblem(null))}
          />
        </label>
        {problem && (
          <p className="field-error" role="alert" id="refund-problem">
            {problem}
          </p>
        )}
        {error && <p className="field-error" role="alert">{errorText(error, lang)}</p>}
        <button id="refund-confirm" type="submit">{t("refund.confirm")}</button>{" "}
        <button id="refund-cancel" type="button" onClick={onClose}>{t("refund.cancel")}</button>
      </form>
    </div>
  );
}
