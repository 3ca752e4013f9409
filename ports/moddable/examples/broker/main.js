// ganglion on Moddable: an MQTT 3.1 / 3.1.1 / 5.0 broker on the device itself.
//
//   npm run build                                   (in the repository: dist/xs/ganglion.js)
//   cd ports/moddable/examples/broker
//   mcconfig -d -m -p esp32/nodemcu ssid="lab" password="secret"    (a board)
//   mcconfig -d -m -p lin                                           (the simulator; mac, win)
//
// Joins Wi-Fi (setup/network runs before this module when ssid= and password= are given),
// starts the broker on port 1883, logs clients with trace(), and shows the in-process API:
// a local sensor publishing a retained reading every 5 s, and a local actuator (the LED a
// client switches by publishing "on" or "off" to cmd/led).
//
//   mosquitto_sub -h <device ip> -t 'sensors/#' -v
//   mosquitto_pub -h <device ip> -t cmd/led -m on

import config from "mc/config";
import Net from "net";
import Timer from "timer";
import { decodeUtf8 } from "ganglion";
import { BrokerServer } from "ganglion/server";

const port = config.mqttPort || 1883;

const server = new BrokerServer({
	port,
	log(line) {
		trace(`mqtt: ${line}\n`);
	},
	// limits: { maxConnections: 7, ... }      // DEVICE_LIMITS in broker-server.js, overridable here
	// hooks: { authenticate(client, username, password) { return username === "sensor"; } },
});
// The local actuator: gets every message on cmd/led, from TCP clients or from this device.
let led = false;
server.subscribe("cmd/led", (message) => {
	const text = decodeUtf8(message.payload, 0, message.payload.length);
	led = text === "on" || text === "1";
	trace(`led ${led ? "on" : "off"} (from ${message.publisher || "the device"})\n`);
	server.publish("state/led", led ? "on" : "off", 0, true);
});

// The local sensor: a made-up temperature, retained, so a new subscriber gets the last one.
let tenths = 215;
Timer.repeat(() => {
	tenths += ((Math.random() * 5) | 0) - 2;
	server.publish("sensors/esp32/temperature", `${(tenths / 10).toFixed(1)}`, 0, true);
}, 5000);

let address = "";
try {
	address = Net.get("IP") || "";
}
catch {
	// the simulator may not say
}
trace(`ganglion: MQTT broker listening on ${address || "*"}:${port}\n`);
