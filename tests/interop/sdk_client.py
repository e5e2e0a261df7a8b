"""Calls a local model server with the official SDK's own client, ModelClient.from_local_grpc,
as tests/it/local_server.rs expects of the Rust echo model and of the Python one, and prints what it
got as JSON on one line."""

import json
import re
import sys

import numpy as np
from clarifai.client.model_client import ModelClient
from clarifai.runners.utils.data_types import Audio, Concept, Frame, Image, Region, Text, Video

client = ModelClient.from_local_grpc(port=int(sys.argv[1]))
named = client.named(name="x", scores=[1.0, 3.0])
got = {
    "methods": list(client.available_methods()),
    "signature": client.method_signature("predict"),
    "predict": client.predict(prompt="hi"),
    "predict_args": client.predict(prompt="hi", temperature=1, max_tokens=5, loud=True),
    "scalars": list(client.scalars("a", b"b", 1, 2.5, True)[i] for i in (0, 2, 3, 4)),
    "array": client.array(np.arange(4, dtype=np.float32).reshape(2, 2)).tolist(),
    "json": client.json({"a": 1, "b": [1, 2]}),
    "named": {"name": named.name, "best": named.best, "count": named.count},
    "generate": list(client.generate(prompt="a b", count=2)),
    "stream": list(client.stream(iter(["x", "y"]))),
}
# The message types, compared as their protos' text form.
proto = lambda value: str(value.to_proto())
text, image, audio, video = client.messages(
    Text("hi"), Image(bytes=b"img"), Audio(bytes=b"aud"), Video(bytes=b"vid"))
got["messages"] = [proto(text), proto(image), proto(audio), proto(video)]
got["concepts"] = [proto(c) for c in client.concepts([Concept("cat", 0.8, id="c1"), Concept("dog", 0.5)])]
got["one_concept"] = proto(client.one_concept(Concept("Golden dog", 0.9)))
region = Region(box=[0.1, 0.2, 0.3, 0.4], concepts=[Concept("cat", 0.7)], text="a cat", id="r1")
got["regions"] = [proto(r) for r in client.regions([region])]
frame = Frame(image=Image(bytes=b"frame"), regions=[region], time=1.5, index=2)
got["frames"] = [proto(f) for f in client.frames([frame])]
got["lists"] = client.lists(["a", "b"], [1, 2, 3], [[0.5, 1.5], [2.0]])
got["json_list"] = client.json_list(items=[{"a": 1}, {"b": [2]}])
try:
    client.fail(reason="on purpose")
    got["fail"] = "no error"
except Exception as e:  # the SDK raises on a non-SUCCESS answer, with the status in its text
    got["fail"] = str(e)
    code = re.search(r"code: (\w+)", got["fail"])
    details = re.search(r'details: "([^"]*)"', got["fail"])
    got["fail_status"] = [code and code.group(1), details and details.group(1)]
print(json.dumps(got))
