/**
 * Whether the open thread keeps following new messages, after a scroll event.
 *
 * Only the owner scrolling up stops following. The box's geometry alone cannot say it: while a
 * burst arrives the newest bubbles are still being measured, the content grows under a scroll
 * position that has not caught up yet, and "far from the bottom" then meant a thread that stopped
 * following for good in the middle of the burst.
 */
export function followsAfterScroll(
  following: boolean,
  s: { scrollTop: number; previousTop: number; fromBottom: number; detached: boolean },
): boolean {
  if (s.detached) return false;
  if (s.fromBottom < FOLLOW_SLACK_PX) return true;
  // Scrolled up by the owner (wheel, keys, scrollbar): reading older messages stays put.
  if (s.scrollTop < s.previousTop) return false;
  return following;
}

/** How close to the bottom counts as "at the newest". */
export const FOLLOW_SLACK_PX = 80;
