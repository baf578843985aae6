import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { I18nProvider } from "../i18n";
import { job, stubFetch } from "../test/fixtures";
import { PlaygroundPage } from "./PlaygroundPage";

// jsdom neither decodes images nor makes object URLs: a 64x48 image that "loads" at once.
class LoadedImage {
  naturalWidth = 64;
  naturalHeight = 48;
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  set src(_: string) {
    queueMicrotask(() => this.onload?.());
  }
}

function box(name: string, confidence: number, x: number) {
  return { class_id: 0, class_name: name, confidence, bbox: [x, 4, x + 10, 20] };
}

test("boxes come down to the floor and the slider re-filters them without a new request", async () => {
  vi.stubGlobal("Image", LoadedImage);
  URL.createObjectURL = vi.fn(() => "blob:shown");
  URL.revokeObjectURL = vi.fn();
  const calls = stubFetch({
    "GET /api/v1/jobs": () => ({ items: [job({ id: 3, status: "completed", task_type: "detection" })], total: 1 }),
    "POST /api/v1/jobs/3/predict": () => ({
        image_path: "shapes.png",
        task_type: "detection",
        predicted_label: "disc",
        confidence: 0.9,
        detections: [box("disc", 0.9, 2), box("square", 0.4, 20), box("square", 0.1, 40)],
        inference_time_ms: 4,
        preprocessing_time_ms: 1,
        postprocessing_time_ms: 0.5,
    }),
  });
  const user = userEvent.setup();
  render(
    <I18nProvider initial="en">
      <PlaygroundPage />
    </I18nProvider>,
  );
  await screen.findByRole("option", { name: /^#3 / }); // the jobs have loaded
  await user.selectOptions(screen.getByRole("combobox"), "3");
  await user.upload(screen.getByLabelText("Image"), new File(["png"], "shapes.png", { type: "image/png" }));

  const prediction = await screen.findByTestId("prediction");
  const upload = calls.find((c) => c.key === "POST /api/v1/jobs/3/predict")!.body as FormData;
  expect(upload.get("conf_threshold")).toBe("0.05");
  expect((upload.get("file") as File).name).toBe("shapes.png");
  expect(screen.getAllByTestId("detection-box")).toHaveLength(2); // 0.9 and 0.4 pass the default 0.25

  const slider = screen.getByRole("slider");
  fireEvent.change(slider, { target: { value: "0.05" } });
  expect(screen.getAllByTestId("detection-box")).toHaveLength(3);
  fireEvent.change(slider, { target: { value: "0.95" } });
  expect(screen.queryAllByTestId("detection-box")).toHaveLength(0);
  expect(within(prediction).getByRole("heading", { level: 2 })).toHaveTextContent("no_detection · 0.0%");
  expect(calls.filter((c) => c.key === "POST /api/v1/jobs/3/predict")).toHaveLength(1);
});
