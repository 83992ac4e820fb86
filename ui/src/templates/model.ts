// Plantillas, pure logic: the same parameter and limit rules the core and Meta apply, the live
// preview, and the picker's fields. The core checks again; these give immediate feedback.
import type { ContextField, NewTemplateInput, TemplateView, VariableShape } from "../bindings";

/** Why a value would be refused (the core's `ParamIssue`). */
export type ParamIssue = "empty" | "new_line" | "tab" | "too_many_spaces" | "too_long";

export const LIMITS = {
  name: 512,
  headerText: 60,
  body: 1024,
  footer: 60,
  buttons: 10,
  buttonText: 25,
  urlButtons: 2,
  url: 2000,
  phoneNumber: 20,
  copyCode: 15,
  bodyParam: 1024,
  headerParam: 60,
  buttonParam: 2000,
} as const;

/** Distinct `{{…}}` variables of a text, in order of first appearance. */
export function variables(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\{\{([^}]*)\}\}/g)) {
    const v = m[1].trim();
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** What Meta refuses in a template parameter: empty, new line, tab, 5+ spaces, too long. */
export function checkParam(value: string, max: number): ParamIssue | null {
  if (value.trim() === "") return "empty";
  if (/[\r\n]/.test(value)) return "new_line";
  if (value.includes("\t")) return "tab";
  if (value.includes("     ")) return "too_many_spaces";
  if ([...value].length > max) return "too_long";
  return null;
}

/** Replaces each `{{var}}` by its value; a missing or empty value stays as `{{var}}`. */
export function fill(text: string, value: (variable: string) => string | undefined): string {
  return text.replace(/\{\{([^}]*)\}\}/g, (whole, v: string) => {
    const x = value(v.trim());
    return x === undefined || x === "" ? whole : x;
  });
}

/** One field of the picker. */
export type PickerField = {
  key: string;
  variable: VariableShape;
  field: ContextField | null;
  max: number;
};

export function pickerFields(t: TemplateView): PickerField[] {
  return t.shape.variables.map((v) => ({
    key: v.key,
    variable: v,
    field: t.mapping[v.key] ?? null,
    max: v.part === "body" ? LIMITS.bodyParam : v.part === "header" ? LIMITS.headerParam : LIMITS.buttonParam,
  }));
}

/** Initial values: what the context knows for each mapped variable. */
export function initialValues(
  t: TemplateView,
  context: Partial<Record<ContextField, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of pickerFields(t)) out[f.key] = (f.field && context[f.field]) || "";
  return out;
}

/** Every value Meta would refuse, by variable key. Empty when the template can be sent. */
export function problems(t: TemplateView, values: Record<string, string>): Record<string, ParamIssue> {
  const out: Record<string, ParamIssue> = {};
  for (const f of pickerFields(t)) {
    const issue = checkParam(values[f.key] ?? "", f.max);
    if (issue) out[f.key] = issue;
  }
  return out;
}

/** Meta re-categorized it (the price changes): from which category, to which, and when. `null`
 * when the category is the one it was created with. */
export function recategorization(t: TemplateView): { from: string; to: string; at: string | null } | null {
  if (!t.previous_category || !t.category || t.previous_category === t.category) return null;
  return { from: t.previous_category, to: t.category, at: t.category_changed_at };
}

/** The message as the customer will see it (header, body, footer). */
export function preview(t: TemplateView, values: Record<string, string>): { header: string | null; body: string; footer: string | null } {
  const header = t.shape.header?.text ? fill(t.shape.header.text, (v) => values[`header.${v}`]) : null;
  return {
    header,
    body: fill(t.shape.body, (v) => values[`body.${v}`]),
    footer: t.shape.footer,
  };
}

/** A problem of the Crear form: the request field (as the core names it) and a message key. */
export type FormProblem = { field: string; key: FormProblemKey; params?: Record<string, string> };
export type FormProblemKey =
  | "name"
  | "tooLong"
  | "varAtEdge"
  | "varGap"
  | "varName"
  | "headerVars"
  | "example"
  | "footerVars"
  | "buttons"
  | "url"
  | "phone";

function tooLong(field: string, value: string, max: number): FormProblem | null {
  const n = [...value].length;
  return n === 0 || n > max ? { field, key: "tooLong", params: { max: String(max), n: String(n) } } : null;
}

function checkVars(field: string, text: string, named: boolean): FormProblem | null {
  const vars = variables(text);
  if (vars.length === 0) return null;
  if (named) {
    if (vars.some((v) => !/^[a-z][a-z0-9_]{0,63}$/.test(v))) return { field, key: "varName" };
  } else {
    const nums = vars.map((v) => (/^\d+$/.test(v) ? Number(v) : NaN)).sort((a, b) => a - b);
    if (nums.some((n, i) => n !== i + 1)) return { field, key: "varGap" };
  }
  const s = text.trim();
  if (s.startsWith("{{") || s.endsWith("}}")) return { field, key: "varAtEdge" };
  return null;
}

/** Meta's limits on a new template, first problem only (the core has the same rules). */
export function checkNewTemplate(t: NewTemplateInput): FormProblem | null {
  if (!/^[a-z0-9_]{1,512}$/.test(t.name)) return { field: "name", key: "name" };
  if (t.header?.type === "text") {
    const p = tooLong("components.HEADER.text", t.header.text, LIMITS.headerText);
    if (p) return p;
    const vars = variables(t.header.text);
    if (vars.length > 1) return { field: "components.HEADER.text", key: "headerVars" };
    const v = checkVars("components.HEADER.text", t.header.text, t.named);
    if (v) return v;
    if (vars.length === 1 && !(t.header.example ?? "").trim()) return { field: "components.HEADER.example", key: "example" };
  }
  const body = tooLong("components.BODY.text", t.body, LIMITS.body) ?? checkVars("components.BODY.text", t.body, t.named);
  if (body) return body;
  const vars = variables(t.body);
  for (const v of vars) {
    const ex = t.examples.find(([k]) => k === v);
    if (!ex || !ex[1].trim()) return { field: `components.BODY.example.${v}`, key: "example", params: { variable: v } };
  }
  if (t.footer) {
    const p = tooLong("components.FOOTER.text", t.footer, LIMITS.footer);
    if (p) return p;
    if (variables(t.footer).length > 0) return { field: "components.FOOTER.text", key: "footerVars" };
  }
  if (t.buttons.length > LIMITS.buttons) return { field: "components.BUTTONS", key: "buttons" };
  let urls = 0;
  let phones = 0;
  let codes = 0;
  for (const [i, b] of t.buttons.entries()) {
    const at = (what: string) => `components.BUTTONS[${i}].${what}`;
    if (b.type === "copy_code") {
      codes++;
      const p = tooLong(at("example"), b.example, LIMITS.copyCode);
      if (p) return p;
      continue;
    }
    const p = tooLong(at("text"), b.text, LIMITS.buttonText);
    if (p) return p;
    if (b.type === "url") {
      urls++;
      const u = tooLong(at("url"), b.url, LIMITS.url);
      if (u) return u;
      const uv = variables(b.url);
      if (!/^https?:\/\//.test(b.url) || uv.length > 1 || (uv.length === 1 && !b.url.endsWith("}}")))
        return { field: at("url"), key: "url" };
      if (uv.length === 1 && !(b.example ?? "").trim()) return { field: at("example"), key: "example" };
    }
    if (b.type === "phone_number") {
      phones++;
      if (!/^\+?\d{1,19}$/.test(b.phone_number) || b.phone_number.length > LIMITS.phoneNumber)
        return { field: at("phone_number"), key: "phone" };
    }
  }
  if (urls > LIMITS.urlButtons || phones > 1 || codes > 1) return { field: "components.BUTTONS", key: "buttons" };
  const quick = t.buttons.map((b) => b.type === "quick_reply");
  if (quick.filter((q, i) => i > 0 && q !== quick[i - 1]).length > 1) return { field: "components.BUTTONS", key: "buttons" };
  return null;
}

/** A fresh idempotency key for one send intent (kept across retries of the same click). */
export function newSendKey(): string {
  return `tpl-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
