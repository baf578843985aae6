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
