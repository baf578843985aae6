import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { I18nProvider } from "../i18n";
import { plots } from "../test/fakeUplot";
import { MemoryRouter } from "react-router";
import { datasetVersion, DIGITS_VERSION, job, stubFetch } from "../test/fixtures";
import { TestRunsPage } from "./TestRunsPage";

vi.mock("uplot", () => import("../test/fakeUplot"));
beforeEach(() => {
  plots.length = 0;
  URL.createObjectURL = vi.fn(() => "blob:image");
  URL.revokeObjectURL = vi.fn();
});

const sweep = [0.05, 0.5, 0.95].map((conf) => ({ conf, precision: 0.7, recall: 0.6, f1: 0.64 }));

function run(metrics: Record<string, unknown> | null, status = "completed", progress = 1) {
  return { id: "r1", job_id: 2, test_dataset_path: "/data/set", conf_threshold: null, status, progress, metrics, error: null, created_at: "2026-01-02T10:00:00Z", finished_at: null };
}

/** Render the page with a completed job #2, start a run on /data/set; the calls made. */
async function startRun(task: "classification" | "detection", routes: Parameters<typeof stubFetch>[0], threshold?: string) {
  const user = userEvent.setup();
  const calls = stubFetch({
    "GET /api/v1/jobs": () => ({ items: [job({ id: 2, status: "completed", task_type: task })], total: 1 }),
    "GET /api/v1/test/runs/r1/mistakes/0/image": () => new Response(new Blob(["png"], { type: "image/png" })),
    ...routes,
  });
  render(
    <I18nProvider initial="en">
      <TestRunsPage />
    </I18nProvider>,
  );
  await screen.findByRole("option", { name: /^#2 / }); // the jobs have loaded
  await user.selectOptions(screen.getByRole("combobox"), "2");
  await user.type(screen.getByRole("textbox"), "/data/set");
  if (threshold) await user.type(screen.getByRole("spinbutton", { name: "Confidence threshold (optional)" }), threshold);
  await user.click(screen.getByRole("button", { name: "Start test run" }));
  return calls;
}

test("a classification run: progress until done, then heatmap, per-class table, F1 curve and gallery", async () => {
  const metrics = {
    accuracy: 0.5,
    top5_accuracy: 1,
    num_images: 4,
    class_names: ["0", "1"],
    confusion_matrix: [[1, 1], [1, 1]],
    per_class: [
      { label: "0", precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { label: "1", precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
    ],
    confidence_sweep: sweep,
    recommended_conf_threshold: 0.55,
    worst_mistakes: [{ image_path: "/data/set/1/a.png", true_label: "1", predicted_label: "0", confidence: 0.9 }],
  };
  let polls = 0;
  const calls = await startRun("classification", {
    "POST /api/v1/test/runs": () => Response.json(run(null, "running", 0), { status: 202 }),
    "GET /api/v1/test/runs/r1": () => (++polls < 2 ? run(null, "running", 0.5) : run(metrics)),
  });
  expect(calls.find((c) => c.key === "POST /api/v1/test/runs")?.body).toEqual({ job_id: 2, test_dataset_path: "/data/set" });
  const bar = screen.getByRole("progressbar", { name: "Progress" });
  await waitFor(() => expect(bar).toHaveAttribute("aria-valuenow", "50"), { timeout: 3000 });
  expect(await screen.findByTestId("confusion-matrix", {}, { timeout: 3000 })).toBeInTheDocument();
  expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
  const table = within(screen.getByTestId("per-class"));
  expect(table.getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["Class", "Precision", "Recall", "F1", "Support"]);
  expect(screen.getByText("Recommended threshold: 0.550")).toBeInTheDocument();
  // The chart is made in an effect, which may run just after the DOM shows the matrix.
  await waitFor(() => expect(plots.at(-1)?.data[0]).toEqual([0.05, 0.5, 0.95]));
  expect(await screen.findByTestId("mistake")).toHaveTextContent("True 1Predicted 0 · 90.0%");
});

test("a detection run shows mAP, per-class AP columns and what the boxes mean", async () => {
  const metrics = {
    map50: 0.625,
    map50_95: 0.4,
    num_images: 8,
    conf_threshold: 0.35,
    per_class: [{ label: "square", ap50: 0.7, ap50_95: 0.45, precision: 0.8, recall: 0.6 }],
    confidence_sweep: sweep,
    recommended_conf_threshold: 0.35,
    worst_mistakes: [{ image_path: "/data/set/images/val/a.png", num_mistakes: 1, missed_boxes: [{ class_name: "square", bbox: [1, 1, 5, 5] }], false_boxes: [] }],
  };
  await startRun("detection", { "POST /api/v1/test/runs": () => Response.json(run(metrics), { status: 202 }) });
  expect(await screen.findByText("mAP50")).toBeInTheDocument();
  expect(screen.getByText("0.625")).toBeInTheDocument();
  const table = within(screen.getByTestId("per-class"));
  expect(table.getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["Class", "AP50", "AP50-95", "Precision", "Recall"]);
  expect(table.getByRole("row", { name: "square 0.700 0.450 0.800 0.600" })).toBeInTheDocument();
  expect(screen.getByText(/at threshold 0.350/)).toBeInTheDocument();
  expect(screen.getByTestId("mistake")).toHaveTextContent("1 missed: square0 false");
  expect(screen.queryByTestId("confusion-matrix")).toBeNull();
});

test("a run's own threshold is sent and its operating point shown", async () => {
  const metrics = {
    accuracy: 0.6,
    num_images: 5,
    conf_threshold: 0.75,
    at_conf_threshold: { conf: 0.75, precision: 0.66667, recall: 0.4, f1: 0.5, accepted: 3 },
    confidence_sweep: sweep,
    recommended_conf_threshold: 0.65,
  };
  const calls = await startRun("classification", { "POST /api/v1/test/runs": () => Response.json(run(metrics), { status: 202 }) }, "0.75");
  expect(calls.find((c) => c.key === "POST /api/v1/test/runs")?.body).toEqual({ job_id: 2, test_dataset_path: "/data/set", conf_threshold: 0.75 });
  expect(await screen.findByTestId("operating-point")).toHaveTextContent(
    "At threshold 0.750: precision 66.7%, recall 40.0%, F1 0.500 (3 of 5 images accepted)",
  );
});

test("a run on a stored version: the job's own data set comes chosen, only versions of its task are offered", async () => {
  const user = userEvent.setup();
  const shapes = datasetVersion({ name: "shapes", version: "8258692e73c9", task_type: "detection" });
  const calls = stubFetch({
    "GET /api/v1/jobs": () => ({ items: [job({ id: 2, status: "completed", dataset: `digits@${DIGITS_VERSION}` })], total: 1 }),
    "GET /api/v1/datasets": () => ({ items: [{ name: "digits", versions: 1, latest: datasetVersion() }, { name: "shapes", versions: 1, latest: shapes }] }),
    "GET /api/v1/datasets/digits": () => ({ name: "digits", versions: [datasetVersion()] }),
    "GET /api/v1/datasets/shapes": () => ({ name: "shapes", versions: [shapes] }),
    "POST /api/v1/test/runs": () => Response.json({ ...run({ accuracy: 1, num_images: 4 }), dataset: `digits@${DIGITS_VERSION}` }, { status: 202 }),
  });
  render(
    <I18nProvider initial="en">
      <MemoryRouter>
        <TestRunsPage />
      </MemoryRouter>
    </I18nProvider>,
  );
  await screen.findByRole("option", { name: /^#2 / });
  await screen.findByRole("option", { name: /^shapes@/ });
  await user.selectOptions(screen.getByRole("combobox", { name: "Model (completed job)" }), "2");
  const choice = screen.getByRole("combobox", { name: "Test data" });
  expect(choice).toHaveValue(`digits@${DIGITS_VERSION}`);
  expect(within(choice).getAllByRole("option").map((o) => o.textContent)).toEqual(["a path on the server (type it below)", `digits@${DIGITS_VERSION} · classification · 16 images (newest)`]);
  expect(screen.queryByRole("textbox")).toBeNull();
  await user.click(screen.getByRole("button", { name: "Start test run" }));
  expect(calls.find((c) => c.key === "POST /api/v1/test/runs")?.body).toEqual({ job_id: 2, dataset: `digits@${DIGITS_VERSION}` });
  expect(await screen.findByRole("link", { name: `digits@${DIGITS_VERSION}` })).toHaveAttribute("href", `/datasets/digits?version=${DIGITS_VERSION}`);
});
