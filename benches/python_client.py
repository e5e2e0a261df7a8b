#!/usr/bin/env python3
"""The official Python client (clarifai-grpc, on grpcio) against a MockV2 server: unary
PostModelOutputs calls per second, sequentially and from a thread pool, with the same request as
examples/load.rs. Prints a Markdown row per mode.

    python3 benches/python_client.py 127.0.0.1:PORT [seconds] [rounds] [threads]
"""
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc

target = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 64

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


def measure(concurrency):
    stop = time.monotonic() + seconds
    started = time.monotonic()
    if concurrency == 1:
        total = loop(stop)
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            total = sum(pool.map(lambda _: loop(stop), range(concurrency)))
    return total / (time.monotonic() - started)


for concurrency in (1, threads):
    loop(time.monotonic() + 0.3)  # warm up
    samples = [measure(concurrency) for _ in range(rounds)]
    print(f"| {concurrency} | {statistics.median(samples):.0f} |")
