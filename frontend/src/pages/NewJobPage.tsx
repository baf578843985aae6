// The new-job form: basics plus the framework's advanced config, generated from its schema.
import { useEffect, useMemo, useRef, useState } from "react";
import { useLocation, useNavigate } from "react-router";
import { api, ApiError, PRIORITIES, unwrap, type JobCreate, type Priority, type TrainingIntent } from "../api/client";
import { datasetOptions, latestRef, withDataset, type DatasetOption } from "../components/datasets/options";
import { SchemaForm } from "../components/SchemaForm";
import { changedValues, presetValues, validate, type ConfigValues, type FormSchema } from "../components/schemaForm";
import { useDatasetVersions } from "../hooks";
import { ResolutionNotes } from "../components/ResolutionNotes";
import { useI18n, type Translate } from "../i18n";
import { useResolution, WeightsPicker } from "./newJobExtras";

const MODEL_SUGGESTIONS = ["resnet10t", "resnet18", "resnet50", "efficientnet_b0", "mobilenetv3_small_100", "convnext_tiny", "vit_tiny_patch16_224", "yolo11n", "yolo11s", "yolo11n-seg", "yolo11n-pose"];

/** What the page may be opened with: a chat's intent, or a data set to train on. */
interface Opened {
  intent?: TrainingIntent;
  dataset?: string;
  task_type?: string;
}

/** The basics; with stored data sets, a list of them first and the typed path as its last resort. */
function basicsSchema(t: Translate, frameworks: string[], datasets: DatasetOption[], chosen: string): FormSchema {
  // A name alone (from the chat), or a version no longer listed, is offered as it is.
  const extra = { value: chosen, label: chosen.includes("@") ? chosen : t("ds.optionName", { name: chosen }) };
  const options = chosen && !datasets.some((d) => d.value === chosen) ? [extra, ...datasets] : datasets;
  const choice: FormSchema["properties"] = options.length
    ? { dataset: { type: "string", "x-label": t("new.datasetChoice"), enum: ["", ...options.map((d) => d.value)], "x-enum-labels": [t("ds.typedPath"), ...options.map((d) => d.label)] } }
    : {};
  return {
    required: ["model_name", "dataset_path", "num_epochs", "batch_size"],
    "x-groups": [{ name: t("new.basics"), fields: ["model_name", "framework", "task_type", "dataset", "dataset_path", "num_epochs", "batch_size", "image_size", "priority"] }],
    properties: {
      ...choice,
      model_name: { type: "string", "x-label": t("new.model"), "x-suggestions": MODEL_SUGGESTIONS },
      framework: { type: "string", "x-label": t("new.framework"), enum: ["", ...frameworks] },
      task_type: { type: "string", "x-label": t("new.task"), enum: ["", "classification", "detection", "segmentation", "pose", "obb"] },
      dataset_path: { type: "string", "x-label": t("new.dataset"), "x-depends-on": { dataset: [""] } },
      num_epochs: { type: "integer", "x-label": t("new.epochs"), minimum: 1, maximum: 100000, default: 10 },
      batch_size: { type: "integer", "x-label": t("new.batch"), minimum: 1, maximum: 4096, default: 16 },
      image_size: { type: "integer", "x-label": t("new.imageSize"), minimum: 8, maximum: 4096 },
      priority: { type: "string", "x-label": t("priority.label"), enum: PRIORITIES, "x-enum-labels": PRIORITIES.map((p) => t(`priority.${p}`)), default: "normal" },
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

function basicsFrom({ intent, dataset, task_type }: Opened): ConfigValues {
  const basics = {
    model_name: intent?.model_name ?? "resnet18",
    dataset: "",
    framework: intent?.framework ?? "",
    task_type: intent?.task_type ?? "",
    dataset_path: intent?.dataset_path ?? "",
    num_epochs: intent?.num_epochs ?? 10,
    batch_size: intent?.batch_size ?? 16,
    image_size: intent?.image_size ?? "",
    priority: intent?.priority ?? "normal",
  };
  // "Train on this" gives a version; the chat gives the name a message named.
  const chosen = dataset ?? intent?.dataset;
  return chosen ? withDataset(basics, chosen, task_type ?? intent?.task_type ?? "") : basics;
}

export function NewJobPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const opened = (useLocation().state as Opened | null) ?? {};
  const intent = opened.intent;
  const [frameworks, setFrameworks] = useState<string[]>([]);
  const [basics, setBasics] = useState<ConfigValues>(() => basicsFrom(opened));
  const versions = useDatasetVersions();
  const datasets = useMemo(() => datasetOptions(versions ?? [], t), [versions, t]);
  const taskOf = (ref: string) => datasets.find((d) => d.value === ref)?.task ?? "";
  // Until the user chooses, the data set added last is the choice (unless a path came along).
  const defaulted = useRef(false);
  useEffect(() => {
    if (!versions || defaulted.current) return;
    defaulted.current = true;
    const ref = latestRef(versions);
    const task = versions.find((v) => v.ref === ref)?.task_type ?? "";
    if (ref) setBasics((b) => (b.dataset || b.dataset_path ? b : withDataset(b, ref, task)));
  }, [versions]);
  const changeBasics = (next: ConfigValues) =>
    setBasics(next.dataset && next.dataset !== basics.dataset ? withDataset(next, String(next.dataset), taskOf(String(next.dataset))) : next);
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

  const base = useMemo(() => basicsSchema(t, frameworks, datasets, String(basics.dataset ?? "")), [t, frameworks, datasets, basics.dataset]);
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
      ...(basics.dataset ? { dataset: String(basics.dataset) } : { dataset_path: String(basics.dataset_path) }),
      num_epochs: Number(basics.num_epochs),
      batch_size: Number(basics.batch_size),
      advanced_config: changed,
      ...(basics.framework ? { framework: String(basics.framework) } : {}),
      ...(basics.task_type ? { task_type: basics.task_type as JobCreate["task_type"] } : {}),
      ...(basics.image_size !== "" && basics.image_size !== undefined ? { image_size: Number(basics.image_size) } : {}),
      ...(preset ? { preset } : {}),
      priority: (basics.priority || "normal") as Priority,
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
      <SchemaForm schema={base} values={basics} onChange={changeBasics} errors={errors} idPrefix="basic" />
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
