import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Scene templates are data: `templates/scenes/*.json`, one scene per file, described in
 * `templates/scenes/README.md`. This file is their schema and their loader.
 */

/** dist/src/generate → the repository's templates/scenes (the package runs from its build output). */
export const SCENES_DIR = resolve(__dirname, '..', '..', '..', '..', 'templates', 'scenes');

const Text = Type.String({ minLength: 1, maxLength: 300 });
const TextList = Type.Array(Text, { maxItems: 12 });
const SCENE_ID = '^[a-z][a-z0-9-]{0,47}$';
const OPTION_NAME = '^[a-z][A-Za-z0-9]{0,31}$';
const OPTION_VALUE = '^[a-z0-9][a-z0-9-]{0,31}$';

/** The template parts an option value may replace; the same names as in the template itself. */
const SceneParts = Type.Object(
  {
    scene: Type.Optional(Text),
    surface: Type.Optional(Text),
    props: Type.Optional(TextList),
    lightDirection: Type.Optional(Text),
    timeOfDay: Type.Optional(Text),
  },
  { additionalProperties: false },
);

const OptionValue = Type.Object(
  {
    title: Text,
    set: SceneParts,
    negative: Type.Optional(TextList),
  },
  { additionalProperties: false },
);

const SceneOption = Type.Object(
  {
    title: Text,
    default: Type.String({ pattern: OPTION_VALUE }),
    values: Type.Record(Type.String({ pattern: OPTION_VALUE }), OptionValue, { minProperties: 2, additionalProperties: false }),
  },
  { additionalProperties: false },
);

const SceneTier = Type.Object(
  {
    detail: Type.Array(Text, { minItems: 1, maxItems: 12 }),
    lens: Text,
    depthOfField: Text,
    grading: Text,
    negative: TextList,
  },
  { additionalProperties: false },
);

export const SceneTemplateSchema = Type.Object(
  {
    id: Type.String({ pattern: SCENE_ID }),
    title: Text,
    summary: Text,
    scene: Text,
    surface: Text,
    props: TextList,
    lightDirection: Text,
    timeOfDay: Text,
    negative: TextList,
    options: Type.Record(Type.String({ pattern: OPTION_NAME }), SceneOption, { additionalProperties: false }),
    tiers: Type.Object({ standard: SceneTier, premium: SceneTier }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export type SceneTemplate = Static<typeof SceneTemplateSchema>;
export type SceneTier = Static<typeof SceneTier>;
export type ScenePartName = keyof Static<typeof SceneParts>;
export const TIERS = ['standard', 'premium'] as const;
export type Tier = (typeof TIERS)[number];

/** Param names of the compose-prompt node: an option may not take one. */
const RESERVED_OPTION_NAMES = new Set(['scene', 'tier', 'title']);
/** The option value that means "whatever the scene picks". */
export const SCENE_DEFAULT = 'default';

export class SceneTemplateError extends Error {
  constructor(file: string, problem: string) {
    super(`scene template ${file}: ${problem}`);
    this.name = 'SceneTemplateError';
  }
}

/** Parses and checks one scene file; throws a SceneTemplateError that names the file and the field. */
export function parseSceneTemplate(text: string, file: string): SceneTemplate {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SceneTemplateError(file, `not valid JSON (${(err as Error).message})`);
  }
  const errors = [...Value.Errors(SceneTemplateSchema, json)].slice(0, 3);
  if (errors.length) {
    throw new SceneTemplateError(file, errors.map((e) => `${e.path || '/'} ${e.message.toLowerCase()}`).join('; '));
  }
  const scene = json as SceneTemplate;
  const expectedId = file.replace(/\.json$/, '');
  if (scene.id !== expectedId) throw new SceneTemplateError(file, `id "${scene.id}" must match the file name ("${expectedId}")`);
  for (const [name, option] of Object.entries(scene.options)) {
    if (RESERVED_OPTION_NAMES.has(name)) throw new SceneTemplateError(file, `option "${name}" takes the name of a node param`);
    if (!(option.default in option.values)) throw new SceneTemplateError(file, `option "${name}" defaults to "${option.default}", which is not one of its values`);
    if (SCENE_DEFAULT in option.values) throw new SceneTemplateError(file, `option "${name}" may not have a value called "${SCENE_DEFAULT}"`);
  }
  return scene;
}

export interface SceneLibrary {
  /** Sorted by id; the first is the node's default scene. */
  scenes: readonly SceneTemplate[];
  byId: ReadonlyMap<string, SceneTemplate>;
  /** Every option name some scene offers, sorted: one node param each. */
  optionNames: readonly string[];
  /** Changes whenever a scene file changes: part of the node's cache key. */
  fingerprint: string;
}

/** Loads every `*.json` in `dir`. A broken file stops the load: shipped scenes are tested data. */
export function loadSceneTemplates(dir: string = SCENES_DIR): SceneLibrary {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    throw new Error(`scene templates: cannot read ${dir} (${(err as Error).message})`);
  }
  if (!files.length) throw new Error(`scene templates: no *.json files in ${dir}`);
  const hash = createHash('sha256');
  const byId = new Map<string, SceneTemplate>();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    hash.update(file).update('\0').update(text).update('\0');
    const scene = parseSceneTemplate(text, file);
    byId.set(scene.id, scene);
  }
  const scenes = [...byId.values()];
  const optionNames = [...new Set(scenes.flatMap((s) => Object.keys(s.options)))].sort();
  return { scenes, byId, optionNames, fingerprint: hash.digest('hex').slice(0, 16) };
}
