// ganglion on an ESP32 running Espruino: join WiFi, serve MQTT on port 1883, print clients
// as they come and go. Upload: see README.md beside this file.
// Espruino runs code as it reads it (no hoisting): everything is declared before use.
var WIFI_NAME = "your-network";
var WIFI_OPTIONS = { password: "your-password" };

var broker = null;

function startBroker(ip) {
  broker = require("ganglion").listen({ port: 1883 }, {
    connected: function (c) {
      print("+ " + c.clientId + " (" + broker.broker.clientCount + " connected)");
    },
    disconnected: function (c) {
      print("- " + c.clientId + " (" + broker.broker.clientCount + " connected)");
    },
    log: function (c, line, event) {
      // event (core/broker/log-events.ts): 0 a fault, 1 a limit acted, 2 denied, 3 a refused CONNECT
      if (event <= 3) print("  " + line);
    }
  });
  print("MQTT broker on mqtt://" + ip + ":1883, " + process.memory().free + " variables free");
}

var wifi = require("Wifi");
wifi.connect(WIFI_NAME, WIFI_OPTIONS, function (err) {
  if (err) {
    print("WiFi: " + err);
    return;
  }
  wifi.getIP(function (err2, info) {
    startBroker(info.ip);
  });
});
