/**
 * Group commit: items submitted while a flush is running wait and go together in the next one.
 * An idle system flushes at once (no added latency); a busy one gets big batches.
 */
export class GroupCommitter<T> {
  private pending: Array<{ item: T; resolve: () => void; reject: (e: unknown) => void }> = [];
  private running = 0;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxBatch = 500,
    private readonly maxParallel = 2,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.maxParallel && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.running++;
      this.flush(batch.map((b) => b.item))
        .then(
          () => batch.forEach((b) => b.resolve()),
          (err) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
