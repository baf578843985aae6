// An image with its detections drawn over it (boxes, polygons, labels and confidences).
import type { InferenceResult } from "../api/client";

type Detection = NonNullable<InferenceResult["detections"]>[number];
const COLORS = ["#e11d48", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2"];

export function DetectionView({ src, width, height, detections }: { src: string; width: number; height: number; detections: Detection[] }) {
  const stroke = Math.max(1, Math.round(Math.max(width, height) / 300));
  const font = Math.max(10, Math.round(Math.max(width, height) / 40));
  return (
    <div className="detection-view">
      <img src={src} alt="" />
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-label="detections">
        {detections.map((d, i) => {
          const [x1, y1, x2, y2] = d.bbox;
          const color = COLORS[d.class_id % COLORS.length];
          return (
            <g key={i} data-testid="detection-box">
              {d.polygon && <polygon points={d.polygon.map((p) => p.join(",")).join(" ")} fill={color} fillOpacity={0.3} />}
              <rect x={x1} y={y1} width={x2 - x1} height={y2 - y1} fill="none" stroke={color} strokeWidth={stroke} />
              <text x={x1 + 2} y={Math.max(font, y1 - 3)} fill={color} fontSize={font} fontWeight="bold" stroke="white" strokeWidth={font / 12} paintOrder="stroke">
                {d.class_name} {(d.confidence * 100).toFixed(0)}%
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
