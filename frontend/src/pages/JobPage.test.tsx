import { render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { I18nProvider } from "../i18n";
import { eventStream, job, stubFetch } from "../test/fixtures";
import { JobPage } from "./JobPage";

vi.mock("uplot", () => import("../test/fakeUplot"));

function renderJob(shown: ReturnType<typeof job>, lang: "en" | "ko" = "en") {
  stubFetch({
    "GET /api/v1/jobs/1": () => shown,
    "GET /api/v1/jobs/1/metrics": () => ({ points: [] }),
    "GET /api/v1/jobs/1/logs": () => ({ items: [], total: 0 }),
    "GET /api/v1/jobs/1/events": (request) => eventStream(request).response,
  });
  render(
    <I18nProvider initial={lang}>
      <MemoryRouter initialEntries={["/jobs/1"]}>
        <Routes>
          <Route path="/jobs/:jobId" element={<JobPage />} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
}

test("a job trained on a stored version names it, linked to the data set's page", async () => {
  renderJob(job({ dataset: "digits@2a588ac1f124", dataset_path: "/home/.vp/artifacts/datasets/digits/2a588ac1f124" }));
  const line = within(await screen.findByTestId("job-dataset"));
  expect(line.getByRole("link", { name: "digits@2a588ac1f124" })).toHaveAttribute("href", "/datasets/digits?version=2a588ac1f124");
  expect(screen.getByText(/"dataset": "digits@2a588ac1f124"/)).toBeInTheDocument();
});

test("a job trained on a typed path shows the path (in Korean too)", async () => {
  renderJob(job({ dataset: null, dataset_path: "/data/digits" }), "ko");
  const line = await screen.findByTestId("job-dataset");
  expect(line).toHaveTextContent("데이터셋: /data/digits");
  expect(within(line).queryByRole("link")).toBeNull();
});

test("a pending job lists no files it does not have yet", async () => {
  renderJob(job({ status: "pending", last_checkpoint_uri: null, best_checkpoint_uri: null }));
  expect(await screen.findByText(/No files yet/)).toBeInTheDocument();
  expect(screen.queryByRole("link", { name: "best.pt" })).toBeNull();
});

test("a running job links its checkpoints, not the model.onnx it exports when it completes", async () => {
  const saved = { last_checkpoint_uri: "/a/weights/last.pt", best_checkpoint_uri: "/a/weights/best.pt" };
  renderJob(job({ status: "running", ...saved }));
  expect(await screen.findByRole("link", { name: "best.pt" })).toHaveAttribute("href", "/api/v1/jobs/1/artifacts/best.pt");
  expect(screen.getByRole("link", { name: "last.pt" })).toBeInTheDocument();
  expect(screen.queryByRole("link", { name: "model.onnx" })).toBeNull();
});

test("a completed job links its model.onnx too", async () => {
  renderJob(job({ status: "completed", last_checkpoint_uri: "/a/weights/last.pt", best_checkpoint_uri: "/a/weights/best.pt" }));
  expect(await screen.findByRole("link", { name: "model.onnx" })).toHaveAttribute("href", "/api/v1/jobs/1/artifacts/model.onnx");
});
