import type { AppError, ErrorCode, Language } from "../bindings";
import { translate } from "./index";

// English texts for error codes. Spanish comes from the core's own message.
const enByCode: Record<ErrorCode, string> = {
  INVALID_NAME: "Enter the business name (up to 120 characters).",
  INVALID_CUIT: "The CUIT is not valid: it has 11 digits and its last one is a check digit.",
  INVALID_IVA_CONDITION: "A business can be a registered taxpayer, monotributo or exempt.",
  DUPLICATE_ORGANIZATION: "A business with that name and CUIT already exists.",
  ORGANIZATION_NOT_FOUND: "That business does not exist.",
  DATABASE_CORRUPT:
    "The database is damaged or is not a Mostrador database. It was not modified: make a copy and contact support.",
  DATABASE_READ_ONLY:
    "The database cannot be written. Check the folder's permissions, or whether the disk is full or write-protected.",
  DATABASE_TOO_NEW: "This database is from a newer version of Mostrador. Update the app.",
  DATABASE_ERROR: "A database error occurred. Your data was not changed; try again.",
  KEYCHAIN_UNAVAILABLE:
    "No system keychain is available to store secrets safely. On Linux install and unlock gnome-keyring or KDE Wallet.",
  KEYCHAIN_ERROR: "The system keychain returned an error. Try again.",
  INVALID_SETTING: "A setting has an invalid value.",
  UPDATE_SERVER_UNREACHABLE:
    "Could not reach the update server. Check the internet connection and try again later.",
  UPDATE_MANIFEST_INVALID:
    "The update server answered with invalid data. Nothing was downloaded; try again later.",
  UPDATE_SIGNATURE_INVALID:
    "The download was rejected because its signature does not match; nothing was installed. Your current version keeps working.",
  UPDATE_DOWNLOAD_FAILED: "The update download was interrupted; nothing was installed. Try again.",
  UPDATE_INSTALL_FAILED:
    "The update could not be installed (was the permission prompt cancelled?). Your current version keeps working; try again.",
  UPDATE_NOT_DOWNLOADED: "No update is downloaded yet: check for updates and download it first.",
  UPDATE_BUSY: "An update check or download is already running: wait for it to finish.",
  UPDATE_MISCONFIGURED: "This installation of Mostrador has a broken update configuration. Contact support.",
  MEDIA_DOWNLOAD_FAILED: "The customer's file could not be downloaded. Try again later.",
  NOT_READY: "Mostrador could not open your data.",
  JOB_NOT_FOUND: "That send no longer exists (it may have been deleted for its age).",
  JOB_STATE_CONFLICT: "That send changed state in the meantime: refresh the list.",
  OUTBOUND_NOT_RUNNING:
    "Sending is still starting or could not start: wait a few seconds; if it persists, restart Mostrador and check the logs.",
  INTERNAL: "Something went wrong. Try again.",
  DEMO_FAILED: "Demo mode could not run on this computer. Leave the demo and try again; if it persists, check the logs.",
};

/** The text to show for an error in the current language. */
export function errorText(err: AppError, lang: Language): string {
  if (err.code === "INVALID_CUIT" && err.details && "expected_check_digit" in err.details) {
    return translate(lang, "errors.INVALID_CUIT.checkDigit", {
      expected: String(err.details.expected_check_digit),
      found: String(err.details.found_check_digit),
    });
  }
  if (lang === "es") return err.message;
  return enByCode[err.code] ?? err.message;
}

/** Which form field an error belongs to, when the core says so. */
export function errorField(err: AppError): string | null {
  const field = err.details?.field;
  return typeof field === "string" ? field : null;
}
