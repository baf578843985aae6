// An image with boxes drawn over it: a model's detections, or a test run's missed and false boxes.
import { useState } from "react";
import type { InferenceResult } from "../api/client";

type Detection = NonNullable<InferenceResult["detections"]>[number];
const COLORS = ["#e11d48", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2"];

/** One box in image pixels [x1, y1, x2, y2], with its caption and look. */
export interface DrawnBox {
  bbox: number[];
  label: string;
  color: string;
  dashed?: boolean;
  polygon?: number[][] | null;
  kind?: string;
}

/** `width` and `height` are the image's own pixels; without them they are read when it loads.
 * Without `labels` the captions only show on hover (for thumbnails, where text would cover all). */
export function BoxedImage({ src, boxes, width, height, labels = true }: { src: string; boxes: DrawnBox[]; width?: number; height?: number; labels?: boolean }) {
  const [natural, setNatural] = useState<{ width: number; height: number } | null>(null);
  const w = width ?? natural?.width;
  const h = height ?? natural?.height;
  return (
    <div className="detection-view">
      <img src={src} alt="" onLoad={(e) => setNatural({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })} />
      {w && h ? <BoxLayer width={w} height={h} boxes={boxes} labels={labels} /> : null}
    </div>
  );
}

function BoxLayer({ width, height, boxes, labels }: { width: number; height: number; boxes: DrawnBox[]; labels: boolean }) {
  const stroke = Math.max(1, Math.round(Math.max(width, height) / 300));
  const font = Math.max(10, Math.round(Math.max(width, height) / 40));
  return (
    <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-label="detections">
      {boxes.map((b, i) => {
        const [x1, y1, x2, y2] = b.bbox;
        return (
          <g key={i} data-testid="detection-box" data-kind={b.kind}>
            <title>{b.label}</title>
            {b.polygon && <polygon points={b.polygon.map((p) => p.join(",")).join(" ")} fill={b.color} fillOpacity={0.3} />}
            <rect x={x1} y={y1} width={x2 - x1} height={y2 - y1} fill="none" stroke={b.color} strokeWidth={stroke} strokeDasharray={b.dashed ? `${stroke * 4} ${stroke * 3}` : undefined} />
            {labels && (
              <text x={x1 + 2} y={Math.max(font, y1 - 3)} fill={b.color} fontSize={font} fontWeight="bold" stroke="white" strokeWidth={font / 12} paintOrder="stroke">
                {b.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** Without `width` and `height` they are read from the image when it loads. */
export function DetectionView({ src, width, height, detections }: { src: string; width?: number; height?: number; detections: Detection[] }) {
  const boxes = detections.map((d) => ({
    bbox: d.bbox,
    polygon: d.polygon,
    color: COLORS[d.class_id % COLORS.length],
    label: `${d.class_name} ${(d.confidence * 100).toFixed(0)}%`,
  }));
  return <BoxedImage src={src} width={width} height={height} boxes={boxes} />;
}
