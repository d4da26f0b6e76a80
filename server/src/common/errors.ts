import { HttpException, HttpStatus } from '@nestjs/common';
import type { GraphProblem } from '@studioflow/runtime/graph';

/** 422 with the validator's full problem list, so the editor can mark every offending node. */
export class GraphProblemsException extends HttpException {
  constructor(problems: GraphProblem[], message = 'the graph is invalid') {
    super({ statusCode: 422, error: 'Unprocessable Entity', message, problems }, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
