/** One access-log line: who, what, where it went, how it ended. Never a key, a prompt or an answer. */
export interface AccessLogEntry {
  /** ISO time the request arrived. */
  readonly time: string;
  /** The request id (the client's `x-request-id`, or the one generated for it). */
  readonly id: string;
  readonly client: string | null;
  readonly method: string;
  /** Path without its query string. */
  readonly path: string;
  readonly model: string | null;
  readonly stream: boolean;
  /** The endpoint that served it, when one did. */
  readonly endpoint: string | null;
  readonly status: number;
  /** Arrival to the last byte sent. @unit milliseconds */
  readonly latencyMs: number;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly totalTokens: number | null;
  /** The error code (the router's or the gateway's) when it failed; `CLIENT_CLOSED` when the caller went away. */
  readonly code: string | null;
}

/** Where access-log lines go: anything with a `write(text)` (process.stdout, a file stream). */
export interface LogSink {
  write(text: string): unknown;
}

/**
 * Writes one JSON line per request. Lines are batched and flushed once per turn of the event loop
 * (or at 64 KiB), so a busy gateway makes one write per batch instead of one per request.
 */
export class AccessLog {
  private buffer = "";
  private scheduled = false;
  private readonly sink: LogSink;

  constructor(sink: LogSink) {
    this.sink = sink;
  }

  write(entry: AccessLogEntry): void {
    this.buffer += `${JSON.stringify(entry)}\n`;
    if (this.buffer.length >= 65_536) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is buffered now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.buffer.length === 0) return;
    const text = this.buffer;
    this.buffer = "";
    this.sink.write(text);
  };
}
