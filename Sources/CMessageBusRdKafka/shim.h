// The librdkafka headers MessageBusKafka builds on: the client API and the in-process mock cluster
// (`rdkafka_mock.h`), which backs the public `kafka-mock://` test cluster.
#ifndef C_MESSAGEBUS_RDKAFKA_SHIM_H
#define C_MESSAGEBUS_RDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#endif
