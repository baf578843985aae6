// The model registry: models and their aliases, one model's versions with their metrics and
// data sets; promote a version to production, or try it in the playground.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap, type ModelVersion, type RegisteredModel } from "../api/client";
import { formatMetric, formatTime } from "../format";
import { usePolling } from "../hooks";
import { useI18n } from "../i18n";

const PRODUCTION = "production";

function VersionRow({ model, version, onPromote }: { model: RegisteredModel; version: ModelVersion; onPromote: () => void }) {
  const { t, lang } = useI18n();
  const isProduction = model.aliases[PRODUCTION] === version.version;
  // The task's metric and the losses: the rest (timings, lr, top-5) would crowd the table.
  const finals = Object.entries(version.final_metrics)
    .filter(([name]) => name === version.best_metric_name || name.endsWith("_loss"))
    .map(([name, value]) => `${name} ${formatMetric(value)}`);
  return (
    <tr data-testid={`version-row-${version.version}`}>
      <td>v{version.version}</td>
      <td>
        {version.aliases.map((alias) => (
          <span key={alias} className={`badge ${alias === PRODUCTION ? "badge-completed" : "badge-pending"}`}>
            {alias}
          </span>
        ))}
      </td>
      <td>
        <Link to={`/jobs/${version.job_id}`}>#{version.job_id}</Link> {version.model_name}
        <div className="version-dataset" title={`${t("models.dataset")}: ${version.dataset}`}>
          {version.dataset_ref ? (
            // A stored data set version (name@version): its page lists its versions.
            <Link to={`/datasets/${encodeURIComponent(version.dataset_ref.split("@")[0])}`}>{version.dataset_ref}</Link>
          ) : (
            // A folder or URI: its last part (the whole of it on hover), to keep the table narrow.
            <span>{version.dataset.replace(/\/+$/, "").split("/").pop()}</span>
          )}
        </div>
      </td>
      <td>
        {version.best_metric === null ? "—" : `${version.best_metric_name} ${formatMetric(version.best_metric)}`}
        {version.best_epoch !== null && <small> ({t("models.epoch", { epoch: version.best_epoch })})</small>}
      </td>
      <td className="metric-lines">{finals.length ? finals.map((line) => <div key={line}>{line}</div>) : "—"}</td>
      <td>{formatTime(version.created_at, lang)}</td>
      <td>
        <div className="row-actions">
          <button type="button" className="primary" disabled={isProduction} onClick={onPromote}>
            {t("models.promote")}
          </button>
          <Link to={`/playground?model=${encodeURIComponent(`${model.name}@v${version.version}`)}`}>{t("models.try")}</Link>
        </div>
      </td>
    </tr>
  );
}

function ModelDetail({ name, onChange }: { name: string; onChange: () => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const { data: model, error: loadError, refresh } = usePolling(
    () => unwrap(api.GET("/api/v1/models/{name}", { params: { path: { name } } })),
    null,
    [name],
  );
  const promote = async (version: number) => {
    try {
      await unwrap(
        api.PUT("/api/v1/models/{name}/aliases/{alias}", { params: { path: { name, alias: PRODUCTION } }, body: { version } }),
      );
      setError(null);
      await refresh();
      onChange();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  if (loadError) return <p className="error">{t("common.error", { message: loadError })}</p>;
  if (!model) return <p>{t("common.loading")}</p>;
  return (
    <div className="card">
      <h2>{model.name}</h2>
      <p>
        {model.aliases[PRODUCTION] === undefined
          ? t("models.noProduction")
          : t("models.serving", { name: model.name, version: model.aliases[PRODUCTION] })}
      </p>
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t("models.version")}</th>
              <th>{t("models.aliases")}</th>
              <th>{t("models.job")}</th>
              <th>{t("col.best")}</th>
              <th>{t("models.final")}</th>
              <th>{t("models.registered")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...model.versions].reverse().map((version) => (
              <VersionRow key={version.version} model={model} version={version} onPromote={() => void promote(version.version)} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function ModelsPage() {
  const { t } = useI18n();
  const { name } = useParams();
  const { data, error, refresh } = usePolling(() => unwrap(api.GET("/api/v1/models")), null, [name]);
  return (
    <section>
      <h1>{t("models.title")}</h1>
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {data && !data.items.length && <p className="empty">{t("models.empty")}</p>}
      <div className="models-layout">
        <ul className="model-list">
          {(data?.items ?? []).map((model) => (
            <li key={model.name} className={model.name === name ? "selected" : ""}>
              <Link to={`/models/${model.name}`}>{model.name}</Link>{" "}
              <small>
                {t("models.count", { count: model.num_versions })}
                {Object.entries(model.aliases).map(([alias, version]) => ` · ${alias}=v${version}`)}
              </small>
            </li>
          ))}
        </ul>
        {name && <ModelDetail name={name} onChange={() => void refresh()} />}
      </div>
    </section>
  );
}
