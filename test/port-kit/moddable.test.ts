// The port kit (scenarios.ts) over the Moddable port and the fake ECMA-419 sockets.
import { startModdable } from './moddable-rig.js';
import { portScenarios } from './scenarios.js';

portScenarios(startModdable, 'moddable');
