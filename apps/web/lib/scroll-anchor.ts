// Keeps the reader's place across a language switch: the two languages differ in length, so we
// remember which step (or heading) was at the top of the scrolling pane and the offset into it.
const KEY = 'dy-scroll-anchor';

interface Anchor {
  path: string;
  anchorId: string | null;
  offset: number;
  ratio: number;
}

function scroller(): HTMLElement {
  return (document.querySelector('[data-scroll-pane]') as HTMLElement | null) ?? document.documentElement;
}

function pathWithoutLocale(): string {
  return window.location.pathname.replace(/^\/(zh-CN|en)(?=\/|$)/, '');
}

export function saveScrollAnchor(): void {
  const pane = scroller();
  const top = pane === document.documentElement ? 0 : pane.getBoundingClientRect().top;
  const anchors = [...pane.querySelectorAll<HTMLElement>('[data-step-id]')];
  let current: HTMLElement | null = null;
  for (const el of anchors) if (el.getBoundingClientRect().top - top <= 8) current = el;
  const maxScroll = Math.max(1, pane.scrollHeight - pane.clientHeight);
  const anchor: Anchor = {
    path: pathWithoutLocale(),
    anchorId: current?.dataset.stepId ?? null,
    offset: current ? top - current.getBoundingClientRect().top : 0,
    ratio: pane.scrollTop / maxScroll,
  };
  sessionStorage.setItem(KEY, JSON.stringify(anchor));
}

export function restoreScrollAnchor(): void {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return;
  sessionStorage.removeItem(KEY);
  let anchor: Anchor;
  try {
    anchor = JSON.parse(raw) as Anchor;
  } catch {
    return;
  }
  if (anchor.path !== pathWithoutLocale()) return;
  const pane = scroller();
  const target = anchor.anchorId
    ? pane.querySelector<HTMLElement>(`[data-step-id="${CSS.escape(anchor.anchorId)}"]`)
    : null;
  if (target) {
    const top = pane === document.documentElement ? 0 : pane.getBoundingClientRect().top;
    pane.scrollTop += target.getBoundingClientRect().top - top + anchor.offset;
  } else {
    pane.scrollTop = anchor.ratio * Math.max(0, pane.scrollHeight - pane.clientHeight);
  }
}
