#!/bin/sh
# The project's RabbitMQ users and their permissions on the vhost "/", idempotently: run on
# each `npm run infra:up` (native: on the project's node; docker: the compose one-shot
# service rabbitmq-init), so a password changed in the environment applies. Passwords come
# from the environment (dev defaults: tools/infra/src/settings.ts and docker-compose.yml).
#
# Infra declares every exchange and queue as the admin user; the services only check them
# (no `configure`, with which a service could delete or redeclare them). A permission is three
# regexes over resource names, for configure (declare/delete), write (publish to an exchange,
# bind to a queue) and read (consume a queue, bind from an exchange). A service may write its
# own exchange and its own dead-letter exchanges (`<exchange>.<service>.dlt`, the inbox
# publishes dead letters there, never through the default exchange: write on amq.default
# would reach every queue), and read its own queues `<exchange>.<service>`.
set -eu
: "${RABBITMQCTL:=rabbitmqctl}" # with its node, e.g. "rabbitmqctl -n rabbit@rabbitmq"
: "${INFRA_RABBITMQ_PASSWORD:?}" "${ORDER_RABBITMQ_PASSWORD:?}"
: "${SHIPPING_RABBITMQ_PASSWORD:?}" "${EMAIL_RABBITMQ_PASSWORD:?}"

ctl() { $RABBITMQCTL "$@"; }
users=$(ctl list_users --silent | cut -f1)
exists() { printf '%s\n' "$users" | grep -qx "$1"; }

# user NAME PASSWORD TAGS CONFIGURE WRITE READ
user() {
  if exists "$1"; then ctl change_password "$1" "$2" > /dev/null; else ctl add_user "$1" "$2" > /dev/null; fi
  ctl set_user_tags "$1" $3 > /dev/null
  ctl set_permissions -p / "$1" "$4" "$5" "$6" > /dev/null
}

user outbox-admin "$INFRA_RABBITMQ_PASSWORD" 'administrator' '.*' '.*' '.*'
user order-service "$ORDER_RABBITMQ_PASSWORD" '' '^$' \
  '^outbox\.event\.order$|^outbox\.event\.shipment\.order-service\.dlt$' \
  '^outbox\.event\.shipment\.order-service$'
user shipping-service "$SHIPPING_RABBITMQ_PASSWORD" '' '^$' \
  '^outbox\.event\.shipment$|^outbox\.event\.order\.shipping-service\.dlt$' \
  '^outbox\.event\.order\.shipping-service$'
user email-service "$EMAIL_RABBITMQ_PASSWORD" '' '^$' \
  '^outbox\.event\.(order|shipment)\.email-service\.dlt$' \
  '^outbox\.event\.(order|shipment)\.email-service$'

# The image's guest and the single user every service shared before (outbox) must not exist.
for old in guest outbox; do
  if exists "$old"; then ctl delete_user "$old" > /dev/null; fi
done
echo "rabbitmq users: outbox-admin, order-service, shipping-service, email-service"
