// Pure logic of the issuer logo picker (tested in logo.test.ts).

import type { AppError, LogoInfo } from "../../bindings";

/** `JPEG · 120 × 40 px`: what the settings show of the chosen logo. */
export function logoSummary(info: LogoInfo): string {
  return `${info.format.toUpperCase()} · ${info.width} × ${info.height} px`;
}

/** Why the core refused a logo (`details.reason`), for a text in the owner's language. */
export type LogoRefusal = "too_large" | "not_image" | "pixel_size" | "unsupported" | "corrupt" | "unreadable";

const REFUSALS: LogoRefusal[] = ["too_large", "not_image", "pixel_size", "unsupported", "corrupt", "unreadable"];

export function logoRefusal(err: AppError): LogoRefusal | null {
  if (err.details?.field !== "logo") return null;
  const reason = err.details.reason;
  return REFUSALS.find((r) => r === reason) ?? null;
}
