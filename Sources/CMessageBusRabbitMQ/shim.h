// The rabbitmq-c headers MessageBusRabbitMQ builds on. rabbitmq-c 0.12 and later (Homebrew, Debian 13)
// install them under <rabbitmq-c/...> with new names; 0.11 (Debian 12) installs flat <amqp*.h> headers.
#ifndef C_MESSAGEBUS_RABBITMQ_SHIM_H
#define C_MESSAGEBUS_RABBITMQ_SHIM_H

#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/framing.h>
#include <rabbitmq-c/tcp_socket.h>
#include <rabbitmq-c/ssl_socket.h>
#else
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
#endif

// amqp_login and amqp_login_with_properties are variadic (the SASL method's arguments follow it), and Swift
// cannot call C variadic functions. These wrappers pass the PLAIN method with a user name and password.
static inline amqp_rpc_reply_t messagebus_amqp_login_plain(amqp_connection_state_t state, char const *vhost,
                                                           int channel_max, int frame_max, int heartbeat,
                                                           char const *user, char const *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

static inline amqp_rpc_reply_t messagebus_amqp_login_plain_with_properties(
    amqp_connection_state_t state, char const *vhost, int channel_max, int frame_max, int heartbeat,
    amqp_table_t const *client_properties, char const *user, char const *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, client_properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}

#endif
