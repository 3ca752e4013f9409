// Types of file-store.js (a plain ES module, compiled by mcconfig as is), for the tests.
import type { SegmentJournalOptions, SegmentMedium } from '../../core/store/segment-journal.js';
import type { JournalStore } from '../../core/store/journal-store.js';

export declare class FileMedium implements SegmentMedium {
  root: string;
  prefix: string;
  constructor(root: string, prefix: string);
  path(seq: number): string;
  list(): number[];
  read(seq: number): Uint8Array;
  create(seq: number, size: number, first: Uint8Array): boolean;
  write(seq: number, offset: number, bytes: Uint8Array): boolean;
  remove(seq: number): void;
}

export interface FileStoreOptions extends SegmentJournalOptions {
  root?: string;
  prefix?: string;
  flushMs?: number;
  writeInflight?: boolean;
}

export declare function fileStore(options?: FileStoreOptions): JournalStore;
