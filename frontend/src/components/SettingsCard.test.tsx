import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ResolvedSettings, SettingValue } from "../api/client";
import { I18nProvider } from "../i18n";
import { SettingsCard } from "./SettingsCard";

const asked = (value: SettingValue["value"]): SettingValue => ({ value, source: "request", applies: true });
const preset = (value: SettingValue["value"]): SettingValue => ({ value, source: "preset", applies: true });
const byDefault = (value: SettingValue["value"]): SettingValue => ({ value, source: "default", applies: true });

// What POST /chat answers for "resnet18, medium, lr 0.0005, 5 epochs, data/digits".
const SETTINGS: ResolvedSettings = {
  model_name: asked("resnet18"),
  framework: "timm",
  task_type: asked("classification"),
  preset: asked("medium"),
  optimizer: preset("adamw"),
  learning_rate: asked(0.0005),
  warmup_epochs: preset(5),
  augmentations: [
    { name: "random_flip", ...preset(true) },
    { name: "color_jitter", ...preset(0.4) },
    { name: "crop_scale_min", ...byDefault(0.5) },
  ],
  num_epochs: asked(5),
  batch_size: byDefault(16),
  image_size: byDefault(null),
  dataset_path: asked("data/digits"),
  class_names: null,
};

function row(name: string) {
  const card = within(screen.getByRole("region", { name: /Parsed settings|해석된 설정/ }));
  return card.getByText(name, { selector: "dt" }).nextElementSibling as HTMLElement;
}

test("the card shows what the job will run with, preset and default values marked", async () => {
  const user = userEvent.setup();
  const onStart = vi.fn();
  const onEdit = vi.fn();
  render(
    <I18nProvider initial="en">
      <SettingsCard settings={SETTINGS} missing={[]} canStart onStart={onStart} onEdit={onEdit} />
    </I18nProvider>,
  );
  expect(row("Model")).toHaveTextContent(/^resnet18$/);
  expect(row("Task")).toHaveTextContent(/^classification$/);
  expect(row("Preset")).toHaveTextContent(/^medium$/);
  // the preset's optimizer, the learning rate the user asked for
  expect(row("Optimizer / learning rate")).toHaveTextContent(/^adamw \(preset\) \/ 0\.0005$/);
  expect(within(row("Optimizer / learning rate")).getByText("0.0005")).toHaveAttribute("data-source", "request");
  expect(row("Warm-up epochs")).toHaveTextContent(/^5 \(preset\)$/);
  expect(row("Augmentations")).toHaveTextContent(
    /^random_flip \(preset\), color_jitter 0\.4 \(preset\), crop_scale_min 0\.5 \(default\)$/,
  );
  expect(row("Epochs")).toHaveTextContent(/^5$/);
  expect(row("Batch size")).toHaveTextContent(/^16 \(default\)$/);
  expect(row("Image size")).toHaveTextContent(/^auto \(from the model\) \(default\)$/);
  expect(row("Data set")).toHaveTextContent(/^data\/digits$/);
  expect(screen.queryByText("—")).not.toBeInTheDocument();

  await user.click(screen.getByRole("button", { name: "Start training" }));
  await user.click(screen.getByRole("button", { name: "Edit" }));
  expect(onStart).toHaveBeenCalledOnce();
  expect(onEdit).toHaveBeenCalledOnce();
});

test("a setting other settings switch off is marked as not used, in Korean too", () => {
  const settings: ResolvedSettings = {
    ...SETTINGS,
    model_name: asked("yolo11n"),
    framework: "ultralytics",
    optimizer: byDefault("auto"),
    learning_rate: { value: 0.002, source: "request", applies: false },
    augmentations: [],
  };
  render(
    <I18nProvider initial="ko">
      <SettingsCard settings={settings} missing={[]} canStart onStart={() => {}} onEdit={() => {}} />
    </I18nProvider>,
  );
  expect(row("옵티마이저 / 학습률")).toHaveTextContent(/^auto \(기본값\) \/ 0\.002 \(적용 안 됨\)$/);
  expect(row("데이터 증강")).toHaveTextContent(/^없음$/);
});

test("the card cannot start while settings are missing, and shows dashes before any are known", () => {
  render(
    <I18nProvider initial="en">
      <SettingsCard settings={null} missing={["model_name", "dataset_path"]} canStart={false} onStart={() => {}} onEdit={() => {}} />
    </I18nProvider>,
  );
  expect(screen.getByRole("button", { name: "Start training" })).toBeDisabled();
  expect(screen.getByText("Still needed: model_name, dataset_path")).toBeInTheDocument();
  expect(row("Optimizer / learning rate")).toHaveTextContent(/^—$/);
});

test("values resolved for the run are marked and the card says why and where weights come from", () => {
  const settings: ResolvedSettings = {
    ...SETTINGS,
    num_epochs: asked(4),
    warmup_epochs: { value: 0, source: "resolved", applies: true },
    preset_intent: "balanced: AdamW, warm-up, colour jitter, mixup on longer runs",
    adjustments: [
      {
        field: "warmup_epochs",
        nominal: 5,
        value: 0,
        source: "preset",
        reason: "the run has 4 epochs; warm-up is kept to 10% of a run",
        message: "warm-up 5 → 0 epochs: the run has 4 epochs; warm-up is kept to 10% of a run",
      },
    ],
    weights: { found: true, place: "the weights store", message: "the weights store: /w/resnet18.safetensors" },
  };
  render(
    <I18nProvider initial="en">
      <SettingsCard settings={settings} missing={[]} canStart onStart={() => {}} onEdit={() => {}} />
    </I18nProvider>,
  );
  expect(row("Warm-up epochs")).toHaveTextContent(/^0 \(resolved for the run\)$/);
  expect(row("Pretrained weights")).toHaveTextContent("the weights store: /w/resnet18.safetensors");
  const notes = within(screen.getByRole("region", { name: "Resolved for this run" }));
  expect(notes.getByText("Preset intent: balanced: AdamW, warm-up, colour jitter, mixup on longer runs")).toBeInTheDocument();
  expect(notes.getByText("warm-up 5 → 0 epochs: the run has 4 epochs; warm-up is kept to 10% of a run")).toBeInTheDocument();
});
