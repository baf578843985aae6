import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import type { ModelVersion, RegisteredModel } from "../api/client";
import { I18nProvider } from "../i18n";
import { stubFetch } from "../test/fixtures";
import { ModelsPage } from "./ModelsPage";

function version(n: number, aliases: string[]): ModelVersion {
  return {
    name: "digits",
    version: n,
    aliases,
    job_id: 10 + n,
    framework: "timm",
    model_name: "resnet10t",
    task_type: "classification",
    dataset: n === 2 ? "/srv/vp/datasets/digits/0123456789ab" : "data/digits",
    dataset_ref: n === 2 ? "digits@0123456789ab" : null,
    checkpoint_sha256: "ab".repeat(32),
    config: {},
    best_metric_name: "val_acc",
    best_metric: 0.5 + n / 10,
    best_epoch: n,
    final_metrics: { val_acc: 0.5, train_loss: 0.25, lr: 0.001, epoch_seconds: 3 },
    best_metrics: {},
    exports: {},
    created_at: "2026-01-02T10:00:00Z",
  };
}

function model(production: number): RegisteredModel {
  return {
    name: "digits",
    aliases: { production },
    latest_version: 2,
    num_versions: 2,
    created_at: "2026-01-02T10:00:00Z",
    updated_at: "2026-01-02T10:00:00Z",
    versions: [1, 2].map((n) => version(n, n === production ? ["production"] : [])),
  };
}

test("a model's versions show their metrics and aliases, and promoting moves production", async () => {
  let production = 1;
  const calls = stubFetch({
    "GET /api/v1/models": () => ({ items: [{ ...model(production), versions: undefined }] }),
    "GET /api/v1/models/digits": () => model(production),
    "PUT /api/v1/models/digits/aliases/production": async (request) => {
      production = ((await request.json()) as { version: number }).version;
      return { name: "digits", alias: "production", version: production };
    },
  });
  const user = userEvent.setup();
  render(
    <I18nProvider initial="en">
      <MemoryRouter initialEntries={["/models/digits"]}>
        <Routes>
          <Route path="/models/:name" element={<ModelsPage />} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
  const v1 = await screen.findByTestId("version-row-1");
  expect(v1).toHaveTextContent("production");
  expect(v1).toHaveTextContent("val_acc 0.6");
  expect(v1).toHaveTextContent("train_loss 0.25");
  expect(v1).not.toHaveTextContent("lr");
  expect(v1).not.toHaveTextContent("epoch_seconds");
  expect(within(v1).getByRole("button", { name: "Promote to production" })).toBeDisabled();
  expect(within(v1).getByRole("link", { name: "Try in playground" })).toHaveAttribute("href", "/playground?model=digits%40v1");
  expect(screen.getByText(/digits serves v1/)).toBeInTheDocument();
  // The data set: a path, or the stored data set version (linked to its page).
  expect(within(v1).getByTitle("Data set: data/digits")).toHaveTextContent(/^digits$/);
  const v2 = screen.getByTestId("version-row-2");
  expect(within(v2).getByRole("link", { name: "digits@0123456789ab" })).toHaveAttribute("href", "/datasets/digits");

  await user.click(within(screen.getByTestId("version-row-2")).getByRole("button", { name: "Promote to production" }));
  expect(calls.find((c) => c.key === "PUT /api/v1/models/digits/aliases/production")?.body).toEqual({ version: 2 });
  expect(await screen.findByText(/digits serves v2/)).toBeInTheDocument();
  expect(screen.getByTestId("version-row-2")).toHaveTextContent("production");
  expect(await screen.findByText(/production=v2/)).toBeInTheDocument(); // the list follows
});
