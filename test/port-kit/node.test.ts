// The port kit (scenarios.ts) over the Node port: real loopback sockets, real time.
import { startNode } from './node-rig.js';
import { portScenarios } from './scenarios.js';

portScenarios(startNode, 'node');
