/**
 * How the three apps' JavaScript is cut into files (used by vite.config.ts).
 *
 * Vendor groups change less often than our code, so a release that only touches our code keeps the
 * browser's cached copies; each group is loaded only by the apps that import it (xyflow and the
 * schema validator only by the editor).
 */
import type { Rolldown } from 'vite';

const pkg = (names: string) => new RegExp(`[\\\\/]node_modules[\\\\/](${names})[\\\\/]`);

export const vendorChunks: Rolldown.CodeSplittingOptions = {
  groups: [
    { name: 'react', test: pkg('react|react-dom|scheduler'), priority: 30 },
    { name: 'socket', test: pkg('socket\\.io-client|socket\\.io-parser|engine\\.io-client|engine\\.io-parser|@socket\\.io|xmlhttprequest-ssl|debug|ms'), priority: 20 },
    { name: 'xyflow', test: pkg('@xyflow|d3-[a-z-]+|classcat|zustand|use-sync-external-store'), priority: 20 },
    { name: 'schema', test: pkg('ajv|ajv-formats|fast-uri|fast-deep-equal|json-schema-traverse|@sinclair'), priority: 20 },
  ],
};

/**
 * The shared graph model (runtime/src/graph) compiles its JSON Schema validator when its module
 * loads; declared free of side effects, the shoot app and the review console, which only use its
 * constants and types, do not ship the validator (ajv, TypeBox).
 */
export const treeshakeGraphModel: Rolldown.InputOptions['treeshake'] = {
  moduleSideEffects: [{ test: /[\\/]runtime[\\/]src[\\/]graph[\\/]/, sideEffects: false }],
};
