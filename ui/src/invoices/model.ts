// Pure logic of Facturas (tested in model.test.ts): labels, money display, the form's draft and
// how the core's field errors map to the form's fields. Amounts are integer cents from the core;
// the window never computes a tax.

import type { AppError, InvoiceListFilter, InvoiceState, ItemIva, NewInvoice } from "../bindings";

/** AFIP's voucher types the app issues. */
const VOUCHERS: Record<number, { kind: "factura" | "nc" | "nd"; letter: "A" | "B" | "C" }> = {
  1: { kind: "factura", letter: "A" },
  2: { kind: "nd", letter: "A" },
  3: { kind: "nc", letter: "A" },
  6: { kind: "factura", letter: "B" },
  7: { kind: "nd", letter: "B" },
  8: { kind: "nc", letter: "B" },
  11: { kind: "factura", letter: "C" },
  12: { kind: "nd", letter: "C" },
  13: { kind: "nc", letter: "C" },
};

export type VoucherKindKey = "factura" | "nc" | "nd";

/** (kind, letter) of a CbteTipo, or null for one the app does not issue. */
export function voucherOf(type: number): { kind: VoucherKindKey; letter: string } | null {
  return VOUCHERS[type] ?? null;
}

export const ISSUED_TYPES = Object.keys(VOUCHERS).map(Number);

/** `00003-00001842`; a queued invoice has no number yet. */
export function voucherNumber(pointOfSale: number, number: number | null): string {
  const pos = String(pointOfSale).padStart(5, "0");
  return number == null ? `${pos}-—` : `${pos}-${String(number).padStart(8, "0")}`;
}

/** `$ 1.234,56` (es-AR) or `$1,234.56` (en), from integer cents, never through a float sum. */
export function formatCents(cents: number, locale: string): string {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const units = Math.trunc(abs / 100);
  const rest = abs % 100;
  const es = locale.startsWith("es");
  const grouped = String(units).replace(/\B(?=(\d{3})+(?!\d))/g, es ? "." : ",");
  const text = `${grouped}${es ? "," : "."}${String(rest).padStart(2, "0")}`;
  return `${negative ? "-" : ""}$${es ? " " : ""}${text}`;
}

/** Pending states the list keeps on top (with what the app is doing about them). */
export function isPending(state: InvoiceState): boolean {
  return state === "queued" || state === "submitting" || state === "in_doubt";
}

/** The IVA choices of a line: none on class C. */
export const IVA_RATES: ItemIva[] = ["21", "10.5", "27", "5", "2.5", "0", "exento", "no_gravado"];

export function ivaChoices(letter: string | null): ItemIva[] {
  return letter === "C" ? [] : IVA_RATES;
}

export interface ItemForm {
  description: string;
  quantity: string;
  unit_price: string;
  discount: string;
  iva: ItemIva | "";
}

export function emptyItem(withIva: boolean): ItemForm {
  return { description: "", quantity: "1", unit_price: "", discount: "", iva: withIva ? "21" : "" };
}

export type ReceiverKind = "consumidor_final" | "cuit" | "dni";

export interface InvoiceForm {
  receiverKind: ReceiverKind;
  docNumber: string;
  condition: NewInvoice["receiver"]["condition"];
  name: string;
  address: string;
  items: ItemForm[];
  concept: "products" | "services" | "both";
  serviceFrom: string;
  serviceTo: string;
  paymentDue: string;
  currency: "PES" | "DOL";
  rate: string;
  customerId: string | null;
  associatedInvoiceId: number | null;
  kind: NewInvoice["kind"];
}

/** "Nueva factura": consumidor final in pesos, one line; a customer pre-fills the name. */
export function newForm(customer?: { id: string; name: string } | null, withIva = true): InvoiceForm {
  return {
    receiverKind: "consumidor_final",
    docNumber: "",
    condition: "consumidor_final",
    name: customer?.name ?? "",
    address: "",
    items: [emptyItem(withIva)],
    concept: "products",
    serviceFrom: "",
    serviceTo: "",
    paymentDue: "",
    currency: "PES",
    rate: "",
    customerId: customer?.id ?? null,
    associatedInvoiceId: null,
    kind: "factura",
  };
}

/** Decimal typed with a comma (es-AR) or a dot, as the core wants it (dot). */
export function normalizeDecimal(s: string): string {
  const t = s.trim().replace(/\s/g, "");
  if (t.includes(",")) return t.replace(/\./g, "").replace(",", ".");
  return t;
}

const dateOrNull = (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);

/** The command's input from the form. */
export function toNewInvoice(f: InvoiceForm): NewInvoice {
  const doc: NewInvoice["receiver"]["doc"] =
    f.receiverKind === "cuit"
      ? { type: "cuit", number: f.docNumber.replace(/\D/g, "") }
      : f.receiverKind === "dni"
        ? { type: "dni", number: f.docNumber.replace(/\D/g, "") }
        : { type: "consumidor_final" };
  return {
    kind: f.kind,
    date: null,
    concept: {
      kind: f.concept,
      service_from: f.concept === "products" ? null : dateOrNull(f.serviceFrom),
      service_to: f.concept === "products" ? null : dateOrNull(f.serviceTo),
      payment_due: f.concept === "products" ? null : dateOrNull(f.paymentDue),
    },
    receiver: {
      doc,
      condition: f.receiverKind === "consumidor_final" ? "consumidor_final" : f.condition,
      name: f.name.trim() || null,
      address: f.address.trim() || null,
    },
    items: f.items.map((it) => ({
      description: it.description.trim(),
      quantity: normalizeDecimal(it.quantity),
      unit_price: normalizeDecimal(it.unit_price),
      discount: it.discount.trim() ? normalizeDecimal(it.discount) : null,
      iva: it.iva === "" ? null : it.iva,
    })),
    currency: f.currency === "PES" ? null : { code: f.currency, rate: normalizeDecimal(f.rate) },
    associated_invoice_id: f.associatedInvoiceId,
    customer_id: f.customerId,
  };
}

/** The form from a draft the core made ("Hacer nota de crédito"). */
export function fromNewInvoice(n: NewInvoice): InvoiceForm {
  const doc = n.receiver.doc;
  return {
    receiverKind: doc.type === "cuit" || doc.type === "cuil" ? "cuit" : doc.type === "dni" ? "dni" : "consumidor_final",
    docNumber: "number" in doc ? doc.number : "",
    condition: n.receiver.condition,
    name: n.receiver.name ?? "",
    address: n.receiver.address ?? "",
    items: n.items.map((i) => ({
      description: i.description,
      quantity: i.quantity,
      unit_price: i.unit_price,
      discount: i.discount ?? "",
      iva: i.iva ?? "",
    })),
    concept: n.concept.kind,
    serviceFrom: n.concept.service_from ?? "",
    serviceTo: n.concept.service_to ?? "",
    paymentDue: n.concept.payment_due ?? "",
    currency: n.currency ? "DOL" : "PES",
    rate: n.currency?.rate ?? "",
    customerId: n.customer_id ?? null,
    associatedInvoiceId: n.associated_invoice_id ?? null,
    kind: n.kind,
  };
}

/**
 * Which form field a core error belongs to: `details.field` (`items[2].quantity`,
 * `receiver.doc`, `currency.rate`…) mapped to the form's ids; `null` shows it on top.
 */
export function fieldOfError(e: AppError | null): string | null {
  if (!e || e.code !== "INVOICE_INVALID") return null;
  const details = e.details as { field?: unknown } | null;
  const field = typeof details?.field === "string" ? details.field : null;
  if (!field) return null;
  const item = /^items\[(\d+)\]\.(\w+)$/.exec(field);
  if (item) return `item-${item[1]}-${item[2]}`;
  if (/^items\[(\d+)\]$/.test(field)) return `item-${/\d+/.exec(field)![0]}-description`;
  if (field.startsWith("receiver")) return field.includes("condition") ? "receiver-condition" : "receiver-doc";
  if (field.startsWith("currency")) return "currency-rate";
  if (field.startsWith("concept") || field.startsWith("service")) return "concept";
  return field;
}

/** First and last day (YYYY-MM-DD) of the month of `day`. */
export function monthOf(day: Date): { from: string; to: string } {
  const y = day.getFullYear();
  const m = day.getMonth();
  const pad = (n: number) => String(n).padStart(2, "0");
  const last = new Date(y, m + 1, 0).getDate();
  return { from: `${y}-${pad(m + 1)}-01`, to: `${y}-${pad(m + 1)}-${pad(last)}` };
}

/** A fresh idempotency key per "Emitir" form (a double click reuses it). */
export function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `k-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** The list's filter narrowed to one customer (`null` clears it); back to the first page is the caller's. */
export function withCustomer(filter: InvoiceListFilter, customer: { id: string } | null): InvoiceListFilter {
  return { ...filter, customer_id: customer?.id ?? null };
}
