#!/usr/bin/env python3
"""The official Python client (clarifai-grpc, on grpcio) against a MockV2 server: unary
PostModelOutputs calls, with the same request and metadata as examples/load.rs, from one thread
or from a pool of threads. Speaks the protocol of benches/compare_clients.sh: warms up for 0.5 s,
then calls for SECONDS and prints one line, `calls wall_seconds cpu_seconds`, where the CPU is
this process's own (user + system, all threads) over that window.

    python3 benches/python_client.py 127.0.0.1:PORT CONCURRENCY SECONDS
"""
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc

if len(sys.argv) != 4:
    sys.exit(__doc__)
target = sys.argv[1]
concurrency = int(sys.argv[2])
seconds = float(sys.argv[3])

# The client's own channel factory, as its users call it (with its retry service config).
host, port = target.rsplit(":", 1)
channel = ClarifaiChannel.get_insecure_grpc_channel(base=host, port=int(port))
stub = service_pb2_grpc.V2Stub(channel)
metadata = (("authorization", "Key bench-pat"),)
request = service_pb2.PostModelOutputsRequest(
    user_app_id=resources_pb2.UserAppIDSet(user_id="me", app_id="app"),
    model_id="general-image-recognition",
    inputs=[resources_pb2.Input(data=resources_pb2.Data(image=resources_pb2.Image(url="https://samples.clarifai.com/metro-north.jpg")))],
)


def call():
    response = stub.PostModelOutputs(request, metadata=metadata)
    assert response.status.code == 10000, response.status


def loop(stop):
    n = 0
    while time.monotonic() < stop:
        call()
        n += 1
    return n


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The pool is started before the warm-up, so that starting its threads is not in the window.
with ThreadPoolExecutor(max_workers=concurrency) as pool:

    def window(secs):
        stop = time.monotonic() + secs
        return sum(pool.map(lambda _: loop(stop), range(concurrency)))

    window(0.5)
    cpu = cpu_seconds()
    started = time.monotonic()
    calls = window(seconds)
    wall = time.monotonic() - started
    cpu = cpu_seconds() - cpu
print(f"{calls} {wall:.6f} {cpu:.6f}")
