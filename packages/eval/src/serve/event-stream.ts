import type { ServerResponse } from 'node:http';

/** Server-sent events as OpenAI streams them: `data: {json}` per chunk, `data: [DONE]` at the end. */
export class EventStream {
  private started = false;

  constructor(private readonly res: ServerResponse) {}

  send(chunk: unknown): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.started) {
      this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      this.started = true;
    }
    // the chunks of one scheduler step (one per running stream) leave in one write
    if (!this.res.writableCorked) {
      this.res.cork();
      process.nextTick(() => this.res.uncork());
    }
    this.res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  done(): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.started) this.send({});
    this.res.end('data: [DONE]\n\n');
  }
}
