// What a preset is for, and each value resolved for the run unlike the preset's, with why
// (the server's `preset_intent` and `adjustments`: on the chat card, the form and the job page).
import type { Adjustment } from "../api/client";
import { useI18n } from "../i18n";

interface Props {
  intent?: string | null;
  adjustments?: Adjustment[];
  problem?: string | null;
}

export function ResolutionNotes({ intent, adjustments = [], problem }: Props) {
  const { t } = useI18n();
  if (!intent && !adjustments.length && !problem) return null;
  return (
    <section className="resolution" aria-label={t("resolution.title")}>
      {intent && <p className="preset-intent">{t("resolution.intent", { intent })}</p>}
      {adjustments.length > 0 && (
        <>
          <h4>{t("resolution.title")}</h4>
          <ul>
            {adjustments.map((a) => (
              <li key={a.field} data-field={a.field}>
                {a.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {problem && (
        <p className="error" role="status">
          {problem}
        </p>
      )}
    </section>
  );
}
