/**
 * Which client created each stored response, as this gateway process saw it, so that one client
 * cannot retrieve, continue (`previous_response_id`), cancel, list or delete another client's
 * responses. Ids this process did not see (made through another replica, or before a restart) are
 * let through: a response id is an unguessable capability, and the router finds its owner endpoint.
 * Bounded: past `max` ids the oldest is forgotten.
 */
export class ResponseOwners {
  private readonly owners = new Map<string, string>();
  constructor(private readonly max = 100_000) {}

  record(id: string, client: string): void {
    if (this.owners.size >= this.max) {
      const oldest = this.owners.keys().next().value;
      if (oldest !== undefined) this.owners.delete(oldest);
    }
    this.owners.set(id, client);
  }

  /** False only when the id is known to belong to another client. */
  allows(id: string, client: string): boolean {
    const owner = this.owners.get(id);
    return owner === undefined || owner === client;
  }

  forget(id: string): void {
    this.owners.delete(id);
  }
}

const RESPONSE_ID = /"id"\s*:\s*"(resp_[A-Za-z0-9_-]{1,200})"/;

/** The response id in a Responses stream's first event (`response.created`, before any output). */
export function responseIdIn(text: string): string | undefined {
  return RESPONSE_ID.exec(text)?.[1];
}

const STORED = /\/responses\/([^/]+)(?:\/(?:cancel|input_items))?$/;

/** `…/responses/{id}[/cancel|/input_items]` → id. */
export function storedResponseId(path: string): string | undefined {
  const match = STORED.exec(path);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}
