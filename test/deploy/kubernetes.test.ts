import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const MANIFEST = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes', 'build-index.yaml');

interface Container {
  name: string;
  command: string[];
  env?: { name: string; value: string }[];
}
interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { completionMode?: string; completions?: number; template: { spec: { initContainers?: Container[]; containers: Container[] } } };
}

export function readBuildJobs(): { embed: Job; merge: Job } {
  const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8'));
  for (const doc of docs) expect(doc.errors).toEqual([]);
  const jobs = docs.map((d) => d.toJS() as Job);
  const embed = jobs.find((j) => j.metadata.name === 'papersift-embed');
  const merge = jobs.find((j) => j.metadata.name === 'papersift-merge');
  if (!embed || !merge) throw new Error('the manifest lacks the embed or the merge Job');
  return { embed, merge };
}

/** The `npm run build-index -- ARGS` a container runs, as ARGS. */
export function buildIndexArgs(container: Container): string[] {
  expect(container.command.slice(0, 4)).toEqual(['npm', 'run', 'build-index', '--']);
  return container.command.slice(4);
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

describe('the Kubernetes build manifest', () => {
  it('is an Indexed Job whose shard count matches PAPERSIFT_SHARD_COUNT, then a merge of the same shard folder', () => {
    const { embed, merge } = readBuildJobs();
    expect(embed).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed' } });
    const embedContainer = embed.spec.template.spec.containers[0];
    const count = embedContainer.env?.find((e) => e.name === 'PAPERSIFT_SHARD_COUNT')?.value;
    expect(Number(count)).toBe(embed.spec.completions);
    const embedArgs = buildIndexArgs(embedContainer);
    expect(option(embedArgs, '--corpus')).toBeTruthy();
    // The shard comes from JOB_COMPLETION_INDEX, not from a fixed --shard.
    expect(embedArgs).not.toContain('--shard');
    const mergeArgs = buildIndexArgs(merge.spec.template.spec.containers[0]);
    expect(option(mergeArgs, '--merge')).toBe(option(embedArgs, '--out'));
    expect(option(mergeArgs, '--out')).toBeTruthy();
    // The merge waits for exactly that many shard headers.
    const wait = merge.spec.template.spec.initContainers?.find((c) => c.name === 'wait-for-shards')?.command.join(' ') ?? '';
    expect(wait).toContain(`-of-${String(embed.spec.completions).padStart(5, '0')}.json`);
    expect(wait).toContain(`-eq ${embed.spec.completions}`);
    // The model is copied and checked before any shard starts.
    expect(embed.spec.template.spec.initContainers?.[0].command).toEqual(['npm', 'run', 'setup', '--', '--from', '/model-source']);
  });
});
