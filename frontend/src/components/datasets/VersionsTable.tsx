// A data set's versions, newest first: pick one to show, or delete one.
import type { DatasetVersion } from "../../api/client";
import { formatBytes } from "../../api/datasets";
import { formatTime } from "../../format";
import { useI18n } from "../../i18n";

interface Props {
  versions: DatasetVersion[];
  selected: string | null;
  onSelect: (version: string) => void;
  onDelete: (version: DatasetVersion) => void;
}

export function VersionsTable({ versions, selected, onSelect, onDelete }: Props) {
  const { t, lang } = useI18n();
  return (
    <div className="table-wrap">
      <table data-testid="versions">
        <thead>
          <tr>
            <th>{t("ds.col.version")}</th>
            <th>{t("ds.col.created")}</th>
            <th>{t("ds.col.format")}</th>
            <th>{t("ds.col.task")}</th>
            <th>{t("ds.col.images")}</th>
            <th>{t("ds.col.classes")}</th>
            <th>{t("ds.col.size")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions.map((v, i) => (
            <tr key={v.version} className={v.version === selected ? "selected" : undefined} data-testid={`version-${v.version}`}>
              <td>
                <button type="button" className="link" aria-pressed={v.version === selected} onClick={() => onSelect(v.version)} title={v.digest}>
                  <code>{v.version}</code>
                </button>
                {i === 0 && <span className="badge badge-completed">{t("ds.newest")}</span>}
              </td>
              <td>{formatTime(v.created_at, lang)}</td>
              <td>{v.format}</td>
              <td>{v.task_type}</td>
              <td>{v.num_images}</td>
              <td>{v.num_classes}</td>
              <td>{formatBytes(v.size_bytes)}</td>
              <td>
                <button type="button" className="danger small" onClick={() => onDelete(v)} aria-label={`${t("ds.delete")} ${v.ref}`}>
                  {t("ds.delete")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
