// The Moddable `timer` module for tests (see world.ts).
import { FakeTimer } from './world.js';
export default FakeTimer;
