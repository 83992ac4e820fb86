import { useT } from "../i18n/context";
import { showBanner } from "../updates/state";
import type { Updates } from "../updates/useUpdates";

/** Non-blocking: tells about an update found at start-up; work goes on underneath. */
export function UpdateBanner({ updates, onOpen }: { updates: Updates; onOpen: () => void }) {
  const t = useT();
  if (!showBanner(updates.state)) return null;
  return (
    <div className="banner" role="status" id="update-banner">
      {t("banner.update", { version: updates.state.available?.version ?? "" })}
      <button
        className="link"
        id="update-banner-open"
        onClick={() => {
          updates.dismissBanner();
          onOpen();
        }}
      >
        {t("banner.updateOpen")}
      </button>
      <button className="link" onClick={updates.dismissBanner}>
        {t("banner.dismiss")}
      </button>
    </div>
  );
}
