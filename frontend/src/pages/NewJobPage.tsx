// The new-job form: basics plus the framework's advanced config, generated from its schema.
import { useEffect, useMemo, useState } from "react";
import { useLocation, useNavigate } from "react-router";
import { api, ApiError, unwrap, type JobCreate, type TrainingIntent } from "../api/client";
import { SchemaForm } from "../components/SchemaForm";
import { changedValues, presetValues, validate, type ConfigValues, type FormSchema } from "../components/schemaForm";
import { ResolutionNotes } from "../components/ResolutionNotes";
import { useI18n, type Translate } from "../i18n";
import { useResolution, WeightsPicker } from "./newJobExtras";

const MODEL_SUGGESTIONS = ["resnet10t", "resnet18", "resnet50", "efficientnet_b0", "mobilenetv3_small_100", "convnext_tiny", "vit_tiny_patch16_224", "yolo11n", "yolo11s", "yolo11n-seg", "yolo11n-pose"];

function basicsSchema(t: Translate, frameworks: string[]): FormSchema {
  return {
    required: ["model_name", "dataset_path", "num_epochs", "batch_size"],
    "x-groups": [{ name: t("new.basics"), fields: ["model_name", "framework", "task_type", "dataset_path", "num_epochs", "batch_size", "image_size"] }],
    properties: {
      model_name: { type: "string", "x-label": t("new.model"), "x-suggestions": MODEL_SUGGESTIONS },
      framework: { type: "string", "x-label": t("new.framework"), enum: ["", ...frameworks] },
      task_type: { type: "string", "x-label": t("new.task"), enum: ["", "classification", "detection", "segmentation", "pose", "obb"] },
      dataset_path: { type: "string", "x-label": t("new.dataset") },
      num_epochs: { type: "integer", "x-label": t("new.epochs"), minimum: 1, maximum: 100000, default: 10 },
      batch_size: { type: "integer", "x-label": t("new.batch"), minimum: 1, maximum: 4096, default: 16 },
      image_size: { type: "integer", "x-label": t("new.imageSize"), minimum: 8, maximum: 4096 },
    },
  };
}

/** The framework whose schema the advanced section shows: the chosen one, or the model's. */
export function frameworkFor(basics: ConfigValues, available: string[]): string | null {
  if (typeof basics.framework === "string" && basics.framework) return basics.framework;
  const model = String(basics.model_name ?? "").toLowerCase();
  const guess = model.startsWith("yolo") || model.startsWith("rtdetr") ? "ultralytics" : "timm";
  return available.includes(guess) ? guess : (available[0] ?? null);
}

function basicsFromIntent(intent: TrainingIntent | undefined): ConfigValues {
  return {
    model_name: intent?.model_name ?? "resnet18",
    framework: intent?.framework ?? "",
    task_type: intent?.task_type ?? "",
    dataset_path: intent?.dataset_path ?? "",
    num_epochs: intent?.num_epochs ?? 10,
    batch_size: intent?.batch_size ?? 16,
    image_size: intent?.image_size ?? "",
  };
}

export function NewJobPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const intent = (useLocation().state as { intent?: TrainingIntent } | null)?.intent;
  const [frameworks, setFrameworks] = useState<string[]>([]);
  const [basics, setBasics] = useState<ConfigValues>(() => basicsFromIntent(intent));
  const [schema, setSchema] = useState<FormSchema | null>(null);
  const [preset, setPreset] = useState<string | null>(intent?.preset ?? "easy");
  const [config, setConfig] = useState<ConfigValues>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    unwrap(api.GET("/api/v1/frameworks"))
      .then((list) => setFrameworks(list.filter((f) => f.installed !== false).map((f) => String(f.name))))
      .catch((e: Error) => setMessage(e.message));
  }, []);

  const framework = frameworkFor(basics, frameworks);
  useEffect(() => {
    if (!framework) return;
    let alive = true;
    unwrap(api.GET("/api/v1/frameworks/{framework}/schema", { params: { path: { framework } } }))
      .then((raw) => {
        if (!alive) return;
        const loaded = raw as unknown as FormSchema;
        const start = presetValues(loaded, loaded["x-presets"]?.[preset ?? ""] ? preset : null);
        const fromIntent = { ...(intent?.advanced_config ?? {}) };
        if (intent?.learning_rate && "learning_rate" in loaded.properties) fromIntent.learning_rate = intent.learning_rate;
        setSchema(loaded);
        setConfig({ ...start, ...fromIntent });
      })
      .catch((e: Error) => setMessage(e.message));
    return () => {
      alive = false;
    };
    // The preset is applied when a schema loads; changing it later goes through the picker.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [framework]);

  const base = useMemo(() => basicsSchema(t, frameworks), [t, frameworks]);
  const changed = useMemo(() => (schema ? changedValues(schema, config, presetValues(schema, preset)) : {}), [schema, config, preset]);
  const resolution = useResolution(schema ? framework : null, preset, changed, basics);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!schema) return;
    const problems = { ...validate(base, basics, t), ...validate(schema, config, t) };
    setErrors(problems);
    if (Object.keys(problems).length) {
      setMessage(t("new.fixErrors"));
      return;
    }
    const body: JobCreate = {
      model_name: String(basics.model_name),
      dataset_path: String(basics.dataset_path),
      num_epochs: Number(basics.num_epochs),
      batch_size: Number(basics.batch_size),
      advanced_config: changed,
      ...(basics.framework ? { framework: String(basics.framework) } : {}),
      ...(basics.task_type ? { task_type: basics.task_type as JobCreate["task_type"] } : {}),
      ...(basics.image_size !== "" && basics.image_size !== undefined ? { image_size: Number(basics.image_size) } : {}),
      ...(preset ? { preset } : {}),
    };
    setBusy(true);
    try {
      const job = await unwrap(api.POST("/api/v1/jobs", { body }));
      navigate(`/jobs/${job.id}`);
    } catch (e) {
      if (e instanceof ApiError) {
        setErrors(e.fields);
        setMessage(e.message);
      } else setMessage(String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="new-job" onSubmit={(e) => void submit(e)} noValidate>
      <h1>{t("new.title")}</h1>
      <SchemaForm schema={base} values={basics} onChange={setBasics} errors={errors} idPrefix="basic" />
      {schema && (
        <SchemaForm
          schema={schema}
          values={config}
          onChange={setConfig}
          errors={errors}
          preset={preset}
          onPresetChange={(next, values) => {
            setPreset(next);
            setConfig(values);
          }}
          idPrefix="cfg"
        />
      )}
      {schema && <WeightsPicker schema={schema} model={String(basics.model_name ?? "")} values={config} onChange={setConfig} />}
      <ResolutionNotes intent={resolution.intent} adjustments={resolution.adjustments} problem={resolution.problem} />
      {message && (
        <p className="error" role="status">
          {message}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || !schema}>
        {t("new.submit")}
      </button>
    </form>
  );
}
