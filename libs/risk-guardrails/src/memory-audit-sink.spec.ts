import { epochMs } from '@quantbot/core';
import { MemoryAuditSink } from './memory-audit-sink';

describe('MemoryAuditSink', () => {
  it('keeps entries in arrival order', () => {
    const sink = new MemoryAuditSink();
    sink.append({ time: epochMs(2), kind: 'b', detail: {} });
    sink.append({ time: epochMs(1), kind: 'a', detail: { n: 1 } });
    expect(sink.records.map((entry) => entry.kind)).toEqual(['b', 'a']);
    expect(sink.length).toBe(2);
  });

  it('filters by kind', () => {
    const sink = new MemoryAuditSink();
    sink.append({ time: epochMs(1), kind: 'order-rejected', detail: { code: 'halted' } });
    sink.append({ time: epochMs(2), kind: 'state-changed', detail: {} });
    expect(sink.ofKind('order-rejected')).toEqual([{ time: 1, kind: 'order-rejected', detail: { code: 'halted' } }]);
  });

  it('hands out a snapshot that later appends do not change', () => {
    const sink = new MemoryAuditSink();
    const before = sink.records;
    sink.append({ time: epochMs(1), kind: 'a', detail: {} });
    expect(before).toHaveLength(0);
  });
});
