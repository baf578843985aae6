// One data set: its versions (newest first), the chosen version's report and samples, and a
// way to train on it.
import { useState } from "react";
import { Link, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { api, ApiError, unwrap, type DatasetVersion } from "../api/client";
import { ReportView } from "../components/datasets/ReportView";
import { SampleGallery } from "../components/datasets/SampleGallery";
import { VersionsTable } from "../components/datasets/VersionsTable";
import { usePolling } from "../hooks";
import { useI18n } from "../i18n";

interface UploadNotice {
  upload?: { ref: string; created: boolean };
}

export function DatasetPage() {
  const { t } = useI18n();
  const name = useParams().name ?? "";
  const navigate = useNavigate();
  const notice = (useLocation().state as UploadNotice | null)?.upload;
  const [params, setParams] = useSearchParams();
  const [problem, setProblem] = useState<string | null>(null);
  const dataset = usePolling(() => unwrap(api.GET("/api/v1/datasets/{name}", { params: { path: { name } } })), null, [name]);
  const versions = dataset.data?.versions ?? [];
  const chosen = params.get("version") ?? versions[0]?.version ?? null;
  const detail = usePolling(
    async () => (chosen ? unwrap(api.GET("/api/v1/datasets/{name}/versions/{version}", { params: { path: { name, version: chosen } } })) : null),
    null,
    [name, chosen],
  );
  const version = detail.data?.version === chosen ? detail.data : null;

  const remove = async (v: DatasetVersion) => {
    if (!window.confirm(t("ds.confirmDelete", { ref: v.ref }))) return;
    try {
      await unwrap(api.DELETE("/api/v1/datasets/{name}/versions/{version}", { params: { path: { name, version: v.version } } }));
      setProblem(null);
      if (versions.length <= 1) return navigate("/datasets");
      if (v.version === chosen) setParams({}, { replace: true });
      await dataset.refresh();
    } catch (e) {
      setProblem(t("ds.deleteFailed", { ref: v.ref, message: e instanceof ApiError || e instanceof Error ? e.message : String(e) }));
    }
  };

  const error = dataset.error ?? detail.error;
  return (
    <section className="dataset-page">
      <p>
        <Link to="/datasets">← {t("ds.back")}</Link>
      </p>
      <header className="page-head">
        <h1>{t("ds.page", { name })}</h1>
        {version && (
          <button className="primary" onClick={() => navigate("/jobs/new", { state: { dataset: version.ref, task_type: version.task_type } })}>
            {t("ds.train")}
          </button>
        )}
      </header>
      {notice && (
        <p className="notice" role="status">
          {t(notice.created ? "ds.created" : "ds.same", { ref: notice.ref })}
        </p>
      )}
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {!dataset.data && !error && <p>{t("common.loading")}</p>}
      {versions.length > 0 && (
        <>
          <h2>{t("ds.versions")}</h2>
          <VersionsTable versions={versions} selected={chosen} onSelect={(v) => setParams({ version: v })} onDelete={(v) => void remove(v)} />
        </>
      )}
      {version?.report && (
        <>
          <ReportView version={version} report={version.report} />
          <SampleGallery version={version} report={version.report} />
        </>
      )}
    </section>
  );
}
