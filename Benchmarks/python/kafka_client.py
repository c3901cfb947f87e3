"""confluent-kafka baseline for messagebus-bench: the producer and consumer loops a Python user writes.

  kafka_client.py produce --config JSON --topic T --count N --size S [--batch 1000]
  kafka_client.py consume --config JSON --topic T --group G --count N [--timeout 180]

--config is the librdkafka configuration the raw C client uses too (the harness passes it), so all three
clients ask the broker for the same work. Records carry the same `ce_id` header MessageBus writes.
"""

import argparse
import json
import time

from confluent_kafka import Consumer, KafkaException, Producer

from bench_meter import Meter, fail

HEADERS = [("ce_id", b"5F1A7C2E-9B3D-4E8A-A1C6-0D2B4F6E8A90")]


def produce(args, config):
    """produce() + poll(0) per record, then flush(); with --batch, flush() after every batch as well."""
    producer = Producer(config)
    payload = b"x" * args.size
    outcome = {"delivered": 0, "failed": 0}

    def on_delivery(error, _message):
        outcome["failed" if error else "delivered"] += 1

    # The warm-up record every client sends outside the window: connected, with an idempotent producer id.
    producer.produce(args.topic, value=payload, headers=HEADERS)
    producer.flush()
    meter = Meter()
    meter.begin()
    for index in range(args.count):
        while True:
            try:
                producer.produce(args.topic, value=payload, headers=HEADERS, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.01)  # the local queue is full: serve delivery reports, then retry
        producer.poll(0)
        if args.batch and (index + 1) % args.batch == 0:
            producer.flush()
    producer.flush()
    meter.finish()
    if outcome["delivered"] != args.count:
        fail(f"python producer delivered {outcome['delivered']} of {args.count}, {outcome['failed']} failed")
    meter.report(args.count)


def consume(args, config):
    """A poll loop that stores each record's offset once processed (committed by librdkafka's auto-commit)."""
    consumer = Consumer(dict(config, **{"group.id": args.group}))
    consumer.subscribe([args.topic])
    meter = Meter()
    received = 0
    deadline = time.monotonic() + args.timeout
    while received < args.count:
        if time.monotonic() > deadline:
            fail(f"python consumer received {received} of {args.count} within {args.timeout} s")
        message = consumer.poll(0.1)
        if message is None:
            continue
        if message.error():
            raise KafkaException(message.error())
        meter.begin()
        consumer.store_offsets(message=message)
        received += 1
    meter.finish()
    consumer.close()
    meter.report(received)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["produce", "consume"])
    parser.add_argument("--config", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--batch", type=int, default=0)
    parser.add_argument("--group")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    config = json.loads(args.config)
    produce(args, config) if args.mode == "produce" else consume(args, config)


if __name__ == "__main__":
    main()
