import { stubXhr } from "../test/fakeXhr";
import { datasetVersion } from "../test/fixtures";
import { ApiError, tokenStore } from "./client";
import { datasetHref, formatBytes, isArchive, nameFromFile, uploadDataset } from "./datasets";

test.each([
  ["digits.zip", "digits"],
  ["My Digits (v2).tar.gz", "my-digits-v2"],
  ["_hidden.tgz", "hidden"],
  ["shapes_set.tar", "shapes_set"],
])("the name of %s is %s", (file, name) => {
  expect(nameFromFile(file)).toBe(name);
});

test("archives are told by their extension", () => {
  expect(["a.zip", "a.TAR", "a.tar.gz", "a.tgz"].every(isArchive)).toBe(true);
  expect(["a.png", "a.gz", "a.zip.txt"].some(isArchive)).toBe(false);
});

test("sizes and links read plainly", () => {
  expect([formatBytes(512), formatBytes(16329), formatBytes(3 * 1024 ** 3)]).toEqual(["512 B", "15.9 KB", "3.0 GB"]);
  expect(datasetHref("digits@abc")).toBe("/datasets/digits?version=abc");
  expect(datasetHref("digits")).toBe("/datasets/digits");
});

test("an upload sends name and file with the token and reports progress", async () => {
  const xhr = stubXhr();
  tokenStore.set("secret");
  const seen: number[] = [];
  const file = new File(["x".repeat(100)], "digits.zip");
  const upload = uploadDataset({ file, name: "digits", description: "two classes" }, (p) => seen.push(p.sent / p.total));
  expect([xhr().method, xhr().url, xhr().headers.Authorization]).toEqual(["POST", "/api/v1/datasets", "Bearer secret"]);
  expect(xhr().body?.get("name")).toBe("digits");
  expect(xhr().body?.get("description")).toBe("two classes");
  expect((xhr().body?.get("file") as File).name).toBe("digits.zip");
  xhr().progress(50, 100);
  xhr().progress(100, 100);
  xhr().respond(201, { ...datasetVersion(), created: true });
  expect((await upload.done).ref).toBe("digits@2a588ac1f124");
  expect(seen).toEqual([0.5, 1]);
});

test("a refused upload is an ApiError with the server's words; a lost connection says so", async () => {
  const xhr = stubXhr();
  const file = new File(["x"], "bad.zip");
  const refused = uploadDataset({ file, name: "bad" }, () => {}).done;
  const message = "archive entry '../evil.txt': '..' in a path is not allowed";
  xhr().respond(422, { detail: [{ loc: ["body"], msg: message, type: "value_error" }], message });
  await expect(refused).rejects.toEqual(new ApiError(422, message));
  const lost = uploadDataset({ file, name: "bad" }, () => {}).done;
  xhr().onerror?.();
  await expect(lost).rejects.toThrow(/connection to the server was lost/);
});
