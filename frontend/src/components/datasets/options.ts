// The data set versions the new-job and test-run forms offer, as select options.
import type { DatasetVersion } from "../../api/client";
import type { Translate } from "../../i18n";

export interface DatasetOption {
  value: string;
  label: string;
  task: string;
}

/** One option per version (name@version), the newest of each name marked. */
export function datasetOptions(versions: DatasetVersion[], t: Translate): DatasetOption[] {
  const seen = new Set<string>();
  return versions.map((v) => {
    const newest = !seen.has(v.name);
    seen.add(v.name);
    const label = t(newest ? "ds.optionNewest" : "ds.option", { ref: v.ref, task: v.task_type, images: v.num_images });
    return { value: v.ref, label, task: v.task_type };
  });
}

/** The most recently added version: the forms' choice until the user makes one. */
export function latestRef(versions: DatasetVersion[]): string | null {
  const latest = versions.reduce<DatasetVersion | null>((a, v) => (a && a.created_at >= v.created_at ? a : v), null);
  return latest?.ref ?? null;
}

/** A model that trains each task the data sets hold (classification: the form's own default). */
export const MODEL_FOR_TASK: Record<string, string> = {
  detection: "yolo11n",
  segmentation: "yolo11n-seg",
  pose: "yolo11n-pose",
  obb: "yolo11n-obb",
};

const isYolo = (model: string) => /^(yolo|rtdetr)/i.test(model);

/** The form's basics with a data set chosen: its task, and a model that trains that task when
 * the one there cannot (a YOLO data set with the default resnet18). */
export function withDataset(basics: Record<string, unknown>, ref: string, task: string): Record<string, unknown> {
  if (!task) return { ...basics, dataset: ref }; // a task not known yet: nothing to fit
  const model = String(basics.model_name ?? "");
  const fits = task === "classification" ? !isYolo(model) || model.endsWith("-cls") : isYolo(model);
  return { ...basics, dataset: ref, task_type: task, ...(fits ? {} : { model_name: MODEL_FOR_TASK[task] ?? "resnet18" }) };
}
