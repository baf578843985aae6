// The jobs list: filter by status, kept live by the server's jobs event stream; pick jobs to
// compare them.
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { followJobList, JOB_STATUSES, type JobStatus, type JobSummary } from "../api/client";
import { JobsTable } from "../components/JobsTable";
import { useNow } from "../hooks";
import { useI18n } from "../i18n";

const LIMIT = 1000;

/** `job` put in its place in a newest-first list (replacing its older self). */
function upsert(jobs: JobSummary[], job: JobSummary): JobSummary[] {
  return [...jobs.filter((j) => j.id !== job.id), job].sort((a, b) => b.id - a.id);
}

export function JobsPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") || null) as JobStatus | null;
  const [jobs, setJobs] = useState<JobSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const now = useNow(1000);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const navigate = useNavigate();
  const toggle = (jobId: number) =>
    setSelected((old) => {
      const next = new Set(old);
      if (!next.delete(jobId)) next.add(jobId);
      return next;
    });

  useEffect(() => {
    setJobs(null);
    return followJobList(status, LIMIT, {
      onSnapshot: setJobs,
      onJob: (job) => setJobs((old) => upsert(old ?? [], job)),
      onRemoved: (jobId) => setJobs((old) => old && old.filter((j) => j.id !== jobId)),
      onConnection: setError,
    });
  }, [status]);

  return (
    <section>
      <header className="page-head">
        <h1>{t("jobs.title")}</h1>
        <label className="inline">
          {t("jobs.filter")}{" "}
          <select value={status ?? ""} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})} aria-label={t("jobs.filter")}>
            <option value="">{t("status.all")}</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={selected.size < 2}
          onClick={() => navigate(`/compare?ids=${[...selected].sort((a, b) => a - b).join(",")}`)}
        >
          {t("jobs.compare", { count: selected.size })}
        </button>
      </header>
      {error && (
        <p className="error" role="status">
          {t("jobs.reconnecting", { message: error })}
        </p>
      )}
      {jobs ? <JobsTable jobs={jobs} now={now} selected={selected} onToggle={toggle} /> : <p>{t("common.loading")}</p>}
    </section>
  );
}
