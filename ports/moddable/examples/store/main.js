// ganglion on Moddable with its state on flash (issue 19): retained messages, persistent
// sessions, their subscriptions and queued QoS 1/2 messages survive a reset or a power cut.
//
//   npm run build                    (in the repository: dist/xs/ganglion.js and dist/xs/ganglion-store.js)
//   cd ports/moddable/examples/store
//   mcconfig -m -p esp32/nodemcu ssid="lab" password="secret"       (a board: SPIFFS in the "storage" partition)
//   mcconfig -m -p lin -t build storeRoot=/some/dir/                 (the simulator: build only, start mcsim yourself)
//
// The journal's files are <root>gj1, <root>gj2, ... in the file module's root (/mod/ on an
// ESP32; /tmp/ in the lin simulator), or in `storeRoot` when the build sets it.
// storeBudget (bytes of flash, whole 4 KiB segments), writeInflight=1, maxQueued, maxQueuedBytes
// and maxOfflineBytes are build settings too (name=value on the mcconfig line).
// The trace says how long the start from the store took (reading it and rebuilding the
// broker's state from it) and how many segments it read.

import config from "mc/config";
import Time from "time";
import { BrokerServer } from "ganglion/server";
import { fileStore } from "ganglion/store";

const port = config.mqttPort || 1883;
const store = fileStore({
	budgetBytes: Number(config.storeBudget) || 16384,
	root: config.storeRoot || undefined,
	writeInflight: config.writeInflight === "1" || config.writeInflight === 1 || config.writeInflight === true,
});

// DEVICE_LIMITS (broker-server.js) queue 4 messages per session; a build may allow more.
const limits = { store };
if (config.maxQueued) limits.maxQueued = Number(config.maxQueued);
if (config.maxQueuedBytes) limits.maxQueuedBytes = Number(config.maxQueuedBytes);
if (config.maxOfflineBytes) limits.maxOfflineBytes = Number(config.maxOfflineBytes);

const started = Time.ticks;
const server = new BrokerServer({
	port,
	log(line) {
		trace(`mqtt: ${line}\n`);
	},
	limits,
});
trace(`ganglion: started from the store in ${Time.delta(started, Time.ticks)} ms (${store.journal.segments.length} segments); MQTT on port ${port}\n`);
