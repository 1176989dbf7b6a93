#!/bin/sh
# Compose's broker runs the native template (server.properties) with container listeners:
# the image's env-to-properties cannot carry a JAAS line, nor add SCRAM users at format time.
set -eu
# Where the image keeps things; a test runs this script against stand-ins.
kafka_home=${KAFKA_HOME:-/opt/kafka} infra=${INFRA_KAFKA_DIR:-/infra/kafka}
data=${KAFKA_DATA_DIR:-/var/lib/kafka/data} tmp=${TMPDIR:-/tmp}
for var in KAFKA_ADMIN_PASSWORD ORDER_KAFKA_PASSWORD SHIPPING_KAFKA_PASSWORD EMAIL_KAFKA_PASSWORD DASHBOARD_KAFKA_PASSWORD CONNECT_KAFKA_PASSWORD; do
  eval "value=\${$var:-}"
  # As tools/infra checks: the value goes into a SCRAM spec and a JAAS line.
  case "$value" in
    '' | *[[:space:],\]\"\'\\\;=\$\&\|]*) echo "$var must be set, without spaces or any of , ] \" ' \\ ; = \$ & |" >&2; exit 1 ;;
  esac
done
conf=$tmp/server.properties
jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$KAFKA_ADMIN_PASSWORD\";"
sed -e 's|^listeners=.*|listeners=INTERNAL://0.0.0.0:19092,CLIENT://0.0.0.0:29092,CONTROLLER://0.0.0.0:9093,PROXIED://0.0.0.0:29094|' \
  -e 's|^advertised.listeners=.*|advertised.listeners=INTERNAL://kafka:19092,CLIENT://127.0.0.1:29092,PROXIED://127.0.0.1:29095|' \
  -e 's|^inter.broker.listener.name=.*|inter.broker.listener.name=INTERNAL|' \
  -e 's|^listener.security.protocol.map=|listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,|' \
  -e '/^listener\.name\..*\.sasl\.jaas\.config=/d' \
  -e 's|@NODE_ID@|1|; s|@QUORUM_VOTERS@|1@kafka:9093|' \
  -e 's|@HOST@|kafka|g; s|@CONTROLLER_PORT@|9093|g' -e "s|@LOG_DIRS@|$data|" \
  "$infra/server.properties" > "$conf"
for listener in internal client controller proxied; do
  printf 'listener.name.%s.scram-sha-512.sasl.jaas.config=%s\n' "$listener" "$jaas" >> "$conf"
done
# For the health check and kafka-init: the admin's client settings.
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=%s\n' "$jaas" > "$tmp/admin.properties"
if [ ! -f "$data/meta.properties" ]; then
  "$kafka_home/bin/kafka-storage.sh" format -t outboxRefClusterId0001 -c "$conf" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=order-service,password=$ORDER_KAFKA_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=shipping-service,password=$SHIPPING_KAFKA_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=email-service,password=$EMAIL_KAFKA_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=dashboard,password=$DASHBOARD_KAFKA_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=connect,password=$CONNECT_KAFKA_PASSWORD]"
fi
export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$infra/log4j2.properties"
exec "$kafka_home/bin/kafka-server-start.sh" "$conf"
