// Test runs: evaluate a completed job on a labelled folder and show what it gets wrong.
import { useEffect, useState } from "react";
import { api, unwrap, type TestRun } from "../api/client";
import { ProgressBar } from "../components/common";
import { ConfusionMatrix } from "../components/ConfusionMatrix";
import { percent } from "../format";
import { useCompletedJobs } from "../hooks";
import { useI18n } from "../i18n";

interface PerClass {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}
interface Mistake {
  image_path: string;
  true_label: string;
  predicted_label: string;
  confidence: number;
}

export function TestRunsPage() {
  const { t } = useI18n();
  const { data: jobs } = useCompletedJobs();
  const [jobId, setJobId] = useState<number | null>(null);
  const [path, setPath] = useState("");
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

  const start = async (event: React.FormEvent) => {
    event.preventDefault();
    if (jobId === null || !path.trim()) return;
    try {
      setRun(await unwrap(api.POST("/api/v1/test/runs", { body: { job_id: jobId, test_dataset_path: path.trim() } })));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const metrics = (run?.metrics ?? {}) as Record<string, unknown>;
  const perClass = (metrics.per_class as PerClass[] | undefined) ?? [];
  const mistakes = (metrics.worst_mistakes as Mistake[] | undefined) ?? [];
  return (
    <section className="test-runs">
      <h1>{t("tests.title")}</h1>
      <form className="controls" onSubmit={(e) => void start(e)}>
        <label>
          {t("play.job")}{" "}
          <select value={jobId ?? ""} onChange={(e) => setJobId(e.target.value ? Number(e.target.value) : null)}>
            <option value="">{t("play.pick")}</option>
            {(jobs ?? []).map((job) => (
              <option key={job.id} value={job.id}>
                #{job.id} {job.model_name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("tests.dataset")} <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="data/digits/val" />
        </label>
        <button type="submit" className="primary" disabled={jobId === null || !path.trim() || run?.status === "running"}>
          {t("tests.start")}
        </button>
      </form>
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {run && (
        <div className="run">
          <p>
            {t("tests.progress")}: {percent(run.progress)} ({run.status})
          </p>
          <ProgressBar value={run.progress} />
          {run.error && <p className="error">{run.error}</p>}
          {run.metrics && (
            <>
              <div className="stats">
                {typeof metrics.accuracy === "number" && (
                  <div className="stat">
                    <span>{t("tests.accuracy")}</span>
                    <strong>{percent(metrics.accuracy)}</strong>
                  </div>
                )}
                {typeof metrics.top5_accuracy === "number" && (
                  <div className="stat">
                    <span>{t("tests.top5")}</span>
                    <strong>{percent(metrics.top5_accuracy)}</strong>
                  </div>
                )}
                {typeof metrics.num_images === "number" && (
                  <div className="stat">
                    <span>{t("tests.images")}</span>
                    <strong>{metrics.num_images}</strong>
                  </div>
                )}
              </div>
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
                    <table>
                      <thead>
                        <tr>
                          <th>{t("tests.class")}</th>
                          <th>{t("tests.precision")}</th>
                          <th>{t("tests.recall")}</th>
                          <th>{t("tests.f1")}</th>
                          <th>{t("tests.support")}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {perClass.map((c) => (
                          <tr key={c.label}>
                            <td>{c.label}</td>
                            <td>{c.precision.toFixed(3)}</td>
                            <td>{c.recall.toFixed(3)}</td>
                            <td>{c.f1.toFixed(3)}</td>
                            <td>{c.support}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </>
              )}
              {mistakes.length > 0 && (
                <>
                  <h2>{t("tests.mistakes")}</h2>
                  <ul className="mistakes">
                    {mistakes.map((m) => (
                      <li key={m.image_path}>
                        <code>{m.image_path.split("/").slice(-2).join("/")}</code> — {t("tests.true")} {m.true_label}, {t("tests.predicted")} {m.predicted_label} ({percent(m.confidence)})
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
