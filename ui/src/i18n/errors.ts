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
  INVALID_RECIPIENT:
    "That phone number or e-mail address cannot be used (invalid, missing, or the customer opted out of that channel).",
  CHANNEL_NOT_CONFIGURED: "That channel is not set up yet: complete it in Settings.",
  PROVIDER_REJECTED: "The provider refused the test message; check the settings and try again.",
  REMINDER_NOT_EDITABLE: "That reminder was already sent, cancelled or missed: it can no longer change.",
  INVOICE_INVALID: "The invoice breaks a rule: check the highlighted field.",
  INVOICE_NOT_FOUND: "That invoice does not exist.",
  CONVERSATION_NOT_FOUND: "That conversation no longer exists.",
  MESSAGE_NOT_FOUND: "That message no longer exists.",
  WINDOW_CLOSED: "More than 24 h have passed since the customer's last message: you can only send a template.",
  CUSTOMER_OPTED_OUT: "The customer asked not to receive messages: it was not sent.",
  INVALID_MESSAGE: "WhatsApp would refuse this message (empty, too long, or a file of the wrong type or size).",
  WHATSAPP_TOKEN_INVALID:
    "Meta rejected the access token: it is invalid or expired (code 190). Copy the System User's token again from Meta Business.",
  WHATSAPP_WRONG_ID:
    "Meta cannot find that phone number or account, or the token cannot see them (code 100). Check the IDs in WhatsApp Manager → API Setup.",
  WHATSAPP_PERMISSION_DENIED:
    "The token lacks permission on this account. In Meta Business, give the System User the WhatsApp account and the whatsapp_business_messaging and whatsapp_business_management permissions.",
  WHATSAPP_UNREACHABLE: "Could not reach WhatsApp (Meta). Check the internet connection and try again in a few minutes.",
  WHATSAPP_REJECTED: "Meta refused the connection test. Check the account in WhatsApp Manager.",
  WHATSAPP_NOT_CONNECTED: "WhatsApp is not connected for this business: connect it in Settings → WhatsApp.",
  RELAY_TOKEN_REJECTED: "The relay rejected the device token: it was mistyped or rotated. Paste the current one.",
  RELAY_UNREACHABLE: "Could not reach the relay: check its address, the internet connection and that the relay is running.",
  RELAY_BLOCK_INVALID:
    "The relay data is incomplete: paste everything `mostrador-relay tenant create` printed, or type the relay address and device token.",
  RELAY_TENANT_IN_USE: "That relay already feeds another business on this computer: create another tenant for this one.",
  AFIP_CERTIFICATE_INVALID: "That file is not a certificate, key or .p12 that can be read. Nothing was stored.",
  AFIP_WRONG_PASSWORD: "The .p12 password is wrong. Nothing was stored.",
  AFIP_KEY_MISMATCH:
    "That certificate does not belong to this computer's key: it was issued for another request (CSR). Upload Mostrador's CSR to AFIP and download the new certificate. Nothing was stored.",
  AFIP_CUIT_MISMATCH: "The certificate is for another CUIT than this business's. Nothing was stored.",
  AFIP_CERTIFICATE_EXPIRED: "The certificate has expired (or is not valid yet). Nothing was stored.",
  AFIP_NOT_CONFIGURED:
    "AFIP (ARCA) is not set up yet: generate the key, import the certificate and choose the point of sale in Settings → AFIP.",
  AFIP_REJECTED: "AFIP refused: check that the certificate is authorized for wsfe in this environment.",
  AFIP_UNREACHABLE: "Could not reach AFIP. Check the internet connection and try again.",
  TEMPLATE_INVALID: "The template or one of its values breaks a WhatsApp rule: check the highlighted field.",
  TEMPLATE_REJECTED: "WhatsApp refused the template: check the highlighted field.",
  TEMPLATE_NOT_FOUND: "That template does not exist. Sync the templates.",
  TEMPLATE_NOT_APPROVED: "That template is not approved by WhatsApp yet, so it cannot be sent.",
  TEMPLATE_RECIPIENT_MISSING: "That customer does not exist or has no WhatsApp number.",
  WHATSAPP_REQUEST_FAILED: "The call to WhatsApp failed. Try again in a few minutes.",
  DEMO_FAILED: "Demo mode could not run on this computer. Leave the demo and try again; if it persists, check the logs.",
  PAYMENTS_NOT_CONFIGURED:
    "MercadoPago is not set up: paste the access token and the webhook secret in Settings → MercadoPago.",
  PAYMENT_NOT_FOUND: "That payment does not exist.",
  PAYMENT_INVALID: "The charge or refund breaks a rule: check the highlighted field.",
  REFUND_TOO_LARGE: "That refund is larger than what is left of the payment.",
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
  if (err.code === "WINDOW_CLOSED" && typeof err.details?.customer_name === "string") {
    return `More than 24 h have passed since ${err.details.customer_name}'s last message: you can only send a template.`;
  }
  return enByCode[err.code] ?? err.message;
}

/** Which form field an error belongs to, when the core says so. */
export function errorField(err: AppError): string | null {
  const field = err.details?.field;
  return typeof field === "string" ? field : null;
}
