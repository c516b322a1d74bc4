#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/: a few small valid
inputs per target, in each target's input layout (see the comment at the top
of each fuzz/*_fuzzer.cc). Run from the repository root; rewrites the files
it makes. Notes that need a signature are signed by the harness (a flag bit),
so nothing here needs a key."""
import gzip, os, struct, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    assert len(data) < 4096, (target, name, len(data))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# protobuf wire format
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
def f_varint(field, n): return varint(field << 3) + varint(n)
def f_bytes(field, b): return varint((field << 3) | 2) + varint(len(b)) + b
def u16(n): return struct.pack("<H", n)
def lp(b): return u16(len(b)) + b

# tensor byte format (common/tensor/serialization.h)
def tensor_spec(name, shape):
    return f_bytes(1, name.encode()) + f_bytes(2, b"".join(varint(d) for d in shape)) + f_varint(3, 1)
def param_set(specs, values):
    header = b"".join(f_bytes(1, tensor_spec(n, s)) for n, s in specs)
    used = 8 + 4 + len(header)
    pad = (16 - used % 16) % 16
    return b"FEDGEPS1" + struct.pack("<I", len(header)) + header + b"\0" * pad + struct.pack("<%df" % len(values), *values)

LAYOUT = [("fc.weight", [2, 3]), ("fc.bias", [3])]
put("tensor_deserialize", "empty", param_set([], []))
put("tensor_deserialize", "scalar", param_set([("s", [])], [1.5]))
put("tensor_deserialize", "layout", param_set(LAYOUT, [0.1 * i for i in range(9)]))
put("tensor_deserialize", "zero-dim", param_set([("z", [0, 4]), ("b", [2])], [1.0, -1.0]))

# chunk_assembler: u8 flags, u16 declared, u16 limit, chunks (u8 kind, u16 size, bytes)
def chunks(flags, declared, limit, parts):
    return bytes([flags]) + u16(declared) + u16(limit) + b"".join(bytes([k]) + lp(p) for k, p in parts)
put("chunk_assembler", "one-chunk", chunks(1, 5, 100, [(0, b"hello")]))
put("chunk_assembler", "three-chunks", chunks(1, 9, 9, [(0, b"abc"), (0, b"def"), (0, b"ghi")]))
put("chunk_assembler", "gap", chunks(1, 6, 100, [(0, b"abc"), (5, b"def")]))
put("chunk_assembler", "empty", chunks(1, 0, 0, []))
put("chunk_assembler", "bad-digest", chunks(0, 3, 10, [(0, b"abc"), (0xff, b"")]) + b"\x01" * 32)

# update_validation: u16 header length, UpdateHeader, update bytes
good = param_set(LAYOUT, [0.5] * 9)
hdr = f_varint(1, 3) + f_varint(2, 2) + f_varint(3, len(good)) + f_bytes(4, b"\xaa" * 32)
put("update_validation", "valid", lp(hdr) + good)
put("update_validation", "stale-round", lp(f_varint(1, 2) + f_varint(2, 2)) + good)
put("update_validation", "nan", lp(hdr) + param_set(LAYOUT, [float("nan")] + [0.0] * 8))
put("update_validation", "wrong-shape", lp(hdr) + param_set([("fc.weight", [3, 2]), ("fc.bias", [3])], [0.0] * 9))

# secagg: edits (u8 op: 0 honest, 1 merge, 2 replace, 3 drop; bit 2 duplicate)
put("secagg_server", "honest", bytes([0]) + bytes([0, 0]) * 4)
put("secagg_server", "drop-at-masked-input", bytes([0]) + bytes([0, 0, 0, 0, 3, 0, 0, 0]))
put("secagg_server", "duplicate-advertise", bytes([0]) + bytes([4, 0, 0, 0, 0, 0, 0, 0]))
put("secagg_server", "merge-share-keys", bytes([0]) + bytes([0, 0, 1]) + lp(f_bytes(1, f_bytes(1, b"dev-10"))) + bytes([0, 0, 0, 0, 0]))
put("secagg_server", "impersonate", bytes([1]) + bytes([0, 0]) * 4)
put("secagg_client", "honest", bytes([0, 0, 0, 0]))
put("secagg_client", "drop-unmask", bytes([0, 0, 0, 3]))
put("secagg_client", "both-secrets", bytes([0, 0, 0, 1]) + lp(f_bytes(3, b"dev-11")))
put("secagg_client", "wrong-round", bytes([0, 1]) + lp(f_varint(1, 8)) + bytes([0, 0]))

# configs: the repository's examples, and small ones
def config_seeds(target, subdir, prefix):
    n = 0
    cfgdir = os.path.join(os.path.dirname(ROOT), "..", "configs", subdir)
    for name in sorted(os.listdir(cfgdir)):
        p = os.path.join(cfgdir, name)
        if not name.startswith(prefix) or not name.endswith(".yaml"):
            continue
        text = open(p, "rb").read()
        if len(text) >= 4096:
            continue
        put(target, name, text)
        n += 1
        if n == 6:
            break
config_seeds("server_config", "demo", "server")
config_seeds("server_config", "server", "")
config_seeds("client_config", "demo", "client")
config_seeds("client_config", "client", "")
config_seeds("sim_config", "sim", "")
put("server_config", "minimal.yaml", b"rounds: 3\n")
put("client_config", "minimal.yaml", b"server: localhost:7443\n")
put("sim_config", "minimal.yaml", b"fleet:\n  clients: 4\n")

# record files
def frame(records):
    out = b"FEDGELG1"
    for r in records:
        l = struct.pack("<I", len(r))
        out += l + struct.pack("<I", zlib.crc32(l + r) & 0xFFFFFFFF) + r
    return out
put("record_log", "empty", frame([]))
put("record_log", "three", frame([b"one", b"", b"three"]))
put("record_log", "torn-tail", frame([b"entry"]) + b"\x05\0\0")
put("record_log", "magic-prefix", b"FEDG")
put("record_log", "bad-crc", frame([b"abc"])[:-1] + b"x")

# checkpoints (c2sp tlog-checkpoint); the root of an empty tree and of one leaf
import hashlib, base64
def leaf(b): return hashlib.sha256(b"\0" + b).digest()
def node(a, b): return hashlib.sha256(b"\1" + a + b).digest()
def root(entries):
    hs = [leaf(e) for e in entries]
    if not hs: return hashlib.sha256(b"").digest()
    def mth(h):
        if len(h) == 1: return h[0]
        k = 1
        while k * 2 < len(h): k *= 2
        return node(mth(h[:k]), mth(h[k:]))
    return mth(hs)
def checkpoint(origin, entries, ext=b""):
    return origin + b"\n" + str(len(entries)).encode() + b"\n" + base64.b64encode(root(entries)) + b"\n" + ext
ents = [b"e0", b"e1", b"e2"]
put("signed_note", "checkpoint-signed", b"\x01" + checkpoint(b"fedge/fuzz", ents, b"time 1700000000000\n"))
put("signed_note", "checkpoint-unsigned", b"\x00" + checkpoint(b"fedge/fuzz", []))
put("signed_note", "note-foreign-sig", b"\x00" + checkpoint(b"fedge/fuzz", ents) + b"\n\xe2\x80\x94 other AAAAAAAAAAAA\n")

# audit_log: flags 0 = harness frames records and signs checkpoint texts
def audit(records, texts):
    return b"\x00" + bytes([len(records)]) + b"".join(lp(r) for r in records) + b"".join(lp(t) for t in texts)
put("audit_log", "two-checkpoints", audit(ents, [checkpoint(b"fedge/fuzz", ents[:2]), checkpoint(b"fedge/fuzz", ents)]))
put("audit_log", "unsigned-tail", audit(ents, [checkpoint(b"fedge/fuzz", ents[:1])]))
put("audit_log", "empty", audit([], []))
put("audit_log", "raw", b"\x03" + lp(frame(ents)) + frame([b"not a note"]))

# receipt: flags (bit 0: sign the receipt's checkpoint), u16 receipt, evidence
upload = f_bytes(1, b"dev-10") + f_bytes(2, b"\x11" * 32)  # UploadAccepted
event = f_varint(2, 4) + f_bytes(13, upload)
entries = [b"x", event, b"y"]
proof_for_1 = [leaf(b"x"), leaf(b"y")]
rc = (f_bytes(1, b"fedge/fuzz") + f_varint(2, 4) + f_bytes(3, b"dev-10") + f_bytes(4, b"\x11" * 32)
      + f_varint(5, 1) + f_bytes(6, event) + b"".join(f_bytes(7, p) for p in proof_for_1)
      + f_bytes(8, checkpoint(b"fedge/fuzz", entries)))
ev = f_bytes(1, checkpoint(b"fedge/fuzz", entries + [b"z"])) + f_varint(2, 3)
put("receipt", "receipt-and-evidence", b"\x03" + lp(rc) + ev)
put("receipt", "receipt-only", b"\x01" + lp(rc))
put("receipt", "unsigned", b"\x00" + lp(rc))

# IDX: u16 image file length, image file, label file
def idx_images(n, r, c, gz=False):
    b = struct.pack(">IIII", 0x803, n, r, c) + bytes((i * 37) % 256 for i in range(n * r * c))
    return gzip.compress(b, mtime=0) if gz else b
def idx_labels(n, gz=False):
    b = struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))
    return gzip.compress(b, mtime=0) if gz else b
put("idx_reader", "raw", lp(idx_images(3, 4, 4)) + idx_labels(3))
put("idx_reader", "gzip", lp(idx_images(2, 3, 5, True)) + idx_labels(2, True))
put("idx_reader", "count-mismatch", lp(idx_images(2, 2, 2)) + idx_labels(3))
put("idx_reader", "empty", lp(idx_images(0, 28, 28)) + idx_labels(0))

# CSV: u8 flags, [u8 label column unless flag bit 1], u8 classes, file
put("csv_reader", "header-label-first", bytes([1, 0, 0]) + b"label,a,b\n1,0.5,2\n0,1e-3,-4\n")
put("csv_reader", "label-last", bytes([2, 3]) + b"1,2,0\n3,4,1\n5,6,2\n")
put("csv_reader", "shaped", bytes([1 | 4 | (1 << 4), 0, 4]) + b"y,a,b,c,d\n3,1,2,3,4\n")
put("csv_reader", "bad-value", bytes([1, 0, 0]) + b"y,x\n1,abc\n")

# HTTP: u8 piece size, request
put("http_request", "get", b"\x07GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
put("http_request", "post", b"\x10POST /v1/predict?x=1 HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody")
put("http_request", "bare-lf", b"\x01GET / HTTP/1.0\nA: b\nA: c\n\n")
put("http_request", "listen", b"\x00[::1]:8080")
put("http_request", "absolute", b"\x03GET http://x/y?z HTTP/1.1\r\n\r\n")
