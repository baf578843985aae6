import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { act } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import type { JobComparison } from "../api/client";
import { I18nProvider } from "../i18n";
import { plots } from "../test/fakeUplot";
import { eventStream, job, stubFetch } from "../test/fixtures";
import { ComparePage } from "./ComparePage";
import { JobsPage } from "./JobsPage";

vi.mock("uplot", () => import("../test/fakeUplot"));

function compared(id: number, curve: (number | null)[], best: number) {
  return {
    job_id: id,
    status: "completed",
    config: {},
    best_metric_name: "val_acc",
    best_metric: best,
    best_epoch: 1,
    final_metrics: {},
    best_metrics: {},
    curves: { val_acc: curve, epoch_seconds: curve },
  };
}

const comparison: JobComparison = {
  job_ids: [3, 7],
  epochs: [1, 2],
  differences: { num_epochs: [1, 2], "config.learning_rate": [0.001, 0.003] },
  best_metric_name: "val_acc",
  best_job_id: 7,
  jobs: [compared(3, [0.5, null], 0.5), compared(7, [0.6, 0.8], 0.8)],
};

test("jobs picked in the table are compared: overlaid curves, differing settings, the best marked", async () => {
  const asked: string[] = [];
  stubFetch({
    "GET /api/v1/jobs/events": (request) => {
      const stream = eventStream(request);
      queueMicrotask(() => stream.send("snapshot", { items: [job({ id: 7 }), job({ id: 3 })], total: 2, limit: 1000, offset: 0 }));
      return stream.response;
    },
    "GET /api/v1/jobs/compare": (request) => {
      asked.push(new URL(request.url).searchParams.get("ids") ?? "");
      return comparison;
    },
  });
  const user = userEvent.setup();
  plots.length = 0;
  render(
    <I18nProvider initial="en">
      <MemoryRouter initialEntries={["/jobs"]}>
        <Routes>
          <Route path="/jobs" element={<JobsPage />} />
          <Route path="/compare" element={<ComparePage />} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
  const button = await screen.findByRole("button", { name: "Compare selected (0)" });
  await user.click(await screen.findByRole("checkbox", { name: "Select job 7" }));
  expect(button).toBeDisabled(); // two at least
  await user.click(screen.getByRole("checkbox", { name: "Select job 3" }));
  await act(() => user.click(screen.getByRole("button", { name: "Compare selected (2)" })));

  expect(await screen.findByTestId("best-run")).toHaveTextContent("Best run: #7 (by val_acc)");
  expect(asked).toEqual(["3,7"]);
  expect(screen.getByTestId("diff-num_epochs")).toHaveTextContent("num_epochs12");
  expect(screen.getByTestId("diff-config.learning_rate")).toHaveTextContent("0.003");
  expect(screen.getByRole("columnheader", { name: "#7 ★" })).toHaveClass("compare-best");
  const chart = screen.getByTestId("chart-val_acc");
  expect(chart).toHaveAttribute("data-epochs", "1,2");
  expect(screen.queryByTestId("chart-epoch_seconds")).toBeNull();
  const last = plots[plots.length - 1];
  expect(last.opts.series.map((s: { label: string }) => s.label)).toEqual(["epoch", "#3", "#7 ★"]);
  expect(last.data).toEqual([[1, 2], [0.5, null], [0.6, 0.8]]);
});
