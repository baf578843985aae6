// Data hooks: a load that re-runs on an interval, a ticking clock, and the completed jobs.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, unwrap, type Job } from "./api/client";

export function usePolling<T>(load: () => Promise<T>, intervalMs: number | null, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  useEffect(() => {
    void refresh();
    if (intervalMs === null) return;
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refresh, intervalMs, ...deps]);
  return { data, error, refresh };
}

/** The time now (ms), updated every `intervalMs` (durations of running jobs tick with it). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function useCompletedJobs() {
  return usePolling(
    async () => (await unwrap(api.GET("/api/v1/jobs", { params: { query: { status: "completed", limit: 200 } } }))).items as Job[],
    null,
    [],
  );
}
