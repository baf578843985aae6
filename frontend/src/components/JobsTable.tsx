// The jobs table: status, model, task, epoch progress, best metric, start and duration; with
// `selected`, a checkbox per row picks jobs (to compare them).
import { Link } from "react-router";
import type { JobSummary } from "../api/client";
import { formatDuration, formatMetric, formatTime, jobSeconds } from "../format";
import { useI18n } from "../i18n";
import { ProgressBar, StatusBadge } from "./common";

export function JobsTable({
  jobs,
  now = Date.now(),
  selected,
  onToggle,
}: {
  jobs: JobSummary[];
  now?: number;
  selected?: Set<number>;
  onToggle?: (jobId: number) => void;
}) {
  const { t, lang } = useI18n();
  if (!jobs.length) return <p className="empty">{t("jobs.empty")}</p>;
  return (
    <div className="table-wrap">
      <table className="jobs-table">
        <thead>
          <tr>
            {selected && <th aria-label={t("jobs.select")} />}
            <th>{t("col.id")}</th>
            <th>{t("col.status")}</th>
            <th>{t("col.model")}</th>
            <th>{t("col.task")}</th>
            <th>{t("col.epoch")}</th>
            <th>{t("col.best")}</th>
            <th>{t("col.started")}</th>
            <th>{t("col.duration")}</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-testid={`job-row-${job.id}`}>
              {selected && (
                <td>
                  <input
                    type="checkbox"
                    checked={selected.has(job.id)}
                    onChange={() => onToggle?.(job.id)}
                    aria-label={t("jobs.selectOne", { id: job.id })}
                  />
                </td>
              )}
              <td>
                <Link to={`/jobs/${job.id}`}>#{job.id}</Link>
              </td>
              <td>
                <StatusBadge status={job.status} />
              </td>
              <td>
                <Link to={`/jobs/${job.id}`}>{job.model_name}</Link>
              </td>
              <td>{job.task_type}</td>
              <td className="epoch-cell">
                <span>
                  {job.current_epoch}/{job.num_epochs}
                </span>
                <ProgressBar value={job.current_epoch / Math.max(1, job.num_epochs)} label={`${job.current_epoch}/${job.num_epochs}`} />
              </td>
              <td>
                {job.best_metric === null || job.best_metric === undefined
                  ? "—"
                  : `${job.best_metric_name} ${formatMetric(job.best_metric)}`}
              </td>
              <td>{formatTime(job.started_at, lang)}</td>
              <td>{formatDuration(jobSeconds(job.started_at, job.finished_at, now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
