import { BadRequestException, UnprocessableEntityException } from '@nestjs/common';
import { quote } from '../common/errors';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../common/json-depth';
import type { TemplateEntity } from '../db/entities';

/** The `params` form field of a shoot or a batch: a JSON object of exposed params, or nothing. */
export function parseParams(json: string | undefined): Record<string, unknown> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  } catch {
    throw new BadRequestException('params must be a JSON object like {"composite.fill": 0.8}');
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) throw new BadRequestException(`params is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

/**
 * What is wrong with params a seller sets on a template (keyed `<nodeId>.<param>`): one not exposed,
 * or a value outside the template's allowed list. The node's own schema checks the rest when the run
 * is planned. Empty when nothing is wrong.
 */
export function exposedParamProblems(template: Pick<TemplateEntity, 'slug' | 'exposedParams'>, params: Record<string, unknown>): string[] {
  const exposed = new Map(template.exposedParams.map((e) => [`${e.nodeId}.${e.param}`, e]));
  const problems: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const e = exposed.get(key);
    if (!e) {
      problems.push(`param ${quote(key)} is not exposed by template ${template.slug} (exposed: ${[...exposed.keys()].join(', ') || 'none'})`);
    } else if (e.allowed && !e.allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
      problems.push(`param ${quote(key)} must be one of ${JSON.stringify(e.allowed)}`);
    }
  }
  return problems;
}

/** Throws 422 with the first problem of {@link exposedParamProblems}. */
export function checkExposedParams(template: Pick<TemplateEntity, 'slug' | 'exposedParams'>, params: Record<string, unknown>): void {
  const [problem] = exposedParamProblems(template, params);
  if (problem) throw new UnprocessableEntityException(problem);
}
