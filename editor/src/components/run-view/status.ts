/** A run or node status as its pill says it: short enough to fit (awaiting_review is "in review"). */
export function statusLabel(status: string): string {
  return status === 'awaiting_review' ? 'in review' : status;
}
