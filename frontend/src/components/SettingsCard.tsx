// The settings a chat conversation would create its job with, with "Start training" and "Edit".
// Every value comes resolved from the server (ChatResponse.settings: the preset and the defaults
// applied, as the trainer applies them), each marked with where it came from.
import { Fragment, type ReactNode } from "react";
import type { ResolvedSettings, SettingValue } from "../api/client";
import { useI18n, type MessageKey } from "../i18n";
import { ResolutionNotes } from "./ResolutionNotes";

const SOURCE_KEYS: Record<SettingValue["source"], MessageKey | null> = {
  request: null, // what the user asked for is shown plain
  preset: "card.source.preset",
  default: "card.source.default",
  resolved: "card.source.resolved",
};

function Value({ setting, text }: { setting: SettingValue; text?: string }) {
  const { t } = useI18n();
  const source = SOURCE_KEYS[setting.source];
  return (
    <span className={`value source-${setting.source}`} data-source={setting.source}>
      {text ?? String(setting.value)}
      {source && <small className="source-mark"> ({t(source)})</small>}
      {!setting.applies && <small className="source-mark"> ({t("card.notUsed")})</small>}
    </span>
  );
}

// The parts with the separator between them, each keyed by its place (React's list keys).
function joined(parts: ReactNode[], separator: string): ReactNode[] {
  return parts.map((part, i) => (
    <Fragment key={i}>
      {i > 0 && separator}
      {part}
    </Fragment>
  ));
}

interface Props {
  settings: ResolvedSettings | null | undefined;
  missing: string[];
  canStart: boolean;
  busy?: boolean;
  onStart: () => void;
  onEdit: () => void;
}

export function SettingsCard({ settings, missing, canStart, busy = false, onStart, onEdit }: Props) {
  const { t } = useI18n();
  const shown = (setting: SettingValue | undefined, empty?: string): ReactNode => {
    if (!setting || (setting.value === null && empty === undefined)) return null;
    return <Value setting={setting} text={setting.value === null ? empty : undefined} />;
  };
  const s = settings ?? undefined;
  const augmentations = s?.augmentations.map((aug) => (
    <Value key={aug.name} setting={aug} text={aug.value === true ? aug.name : `${aug.name} ${String(aug.value)}`} />
  ));
  const rows: [MessageKey, ReactNode][] = [
    ["card.model", shown(s?.model_name)],
    ["card.task", shown(s?.task_type)],
    ["card.preset", shown(s?.preset)],
    ["card.optimizer", s && joined([shown(s.optimizer, "—"), shown(s.learning_rate, "—")], " / ")],
    ["card.warmup", shown(s?.warmup_epochs)],
    ["card.augment", s && (augmentations?.length ? joined(augmentations, ", ") : t("card.none"))],
    ["card.epochs", shown(s?.num_epochs)],
    ["card.batch", shown(s?.batch_size)],
    ["card.imageSize", shown(s?.image_size, t("card.auto"))],
    ["card.dataset", shown(s?.dataset_path)],
  ];
  if (s?.priority) {
    rows.push(["priority.label", <Value setting={s.priority} text={t(`priority.${String(s.priority.value ?? "normal")}` as MessageKey)} />]);
  }
  if (s?.weights) {
    rows.push(["card.weights", <span className={s.weights.found ? "weights-found" : "error"}>{s.weights.message}</span>]);
  }
  return (
    <section className="card settings-card" aria-label={t("chat.settings")}>
      <h3>{t("chat.settings")}</h3>
      <dl>
        {rows.map(([key, value]) => (
          <div key={key} className="setting">
            <dt>{t(key)}</dt>
            <dd>{value ?? "—"}</dd>
          </div>
        ))}
      </dl>
      {s?.class_names && <p>{t("card.classes", { names: s.class_names.join(", ") })}</p>}
      <ResolutionNotes intent={s?.preset_intent} adjustments={s?.adjustments} />
      <p className="source-legend">{t("card.legend")}</p>
      {missing.length > 0 && <p className="missing">{t("chat.missing", { fields: missing.join(", ") })}</p>}
      <div className="actions">
        <button type="button" className="primary" disabled={!canStart || busy} onClick={onStart}>
          {t("chat.start")}
        </button>
        <button type="button" onClick={onEdit}>
          {t("chat.edit")}
        </button>
      </div>
    </section>
  );
}
