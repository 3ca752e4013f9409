// What the broker counts: $SYS (sys-topics.ts) and the ports' metrics read these.

export interface Stats {
  startedAtMs: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  messagesIn: number;
  messagesOut: number;
  dropped: number;          // lost to full backlogs (QoS 0 first), too-large packets, full retained store, refused by the read check when sent
  denied: number;           // PUBLISH refused by authorizePublish
  expired: number;          // 5.0 messages whose Message Expiry Interval passed before delivery
  authFailures: number;     // CONNECTs (and 5.0 re-authentications) the authentication hooks refused
  errors: number;           // exceptions caught inside the core (fault.ts): each closed one connection
  // Each limit before login, counted when it acts ($SYS/broker/limits/...):
  connectTooLarge: number;  // a CONNECT (or AUTH) refused on its header: over maxConnectSize
  pendingClosed: number;    // pending connections closed to make room (maxPending)
  pendingBytesClosed: number;  // pending connections closed for the bytes they held (maxPendingBytes)
  pendingPerAddressClosed: number;  // closed by a port's cap per remote address (Node: maxPendingPerAddress)
  // And for sessions:
  sessionsExpired: number;  // sessions ended because their expiry passed while the client was away
  sessionsCapped: number;   // maxSessions acted: a session offline ended, or a CONNECT refused
  offlineDropped: number;   // messages dropped for maxOfflineBytes (also in `dropped`)
  drops: number[];          // `dropped` by cause, indexed by the DROP_* of drops.ts
  peakClients: number;      // the most clients connected at once
}
