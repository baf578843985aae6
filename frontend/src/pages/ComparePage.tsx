// Jobs side by side (/compare?ids=3,7): their curves overlaid by epoch, the settings that
// differ, final and best metrics, the best run marked.
import { Link, useSearchParams } from "react-router";
import { api, unwrap, type JobComparison } from "../api/client";
import { LineChart } from "../components/LineChart";
import { formatMetric } from "../format";
import { usePolling } from "../hooks";
import { useI18n } from "../i18n";

function shown(value: unknown): string {
  return value === null || value === undefined ? "—" : String(value);
}

function Curves({ comparison }: { comparison: JobComparison }) {
  const metrics = [...new Set(comparison.jobs.flatMap((job) => Object.keys(job.curves)))].filter(
    (name) => name !== "epoch_seconds",
  );
  return (
    <div className="charts">
      {metrics.map((metric) => (
        <LineChart
          key={metric}
          title={metric}
          x={comparison.epochs}
          series={comparison.jobs.map((job) => ({
            label: `#${job.job_id}${job.job_id === comparison.best_job_id ? " ★" : ""}`,
            values: job.curves[metric] ?? comparison.epochs.map(() => null),
          }))}
        />
      ))}
    </div>
  );
}

export function ComparePage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const ids = params.get("ids") ?? "";
  const { data, error } = usePolling(
    () => unwrap(api.GET("/api/v1/jobs/compare", { params: { query: { ids } } })),
    null,
    [ids],
  );
  if (error) return <p className="error">{t("common.error", { message: error })}</p>;
  if (!data) return <p>{t("common.loading")}</p>;
  const best = (id: number) => (id === data.best_job_id ? "compare-best" : undefined);
  const differences = Object.entries(data.differences);
  return (
    <section>
      <h1>{t("compare.title")}</h1>
      {data.best_job_id !== null && (
        <p data-testid="best-run">
          {t("compare.best", { id: data.best_job_id, metric: data.best_metric_name ?? "" })}
        </p>
      )}
      <div className="table-wrap">
        <table data-testid="compare-table">
          <thead>
            <tr>
              <th>{t("compare.setting")}</th>
              {data.jobs.map((job) => (
                <th key={job.job_id} className={best(job.job_id)}>
                  <Link to={`/jobs/${job.job_id}`}>#{job.job_id}</Link>
                  {job.job_id === data.best_job_id && " ★"}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th>{t("compare.bestMetric")}</th>
              {data.jobs.map((job) => (
                <td key={job.job_id} className={best(job.job_id)}>
                  {job.best_metric_name} {job.best_metric === null ? "—" : formatMetric(job.best_metric)}
                  {job.best_epoch !== null && <small> ({t("models.epoch", { epoch: job.best_epoch })})</small>}
                </td>
              ))}
            </tr>
            {differences.map(([setting, values]) => (
              <tr key={setting} data-testid={`diff-${setting}`}>
                <th>{setting}</th>
                {values.map((value, i) => (
                  <td key={i} className={best(data.job_ids[i])}>
                    {shown(value)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!differences.length && <p className="empty">{t("compare.same")}</p>}
      <h2>{t("job.charts")}</h2>
      <Curves comparison={data} />
    </section>
  );
}
