import type { LocalRunEvent } from '@studioflow/runtime/local';

/** Per-node status lines with a bar, redrawn in place on a TTY; plain log lines otherwise. */
export class ProgressView {
  private readonly state = new Map<string, { status: string; progress: number; ms?: number }>();
  private drawn = 0;

  constructor(private readonly nodeIds: string[], private readonly tty: boolean) {
    for (const id of nodeIds) this.state.set(id, { status: 'pending', progress: 0 });
  }

  update(e: LocalRunEvent): void {
    const s = this.state.get(e.nodeId)!;
    if (e.type === 'node.started') Object.assign(s, { status: 'running', progress: 0 });
    if (e.type === 'node.progress') s.progress = e.progress;
    if (e.type === 'node.completed') Object.assign(s, { status: 'done', progress: 1, ms: e.durationMs });
    if (e.type === 'node.failed') s.status = `failed: ${e.error}`;
    if (this.tty) this.draw();
    else if (e.type !== 'node.progress') process.stderr.write(`${e.nodeId}: ${s.status}${s.ms !== undefined ? ` (${s.ms} ms)` : ''}\n`);
  }

  done(): void {
    if (this.tty) this.draw();
  }

  private draw(): void {
    if (this.drawn) process.stderr.write(`\x1b[${this.drawn}A`);
    for (const id of this.nodeIds) {
      const s = this.state.get(id)!;
      const filled = Math.round(s.progress * 20);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}]`;
      process.stderr.write(`\x1b[2K${id.padEnd(16)} ${bar} ${s.status}${s.ms !== undefined ? ` ${s.ms} ms` : ''}\n`);
    }
    this.drawn = this.nodeIds.length;
  }
}
