// A version's images with their labels: the class for classification, boxes and polygons
// drawn over the thumbnail for YOLO; filtered by split and class, a page at a time.
import { useState } from "react";
import { api, unwrap, type DatasetReport, type DatasetVersion, type Sample } from "../../api/client";
import { useBlobUrl, usePolling } from "../../hooks";
import { useI18n } from "../../i18n";
import { BoxedImage, type DrawnBox } from "../DetectionView";

export const PAGE_SIZE = 24;
const COLORS = ["#e11d48", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
export const classColor = (id: number) => COLORS[id % COLORS.length];

/** The sample's objects in its image's pixels (the API gives fractions of width and height). */
export function boxesOf(sample: Sample): DrawnBox[] {
  const { width: w, height: h } = sample;
  return (sample.objects ?? []).map((o) => ({
    bbox: [o.bbox[0] * w, o.bbox[1] * h, o.bbox[2] * w, o.bbox[3] * h],
    polygon: o.polygon?.map(([x, y]) => [x * w, y * h]),
    label: o.class_name,
    color: classColor(o.class_id),
  }));
}

function objectCounts(sample: Sample): [string, number, number][] {
  const counts = new Map<string, [number, number]>();
  for (const o of sample.objects ?? []) counts.set(o.class_name, [o.class_id, (counts.get(o.class_name)?.[1] ?? 0) + 1]);
  return [...counts].map(([name, [id, count]]) => [name, id, count]);
}

function SampleCard({ sample, classification }: { sample: Sample; classification: boolean }) {
  const { t } = useI18n();
  const { src, error } = useBlobUrl(`${sample.thumbnail_url}?size=256`);
  const counts = objectCounts(sample);
  return (
    <figure className="sample" data-testid="sample">
      {src ? (
        <div className="sample-image">
          <BoxedImage src={src} width={sample.width} height={sample.height} boxes={boxesOf(sample)} labels={false} />
          {classification && <span className="sample-label">{(sample.class_names ?? []).join(", ")}</span>}
        </div>
      ) : (
        <div className={error ? "mistake-image error" : "mistake-image"}>{error ? t("tests.imageError", { message: error }) : t("common.loading")}</div>
      )}
      <figcaption>
        {!classification && (
          <span className="objects">
            {counts.length
              ? counts.map(([name, id, count]) => (
                  <span key={name}>
                    <i style={{ background: classColor(id) }} /> {name}
                    {count > 1 ? ` ×${count}` : ""}
                  </span>
                ))
              : t("ds.noObjects")}
          </span>
        )}
        <code title={sample.file}>
          {sample.split} · {sample.file.split("/").pop()}
        </code>
      </figcaption>
    </figure>
  );
}

export function SampleGallery({ version, report }: { version: DatasetVersion; report: DatasetReport }) {
  const { t } = useI18n();
  const [split, setSplit] = useState("");
  const [cls, setCls] = useState("");
  const [offset, setOffset] = useState(0);
  const { data: page, error } = usePolling(
    () =>
      unwrap(
        api.GET("/api/v1/datasets/{name}/versions/{version}/samples", {
          params: {
            path: { name: version.name, version: version.version },
            query: { offset, limit: PAGE_SIZE, ...(split ? { split } : {}), ...(cls ? { class: cls } : {}) },
          },
        }),
      ),
    null,
    [version.ref, split, cls, offset],
  );
  const filter = (set: (value: string) => void) => (e: React.ChangeEvent<HTMLSelectElement>) => {
    set(e.target.value);
    setOffset(0);
  };
  const total = page?.total ?? 0;
  return (
    <section className="gallery">
      <h2>{t("ds.gallery")}</h2>
      <div className="controls">
        <label>
          {t("ds.split")}
          <select value={split} onChange={filter(setSplit)} aria-label={t("ds.split")}>
            <option value="">{t("ds.all")}</option>
            {Object.keys(report.splits).map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          {t("ds.class")}
          <select value={cls} onChange={filter(setCls)} aria-label={t("ds.class")}>
            <option value="">{t("ds.all")}</option>
            {report.class_names.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <span className="pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
            {t("ds.prev")}
          </button>
          <span data-testid="sample-range">{total ? t("ds.shown", { from: offset + 1, to: Math.min(total, offset + PAGE_SIZE), total }) : ""}</span>
          <button type="button" disabled={offset + PAGE_SIZE >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>
            {t("ds.next")}
          </button>
        </span>
      </div>
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      {page && !page.items.length && <p className="empty">{t("ds.noSamples")}</p>}
      <div className="samples" data-testid="sample-gallery">
        {(page?.items ?? []).map((sample) => (
          <SampleCard key={`${version.ref}-${sample.index}`} sample={sample} classification={report.task_type === "classification"} />
        ))}
      </div>
    </section>
  );
}
