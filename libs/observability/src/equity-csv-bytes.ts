/**
 * The lines of `equity.csv` for steps `from` to `to - 1` as UTF-8 bytes (with the header line
 * `time,equity` first when `header`): each line the time as ISO 8601, exactly as
 * `Date.prototype.toISOString` prints it, a comma, the equity as `String(number)`, and `\n`.
 * Times must be valid epoch ms (checked by the caller). The date is written by arithmetic
 * (years 0000 to 9999; others go through `Date`; a later day of the same month only moves the
 * day's digits), the digits of a year and of a time of day only when they change, and each run of
 * one equity value is printed once.
 *
 * With `into` (of at least `(to - from) * 64 + 16` bytes) the lines are made in it (and a view of
 * it returned) instead of in a new array.
 *
 * Self-contained on purpose (no imports, no module state, only JavaScript's globals): the
 * compressor thread runs this very function's source, so its bytes are those of the run writer.
 */
export function equityCsvBytes(time: ArrayLike<number>, equity: ArrayLike<number>, from: number, to: number, header: boolean, into?: Uint8Array): Uint8Array {
  // A line is at most 25 bytes of time and comma, 24 of number, and its newline.
  const size = Math.max(0, to - from) * 64 + 16;
  const out = into !== undefined && into.length >= size ? into : new Uint8Array(size);
  let at = 0;
  if (header) {
    const head = 'time,equity\n';
    for (let k = 0; k < head.length; k++) out[at++] = head.charCodeAt(k);
  }
  let lastValue = Number.NaN;
  let lastText = 'NaN';
  let cachedDay = Number.NaN;
  // Year, month and day digits of `cachedDay`, as bytes: YYYY-MM-DD.
  let y0 = 0;
  let y1 = 0;
  let y2 = 0;
  let y3 = 0;
  let m0 = 0;
  let m1 = 0;
  let d0 = 0;
  let d1 = 0;
  let dateOk = false;
  // The day of the month of `cachedDay`.
  let dayOfMonth = 0;
  let cachedYear = Number.NaN;
  // The time of day of the previous line (as ms since midnight) and its bytes, HH:MM:SS.mmm:
  // daily bars repeat one time of day, so its digits are made once (each digit, as the date's, by
  // division and subtraction: `%` on doubles is a call in V8).
  let cachedMs = Number.NaN;
  let h0 = 0;
  let h1 = 0;
  let mi0 = 0;
  let mi1 = 0;
  let s0 = 0;
  let s1 = 0;
  let ms0 = 0;
  let ms1 = 0;
  let ms2 = 0;
  for (let i = from; i < to; i++) {
    const t = time[i] as number;
    const day = Math.floor(t / 86_400_000);
    const later = day - cachedDay; // NaN on the first line
    if (later > 0 && dayOfMonth + later <= 28) {
      // A later day of the same month (none has fewer than 28 days): only the day's digits change.
      cachedDay = day;
      dayOfMonth += later;
      const dTens = Math.floor(dayOfMonth / 10);
      d0 = 48 + dTens;
      d1 = 48 + dayOfMonth - dTens * 10;
    } else if (day !== cachedDay) {
      cachedDay = day;
      // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
      const z = day + 719_468;
      const era = Math.floor(z / 146_097);
      const doe = z - era * 146_097;
      const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
      const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
      const mp = Math.floor((5 * doy + 2) / 153);
      const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
      const m = mp < 10 ? mp + 3 : mp - 9;
      const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
      dateOk = y >= 0 && y <= 9999;
      // Digits by subtraction, not `%` (a call on doubles); the year's only when it changes.
      if (y !== cachedYear) {
        cachedYear = y;
        const centuries = Math.floor(y / 100);
        const decades = Math.floor(y / 10);
        y0 = 48 + Math.floor(y / 1000);
        y1 = 48 + centuries - Math.floor(y / 1000) * 10;
        y2 = 48 + decades - centuries * 10;
        y3 = 48 + y - decades * 10;
      }
      dayOfMonth = d;
      const mTens = Math.floor(m / 10);
      const dTens = Math.floor(d / 10);
      m0 = 48 + mTens;
      m1 = 48 + m - mTens * 10;
      d0 = 48 + dTens;
      d1 = 48 + d - dTens * 10;
    }
    // A fractional time goes through `Date` too (it truncates toward zero: -1.5 is -1), whatever
    // the other times of its day.
    if (dateOk && Number.isInteger(t)) {
      const ofDay = t - day * 86_400_000;
      if (ofDay !== cachedMs) {
        cachedMs = ofDay;
        let ms = ofDay;
        const h = Math.floor(ms / 3_600_000);
        ms -= h * 3_600_000;
        const mi = Math.floor(ms / 60_000);
        ms -= mi * 60_000;
        const s = Math.floor(ms / 1000);
        ms -= s * 1000;
        const hTens = Math.floor(h / 10);
        const miTens = Math.floor(mi / 10);
        const sTens = Math.floor(s / 10);
        const msHundreds = Math.floor(ms / 100);
        const msTens = Math.floor(ms / 10);
        h0 = 48 + hTens;
        h1 = 48 + h - hTens * 10;
        mi0 = 48 + miTens;
        mi1 = 48 + mi - miTens * 10;
        s0 = 48 + sTens;
        s1 = 48 + s - sTens * 10;
        ms0 = 48 + msHundreds;
        ms1 = 48 + msTens - msHundreds * 10;
        ms2 = 48 + ms - msTens * 10;
      }
      out[at] = y0;
      out[at + 1] = y1;
      out[at + 2] = y2;
      out[at + 3] = y3;
      out[at + 4] = 45;
      out[at + 5] = m0;
      out[at + 6] = m1;
      out[at + 7] = 45;
      out[at + 8] = d0;
      out[at + 9] = d1;
      out[at + 10] = 84;
      out[at + 11] = h0;
      out[at + 12] = h1;
      out[at + 13] = 58;
      out[at + 14] = mi0;
      out[at + 15] = mi1;
      out[at + 16] = 58;
      out[at + 17] = s0;
      out[at + 18] = s1;
      out[at + 19] = 46;
      out[at + 20] = ms0;
      out[at + 21] = ms1;
      out[at + 22] = ms2;
      out[at + 23] = 90;
      at += 24;
    } else {
      const iso = new Date(t).toISOString();
      for (let k = 0; k < iso.length; k++) out[at++] = iso.charCodeAt(k);
    }
    out[at++] = 44;
    const value = equity[i] as number;
    if (!Object.is(value, lastValue)) {
      lastValue = value;
      lastText = String(value);
    }
    for (let k = 0; k < lastText.length; k++) out[at++] = lastText.charCodeAt(k);
    out[at++] = 10;
  }
  return out.subarray(0, at);
}
