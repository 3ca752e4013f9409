// A fake NOR flash chip as an ESP32 has one (the SPI flash the ESP-IDF partitions live on):
//   - erased bytes read 0xFF; erase() works on whole sectors (4 KiB on ESP32) and sets them
//     all back to 0xFF, and counts erases per sector (a sector is rated for a number of cycles);
//   - a write can only clear bits: the stored byte becomes old AND new (a write never sets a
//     bit back to 1; only an erase does);
//   - power can be cut after any byte of any write, or before any erase: `cutAfter(n)` lets n
//     more bytes (an erase counts as one) reach the chip, then the write stops where it is and
//     throws PowerCut. From then on the chip is dead: every operation throws PowerCut and
//     changes nothing (the program is not running any more), until `reboot()`, which models
//     power coming back with whatever bytes the chip held.
// The bytes are read back with read(); nothing here caches, so a fake file system built on
// it that is made anew after reboot() sees only what reached the chip.
// ECMAScript built-ins only: it runs in Node and inside XS.

export const ESP32_SECTOR_BYTES = 4096;

/** Thrown by the chip when the power goes (and by every call after it, until reboot()). */
export class PowerCut extends Error {
  constructor() {
    super('power cut');
    this.name = 'PowerCut';
  }
}

export function isPowerCut(e: unknown): boolean {
  return e instanceof PowerCut;
}

export class FakeFlash {
  readonly size: number;
  readonly sectorBytes: number;
  readonly bytes: Uint8Array;
  /** Erases per sector since the chip was made (wear). */
  readonly erases: number[];
  /** Bytes programmed since the chip was made (each byte of each write, cleared bits or not). */
  bytesWritten = 0;
  writes = 0;
  dead = false;
  /** Bytes (and erases) still allowed before the cut; -1: no cut planned. */
  private budget = -1;
  /** Called once, when the power goes. */
  onCut: (() => void) | null = null;

  constructor(size: number, sectorBytes: number = ESP32_SECTOR_BYTES) {
    if (size <= 0 || size % sectorBytes !== 0) throw new Error('flash size must be a whole number of sectors');
    this.size = size;
    this.sectorBytes = sectorBytes;
    this.bytes = new Uint8Array(size).fill(0xff);
    this.erases = [];
    for (let i = 0; i < size / sectorBytes; i++) this.erases.push(0);
  }

  /** Power goes after `n` more bytes reach the chip (an erase counts as one). */
  cutAfter(n: number): void {
    this.budget = n;
  }

  /** Power comes back: the chip works again with the bytes it holds; no cut planned. */
  reboot(): void {
    this.dead = false;
    this.budget = -1;
  }

  /**
   * Runs fn with no cut inside it (a cut planned for later stays planned): for an operation a
   * fake takes as atomic, such as Espruino's own Storage compaction.
   */
  atomically<T>(fn: () => T): T {
    this.alive();
    const budget = this.budget;
    this.budget = -1;
    try {
      return fn();
    } finally {
      this.budget = budget;
    }
  }

  read(offset: number, length: number): Uint8Array {
    this.alive();
    this.check(offset, length);
    return this.bytes.slice(offset, offset + length);
  }

  /** Programs `data` at `offset`: each byte becomes old AND new, one byte at a time. */
  write(offset: number, data: Uint8Array): void {
    this.alive();
    this.check(offset, data.length);
    this.writes++;
    for (let i = 0; i < data.length; i++) {
      this.spend();
      this.bytes[offset + i] &= data[i];
      this.bytesWritten++;
    }
  }

  /** Sets every byte of sector `index` to 0xFF. */
  erase(index: number): void {
    this.alive();
    if (index < 0 || index >= this.erases.length) throw new Error('no sector ' + index);
    this.spend();
    this.bytes.fill(0xff, index * this.sectorBytes, (index + 1) * this.sectorBytes);
    this.erases[index]++;
  }

  /** true if every byte of [offset, offset + length) is 0xFF (writable without an erase). */
  isErased(offset: number, length: number): boolean {
    this.alive();
    this.check(offset, length);
    for (let i = offset; i < offset + length; i++) if (this.bytes[i] !== 0xff) return false;
    return true;
  }

  maxErases(): number {
    let m = 0;
    for (let i = 0; i < this.erases.length; i++) if (this.erases[i] > m) m = this.erases[i];
    return m;
  }

  totalErases(): number {
    let n = 0;
    for (let i = 0; i < this.erases.length; i++) n += this.erases[i];
    return n;
  }

  private spend(): void {
    if (this.budget === 0) {
      this.dead = true;
      this.budget = -1;
      if (this.onCut !== null) this.onCut();
      throw new PowerCut();
    }
    if (this.budget > 0) this.budget--;
  }

  private alive(): void {
    if (this.dead) throw new PowerCut();
  }

  private check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new Error('flash access out of range: ' + offset + '+' + length + ' of ' + this.size);
    }
  }
}
