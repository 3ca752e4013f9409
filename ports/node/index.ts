// `ganglion/node`: the Node server as a library. createServer(config, hooks) makes a server
// with every listener kind (TCP, TLS, WebSocket), users, ACLs and latency monitoring;
// listen() binds it, close() shuts it down gracefully; server.broker is the core. The
// `ganglion` command is built on the same API (cli.ts).
export { createServer } from './server.js';
export type { BoundListener, GanglionServer, PublishOptions, ServerHooks } from './server.js';
export { Client } from './client.js';
export { ConfigError, buildConfig, parseConfigText } from './config.js';
export type { Config, ListenerConfig, ListenerOptions, ListenerType, ServerConfig } from './config.js';
export type { Level, Logger } from './logger.js';
export type { LatencyHistogram, LatencySummary } from './latency.js';
export { hashPassword, verifyPassword, parsePasswordFile } from './password-file.js';
export type { PasswordEntry } from './password-file.js';
export { packageVersion } from './version.js';
