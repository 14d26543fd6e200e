/** Reads deploy/kubernetes/build-index.yaml with a YAML library, for the manifest test and the local run of its commands. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const MANIFEST = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes', 'build-index.yaml');

export interface Container {
  name: string;
  command: string[];
  env?: { name: string; value: string }[];
}
export interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { completionMode?: string; completions?: number; template: { spec: { initContainers?: Container[]; containers: Container[] } } };
}

export function readBuildJobs(): { embed: Job; merge: Job } {
  const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8'));
  for (const doc of docs) if (doc.errors.length > 0) throw new Error(`build-index.yaml: ${doc.errors.map((e) => e.message).join('; ')}`);
  const jobs = docs.map((d) => d.toJS() as Job);
  const embed = jobs.find((j) => j.metadata.name === 'papersift-embed');
  const merge = jobs.find((j) => j.metadata.name === 'papersift-merge');
  if (!embed || !merge) throw new Error('the manifest lacks the embed or the merge Job');
  return { embed, merge };
}

/** The `npm run build-index -- ARGS` a container runs, as ARGS. */
export function buildIndexArgs(container: Container): string[] {
  if (container.command.slice(0, 4).join(' ') !== 'npm run build-index --') throw new Error(`${container.name} does not run npm run build-index: ${container.command.join(' ')}`);
  return container.command.slice(4);
}

export function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

