import type { AppError } from "./bindings";

/** Turns whatever a failed command rejected with into an `AppError`. */
export function asAppError(raw: unknown): AppError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    const e = raw as AppError;
    return { code: e.code, message: e.message, details: e.details ?? null };
  }
  // Tauri itself rejects with a string (e.g. a missing command): a bug, not user error.
  return { code: "INTERNAL", message: String(raw), details: null };
}
