import { describe, expect, it } from 'vitest';
import { buildIndexArgs, option, readBuildJobs } from './kubernetes-manifest';

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
