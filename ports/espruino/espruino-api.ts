// The parts of Espruino's own API that the port uses, as types: `require("net")` sockets
// and servers, and the `E` conversions between binary strings and typed arrays. What they
// do on a real board is written down in shared/espruino.md ("Socket API").
// Types only: nothing here is emitted into the bundle.

/** A TCP connection: data arrives as binary strings (one char per byte, <= 536 per event). */
export interface EspruinoSocket {
  on(event: 'data', fn: (data: string) => void): void;
  on(event: 'connect' | 'drain' | 'end', fn: () => void): void;
  on(event: 'close', fn: (hadError: boolean) => void): void;
  on(event: 'error', fn: (err: { code: number; message: string }) => void): void;
  /** Appends to the socket's send queue (no cap) and always returns false. Strings only. */
  write(data: string): boolean;
  /** Closes once the send queue has gone out. */
  end(): void;
}

export interface EspruinoServer {
  listen(port: number): EspruinoServer;
  close(): void;
}

export interface EspruinoNet {
  createServer(onConnection: (socket: EspruinoSocket) => void): EspruinoServer;
  /**
   * An outgoing connection; 'connect' fires when it is up. On Linux a refused connection
   * throws at once ("Unable to create socket"); elsewhere it may end with 'error' / 'close'.
   */
  connect(options: { host: string; port: number }): EspruinoSocket;
}

/** Espruino's `E`: zero-copy views between strings and bytes (aliasing: espruino.md). */
export interface EspruinoE {
  toString(bytes: Uint8Array): string;
  toArrayBuffer(str: string): ArrayBuffer;
}

declare global {
  // Espruino's global `E`; the tests supply a fake with the same aliasing.
  var E: EspruinoE;
}
