#!/usr/bin/env python3
"""IOTA P2P wire frames built and read independently of iota-tui, from the documented layouts
(shared/notes/iota-protocol-current.md section 4): pull request/response, routed envelope, /activation/push,
/peer/status. BLAKE3 comes from Debian's b3sum binary. Input and output are JSON.

  wire_helper.py message ID TS_MS          -> the text a puller signs
  wire_helper.py build SPEC.json OUTDIR    -> Python-made frames written to OUTDIR, JSON summary
  wire_helper.py decode SPEC.json          -> TS-made frames read back, JSON description
"""
import hashlib
import json
import struct
import subprocess
import sys
import zlib

import msgpack

STATUS = {0: "NOT_FOUND", 1: "SUCCESS", 2: "EXPIRED", 3: "ERROR", 4: "UNAUTHORIZED"}
SERIALIZERS = {1: "json", 2: "msgpack"}


def b3(path):
    out = subprocess.run(["b3sum", "--no-names", path], check=True, capture_output=True, text=True).stdout
    return out.strip()


def tag(route):
    return zlib.crc32(route.encode()) & 0xFFFF


def sign_text(activation_id, ts):
    return f"{hashlib.sha256(activation_id.encode('utf-8')).hexdigest()}.{ts}."


def pull_request(activation_id, ts, ss58, sig):
    ident = activation_id.encode("utf-8")
    assert len(sig) == 64
    return (b"\x02" + struct.pack(">Q", ts) + ss58.encode().ljust(48, b"\x00") + sig
            + struct.pack(">H", len(ident)) + ident)


def pull_request_v1(activation_id):
    ident = activation_id.encode("utf-8")
    return b"\x01" + struct.pack(">H", len(ident)) + ident


def envelope(route, serializer_id, body):
    return struct.pack(">H", tag(route)) + bytes([serializer_id]) + body


def push_dict(spec, tensor):
    # Field order and None values as pydantic's model_dump() gives them.
    return {
        "activation_id": spec["activation_id"],
        "direction": spec["direction"],
        "source_hotkey": spec["source_hotkey"],
        "source_p2p_node_ids": spec["source_p2p_node_ids"],
        "tensor_bytes": tensor,
        "sample_path": spec.get("sample_path"),
        "source_layer": spec.get("source_layer"),
        "target_layer": spec.get("target_layer"),
    }


def build(spec, outdir):
    tensor = open(spec["tensor_file"], "rb").read()
    files = {}

    def write(name, data):
        path = f"{outdir}/{name}.bin"
        with open(path, "wb") as f:
            f.write(data)
        files[name] = path

    sig = bytes.fromhex(spec["signature_hex"])
    write("pull_request", pull_request(spec["activation_id"], spec["ts"], spec["ss58"], sig))
    write("pull_request_v1", pull_request_v1(spec["activation_id"]))
    push = push_dict(spec["push"], tensor)
    write("push_body", msgpack.packb(push, use_bin_type=True))
    write("push_envelope", envelope("/activation/push", 2, msgpack.packb(push, use_bin_type=True)))
    # pydantic's JSON dump writes bytes as a UTF-8 string, so only an ASCII tensor can travel as JSON.
    json_push = push_dict(spec["push"], None)
    json_push["activation_id"] += "-json"
    json_push["tensor_bytes"] = spec["json_tensor_text"]
    write("push_envelope_json", envelope("/activation/push", 1, json.dumps(json_push).encode()))
    status = dict(spec["peer_status"])
    write("peer_status", envelope("/peer/status", 2, msgpack.packb(status, use_bin_type=True)))
    write("pull_response", bytes([1]) + tensor)
    write("push_ack_success", bytes([1]))
    return {"files": files, "tags": {"/activation/push": tag("/activation/push"), "/peer/status": tag("/peer/status")},
            "tensor_b3": b3(spec["tensor_file"])}


def read_pull_request(data):
    if data[0] != 2:
        raise ValueError(f"version {data[0]}")
    ts = struct.unpack(">Q", data[1:9])[0]
    ss58 = data[9:57].rstrip(b"\x00").decode("utf-8")
    sig = data[57:121]
    (n,) = struct.unpack(">H", data[121:123])
    ident = data[123:123 + n].decode("utf-8")
    if 123 + n != len(data):
        raise ValueError("trailing bytes")
    return {"ts": ts, "ss58": ss58, "signature_hex": sig.hex(), "activation_id": ident, "signed_text": sign_text(ident, ts)}


def read_envelope(data, route):
    (t,) = struct.unpack(">H", data[:2])
    if t != tag(route):
        raise ValueError(f"tag {t:#06x} is not {route}")
    if data[2] not in SERIALIZERS:
        raise ValueError(f"serializer {data[2]}")
    body = data[3:]
    return msgpack.unpackb(body, raw=False) if data[2] == 2 else json.loads(body)


def described(value, outdir, name):
    """A decoded map as JSON: bytes become their length and BLAKE3 (via b3sum) plus their Python type."""
    out = {}
    for k, v in value.items():
        if isinstance(v, (bytes, bytearray)):
            path = f"{outdir}/{name}.{k}.bin"
            with open(path, "wb") as f:
                f.write(v)
            out[k] = {"type": "bytes", "len": len(v), "b3": b3(path)}
        else:
            out[k] = {"type": type(v).__name__, "value": v}
    return out


def decode(spec):
    outdir = spec["outdir"]
    res = {}
    if "pull_request" in spec:
        res["pull_request"] = read_pull_request(open(spec["pull_request"], "rb").read())
    if "pull_response" in spec:
        data = open(spec["pull_response"], "rb").read()
        info = {"status": STATUS.get(data[0], "UNKNOWN")}
        if data[0] == 1:
            path = f"{outdir}/pull_response.tensor.bin"
            with open(path, "wb") as f:
                f.write(data[1:])
            info.update(len=len(data) - 1, b3=b3(path))
        res["pull_response"] = info
    if "push_envelope" in spec:
        data = open(spec["push_envelope"], "rb").read()
        value = read_envelope(data, "/activation/push")
        res["push_envelope"] = {"keys": list(value.keys()), "fields": described(value, outdir, "push")}
        # The same dict packed by Python's msgpack must give the very same body bytes.
        res["push_envelope"]["python_repack_equal"] = msgpack.packb(value, use_bin_type=True) == data[3:]
    if "peer_status" in spec:
        value = read_envelope(open(spec["peer_status"], "rb").read(), "/peer/status")
        res["peer_status"] = {"keys": list(value.keys()), "fields": described(value, outdir, "status")}
    if "push_ack" in spec:
        data = open(spec["push_ack"], "rb").read()
        res["push_ack"] = {"len": len(data), "status": STATUS.get(data[0], "UNKNOWN") if data else None}
    return res


def main():
    cmd = sys.argv[1]
    if cmd == "message":
        print(json.dumps({"text": sign_text(sys.argv[2], int(sys.argv[3]))}))
    elif cmd == "build":
        print(json.dumps(build(json.load(open(sys.argv[2])), sys.argv[3])))
    elif cmd == "decode":
        print(json.dumps(decode(json.load(open(sys.argv[2])))))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
