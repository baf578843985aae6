import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { I18nProvider } from "../i18n";
import { timmSchema } from "../test/fixtures";
import { SchemaForm } from "./SchemaForm";
import { changedValues, presetValues, validate, type ConfigValues } from "./schemaForm";

function Harness({ errors }: { errors?: Record<string, string> }) {
  const [values, setValues] = useState<ConfigValues>(presetValues(timmSchema, null));
  const [preset, setPreset] = useState<string | null>(null);
  return (
    <I18nProvider initial="en">
      <SchemaForm
        schema={timmSchema}
        values={values}
        onChange={setValues}
        errors={errors ?? validate(timmSchema, values, (k, p) => `${k}:${JSON.stringify(p ?? {})}`)}
        preset={preset}
        onPresetChange={(next, filled) => {
          setPreset(next);
          setValues(filled);
        }}
      />
    </I18nProvider>
  );
}

test("groups become sections holding their fields", () => {
  render(<Harness />);
  const optimizer = screen.getByRole("group", { name: "optimizer" });
  expect(within(optimizer).getByLabelText("learning_rate")).toBeInTheDocument();
  expect(screen.getByRole("group", { name: "scheduler" })).toBeInTheDocument();
  expect(within(screen.getByRole("group", { name: "augmentation" })).getByLabelText("mixup")).toBeInTheDocument();
});

test("fields are hidden until what they depend on allows them", async () => {
  const user = userEvent.setup();
  render(<Harness />);
  expect(screen.queryByLabelText("momentum")).not.toBeInTheDocument();
  expect(screen.queryByLabelText("mixup_alpha")).not.toBeInTheDocument();
  await user.selectOptions(screen.getByLabelText("optimizer_type"), "sgd");
  expect(screen.getByLabelText("momentum")).toHaveValue(0.9);
  await user.click(screen.getByLabelText("mixup"));
  expect(screen.getByLabelText("mixup_alpha")).toBeInTheDocument();
});

test("min and max are on the inputs and out-of-range values are flagged beside the field", async () => {
  const user = userEvent.setup();
  render(<Harness />);
  const warmup = screen.getByLabelText("warmup_epochs");
  expect(warmup).toHaveAttribute("min", "0");
  expect(warmup).toHaveAttribute("max", "100");
  await user.clear(warmup);
  await user.type(warmup, "500");
  expect(warmup).toHaveAttribute("aria-invalid", "true");
  expect(screen.getByRole("alert")).toHaveTextContent('form.max:{"max":100}');
});

test("a preset fills its values and marks what differs from it", async () => {
  const user = userEvent.setup();
  render(<Harness />);
  await user.selectOptions(screen.getByLabelText("Preset"), "advanced");
  expect(screen.getByLabelText("optimizer_type")).toHaveValue("sgd");
  expect(screen.getByLabelText("learning_rate")).toHaveValue(0.01);
  expect(screen.getByLabelText("warmup_epochs")).toHaveValue(10);
  expect(screen.getByLabelText("mixup")).toBeChecked();
  expect(screen.queryByText(/differs from preset/)).not.toBeInTheDocument();
  const warmup = screen.getByLabelText("warmup_epochs");
  await user.clear(warmup);
  await user.type(warmup, "3");
  expect(screen.getByText("differs from preset (10)")).toBeInTheDocument();
});

test("server errors are shown beside their fields", () => {
  render(<Harness errors={{ learning_rate: "must be at most 1" }} />);
  const input = screen.getByLabelText("learning_rate");
  expect(input).toHaveAttribute("aria-invalid", "true");
  expect(document.getElementById(input.getAttribute("aria-describedby")!)).toHaveTextContent("must be at most 1");
});

test("only visible values that differ from the preset are sent", () => {
  const base = presetValues(timmSchema, "easy");
  const values = { ...base, learning_rate: 0.005, mixup_alpha: 0.9 };
  expect(changedValues(timmSchema, values, base)).toEqual({ learning_rate: 0.005 });
});
