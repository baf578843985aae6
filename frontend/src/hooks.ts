// Data hooks: a load that re-runs on an interval, a ticking clock, the completed jobs, a file
// fetched with the token, and the data set versions.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, authFetch, toApiError, unwrap, type DatasetVersion } from "./api/client";
import { loadAllVersions } from "./api/datasets";

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
    async () => (await unwrap(api.GET("/api/v1/jobs", { params: { query: { status: "completed", limit: 200 } } }))).items,
    null,
    [],
  );
}

/** A blob: URL of a file fetched with the sign-in token (an <img src> cannot send it);
 * revoked when the URL changes or the component goes. */
export function useBlobUrl(url: string): { src: string | null; error: string | null } {
  const [state, setState] = useState<{ src: string | null; error: string | null }>({ src: null, error: null });
  useEffect(() => {
    let gone = false;
    let objectUrl: string | null = null;
    setState({ src: null, error: null });
    authFetch(url)
      .then(async (response) => {
        if (!response.ok) throw toApiError(response.status, await response.json().catch(() => ({})));
        return response.blob();
      })
      .then((blob) => {
        if (gone) return;
        objectUrl = URL.createObjectURL(blob);
        setState({ src: objectUrl, error: null });
      })
      .catch((e: unknown) => {
        if (!gone) setState({ src: null, error: e instanceof Error ? e.message : String(e) });
      });
    return () => {
      gone = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url]);
  return state;
}

/** Every version of every data set (for the pickers); an empty list when they cannot load. */
export function useDatasetVersions(): DatasetVersion[] | null {
  const { data, error } = usePolling(loadAllVersions, null, []);
  return error ? [] : data;
}
