// A select of stored data set versions, its first option the typed path beside it.
import { useI18n } from "../../i18n";
import type { DatasetOption } from "./options";

interface Props {
  label: string;
  options: DatasetOption[];
  value: string;
  onChange: (ref: string) => void;
}

export function DatasetChoice({ label, options, value, onChange }: Props) {
  const { t } = useI18n();
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} aria-label={label}>
        <option value="">{t("ds.typedPath")}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
