// One MQTT 3.1.1 CONNECT (hand-encoded, test/bench/brokers/mqtt-frames.ts) over a raw
// node:net socket from a chosen loopback source address, and its CONNACK return code with
// the time it took: for the login throttle's integration test and the password guesser
// (test/bench/password-guess.ts).
import { connect } from 'node:net';
import { loginFrame } from '../bench/brokers/mqtt-frames.js';

export interface Attempt {
  rc: number;    // the CONNACK return code; -1: closed without one, or no answer in 30 s
  ms: number;    // from connecting to the answer
}

/** One login to 127.0.0.1:`port` from source address `from`; the socket is closed after. */
export function attemptLogin(port: number, from: string, clientId: string, user: string, password: string): Promise<Attempt> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const s = connect({ host: '127.0.0.1', port, localAddress: from });
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (rc: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ rc, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    };
    const timer = setTimeout(() => finish(-1), 30000);
    s.setNoDelay(true);
    s.on('connect', () => s.write(loginFrame(clientId, user, password)));
    s.on('data', (b) => {
      got = Buffer.concat([got, b]);
      if (got.length >= 4) finish(got[0] === 0x20 ? got[3] : -1);
    });
    s.on('error', () => finish(-1));
    s.on('close', () => finish(-1));
  });
}
