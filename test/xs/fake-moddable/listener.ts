// `embedded:io/socket/listener` for tests (see world.ts).
import { FakeListener } from './world.js';
export default FakeListener;
