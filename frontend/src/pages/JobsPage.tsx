// The jobs list: filter by status, refreshed every 2 seconds.
import { useSearchParams } from "react-router";
import { api, JOB_STATUSES, unwrap, type JobStatus } from "../api/client";
import { JobsTable } from "../components/JobsTable";
import { usePolling } from "../hooks";
import { useI18n } from "../i18n";

export function JobsPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") || null) as JobStatus | null;
  const { data, error } = usePolling(
    () => unwrap(api.GET("/api/v1/jobs", { params: { query: { limit: 500, ...(status ? { status } : {}) } } })),
    2000,
    [status],
  );
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
      </header>
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {data ? <JobsTable jobs={data.items} /> : <p>{t("common.loading")}</p>}
    </section>
  );
}
