import { EmailSettingsSection } from "./EmailSettingsSection";
import { SmsSettingsSection } from "./SmsSettingsSection";

/** Ajustes → SMS and Ajustes → E-mail (rendered by Settings for the current business). */
export function ChannelSettings({ orgId }: { orgId: string }) {
  return (
    <>
      <SmsSettingsSection orgId={orgId} />
      <EmailSettingsSection orgId={orgId} />
    </>
  );
}
