// The core without its client role (core/client/): the broker, its codec and the journal
// framing. The device bundle for Moddable (dist/xs/ganglion.js, build.mjs) is built from this
// file, so a broker on an ESP32 links none of the client's code; a device bridge brings the
// client role as a module of its own.
export * from './codec/index.js';
export * from './broker/index.js';
export * from './store/journal-frame.js';
