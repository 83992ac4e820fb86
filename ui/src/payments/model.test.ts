import { describe, expect, it } from "vitest";
import { amountText, formatMoney, invoicePaymentKey, parseAmount, refundAmount, refundable, statusKey } from "./model";

describe("payments model", () => {
  it("formats money without floating point", () => {
    expect(formatMoney(150050, "es")).toBe("$ 1.500,50");
    expect(formatMoney(150050, "en")).toBe("$1,500.50");
    expect(formatMoney(5, "es")).toBe("$ 0,05");
    expect(formatMoney(-100000, "es")).toBe("-$ 1.000,00");
  });

  it("reads amounts as typed in Argentina", () => {
    expect(parseAmount("1500")).toBe(150000);
    expect(parseAmount("1.500,50")).toBe(150050);
    expect(parseAmount("$ 1500.5")).toBe(150050);
    expect(parseAmount("0")).toBeNull();
    expect(parseAmount("12,345")).toBeNull();
    expect(parseAmount("abc")).toBeNull();
  });

  it("names statuses and what can be refunded", () => {
    expect(statusKey("approved")).toBe("payments.status.approved");
    expect(statusKey("weird")).toBe("payments.status.other");
    expect(refundable({ status: "approved", amount_cents: 1000, refunded_cents: 300 })).toBe(700);
    expect(refundable({ status: "rejected", amount_cents: 1000, refunded_cents: 0 })).toBe(0);
  });

  it("names every invoice payment state, unknown ones as unpaid", () => {
    expect(invoicePaymentKey("paid")).toBe("cobrar.state.paid");
    expect(invoicePaymentKey("overpaid")).toBe("cobrar.state.overpaid");
    expect(invoicePaymentKey("something_new")).toBe("cobrar.state.unpaid");
  });
});

describe("refund amount", () => {
  it("takes es-AR amounts up to what was paid", () => {
    expect(refundAmount("1.500,50", 150050)).toEqual({ ok: true, cents: 150050 });
    expect(refundAmount("$ 700", 150050)).toEqual({ ok: true, cents: 70000 });
    expect(refundAmount("0,01", 1)).toEqual({ ok: true, cents: 1 });
  });

  it("refuses more than was paid, and what is not an amount", () => {
    expect(refundAmount("1.500,51", 150050)).toEqual({ ok: false, reason: "above" });
    expect(refundAmount("2000", 150050)).toEqual({ ok: false, reason: "above" });
    expect(refundAmount("", 150050)).toEqual({ ok: false, reason: "invalid" });
    expect(refundAmount("-5", 150050)).toEqual({ ok: false, reason: "invalid" });
    expect(refundAmount("0", 150050)).toEqual({ ok: false, reason: "invalid" });
    expect(refundAmount("1,234", 150050)).toEqual({ ok: false, reason: "invalid" });
  });

  it("starts from what is left, written as typed in Argentina", () => {
    expect(amountText(150050, "es")).toBe("1.500,50");
    expect(refundAmount(amountText(150050, "es"), 150050)).toEqual({ ok: true, cents: 150050 });
    expect(amountText(5, "es")).toBe("0,05");
    expect(amountText(150050, "en")).toBe("1500.50");
    expect(refundAmount(amountText(150050, "en"), 150050)).toEqual({ ok: true, cents: 150050 });
  });
});
