// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p mostrador bindings` after changing them.

import { invoke } from "@tauri-apps/api/core";

export type ErrorCode = "INVALID_NAME" | "INVALID_CUIT" | "INVALID_IVA_CONDITION" | "DUPLICATE_ORGANIZATION" | "ORGANIZATION_NOT_FOUND" | "DATABASE_CORRUPT" | "DATABASE_READ_ONLY" | "DATABASE_TOO_NEW" | "DATABASE_ERROR" | "KEYCHAIN_UNAVAILABLE" | "KEYCHAIN_ERROR" | "INVALID_SETTING" | "UPDATE_SERVER_UNREACHABLE" | "UPDATE_MANIFEST_INVALID" | "UPDATE_SIGNATURE_INVALID" | "UPDATE_DOWNLOAD_FAILED" | "UPDATE_INSTALL_FAILED" | "UPDATE_NOT_DOWNLOADED" | "UPDATE_BUSY" | "UPDATE_MISCONFIGURED" | "NOT_READY" | "INTERNAL";

export type AppError = { code: ErrorCode, 
/**
 * For people, in Spanish (es-AR). The UI may localize by `code` + `details`.
 */
message: string, details: Record<string, unknown> | null, };

export type OrgId = string;

export type IvaCondition = "responsable_inscripto" | "monotributo" | "exento" | "consumidor_final" | "no_alcanzado" | "monotributista_social" | "monotributo_trabajador_independiente_promovido" | "proveedor_del_exterior" | "cliente_del_exterior" | "iva_liberado" | "no_categorizado";

export type Language = "es" | "en";

export type Organization = { id: OrgId, name: string, cuit: string, iva_condition: IvaCondition, created_at: string, updated_at: string, };

export type NewOrganization = { name: string, cuit: string, iva_condition: IvaCondition, };

export type Snapshot = { organizations: Array<Organization>, 
/**
 * `None` only when there is no business yet (first run).
 */
current_org_id: OrgId | null, language: Language, };

export type StartupState = { 
/**
 * Where the database and logs live, shown in Ajustes and in error screens.
 */
data_dir: string, logs_dir: string, version: string, 
/**
 * `None` when the store could not open; `error` then says why.
 */
snapshot: Snapshot | null, error: AppError | null, };

export type InFlight = { outbound_sends: number, invoice_submissions: number, };

export type UpdateChannel = "stable" | "beta";

export type UpdateInfo = { version: string, current_version: string, 
/**
 * Release notes from the manifest.
 */
notes: string | null, 
/**
 * RFC 3339, as published in the manifest.
 */
pub_date: string | null, };

export type UpdateProgress = { "state": "downloading", downloaded: number, 
/**
 * `null` when the server does not say how big the download is.
 */
total: number | null, } | { "state": "downloaded", version: string, } | { "state": "waiting", in_flight: InFlight, } | { "state": "installing" };

export type UpdaterStatus = { current_version: string, channel: UpdateChannel, check_on_startup: boolean, 
/**
 * Set when `MOSTRADOR_UPDATE_ENDPOINT` overrides the configured endpoints (testing/staging).
 */
endpoint_override: string | null, 
/**
 * The newer release found by the last check, if any.
 */
available: UpdateInfo | null, 
/**
 * `available` is downloaded and verified: "Reiniciar para actualizar" can install it.
 */
downloaded: boolean, in_flight: InFlight, };

/** Every command the core exposes. Rejections carry an `AppError`. */
export const commands = {
  startupState: () => invoke<StartupState>("startup_state"),
  checkCuit: (cuit: string) => invoke<void>("check_cuit", { cuit }),
  createOrganization: (input: NewOrganization) => invoke<Organization>("create_organization", { input }),
  selectOrganization: (id: OrgId) => invoke<void>("select_organization", { id }),
  setLanguage: (language: Language) => invoke<void>("set_language", { language }),
  updateStatus: () => invoke<UpdaterStatus>("update_status"),
  checkForUpdate: () => invoke<UpdateInfo | null>("check_for_update"),
  downloadUpdate: () => invoke<UpdateInfo>("download_update"),
  restartToUpdate: () => invoke<void>("restart_to_update"),
  setUpdateChannel: (channel: UpdateChannel) => invoke<void>("set_update_channel", { channel }),
  setUpdateCheckOnStartup: (enabled: boolean) => invoke<void>("set_update_check_on_startup", { enabled }),
};

/** Events the core emits to the window. */
export const events = {
  secondInstance: "second-instance",
  /** Payload: `UpdateInfo`. */
  updateAvailable: "update-available",
  /** Payload: `UpdateProgress`. */
  updateProgress: "update-progress",
} as const;
