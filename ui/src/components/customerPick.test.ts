import { describe, expect, it } from "vitest";
import type { SearchHit } from "../bindings";
import { customerHits } from "./customerPick";

const hit = (conversation_id: number, message_id: number | null, customer_name: string): SearchHit => ({
  conversation_id,
  customer_name,
  message_id,
  snippet: message_id === null ? null : "…",
  at: "2026-11-30T12:00:00Z",
});

describe("customer picker", () => {
  it("keeps customers only, once each, in the order found", () => {
    const hits = [hit(7, null, "María González"), hit(7, 99, "María González"), hit(3, null, "Mario Paz"), hit(7, null, "María González"), hit(5, 12, "Ana")];
    expect(customerHits(hits).map((h) => h.conversation_id)).toEqual([7, 3]);
  });
});
