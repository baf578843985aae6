import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { I18nProvider } from "../i18n";
import { eventStream, job, stubFetch } from "../test/fixtures";
import { JobsPage } from "./JobsPage";

function renderJobs() {
  return render(
    <I18nProvider initial="en">
      <MemoryRouter initialEntries={["/jobs"]}>
        <Routes>
          <Route path="/jobs" element={<JobsPage />} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
}

/** Answers GET /jobs/events with a fresh open stream each time; the streams and URLs in order. */
function stubJobEvents(first?: () => Response) {
  const streams: ReturnType<typeof eventStream>[] = [];
  const urls: URL[] = [];
  stubFetch({
    "GET /api/v1/jobs/events": (request) => {
      urls.push(new URL(request.url));
      if (first && urls.length === 1) return first();
      const stream = eventStream(request);
      streams.push(stream);
      return stream.response;
    },
  });
  return { streams, urls };
}

const rowIds = () => screen.getAllByTestId(/^job-row-/).map((row) => row.dataset.testid);

afterEach(() => vi.useRealTimers());

test("the list shows the snapshot, then follows each change the server sends", async () => {
  const { streams, urls } = stubJobEvents();
  renderJobs();
  expect(screen.getByText("Loading…")).toBeInTheDocument();
  await vi.waitFor(() => expect(streams).toHaveLength(1));
  expect(urls[0].searchParams.get("status")).toBeNull();
  expect(urls[0].searchParams.get("limit")).toBe("1000");

  act(() => streams[0].send("snapshot", { items: [job({ id: 1, current_epoch: 3, num_epochs: 10 })], total: 1, limit: 1000, offset: 0 }));
  expect(await screen.findByTestId("job-row-1")).toHaveTextContent("3/10");

  act(() => streams[0].send("job", job({ id: 1, current_epoch: 4, num_epochs: 10, best_metric: 0.9375 })));
  const row = await screen.findByTestId("job-row-1");
  await vi.waitFor(() => expect(row).toHaveTextContent("4/10"));
  expect(row).toHaveTextContent("val_acc 0.9375");
  expect(within(row).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "40");

  act(() => streams[0].send("job", job({ id: 2, status: "pending", current_epoch: 0, started_at: null })));
  await vi.waitFor(() => expect(rowIds()).toEqual(["job-row-2", "job-row-1"]));
  expect(screen.getByTestId("job-row-2")).toHaveTextContent("Pending");

  act(() => streams[0].send("removed", { id: 1 }));
  await vi.waitFor(() => expect(rowIds()).toEqual(["job-row-2"]));
});

test("a status filter asks the server for that status only", async () => {
  const user = userEvent.setup();
  const { streams, urls } = stubJobEvents();
  renderJobs();
  await vi.waitFor(() => expect(streams).toHaveLength(1));
  act(() => streams[0].send("snapshot", { items: [job({ id: 2, status: "paused" }), job({ id: 1 })], total: 2, limit: 1000, offset: 0 }));
  await screen.findByTestId("job-row-1");

  await user.selectOptions(screen.getByLabelText("Status"), "paused");
  await vi.waitFor(() => expect(streams).toHaveLength(2));
  expect(urls[1].searchParams.get("status")).toBe("paused");
  act(() => streams[1].send("snapshot", { items: [job({ id: 2, status: "paused" })], total: 1, limit: 1000, offset: 0 }));
  await vi.waitFor(() => expect(rowIds()).toEqual(["job-row-2"]));
});

test("a failed or dropped stream is retried and its snapshot replaces the list", async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  const { streams } = stubJobEvents(() => Response.json({ detail: "down" }, { status: 503 }));
  renderJobs();
  expect(await screen.findByRole("status")).toHaveTextContent("Live updates interrupted (HTTP 503); reconnecting…");
  expect(streams).toHaveLength(0);

  await act(() => vi.advanceTimersByTimeAsync(2000));
  await vi.waitFor(() => expect(streams).toHaveLength(1));
  act(() => streams[0].send("snapshot", { items: [job({ id: 2 }), job({ id: 1 })], total: 2, limit: 1000, offset: 0 }));
  await vi.waitFor(() => expect(rowIds()).toEqual(["job-row-2", "job-row-1"]));
  expect(screen.queryByRole("status")).not.toBeInTheDocument();

  act(() => streams[0].drop());
  expect(await screen.findByRole("status")).toHaveTextContent("the event stream closed");
  await act(() => vi.advanceTimersByTimeAsync(2000));
  await vi.waitFor(() => expect(streams).toHaveLength(2));
  act(() => streams[1].send("snapshot", { items: [job({ id: 2, status: "completed" })], total: 1, limit: 1000, offset: 0 }));
  await vi.waitFor(() => expect(rowIds()).toEqual(["job-row-2"]));
  expect(screen.getByTestId("job-row-2")).toHaveTextContent("Completed");
});
