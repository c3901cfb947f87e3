import Foundation

/// Runs Python pika (the bootstrap's virtual environment) as an independent AMQP client for interop checks.
enum PikaClient {
    static var python: URL {
        BrokerControl.repositoryRoot.appendingPathComponent(".state/venv/bin/python")
    }

    /// Runs `script` with `arguments` (at most 60 s), returning its standard output; throws with its output when it
    /// fails.
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        try BrokerControl.runChecked(self.python.path, ["-c", script] + arguments, what: "pika script")
    }

    /// Fetches one message from `queue` and prints it as JSON (body as a list of bytes, properties, headers).
    static let getScript = """
        import json, sys, time, pika
        url, queue = sys.argv[1], sys.argv[2]
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        # basic.consume rather than basic.get: a quorum queue answers basic.get with an added x-delivery-count
        # header and the table re-sorted, which is not what a consumer sees.
        method, properties, body = next(channel.consume(queue, auto_ack=True, inactivity_timeout=10))
        if method is None:
            sys.exit("no message in " + queue)
        headers = {k: (list(v) if isinstance(v, (bytes, bytearray)) else list(str(v).encode())) for k, v in (properties.headers or {}).items()}
        print(json.dumps({"body": list(body), "routing_key": method.routing_key, "message_id": properties.message_id,
            "content_type": properties.content_type, "correlation_id": properties.correlation_id,
            "delivery_mode": properties.delivery_mode, "timestamp": properties.timestamp,
            "header_names": list((properties.headers or {}).keys()), "headers": headers,
            "reply_to": properties.reply_to, "expiration": properties.expiration, "priority": properties.priority,
            "type": properties.type, "app_id": properties.app_id, "content_encoding": properties.content_encoding}))
        connection.close()
        """

    /// Publishes one message to an exchange with every basic property and headers (one text, one binary).
    static let publishScript = """
        import sys, pika
        url, exchange, key = sys.argv[1], sys.argv[2], sys.argv[3]
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange, key, bytes([0, 1, 2, 250, 255]), pika.BasicProperties(
            message_id="from-pika", content_type="application/octet-stream", correlation_id="corr-pika",
            delivery_mode=2, timestamp=1700000000, headers={"text": "grüße", "binary": b"\\x00\\xff"},
            reply_to="pika-replies", expiration="60000", priority=3, type="order.created", app_id="pika-app",
            content_encoding="identity"))
        connection.close()
        """
}
