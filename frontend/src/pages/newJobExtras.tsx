// The new-job form's live parts: the config resolved for the run (POST /configs/validate with
// the run's numbers) and the pretrained-weights picker (GET /weights for the model).
import { useEffect, useState } from "react";
import { api, ApiError, unwrap, type Adjustment, type WeightsRecord } from "../api/client";
import type { ConfigValues, FormSchema } from "../components/schemaForm";
import { useI18n } from "../i18n";

export interface Resolution {
  intent?: string | null;
  adjustments?: Adjustment[];
  problem?: string | null;
}

/** What the server resolves for the run as the form stands, a moment after each change. */
export function useResolution(framework: string | null, preset: string | null, advanced: ConfigValues, basics: ConfigValues): Resolution {
  const [resolution, setResolution] = useState<Resolution>({});
  const epochs = Number(basics.num_epochs);
  const batch = Number(basics.batch_size);
  const size = basics.image_size === "" || basics.image_size === undefined ? undefined : Number(basics.image_size);
  const key = JSON.stringify([framework, preset, advanced, epochs, batch, size]);
  useEffect(() => {
    if (!framework || !(epochs >= 1) || !(batch >= 1)) return;
    let alive = true;
    const timer = setTimeout(() => {
      const body = { framework, preset, advanced_config: advanced, num_epochs: epochs, batch_size: batch, ...(size ? { image_size: size } : {}) };
      unwrap(api.POST("/api/v1/configs/validate", { body }))
        .then((answer) => alive && setResolution({ intent: answer.preset_intent, adjustments: answer.adjustments ?? [] }))
        .catch((e: unknown) => alive && setResolution({ problem: e instanceof ApiError && e.status === 422 ? e.message : null }));
    }, 250);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
    // `key` holds every input of the request.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return resolution;
}

function fieldOf(schema: FormSchema, concept: string): string | undefined {
  return Object.entries(schema.properties).find(([, field]) => field["x-concept"] === concept)?.[0];
}

interface PickerProps {
  schema: FormSchema;
  model: string;
  values: ConfigValues;
  onChange: (values: ConfigValues) => void;
}

/** With `pretrained` on: the store's weights for the model, the newest by default. */
export function WeightsPicker({ schema, model, values, onChange }: PickerProps) {
  const { t } = useI18n();
  const [records, setRecords] = useState<WeightsRecord[] | null>(null);
  const pretrained = fieldOf(schema, "pretrained");
  const pathField = fieldOf(schema, "pretrained_path");
  const on = pretrained !== undefined && values[pretrained] === true;
  useEffect(() => {
    if (!on || !model) return;
    let alive = true;
    unwrap(api.GET("/api/v1/weights", { params: { query: { model_name: model } } }))
      .then((list) => alive && setRecords(list))
      .catch(() => alive && setRecords([]));
    return () => {
      alive = false;
    };
  }, [on, model]);
  if (!on || records === null || !pathField) return null;
  if (!records.length) return <p className="weights-none">{t("weights.none", { model })}</p>;
  return (
    <div className="field weights-picker">
      <label htmlFor="weights-pick">{t("weights.label")}</label>
      <select id="weights-pick" value={String(values[pathField] ?? "")} onChange={(e) => onChange({ ...values, [pathField]: e.target.value })}>
        <option value="">{t("weights.latest")}</option>
        {records.map((r) => (
          <option key={r.id} value={r.uri}>
            {`${r.id} · ${r.source_name} · ${r.imported_at.slice(0, 16).replace("T", " ")}`}
          </option>
        ))}
      </select>
    </div>
  );
}
