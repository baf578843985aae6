import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { I18nProvider } from "../i18n";
import { job } from "../test/fixtures";
import { JobsTable } from "./JobsTable";
import { Top5Bars } from "./Top5Bars";

test("the jobs table shows status, model, task, epoch progress, best metric and duration", () => {
  const now = Date.parse("2026-01-02T10:02:05Z");
  render(
    <I18nProvider initial="en">
      <MemoryRouter>
        <JobsTable jobs={[job(), job({ id: 2, status: "completed", model_name: "yolo11n", task_type: "detection", current_epoch: 10, best_metric_name: "map50", best_metric: 0.5, finished_at: "2026-01-02T10:00:42Z" })]} now={now} />
      </MemoryRouter>
    </I18nProvider>,
  );
  const running = within(screen.getByTestId("job-row-1"));
  expect(running.getByText("Running")).toHaveClass("badge-running");
  expect(running.getByText("3/10")).toBeInTheDocument();
  expect(running.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "30");
  expect(running.getByText("val_acc 0.8125")).toBeInTheDocument();
  expect(running.getByText("2m 5s")).toBeInTheDocument();
  const done = within(screen.getByTestId("job-row-2"));
  expect(done.getByText("Completed")).toBeInTheDocument();
  expect(done.getByText("detection")).toBeInTheDocument();
  expect(done.getByText("42s")).toBeInTheDocument();
  expect(done.getByRole("link", { name: "yolo11n" })).toHaveAttribute("href", "/jobs/2");
});

test("the jobs table speaks Korean", () => {
  render(
    <I18nProvider initial="ko">
      <MemoryRouter>
        <JobsTable jobs={[job({ status: "paused" })]} />
      </MemoryRouter>
    </I18nProvider>,
  );
  expect(screen.getByText("일시 정지")).toBeInTheDocument();
  expect(screen.getByRole("columnheader", { name: "모델" })).toBeInTheDocument();
});

test("top-5 bars are sized by confidence and dimmed under the threshold", () => {
  const scores = [
    { label_id: 7, label: "7", confidence: 0.9 },
    { label_id: 1, label: "1", confidence: 0.06 },
    { label_id: 4, label: "4", confidence: 0.02 },
  ];
  render(<Top5Bars scores={scores} threshold={0.05} />);
  const rows = screen.getAllByTestId("top5-row");
  expect(rows.map((r) => r.textContent)).toEqual(["790.0%", "16.0%", "42.0%"]);
  expect(rows[0].querySelector<HTMLElement>(".top5-fill")!.style.width).toBe("90%");
  expect(rows[2]).toHaveClass("below");
  expect(rows[1]).not.toHaveClass("below");
});
