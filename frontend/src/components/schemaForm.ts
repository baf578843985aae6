// The logic behind SchemaForm: visibility (x-depends-on), presets, limits and diffs.
import type { Translate } from "../i18n";

export interface SchemaField {
  type: "string" | "number" | "integer" | "boolean";
  default?: unknown;
  description?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  "x-group"?: string;
  "x-depends-on"?: Record<string, unknown[]>;
  "x-label"?: string;
  "x-suggestions"?: string[];
  /** What each `enum` option reads as (default: the value itself). */
  "x-enum-labels"?: string[];
  "x-concept"?: string;
}

export interface FormSchema {
  properties: Record<string, SchemaField>;
  required?: string[];
  "x-groups"?: { name: string; fields: string[] }[];
  "x-presets"?: Record<string, Record<string, unknown>>;
}

export type ConfigValues = Record<string, unknown>;

/** A field shows only while every field it depends on is visible and holds an allowed value. */
export function isVisible(schema: FormSchema, name: string, values: ConfigValues, seen = new Set<string>()): boolean {
  const dependsOn = schema.properties[name]?.["x-depends-on"];
  if (!dependsOn || seen.has(name)) return true;
  seen.add(name);
  return Object.entries(dependsOn).every(
    ([other, allowed]) => isVisible(schema, other, values, seen) && allowed.includes(values[other]),
  );
}

export function defaults(schema: FormSchema): ConfigValues {
  const values: ConfigValues = {};
  for (const [name, field] of Object.entries(schema.properties)) {
    if (field.default !== undefined) values[name] = field.default;
  }
  return values;
}

/** The values a preset stands for: the schema's defaults with the preset's own on top. */
export function presetValues(schema: FormSchema, preset: string | null): ConfigValues {
  return { ...defaults(schema), ...(preset ? (schema["x-presets"]?.[preset] ?? {}) : {}) };
}

export function groupsOf(schema: FormSchema): { name: string; fields: string[] }[] {
  if (schema["x-groups"]?.length) return schema["x-groups"];
  const groups = new Map<string, string[]>();
  for (const [name, field] of Object.entries(schema.properties)) {
    const group = field["x-group"] ?? "general";
    groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  return [...groups].map(([name, fields]) => ({ name, fields }));
}

export function fieldProblem(schema: FormSchema, name: string, value: unknown, t: Translate): string | null {
  const field = schema.properties[name];
  const empty = value === undefined || value === null || value === "";
  if (empty) return schema.required?.includes(name) ? t("form.required") : null;
  if (field.type === "number" || field.type === "integer") {
    const number = typeof value === "number" ? value : Number(value);
    if (!Number.isFinite(number)) return t("form.number");
    if (field.type === "integer" && !Number.isInteger(number)) return t("form.integer");
    if (field.minimum !== undefined && number < field.minimum) return t("form.min", { min: field.minimum });
    if (field.exclusiveMinimum !== undefined && number <= field.exclusiveMinimum)
      return t("form.min", { min: `> ${field.exclusiveMinimum}` });
    if (field.maximum !== undefined && number > field.maximum) return t("form.max", { max: field.maximum });
  }
  return null;
}

/** Problems of the visible fields, by name; empty when the form may be sent. */
export function validate(schema: FormSchema, values: ConfigValues, t: Translate): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const name of Object.keys(schema.properties)) {
    if (!isVisible(schema, name, values)) continue;
    const problem = fieldProblem(schema, name, values[name], t);
    if (problem) problems[name] = problem;
  }
  return problems;
}

/** Visible fields whose value differs from `base`: what to send beside a preset name. */
export function changedValues(schema: FormSchema, values: ConfigValues, base: ConfigValues): ConfigValues {
  const changed: ConfigValues = {};
  for (const name of Object.keys(schema.properties)) {
    const value = values[name];
    if (!isVisible(schema, name, values) || value === undefined || value === "") continue;
    if (value !== base[name]) changed[name] = value;
  }
  return changed;
}
