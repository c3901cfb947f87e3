# MessageBus developer entry points. Everything the targets need is installed by scripts/bootstrap.sh
# (idempotent: a second run takes about a second) and the local brokers run through scripts/brokers.sh.
#
#   make test                      bootstrap, start the brokers, swift test, stop them (CI runs this)
#   make demo                      the CLI demo on the in-memory backend
#   make demo BACKENDS="memory kafka rabbitmq"   the demo on real brokers too (started and stopped)
#   make bench                     MessageBus against raw librdkafka / rabbitmq-c and Python clients (release build)
#   make bench-quick               the same table, smaller (under two minutes once built)
#   make docs                      the DocC catalogs of MessageBus, MessageBusKafka and MessageBusRabbitMQ (warnings fail)
#   make lint                      swift format lint with .swift-format's rules (scripts/lint.sh; about 5 s)
#   make werror                    every target and test built with warnings as errors (own scratch path; 2-3 min)
#   make tsan                      ThreadSanitizer: unit suites, then RabbitMQ suites on a broker (own scratch path; 3-8 min; CI runs it)
#   make chaos                     faults (proxy cuts, stalls, slow links, node restart, killed consumer, churn,
#                                  slow consumer) against the brokers; a table; fails on a lost confirmed message
#   make brokers-start / brokers-stop / brokers-status
#
# SWIFT_FLAGS is passed to swift build/test/run, e.g. SWIFT_FLAGS="--scratch-path .build-mine".
# Brokers elsewhere: set MESSAGEBUS_KAFKA_BROKERS and MESSAGEBUS_AMQP_URL; nothing is started for them.

SHELL := /bin/bash
SWIFT ?= swift
SWIFT_FLAGS ?=
BACKENDS ?=
CHAOS_FLAGS ?=
export SWIFT_FLAGS

.PHONY: help bootstrap brokers-start brokers-stop brokers-status build test lint werror tsan demo bench bench-quick docs chaos clean-state

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

bootstrap:
	@scripts/bootstrap.sh

brokers-start: bootstrap
	@scripts/brokers.sh start

brokers-stop:
	@scripts/brokers.sh stop

brokers-status:
	@scripts/brokers.sh status

build: bootstrap
	$(SWIFT) build $(SWIFT_FLAGS)

# The whole suite against real brokers; the brokers this run started are stopped even when tests fail,
# and the exit status is swift test's.
test: bootstrap
	@scripts/with-brokers.sh kafka rabbitmq -- scripts/test.sh $(SWIFT_FLAGS)

# swift format lint over Sources, Tests, Examples, Benchmarks and Chaos; fails on a rule finding (the printer's
# line-layout notes are counted, not enforced: scripts/lint.sh says why).
lint:
	@scripts/lint.sh

# Every target and test built with -warnings-as-errors, in a scratch path of its own so that the flag does not
# rebuild the everyday .build. The flag reaches the dependencies too; they build with it (checked with the versions
# the machine carries), so a failure names a warning in this project's code.
werror: bootstrap
	$(SWIFT) build --build-tests --scratch-path .build-werror -Xswiftc -warnings-as-errors

# ThreadSanitizer, in a scratch path of its own (.build-tsan); any report fails it. First the unit suites: the core
# target (MessageBusTests) and the backends' suites that need no broker (RabbitMQ's state machines, command queue,
# tag window, decoders and configuration; Kafka's record codec, ack tracker, subscription state and delivery
# ledger). Then the RabbitMQ suites that cross the owner thread and the async callers on a real broker (consuming,
# publishing, the conformance cases, recovery, polling, RPC, cancellation), with RabbitMQ started for them.
# The suppressions (scripts/tsan-suppressions.txt) are Synchronization.Mutex's false positives, each checked.
# Skipped: InMemoryCancellationTests, whose one-second promptness bound is wall time that TSan's slowdown exceeds on
# two cores (make test runs them). Suites that start librdkafka's threads (a client, the mock cluster) are not in it:
# those threads crash TSan's runtime here (segfault in getaddrinfo on an rdk:broker thread), librdkafka not being
# instrumented.
TSAN_FILTER ?= MessageBusTests|AMQPConnectionStateMachineTests|AMQPConsumerStateMachineTests|ChannelNumberRotationTests|UnsettledTagsTests|SettleCoalescingTests|CommandQueueTests|AMQPMessageDecoderFuzzTests|RabbitMQConfigurationTests|RabbitMQConfigurationFuzzTests|KafkaRecordCodecTests|KafkaRecordCodecFuzzTests|PartitionAckTrackerTests|KafkaSubscriptionStateTests|KafkaDeliveryLedgerTests
TSAN_SKIP ?= InMemoryCancellationTests
# The unit suites whose loops never suspend (ten million ids, the seeded fuzzers, the channel and tag-window races)
# run in a process of their own, after the others: under TSan they hold both cooperative threads of a 2-core machine
# for a minute, and a promptness check beside them (a cancelled DedicatedThread.run) waited 1.8 s (CI failure).
# The other unit suites, and the RabbitMQ suites, run one test at a time (--no-parallel): run side by side under
# TSan, 144 tests kept both cooperative threads of a CI machine busy long enough that two cancelled waiters were
# resumed 16.9 s late and an in-memory retry due after 8 s did not arrive within 20 s (CI failure, stop 20); alone,
# each of those ends in 0.1 s. The RabbitMQ suites hold the same kind of promptness checks (RabbitMQCancellationTests).
# Each test's own tasks and threads still race under TSan; about 30 s instead of 13, and 80 s instead of 45-75.
TSAN_CPU_BOUND ?= MessageIDTests|MessageBusURLFuzzTests|AsyncBoundedChannelTests|UnsettledTagsTests|AMQPMessageDecoderFuzzTests|RabbitMQConfigurationFuzzTests|KafkaRecordCodecFuzzTests
TSAN_RABBITMQ_FILTER ?= RabbitMQConsumerTests|RabbitMQPublishingTests|RabbitMQConformanceTests|RabbitMQRecoveryTests|RabbitMQPollingTests|RabbitMQRPCTests|RabbitMQCancellationTests
TSAN_ENV = TSAN_OPTIONS="suppressions=$(CURDIR)/scripts/tsan-suppressions.txt $(TSAN_OPTIONS)"
tsan: bootstrap
	$(TSAN_ENV) $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --no-parallel --filter '$(TSAN_FILTER)' \
		--skip '$(TSAN_SKIP)|$(TSAN_CPU_BOUND)'
	$(TSAN_ENV) $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip-build --filter '$(TSAN_CPU_BOUND)'
	$(TSAN_ENV) scripts/with-brokers.sh rabbitmq -- $(SWIFT) test --sanitize=thread --scratch-path .build-tsan \
		--skip-build --no-parallel --filter '$(TSAN_RABBITMQ_FILTER)'

demo: bootstrap
	@scripts/demo.sh $(BACKENDS)

# Throughput, CPU, context switches, memory and latency side by side with the raw C libraries and the Python
# clients (confluent-kafka, pika from .state/venv), checked against the targets; about 5 minutes. BENCH_FLAGS is
# passed on (e.g. "--kafka-messages 500000", "--rounds 1", "--no-python", "--slow-consumer"; --help lists them).
bench: bootstrap
	@scripts/with-brokers.sh kafka rabbitmq -- $(SWIFT) run -c release $(SWIFT_FLAGS) messagebus-bench $(BENCH_FLAGS)

# The same table, smaller (one round, a quarter of the messages, 2 s latency runs): under two minutes once built.
bench-quick: bootstrap
	@scripts/with-brokers.sh kafka rabbitmq -- $(SWIFT) run -c release $(SWIFT_FLAGS) messagebus-bench \
		--rounds 1 --kafka-messages 50000 --rabbit-mq-messages 12500 --memory-messages 50000 \
		--python-publish-messages 1000 --latency-seconds 2 $(BENCH_FLAGS)

# DocC archives through swift-docc-plugin, one per module plus a combined one (the backends' pages link to the
# facade's symbols, which only combined documentation resolves), under .build/plugins/Swift-DocC/outputs.
# Any DocC warning (a broken symbol link, an undocumented parameter) fails the build. From the backends' doc
# comments, link to the facade's symbols with an absolute path: ``/MessageBus/MessageBusError/Code/closed``
# (``MessageBus/...`` would name the extended-module page, or the protocol).
DOCS_TARGETS := MessageBus MessageBusKafka MessageBusRabbitMQ MessageBridge
docs: bootstrap
	$(SWIFT) package $(SWIFT_FLAGS) generate-documentation $(addprefix --target ,$(DOCS_TARGETS)) \
		--enable-experimental-combined-documentation --warnings-as-errors

# Chaos scenarios against the real brokers (Chaos/MessageBusChaos), one table row each: published, confirmed,
# consumed, duplicates, lost, recovery time; exits non-zero when a confirmed message was lost or a scenario
# failed. About 12 minutes; CHAOS_FLAGS="--short" is the CI setting (about 4 minutes), "--only TEXT" picks scenarios,
# "--list" lists them.
chaos: bootstrap
	@scripts/with-brokers.sh kafka rabbitmq -- $(SWIFT) run $(SWIFT_FLAGS) messagebus-chaos $(CHAOS_FLAGS)

# Stops the local brokers and removes everything bootstrap and the brokers left in .state/ (the venv,
# Tansu, broker data and logs). Installed system packages and /usr/local's librdkafka stay.
clean-state: brokers-stop
	rm -rf .state
