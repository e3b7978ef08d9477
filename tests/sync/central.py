"""A test "central": receives a lane's events, de-duplicates by id, checks seq continuity,
acknowledges cumulatively, and sends commands, deltas and snapshots.

It runs paho's own loop thread with a persistent MQTT 5 session (``clean_start=False``
and a session expiry), like the real platform would, and reconnects by itself.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


@dataclass
class Report:
    received: int = 0  # messages, duplicates included
    unique: int = 0
    duplicates: int = 0
    reordered: int = 0  # a new id whose seq is below one already delivered
    missing: list[int] = field(default_factory=list)  # the first 50 of them
    conflicts: int = 0  # one seq seen with two different ids
    lost: int = 0  # seqs in 1..last never delivered

    def ok(self, last_seq: int) -> bool:
        return not self.missing and not self.reordered and not self.conflicts \
            and self.unique == last_seq


class Central:
    def __init__(self, port: int, site: str = "huu-nghi", lane: str = "in-01",
                 ack_every_s: float = 0.2, client_id: str = "central-test",
                 ack: bool = True) -> None:
        self.root = f"gate/v1/{site}/{lane}"
        self.site_root = f"gate/v1/{site}"
        self.port = port
        self.ack = ack
        self.ack_every_s = ack_every_s
        self._lock = threading.Lock()
        self.by_seq: dict[int, str] = {}
        self.ids: set[str] = set()
        self.max_seq = 0
        self.received = 0
        self.duplicates = 0
        self.reordered = 0
        self.conflicts = 0
        self.contiguous = 0
        self.acked_sent = 0
        self.other: list[tuple[str, bytes, object]] = []  # (topic, payload, properties)
        self.connected = threading.Event()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_disconnect = lambda *a: self.connected.clear()
        c.reconnect_delay_set(0.2, 1.0)
        self.client = c
        self._stop = threading.Event()
        self._acker = threading.Thread(target=self._ack_loop, daemon=True)

    # --------------------------------------------------------------- lifecycle
    def start(self, timeout: float = 20.0) -> Central:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 86400
        self.client.connect_async("127.0.0.1", self.port, 10, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        self._acker.start()
        if not self.connected.wait(timeout):
            raise AssertionError("central could not connect to the broker")
        return self

    def close(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            return
        client.subscribe([(f"{self.root}/events", 1), (f"{self.root}/status", 1),
                          (f"{self.root}/cmd/res", 1), (f"{self.root}/passes/sync-req", 1),
                          (f"{self.root}/telemetry", 0), (f"{self.root}/images/#", 1)])
        self.connected.set()

    def _on_message(self, client, userdata, msg) -> None:
        if msg.topic != f"{self.root}/events":
            with self._lock:
                self.other.append((msg.topic, bytes(msg.payload), msg.properties))
            return
        event = json.loads(msg.payload)
        seq, eid = event["seq"], event["id"]
        with self._lock:
            self.received += 1
            if eid in self.ids:
                self.duplicates += 1
                return
            known = self.by_seq.get(seq)
            if known is not None and known != eid:
                self.conflicts += 1
            self.ids.add(eid)
            self.by_seq[seq] = eid
            if seq < self.max_seq:
                self.reordered += 1
            self.max_seq = max(self.max_seq, seq)
            while self.contiguous + 1 in self.by_seq:
                self.contiguous += 1

    def _ack_loop(self) -> None:
        while not self._stop.wait(self.ack_every_s):
            if self.ack and self.connected.is_set() and self.contiguous > self.acked_sent:
                upto = self.contiguous
                self.client.publish(f"{self.root}/events/ack", json.dumps({"upto_seq": upto}),
                                    qos=1)
                self.acked_sent = upto

    # ----------------------------------------------------------------- checks
    def report(self, last_seq: int) -> Report:
        with self._lock:
            missing = [s for s in range(1, last_seq + 1) if s not in self.by_seq]
            return Report(self.received, len(self.ids), self.duplicates, self.reordered,
                          missing[:50], self.conflicts, len(missing))

    def wait_contiguous(self, last_seq: int, timeout: float = 120.0) -> Report:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.contiguous < last_seq:
            time.sleep(0.1)
        return self.report(last_seq)

    def messages(self, suffix: str) -> list[tuple[bytes, object]]:
        with self._lock:
            return [(p, props) for t, p, props in self.other if t == f"{self.root}/{suffix}"
                    or (suffix.endswith("#") and t.startswith(f"{self.root}/{suffix[:-1]}"))]

    def json_messages(self, suffix: str) -> list[dict]:
        return [json.loads(p) for p, _ in self.messages(suffix) if p]

    def wait_message(self, suffix: str, pred=lambda m: True, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.json_messages(suffix):
                if pred(m):
                    return m
            time.sleep(0.05)
        raise AssertionError(f"no {suffix} message matching within {timeout}s: "
                             f"{self.json_messages(suffix)[-5:]}")

    def wait_for_all(self, suffix: str, cid: str, count: int, timeout: float = 30.0) -> list:
        """``count`` messages (e.g. cmd/res) with id ``cid``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.json_messages(suffix) if m.get("id") == cid]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} {suffix} messages for {cid}")

    # ------------------------------------------------------------ central -> lane
    def send(self, suffix: str, obj, *, site_wide: bool = False, expiry_s: int | None = None,
             retain: bool = False, raw: bytes | None = None) -> None:
        props = None
        if expiry_s is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.MessageExpiryInterval = expiry_s
        topic = f"{self.site_root if site_wide else self.root}/{suffix}"
        payload = raw if raw is not None else json.dumps(obj, ensure_ascii=False)
        info = self.client.publish(topic, payload, qos=1, retain=retain, properties=props)
        info.wait_for_publish(timeout=20)
