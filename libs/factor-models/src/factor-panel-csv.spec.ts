import fc from 'fast-check';
import { DataError } from '@quantbot/core';
import { parseFactorPanelCsv } from './factor-panel-csv';

function errorOf(action: () => unknown): DataError {
  try {
    action();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}

const HEADER = 'date,symbol,close,momentum,value,group';

describe('parseFactorPanelCsv', () => {
  it('reads a panel, keeping empty cells as counted missing values', () => {
    const text = `\uFEFF${HEADER}\r\n2024-01-02,AAA,10,0.5,,Tech\r\n2024-01-02,BBB,20,-0.5,1.5,\r\n\r\n2024-01-03,AAA,11,1e-2,2,Tech\r\n`;
    const panel = parseFactorPanelCsv(text, { file: 'panel.csv' });
    expect(panel.rows).toBe(3);
    expect(panel.factorNames).toEqual(['momentum', 'value']);
    expect(panel.missing).toEqual({ close: 0, momentum: 0, value: 1 });
    expect(Array.from(panel.factors['value'] ?? [])).toEqual([NaN, 1.5, 2]);
    expect(Array.from(panel.factors['momentum'] ?? [])).toEqual([0.5, -0.5, 0.01]);
    expect(panel.group).toEqual(['Tech', null, 'Tech']);
  });

  it('reads RFC 4180 quoted cells: commas, doubled quotes, line breaks, CRLF and spaces around the quotes', () => {
    const text = [
      'date,"symbol",close,"my ""best"" factor",group',
      '2024-01-02,"BRK,B",10,"1.5","Financials, US"',
      '2024-01-02,  "AAA"  ,20,"","say ""hi"""',
      '"2024-01-02","multi',
      'line",30," -2e-1 ",""',
      '2024-01-03,CCC,40,3,Tech',
      '',
    ].join('\r\n');
    const panel = parseFactorPanelCsv(text, { file: 'quoted.csv' });
    expect(panel.factorNames).toEqual(['my "best" factor']);
    expect(panel.symbols).toEqual(['AAA', 'BRK,B', 'CCC', 'multi\r\nline']);
    expect(Array.from(panel.factors['my "best" factor'] ?? [])).toEqual([NaN, 1.5, -0.2, 3]);
    expect(panel.group).toEqual(['say "hi"', 'Financials, US', null, 'Tech']);
    expect(Array.from(panel.close ?? [])).toEqual([20, 10, 30, 40]);
  });

  it('names the line a record starts on, counting line breaks inside quotes', () => {
    const text = `${HEADER}\n2024-01-02,"A\n\nB",10,1,1,T\n2024-01-02,"A\n\nB",11,1,1,T\n`;
    expect(errorOf(() => parseFactorPanelCsv(text, { file: 'panel.csv' })).message).toMatch(/panel\.csv:5, symbol A\n\nB, field symbol: duplicate row for 2024-01-02 A\n\nB \(first at line 2\)/);
  });

  it('reads back any text written as quoted cells (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ',', '"', '\n', '\r\n', ' ', '\t', 'é'), maxLength: 8 });
    const quote = (cell: string) => `"${cell.replace(/"/g, '""')}"`;
    fc.assert(
      fc.property(fc.uniqueArray(text.filter((s) => s.length > 0), { minLength: 1, maxLength: 5 }), fc.array(text, { minLength: 5, maxLength: 5 }), (symbols, groups) => {
        const lines = ['date,symbol,close,f,group', ...symbols.map((s, i) => ['2024-01-02', quote(s), '1', quote(String(i)), quote(groups[i] as string)].join(','))];
        const panel = parseFactorPanelCsv(lines.join('\n'));
        const bySymbol = new Map(symbols.map((s, i) => [s, i]));
        expect([...panel.symbols].sort()).toEqual([...symbols].sort());
        for (let row = 0; row < panel.rows; row++) {
          const i = bySymbol.get(panel.symbols[panel.symbolIndex[row] as number] as string) as number;
          expect(panel.factors['f']?.[row]).toBe(i);
          expect(panel.group?.[row]).toBe(groups[i] === '' ? null : groups[i]);
        }
      }),
      { seed: 4180, numRuns: 300 },
    );
  });

  it('reads forward_return instead of close', () => {
    const panel = parseFactorPanelCsv('date,symbol,forward_return,f\n2024-01-02,A,0.01,1\n2024-01-02,B,,2\n');
    expect(panel.close).toBeNull();
    expect(Array.from(panel.forwardReturn ?? [])).toEqual([0.01, NaN]);
    expect(panel.missing['forward_return']).toBe(1);
  });

  it.each([
    ['a value that is not a number', `${HEADER}\n2024-01-02,AAA,10,abc,1,T\n`, 2, 'momentum', /panel\.csv:2, field momentum: column 4: 'abc' is not a number/],
    ['a number with trailing text', `${HEADER}\n2024-01-02,AAA,10,1,2x,T\n`, 2, 'value', /column 5: '2x' is not a number/],
    ['a bad date', `${HEADER}\n2024-01-02,AAA,10,1,1,T\n2024-13-01,BBB,10,1,1,T\n`, 3, 'date', /panel\.csv:3, field date: '2024-13-01' is not a date/],
    ['a duplicate (date, symbol)', `${HEADER}\n2024-01-02,AAA,10,1,1,T\n2024-01-03,AAA,10,1,1,T\n2024-01-02,AAA,11,1,1,T\n`, 4, 'symbol', /panel\.csv:4, symbol AAA, field symbol: duplicate row for 2024-01-02 AAA \(first at line 2\)/],
    ['a non-positive close', `${HEADER}\n2024-01-02,AAA,-1,1,1,T\n`, 2, 'close', /close must be positive/],
    ['a quote inside an unquoted cell', `${HEADER}\n2024-01-02,AA"A,10,1,1,T\n`, 2, 'symbol', /panel\.csv:2, field symbol: column 2: a quote inside an unquoted cell/],
    ['text after a closing quote', `${HEADER}\n2024-01-02,AAA,10,"1"x,1,T\n`, 2, 'momentum', /column 4: text after the closing quote/],
    ['a quoted cell never closed', `${HEADER}\n2024-01-02,AAA,10,1,1,T\n2024-01-03,AAA,10,1,"1,T\n2024-01-04,AAA,10,1,1,T\n`, 3, 'value', /column 5: the quoted cell opened on line 3 is never closed/],
    ['a quoted value that is not a number', `${HEADER}\r\n"2024-01-02","A,B","10","1,5",1,T\r\n`, 2, 'momentum', /column 4: '1,5' is not a number/],
    ['a bad date after a record spanning two lines', `${HEADER}\n2024-01-02,"A\nB",10,1,1,T\n2024-02-30,C,10,1,1,T\n`, 4, 'date', /panel\.csv:4, field date: '2024-02-30'/],
    ['a repeated column', 'date,symbol,close,f,f\n', 1, 'f', /column 'f' appears twice \(columns 4 and 5\)/],
  ])('names file, line and column for %s', (_what, text, line, field, message) => {
    const error = errorOf(() => parseFactorPanelCsv(text, { file: 'panel.csv' }));
    expect(error.location).toEqual(expect.objectContaining({ file: 'panel.csv', line, field }));
    expect(error.message).toMatch(message);
  });

  it.each([
    ['a short line', `${HEADER}\n2024-01-02,AAA,10,1\n`, 2, /expected 6 cells, got 4/],
    ['no close or forward_return', 'date,symbol,f\n', 1, /missing column 'close' \(or 'forward_return'\)/],
    ['both close and forward_return', 'date,symbol,close,forward_return,f\n', 1, /both 'close' and 'forward_return'/],
    ['no factor column', 'date,symbol,close,group\n', 1, /no factor column/],
    ['no symbol column', 'date,close,f\n', 1, /missing column 'symbol'/],
    ['an empty file', '', 1, /empty file/],
  ])('names file and line for %s', (_what, text, line, message) => {
    const error = errorOf(() => parseFactorPanelCsv(text, { file: 'panel.csv' }));
    expect(error.location).toEqual(expect.objectContaining({ file: 'panel.csv', line }));
    expect(error.message).toMatch(message);
  });
});
