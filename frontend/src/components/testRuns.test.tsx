import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { tokenStore } from "../api/client";
import { I18nProvider } from "../i18n";
import { plots } from "../test/fakeUplot";
import { stubFetch } from "../test/fixtures";
import { MistakesGallery, type Mistake } from "./MistakesGallery";
import { ThresholdCurve } from "./ThresholdCurve";

vi.mock("uplot", () => import("../test/fakeUplot"));
beforeEach(() => {
  plots.length = 0;
});

const sweep = [
  { conf: 0.05, precision: 0.6, recall: 0.6, f1: 0.6 },
  { conf: 0.65, precision: 0.75, recall: 0.6, f1: 0.66667 },
  { conf: 0.95, precision: 0, recall: 0, f1: 0 },
];

test("the threshold curve plots F1, precision and recall and marks the recommended threshold", () => {
  render(
    <I18nProvider initial="en">
      <ThresholdCurve sweep={sweep} recommended={0.65} />
    </I18nProvider>,
  );
  expect(screen.getByText("Recommended threshold: 0.650")).toBeInTheDocument();
  expect(screen.getByTestId("chart-F1 vs confidence threshold")).toHaveAttribute("data-markers", "0.65");
  const [{ opts, data }] = plots;
  expect(opts.series.map((s: { label: string }) => s.label)).toEqual(["confidence threshold", "F1", "Precision", "Recall"]);
  expect(data).toEqual([[0.05, 0.65, 0.95], [0.6, 0.66667, 0], [0.6, 0.75, 0], [0.6, 0.6, 0]]);
  expect(opts.scales.y.range).toEqual([0, 1]);
  // The marker: a vertical line from the top to the bottom of the plot at x = 0.65.
  const ctx = { save: vi.fn(), restore: vi.fn(), beginPath: vi.fn(), stroke: vi.fn(), setLineDash: vi.fn(), moveTo: vi.fn(), lineTo: vi.fn() };
  const u = { ctx, bbox: { top: 10, height: 100 }, valToPos: (v: number) => v * 200 };
  opts.plugins[0].hooks.draw(u);
  expect(ctx.moveTo).toHaveBeenCalledWith(130, 10);
  expect(ctx.lineTo).toHaveBeenCalledWith(130, 110);
  expect(ctx.stroke).toHaveBeenCalledOnce();
});

test("without a recommendation the curve says why and marks nothing", () => {
  render(
    <I18nProvider initial="ko">
      <ThresholdCurve sweep={sweep} recommended={null} />
    </I18nProvider>,
  );
  expect(screen.getByText("권장할 임계값이 없습니다: 맞힌 예측이 없습니다.")).toBeInTheDocument();
  expect(plots[0].opts.plugins).toEqual([]);
  expect(plots[0].opts.axes[0].label).toBe("신뢰도 임계값");
});

describe("the mistakes gallery", () => {
  const created: string[] = [];
  beforeEach(() => {
    created.length = 0;
    URL.createObjectURL = vi.fn(() => {
      created.push(`blob:image-${created.length}`);
      return created[created.length - 1];
    });
    URL.revokeObjectURL = vi.fn();
  });

  const png = () => new Response(new Blob([new Uint8Array([137, 80, 78, 71])], { type: "image/png" }));

  test("loads each image with the token and shows true vs predicted label and confidence", async () => {
    tokenStore.set("secret");
    const auth: (string | null)[] = [];
    stubFetch({
      "GET /api/v1/test/runs/r1/mistakes/0/image": (request) => {
        auth.push(request.headers.get("Authorization"));
        return png();
      },
      "GET /api/v1/test/runs/r1/mistakes/1/image": () => Response.json({ detail: "it lies outside the data set folder" }, { status: 403 }),
    });
    const mistakes: Mistake[] = [
      { image_path: "/data/test/3/0007.png", true_label: "3", predicted_label: "5", confidence: 0.87 },
      { image_path: "/data/test/1/0001.png", true_label: "1", predicted_label: "7", confidence: 0.5 },
    ];
    const { unmount } = render(
      <I18nProvider initial="en">
        <MistakesGallery runId="r1" mistakes={mistakes} />
      </I18nProvider>,
    );
    const [first, second] = screen.getAllByTestId("mistake");
    await waitFor(() => expect(first.querySelector("img")).toHaveAttribute("src", "blob:image-0"));
    expect(auth).toEqual(["Bearer secret"]);
    expect(within(first).getByText("3")).toBeInTheDocument();
    expect(first).toHaveTextContent("True 3Predicted 5 · 87.0%3/0007.png");
    expect(await within(second).findByText("Image unavailable (it lies outside the data set folder)")).toBeInTheDocument();
    expect(second.querySelector("img")).toBeNull();
    unmount();
    expect(URL.revokeObjectURL).toHaveBeenCalledWith("blob:image-0");
  });

  test("draws a detection image's missed boxes dashed and its false boxes with their confidence", async () => {
    stubFetch({ "GET /api/v1/test/runs/d1/mistakes/0/image": png });
    const mistakes: Mistake[] = [
      {
        image_path: "/data/shapes/images/val/0003.png",
        num_mistakes: 2,
        missed_boxes: [{ class_name: "square", bbox: [4, 4, 20, 20] }],
        false_boxes: [{ class_name: "disc", confidence: 0.8, bbox: [30, 30, 50, 50] }],
      },
    ];
    render(
      <I18nProvider initial="en">
        <MistakesGallery runId="d1" mistakes={mistakes} />
      </I18nProvider>,
    );
    const card = screen.getByTestId("mistake");
    expect(card).toHaveTextContent("1 missed: square1 false: disc 80.0%");
    await waitFor(() => expect(card.querySelector("img")).not.toBeNull());
    const img = card.querySelector("img")!;
    Object.defineProperties(img, { naturalWidth: { value: 64 }, naturalHeight: { value: 48 } });
    fireEvent.load(img);
    const boxes = within(card).getAllByTestId("detection-box");
    expect(card.querySelector("svg")).toHaveAttribute("viewBox", "0 0 64 48");
    expect(boxes.map((b) => [b.dataset.kind, b.textContent])).toEqual([
      ["missed", "missed: square"],
      ["false", "disc 80.0%"],
    ]);
    expect(boxes[0].querySelector("rect")).toHaveAttribute("stroke-dasharray");
    expect(boxes[1].querySelector("rect")).not.toHaveAttribute("stroke-dasharray");
    expect(boxes[1].querySelector("rect")).toHaveAttribute("width", "20");
    expect(card.querySelector("svg text")).toBeNull(); // thumbnails: captions on hover only
  });
});
