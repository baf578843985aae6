// A per-epoch line chart drawn by uPlot, resized with its container.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

export interface Series {
  label: string;
  values: (number | null)[];
}

export function LineChart({ title, epochs, series, logScale = false }: { title: string; epochs: number[]; series: Series[]; logScale?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join("|") + String(logScale);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = Math.max(240, element.clientWidth);
    plot.current = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: false }, y: logScale ? { distr: 3 } : {} },
        axes: [
          { label: "epoch", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
          { size: 64, values: (_u, ticks) => ticks.map((v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : String(+v.toFixed(4)))) },
        ],
        series: [{ label: "epoch" }, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true } }))],
      },
      [epochs, ...series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, element.clientWidth), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([epochs, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [epochs, series]);

  return (
    <figure className="chart" data-testid={`chart-${title}`} data-points={epochs.length} data-epochs={epochs.join(",")}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
