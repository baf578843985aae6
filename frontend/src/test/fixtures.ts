import type { FormSchema } from "../components/schemaForm";
import type { DatasetReport, DatasetVersion, Job, Sample } from "../api/client";

export const timmSchema: FormSchema = {
  properties: {
    optimizer_type: { type: "string", default: "adamw", enum: ["adam", "adamw", "sgd"], "x-group": "optimizer" },
    learning_rate: { type: "number", default: 0.001, minimum: 1e-7, maximum: 1, "x-group": "optimizer" },
    momentum: { type: "number", default: 0.9, minimum: 0, maximum: 0.999, "x-group": "optimizer", "x-depends-on": { optimizer_type: ["sgd"] } },
    warmup_epochs: { type: "integer", default: 0, minimum: 0, maximum: 100, "x-group": "scheduler" },
    mixup: { type: "boolean", default: false, "x-group": "augmentation" },
    mixup_alpha: { type: "number", default: 0.2, minimum: 0, maximum: 10, "x-group": "augmentation", "x-depends-on": { mixup: [true] } },
    pretrained: { type: "boolean", default: false, "x-group": "training", "x-concept": "pretrained" },
    pretrained_path: { type: "string", default: "", "x-group": "training", "x-depends-on": { pretrained: [true] }, "x-concept": "pretrained_path" },
  },
  "x-groups": [
    { name: "optimizer", fields: ["optimizer_type", "learning_rate", "momentum"] },
    { name: "scheduler", fields: ["warmup_epochs"] },
    { name: "augmentation", fields: ["mixup", "mixup_alpha"] },
    { name: "training", fields: ["pretrained", "pretrained_path"] },
  ],
  "x-presets": {
    easy: { optimizer_type: "adam", learning_rate: 0.001 },
    advanced: { optimizer_type: "sgd", learning_rate: 0.01, warmup_epochs: 10, mixup: true },
  },
};

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 1,
    status: "running",
    model_name: "resnet18",
    framework: "timm",
    task_type: "classification",
    dataset_path: "data/digits",
    num_epochs: 10,
    batch_size: 16,
    learning_rate: null,
    image_size: 32,
    preset: "easy",
    advanced_config: {},
    max_stage_seconds: null,
    seed: null,
    requested_action: null,
    current_epoch: 3,
    best_metric_name: "val_acc",
    best_metric: 0.8125,
    last_checkpoint_uri: null,
    best_checkpoint_uri: null,
    attempt_count: 1,
    failure_count: 0,
    stage_count: 1,
    error_message: null,
    created_at: "2026-01-02T10:00:00Z",
    updated_at: "2026-01-02T10:01:00Z",
    started_at: "2026-01-02T10:00:00Z",
    finished_at: null,
    ...overrides,
  } as Job;
}

/** A fetch stub answering by "METHOD /path" (query ignored); unknown calls get 404. */
export function stubFetch(routes: Record<string, (request: Request) => unknown | Response | Promise<unknown>>) {
  const calls: { key: string; body: unknown }[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    // A multipart body stays a FormData (jsdom's Request cannot carry a jsdom File).
    const form = init?.body instanceof FormData ? init.body : undefined;
    const plain = form ? { ...init, body: undefined } : init;
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost:3000"), plain);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    const text = request.method === "GET" || form ? "" : await request.clone().text();
    calls.push({ key, body: form ?? (text ? JSON.parse(text) : undefined) });
    const handler = routes[key];
    if (!handler) return new Response(JSON.stringify({ detail: "Not Found" }), { status: 404 });
    const answer = await handler(request);
    return answer instanceof Response ? answer : Response.json(answer);
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

/** A Server-Sent Events answer that stays open: the test sends events and can drop it. */
export function eventStream(request: Request) {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  request.signal.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
  return {
    response: new Response(body, { headers: { "Content-Type": "text/event-stream" } }),
    send: (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`)),
    drop: () => controller.close(),
  };
}

export const DIGITS_VERSION = "2a588ac1f124";

/** A data set version as the API lists it (a digits ImageFolder unless overridden). */
export function datasetVersion(overrides: Partial<DatasetVersion> = {}): DatasetVersion {
  const name = overrides.name ?? "digits";
  const version = overrides.version ?? DIGITS_VERSION;
  return {
    name,
    version,
    ref: `${name}@${version}`,
    digest: `${version}${"0".repeat(52)}`,
    format: "imagefolder",
    task_type: "classification",
    description: null,
    num_images: 16,
    num_classes: 2,
    size_bytes: 16329,
    uri: `/home/.vp/artifacts/datasets/${name}/${version}`,
    created_at: "2026-01-02T10:00:00Z",
    report: null,
    ...overrides,
  };
}

export function digitsReport(overrides: Partial<DatasetReport> = {}): DatasetReport {
  return {
    format: "imagefolder",
    layout: "imagefolder",
    task_type: "classification",
    class_names: ["0", "1"],
    classes: [
      { id: 0, name: "0", images: { train: 6, val: 2 }, instances: { train: 6, val: 2 } },
      { id: 1, name: "1", images: { train: 3, val: 1 }, instances: { train: 3, val: 1 } },
    ],
    splits: { train: 9, val: 3 },
    auto_split: false,
    image_sizes: { min_width: 32, min_height: 32, max_width: 32, max_height: 32, mean_width: 32, mean_height: 32, common: [{ width: 32, height: 32, count: 12 }] },
    images_without_labels: 0,
    files: 12,
    bytes: 16329,
    ignored_files: 0,
    problems: [],
    warnings: [],
    ...overrides,
  };
}

/** A sample of a version: `index`, in `split`, of class `classId`, with `objects` (fractions). */
export function sample(index: number, overrides: Partial<Sample> = {}): Sample {
  return {
    index,
    split: "train",
    file: `train/0/${index}.png`,
    width: 32,
    height: 32,
    class_ids: [0],
    class_names: ["0"],
    objects: [],
    thumbnail_url: `/api/v1/datasets/digits/versions/${DIGITS_VERSION}/samples/${index}/thumbnail`,
    ...overrides,
  };
}
