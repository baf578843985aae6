// The queue: the running jobs, the waiting ones in the order they start (with why each
// waits), and the named queues' load; read again every two seconds.
import { Link } from "react-router";
import { api, unwrap, type QueueView } from "../api/client";
import { StatusBadge } from "../components/common";
import { usePolling } from "../hooks";
import { useI18n } from "../i18n";

type Entry = QueueView["waiting"][number];

function Rows({ jobs, waiting }: { jobs: Entry[]; waiting: boolean }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="jobs-table queue-table">
        <thead>
          <tr>
            {waiting && <th>{t("queue.position")}</th>}
            <th>{t("col.id")}</th>
            <th>{t("col.status")}</th>
            <th>{t("col.model")}</th>
            <th>{t("priority.label")}</th>
            <th>{t("queue.queue")}</th>
            <th>{t("col.epoch")}</th>
            {waiting && <th>{t("queue.reason")}</th>}
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-testid={`queue-row-${job.id}`}>
              {waiting && <td>{job.position}</td>}
              <td>
                <Link to={`/jobs/${job.id}`}>{job.id}</Link>
              </td>
              <td>
                <StatusBadge status={job.status} />
                {job.requested_action && <small> {t("queue.stopping", { action: job.requested_action })}</small>}
              </td>
              <td>{job.model_name}</td>
              <td className={`priority priority-${job.priority}`}>{t(`priority.${job.priority}`)}</td>
              <td>{job.queue ?? "—"}</td>
              <td>
                {job.current_epoch}/{job.num_epochs}
              </td>
              {waiting && <td className="reason">{job.reason}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function QueuePage() {
  const { t } = useI18n();
  const { data: queue, error } = usePolling(() => unwrap(api.GET("/api/v1/queue")), 2000, []);
  if (!queue) return <p>{error ? t("common.error", { message: error }) : t("common.loading")}</p>;
  return (
    <section className="queue-page">
      <header className="page-head">
        <h1>{t("queue.title")}</h1>
        <span>
          {queue.slots > 0
            ? t("queue.slots", { running: queue.running.length, slots: queue.slots })
            : t("queue.noSlots", { running: queue.running.length })}
        </span>
      </header>
      {queue.queues.length > 0 && (
        <p className="queue-limits">
          {t("queue.limits")}: {queue.queues.map((q) => t("queue.limit", { ...q })).join(" · ")}
        </p>
      )}
      <h2>{t("queue.running")}</h2>
      {queue.running.length ? <Rows jobs={queue.running} waiting={false} /> : <p className="empty">{t("queue.idle")}</p>}
      <h2>{t("queue.waiting")}</h2>
      {queue.waiting.length ? <Rows jobs={queue.waiting} waiting /> : <p className="empty">{t("queue.empty")}</p>}
    </section>
  );
}
