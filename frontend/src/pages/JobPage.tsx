// One job: live charts, log tail, controls, attempt history, config and artifacts.
import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api, authFetch, followJobEvents, PRIORITIES, TERMINAL, tokenStore, unwrap, type Job, type LogLine, type MetricPoint, type Priority } from "../api/client";
import { datasetHref } from "../api/datasets";
import { ProgressBar, StatusBadge } from "../components/common";
import { ResolutionNotes } from "../components/ResolutionNotes";
import { LineChart, type Series } from "../components/LineChart";
import { formatDuration, formatMetric, formatTime, jobSeconds } from "../format";
import { usePolling } from "../hooks";
import { useI18n } from "../i18n";

const LOG_TAIL = 300;

function mergeById<T extends { id: number }>(items: T[], more: T[]): T[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  for (const item of more) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function JobPage() {
  const { t, lang } = useI18n();
  const jobId = Number(useParams().jobId);
  const [job, setJob] = useState<Job | null>(null);
  const [points, setPoints] = useState<MetricPoint[]>([]);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const [j, m, l] = await Promise.all([
          unwrap(api.GET("/api/v1/jobs/{job_id}", { params: { path: { job_id: jobId } } })),
          unwrap(api.GET("/api/v1/jobs/{job_id}/metrics", { params: { path: { job_id: jobId } } })),
          unwrap(api.GET("/api/v1/jobs/{job_id}/logs", { params: { path: { job_id: jobId }, query: { limit: 1000 } } })),
        ]);
        if (!alive) return;
        setJob(j);
        setPoints((p) => mergeById(p, m.points));
        setLogs((old) => mergeById(old, l.items).slice(-LOG_TAIL));
      } catch (e) {
        if (alive) setError(e instanceof Error ? e.message : String(e));
      }
    };
    void load();
    const stop = followJobEvents(jobId, {
      onStatus: (j) => setJob(j),
      onMetric: (p) => setPoints((old) => mergeById(old, [p])),
      onLog: (line) => setLogs((old) => mergeById(old, [line]).slice(-LOG_TAIL)),
    });
    return () => {
      alive = false;
      stop();
    };
  }, [jobId]);

  const act = async (action: "pause" | "resume" | "cancel") => {
    const path = `/api/v1/jobs/{job_id}/${action}` as const;
    try {
      setJob(await unwrap(api.POST(path, { params: { path: { job_id: jobId } } })));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  // A waiting job's place in the queue and why it waits (the event stream does not carry it).
  const pending = job?.status === "pending";
  const { data: standing } = usePolling(
    () => (pending ? unwrap(api.GET("/api/v1/jobs/{job_id}", { params: { path: { job_id: jobId } } })) : Promise.resolve(null)),
    pending ? 3000 : null,
    [jobId, pending, job?.priority],
  );

  const reprioritize = async (priority: Priority) => {
    try {
      setJob(await unwrap(api.PATCH("/api/v1/jobs/{job_id}", { params: { path: { job_id: jobId } }, body: { priority } })));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  if (!job) return <p>{error ? t("common.error", { message: error }) : t("common.loading")}</p>;
  const canPause = job.status === "running" || job.status === "pending";
  const canCancel = canPause || job.status === "paused";
  return (
    <section className="job-page">
      <header className="page-head">
        <h1>
          {t("job.title", { id: job.id })} · {job.model_name} <StatusBadge status={job.status} />
        </h1>
        <div className="actions">
          <label className="inline">
            {t("priority.label")}{" "}
            <select value={job.priority ?? "normal"} disabled={TERMINAL.includes(job.status)} onChange={(e) => void reprioritize(e.target.value as Priority)} aria-label={t("priority.label")}>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {t(`priority.${p}`)}
                </option>
              ))}
            </select>
          </label>
          {canPause && <button onClick={() => void act("pause")}>{t("job.pause")}</button>}
          {job.status === "paused" && (
            <button className="primary" onClick={() => void act("resume")}>
              {t("job.resume", { epoch: job.current_epoch + 1 })}
            </button>
          )}
          {canCancel && (
            <button className="danger" onClick={() => void act("cancel")}>
              {t("job.cancel")}
            </button>
          )}
        </div>
      </header>
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {pending && standing?.waiting_reason && (
        <p className="waiting" data-testid="waiting-reason">
          {t("job.waiting", { position: standing.queue_position ?? "?", reason: standing.waiting_reason })}
        </p>
      )}
      <div className="summary">
        <span>
          {t("col.epoch")} {job.current_epoch}/{job.num_epochs}
        </span>
        <ProgressBar value={job.current_epoch / Math.max(1, job.num_epochs)} />
        <span>
          {t("col.best")}: {job.best_metric_name} {formatMetric(job.best_metric)}
        </span>
        <span>
          {t("col.started")}: {formatTime(job.started_at, lang)} · {t("col.duration")}: {formatDuration(jobSeconds(job.started_at, job.finished_at))}
        </span>
        <span className="job-dataset" data-testid="job-dataset">
          {t("job.dataset")}:{" "}
          {job.dataset ? (
            <Link to={datasetHref(job.dataset)}>{job.dataset}</Link>
          ) : (
            <code title={job.dataset_path}>{job.dataset_path}</code>
          )}
        </span>
      </div>
      <h2>{t("job.charts")}</h2>
      <Charts points={points} />
      <div className="two-col">
        <section>
          <h2>{t("job.logs")}</h2>
          <LogTail lines={logs} />
        </section>
        <section>
          <h2>{t("job.history")}</h2>
          <History job={job} logs={logs} />
          <h2>{t("job.artifacts")}</h2>
          <Artifacts job={job} />
        </section>
      </div>
      <h2>{t("job.config")}</h2>
      <ResolutionNotes intent={job.preset_intent} adjustments={job.adjustments} />
      <pre className="config">{JSON.stringify(configOf(job), null, 2)}</pre>
    </section>
  );
}

function configOf(job: Job) {
  const { model_name, framework, task_type, dataset, dataset_path, num_epochs, batch_size, learning_rate, image_size, preset, seed, max_stage_seconds, advanced_config } = job;
  return { model_name, framework, task_type, dataset, dataset_path, num_epochs, batch_size, learning_rate, image_size, preset, seed, max_stage_seconds, advanced_config };
}

export function splitMetrics(points: MetricPoint[]) {
  const epochs = points.map((p) => p.epoch);
  const keys = new Set<string>();
  points.forEach((p) => Object.entries(p.values).forEach(([k, v]) => typeof v === "number" && keys.add(k)));
  const series = (filter: (key: string) => boolean): Series[] =>
    [...keys].filter(filter).sort().map((key) => ({ label: key, values: points.map((p) => (typeof p.values[key] === "number" ? (p.values[key] as number) : null)) }));
  const skip = (k: string) => k === "epoch" || k.endsWith("seconds") || k.endsWith("_time");
  const isLoss = (k: string) => k.includes("loss");
  const isLr = (k: string) => k === "lr" || k.startsWith("lr") || k.endsWith("_lr");
  return {
    epochs,
    losses: series((k) => !skip(k) && isLoss(k)),
    quality: series((k) => !skip(k) && !isLoss(k) && !isLr(k)),
    lr: series((k) => !skip(k) && isLr(k)),
  };
}

function Charts({ points }: { points: MetricPoint[] }) {
  const { t } = useI18n();
  const { epochs, losses, quality, lr } = useMemo(() => splitMetrics(points), [points]);
  if (!points.length) return <p className="empty">{t("job.noMetrics")}</p>;
  return (
    <div className="charts">
      {losses.length > 0 && <LineChart title={t("job.losses")} x={epochs} series={losses} />}
      {quality.length > 0 && <LineChart title={t("job.quality")} x={epochs} series={quality} />}
      {lr.length > 0 && <LineChart title={t("job.lr")} x={epochs} series={lr} />}
    </div>
  );
}

function LogTail({ lines }: { lines: LogLine[] }) {
  const [box, setBox] = useState<HTMLPreElement | null>(null);
  useEffect(() => {
    if (box) box.scrollTop = box.scrollHeight;
  }, [box, lines]);
  return (
    <pre className="log" ref={setBox} data-testid="log-tail">
      {lines.map((line) => `[${line.attempt}] ${line.message}`).join("\n")}
    </pre>
  );
}

function History({ job, logs }: { job: Job; logs: LogLine[] }) {
  const { t } = useI18n();
  const attempts = [...new Set(logs.map((l) => l.attempt))].sort((a, b) => a - b);
  return (
    <div className="history">
      <p>
        {t("job.attempts")}: {job.attempt_count} · {t("job.failures")}: {job.failure_count} · {t("job.stages")}: {job.stage_count}
      </p>
      {job.error_message && (
        <p className="error">
          {t("job.error")}: {job.error_message}
        </p>
      )}
      {attempts.map((attempt) => {
        const own = logs.filter((l) => l.attempt === attempt);
        const preempted = own.map((l) => /preempted by job (\d+)/i.exec(l.message)).find(Boolean);
        return (
          <details key={attempt}>
            <summary>
              {attempt === 0 ? t("job.beforeAttempts") : t("job.attempt", { n: attempt })}
              {preempted && <span className="badge preempted"> {t("job.preempted", { by: preempted[1] })}</span>}
            </summary>
            <pre className="log small">{own.slice(-5).map((l) => l.message).join("\n")}</pre>
          </details>
        );
      })}
    </div>
  );
}

// The files a job has: checkpoints once an epoch is saved, model.onnx once a run that exports it is done.
function artifactNames(job: Job): string[] {
  const names: string[] = [];
  if (job.best_checkpoint_uri) names.push("best.pt");
  if (job.last_checkpoint_uri) names.push("last.pt");
  if (names.length && job.status === "completed") names.push("model.onnx");
  return names;
}

function Artifacts({ job }: { job: Job }) {
  const { t } = useI18n();
  const jobId = job.id;
  const names = artifactNames(job);
  // With a token the browser cannot send it on a plain link, so the file is fetched and saved.
  const download = async (event: React.MouseEvent<HTMLAnchorElement>, name: string) => {
    if (!tokenStore.get()) return;
    event.preventDefault();
    const response = await authFetch(`/api/v1/jobs/${jobId}/artifacts/${name}`);
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), { href: url, download: name });
    link.click();
    URL.revokeObjectURL(url);
  };
  if (!names.length) return <p className="muted">{t("job.noArtifacts")}</p>;
  return (
    <ul className="artifacts">
      {names.map((name) => (
        <li key={name}>
          <a href={`/api/v1/jobs/${jobId}/artifacts/${name}`} download={name} onClick={(e) => void download(e, name)}>
            {name}
          </a>
        </li>
      ))}
    </ul>
  );
}
