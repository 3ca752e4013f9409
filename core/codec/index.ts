// The MQTT codec: packets as plain data, an incremental decoder and exact-size encoders
// for MQTT 3.1, 3.1.1 and 5.0. Contract: API.md beside this file.

export * from './packets.js';
export type { Properties } from './properties.js';
export type { CodecError } from './codec-error.js';
export { codecError, isCodecError } from './codec-error.js';
export * from './reason-codes.js';
export { Decoder, decodeAll, MAX_PACKET_SIZE } from './decoder.js';
export type { DecoderBudget, DecoderOptions } from './decoder.js';
export { encode } from './encode.js';
export { SlabAllocator } from './slab-allocator.js';
export { FramePool } from './frame-pool.js';
export type { FrameAllocator } from './slab-allocator.js';
export { PublishFrame, encodePublishFrame } from './encode/publish.js';
export { InPlacePayload } from './in-place-payload.js';
export { InPlacePublish } from './in-place-publish.js';
export { copyRange } from './writer.js';
export { encodeUtf8, decodeUtf8, utf8Length, isWellFormedUtf8 } from './utf8.js';
export { QUOTE_MAX, REASON_STRING_MAX, label, quote, truncateUtf8 } from './peer-text.js';
export { isValidTopicName, isValidTopicFilter, isValidSharedFilter } from './topic.js';
