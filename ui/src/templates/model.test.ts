import { describe, expect, it } from "vitest";
import type { NewTemplateInput, TemplateView } from "../bindings";
import { checkNewTemplate, checkParam, fill, initialValues, preview, problems, recategorization, variables } from "./model";

function template(): TemplateView {
  return {
    name: "turno_confirmado",
    language: "es_AR",
    provider_id: "1",
    status: "APPROVED",
    category: "UTILITY",
    quality: "GREEN",
    reason: null,
    reason_es: null,
    parameter_format: "POSITIONAL",
    shape: {
      header: { format: "text", text: "Turno de {{1}}" },
      body: "Hola {{1}}, tu turno es el {{2}} a las {{3}}.",
      footer: "Peluquería Sol",
      buttons: [],
      variables: [
        { key: "header.1", part: "header", variable: "1", example: "Ana" },
        { key: "body.1", part: "body", variable: "1", example: "Ana" },
        { key: "body.2", part: "body", variable: "2", example: "lunes" },
        { key: "body.3", part: "body", variable: "3", example: "10:30" },
      ],
    },
    mapping: { "header.1": "customer_name", "body.1": "customer_name", "body.2": "date" },
    sendable: true,
    updated_at: "2026-11-29T12:00:00.000Z",
    previous_category: null,
    category_changed_at: null,
  };
}

describe("template parameters", () => {
  it("refuses what Meta refuses", () => {
    expect(checkParam("", 10)).toBe("empty");
    expect(checkParam("   ", 10)).toBe("empty");
    expect(checkParam("a\nb", 10)).toBe("new_line");
    expect(checkParam("a\tb", 10)).toBe("tab");
    expect(checkParam("a     b", 10)).toBe("too_many_spaces");
    expect(checkParam("a    b", 10)).toBeNull();
    expect(checkParam("ñandú", 5)).toBeNull();
    expect(checkParam("123456", 5)).toBe("too_long");
  });

  it("fills mapped fields from the context and names every empty one", () => {
    const t = template();
    const values = initialValues(t, { customer_name: "Ana", date: "lunes 3" });
    expect(values).toEqual({ "header.1": "Ana", "body.1": "Ana", "body.2": "lunes 3", "body.3": "" });
    expect(problems(t, values)).toEqual({ "body.3": "empty" });
    expect(problems(t, { ...values, "body.3": "10:30" })).toEqual({});
    expect(problems(t, { ...values, "body.3": "10\n30" })).toEqual({ "body.3": "new_line" });
  });

  it("previews live, keeping unfilled variables visible", () => {
    const t = template();
    const p = preview(t, { "header.1": "Ana", "body.1": "Ana", "body.2": "lunes 3", "body.3": "" });
    expect(p.header).toBe("Turno de Ana");
    expect(p.body).toBe("Hola Ana, tu turno es el lunes 3 a las {{3}}.");
    expect(p.footer).toBe("Peluquería Sol");
    expect(fill("{{nombre}} y {{x}}", (v) => (v === "nombre" ? "Juan" : undefined))).toBe("Juan y {{x}}");
    expect(variables("{{1}} {{2}} {{1}}")).toEqual(["1", "2"]);
  });
});

describe("new template limits", () => {
  const base: NewTemplateInput = {
    name: "pago_recibido",
    language: "es_AR",
    category: "UTILITY",
    header: null,
    body: "Hola {{1}}, recibimos tu pago de {{2}}.",
    examples: [
      ["1", "Ana"],
      ["2", "$ 100"],
    ],
    named: false,
    footer: null,
    buttons: [],
    mapping: {},
  };

  it("accepts a valid one and names the field of each problem", () => {
    expect(checkNewTemplate(base)).toBeNull();
    expect(checkNewTemplate({ ...base, name: "Pago Recibido" })?.field).toBe("name");
    expect(checkNewTemplate({ ...base, body: "{{1}} pagó {{2}}." })?.key).toBe("varAtEdge");
    expect(checkNewTemplate({ ...base, body: "Hola {{1}}, pagaste {{3}} hoy." })?.key).toBe("varGap");
    expect(checkNewTemplate({ ...base, examples: [["1", "Ana"]] })?.field).toBe("components.BODY.example.2");
    expect(checkNewTemplate({ ...base, footer: "x".repeat(61) })?.field).toBe("components.FOOTER.text");
    expect(checkNewTemplate({ ...base, header: { type: "text", text: "y".repeat(61), example: null } })?.field).toBe(
      "components.HEADER.text",
    );
    expect(
      checkNewTemplate({ ...base, buttons: [{ type: "quick_reply", text: "Un botón con texto demasiado largo" }] })?.field,
    ).toBe("components.BUTTONS[0].text");
    expect(
      checkNewTemplate({
        ...base,
        buttons: [{ type: "url", text: "Pagar", url: "https://p.example/{{1}}/x", example: "https://p.example/1/x" }],
      })?.field,
    ).toBe("components.BUTTONS[0].url");
    expect(checkNewTemplate({ ...base, buttons: [{ type: "copy_code", example: "CODIGO-MUY-LARGO-1" }] })?.field).toBe(
      "components.BUTTONS[0].example",
    );
  });
});

describe("recategorization", () => {
  it("says from which category Meta moved it, and when", () => {
    expect(recategorization(template())).toBeNull();
    const moved = { ...template(), category: "MARKETING", previous_category: "UTILITY", category_changed_at: "2026-11-29T15:00:00.000Z" };
    expect(recategorization(moved)).toEqual({ from: "UTILITY", to: "MARKETING", at: "2026-11-29T15:00:00.000Z" });
    // Back where it was: nothing to explain.
    expect(recategorization({ ...moved, category: "UTILITY" })).toBeNull();
  });
});
