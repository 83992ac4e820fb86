// Pure logic of Ajustes → AFIP (tested in model.test.ts).

/** How the certificate's expiry is shown. */
export type ExpiryTone = "ok" | "warning" | "expired";

/** Warn this many days ahead (the core says the same with `expiring_soon`). */
export const EXPIRY_WARNING_DAYS = 30;

export function expiryTone(daysLeft: number, expired: boolean): ExpiryTone {
  if (expired || daysLeft < 0) return "expired";
  if (daysLeft <= EXPIRY_WARNING_DAYS) return "warning";
  return "ok";
}

/** Base64 of a file's bytes, in chunks (a 5 MB file must not blow the argument limit). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** An alias AFIP accepts (letters, digits, "-" and "_"), suggested from the business name. */
export function suggestAlias(businessName: string): string {
  const base = businessName
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 30);
  return base ? `mostrador-${base}` : "mostrador";
}

export function validAlias(alias: string): boolean {
  return /^[A-Za-z0-9_-]{1,50}$/.test(alias.trim());
}

/** What kind of file the owner picked, by name: a .p12 needs a password, a key pairs a cert. */
export type PickedKind = "p12" | "key" | "certificate";

export function pickedKind(fileName: string): PickedKind {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".p12") || lower.endsWith(".pfx")) return "p12";
  if (lower.endsWith(".key")) return "key";
  return "certificate";
}

/** Points of sale the owner can choose (not blocked, not closed), in order. */
export function usablePoints<T extends { number: number; blocked: boolean; closed: boolean }>(
  points: T[],
): T[] {
  return points.filter((p) => !p.blocked && !p.closed).sort((a, b) => a.number - b.number);
}

/** `YYYY-MM-DD` from a date input, or null when empty. */
export function dateOrNull(value: string): string | null {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
}

/** A point of sale AFIP lists for contingency (CAEA) invoices ("CAEA - …"), not for the CAE. */
export function isCaeaPoint(p: { emission_type: string }): boolean {
  return p.emission_type.trim().toUpperCase().startsWith("CAEA");
}

/** `YYYY-MM-DD` as the owner reads it (`DD/MM/YYYY`). */
export function dmy(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : date;
}
