// A version's report: format, task, splits, image sizes, class balance, problems skipped.
import type { DatasetReport, DatasetVersion } from "../../api/client";
import { formatBytes } from "../../api/datasets";
import { useI18n } from "../../i18n";
import { ClassBalance } from "./ClassBalance";

const size = (w: number, h: number) => `${Math.round(w)}×${Math.round(h)}`;

function Sizes({ sizes }: { sizes: NonNullable<DatasetReport["image_sizes"]> }) {
  const { t } = useI18n();
  return (
    <p data-testid="image-sizes">
      {t("ds.sizeRange", {
        min: size(sizes.min_width, sizes.min_height),
        max: size(sizes.max_width, sizes.max_height),
        mean: size(sizes.mean_width, sizes.mean_height),
      })}
      <br />
      {t("ds.common", { sizes: sizes.common.map((c) => `${size(c.width, c.height)} (${c.count})`).join(", ") })}
    </p>
  );
}

function Problems({ report }: { report: DatasetReport }) {
  const { t } = useI18n();
  const problems = report.problems ?? [];
  if (!problems.length) return <p className="empty">{t("ds.noProblems")}</p>;
  return (
    <div className="table-wrap">
      <table data-testid="problems">
        <thead>
          <tr>
            <th>{t("ds.col.file")}</th>
            <th>{t("ds.col.problem")}</th>
          </tr>
        </thead>
        <tbody>
          {problems.map((p, i) => (
            <tr key={i}>
              <td>
                <code>{p.file}</code>
              </td>
              <td className="wrap">{p.problem}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ReportView({ version, report }: { version: DatasetVersion; report: DatasetReport }) {
  const { t } = useI18n();
  const format = report.layout === report.format ? report.format : t("ds.storedAs", { format: report.format, layout: report.layout });
  const stats: [string, string | number][] = [
    [t("ds.col.format"), format],
    [t("ds.col.task"), report.task_type],
    [t("ds.col.images"), version.num_images],
    [t("ds.col.classes"), report.class_names.length],
    [t("ds.col.size"), formatBytes(report.bytes || version.size_bytes)],
  ];
  const notes = [
    ...(report.auto_split ? [t("ds.autoSplit")] : []),
    ...(report.images_without_labels ? [t("ds.unlabelled", { count: report.images_without_labels })] : []),
    ...(report.ignored_files ? [t("ds.ignored", { count: report.ignored_files })] : []),
    ...(report.warnings ?? []),
  ];
  return (
    <section className="report" data-testid="report">
      <h2>{t("ds.report", { ref: version.ref })}</h2>
      {version.description && <p>{version.description}</p>}
      <div className="stats">
        {stats.map(([label, value]) => (
          <div className="stat" key={label}>
            <span>{label}</span>
            <strong>{value}</strong>
          </div>
        ))}
      </div>
      <div className="two-col">
        <div>
          <h3>{t("ds.splits")}</h3>
          <p data-testid="splits">
            {Object.entries(report.splits)
              .map(([split, count]) => `${split} ${count}`)
              .join(" · ")}
          </p>
          <h3>{t("ds.imageSizes")}</h3>
          {report.image_sizes ? <Sizes sizes={report.image_sizes} /> : <p className="empty">—</p>}
          {notes.length > 0 && (
            <>
              <h3>{t("ds.notes")}</h3>
              <ul className="notes">
                {notes.map((note) => (
                  <li key={note}>{note}</li>
                ))}
              </ul>
            </>
          )}
        </div>
        <ClassBalance report={report} />
      </div>
      <h3>{t("ds.problems", { count: report.problems?.length ?? 0 })}</h3>
      <Problems report={report} />
    </section>
  );
}
