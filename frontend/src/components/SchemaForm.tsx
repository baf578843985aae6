// A form generated from a JSON Schema with x-groups, x-depends-on and x-presets.
import { useI18n } from "../i18n";
import { groupsOf, isVisible, presetValues, type ConfigValues, type FormSchema, type SchemaField } from "./schemaForm";

interface Props {
  schema: FormSchema;
  values: ConfigValues;
  onChange: (values: ConfigValues) => void;
  errors?: Record<string, string>;
  /** The chosen preset; a picker shows when the schema has x-presets. */
  preset?: string | null;
  onPresetChange?: (preset: string | null, values: ConfigValues) => void;
  idPrefix?: string;
}

export function SchemaForm({ schema, values, onChange, errors = {}, preset = null, onPresetChange, idPrefix = "f" }: Props) {
  const { t } = useI18n();
  const presets = Object.keys(schema["x-presets"] ?? {});
  const base = preset ? presetValues(schema, preset) : null;
  return (
    <div className="schema-form">
      {presets.length > 0 && onPresetChange && (
        <div className="field">
          <label htmlFor={`${idPrefix}-preset`}>{t("new.preset")}</label>
          <select
            id={`${idPrefix}-preset`}
            value={preset ?? ""}
            onChange={(e) => {
              const next = e.target.value || null;
              onPresetChange(next, presetValues(schema, next));
            }}
          >
            <option value="">{t("new.noPreset")}</option>
            {presets.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      )}
      {groupsOf(schema).map((group) => {
        const visible = group.fields.filter((name) => schema.properties[name] && isVisible(schema, name, values));
        if (!visible.length) return null;
        return (
          <fieldset key={group.name} className="group">
            <legend>{group.name}</legend>
            {visible.map((name) => (
              <Field
                key={name}
                id={`${idPrefix}-${name}`}
                name={name}
                field={schema.properties[name]}
                value={values[name]}
                error={errors[name]}
                presetValue={base && base[name] !== values[name] ? base[name] : undefined}
                onChange={(value) => onChange({ ...values, [name]: value })}
              />
            ))}
          </fieldset>
        );
      })}
    </div>
  );
}

interface FieldProps {
  id: string;
  name: string;
  field: SchemaField;
  value: unknown;
  error?: string;
  presetValue?: unknown;
  onChange: (value: unknown) => void;
}

function Field({ id, name, field, value, error, presetValue, onChange }: FieldProps) {
  const { t } = useI18n();
  const errorId = `${id}-error`;
  const common = {
    id,
    name,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": error ? errorId : undefined,
  };
  let input;
  if (field.type === "boolean") {
    input = <input type="checkbox" {...common} checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} />;
  } else if (field.enum) {
    input = (
      <select {...common} value={String(value ?? "")} onChange={(e) => onChange(field.enum!.find((o) => String(o) === e.target.value))}>
        {field.enum.map((option, i) => (
          <option key={String(option)} value={String(option)}>
            {field["x-enum-labels"]?.[i] ?? (String(option) || "—")}
          </option>
        ))}
      </select>
    );
  } else if (field.type === "number" || field.type === "integer") {
    input = (
      <input
        type="number"
        {...common}
        min={field.minimum}
        max={field.maximum}
        step={field.type === "integer" ? 1 : "any"}
        value={value === undefined || value === null ? "" : String(value)}
        onChange={(e) => onChange(e.target.value === "" ? "" : Number(e.target.value))}
      />
    );
  } else {
    input = (
      <>
        <input
          type="text"
          {...common}
          list={field["x-suggestions"] ? `${id}-list` : undefined}
          value={String(value ?? "")}
          onChange={(e) => onChange(e.target.value)}
        />
        {field["x-suggestions"] && (
          <datalist id={`${id}-list`}>
            {field["x-suggestions"].map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        )}
      </>
    );
  }
  return (
    <div className={`field${field.type === "boolean" ? " field-check" : ""}${error ? " has-error" : ""}`}>
      <label htmlFor={id} title={field.description}>
        {field["x-label"] ?? name}
      </label>
      {input}
      {field.description && <small className="hint">{field.description}</small>}
      {presetValue !== undefined && (
        <small className="differs">{t("new.differs", { value: String(presetValue) })}</small>
      )}
      {error && (
        <span className="field-error" id={errorId} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
