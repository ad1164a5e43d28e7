import { resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { verifyAuditLog } from '@quantbot/risk-guardrails';
import type { CliIo } from '@quantbot/core';

/**
 * `backtester verify-audit <file>`: verifies a hash-chained JSONL audit log. Exit 0 when every
 * record is intact and in order, 1 (naming the line and the problem) otherwise.
 */
export function verifyAuditCommand(argv: readonly string[], io: CliIo): number {
  const [file, ...extra] = argv;
  if (file === undefined || file.startsWith('--') || extra.length > 0) {
    throw new ConfigError('verify-audit', 'usage: backtester verify-audit <file>');
  }
  const path = resolve(io.cwd, file);
  const result = verifyAuditLog(path);
  if (result.ok) {
    io.out(`ok: ${result.records} record(s), hash chain intact (${path})`);
    return 0;
  }
  const problem = result.problem;
  io.err(`error: ${path}:${problem?.line ?? '?'}: ${problem?.kind ?? 'invalid'}: ${problem?.message ?? ''} (${result.records} record(s) verified before it)`);
  return 1;
}
