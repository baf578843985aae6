// The settings a chat message was parsed into, with "Start training" and "Edit".
import type { TrainingIntent } from "../api/client";
import { useI18n, type MessageKey } from "../i18n";

const AUGMENT_KEYS = ["aug_enabled", "random_flip", "random_rotation", "color_jitter", "mixup", "cutmix", "mosaic", "fliplr", "flipud", "degrees", "hsv_h", "scale", "translate", "copy_paste", "label_smoothing"];

function augmentations(config: Record<string, unknown>): string {
  const parts = AUGMENT_KEYS.filter((key) => key in config && config[key] !== false && config[key] !== 0).map((key) =>
    config[key] === true ? key : `${key}=${String(config[key])}`,
  );
  return parts.join(", ");
}

interface Props {
  intent: TrainingIntent;
  missing: string[];
  canStart: boolean;
  busy?: boolean;
  onStart: () => void;
  onEdit: () => void;
}

export function SettingsCard({ intent, missing, canStart, busy = false, onStart, onEdit }: Props) {
  const { t } = useI18n();
  const config = intent.advanced_config ?? {};
  const lr = intent.learning_rate ?? (config.learning_rate as number | undefined) ?? (config.lr0 as number | undefined);
  const optimizer = [config.optimizer_type ?? config.optimizer, lr].filter((v) => v !== undefined && v !== null).join(" / ");
  const rows: [MessageKey, unknown][] = [
    ["card.model", intent.model_name],
    ["card.task", intent.task_type],
    ["card.preset", intent.preset],
    ["card.optimizer", optimizer],
    ["card.warmup", config.warmup_epochs],
    ["card.augment", augmentations(config)],
    ["card.epochs", intent.num_epochs],
    ["card.batch", intent.batch_size],
    ["card.imageSize", intent.image_size],
    ["card.dataset", intent.dataset_path],
  ];
  return (
    <section className="card settings-card" aria-label={t("chat.settings")}>
      <h3>{t("chat.settings")}</h3>
      <dl>
        {rows.map(([key, value]) => (
          <div key={key} className="setting">
            <dt>{t(key)}</dt>
            <dd>{value === undefined || value === null || value === "" ? "—" : String(value)}</dd>
          </div>
        ))}
      </dl>
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
