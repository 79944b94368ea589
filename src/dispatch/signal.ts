import { Observable, type Subscriber } from "rxjs";

/**
 * What `changed$` is made of: every finished attempt emits, so emitting must cost little. A Subject's
 * `next` (in the CommonJS build of RxJS, the one Node loads) allocates a closure and an iterator each
 * time; this calls its subscribers directly. As with a Subject, an emission reaches the subscribers
 * there were when it started (the list is replaced, never changed in place), and a subscriber after
 * `complete` is completed at once.
 */
export class Signal {
  private subscribers: readonly Subscriber<void>[] = [];
  private completed = false;
  readonly observable = new Observable<void>((subscriber) => {
    if (this.completed) {
      subscriber.complete();
      return;
    }
    this.subscribers = [...this.subscribers, subscriber];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
    };
  });

  emit(): void {
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) (subscribers[i] as Subscriber<void>).next();
  }

  complete(): void {
    if (this.completed) return;
    this.completed = true;
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }
}
