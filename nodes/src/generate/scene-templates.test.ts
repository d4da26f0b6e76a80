import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSceneTemplates, parseSceneTemplate, SCENES_DIR, TIERS } from './scene-templates';

const shippedText = readFileSync(join(SCENES_DIR, 'oak-window-golden-hour.json'), 'utf8');
/** The shipped oak scene with `edit` applied, as a file named `file`. */
const variant = (edit: (scene: any) => void) => {
  const scene = JSON.parse(shippedText);
  edit(scene);
  return JSON.stringify(scene);
};

describe('scene templates', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('ships the five scenes, each with a standard and a premium tier that differ', () => {
    const library = loadSceneTemplates();
    assert.deepEqual(library.scenes.map((s) => s.id), [
      'concrete-plinth-hard-light',
      'marble-bathroom',
      'oak-window-golden-hour',
      'outdoor-picnic',
      'pastel-seamless-props',
    ]);
    for (const scene of library.scenes) {
      for (const tier of TIERS) assert.ok(scene.tiers[tier].detail.length > 0, `${scene.id}/${tier}`);
      const { standard, premium } = scene.tiers;
      for (const part of ['lens', 'depthOfField', 'grading'] as const) assert.notEqual(premium[part], standard[part], `${scene.id}: ${part}`);
      assert.ok(premium.detail.length > standard.detail.length, `${scene.id}: premium has the richer detail`);
    }
    assert.deepEqual(library.optionNames, ['light', 'palette', 'props', 'timeOfDay']);
    assert.match(library.fingerprint, /^[0-9a-f]{16}$/);
  });

  it('refuses a scene file missing a tier, naming the file and the field', () => {
    assert.throws(
      () => parseSceneTemplate(variant((s) => delete s.tiers.premium), 'oak-window-golden-hour.json'),
      /^SceneTemplateError: scene template oak-window-golden-hour\.json: \/tiers\/premium expected required property/,
    );
  });

  it('refuses a scene file with a wrong type, an unknown field, bad JSON or an id that is not its file name', () => {
    const cases: Array<[string, string, RegExp]> = [
      [variant((s) => (s.tiers.standard.lens = 50)), 'oak-window-golden-hour.json', /\/tiers\/standard\/lens expected string/],
      [variant((s) => (s.prompt = 'anything at all')), 'oak-window-golden-hour.json', /\/prompt unexpected property/],
      ['{ "id": "oak-window-golden-hour", ', 'oak-window-golden-hour.json', /not valid JSON/],
      [shippedText, 'oak.json', /id "oak-window-golden-hour" must match the file name \("oak"\)/],
      [variant((s) => (s.options.timeOfDay.default = 'midnight')), 'oak-window-golden-hour.json', /option "timeOfDay" defaults to "midnight", which is not one of its values/],
      [variant((s) => (s.options.title = s.options.props)), 'oak-window-golden-hour.json', /option "title" takes the name of a node param/],
      [variant((s) => (s.options.props.values.default = { title: 'x', set: {} })), 'oak-window-golden-hour.json', /option "props" may not have a value called "default"/],
    ];
    for (const [text, file, message] of cases) {
      assert.throws(() => parseSceneTemplate(text, file), (err: Error) => err.name === 'SceneTemplateError' && message.test(err.message) && err.message.includes(file), message.source);
    }
  });

  it('stops loading a folder at its first broken file, and tells which one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-scenes-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'oak-window-golden-hour.json'), shippedText);
    writeFileSync(join(dir, 'zz-broken.json'), variant((s) => (s.id = 'zz-broken') && delete s.surface));
    assert.throws(() => loadSceneTemplates(dir), /scene template zz-broken\.json: \/surface expected required property/);
    rmSync(join(dir, 'zz-broken.json'));
    assert.deepEqual(loadSceneTemplates(dir).scenes.map((s) => s.id), ['oak-window-golden-hour']);
  });

  it('changes its fingerprint when a scene file changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-scenes-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'oak-window-golden-hour.json'), shippedText);
    const before = loadSceneTemplates(dir).fingerprint;
    writeFileSync(join(dir, 'oak-window-golden-hour.json'), variant((s) => (s.tiers.premium.lens = 'a 135mm lens at f/2')));
    assert.notEqual(loadSceneTemplates(dir).fingerprint, before);
  });
});
