import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically } from './durable-file';

describe('writeFileAtomically', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'qb-durable-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the folder, replaces an existing file whole, and leaves no temporary file', () => {
    const path = join(dir, 'a', 'b', 'state.json');
    writeFileAtomically(path, '{"v":1}\n');
    writeFileAtomically(path, new Uint8Array(Buffer.from('{"v":2}\n')));
    expect(readFileSync(path, 'utf8')).toBe('{"v":2}\n');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['state.json']);
  });

  it('leaves the old file and no temporary file when the target cannot be replaced', () => {
    const target = join(dir, 'is-a-folder');
    writeFileAtomically(join(target, 'inner'), 'x');
    expect(() => writeFileAtomically(target, 'y')).toThrow();
    expect(readdirSync(dir)).toEqual(['is-a-folder']);
  });
});
