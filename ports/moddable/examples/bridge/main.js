// ganglion on Moddable: a device with its own broker that forwards its sensors to the cloud
// and takes commands from it, through a bridge to a bigger broker (README, "When one broker is
// not enough").
//
//   npm run build                                   (in the repository: dist/xs/ganglion.js and
//                                                    dist/xs/ganglion-bridge.js)
//   cd ports/moddable/examples/bridge
//   mcconfig -m -p lin -t build upstream=127.0.0.1:1884           (the simulator; start mcsim yourself)
//   mcconfig -m -p lin -t build upstream=127.0.0.1:1884 storeRoot=/some/dir/   (with the file store)
//   mcconfig -d -m -p esp32/nodemcu ssid="lab" password="secret" upstream=192.168.1.10:1883
//
// Local clients use the broker on 1883; local messages on sensors/# go up as site-1/sensors/#
// (QoS 1, queued while the uplink is down), and the cloud's site-1/cmd/# comes down as cmd/#.
//
//   mosquitto_sub -h <cloud> -t 'site-1/#' -v          (the cloud sees the device's sensor)
//   mosquitto_pub -h <cloud> -t site-1/cmd/led -m on   (the device's actuator traces it)
//
// storeRoot set: the broker keeps its state in the file store (ganglion/store, README
// "Persistence on the devices"), and with it the bridge's queue: what waits for the cloud, or
// was in flight to it, survives a reset or a power cut. storeBudget: its bytes (16384).

import config from "mc/config";
import Timer from "timer";
import { decodeUtf8 } from "ganglion";
import { BrokerServer } from "ganglion/server";
import { bridge } from "ganglion/bridge";
import { fileStore } from "ganglion/store";

const limits = {};
if (config.storeRoot) limits.store = fileStore({ budgetBytes: Number(config.storeBudget) || 16384, root: config.storeRoot });
const server = new BrokerServer({
	port: config.mqttPort || 1883,
	log(line) {
		trace(`mqtt: ${line}\n`);
	},
	limits,
});
const up = bridge(server, {
	addresses: [config.upstream],
	clientId: config.clientId,
	topics: ['sensors/# out 1 "" site-1/', 'cmd/# in 1 "" site-1/'],
	log(line) {
		trace(`${line}\n`);
	},
});
trace(`ganglion: MQTT broker on ${config.mqttPort || 1883}, bridged to ${config.upstream}\n`);

// The local actuator: cmd/led, from local clients or (through the bridge) from the cloud.
server.subscribe("cmd/led", (message) => {
	const text = decodeUtf8(message.payload, 0, message.payload.length);
	trace(`led ${text}\n`);
	server.publish("sensors/led", text, 1, false);
});

// The local sensor: a made-up temperature every 5 s, QoS 1: it goes up through the bridge.
let tenths = 215;
Timer.repeat(() => {
	tenths += ((Math.random() * 5) | 0) - 2;
	server.publish("sensors/temperature", `${(tenths / 10).toFixed(1)}`, 1, false);
	const s = up.stats();
	trace(`bridge: ${s.state}, sent ${s.sent}, received ${s.received}, queued ${s.queuedMessages}, dropped ${s.dropped}\n`);
}, 5000);
