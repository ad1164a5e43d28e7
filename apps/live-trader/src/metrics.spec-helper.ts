/** One sample of a Prometheus text exposition: `name{labels} value`; undefined when absent. */
export function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter((l) => l !== '').sort();
    if (have.join(',') === wanted.join(',')) return Number(match[3]);
  }
  return undefined;
}

/** GETs a scrape URL; throws unless 200. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`scrape ${url}: ${response.status}`);
  return response.text();
}
