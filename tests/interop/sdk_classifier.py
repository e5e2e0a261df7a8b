"""Calls the runner example's classifier (examples/common/classifier.rs), served by the Rust local
model server, with the official SDK's own client, ModelClient.from_local_grpc: every method, of
every kind. Prints what it got as JSON on one line."""

import json
import sys

from clarifai.client.model_client import ModelClient

client = ModelClient.from_local_grpc(port=int(sys.argv[1]))
got = {
    "methods": sorted(client.available_methods()),
    "signatures": {m: client.method_signature(m) for m in sorted(client.available_methods())},
    "predict": [[c.name, round(c.value, 4)] for c in client.predict(text="I love this great phone")],
    "predict_top1": [c.name for c in client.predict(text="an awful, slow day", top_k=1)],
    "generate": list(client.generate(texts=["good", "bad day", "a table"])),
    "stream": list(client.stream(iter(["love it", "hate it", "hmm"]), prefix="> ")),
}
print(json.dumps(got))
