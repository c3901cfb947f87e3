"""pika baseline for messagebus-bench: a confirmed publisher and a prefetching consumer as a Python user writes them.

  rabbitmq_client.py publish --url URL --exchange E --count N --size S
  rabbitmq_client.py consume --url URL --queue Q --count N --prefetch 256 --ack-every 1 [--timeout 180]

The publisher uses BlockingChannel.confirm_delivery(), so each basic_publish waits for its own confirm (pika's
blocking API has no window): far slower than a windowed publisher, and said so in the harness's output.
Messages are persistent and carry a message id and a timestamp, as MessageBus publishes them.
"""

import argparse
import time

import pika

from bench_meter import Meter, fail

MESSAGE_ID = "5F1A7C2E-9B3D-4E8A-A1C6-0D2B4F6E8A90"


def publish(args, channel):
    channel.confirm_delivery()
    payload = b"x" * args.size

    def publish_one():
        properties = pika.BasicProperties(delivery_mode=2, message_id=MESSAGE_ID, timestamp=int(time.time()))
        channel.basic_publish(args.exchange, "", payload, properties)  # raises when the broker nacks it

    publish_one()  # the warm-up message every client sends outside the window
    meter = Meter()
    meter.begin()
    for _ in range(args.count):
        publish_one()
    meter.finish()
    meter.report(args.count)


def consume(args, connection, channel):
    """basic_consume with manual acks: each one, or a multiple ack every --ack-every deliveries."""
    channel.basic_qos(prefetch_count=args.prefetch)
    meter = Meter()
    received = 0

    def on_message(channel, method, _properties, _body):
        nonlocal received
        meter.begin()
        received += 1
        if received % args.ack_every == 0 or received == args.count:
            channel.basic_ack(method.delivery_tag, multiple=args.ack_every > 1)
        if received == args.count:
            meter.finish()
            channel.stop_consuming()

    def on_timeout():
        channel.stop_consuming()

    connection.call_later(args.timeout, on_timeout)
    channel.basic_consume(args.queue, on_message)
    channel.start_consuming()
    if received < args.count:
        fail(f"pika consumer received {received} of {args.count} within {args.timeout} s")
    meter.report(received)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["publish", "consume"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--exchange")
    parser.add_argument("--queue")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--prefetch", type=int, default=256)
    parser.add_argument("--ack-every", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    channel = connection.channel()
    if args.mode == "publish":
        publish(args, channel)
    else:
        consume(args, connection, channel)
    connection.close()


if __name__ == "__main__":
    main()
