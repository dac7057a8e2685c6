/**
 * Mounts its children a moment after the page shows, one card after another, in a transition: React
 * renders them in slices between frames, so no single main-thread task carries them all (a chart
 * library's first render is the heaviest thing the page does).
 */
import { startTransition, useEffect, useState, type ReactNode } from 'react';

export function Later({ order, children }: { order: number; children: ReactNode }) {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => startTransition(() => setReady(true)), 30 * order);
    return () => clearTimeout(t);
  }, [order]);
  return ready ? <>{children}</> : null;
}
