// The Moddable `time` module for tests (see world.ts).
import { FakeTime } from './world.js';
export default FakeTime;
