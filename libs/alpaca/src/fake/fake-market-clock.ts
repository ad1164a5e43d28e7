import type { AlpacaClockWire } from '../alpaca-types';
import { newYorkDate, newYorkMidnight } from '../new-york-time';

/** Regular trading hours in New York: 09:30 to 16:00, minutes after local midnight. */
const REGULAR_OPEN_MINUTES = 9 * 60 + 30;
const REGULAR_CLOSE_MINUTES = 16 * 60;

/**
 * The market clock of regular hours: 09:30–16:00 America/New_York, Monday to Friday, daylight
 * saving time included (14:30–21:00 UTC in winter, 13:30–20:00 UTC in summer). No holidays and
 * no early closes.
 */
export function clockWire(nowMs: number): AlpacaClockWire {
  const DAY = 86_400_000;
  const weekday = (dateMs: number): boolean => {
    const wd = new Date(dateMs).getUTCDay();
    return wd >= 1 && wd <= 5;
  };
  // DST changes on Sundays at 02:00, so on a weekday local midnight + n minutes is n minutes later.
  const open = (dateMs: number): number => newYorkMidnight(dateMs) + REGULAR_OPEN_MINUTES * 60_000;
  const close = (dateMs: number): number => newYorkMidnight(dateMs) + REGULAR_CLOSE_MINUTES * 60_000;
  const today = newYorkDate(nowMs);
  const isOpen = weekday(today) && nowMs >= open(today) && nowMs < close(today);
  let openDay = today;
  while (!weekday(openDay) || open(openDay) <= nowMs) openDay += DAY;
  let closeDay = today;
  while (!weekday(closeDay) || close(closeDay) <= nowMs) closeDay += DAY;
  return {
    timestamp: new Date(nowMs).toISOString(),
    is_open: isOpen,
    next_open: new Date(open(openDay)).toISOString(),
    next_close: new Date(close(closeDay)).toISOString(),
  };
}
