// Test runs: evaluate a completed job on a labelled folder and show what it gets wrong.
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api, unwrap, type TestRun } from "../api/client";
import { datasetHref } from "../api/datasets";
import { ProgressBar } from "../components/common";
import { ConfusionMatrix } from "../components/ConfusionMatrix";
import { DatasetChoice } from "../components/datasets/DatasetChoice";
import { datasetOptions } from "../components/datasets/options";
import { MistakesGallery, type Mistake } from "../components/MistakesGallery";
import { ThresholdCurve, type SweepPoint } from "../components/ThresholdCurve";
import { percent } from "../format";
import { useCompletedJobs, useDatasetVersions } from "../hooks";
import { useI18n, type MessageKey } from "../i18n";

/** A per-class row: precision/recall/F1/support (classification) or AP (detection). */
type PerClass = { label: string } & Partial<Record<PerClassColumn, number>>;
type PerClassColumn = "precision" | "recall" | "f1" | "ap50" | "ap50_95" | "support";
const PER_CLASS_COLUMNS: [PerClassColumn, MessageKey][] = [
  ["ap50", "tests.ap50"],
  ["ap50_95", "tests.ap50_95"],
  ["precision", "tests.precision"],
  ["recall", "tests.recall"],
  ["f1", "tests.f1"],
  ["support", "tests.support"],
];
const STATS: [string, MessageKey, (v: number) => string][] = [
  ["accuracy", "tests.accuracy", percent],
  ["top5_accuracy", "tests.top5", percent],
  ["map50", "tests.map50", (v) => v.toFixed(3)],
  ["map50_95", "tests.map50_95", (v) => v.toFixed(3)],
  ["num_images", "tests.images", String],
];

export function TestRunsPage() {
  const { t } = useI18n();
  const { data: jobs } = useCompletedJobs();
  const [jobId, setJobId] = useState<number | null>(null);
  const [path, setPath] = useState("");
  const [chosen, setChosen] = useState("");
  const versions = useDatasetVersions();
  const [threshold, setThreshold] = useState("");
  const [run, setRun] = useState<TestRun | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!run || run.status !== "running") return;
    const timer = setTimeout(() => {
      unwrap(api.GET("/api/v1/test/runs/{run_id}", { params: { path: { run_id: run.id } } }))
        .then(setRun)
        .catch((e: Error) => setError(e.message));
    }, 1000);
    return () => clearTimeout(timer);
  }, [run]);

  // The versions that fit the chosen job's task; a job trained on one starts with it chosen.
  const job = jobs?.find((j) => j.id === jobId);
  const options = datasetOptions(versions ?? [], t).filter((o) => !job || o.task === job.task_type);
  const dataset = options.some((o) => o.value === chosen) ? chosen : "";
  const pickJob = (id: number | null) => {
    setJobId(id);
    const trainedOn = jobs?.find((j) => j.id === id)?.dataset;
    if (trainedOn && !chosen) setChosen(trainedOn);
  };
  const ready = jobId !== null && (dataset !== "" || path.trim() !== "");

  const start = async (event: React.FormEvent) => {
    event.preventDefault();
    if (jobId === null || !ready) return;
    try {
      const conf = threshold.trim() ? { conf_threshold: Number(threshold) } : {};
      const data = dataset ? { dataset } : { test_dataset_path: path.trim() };
      setRun(await unwrap(api.POST("/api/v1/test/runs", { body: { job_id: jobId, ...data, ...conf } })));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const metrics = (run?.metrics ?? {}) as Record<string, unknown>;
  const perClass = (metrics.per_class as PerClass[] | undefined) ?? [];
  const columns = PER_CLASS_COLUMNS.filter(([key]) => perClass.some((c) => typeof c[key] === "number"));
  const sweep = (metrics.confidence_sweep as SweepPoint[] | undefined) ?? [];
  const recommended = typeof metrics.recommended_conf_threshold === "number" ? metrics.recommended_conf_threshold : null;
  const mistakes = (metrics.worst_mistakes as Mistake[] | undefined) ?? [];
  // A classification run's own threshold: accepting the top-1 label at it (the sweep's rule).
  const operating = metrics.at_conf_threshold as { conf: number; precision: number; recall: number; f1: number; accepted: number } | undefined;
  return (
    <section className="test-runs">
      <h1>{t("tests.title")}</h1>
      <form className="controls" onSubmit={(e) => void start(e)}>
        <label>
          {t("tests.job")}{" "}
          <select value={jobId ?? ""} onChange={(e) => pickJob(e.target.value ? Number(e.target.value) : null)} aria-label={t("tests.job")}>
            <option value="">{t("play.pick")}</option>
            {(jobs ?? []).map((job) => (
              <option key={job.id} value={job.id}>
                #{job.id} {job.model_name}
              </option>
            ))}
          </select>
        </label>
        {options.length > 0 && <DatasetChoice label={t("tests.datasetChoice")} options={options} value={dataset} onChange={setChosen} />}
        {!dataset && (
          <label>
            {t("tests.dataset")} <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="data/digits/val" />
          </label>
        )}
        <label>
          {t("tests.runThreshold")} <input type="number" min={0} max={1} step={0.01} value={threshold} onChange={(e) => setThreshold(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={!ready || run?.status === "running"}>
          {t("tests.start")}
        </button>
      </form>
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {run && (
        <div className="run">
          <p>
            {t("tests.progress")}: {percent(run.progress)} ({run.status}) ·{" "}
            {run.dataset ? <Link to={datasetHref(run.dataset)}>{run.dataset}</Link> : <code>{run.test_dataset_path}</code>}
          </p>
          <ProgressBar value={run.progress} label={t("tests.progress")} />
          {run.error && <p className="error">{run.error}</p>}
          {run.metrics && (
            <>
              <div className="stats">
                {STATS.filter(([key]) => typeof metrics[key] === "number").map(([key, label, format]) => (
                  <div className="stat" key={key}>
                    <span>{t(label)}</span>
                    <strong>{format(metrics[key] as number)}</strong>
                  </div>
                ))}
              </div>
              {operating && (
                <p data-testid="operating-point">
                  {t("tests.atThreshold", {
                    value: operating.conf.toFixed(3),
                    precision: percent(operating.precision),
                    recall: percent(operating.recall),
                    f1: operating.f1.toFixed(3),
                    accepted: operating.accepted,
                    images: String(metrics.num_images ?? "?"),
                  })}
                </p>
              )}
              {Array.isArray(metrics.confusion_matrix) && (
                <>
                  <h2>{t("tests.confusion")}</h2>
                  <ConfusionMatrix matrix={metrics.confusion_matrix as number[][]} labels={(metrics.class_names as string[]) ?? perClass.map((c) => c.label)} />
                </>
              )}
              {perClass.length > 0 && (
                <>
                  <h2>{t("tests.perClass")}</h2>
                  <div className="table-wrap">
                    <table data-testid="per-class">
                      <thead>
                        <tr>
                          <th>{t("tests.class")}</th>
                          {columns.map(([key, label]) => (
                            <th key={key}>{t(label)}</th>
                          ))}
                        </tr>
                      </thead>
                      <tbody>
                        {perClass.map((c) => (
                          <tr key={c.label}>
                            <td>{c.label}</td>
                            {columns.map(([key]) => (
                              <td key={key}>{key === "support" ? c[key] : c[key]?.toFixed(3)}</td>
                            ))}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </>
              )}
              {sweep.length > 0 && <ThresholdCurve sweep={sweep} recommended={recommended} />}
              {mistakes.length > 0 && (
                <>
                  <h2>{t("tests.mistakes")}</h2>
                  {typeof metrics.conf_threshold === "number" && <p className="legend">{t("tests.legend", { value: metrics.conf_threshold.toFixed(3) })}</p>}
                  <MistakesGallery runId={run.id} mistakes={mistakes} />
                </>
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
