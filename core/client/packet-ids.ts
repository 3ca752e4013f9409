// The client's Packet Identifiers: one space for PUBLISH (QoS 1/2), SUBSCRIBE and
// UNSUBSCRIBE. [4:MQTT-2.3.1-2] a new packet takes an id not in use; an id stays in use
// until its exchange completes (PUBACK, PUBCOMP, PUBREC >= 0x80, SUBACK, UNSUBACK), across
// reconnects while the session lasts.

export class PacketIds {
  private used: Map<string, boolean>;
  private next: number;
  count: number;

  constructor() {
    this.used = new Map();
    this.next = 1;
    this.count = 0;
  }

  /** A free id, now in use; 0 when all 65,535 are taken. */
  take(): number {
    if (this.count >= 65535) return 0;
    for (;;) {
      const id = this.next;
      this.next = id === 65535 ? 1 : id + 1;
      if (!this.used.has('' + id)) {
        this.used.set('' + id, true);
        this.count++;
        return id;
      }
    }
  }

  /** Takes `id` itself (a message restored in flight with it); false when it is in use already. */
  use(id: number): boolean {
    if (id < 1 || id > 65535 || this.used.has('' + id)) return false;
    this.used.set('' + id, true);
    this.count++;
    return true;
  }

  release(id: number): void {
    if (this.used.delete('' + id)) this.count--;
  }

  clear(): void {
    this.used.clear();
    this.count = 0;
  }
}
