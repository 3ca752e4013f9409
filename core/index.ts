// ganglion's core: everything a port or an embedding application uses.
export * from './codec/index.js';
export * from './broker/index.js';
export * from './store/journal-frame.js';
export * from './client/index.js';
