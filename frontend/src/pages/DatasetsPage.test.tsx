import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { I18nProvider } from "../i18n";
import { stubXhr } from "../test/fakeXhr";
import { datasetVersion, stubFetch } from "../test/fixtures";
import { DatasetsPage } from "./DatasetsPage";

function Landed() {
  const location = useLocation();
  return <p data-testid="landed">{`${location.pathname}${location.search} ${JSON.stringify(location.state)}`}</p>;
}

function renderPage(lang: "en" | "ko" = "en") {
  render(
    <I18nProvider initial={lang}>
      <MemoryRouter initialEntries={["/datasets"]}>
        <Routes>
          <Route path="/datasets" element={<DatasetsPage />} />
          <Route path="/datasets/:name" element={<Landed />} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );
}

test("the list shows each data set with its newest version and links to it", async () => {
  const shapes = datasetVersion({ name: "shapes", version: "8258692e73c9", format: "yolo", task_type: "detection", num_images: 6, num_classes: 3 });
  stubFetch({ "GET /api/v1/datasets": () => ({ items: [{ name: "digits", versions: 2, latest: datasetVersion() }, { name: "shapes", versions: 1, latest: shapes }] }) });
  renderPage();
  const row = within(await screen.findByTestId("dataset-shapes"));
  expect(row.getByRole("link", { name: "shapes" })).toHaveAttribute("href", "/datasets/shapes");
  expect(row.getByText("8258692e73c9")).toBeInTheDocument();
  expect(row.getByText("detection")).toBeInTheDocument();
  expect(within(screen.getByTestId("dataset-digits")).getByText("15.9 KB")).toBeInTheDocument();
});

test("with no data sets the page says so; an upload opens the new version's page", async () => {
  const user = userEvent.setup();
  const xhr = stubXhr();
  stubFetch({ "GET /api/v1/datasets": () => ({ items: [] }) });
  renderPage("ko");
  expect(await screen.findByText("아직 데이터셋이 없습니다. 위에서 압축 파일을 업로드하세요.")).toBeInTheDocument();
  await user.upload(screen.getByLabelText("압축 파일"), new File(["x"], "digits.zip"));
  await user.click(screen.getByRole("button", { name: "업로드" }));
  await act(async () => xhr().respond(200, { ...datasetVersion(), created: false }));
  expect(screen.getByTestId("landed")).toHaveTextContent('/datasets/digits?version=2a588ac1f124 {"upload":{"ref":"digits@2a588ac1f124","created":false}}');
});
