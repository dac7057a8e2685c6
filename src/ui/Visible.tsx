/**
 * Renders a chart only once it scrolls near the screen: a page of cards draws none of the charts
 * below the fold at load, and a chart off screen costs nothing while a job updates its data.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';

export function Visible({ height, children }: { height: number; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) setShown(true); }, { rootMargin: '200px' });
    io.observe(el);
    return () => io.disconnect();
  }, []);
  return <div ref={ref} style={{ minHeight: height }}>{shown ? children : null}</div>;
}
