// Status badge and progress bar.
import type { JobStatus } from "../api/client";
import { useI18n } from "../i18n";

export function StatusBadge({ status }: { status: JobStatus }) {
  const { t } = useI18n();
  return <span className={`badge badge-${status}`}>{t(`status.${status}`)}</span>;
}

export function ProgressBar({ value, label }: { value: number; label?: string }) {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(value) ? value : 0));
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(clamped * 100)} aria-label={label}>
      <div className="progress-fill" style={{ width: `${clamped * 100}%` }} />
    </div>
  );
}
