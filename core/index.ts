// ganglion's core: everything a port or an embedding application uses.
export * from './server-role.js';
export * from './client/index.js';
