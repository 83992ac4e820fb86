import type { MessageKey } from "../i18n";
import { useT } from "../i18n/context";

export function EmptyState(props: { title: MessageKey; body: MessageKey }) {
  const t = useT();
  return (
    <section className="empty">
      <h2>{t(props.title)}</h2>
      <p className="muted">{t(props.body)}</p>
    </section>
  );
}
