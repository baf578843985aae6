// Top-5 classification scores as labelled bars; scores under the threshold are dimmed.
import type { InferenceResult } from "../api/client";
import { percent } from "../format";

type Score = NonNullable<InferenceResult["top5_predictions"]>[number];

export function Top5Bars({ scores, threshold = 0 }: { scores: Score[]; threshold?: number }) {
  return (
    <ol className="top5" aria-label="top-5">
      {scores.slice(0, 5).map((score) => (
        <li key={score.label_id} className={score.confidence < threshold ? "below" : undefined} data-testid="top5-row">
          <span className="top5-label">{score.label}</span>
          <span className="top5-bar">
            <span className="top5-fill" style={{ width: `${Math.max(0, Math.min(1, score.confidence)) * 100}%` }} />
          </span>
          <span className="top5-value">{percent(score.confidence)}</span>
        </li>
      ))}
    </ol>
  );
}
