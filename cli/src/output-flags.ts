import { copyFile, writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import sharp from 'sharp';
import { isArtifactRef, type PortValues } from '@studioflow/runtime/contract';
import type { GraphDoc, NodeTypeDescriptor } from '@studioflow/runtime/graph';

/** One `--output <node>.<port> [file]`: any node's output written to a file (the mask, the cut-out). */
export interface OutputRequest {
  node: string;
  port: string;
  /** Where to write it; default `<node>.<port>.<ext>` in the working directory. */
  file?: string;
}

export class UsageError extends Error {}

const SPEC = /^([A-Za-z][A-Za-z0-9_-]{0,63})\.([A-Za-z][A-Za-z0-9_-]*)$/;

/**
 * Takes every `--output <node>.<port> [file]` (or `--output=<node>.<port>`) out of argv, since
 * parseArgs has no flag with an optional second value. A file is the next argument when it does not
 * start with "-" and is not itself a `<node>.<port>` spec.
 */
export function takeOutputFlags(argv: readonly string[]): { rest: string[]; outputs: OutputRequest[] } {
  const rest: string[] = [];
  const outputs: OutputRequest[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg !== '--output' && !arg.startsWith('--output=')) {
      rest.push(arg);
      continue;
    }
    const spec = arg === '--output' ? argv[++i] : arg.slice('--output='.length);
    const match = spec === undefined ? null : SPEC.exec(spec);
    if (!match) throw new UsageError(`--output takes <node>.<port>, e.g. --output segment.mask mask.png (got ${spec === undefined ? 'nothing' : JSON.stringify(spec)})`);
    const next = argv[i + 1];
    const file = arg === '--output' && next !== undefined && !next.startsWith('-') && !SPEC.test(next) ? argv[++i] : undefined;
    outputs.push({ node: match[1], port: match[2], ...(file ? { file } : {}) });
  }
  return { rest, outputs };
}

/** Refuses, before anything runs, an output the graph cannot produce: an unknown node, or a port its type lacks. */
export function checkOutputRequests(doc: GraphDoc, descriptors: readonly NodeTypeDescriptor[], outputs: readonly OutputRequest[]): void {
  for (const o of outputs) {
    const node = doc.nodes.find((n) => n.id === o.node);
    if (!node) throw new UsageError(`--output ${o.node}.${o.port}: the graph has no node "${o.node}" (nodes: ${doc.nodes.map((n) => n.id).join(', ')})`);
    const descriptor = descriptors.find((d) => d.type === node.type);
    if (descriptor && !descriptor.outputs.some((p) => p.name === o.port)) {
      throw new UsageError(`--output ${o.node}.${o.port}: ${node.type} node "${o.node}" has no output "${o.port}" (outputs: ${descriptor.outputs.map((p) => p.name).join(', ')})`);
    }
  }
}

/**
 * Writes each requested output that the run produced: an artifact as its file (converted when the
 * file's extension names another image format), a plain value as JSON. Returns the lines to print
 * and the outputs that were not produced (their node failed or never ran).
 */
export async function writeOutputs(
  outputs: readonly OutputRequest[],
  nodeOutputs: (nodeId: string) => PortValues | undefined,
  pathOf: (hash: string) => Promise<string>,
): Promise<{ written: string[]; missing: string[] }> {
  const written: string[] = [];
  const missing: string[] = [];
  for (const o of outputs) {
    const value = nodeOutputs(o.node)?.[o.port];
    if (value === undefined || value === null) {
      missing.push(`${o.node}.${o.port}`);
      continue;
    }
    if (isArtifactRef(value)) {
      const file = resolve(o.file ?? `${o.node}.${o.port}${EXTENSIONS[value.mime] ?? '.bin'}`);
      const format = FORMATS[extname(file).toLowerCase()];
      if (!format || MIMES[format] === value.mime) await copyFile(await pathOf(value.hash), file);
      else await sharp(await pathOf(value.hash)).toFormat(format).toFile(file);
      written.push(`${o.node}.${o.port} → ${file} (${value.width ?? '?'}×${value.height ?? '?'}, ${format ? MIMES[format] : value.mime})`);
    } else {
      const file = resolve(o.file ?? `${o.node}.${o.port}.json`);
      await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
      written.push(`${o.node}.${o.port} → ${file} (JSON)`);
    }
  }
  return { written, missing };
}

const EXTENSIONS: Record<string, string> = { 'image/png': '.png', 'image/jpeg': '.jpg', 'image/webp': '.webp', 'application/json': '.json' };
const FORMATS: Record<string, 'png' | 'jpeg' | 'webp'> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
const MIMES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
