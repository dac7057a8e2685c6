/** A card that duplicate-and-edit opened: scrolled into view and highlighted for a moment. */
import { useEffect, useRef } from 'react';
import { useStudio, type CardName } from '../state/store';

export function useFocusCard(name: CardName): { ref: React.RefObject<HTMLDivElement | null>; className: string } {
  const ref = useRef<HTMLDivElement>(null);
  const focused = useStudio((s) => s.focusCard === name);
  useEffect(() => {
    if (!focused) return;
    ref.current?.scrollIntoView({ block: 'start' });
    const t = setTimeout(() => useStudio.setState({ focusCard: null }), 2500);
    return () => clearTimeout(t);
  }, [focused]);
  return { ref, className: focused ? 'card focused' : 'card' };
}
