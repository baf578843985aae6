import { act, fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { I18nProvider } from "../../i18n";
import { stubXhr } from "../../test/fakeXhr";
import { datasetVersion } from "../../test/fixtures";
import { UploadZone } from "./UploadZone";

function renderZone(lang: "en" | "ko" = "en") {
  const onUploaded = vi.fn();
  render(
    <I18nProvider initial={lang}>
      <UploadZone onUploaded={onUploaded} />
    </I18nProvider>,
  );
  return onUploaded;
}

const drop = (file: File) => fireEvent.drop(screen.getByTestId("dataset-dropzone"), { dataTransfer: { files: [file] } });

test("a dropped archive is named after its file, and its upload shows progress, then the check", async () => {
  const user = userEvent.setup();
  const xhr = stubXhr();
  const onUploaded = renderZone();
  drop(new File(["x".repeat(2048)], "Digits Set.zip"));
  expect(screen.getByText("Digits Set.zip (2.0 KB)")).toBeInTheDocument();
  expect(screen.getByLabelText("Name")).toHaveValue("digits-set");
  await user.click(screen.getByRole("button", { name: "Upload" }));
  expect(xhr().body?.get("name")).toBe("digits-set");
  act(() => xhr().progress(1024, 2048));
  expect(screen.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "50");
  expect(screen.getByText("Uploading Digits Set.zip: 1.0 KB of 2.0 KB")).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "Upload" })).toBeDisabled();
  act(() => xhr().progress(2048, 2048));
  expect(screen.getByText("Checking the data set…")).toBeInTheDocument();
  const made = { ...datasetVersion({ name: "digits-set" }), created: true };
  await act(async () => xhr().respond(201, made));
  expect(onUploaded).toHaveBeenCalledWith(made);
  expect(screen.queryByRole("progressbar")).toBeNull();
});

test("the server's refusal names the entry; a typed name survives choosing another file", async () => {
  const user = userEvent.setup();
  const xhr = stubXhr();
  const onUploaded = renderZone();
  await user.type(screen.getByLabelText("Name"), "mine");
  await user.upload(screen.getByLabelText("Archive"), new File(["x"], "evil.tar.gz"));
  expect(screen.getByLabelText("Name")).toHaveValue("mine");
  await user.click(screen.getByRole("button", { name: "Upload" }));
  const message = "archive entry 'data/evil': a symbolic link is not allowed";
  await act(async () => xhr().respond(422, { detail: [{ loc: ["body"], msg: message }], message }));
  expect(screen.getByRole("alert")).toHaveTextContent(`Upload failed: ${message}`);
  expect(onUploaded).not.toHaveBeenCalled();
  expect(screen.getByRole("button", { name: "Upload" })).toBeEnabled();
});

test("a file that is not an archive is refused before anything is sent (in Korean too)", () => {
  stubXhr();
  renderZone("ko");
  drop(new File(["x"], "photo.png"));
  expect(screen.getByRole("alert")).toHaveTextContent("photo.png은(는) .zip, .tar, .tar.gz 압축 파일이 아닙니다");
  expect(screen.getByRole("button", { name: "업로드" })).toBeDisabled();
});

test("an upload can be cancelled", async () => {
  const user = userEvent.setup();
  const xhr = stubXhr();
  renderZone();
  drop(new File(["x"], "digits.zip"));
  await user.click(screen.getByRole("button", { name: "Upload" }));
  await user.click(screen.getByRole("button", { name: "Cancel" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("the upload was cancelled");
  expect(xhr().body).not.toBeNull();
});
