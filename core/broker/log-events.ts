// What a log line is about: the core hands this number to the log hook with each line, so a
// port picks the level, and what it adds (the peer's address, a refusal's code in words),
// from the number, never from the text (PORT.md, "Log lines"). The text may change; these
// numbers mean what they say here.

export const LOG_FAULT = 0;       // an exception caught in the core or a port (counted in stats.errors), or the store failing
export const LOG_LIMIT = 1;       // a limit acted: something refused, dropped or closed because of it
export const LOG_DENIED = 2;      // an authorization hook or rule refused something
export const LOG_REFUSED = 3;     // a CONNECT refused with a CONNACK; the hook's `code` is its return / reason code
export const LOG_CONNECTED = 4;   // a client accepted (its CONNACK has gone out)
export const LOG_CLOSED = 5;      // a connection ends, or the broker closes it
export const LOG_DETAIL = 6;      // anything else: what a client did that only debugging needs
