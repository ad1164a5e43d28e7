import { formatNewYorkTime, newYorkDate, newYorkMidnight, newYorkOffsetMinutes } from './new-york-time';

const t = (iso: string): number => Date.parse(iso);

describe('New York time', () => {
  it('reads the offset in winter and summer', () => {
    expect(newYorkOffsetMinutes(t('2024-01-02T15:00:00Z'))).toBe(-300);
    expect(newYorkOffsetMinutes(t('2024-07-02T15:00:00Z'))).toBe(-240);
  });

  it.each([
    ['2024-01-02', '2024-01-02T05:00:00.000Z'],
    ['2024-07-02', '2024-07-02T04:00:00.000Z'],
    // The days DST starts and ends: midnight is still on the old offset.
    ['2024-03-10', '2024-03-10T05:00:00.000Z'],
    ['2024-03-11', '2024-03-11T04:00:00.000Z'],
    ['2024-11-03', '2024-11-03T04:00:00.000Z'],
    ['2024-11-04', '2024-11-04T05:00:00.000Z'],
  ])('puts midnight of %s at %s', (date, iso) => {
    expect(new Date(newYorkMidnight(t(`${date}T00:00:00Z`))).toISOString()).toBe(iso);
  });

  it('finds the New York date of an instant', () => {
    expect(new Date(newYorkDate(t('2024-01-03T03:00:00Z'))).toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(new Date(newYorkDate(t('2024-01-03T05:00:00Z'))).toISOString()).toBe('2024-01-03T00:00:00.000Z');
  });

  it('formats RFC-3339 with the New York offset and whole seconds', () => {
    expect(formatNewYorkTime(t('2024-01-02T05:00:00.999Z'))).toBe('2024-01-02T00:00:00-05:00');
    expect(formatNewYorkTime(t('2024-07-03T03:59:59Z'))).toBe('2024-07-02T23:59:59-04:00');
    expect(Date.parse(formatNewYorkTime(t('2024-07-03T03:59:59Z')))).toBe(t('2024-07-03T03:59:59Z'));
  });
});
