import { describe, expect, it } from "vitest";
import {
  fieldOfError,
  formatCents,
  fromNewInvoice,
  isPending,
  ivaChoices,
  monthOf,
  newForm,
  normalizeDecimal,
  toNewInvoice,
  voucherNumber,
  voucherOf,
  withCustomer,
} from "./model";

describe("money and numbers", () => {
  it("formats integer cents for es-AR and en without floats", () => {
    expect(formatCents(123456, "es-AR")).toBe("$ 1.234,56");
    expect(formatCents(123456, "en")).toBe("$1,234.56");
    expect(formatCents(-5, "es-AR")).toBe("-$ 0,05");
    expect(formatCents(100000000, "es-AR")).toBe("$ 1.000.000,00");
  });

  it("numbers vouchers like AFIP prints them", () => {
    expect(voucherNumber(3, 1842)).toBe("00003-00001842");
    expect(voucherNumber(1, null)).toBe("00001-—");
  });

  it("names voucher types", () => {
    expect(voucherOf(6)).toEqual({ kind: "factura", letter: "B" });
    expect(voucherOf(13)).toEqual({ kind: "nc", letter: "C" });
    expect(voucherOf(99)).toBeNull();
  });

  it("takes decimals typed with a comma", () => {
    expect(normalizeDecimal("1.234,50")).toBe("1234.50");
    expect(normalizeDecimal(" 12.5 ")).toBe("12.5");
  });
});

describe("the form", () => {
  it("defaults to consumidor final in pesos and maps to the command's input", () => {
    const f = newForm({ id: "c1", name: "Ana" });
    f.items[0] = { description: " Yerba ", quantity: "2", unit_price: "1.500,00", discount: "", iva: "21" };
    const n = toNewInvoice(f);
    expect(n.receiver.doc).toEqual({ type: "consumidor_final" });
    expect(n.receiver.name).toBe("Ana");
    expect(n.customer_id).toBe("c1");
    expect(n.currency).toBeNull();
    expect(n.items[0]).toEqual({ description: "Yerba", quantity: "2", unit_price: "1500.00", discount: null, iva: "21" });
    expect(n.concept.service_from).toBeNull();
  });

  it("sends a CUIT receiver with its condition and USD with its rate", () => {
    const f = newForm();
    f.receiverKind = "cuit";
    f.docNumber = "30-71234567-1";
    f.condition = "responsable_inscripto";
    f.currency = "DOL";
    f.rate = "1050,25";
    const n = toNewInvoice(f);
    expect(n.receiver.doc).toEqual({ type: "cuit", number: "30712345671" });
    expect(n.receiver.condition).toBe("responsable_inscripto");
    expect(n.currency).toEqual({ code: "DOL", rate: "1050.25" });
  });

  it("round-trips a credit note draft", () => {
    const f = newForm();
    f.kind = "nota_credito";
    f.associatedInvoiceId = 7;
    f.items[0] = { description: "Pan", quantity: "1.00", unit_price: "100.00", discount: "", iva: "10.5" };
    const back = fromNewInvoice(toNewInvoice(f));
    expect(back.kind).toBe("nota_credito");
    expect(back.associatedInvoiceId).toBe(7);
    expect(back.items[0].iva).toBe("10.5");
  });

  it("offers no IVA on class C", () => {
    expect(ivaChoices("C")).toEqual([]);
    expect(ivaChoices("B")).toContain("21");
  });
});

describe("errors beside the field", () => {
  const err = (field: string | null) => ({ code: "INVOICE_INVALID" as const, message: "x", details: field ? { field } : null });
  it("maps the core's field names to the form's", () => {
    expect(fieldOfError(err("items[2].quantity"))).toBe("item-2-quantity");
    expect(fieldOfError(err("receiver.doc"))).toBe("receiver-doc");
    expect(fieldOfError(err("currency.rate"))).toBe("currency-rate");
    expect(fieldOfError(err(null))).toBeNull();
    expect(fieldOfError({ code: "INTERNAL", message: "x", details: { field: "items[0].quantity" } })).toBeNull();
  });
});

describe("the list", () => {
  it("keeps pending and in-doubt on top", () => {
    expect(isPending("queued")).toBe(true);
    expect(isPending("in_doubt")).toBe(true);
    expect(isPending("authorized")).toBe(false);
  });

  it("computes the month's period", () => {
    expect(monthOf(new Date(2026, 1, 10))).toEqual({ from: "2026-02-01", to: "2026-02-28" });
  });
});

describe("withCustomer", () => {
  it("narrows the list to one customer and clears it again, keeping the other filters", () => {
    const f = { from: null, to: null, voucher_type: 6, state: null, customer_id: null, search: "yerba" };
    const narrowed = withCustomer(f, { id: "42" });
    expect(narrowed).toEqual({ ...f, customer_id: "42" });
    expect(withCustomer(narrowed, null)).toEqual(f);
  });
});
