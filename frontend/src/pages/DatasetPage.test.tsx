import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { I18nProvider } from "../i18n";
import { datasetVersion, digitsReport, DIGITS_VERSION, sample, stubFetch } from "../test/fixtures";
import { DatasetPage } from "./DatasetPage";

const OLD = "0123456789ab";
const BASE = `/api/v1/datasets/digits/versions`;

beforeEach(() => {
  URL.createObjectURL = vi.fn(() => "blob:thumb");
  URL.revokeObjectURL = vi.fn();
});

function Landed() {
  const location = useLocation();
  return <p data-testid="landed">{`${location.pathname} ${JSON.stringify(location.state)}`}</p>;
}

function renderPage(path = "/datasets/digits") {
  render(
    <I18nProvider initial="en">
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/datasets" element={<Landed />} />
          <Route path="/datasets/:name" element={<DatasetPage />} />
          <Route path="/jobs/new" element={<Landed />} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
}

const thumbnail = () => new Response(new Blob(["jpg"], { type: "image/jpeg" }));

/** digits with two versions (the newest first), its report, and a gallery of 30 samples. */
function stubDigits(extra: Parameters<typeof stubFetch>[0] = {}) {
  const queries: string[] = [];
  const newest = datasetVersion();
  const routes: Parameters<typeof stubFetch>[0] = {
    "GET /api/v1/datasets/digits": () => ({ name: "digits", versions: [newest, datasetVersion({ version: OLD, created_at: "2026-01-01T09:00:00Z", num_images: 10 })] }),
    [`GET ${BASE}/${DIGITS_VERSION}`]: () => ({ ...newest, report: digitsReport({ problems: [{ file: "train/1/bad.png", problem: "not an image (cannot identify image file)", action: "skipped" }] }) }),
    [`GET ${BASE}/${DIGITS_VERSION}/samples`]: (request) => {
      const query = new URL(request.url).searchParams;
      queries.push(query.toString());
      const offset = Number(query.get("offset"));
      const cls = query.get("class");
      const items = Array.from({ length: cls ? 4 : Math.min(24, 30 - offset) }, (_, i) => sample(offset + i, cls ? { class_ids: [1], class_names: [cls] } : {}));
      return { items, total: cls ? 4 : 30, offset, limit: 24 };
    },
    ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`GET ${BASE}/${DIGITS_VERSION}/samples/${i}/thumbnail`, thumbnail])),
    ...extra,
  };
  return { calls: stubFetch(routes), queries };
}

test("the versions, newest first, and the newest one's report with its class balance and problems", async () => {
  stubDigits();
  renderPage();
  const rows = within(await screen.findByTestId("versions")).getAllByRole("row").slice(1);
  expect(rows.map((r) => within(r).getAllByRole("cell")[0].textContent)).toEqual([`${DIGITS_VERSION}newest`, OLD]);
  const report = within(await screen.findByTestId("report"));
  expect(report.getByRole("heading", { name: `Report of digits@${DIGITS_VERSION}` })).toBeInTheDocument();
  expect(report.getByTestId("splits")).toHaveTextContent("train 9 · val 3");
  expect(report.getByTestId("image-sizes")).toHaveTextContent("32×32 to 32×32 px, mean 32×32");
  const bars = report.getAllByTestId("class-bar");
  expect(bars.map((b) => b.getAttribute("aria-label"))).toEqual(["0: train 6, val 2", "1: train 3, val 1"]);
  // The bars are as long as their counts: the biggest class fills the row.
  expect(bars.map((b) => (b.querySelector(".bar") as HTMLElement).style.width)).toEqual(["100%", "50%"]);
  expect(within(report.getByTestId("problems")).getByText("not an image (cannot identify image file)")).toBeInTheDocument();
  expect(report.getByText("Problems found and skipped (1)")).toBeInTheDocument();
});

test("the gallery shows labelled thumbnails, filters by class and pages", async () => {
  const user = userEvent.setup();
  const { queries } = stubDigits();
  renderPage();
  const gallery = await screen.findByTestId("sample-gallery");
  await waitFor(() => expect(within(gallery).getAllByTestId("sample")).toHaveLength(24));
  expect(await within(gallery).findAllByText("0")).toHaveLength(24); // the class over each image
  expect(screen.getByTestId("sample-range")).toHaveTextContent("1–24 of 30");
  await user.click(screen.getByRole("button", { name: "Next" }));
  await waitFor(() => expect(screen.getByTestId("sample-range")).toHaveTextContent("25–30 of 30"));
  expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
  await user.selectOptions(screen.getByRole("combobox", { name: "Class" }), "1");
  await waitFor(() => expect(screen.getByTestId("sample-range")).toHaveTextContent("1–4 of 4"));
  expect(queries).toEqual(["offset=0&limit=24", "offset=24&limit=24", "offset=0&limit=24&class=1"]);
});

test("YOLO samples have their boxes and polygons drawn over the thumbnail, in its pixels", async () => {
  const shapes = datasetVersion({ name: "shapes", version: "8258692e73c9", format: "yolo", task_type: "segmentation" });
  const report = digitsReport({ format: "yolo", layout: "yolo", task_type: "segmentation", class_names: ["square", "disc"] });
  const disc = { class_id: 1, class_name: "disc", bbox: [0.25, 0.5, 0.5, 1], polygon: [[0.25, 0.5], [0.5, 0.5], [0.5, 1]] };
  const square = { class_id: 0, class_name: "square", bbox: [0, 0, 0.1, 0.1] };
  const item = sample(0, { width: 96, height: 48, thumbnail_url: "/thumb/0", objects: [disc, square, square] });
  stubFetch({
    "GET /api/v1/datasets/shapes": () => ({ name: "shapes", versions: [shapes] }),
    "GET /api/v1/datasets/shapes/versions/8258692e73c9": () => ({ ...shapes, report }),
    "GET /api/v1/datasets/shapes/versions/8258692e73c9/samples": () => ({ items: [item], total: 1, offset: 0, limit: 24 }),
    "GET /thumb/0": thumbnail,
  });
  renderPage("/datasets/shapes");
  const card = await screen.findByTestId("sample");
  await waitFor(() => expect(within(card).getAllByTestId("detection-box")).toHaveLength(3));
  const [first] = within(card).getAllByTestId("detection-box");
  const rect = first.querySelector("rect")!;
  expect([rect.getAttribute("x"), rect.getAttribute("y"), rect.getAttribute("width"), rect.getAttribute("height")]).toEqual(["24", "24", "24", "24"]);
  expect(first.querySelector("polygon")).toHaveAttribute("points", "24,24 48,24 48,48");
  expect(card).toHaveTextContent("disc square ×2");
  expect(screen.getByRole("combobox", { name: "Count" })).toHaveValue("instances");
});

test("deleting a version asks first, and a version in use says why it stays", async () => {
  const user = userEvent.setup();
  const { calls } = stubDigits({
    [`DELETE ${BASE}/${OLD}`]: () => Response.json({ detail: `digits@${OLD} is used by job(s) 4 that have not ended` }, { status: 409 }),
  });
  const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
  renderPage();
  const del = await screen.findByRole("button", { name: `Delete digits@${OLD}` });
  await user.click(del);
  expect(calls.some((c) => c.key.startsWith("DELETE"))).toBe(false);
  await user.click(del);
  expect(confirm).toHaveBeenLastCalledWith(`Delete version digits@${OLD}? Its files are removed too.`);
  expect(await screen.findByRole("alert")).toHaveTextContent(`Could not delete digits@${OLD}: digits@${OLD} is used by job(s) 4 that have not ended`);
});

test("deleting the last version goes back to the list", async () => {
  const user = userEvent.setup();
  const only = datasetVersion();
  stubFetch({
    "GET /api/v1/datasets/digits": () => ({ name: "digits", versions: [only] }),
    [`GET ${BASE}/${DIGITS_VERSION}`]: () => ({ ...only, report: digitsReport() }),
    [`GET ${BASE}/${DIGITS_VERSION}/samples`]: () => ({ items: [], total: 0, offset: 0, limit: 24 }),
    [`DELETE ${BASE}/${DIGITS_VERSION}`]: () => new Response(null, { status: 204 }),
  });
  vi.spyOn(window, "confirm").mockReturnValue(true);
  renderPage();
  expect(await screen.findByText("No samples match.")).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: `Delete digits@${DIGITS_VERSION}` }));
  expect(await screen.findByTestId("landed")).toHaveTextContent("/datasets");
});

test("an older version is shown when chosen, and Train on this opens the form with it", async () => {
  const user = userEvent.setup();
  const old = datasetVersion({ version: OLD, num_images: 10 });
  stubDigits({
    [`GET ${BASE}/${OLD}`]: () => ({ ...old, report: digitsReport() }),
    [`GET ${BASE}/${OLD}/samples`]: () => ({ items: [], total: 0, offset: 0, limit: 24 }),
  });
  renderPage();
  await screen.findByRole("heading", { name: `Report of digits@${DIGITS_VERSION}` });
  await user.click(screen.getByRole("button", { name: OLD }));
  expect(await screen.findByRole("heading", { name: `Report of digits@${OLD}` })).toBeInTheDocument();
  expect(screen.getByTestId(`version-${OLD}`)).toHaveClass("selected");
  await user.click(screen.getByRole("button", { name: "Train on this" }));
  expect(screen.getByTestId("landed")).toHaveTextContent(`/jobs/new {"dataset":"digits@${OLD}","task_type":"classification"}`);
});
