import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { I18nProvider } from "../i18n";
import { datasetVersion, job, stubFetch, timmSchema } from "../test/fixtures";
import { NewJobPage } from "./NewJobPage";

function renderForm(state?: unknown) {
  return render(
    <I18nProvider initial="en">
      <MemoryRouter initialEntries={[{ pathname: "/jobs/new", state }]}>
        <Routes>
          <Route path="/jobs/new" element={<NewJobPage />} />
          <Route path="/jobs/:id" element={<p>job page</p>} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
}

const frameworks = () => [{ name: "timm", installed: true, task_types: ["classification"] }];

test("a 422 from the server is shown beside the fields it names", async () => {
  const user = userEvent.setup();
  const calls = stubFetch({
    "GET /api/v1/frameworks": frameworks,
    "GET /api/v1/frameworks/timm/schema": () => timmSchema,
    "POST /api/v1/jobs": () =>
      Response.json(
        {
          detail: [
            { loc: ["body", "advanced_config", "learning_rate"], msg: "too high for adam", type: "value_error" },
            { loc: ["body", "dataset_path"], msg: "outside the data roots", type: "value_error" },
          ],
          fields: { learning_rate: "too high for adam" },
        },
        { status: 422 },
      ),
  });
  renderForm();
  await user.type(screen.getByLabelText("Data set path"), "/etc");
  await screen.findByLabelText("learning_rate");
  await user.click(screen.getByRole("button", { name: "Start training" }));
  expect(await screen.findByText("outside the data roots")).toBeInTheDocument();
  expect(screen.getByLabelText("learning_rate")).toHaveAttribute("aria-invalid", "true");
  expect(screen.getAllByText("too high for adam").length).toBeGreaterThan(0);
  const sent = calls.find((c) => c.key === "POST /api/v1/jobs")!.body as Record<string, unknown>;
  expect(sent).toMatchObject({ model_name: "resnet18", dataset_path: "/etc", preset: "easy", advanced_config: {} });
});

test("a job created from an intent opens its page", async () => {
  const user = userEvent.setup();
  const calls = stubFetch({
    "GET /api/v1/frameworks": frameworks,
    "GET /api/v1/frameworks/timm/schema": () => timmSchema,
    "POST /api/v1/jobs": () => Response.json(job({ id: 7 }), { status: 201 }),
  });
  renderForm({ intent: { model_name: "resnet10t", dataset_path: "data/digits", num_epochs: 2, preset: "advanced", advanced_config: { warmup_epochs: 2 }, missing: [], notes: [] } });
  expect(await screen.findByLabelText("warmup_epochs")).toHaveValue(2);
  expect(screen.getByLabelText("Epochs")).toHaveValue(2);
  await user.click(screen.getByRole("button", { name: "Start training" }));
  expect(await screen.findByText("job page")).toBeInTheDocument();
  const sent = calls.find((c) => c.key === "POST /api/v1/jobs")!.body as Record<string, unknown>;
  expect(sent).toMatchObject({ model_name: "resnet10t", num_epochs: 2, preset: "advanced", advanced_config: { warmup_epochs: 2 } });
});

test("an out-of-range value stops the form before it is sent", async () => {
  const user = userEvent.setup();
  const calls = stubFetch({ "GET /api/v1/frameworks": frameworks, "GET /api/v1/frameworks/timm/schema": () => timmSchema });
  renderForm();
  await screen.findByLabelText("learning_rate");
  await user.type(screen.getByLabelText("Data set path"), "data/digits");
  await user.clear(screen.getByLabelText("Epochs"));
  await user.type(screen.getByLabelText("Epochs"), "0");
  await user.click(screen.getByRole("button", { name: "Start training" }));
  expect(screen.getByText("At least 1")).toBeInTheDocument();
  expect(calls.some((c) => c.key === "POST /api/v1/jobs")).toBe(false);
});

const versions = {
  "GET /api/v1/datasets": () => ({ items: [{ name: "digits", versions: 2, latest: datasetVersion() }, { name: "shapes", versions: 1, latest: shapesVersion }] }),
  "GET /api/v1/datasets/digits": () => ({ name: "digits", versions: [datasetVersion(), datasetVersion({ version: "0123456789ab", created_at: "2025-12-01T10:00:00Z" })] }),
  "GET /api/v1/datasets/shapes": () => ({ name: "shapes", versions: [shapesVersion] }),
};
const shapesVersion = datasetVersion({ name: "shapes", version: "8258692e73c9", task_type: "detection", format: "yolo", created_at: "2025-11-01T10:00:00Z" });

test("a stored data set is picked from the list (the newest added first); the typed path stays an alternative", async () => {
  const user = userEvent.setup();
  const calls = stubFetch({ ...versions, "GET /api/v1/frameworks": frameworks, "GET /api/v1/frameworks/timm/schema": () => timmSchema, "POST /api/v1/jobs": () => Response.json(job({ id: 7 }), { status: 201 }) });
  renderForm();
  const choice = await screen.findByRole("combobox", { name: "Data set" });
  await waitFor(() => expect(choice).toHaveValue("digits@2a588ac1f124"));
  expect(within(choice).getAllByRole("option").map((o) => o.textContent)).toEqual([
    "a path on the server (type it below)",
    "digits@2a588ac1f124 · classification · 16 images (newest)",
    "digits@0123456789ab · classification · 16 images",
    "shapes@8258692e73c9 · detection · 16 images (newest)",
  ]);
  expect(screen.queryByLabelText("Data set path")).toBeNull();
  await user.selectOptions(choice, "");
  await user.type(screen.getByLabelText("Data set path"), "data/digits");
  await user.selectOptions(choice, "digits@0123456789ab");
  await screen.findByLabelText("learning_rate");
  await user.click(screen.getByRole("button", { name: "Start training" }));
  await screen.findByText("job page");
  const sent = calls.find((c) => c.key === "POST /api/v1/jobs")!.body as Record<string, unknown>;
  expect(sent).toMatchObject({ model_name: "resnet18", dataset: "digits@0123456789ab", task_type: "classification" });
  expect(sent).not.toHaveProperty("dataset_path");
});

test("Train on this from a YOLO data set chooses it, its task and a model that trains it", async () => {
  stubFetch({ ...versions, "GET /api/v1/frameworks": () => [...frameworks(), { name: "ultralytics", installed: true }], "GET /api/v1/frameworks/ultralytics/schema": () => timmSchema });
  renderForm({ dataset: "shapes@8258692e73c9", task_type: "detection" });
  await waitFor(() => expect(screen.getByRole("combobox", { name: "Data set" })).toHaveValue("shapes@8258692e73c9"));
  expect(screen.getByLabelText("Model name")).toHaveValue("yolo11n");
  expect(screen.getByLabelText("Task")).toHaveValue("detection");
});

test("a data set the chat named comes chosen by its name (the newest version when the job is made)", async () => {
  const user = userEvent.setup();
  const calls = stubFetch({ ...versions, "GET /api/v1/frameworks": frameworks, "GET /api/v1/frameworks/timm/schema": () => timmSchema, "POST /api/v1/jobs": () => Response.json(job({ id: 7 }), { status: 201 }) });
  renderForm({ intent: { model_name: "efficientnet_b0", dataset: "digits", missing: [], notes: [] } });
  const choice = await screen.findByRole("combobox", { name: "Data set" });
  await screen.findByRole("option", { name: /^shapes@/ });
  expect(choice).toHaveValue("digits");
  expect(within(choice).getByRole("option", { selected: true })).toHaveTextContent("digits (its newest version when the job is made)");
  expect(screen.getByLabelText("Model name")).toHaveValue("efficientnet_b0"); // no task given: the model stays
  await screen.findByLabelText("learning_rate");
  await user.click(screen.getByRole("button", { name: "Start training" }));
  await screen.findByText("job page");
  expect(calls.find((c) => c.key === "POST /api/v1/jobs")!.body).toMatchObject({ model_name: "efficientnet_b0", dataset: "digits" });
});

test("the form shows what the run resolves, and the weights the store has for the model", async () => {
  const user = userEvent.setup();
  const calls = stubFetch({
    "GET /api/v1/frameworks": frameworks,
    "GET /api/v1/frameworks/timm/schema": () => timmSchema,
    "POST /api/v1/configs/validate": () => ({
      valid: true,
      config: {},
      notes: [],
      preset_intent: "strongest regularisation for the best final accuracy on long runs",
      adjustments: [
        { field: "warmup_epochs", nominal: 10, value: 0, source: "preset", reason: "r", message: "warm-up 10 → 0 epochs: the run has 2 epochs" },
      ],
    }),
    "GET /api/v1/weights": () => [
      { id: "abc123", framework: "timm", model_name: "resnet18", format: "safetensors", key: "k", uri: "/store/abc123.safetensors", size: 1, sha256: "s", source_name: "best.pt", source_sha256: "t", source_kind: "platform checkpoint", num_classes: 5, tensors: 122, imported_at: "2026-12-01T10:46:00Z" },
    ],
    "POST /api/v1/jobs": () => Response.json(job({ id: 8 }), { status: 201 }),
  });
  renderForm({ intent: { model_name: "resnet18", dataset_path: "data/digits", num_epochs: 2, preset: "advanced", missing: [], notes: [] } });
  expect(await screen.findByText("warm-up 10 → 0 epochs: the run has 2 epochs")).toBeInTheDocument();
  expect(screen.getByText("Preset intent: strongest regularisation for the best final accuracy on long runs")).toBeInTheDocument();
  const asked = calls.find((c) => c.key === "POST /api/v1/configs/validate")!.body as Record<string, unknown>;
  expect(asked).toMatchObject({ framework: "timm", preset: "advanced", num_epochs: 2, batch_size: 16 });

  await user.click(screen.getByLabelText("pretrained"));
  await user.selectOptions(await screen.findByLabelText("Pretrained weights"), "/store/abc123.safetensors");
  await user.click(screen.getByRole("button", { name: "Start training" }));
  expect(await screen.findByText("job page")).toBeInTheDocument();
  const sent = calls.find((c) => c.key === "POST /api/v1/jobs")!.body as Record<string, unknown>;
  expect(sent.advanced_config).toMatchObject({ pretrained: true, pretrained_path: "/store/abc123.safetensors" });
});
