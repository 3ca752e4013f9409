// ganglion on an ESP32 running Espruino: a broker for the sensors in the building, bridged to
// a bigger broker (the cloud): local messages on sensors/# go up as SITE/sensors/# (QoS 1,
// queued while the uplink is down), the cloud's SITE/cmd/# comes down as cmd/#.
// Upload: see README.md beside this file (both bundles in Storage).
// Espruino runs code as it reads it (no hoisting): everything is declared before use.
var WIFI_NAME = "your-network";
var WIFI_OPTIONS = { password: "your-password" };
var CLOUD = "192.168.1.10:1883";   // the upstream broker, host:port
var SITE = "site-1";               // its client id, and the prefix of this site's topics there

var site = null;
var up = null;

function start(ip) {
  site = require("ganglion").listen({ port: 1883 }, {});
  up = require("ganglion-bridge").bridge(site, {
    addresses: [CLOUD],
    clientId: SITE,
    topics: ['sensors/# out 1 "" ' + SITE + '/', 'cmd/# in 1 "" ' + SITE + '/'],
    log: function (line) { print(line); }
  });
  // The local actuator: a command from the cloud (or from a local client) on cmd/led.
  site.broker.subscribe("cmd/led", function (m) {
    print("led " + E.toString(m.payload));
  }, Math.floor(Date.now()));
  // The local sensor: a made-up reading every 10 s, QoS 1, so it waits while the cloud is away.
  var tenths = 215;
  setInterval(function () {
    tenths += Math.floor(Math.random() * 5) - 2;
    site.publish("sensors/esp32/temperature", (tenths / 10).toFixed(1), 1, false);
    var s = up.stats();
    print("bridge " + s.state + ", sent " + s.sent + ", queued " + s.queuedMessages + ", dropped " + s.dropped +
      "; " + process.memory().free + " variables free");
  }, 10000);
  print("MQTT broker on mqtt://" + ip + ":1883, bridged to " + CLOUD);
}

var wifi = require("Wifi");
wifi.connect(WIFI_NAME, WIFI_OPTIONS, function (err) {
  if (err) {
    print("WiFi: " + err);
    return;
  }
  wifi.getIP(function (err2, info) {
    start(info.ip);
  });
});
