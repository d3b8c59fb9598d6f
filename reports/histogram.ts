/**
 * Latency distribution in fixed buckets (seconds). Fixed rather than data-driven edges so two
 * periods' charts can be compared by eye, and roughly logarithmic because run times of LLM
 * workflows spread from sub-second to minutes.
 */
export const LATENCY_EDGES = [0.5, 1, 2, 5, 10, 30, 60] as const;

export interface HistogramBucket {
  /** Inclusive lower bound in seconds. */
  from: number;
  /** Exclusive upper bound; null for the open last bucket. */
  to: number | null;
  label: string;
  runs: number;
}

export function emptyLatencyHistogram(): HistogramBucket[] {
  const bounds = [0, ...LATENCY_EDGES];
  return bounds.map((from, at) => {
    const to = LATENCY_EDGES[at] ?? null;
    const label = to === null ? `≥${from}s` : from === 0 ? `<${to}s` : `${from}–${to}s`;
    return { from, to, label, runs: 0 };
  });
}

/** The bucket a run time falls in: [from, to). */
export function bucketIndex(elapsedSeconds: number): number {
  const at = LATENCY_EDGES.findIndex((edge) => elapsedSeconds < edge);
  return at === -1 ? LATENCY_EDGES.length : at;
}
