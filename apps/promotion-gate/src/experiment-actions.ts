import { ConfigError, formatIsoTime } from '@quantbot/core';
import type { ExperimentInput } from '@quantbot/research-registry';
import { asJsonObject, parseExperimentInput } from '@quantbot/research-registry';
import type { ResearchAction } from './research-action';
import { EXPERIMENT_FLAG, PAYLOAD_FILE_FLAG, PAYLOAD_FLAG, experimentFlag, stringFlag } from './research-action';
import { formatTable } from './checklist-table';
import { readPayload, withFlagFields } from './payload';

/** `create`: a new experiment; prints its id. */
export const CREATE_ACTION: ResearchAction = {
  name: 'create',
  summary: 'create an experiment (strategy, hypothesis, owner); prints its id',
  flags: [
    { name: 'strategy', kind: 'string', valueName: 'name|file', description: 'the strategy under study (sma-crossover, ...), or a strategy file (./my-strategy.ts)' },
    { name: 'hypothesis', kind: 'string', valueName: 'text', description: 'what the experiment sets out to show' },
    { name: 'owner', kind: 'string', valueName: 'name', description: 'who answers for it' },
    PAYLOAD_FLAG,
    PAYLOAD_FILE_FLAG,
  ],
  help: `Payload: {"strategy": "...", "hypothesis": "...", "owner": "..."}; flags fill the same fields.
The strategy must be one Quantbot ships (sma-crossover, bracket-momentum, earnings-momentum, ...): an
unknown name is refused (exit 2) with the list. Or a strategy file (a path, relative to the working
folder): the file is read and checked, and the experiment records its absolute path, the sha256 of
its bytes and its definition's name and version. A changed file is a different strategy: snapshots
and run evidence of the experiment are refused for it. The owner may not approve the experiment's review.
Prints only the new id (exp-<n>), so scripts can capture it:
  EXP=$(node apps/promotion-gate/dist/main.js create --strategy sma-crossover --hypothesis "trend persists" --owner alice)`,
  async prepare({ flags, io }) {
    const payload = readPayload(flags, io);
    const merged = withFlagFields(payload.value, [
      { field: 'strategy', flag: 'strategy', value: stringFlag(flags, 'strategy') },
      { field: 'hypothesis', flag: 'hypothesis', value: stringFlag(flags, 'hypothesis') },
      { field: 'owner', flag: 'owner', value: stringFlag(flags, 'owner') },
    ]);
    const parsed = parseExperimentInput(merged, payload.source);
    const input = await withStrategyFile(parsed, io.cwd);
    return {
      run: async ({ registry }) => {
        const experiment = await registry.createExperiment(input);
        return { exitCode: 0, json: { experiment }, text: [experiment.id] };
      },
    };
  },
};

/**
 * When `input.strategy` is a strategy file (read relative to `cwd`), the experiment of it: its
 * definition's name, and the file recorded; otherwise `input` as it is.
 */
async function withStrategyFile(input: ExperimentInput, cwd: string): Promise<ExperimentInput> {
  // Validation is a slow import: loaded only by create.
  const { isStrategyFileRef, loadStrategyFile } = await import('@quantbot/validation');
  if (!isStrategyFileRef(input.strategy)) return input;
  const loaded = loadStrategyFile(input.strategy, cwd, { key: '--strategy' });
  return {
    ...input,
    strategy: loaded.definition.name,
    strategyFile: { path: loaded.file.path, sha256: loaded.file.sha256, version: loaded.definition.version ?? '' },
  };
}

/** `snapshot`: registers a parameter snapshot (deduplicated by content hash). */
export const SNAPSHOT_ACTION: ResearchAction = {
  name: 'snapshot',
  summary: 'register a parameter snapshot (the same parameters are recognized by hash, never duplicated)',
  flags: [
    EXPERIMENT_FLAG,
    { name: 'params', kind: 'string', valueName: 'json', description: 'the parameters as a JSON object' },
    { name: 'label', kind: 'string', valueName: 'text', description: 'a name for a new snapshot' },
    PAYLOAD_FLAG,
    PAYLOAD_FILE_FLAG,
  ],
  help: `Payload: {"params": {...}, "label": "..."}. The parameters are checked against the strategy's
parameter schema (JSON numbers or booleans, types, ranges, fast < slow): a misfit is refused (exit 2)
naming the field (params.fast: ...). For an experiment of a strategy file, the file is read again and
must hash as recorded at create (a changed file is refused, exit 2, with both hashes); the parameters
are checked against its schema, and the snapshot records the file's hash. The snapshot becomes the experiment's current one,
which later evidence and checks use unless --snapshot names another.
  snapshot --experiment exp-1 --params '{"fast": 10, "slow": 30}' --label baseline`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const payload = readPayload(flags, io);
    const paramsText = stringFlag(flags, 'params');
    let params: unknown;
    if (paramsText !== undefined) {
      try {
        params = JSON.parse(paramsText) as unknown;
      } catch (error) {
        throw new ConfigError('--params', `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const merged = withFlagFields(payload.value, [
      { field: 'params', flag: 'params', value: params },
      { field: 'label', flag: 'label', value: stringFlag(flags, 'label') },
    ]) as Record<string, unknown>;
    const unknownKey = Object.keys(merged).find((key) => key !== 'params' && key !== 'label');
    if (unknownKey !== undefined) throw new ConfigError(`payload.${unknownKey}`, 'unknown field; expected params, label');
    if (merged['params'] === undefined) throw new ConfigError('--params', 'is required: the parameters as a JSON object (or payload.params)');
    const checked = asJsonObject(merged['params'], '--params');
    const label = merged['label'];
    if (label !== undefined && (typeof label !== 'string' || label.trim() === '')) throw new ConfigError('payload.label', 'must be a non-empty string');
    return {
      run: async ({ registry }) => {
        const { record, created } = await registry.createSnapshot(experimentId, checked, { label: label === undefined ? null : (label as string) });
        const status = created ? 'new' : 'already registered: the same parameters';
        return {
          exitCode: 0,
          json: { snapshot: record, created },
          text: [
            `${record.id} (${status}) of ${experimentId}, now current; params sha256 ${record.paramsHash}`,
            `params ${JSON.stringify(record.params)}`,
            ...(record.strategyFileSha256 === null ? [] : [`strategy file sha256 ${record.strategyFileSha256}`]),
          ],
        };
      },
    };
  },
};

/** `list`: every experiment. */
export const LIST_ACTION: ResearchAction = {
  name: 'list',
  summary: 'list the experiments',
  flags: [],
  help: '',
  async prepare() {
    return {
      run: async ({ registry, where }) => {
        const experiments = await registry.listExperiments();
        const rows = experiments.map((e) => [e.id, e.strategy, e.owner, e.currentSnapshotId ?? '-', formatIsoTime(e.createdAt), e.hypothesis]);
        return {
          exitCode: 0,
          json: { experiments },
          text: experiments.length === 0 ? [`no experiments in ${where}`] : formatTable(['id', 'strategy', 'owner', 'snapshot', 'created', 'hypothesis'], rows),
        };
      },
    };
  },
};
