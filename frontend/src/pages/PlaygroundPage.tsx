// Try a trained model on one image: top-5 bars or boxes, a confidence slider, the timing split.
// The model is a completed job's, or a registered model's by ref (`?model=name@v3`).
import { useEffect, useState } from "react";
import { api, predictByName, predictImage, unwrap, type InferenceResult } from "../api/client";
import { DetectionView } from "../components/DetectionView";
import { Top5Bars } from "../components/Top5Bars";
import { useCompletedJobs, usePolling } from "../hooks";
import { useI18n } from "../i18n";

// Boxes are fetched down to this confidence, so that the slider can re-filter below the
// model's own threshold (0.25 by default) without asking the server again.
const CONF_FLOOR = 0.05;

// A select value: a job id ("3"), or a registered model's ref after this prefix.
const MODEL = "model:";

/** The refs to offer: each alias of each registered model, and the one the URL names. */
function useModelRefs(asked: string | null): string[] {
  const { data } = usePolling(async () => (await unwrap(api.GET("/api/v1/models"))).items, null, []);
  const refs = (data ?? []).flatMap((model) => Object.keys(model.aliases).map((alias) => `${model.name}@${alias}`));
  return asked && !refs.includes(asked) ? [asked, ...refs] : refs;
}

interface Shown {
  url: string;
  width: number;
  height: number;
}

export function PlaygroundPage() {
  const { t } = useI18n();
  const { data: jobs } = useCompletedJobs();
  const [asked] = useState(() => new URLSearchParams(globalThis.location?.search).get("model"));
  const refs = useModelRefs(asked);
  const [source, setSource] = useState<string | null>(asked ? MODEL + asked : null);
  const [image, setImage] = useState<Shown | null>(null);
  const [result, setResult] = useState<(InferenceResult & { model?: string; model_version?: number }) | null>(null);
  const [threshold, setThreshold] = useState(0.25);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(
    () => () => {
      if (image) URL.revokeObjectURL(image.url);
    },
    [image],
  );

  const run = async (file: File | undefined) => {
    if (!file || source === null) return;
    const url = URL.createObjectURL(file);
    const shown = await new Promise<Shown>((resolve) => {
      const img = new Image();
      img.onload = () => resolve({ url, width: img.naturalWidth, height: img.naturalHeight });
      img.onerror = () => resolve({ url, width: 1, height: 1 });
      img.src = url;
    });
    setImage(shown);
    setResult(null);
    setBusy(true);
    try {
      setResult(
        source.startsWith(MODEL)
          ? await predictByName(source.slice(MODEL.length), file, CONF_FLOOR)
          : await predictImage(Number(source), file, CONF_FLOOR),
      );
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const detections = (result?.detections ?? []).filter((d) => d.confidence >= threshold);
  // For boxes, the headline follows the slider: the best box left, or no detection.
  const best = detections.reduce<(typeof detections)[number] | null>((a, d) => (a && a.confidence >= d.confidence ? a : d), null);
  const headline = result?.detections
    ? { label: best?.class_name ?? "no_detection", confidence: best?.confidence ?? 0 }
    : { label: result?.predicted_label ?? "", confidence: result?.confidence ?? 0 };
  return (
    <section className="playground">
      <h1>{t("play.title")}</h1>
      <div className="controls">
        <label>
          {t("play.job")}{" "}
          <select value={source ?? ""} onChange={(e) => setSource(e.target.value || null)}>
            <option value="">{t("play.pick")}</option>
            {(jobs ?? []).map((job) => (
              <option key={job.id} value={job.id}>
                #{job.id} {job.model_name} ({job.task_type})
              </option>
            ))}
            {refs.length > 0 && (
              <optgroup label={t("play.registered")}>
                {refs.map((ref) => (
                  <option key={ref} value={MODEL + ref}>
                    {ref}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        <label
          className={`dropzone${source === null ? " disabled" : ""}`}
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            void run(e.dataTransfer.files[0]);
          }}
        >
          {t("play.drop")}
          <input type="file" accept="image/*" disabled={source === null} aria-label={t("play.image")} onChange={(e) => void run(e.target.files?.[0])} />
        </label>
        <label>
          {t("play.conf")}: {threshold.toFixed(2)}
          <input type="range" min={CONF_FLOOR} max={1} step={0.01} value={threshold} onChange={(e) => setThreshold(Number(e.target.value))} aria-label={t("play.conf")} />
        </label>
      </div>
      {busy && <p>{t("play.running")}</p>}
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      <div className="two-col">
        {image &&
          (result?.detections ? (
            <DetectionView src={image.url} width={image.width} height={image.height} detections={detections} />
          ) : (
            <img className="preview" src={image.url} alt="" />
          ))}
        {result && (
          <div className="result" data-testid="prediction">
            <h2>
              {headline.label} · {(headline.confidence * 100).toFixed(1)}%
            </h2>
            {result.top5_predictions && (
              <>
                <h3>{t("play.top5")}</h3>
                <Top5Bars scores={result.top5_predictions} threshold={threshold} />
              </>
            )}
            {result.detections && (
              <>
                <h3>{t("play.detections")}</h3>
                {detections.length ? (
                  <ul>
                    {detections.map((d, i) => (
                      <li key={i}>
                        {d.class_name} {(d.confidence * 100).toFixed(1)}% [{d.bbox.map((v) => Math.round(v)).join(", ")}]
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p>{t("play.none")}</p>
                )}
              </>
            )}
            {result.model_version !== undefined && (
              <p data-testid="answered-by">{t("play.answeredBy", { model: result.model ?? "", version: result.model_version })}</p>
            )}
            <p className="timing">
              {t("play.timing", {
                pre: result.preprocessing_time_ms.toFixed(1),
                inf: result.inference_time_ms.toFixed(1),
                post: result.postprocessing_time_ms.toFixed(1),
              })}
            </p>
          </div>
        )}
      </div>
    </section>
  );
}
