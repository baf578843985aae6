// The typed HTTP client: every call the UI makes goes through here (types from openapi.json).
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
export type Job = Schemas["JobOut"];
/** A job as the jobs list shows it: all but its advanced config. */
export type JobSummary = Schemas["JobSummary"];
export type JobPage = Schemas["JobPage"];
export type JobStatus = Schemas["JobStatus"];
export type JobCreate = Schemas["JobCreate"];
export type MetricPoint = Schemas["MetricPointOut"];
export type LogLine = Schemas["LogLineOut"];
export type ChatResponse = Schemas["ChatResponse"];
export type TrainingIntent = Schemas["TrainingIntent"];
export type ResolvedSettings = Schemas["ResolvedSettings"];
export type SettingValue = Schemas["SettingValue"];
export type InferenceResult = Schemas["InferenceResult"];
export type TestRun = Schemas["TestRunOut"];
export type ModelSummary = Schemas["ModelSummary"];
export type RegisteredModel = Schemas["ModelOut"];
export type ModelVersion = Schemas["ModelVersionOut"];
export type ModelInferenceResult = Schemas["ModelInferenceResult"];
export type JobComparison = Schemas["JobComparison"];
export type DatasetSummary = Schemas["DatasetSummary"];
export type DatasetVersion = Schemas["VersionOut"];
export type DatasetReport = Schemas["DatasetReport"];
export type DatasetUpload = Schemas["UploadOut"];
export type Sample = Schemas["Sample"];
export type SamplePage = Schemas["SamplePage"];
export type Adjustment = Schemas["Adjustment"];
export type WeightsRecord = Schemas["WeightsRecord"];
export type QueueView = Schemas["QueueView"];
export type Priority = JobCreate["priority"] & string;
export const PRIORITIES: Priority[] = ["low", "normal", "high"];

export const JOB_STATUSES: JobStatus[] = [
  "pending",
  "running",
  "paused",
  "completed",
  "failed",
  "cancelled",
];
export const TERMINAL: JobStatus[] = ["completed", "failed", "cancelled"];

const TOKEN_KEY = "vp.token";
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const unauthorizedListeners = new Set<() => void>();
/** Called whenever the server answers 401; returns the unsubscribe function. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}
/** Tell the listeners the server answered 401 (for calls made without fetch). */
export const notifyUnauthorized = () => unauthorizedListeners.forEach((listener) => listener());

export function authHeaders(): Record<string, string> {
  const token = tokenStore.get();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = tokenStore.get();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) notifyUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  // Late-bound so tests can stub fetch after the client exists.
  fetch: (request) => globalThis.fetch(request),
});
api.use(auth);

/** An error answer, with the problem of each named field when the server gave them (422). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface ValidationItem {
  loc?: (string | number)[];
  msg?: string;
}

/** Turn an error body into an ApiError: FastAPI's `detail` list and our `fields` map alike. */
export function toApiError(status: number, body: unknown): ApiError {
  const data = (body ?? {}) as { detail?: unknown; fields?: Record<string, string>; message?: string };
  const fields: Record<string, string> = {};
  if (Array.isArray(data.detail)) {
    for (const item of data.detail as ValidationItem[]) {
      const loc = (item.loc ?? []).filter((part) => part !== "body");
      const name = loc.length ? String(loc[loc.length - 1]) : "";
      if (name && item.msg) fields[name] = item.msg;
    }
  }
  Object.assign(fields, data.fields ?? {});
  const message =
    typeof data.detail === "string"
      ? data.detail
      : (data.message ?? Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join("; "));
  return new ApiError(status, message || `HTTP ${status}`, fields);
}

/** The data of an openapi-fetch answer, or an ApiError thrown. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw toApiError(response.status, error);
  return data as T;
}

/** Fetch with the sign-in token (for multipart uploads and downloads). */
export async function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await globalThis.fetch(url, {
    ...init,
    headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) },
  });
  if (response.status === 401) notifyUnauthorized();
  return response;
}

async function predictUpload<T>(url: string, file: File, confThreshold?: number): Promise<T> {
  const form = new FormData();
  form.append("file", file);
  if (confThreshold !== undefined) form.append("conf_threshold", String(confThreshold));
  const response = await authFetch(url, { method: "POST", body: form });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}

/** One uploaded image; `confThreshold` is the detection floor the model runs with (default: its own). */
export function predictImage(jobId: number, file: File, confThreshold?: number): Promise<InferenceResult> {
  return predictUpload(`/api/v1/jobs/${jobId}/predict`, file, confThreshold);
}

/** One uploaded image through a registered model: `ref` is name, name@alias or name@v3. */
export function predictByName(ref: string, file: File, confThreshold?: number): Promise<ModelInferenceResult> {
  return predictUpload(`/api/v1/models/${encodeURIComponent(ref)}/predict`, file, confThreshold);
}

export interface JobEventHandlers {
  onStatus?: (job: Job) => void;
  onMetric?: (point: MetricPoint) => void;
  onLog?: (line: LogLine) => void;
}

const RECONNECT_MS = 2000;

interface StreamOptions {
  /** Headers for each (re)connection beyond the token, e.g. Last-Event-ID. */
  headers?: () => Record<string, string>;
  /** True once the stream has said all it will: no reconnection then. */
  ended?: () => boolean;
  /** Called with the error of a failed or dropped connection, and with null on connecting. */
  onConnection?: (error: string | null) => void;
}

/** Follow a Server-Sent Events stream, read with fetch so the Bearer token can be sent;
 * reconnects after a failed or dropped stream until `ended` or the returned stop is called. */
function followEventStream(
  url: string,
  dispatch: (event: string, data: string, id: string) => void,
  { headers = () => ({}), ended = () => false, onConnection }: StreamOptions = {},
): () => void {
  const controller = new AbortController();
  const run = async () => {
    while (!controller.signal.aborted && !ended()) {
      try {
        const response = await authFetch(url, {
          headers: { Accept: "text/event-stream", ...authHeaders(), ...headers() },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onConnection?.(null);
        await readEventStream(response.body, dispatch);
        if (!ended()) throw new Error("the event stream closed");
      } catch (e) {
        if (controller.signal.aborted) return;
        onConnection?.(e instanceof Error ? e.message : String(e));
      }
      if (!ended()) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  };
  void run();
  return () => controller.abort();
}

/** Follow a job's events (status, epoch metrics, log lines) until the job ends. */
export function followJobEvents(jobId: number, handlers: JobEventHandlers): () => void {
  let lastLogId = "";
  let ended = false;
  const dispatch = (event: string, data: string, id: string) => {
    if (id) lastLogId = id;
    const value = JSON.parse(data);
    if (event === "status") {
      handlers.onStatus?.(value as Job);
      if (TERMINAL.includes((value as Job).status)) ended = true;
    } else if (event === "metric") handlers.onMetric?.(value as MetricPoint);
    else if (event === "log") handlers.onLog?.(value as LogLine);
  };
  return followEventStream(`/api/v1/jobs/${jobId}/events`, dispatch, {
    headers: (): Record<string, string> => (lastLogId ? { "Last-Event-ID": lastLogId } : {}),
    ended: () => ended,
  });
}

export interface JobListHandlers {
  /** The whole list, on each (re)connection. */
  onSnapshot: (jobs: JobSummary[]) => void;
  /** A job of the list changed, or a job joined it. */
  onJob: (job: JobSummary) => void;
  /** A job left the list (its status no longer matches the filter). */
  onRemoved: (jobId: number) => void;
  /** A connection failed or dropped (it is retried), or null once connected. */
  onConnection?: (error: string | null) => void;
}

/** Follow the jobs list (optionally of one status) until stopped: GET /jobs/events. */
export function followJobList(status: JobStatus | null, limit: number, handlers: JobListHandlers): () => void {
  const query = new URLSearchParams({ limit: String(limit), ...(status ? { status } : {}) });
  const dispatch = (event: string, data: string) => {
    const value = JSON.parse(data);
    if (event === "snapshot") handlers.onSnapshot((value as JobPage).items);
    else if (event === "job") handlers.onJob(value as JobSummary);
    else if (event === "removed") handlers.onRemoved((value as { id: number }).id);
  };
  return followEventStream(`/api/v1/jobs/events?${query}`, dispatch, { onConnection: handlers.onConnection });
}

async function readEventStream(
  body: ReadableStream<Uint8Array>,
  dispatch: (event: string, data: string, id: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      let id = "";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        else if (line.startsWith("id:")) id = line.slice(3).trim();
      }
      if (data.length) dispatch(event, data.join("\n"), id);
    }
  }
}
