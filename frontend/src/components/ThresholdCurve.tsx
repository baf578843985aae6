// Precision, recall and F1 against the confidence threshold, with the recommended one marked.
import { useMemo } from "react";
import { useI18n } from "../i18n";
import { LineChart } from "./LineChart";

/** One row of a test run's `confidence_sweep` (the same for classification and detection). */
export interface SweepPoint {
  conf: number;
  precision: number;
  recall: number;
  f1: number;
}

const THRESHOLD_INCRS = [0.05, 0.1, 0.2, 0.25, 0.5];

export function ThresholdCurve({ sweep, recommended }: { sweep: SweepPoint[]; recommended: number | null }) {
  const { t } = useI18n();
  const x = useMemo(() => sweep.map((p) => p.conf), [sweep]);
  const series = useMemo(
    () => [
      { label: t("tests.f1"), values: sweep.map((p) => p.f1) },
      { label: t("tests.precision"), values: sweep.map((p) => p.precision) },
      { label: t("tests.recall"), values: sweep.map((p) => p.recall) },
    ],
    [sweep, t],
  );
  const markers = useMemo(() => (recommended === null ? [] : [{ x: recommended, label: t("tests.recommended", { value: recommended.toFixed(3) }) }]), [recommended, t]);
  return (
    <div className="threshold-curve" data-testid="threshold-curve">
      <LineChart title={t("tests.curve")} x={x} series={series} xLabel={t("tests.threshold")} xIncrs={THRESHOLD_INCRS} yRange={[0, 1]} markers={markers} />
      {recommended === null && <p className="empty">{t("tests.noRecommendation")}</p>}
    </div>
  );
}
