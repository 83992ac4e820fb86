import { useT } from "../i18n/context";
import "./demo.css";

/** Shown on every screen while in demo mode: nothing here is real. */
export function DemoBand() {
  const t = useT();
  return (
    <div className="demo-band" id="demo-band" role="status">
      <strong>DEMO</strong>
      {t("demo.band")}
    </div>
  );
}
