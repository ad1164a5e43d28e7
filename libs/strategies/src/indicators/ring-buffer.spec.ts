import { RingBuffer } from './ring-buffer';

describe('RingBuffer', () => {
  it('returns NaN until full, then evicts the oldest value on each push', () => {
    const rb = new RingBuffer(3);
    expect([rb.push(1), rb.push(2), rb.push(3)]).toEqual([NaN, NaN, NaN]);
    expect(rb.isFull).toBe(true);
    expect([rb.push(4), rb.push(5)]).toEqual([1, 2]);
    expect(rb.size).toBe(3);
  });

  it('reads values by age, newest first', () => {
    const rb = new RingBuffer(3);
    [1, 2, 3, 4].forEach((v) => rb.push(v));
    expect([rb.at(0), rb.at(1), rb.at(2), rb.at(3)]).toEqual([4, 3, 2, NaN]);
  });

  it('reset empties it', () => {
    const rb = new RingBuffer(2);
    [1, 2, 3].forEach((v) => rb.push(v));
    rb.reset();
    expect(rb.size).toBe(0);
    expect(rb.at(0)).toBeNaN();
    expect(rb.push(9)).toBeNaN();
  });
});
