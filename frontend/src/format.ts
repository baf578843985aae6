// Small formatting helpers shared by the pages.
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${rest}s`;
  return `${rest}s`;
}

/** Seconds between start and finish (or now, while running). */
export function jobSeconds(started: string | null | undefined, finished: string | null | undefined, now = Date.now()): number | null {
  if (!started) return null;
  const end = finished ? Date.parse(finished) : now;
  return (end - Date.parse(started)) / 1000;
}

export function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(lang === "ko" ? "ko-KR" : "en-US", {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return Math.abs(value) >= 1000 || (value !== 0 && Math.abs(value) < 0.001) ? value.toExponential(2) : value.toFixed(4);
}

export const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
