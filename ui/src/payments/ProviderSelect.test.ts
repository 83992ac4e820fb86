import { describe, expect, it } from "vitest";
import { defaultProvider } from "./ProviderSelect";

describe("defaultProvider", () => {
  it("picks MercadoPago for pesos and Stripe for dollars when both are configured", () => {
    const both = { mercadopago: true, stripe: true };
    expect(defaultProvider(both, "ARS")).toBe("mercadopago");
    expect(defaultProvider(both, "usd")).toBe("stripe");
  });

  it("uses the only one configured, or none", () => {
    expect(defaultProvider({ mercadopago: false, stripe: true }, "ARS")).toBe("stripe");
    expect(defaultProvider({ mercadopago: true, stripe: false }, "USD")).toBe("mercadopago");
    expect(defaultProvider({ mercadopago: false, stripe: false }, "ARS")).toBeNull();
  });
});
