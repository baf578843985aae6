// Data set calls beyond the typed client: an upload with progress (openapi-fetch has none, so
// XMLHttpRequest), every version of every data set for the pickers, and refs to links.
import { api, ApiError, authHeaders, notifyUnauthorized, toApiError, unwrap, type DatasetUpload, type DatasetVersion } from "./client";

export interface UploadProgress {
  sent: number;
  total: number;
}

export interface UploadRequest {
  file: File;
  name: string;
  description?: string;
}

export interface Upload {
  /** The version made, or the existing one with the same content; an ApiError otherwise. */
  done: Promise<DatasetUpload>;
  abort: () => void;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text || undefined };
  }
}

/** POST /datasets as multipart, reporting the bytes sent as they go. */
export function uploadDataset({ file, name, description }: UploadRequest, onProgress: (progress: UploadProgress) => void): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<DatasetUpload>((resolve, reject) => {
    xhr.upload.onprogress = (event) => onProgress({ sent: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      if (xhr.status === 401) notifyUnauthorized();
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as DatasetUpload);
      else reject(toApiError(xhr.status, body));
    };
    // The server may answer early (e.g. 413) and close the connection while the body still
    // streams; the browser then reports only a network error.
    xhr.onerror = () => reject(new ApiError(0, "the upload failed: the connection to the server was lost"));
    xhr.onabort = () => reject(new ApiError(0, "the upload was cancelled"));
  });
  const form = new FormData();
  form.append("name", name);
  if (description) form.append("description", description);
  form.append("file", file, file.name);
  xhr.open("POST", "/api/v1/datasets");
  for (const [key, value] of Object.entries(authHeaders())) xhr.setRequestHeader(key, value);
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}

/** A data set name from an archive's file name: "My Digits.tar.gz" → "my-digits". */
export function nameFromFile(fileName: string): string {
  const stem = fileName.replace(/\.(zip|tar|tar\.gz|tgz)$/i, "");
  return stem
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+|-+$/g, "")
    .slice(0, 64);
}

export const ARCHIVE_TYPES = ".zip,.tar,.tar.gz,.tgz";
export const isArchive = (fileName: string) => /\.(zip|tar|tar\.gz|tgz)$/i.test(fileName);

/** Every version of every data set, newest first within each name. */
export async function loadAllVersions(): Promise<DatasetVersion[]> {
  const { items } = await unwrap(api.GET("/api/v1/datasets"));
  const all = await Promise.all(items.map((d) => unwrap(api.GET("/api/v1/datasets/{name}", { params: { path: { name: d.name } } }))));
  return all.flatMap((d) => d.versions);
}

/** The data set page of a ref ("name" or "name@version"). */
export function datasetHref(ref: string): string {
  const [name, version] = ref.split("@");
  return `/datasets/${encodeURIComponent(name)}${version ? `?version=${encodeURIComponent(version)}` : ""}`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}
