/**
 * Gathers the calls made within one turn of the event loop and runs those with the same key as one
 * batch: requests from many clients that arrive together share a forward pass, without a fixed
 * wait that would delay a lone request.
 */
export class TickBatcher<In, Out> {
  private readonly pending = new Map<string, Array<{ input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }>>();
  private scheduled = false;

  constructor(
    private readonly run: (key: string, inputs: In[]) => Promise<Out[]> | Out[],
    private readonly maxBatch = Infinity,
  ) {}

  submit(key: string, input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(key) ?? [];
      list.push({ input, resolve, reject });
      this.pending.set(key, list);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const groups = [...this.pending.entries()];
    this.pending.clear();
    for (const [key, all] of groups) {
      for (let i = 0; i < all.length; i += this.maxBatch) {
        const batch = all.slice(i, i + this.maxBatch);
        try {
          const out = await this.run(
            key,
            batch.map((b) => b.input),
          );
          batch.forEach((b, j) => b.resolve(out[j]!));
        } catch (e) {
          batch.forEach((b) => b.reject(e));
        }
      }
    }
  }
}
