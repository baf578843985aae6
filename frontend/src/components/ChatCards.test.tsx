import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { I18nProvider } from "../i18n";
import { type ChatCard, ChatCardView } from "./ChatCards";

function show(card: ChatCard, onAnswer = vi.fn(), active = true) {
  render(
    <MemoryRouter>
      <I18nProvider initial="en">
        <ChatCardView card={card} active={active} onAnswer={onAnswer} image="data:image/png;base64," />
      </I18nProvider>
    </MemoryRouter>,
  );
  return onAnswer;
}

test("a status card shows epoch i/N, the best metric, the time left, a progress bar and a curve", () => {
  show({
    type: "status", job_id: 3, status: "running", model_name: "resnet18", task_type: "classification",
    dataset: "/data/digits", epoch: 4, num_epochs: 10, progress: 0.4, best_metric_name: "val_acc",
    best_metric: 0.8, eta_seconds: 360, requested_action: null, curve: [0.5, 0.7, 0.6, 0.8],
  });
  expect(screen.getByText("Epoch 4/10")).toBeInTheDocument();
  expect(screen.getByText(/Best val_acc: 0.8000/)).toBeInTheDocument();
  expect(screen.getByText("About 6m 0s left")).toBeInTheDocument();
  expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "4");
  expect(screen.getByTestId("sparkline").querySelector("polyline")?.getAttribute("points")?.split(" ")).toHaveLength(4);
});

test("a confirm card answers yes or no, and only while it waits", async () => {
  const user = userEvent.setup();
  const card: ChatCard = { type: "confirm", action: "pause", question: "Pause job 3?", job_id: 3 };
  const onAnswer = show(card);
  await user.click(screen.getByRole("button", { name: "Yes, do it" }));
  await user.click(screen.getByRole("button", { name: "No" }));
  expect(onAnswer.mock.calls).toEqual([[true], [false]]);
});

test("an answered confirm card has no buttons", () => {
  show({ type: "confirm", action: "cancel", question: "Cancel job 3?", job_id: 3 }, vi.fn(), false);
  expect(screen.getByText("Cancel job 3?")).toBeInTheDocument();
  expect(screen.queryByRole("button")).toBeNull();
});

test("a comparison card marks the best job and lists the differing settings", () => {
  show({
    type: "comparison", job_ids: [3, 5], best_metric_name: "val_acc", best_job_id: 5,
    rows: [
      { job_id: 3, status: "completed", model_name: "resnet18", epochs: 2, best_metric: 0.6, best_epoch: 2, final_metrics: {} },
      { job_id: 5, status: "completed", model_name: "resnet50", epochs: 2, best_metric: 0.9, best_epoch: 1, final_metrics: {} },
    ],
    differences: { model_name: ["resnet18", "resnet50"] },
  });
  expect(screen.getAllByRole("row")).toHaveLength(3);
  expect(screen.getByText("best").closest("tr")).toHaveTextContent("#5");
  expect(screen.getByText(/resnet18 \/ resnet50/)).toBeInTheDocument();
});

test("a prediction card shows the top-5 classes", () => {
  show({
    type: "prediction", source: "digits-cls@v1", model: "digits-cls", version: 1, job_id: 3,
    result: {
      image_path: "x.png", task_type: "classification", predicted_label: "7", confidence: 0.9,
      top5_predictions: [{ label_id: 7, label: "7", confidence: 0.9 }, { label_id: 1, label: "1", confidence: 0.1 }],
      detections: null, inference_time_ms: 1, preprocessing_time_ms: 1, postprocessing_time_ms: 1,
    },
  });
  expect(screen.getByText("Prediction by digits-cls@v1")).toBeInTheDocument();
  expect(screen.getAllByTestId("top5-row")).toHaveLength(2);
});
