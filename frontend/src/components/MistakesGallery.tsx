// A test run's worst mistakes as a gallery: each image (fetched with the token) and what went wrong.
import { percent } from "../format";
import { useBlobUrl } from "../hooks";
import { useI18n, type Translate } from "../i18n";
import { BoxedImage, type DrawnBox } from "./DetectionView";

/** A classification mistake: the label the folder gives and the model's top-1 answer. */
export interface LabelMistake {
  image_path: string;
  true_label: string;
  predicted_label: string;
  confidence: number;
}

/** A detection image with mistakes: labelled boxes not found, and found boxes not labelled. */
export interface BoxMistake {
  image_path: string;
  num_mistakes: number;
  missed_boxes: { class_name: string; bbox: number[] }[];
  false_boxes: { class_name: string; confidence: number; bbox: number[] }[];
}

export type Mistake = LabelMistake | BoxMistake;

const MISSED_COLOR = "#d97706";
const FALSE_COLOR = "#dc2626";

function boxesOf(mistake: Mistake, t: Translate): DrawnBox[] {
  if ("true_label" in mistake) return [];
  return [
    ...mistake.missed_boxes.map((b) => ({ bbox: b.bbox, color: MISSED_COLOR, dashed: true, kind: "missed", label: `${t("tests.missed")}: ${b.class_name}` })),
    ...mistake.false_boxes.map((b) => ({ bbox: b.bbox, color: FALSE_COLOR, kind: "false", label: `${b.class_name} ${percent(b.confidence)}` })),
  ];
}

function MistakeCard({ runId, index, mistake }: { runId: string; index: number; mistake: Mistake }) {
  const { t } = useI18n();
  const { src, error } = useBlobUrl(`/api/v1/test/runs/${runId}/mistakes/${index}/image`);
  return (
    <figure className="mistake" data-testid="mistake">
      {src ? (
        <BoxedImage src={src} boxes={boxesOf(mistake, t)} labels={false} />
      ) : (
        <div className={error ? "mistake-image error" : "mistake-image"}>{error ? t("tests.imageError", { message: error }) : t("common.loading")}</div>
      )}
      <figcaption>
        {"true_label" in mistake ? (
          <>
            <span>
              {t("tests.true")} <strong>{mistake.true_label}</strong>
            </span>
            <span>
              {t("tests.predicted")} <strong>{mistake.predicted_label}</strong> · {percent(mistake.confidence)}
            </span>
          </>
        ) : (
          <>
            <span className="missed">
              {t("tests.missedCount", { count: mistake.missed_boxes.length })}
              {mistake.missed_boxes.length > 0 && `: ${mistake.missed_boxes.map((b) => b.class_name).join(", ")}`}
            </span>
            <span className="false">
              {t("tests.falseCount", { count: mistake.false_boxes.length })}
              {mistake.false_boxes.length > 0 && `: ${mistake.false_boxes.map((b) => `${b.class_name} ${percent(b.confidence)}`).join(", ")}`}
            </span>
          </>
        )}
        <code title={mistake.image_path}>{mistake.image_path.split("/").slice(-2).join("/")}</code>
      </figcaption>
    </figure>
  );
}

export function MistakesGallery({ runId, mistakes }: { runId: string; mistakes: Mistake[] }) {
  return (
    <div className="mistakes" data-testid="mistakes-gallery">
      {mistakes.map((mistake, index) => (
        <MistakeCard key={`${runId}-${index}`} runId={runId} index={index} mistake={mistake} />
      ))}
    </div>
  );
}
