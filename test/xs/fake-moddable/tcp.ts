// `embedded:io/socket/tcp` for tests (see world.ts).
import { FakeTCP } from './world.js';
export default FakeTCP;
