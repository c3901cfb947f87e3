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

#endif
