// A line chart drawn by uPlot (per-epoch curves by default), resized with its container.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];
const EPOCH_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

export interface Series {
  label: string;
  values: (number | null)[];
}

/** A vertical dashed line at one x value (a recommended threshold, …). */
export interface Marker {
  x: number;
  label: string;
}

/** uPlot's documented way to draw over the plot: a `draw` hook on its canvas. */
function markerPlugin(markers: Marker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const { ctx, bbox } = u;
        for (const marker of markers) {
          const x = Math.round(u.valToPos(marker.x, "x", true));
          ctx.save();
          ctx.strokeStyle = "#111827";
          ctx.lineWidth = 2 * uPlot.pxRatio;
          ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
          ctx.restore();
        }
      },
    },
  };
}

export function LineChart({
  title,
  x,
  series,
  logScale = false,
  xLabel = "epoch",
  xIncrs = EPOCH_INCRS,
  yRange,
  markers = [],
}: {
  title: string;
  x: number[];
  series: Series[];
  logScale?: boolean;
  xLabel?: string;
  xIncrs?: number[];
  yRange?: [number, number];
  markers?: Marker[];
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = [...series.map((s) => s.label), logScale, xLabel, yRange, markers.map((m) => m.x)].join("|");

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = Math.max(240, element.clientWidth);
    const y: uPlot.Scale = logScale ? { distr: 3 } : yRange ? { range: yRange } : {};
    plot.current = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: false }, y },
        axes: [
          { label: xLabel, incrs: xIncrs },
          { size: 64, values: (_u, ticks) => ticks.map((v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : String(+v.toFixed(4)))) },
        ],
        series: [{ label: xLabel }, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true } }))],
        plugins: markers.length ? [markerPlugin(markers)] : [],
      },
      [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, element.clientWidth), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series, scales or markers changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);

  return (
    <figure className="chart" data-testid={`chart-${title}`} data-points={x.length} data-epochs={x.join(",")} data-markers={markers.map((m) => m.x).join(" ")}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
      {markers.length > 0 && (
        <p className="chart-markers">
          {markers.map((m) => (
            <span key={m.x} className="marker">
              {m.label}
            </span>
          ))}
        </p>
      )}
    </figure>
  );
}
