#!/usr/bin/env python3
"""Writes tests/fixtures/methods/sdk.json: what the official Python SDK (`clarifai`, the version
.ci/run installs) makes of a table of model methods and calls, for tests/it/methods_sdk.rs to
compare with clarifai-tonic's own, byte for byte.

For each method, built from a Python function by the SDK's `build_function_signature`:
- its MethodSignature (protobuf bytes) and the SDK's `get_method_signature` text;
- for each call, the arguments (tagged, so that Rust can build the same values) and the Input the
  SDK's ModelClient sends: `serialize(kwargs, input_fields)` plus `_method_name`;
- for each return value, the Data the SDK's model server sends back
  (`serialize({'return': value}, output_fields)`).

Run: target/interop-venv/bin/python scripts/sdk-method-fixtures.py   (CI reruns it and fails
when the file it writes differs from the one checked in.)
"""

import json
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import numpy as np
from clarifai_grpc.grpc.api import resources_pb2
from clarifai.runners.utils import data_types as dt
from clarifai.runners.utils.data_utils import Param
from clarifai.runners.utils.method_signatures import (
    build_function_signature, get_method_signature, serialize)

OUT = Path(__file__).resolve().parent.parent / "tests/fixtures/methods/sdk.json"


def hexed(message):
    # deterministic: map entries in key order, as prost writes them
    return message.SerializeToString(deterministic=True).hex()


# --- the methods (the bodies never run) ---------------------------------------------------------

def predict(prompt: str, temperature: float = 0.7, max_tokens: int = 16, loud: bool = False) -> str: ...
def scalars(s: str, b: bytes, i: int, f: float, flag: bool) -> Tuple[str, bytes, int, float, bool]: ...
def array(x: np.ndarray) -> np.ndarray: ...
def json_doc(doc: dt.JSON) -> dt.JSON: ...
def json_list(items: List[Dict]) -> List[Dict]: ...
def messages(text: dt.Text, image: dt.Image, audio: dt.Audio, video: dt.Video) -> Tuple[dt.Text, dt.Image]: ...
def concepts(concepts: List[dt.Concept]) -> List[dt.Concept]: ...
def one_concept(concept: dt.Concept) -> dt.Concept: ...
def regions(regions: List[dt.Region], frame: dt.Frame) -> List[dt.Region]: ...
def lists(words: List[str], numbers: List[int], nested: List[List[float]]) -> List[str]: ...
def named(name: str, scores: List[float]) -> dt.NamedFields(name=str, best=float, count=int): ...
def generate(prompt: str, count: int = 3) -> Iterator[str]: ...
def stream(chunks: Iterator[str], suffix: str = "?") -> Iterator[str]: ...
def params(prompt: str = Param(default="hi", description="what to say"),
           top_p: float = Param(default=0.9, min_value=0.0, max_value=1.0),
           style: str = Param(default="plain", choices=["plain", "fancy"]),
           tags: List[str] = ["a", "b"], extra: dt.JSON = {"k": [1, 2.5, None, True]},
           small: float = 1e-05, raw: bytes = b"x") -> Dict: ...


# --- tagged values: JSON that both sides turn into the same value ------------------------------

def message(kind, proto):
    return {"message": {"kind": kind, "hex": hexed(proto)}}


REGION = resources_pb2.Region(
    id="r1", value=0.5,
    region_info=resources_pb2.RegionInfo(bounding_box=resources_pb2.BoundingBox(
        top_row=0.1, left_col=0.2, bottom_row=0.3, right_col=0.4)),
    data=resources_pb2.Data(concepts=[resources_pb2.Concept(id="cat", name="cat", value=0.9)]))
FRAME = resources_pb2.Frame(
    frame_info=resources_pb2.FrameInfo(index=3, time=1200),
    data=resources_pb2.Data(image=resources_pb2.Image(url="https://samples.clarifai.com/a.jpg")))
IMAGE = resources_pb2.Image(url="https://samples.clarifai.com/metro-north.jpg")
AUDIO = resources_pb2.Audio(url="https://samples.clarifai.com/a.wav")
VIDEO = resources_pb2.Video(url="https://samples.clarifai.com/v.mp4")

MESSAGE_TYPES = {
    "image": (resources_pb2.Image, dt.Image), "audio": (resources_pb2.Audio, dt.Audio),
    "video": (resources_pb2.Video, dt.Video), "region": (resources_pb2.Region, dt.Region),
    "frame": (resources_pb2.Frame, dt.Frame), "text": (resources_pb2.Text, None),
    "concept": (resources_pb2.Concept, None),
}


def to_py(tagged):
    (tag, v), = tagged.items()
    if tag in ("str", "int", "float", "bool"):
        return v
    if tag == "bytes":
        return bytes(v)
    if tag == "json":
        return v
    if tag == "ndarray":
        return np.asarray(v["data"], dtype=v["dtype"]).reshape(v["shape"])
    if tag == "text":
        return dt.Text(v)
    if tag == "concept":
        return dt.Concept(v["name"], value=v.get("value", 1.0), id=v.get("id"))
    if tag == "message":
        proto_type, wrapper = MESSAGE_TYPES[v["kind"]]
        proto = proto_type.FromString(bytes.fromhex(v["hex"]))
        return wrapper(proto)
    if tag == "list":
        return [to_py(x) for x in v]
    if tag == "tuple":
        return tuple(to_py(x) for x in v)
    if tag == "named":
        return dt.NamedFields(**{k: to_py(x) for k, x in v})
    raise ValueError(tag)


S, I, F, B = (lambda v: {"str": v}), (lambda v: {"int": v}), (lambda v: {"float": v}), (lambda v: {"bool": v})
L, T, J = (lambda *v: {"list": list(v)}), (lambda *v: {"tuple": list(v)}), (lambda v: {"json": v})
ND = lambda dtype, shape, data: {"ndarray": {"dtype": dtype, "shape": shape, "data": data}}

TABLE = [
    (predict, [
        [("prompt", S("What is a cat?"))],
        [("prompt", S("hi")), ("temperature", F(0.25)), ("max_tokens", I(5)), ("loud", B(True))],
        [("prompt", S("an int for a float")), ("temperature", I(1))],
        [("prompt", S(""))],
    ], [S("hi|0.7|16")]),
    (scalars, [[("s", S("é")), ("b", {"bytes": [0, 255, 7]}), ("i", I(-3)), ("f", F(2.5)), ("flag", B(False))]],
     [T(S("a"), {"bytes": [1]}, I(2), F(0.5), B(True))]),
    (array, [[("x", ND("float32", [2, 2], [1, 2, 3, 4]))], [("x", ND("int64", [3], [1, -2, 3]))],
             [("x", ND("uint8", [2, 1, 2], [1, 2, 3, 4]))],
             # lists of numbers, as numpy's asarray takes them: ints as int64, any float float64
             [("x", L(L(I(1), I(2)), L(I(3), I(2**53 + 1))))], [("x", L(F(0.5), I(2)))]],
     [ND("float64", [2], [0.5, 1.5])]),
    (json_doc, [[("doc", J({"a": 1, "b": [1, 2, {"c": None}], "d": "x", "e": True}))], [("doc", J([1, "two", 3.5]))]],
     [J({"got": {"a": 1.0}, "kind": "dict"}), J([1.0, "x"])]),
    (json_list, [[("items", L(J({"a": 1}), J({"b": [2]})))]], [L(J({"a": 1.0}))]),
    (messages, [[("text", {"text": "hello"}), ("image", message("image", IMAGE)),
                 ("audio", message("audio", AUDIO)), ("video", message("video", VIDEO))],
                [("text", S("a str for a Text")), ("image", message("image", IMAGE)),
                 ("audio", message("audio", AUDIO)), ("video", message("video", VIDEO))]],
     [T({"text": "hi"}, message("image", IMAGE))]),
    (concepts, [[("concepts", L({"concept": {"name": "Big dog!", "value": 0.5}},
                                 {"concept": {"name": "cat", "id": "c1", "value": 1.0}}))]],
     [L({"concept": {"name": "a", "id": "a", "value": 0.5}}, {"concept": {"name": "b", "id": "b", "value": 0.25}})]),
    (one_concept, [[("concept", {"concept": {"name": "sky blue", "value": 0.75}})], [("concept", S("named by a str"))]],
     [{"concept": {"name": "x", "id": "x", "value": 0.25}}]),
    (regions, [[("regions", L(message("region", REGION), message("region", REGION))), ("frame", message("frame", FRAME))]],
     [L(message("region", REGION))]),
    (lists, [[("words", L(S("a"), S("b"))), ("numbers", L(I(1), I(2))), ("nested", L(L(F(1.5)), L(F(2.5), F(3.5))))],
             [("words", L()), ("numbers", L(I(0))), ("nested", L())]],
     [L(S("2:3:4.0"), S("a"))]),
    (named, [[("name", S("x")), ("scores", L(F(1.0), F(3.0)))]],
     [{"named": [["name", S("x")], ["best", F(3.0)], ["count", I(2)]]}]),
    (generate, [[("prompt", S("a b"))], [("prompt", S("a b")), ("count", I(0))]], [S("a")]),
    (stream, [[("chunks", S("first")), ("suffix", S("!"))], [("chunks", S("later"))]], [S("x?")]),
    (params, [[], [("prompt", S("yo")), ("tags", L(S("z"))), ("extra", J({}))]], [J({"ok": True})]),
]


def main():
    methods = []
    for func, calls, returns in TABLE:
        sig = build_function_signature(func)
        entry = {"name": sig.name, "method_hex": hexed(sig), "python": get_method_signature(sig),
                 "calls": [], "returns": []}
        for call in calls:
            kwargs = {name: to_py(v) for name, v in call}
            if sig.method_type == resources_pb2.RunnerMethodType.STREAMING_STREAMING and len(call) == 1:
                # a later item of a stream: only the streaming argument, by its own field
                fields = [f for f in sig.input_fields if f.iterator]
            else:
                fields = sig.input_fields
            inp = resources_pb2.Input()
            serialize(kwargs, fields, inp.data)
            inp.data.metadata["_method_name"] = sig.name
            entry["calls"].append({"args": [[n, v] for n, v in call], "stream_item_only": fields is not sig.input_fields,
                                   "input_hex": hexed(inp)})
        for ret in returns:
            data = resources_pb2.Data()
            serialize({"return": to_py(ret)}, sig.output_fields, data, is_output=True)
            entry["returns"].append({"value": ret, "data_hex": hexed(data)})
        methods.append(entry)
    text = json.dumps({"sdk": __import__("clarifai").__version__, "methods": methods}, indent=1, sort_keys=True)
    OUT.write_text(text + "\n")
    print(f"wrote {OUT} ({len(methods)} methods)", file=sys.stderr)


if __name__ == "__main__":
    main()
