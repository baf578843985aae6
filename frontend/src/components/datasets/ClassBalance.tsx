// How the classes are spread: one bar per class, split into its train/val/test counts.
import { useState } from "react";
import type { DatasetReport } from "../../api/client";
import { useI18n } from "../../i18n";

const SPLIT_COLORS = ["#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444"];
type CountBy = "images" | "instances";

export function ClassBalance({ report }: { report: DatasetReport }) {
  const { t } = useI18n();
  // Objects matter for boxes; for classification the two counts are the same.
  const hasObjects = report.task_type !== "classification";
  const [countBy, setCountBy] = useState<CountBy>(hasObjects ? "instances" : "images");
  const splits = Object.keys(report.splits);
  const rows = report.classes.map((c) => {
    const counts = splits.map((split) => c[countBy][split] ?? 0);
    return { name: c.name, counts, total: counts.reduce((a, b) => a + b, 0) };
  });
  const most = Math.max(1, ...rows.map((r) => r.total));
  return (
    <figure className="class-balance" data-testid="class-balance">
      <figcaption>
        <span>{t("ds.balance")}</span>
        {hasObjects && (
          <label className="inline">
            {t("ds.countBy")}
            <select value={countBy} onChange={(e) => setCountBy(e.target.value as CountBy)} aria-label={t("ds.countBy")}>
              <option value="instances">{t("ds.count.instances")}</option>
              <option value="images">{t("ds.count.images")}</option>
            </select>
          </label>
        )}
        <span className="split-legend">
          {splits.map((split, i) => (
            <span key={split}>
              <i style={{ background: SPLIT_COLORS[i % SPLIT_COLORS.length] }} /> {split}
            </span>
          ))}
        </span>
      </figcaption>
      <ol>
        {rows.map((row) => (
          <li key={row.name} data-testid="class-bar" aria-label={`${row.name}: ${splits.map((s, i) => `${s} ${row.counts[i]}`).join(", ")}`}>
            <span className="class-name" title={row.name}>
              {row.name}
            </span>
            <span className="bar" style={{ width: `${(row.total / most) * 100}%` }}>
              {row.counts.map((count, i) =>
                count ? <span key={splits[i]} style={{ flexGrow: count, background: SPLIT_COLORS[i % SPLIT_COLORS.length] }} title={`${splits[i]}: ${count}`} /> : null,
              )}
            </span>
            <span className="count">{row.total}</span>
          </li>
        ))}
      </ol>
    </figure>
  );
}
