// Data sets: upload an archive, and every data set with its newest version.
import { Link, useNavigate } from "react-router";
import { api, unwrap } from "../api/client";
import { datasetHref, formatBytes } from "../api/datasets";
import { UploadZone } from "../components/datasets/UploadZone";
import { formatTime } from "../format";
import { usePolling } from "../hooks";
import { useI18n } from "../i18n";

export function DatasetsPage() {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const { data, error } = usePolling(async () => (await unwrap(api.GET("/api/v1/datasets"))).items, null, []);
  return (
    <section className="datasets">
      <h1>{t("ds.title")}</h1>
      <UploadZone onUploaded={(upload) => navigate(datasetHref(upload.ref), { state: { upload: { ref: upload.ref, created: upload.created } } })} />
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {data && !data.length && <p className="empty">{t("ds.empty")}</p>}
      {data && data.length > 0 && (
        <div className="table-wrap">
          <table data-testid="datasets">
            <thead>
              <tr>
                <th>{t("ds.col.name")}</th>
                <th>{t("ds.col.latest")}</th>
                <th>{t("ds.col.versions")}</th>
                <th>{t("ds.col.task")}</th>
                <th>{t("ds.col.format")}</th>
                <th>{t("ds.col.images")}</th>
                <th>{t("ds.col.classes")}</th>
                <th>{t("ds.col.size")}</th>
                <th>{t("ds.col.created")}</th>
              </tr>
            </thead>
            <tbody>
              {data.map(({ name, versions, latest }) => (
                <tr key={name} data-testid={`dataset-${name}`}>
                  <td>
                    <Link to={datasetHref(name)}>{name}</Link>
                  </td>
                  <td>
                    <code>{latest.version}</code>
                  </td>
                  <td>{versions}</td>
                  <td>{latest.task_type}</td>
                  <td>{latest.format}</td>
                  <td>{latest.num_images}</td>
                  <td>{latest.num_classes}</td>
                  <td>{formatBytes(latest.size_bytes)}</td>
                  <td>{formatTime(latest.created_at, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
