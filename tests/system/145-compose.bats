#!/usr/bin/env bats
# cabin compose, built in: the seed's deployment (a web service built from a
# Containerfile, a database stand-in with a healthcheck and a named volume)
# end to end; interpolation and .env; recreating only what changed; scale;
# logs with prefixes; config output; errors that name the path and line.
#
# Behaviour is Docker Compose v2's (Podman 4.3 has no compose of its own).

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
  PROJ=$BATS_TEST_TMPDIR/shop
  mkdir -p "$PROJ/web"
  cd "$PROJ"
}

# The database stand-in: serves /data/count over HTTP once "ready" (a
# second after it starts), healthy only from then on. init: true, so that
# busybox httpd, which ignores SIGTERM as PID 1, stops at once.
write_project() {
  cat >compose.yml <<EOF
name: shop
services:
  db:
    image: $PROBE_IMAGE
    init: true
    command: ["sh", "-c", "sleep 1; [ -f /data/count ] || echo 0 >/data/count; touch /tmp/ready; exec httpd -f -p 80 -h /data"]
    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ready"]
      interval: 1s
      retries: 3
    volumes:
      - dbdata:/data
  web:
    build: ./web
    image: localhost/shopweb:\${TAG:-1}
    init: true
    depends_on:
      db:
        condition: service_healthy
    environment:
      GREETING: \${GREETING:-hello}
volumes:
  dbdata:
EOF
  cat >web/Containerfile <<EOF
FROM $PROBE_IMAGE
ARG VERSION=1
RUN echo "\$VERSION" >/version
COPY app.sh /app.sh
CMD ["sh", "/app.sh"]
EOF
  echo 'echo "web $GREETING v$(cat /version) starting"; exec httpd -f -p 80 -h /' >web/app.sh
}

@test "compose: the seed's deployment: up --build -d in dependency order, by name; down and up keep the data, down -v not" {
  write_project
  run_cabin compose up --build -d
  # db is healthy before web is created.
  is "$(grep -E 'Container shop-(db|web)-1  (Healthy|Created)' <<<"$stderr" | tr '\n' '|')" \
    " Container shop-db-1  Created\| Container shop-db-1  Healthy\| Container shop-web-1  Created\|"
  run_cabin compose ps --format '{{.Name}} {{.Service}} {{.State}}'
  is "$output" "shop-db-1 db running
shop-web-1 web running"
  run_cabin ps --format '{{.Names}} {{.Status}}' --filter name=shop-db
  is "$output" "shop-db-1 Up .* \(healthy\)"
  run_cabin inspect --format '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}}' shop-web-1
  is "$output" "shop web 1"
  # web reaches db by its service name on the project's network.
  run_cabin compose exec web probe http http://db/count
  is "$output" "0"
  run_cabin compose exec db sh -c 'echo 5 >/data/count'
  run_cabin network ls --format '{{.Name}}'
  assert_contains "$output" "shop_default"
  run_cabin volume ls --format '{{.Name}}'
  is "$output" "shop_dbdata"

  run_cabin compose down
  is "$(grep -c Removed <<<"$stderr")" "3" "two containers and the network"
  run_cabin ps -a --filter label=com.docker.compose.project=shop -q
  is "$output" ""
  run_cabin network ls --format '{{.Name}}'
  assert_not_contains "$output" "shop_default"
  run_cabin volume ls --format '{{.Name}}'
  is "$output" "shop_dbdata" "down keeps named volumes"

  run_cabin compose up -d
  run_cabin compose exec web probe http http://db/count
  is "$output" "5" "the data survived down and up"
  run_cabin compose down -v
  run_cabin volume ls -q
  is "$output" ""
  run_cabin compose up -d
  run_cabin compose exec web probe http http://db/count
  is "$output" "0" "down -v removed the data"
  run_cabin compose down -v --rmi local
}

@test "compose: up recreates only what changed; a new image tag rolls forward and back" {
  write_project
  run_cabin compose up -d --build
  local db web
  db=$(cabin_out inspect --format '{{.Id}}' shop-db-1)
  web=$(cabin_out inspect --format '{{.Id}}' shop-web-1)
  run_cabin compose up -d
  assert_contains "$stderr" "Container shop-web-1  Running"
  is "$(cabin_out inspect --format '{{.Id}}' shop-web-1)" "$web" "nothing changed: nothing recreated"

  # An environment change recreates web only.
  GREETING=bye run_cabin compose up -d
  assert_contains "$stderr" "Container shop-web-1  Recreate"
  is "$(cabin_out inspect --format '{{.Id}}' shop-db-1)" "$db" "db kept"
  [[ $(cabin_out inspect --format '{{.Id}}' shop-web-1) != "$web" ]] || die "web was not recreated"
  run_cabin compose logs web
  is "$output" "shop-web-1  \| web bye v1 starting"

  # Roll forward to a new tag (built), then back to the first.
  sed -i 's/ARG VERSION=1/ARG VERSION=2/' web/Containerfile
  TAG=2 run_cabin compose up -d --build
  run_cabin inspect --format '{{.ImageName}}' shop-web-1
  is "$output" "localhost/shopweb:2"
  run_cabin compose exec web cat /version
  is "$output" "2"
  TAG=1 run_cabin compose up -d
  run_cabin compose exec web cat /version
  is "$output" "1" "rolled back"
  is "$(cabin_out inspect --format '{{.Id}}' shop-db-1)" "$db" "db kept through it all"

  # --force-recreate recreates everything; --no-recreate nothing.
  run_cabin compose up -d --force-recreate
  [[ $(cabin_out inspect --format '{{.Id}}' shop-db-1) != "$db" ]] || die "--force-recreate kept db"
  db=$(cabin_out inspect --format '{{.Id}}' shop-db-1)
  GREETING=other run_cabin compose up -d --no-recreate
  is "$(cabin_out inspect --format '{{.Id}}' shop-db-1)" "$db"
  run_cabin compose down -v
}

@test "compose: config with interpolation, .env and overrides; --services and --volumes" {
  cat >compose.yml <<'EOF'
services:
  app:
    image: ${APP_IMAGE}
    environment:
      - PLAIN=${PLAIN}
      - DEFAULTED=${UNSET:-fallback}
      - EMPTY_DEFAULT=${EMPTY-kept-empty}
      - ALT=${PLAIN:+alternative}
      - DOLLAR=$$HOME
    ports:
      - "${PORT:-8080}:80"
    volumes:
      - data:/data
      - ./conf:/etc/app:ro
volumes:
  data:
EOF
  printf 'APP_IMAGE=%s\nPLAIN=from-dotenv\nEMPTY=\n' "$PROBE_IMAGE" >.env
  cat >compose.override.yml <<'EOF'
services:
  app:
    environment:
      EXTRA: yes
EOF
  PLAIN=from-environment run_cabin compose config
  local base=${PROJ##*/}
  is "$output" "name: $base
services:
  app:
    environment:
      ALT: alternative
      DEFAULTED: fallback
      DOLLAR: \\\$HOME
      EMPTY_DEFAULT: \"\"
      EXTRA: \"yes\"
      PLAIN: from-environment
    image: $(re_escape "$PROBE_IMAGE")
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: \"8080\"
        protocol: tcp
    volumes:
      - type: volume
        source: data
        target: /data
        volume: \{\}
      - type: bind
        source: $(re_escape "$PROJ")/conf
        target: /etc/app
        read_only: true
        bind:
          create_host_path: true
networks:
  default:
    name: ${base}_default
volumes:
  data:
    name: ${base}_data"
  run_cabin compose config --services
  is "$output" "app"
  run_cabin compose config --volumes
  is "$output" "data"
  # -p and -f: another name, the override not read.
  run_cabin compose -p other -f compose.yml config
  assert_contains "$output" "name: other"
  assert_not_contains "$output" "EXTRA"
  run_cabin compose --env-file .env config -q
  # Without the .env file the image is unset: Compose's warning, then the error.
  CABIN_ALLOWED_WARNINGS='The "(APP_IMAGE|PLAIN)" variable is not set' run_cabin 125 compose --env-file /dev/null config -q
  expect_error 'services\.app: service "app" has neither an image nor a build context specified \(compose\.override\.yml:3\)'
}

@test "compose: scale, ps, logs with prefixes (and -f), stop, start, restart, kill, rm" {
  cat >compose.yml <<EOF
name: counter
services:
  tick:
    image: $PROBE_IMAGE
    init: true
    command: ["sh", "-c", "echo started \$\$HOSTNAME; while :; do sleep 0.2; done"]
    deploy:
      replicas: 2
  once:
    image: $PROBE_IMAGE
    command: ["echo", "done once"]
EOF
  run_cabin compose up -d
  run_cabin compose ps --format '{{.Name}}' tick
  is "$output" "counter-tick-1
counter-tick-2"
  run_cabin wait counter-once-1
  run_cabin compose ps -a --format '{{.Name}} {{.State}}'
  is "$output" "counter-once-1 exited
counter-tick-1 running
counter-tick-2 running"
  run_cabin compose logs once
  is "$output" "counter-once-1  \| done once"
  # up starts the exited one-shot container again, as Compose does.
  run_cabin compose up -d --scale tick=3
  run_cabin compose ps --format '{{.Name}}' tick
  is "$output" "counter-tick-1
counter-tick-2
counter-tick-3"
  run_cabin compose up -d --scale tick=1
  run_cabin compose ps --format '{{.Name}}' tick
  is "$output" "counter-tick-1"
  run_cabin ps -a --format '{{.Names}}' --filter name=counter-tick
  is "$output" "counter-tick-1" "scaled-down containers are removed"

  # logs -f follows every container, each line prefixed with its name.
  start_cabin "$BATS_TEST_TMPDIR/follow" compose logs -f tick
  wait_for_line "$BATS_TEST_TMPDIR/follow" '^counter-tick-1  \| started '
  run_cabin compose stop tick
  wait_cabin
  run_cabin wait counter-once-1
  is "$status" 0 "logs -f ends when the containers stop"
  run_cabin compose ps -a --format '{{.Name}} {{.State}}'
  is "$output" "counter-once-1 exited
counter-tick-1 exited"
  run_cabin compose start tick
  # pause needs a cgroup freezer, which rootless containers do not get here.
  run_cabin 125 compose pause tick
  expect_error "pause needs the container in a cgroup with a freezer; .*"
  run_cabin compose restart tick
  assert_contains "$stderr" "Container counter-tick-1  Started"
  run_cabin compose kill tick
  run_cabin wait counter-tick-1
  run_cabin compose ps -a --format '{{.Name}} {{.State}}' tick
  is "$output" "counter-tick-1 exited"
  run_cabin compose rm -f
  run_cabin ps -aq --filter label=com.docker.compose.project=counter
  is "$output" ""
  run_cabin compose down
}

@test "compose: up in the foreground prints prefixed output; --abort-on-container-exit and --exit-code-from" {
  cat >compose.yml <<EOF
name: fg
services:
  worker:
    image: $PROBE_IMAGE
    command: ["sh", "-c", "echo working; sleep 0.5; exit 3"]
  helper:
    image: $PROBE_IMAGE
    init: true
    command: ["sh", "-c", "echo helping; while :; do sleep 0.2; done"]
EOF
  run_cabin 3 compose up --exit-code-from worker
  assert_contains "$output" "fg-worker-1  | working"
  assert_contains "$output" "fg-helper-1  | helping"
  assert_contains "$stderr" "Aborting on container exit..."
  run_cabin compose ps -a --format '{{.Name}} {{.State}}'
  is "$output" "fg-helper-1 exited
fg-worker-1 exited"
  run_cabin compose down
}

@test "compose: depends_on conditions: completed successfully, and a dependency that fails stops up" {
  cat >compose.yml <<EOF
name: deps
services:
  migrate:
    image: $PROBE_IMAGE
    command: ["sh", "-c", "sleep 0.5; echo migrated"]
  app:
    image: $PROBE_IMAGE
    init: true
    command: ["sleep", "1000"]
    depends_on:
      migrate:
        condition: service_completed_successfully
EOF
  run_cabin compose up -d app
  run_cabin compose ps -a --format '{{.Name}} {{.State}} {{.ExitCode}}'
  is "$output" "deps-app-1 running 0
deps-migrate-1 exited 0"
  run_cabin compose down
  sed -i 's/echo migrated/exit 4/' compose.yml
  # The progress so far, then the error.
  run_cabin 125 compose up -d
  is "${stderr_lines[-1]}" 'Error: service "migrate" didn'"'"'t complete successfully: exit 4'
  run_cabin ps -a --format '{{.Names}}' --filter label=com.docker.compose.service=app
  is "$output" "" "app was not created"
  run_cabin compose down
}

@test "compose: bad files and flags: one-line errors with the path and line; unknown keys warn" {
  printf 'services:\n  web:\n    image: x\n    ports:\n      - "abc"\n' >compose.yml
  run_cabin 125 compose config
  expect_error 'services\.web\.ports\[0\]: invalid port "abc" \(compose\.yml:5\)'
  printf 'services:\n  web:\n    image: x\n    depends_on: [db]\n' >compose.yml
  run_cabin 125 compose up -d
  expect_error '.*undefined service "db".*'
  printf 'services:\n  web:\n    image: ${NEED:?set NEED first}\n' >compose.yml
  run_cabin 125 compose config
  expect_error '.*required variable NEED is missing a value: set NEED first.*'
  printf 'services:\n  web:\n    image: x\n    imagee: y\n' >compose.yml
  CABIN_ALLOWED_WARNINGS='unknown key' run_cabin compose config -q
  assert_contains "$stderr" 'services.web.imagee: unknown key, ignored (compose.yml:4)'
  printf 'services:\n  web: [\n' >compose.yml
  run_cabin 125 compose config
  expect_error 'invalid YAML: .*\(compose\.yml:[0-9]+\)'
  rm compose.yml
  run_cabin 125 compose ps
  expect_error 'no configuration file provided: not found'
  printf 'services:\n  web:\n    image: %s\n' "$PROBE_IMAGE" >compose.yml
  run_cabin 125 compose up -d --scale web=x
  expect_error 'invalid --scale "web=x": use SERVICE=NUM'
  run_cabin 125 compose up -d --scale web=4294967297
  expect_error 'invalid --scale "web=4294967297": use SERVICE=NUM'
  run_cabin 125 compose up -d nosuch
  expect_error 'no such service: nosuch'
  run_cabin 125 compose down --rmi some
  expect_error 'invalid --rmi option "some": use local or all'
  run_cabin ps -aq
  is "$output" "" "nothing was created"
}

@test "compose: run (one-off, dependencies first, --rm, -e, --service-ports), port, images, top" {
  write_project
  sed -i 's/^    environment:/    ports:\n      - "80"\n    environment:/' compose.yml
  run_cabin compose run --rm -e EXTRA=x web sh -c 'echo $EXTRA $GREETING; probe http http://db/count'
  is "$output" "x hello
0"
  assert_contains "$stderr" "Container shop-db-1  Healthy"
  run_cabin ps -a --format '{{.Names}}' --filter label=com.docker.compose.oneoff=True
  is "$output" "" "--rm removed the one-off container"
  run_cabin compose run -d --name oneoff --service-ports web
  is "$output" "oneoff"
  run_cabin inspect --format '{{index .Config.Labels "com.docker.compose.oneoff"}} {{len .HostConfig.PortBindings}}' oneoff
  is "$output" "True 1"
  run_cabin rm -f -t 0 oneoff

  run_cabin compose up -d
  local port
  port=$(cabin_out compose port web 80)
  [[ $port =~ ^0\.0\.0\.0:[0-9]+$ ]] || die "compose port: '$port'"
  run_cabin 125 compose port web 81
  expect_error 'no port 81/tcp for container shop-web-1'
  run_cabin compose images --format '{{.ContainerName}} {{.Repository}} {{.Tag}}'
  is "$output" "shop-db-1 $(re_escape "${PROBE_IMAGE%:*}") latest
shop-web-1 localhost/shopweb 1"
  run_cabin compose top db
  is "${lines[0]}" "shop-db-1"
  assert_contains "$output" "httpd -f -p 80 -h /data"
  run_cabin compose down -v --rmi local
}

@test "compose: file-based secrets and configs are mounted read-only; logs --no-log-prefix, --tail" {
  echo 's3cret' >db_password.txt
  echo 'level=debug' >app.conf
  cat >compose.yml <<EOF2
name: sec
services:
  app:
    image: $PROBE_IMAGE
    command: ["sh", "-c", "cat /run/secrets/db_password /app.conf /etc/other; (echo x >/run/secrets/db_password) 2>/dev/null || echo read-only"]
    secrets:
      - db_password
    configs:
      - app.conf
      - source: other
        target: /etc/other
secrets:
  db_password:
    file: ./db_password.txt
configs:
  app.conf:
    file: ./app.conf
  other:
    file: ./app.conf
EOF2
  run_cabin compose up -d
  run_cabin wait sec-app-1
  run_cabin compose logs --no-log-prefix
  is "$output" "s3cret
level=debug
level=debug
read-only"
  run_cabin compose logs --tail 1
  is "$output" "sec-app-1  \| read-only"
  run_cabin compose down
}

@test "compose: service keys become run's flags (names, aliases, hosts, labels, read-only, tmpfs, restart); push" {
  local repo
  repo=$REGISTRY/$(scratch_repo)
  mkdir -p app
  printf 'FROM %s\nRUN echo built >/built\n' "$PROBE_IMAGE" >app/Containerfile
  cat >compose.yml <<EOF
name: keys
services:
  app:
    build: ./app
    image: $repo:1
    container_name: the-app
    hostname: apphost
    working_dir: /tmp
    labels:
      tier: front
    extra_hosts:
      - "gateway.test:10.0.0.1"
    read_only: true
    tmpfs:
      - /scratch
    restart: on-failure
    init: true
    networks:
      default:
        aliases: [front]
    command: ["sh", "-c", "hostname; pwd; grep gateway.test /etc/hosts; touch /scratch/x && echo tmpfs-ok; (touch /x) 2>/dev/null || echo ro-ok; cat /built; sleep 1000"]
  peer:
    image: $PROBE_IMAGE
    init: true
    command: ["sleep", "1000"]
EOF
  run_cabin compose up -d
  for ((i = 0; i < 50; i++)); do "$CABIN" logs the-app 2>/dev/null | grep -q built && break; sleep 0.1; done
  run_cabin logs the-app
  is "$output" "apphost
/tmp
10\.0\.0\.1[[:space:]]+gateway\.test
tmpfs-ok
ro-ok
built"
  run_cabin inspect --format '{{.Name}} {{.Config.Labels.tier}} {{.HostConfig.RestartPolicy.Name}}' the-app
  is "$output" "the-app front on-failure"
  run_cabin compose exec peer probe resolve front
  is "$output" "[0-9.]+" "the alias resolves on the project's network"
  run_cabin compose exec peer probe resolve app
  is "$output" "[0-9.]+" "so does the service's name"
  run_cabin compose push app
  run_cabin manifest inspect "$repo:1"
  assert_contains "$output" "schemaVersion"
  run_cabin compose down --rmi all
}
