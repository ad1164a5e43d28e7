import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AlpacaProtocolError,
  parseAccount,
  parseClock,
  parseDecimal,
  parseOptionalDecimal,
  parseOrder,
  parsePosition,
} from './alpaca-types';
import { coreOrderStatus } from './alpaca-order-status';
import { parseTradeUpdate } from './stream-types';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'test-fixtures', `${name}.json`), 'utf8')) as Record<string, unknown>;

describe('decimal parsing', () => {
  it('parses decimal strings and finite numbers', () => {
    expect(parseDecimal('10', 'qty')).toBe(10);
    expect(parseDecimal('123.45', 'filled_avg_price')).toBe(123.45);
    expect(parseDecimal('-23140.2', 'cash')).toBe(-23140.2);
    expect(parseDecimal(0, 'bod_dtbp')).toBe(0);
    expect(parseOptionalDecimal(null, 'x')).toBeNull();
  });

  it.each(['', 'abc', '12abc', 'NaN', '1,000'])('throws AlpacaProtocolError naming the field for %j', (value) => {
    expect(() => parseDecimal(value, 'order.qty')).toThrow(AlpacaProtocolError);
    expect(() => parseDecimal(value, 'order.qty')).toThrow(/^order\.qty: /);
  });

  it('rejects non-strings', () => {
    expect(() => parseDecimal(undefined, 'account.cash')).toThrow(/account\.cash: expected a decimal string, got nothing/);
    expect(() => parseDecimal(Infinity, 'x')).toThrow(AlpacaProtocolError);
  });
});

describe('domain parsers on the recorded Alpaca examples', () => {
  it('parses the documented order', () => {
    const order = parseOrder(fixture('order'));
    expect(order).toMatchObject({
      id: '61e69015-8549-4bfd-b9c3-01e75843f47d',
      clientOrderId: 'eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4',
      status: 'accepted',
      qty: null,
      notional: 500,
      filledQty: 0,
      filledAvgPrice: null,
      side: 'buy',
    });
    expect(order.createdAt).toBe(Date.parse('2021-03-16T18:38:01.942282Z'));
  });

  it('parses the documented account and position', () => {
    expect(parseAccount(fixture('account'))).toMatchObject({ cash: -23140.2, buyingPower: 262113.632, multiplier: 4 });
    expect(parsePosition(fixture('position'))).toMatchObject({ symbol: 'AAPL', qty: 5, avgEntryPrice: 100, side: 'long' });
  });

  it('names the field of a bad value', () => {
    expect(() => parseOrder({ ...fixture('order'), filled_qty: 'ten' })).toThrow(/order\.filled_qty/);
    expect(() => parseOrder({ ...fixture('order'), status: 'done' })).toThrow(/order\.status: unknown order status/);
    expect(() => parseAccount({ ...fixture('account'), equity: '1.2.3' })).toThrow(/account\.equity/);
    expect(() => parseClock({ timestamp: 'x', is_open: true, next_open: 'y', next_close: 'z' })).toThrow(/clock\.timestamp/);
  });
});

describe('what a real account reports that the first client refused', () => {
  it('parses an order held as a bracket leg (status held), so listing open orders with a bracket does not throw', () => {
    const leg = parseOrder({ ...fixture('order'), status: 'held', order_class: 'bracket', qty: '10', notional: null, type: 'limit', limit_price: '120' });
    expect(leg.status).toBe('held');
    expect(coreOrderStatus(leg.status)).toBeNull();
  });

  it.each(['accepted', 'restated'])('parses a %s trade update instead of dropping it as malformed', (event) => {
    const update = parseTradeUpdate({ event, timestamp: '2024-03-05T15:00:00Z', order: { ...fixture('order'), updated_at: '2024-03-05T15:00:00Z' } });
    expect(update.event).toBe(event);
  });
});
