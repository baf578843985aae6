import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import type { QueueView, ResolvedSettings } from "../api/client";
import { SettingsCard } from "../components/SettingsCard";
import { I18nProvider } from "../i18n";
import { stubFetch } from "../test/fixtures";
import { QueuePage } from "./QueuePage";

const entry = { model_name: "resnet18", queue: null, current_epoch: 0, num_epochs: 20, requested_action: null };
const QUEUE: QueueView = {
  slots: 1,
  running: [{ ...entry, id: 9, status: "running", priority: "high", current_epoch: 1, num_epochs: 2 }],
  waiting: [
    { ...entry, id: 7, status: "pending", priority: "low", position: 1, current_epoch: 12, reason: "preempted by job 9 at epoch 12; resumes when a slot frees; next; waits for a free slot (1/1 running)" },
    { ...entry, id: 8, status: "pending", priority: "normal", position: 2, queue: "research", reason: "1 job ahead in queue research" },
  ],
  queues: [{ name: "research", limit: 2, running: 0, waiting: 1 }],
};

function renderQueuePage() {
  render(
    <I18nProvider initial="en">
      <MemoryRouter>
        <QueuePage />
      </MemoryRouter>
    </I18nProvider>,
  );
}

test("the queue shows the running jobs, then the waiting ones in order with why they wait", async () => {
  stubFetch({ "GET /api/v1/queue": () => QUEUE });
  renderQueuePage();
  const running = within(await screen.findByTestId("queue-row-9"));
  expect(running.getByText("high")).toBeInTheDocument();
  expect(screen.getByText("1 of 1 slots busy")).toBeInTheDocument();
  const rows = screen.getAllByTestId(/^queue-row-[78]$/);
  expect(rows.map((r) => r.dataset.testid)).toEqual(["queue-row-7", "queue-row-8"]);
  expect(within(rows[0]).getByText(/^preempted by job 9 at epoch 12/)).toBeInTheDocument();
  expect(within(rows[1]).getByText("research")).toBeInTheDocument();
  expect(screen.getByText(/research: 0\/2 running, 1 waiting/)).toBeInTheDocument();
});

test("an API-only server (no slots of its own) says so instead of '1 of 0 slots busy'", async () => {
  stubFetch({ "GET /api/v1/queue": () => ({ ...QUEUE, slots: 0 }) });
  renderQueuePage();
  await screen.findByTestId("queue-row-9");
  expect(screen.getByText(/^1 running; this server runs no jobs itself/)).toBeInTheDocument();
  expect(screen.queryByText(/slots busy/)).not.toBeInTheDocument();
});

test("the chat card shows the priority the request asked for, in Korean too", () => {
  const value = (v: unknown, source: "request" | "default" = "default") => ({ value: v, source, applies: true }) as ResolvedSettings["model_name"];
  const settings = {
    model_name: value("resnet18", "request"),
    framework: "timm",
    task_type: value("classification"),
    preset: value(null),
    optimizer: value(null),
    learning_rate: value(null),
    warmup_epochs: value(null),
    augmentations: [],
    num_epochs: value(10),
    batch_size: value(16),
    image_size: value(null),
    dataset_path: value("data/digits", "request"),
    priority: value("high", "request"),
  } as ResolvedSettings;
  render(
    <I18nProvider initial="ko">
      <SettingsCard settings={settings} missing={[]} canStart onStart={() => {}} onEdit={() => {}} />
    </I18nProvider>,
  );
  const card = within(screen.getByRole("region", { name: "해석된 설정" }));
  expect(card.getByText("우선순위", { selector: "dt" }).nextElementSibling).toHaveTextContent(/^높음$/);
});
