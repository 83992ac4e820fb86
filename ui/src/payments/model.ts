// Pure helpers of the Cobros page (tested in model.test.ts).

/** `$ 1.500,50` (es-AR) or `$1,500.50` (en) from integer cents. */
export function formatMoney(cents: number, lang: "es" | "en"): string {
  const neg = cents < 0;
  const abs = Math.abs(Math.trunc(cents));
  const units = Math.floor(abs / 100).toString();
  const dec = (abs % 100).toString().padStart(2, "0");
  const sep = lang === "es" ? "." : ",";
  const grouped = units.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  const body = lang === "es" ? `$ ${grouped},${dec}` : `$${grouped}.${dec}`;
  return neg ? `-${body}` : body;
}

/** Cents from what the owner typed (`1500`, `1.500,50`, `1500.5`); null when it is not an amount. */
export function parseAmount(text: string): number | null {
  let t = text.trim().replace(/\$|\s/g, "");
  if (t === "") return null;
  // es-AR: "." groups thousands and "," is the decimal mark.
  if (t.includes(",")) t = t.replace(/\./g, "").replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
  const [int, frac = ""] = t.split(".");
  const cents = Number(int) * 100 + Number(frac.padEnd(2, "0"));
  return Number.isSafeInteger(cents) && cents > 0 ? cents : null;
}

/** The statuses MercadoPago reports that have a text; others show as they come. */
export const KNOWN_STATUSES = [
  "pending",
  "approved",
  "authorized",
  "in_process",
  "in_mediation",
  "rejected",
  "cancelled",
  "refunded",
  "charged_back",
] as const;

export function statusKey(status: string): string {
  return (KNOWN_STATUSES as readonly string[]).includes(status) ? `payments.status.${status}` : "payments.status.other";
}

/** What is left to refund of a payment. */
export function refundable(p: { status: string; amount_cents: number; refunded_cents: number }): number {
  return p.status === "approved" ? Math.max(0, p.amount_cents - p.refunded_cents) : 0;
}

/** The text key of an invoice's payment state (`unpaid`, `partial`, `paid`, `overpaid`,
 * `currency_mismatch`); unknown states read as unpaid. */
export function invoicePaymentKey(state: string): string {
  const known = ["unpaid", "partial", "paid", "overpaid", "currency_mismatch"];
  return `cobrar.state.${known.includes(state) ? state : "unpaid"}`;
}

/** What the refund dialog makes of the typed amount: cents to refund, or why not (not an
 * amount, or more than what is left of the payment). */
export type RefundAmount = { ok: true; cents: number } | { ok: false; reason: "invalid" | "above" };

export function refundAmount(text: string, leftCents: number): RefundAmount {
  const cents = parseAmount(text);
  if (cents === null) return { ok: false, reason: "invalid" };
  if (cents > leftCents) return { ok: false, reason: "above" };
  return { ok: true, cents };
}

/** The amount the refund dialog starts with: all that is left, as typed in es-AR (`1.500,50`);
 * in English without grouping (`1500.50`), which [`parseAmount`] also reads. */
export function amountText(cents: number, lang: "es" | "en"): string {
  const abs = Math.abs(Math.trunc(cents));
  if (lang === "en") return `${Math.floor(abs / 100)}.${(abs % 100).toString().padStart(2, "0")}`;
  return formatMoney(abs, "es").replace(/^\$\s/, "");
}
