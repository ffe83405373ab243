// The examples at the end of a command's --help, which its man page shows
// as EXAMPLES: one table, keyed by the command's binder, so that every
// spelling of a command (images, image ls) shows the same ones.
#include <map>

#include "cmd/cli.h"

namespace cabin::cmd {

std::string_view examples(Binder bind) {
  static const std::map<Binder, std::string_view> table = {
      {bind_run,
       "cabin run --rm -it busybox sh\n"
       "cabin run -d --name web -p 8080:80 -v ./site:/srv:ro busybox httpd -f -h /srv\n"
       "cabin run --rm --userns keep-id -v \"$PWD:/work\" -w /work image make\n"
       "cabin run -d --name api --health-cmd 'wget -qO- localhost/health' --restart on-failure myapp:1.0"},
      {bind_kube_generate,
       "cabin kube generate web > web.yaml\n"
       "cabin kube generate --service --type deployment --replicas 3 -f app.yaml app-pod data-volume"},
      {bind_kube_play,
       "cabin kube play app.yaml\n"
       "cabin kube generate app > app.yaml && cabin kube play --replace app.yaml\n"
       "cat app.yaml | cabin kube play --start=false -"},
      {bind_kube_down, "cabin kube down app.yaml"},
      {bind_create, "cabin create --name db --secret pw -e POSTGRES_PASSWORD_FILE=/run/secrets/pw postgres\ncabin start db"},
      {bind_exec, "cabin exec -it web sh\ncabin exec -u 0 -e DEBUG=1 web cat /etc/os-release"},
      {bind_build,
       "cabin build -t myapp:1.0 .\n"
       "cabin build -f Containerfile.prod --build-arg VERSION=2 --target runtime -t myapp:2 .\n"
       "cabin build --secret id=token,src=token.txt --timestamp 0 -t myapp:repro ."},
      {bind_pull, "cabin pull docker.io/library/alpine:3.20\ncabin pull --tls-verify=false 127.0.0.1:5000/busybox"},
      {bind_push,
       "cabin push myapp:1.0 registry.example.com/team/myapp:1.0\n"
       "cabin push --compression-format zstd --digestfile digest myapp:1.0 registry.example.com/team/myapp:1.0"},
      {bind_ps, "cabin ps -a\ncabin ps --filter status=exited --format '{{.Names}} {{.Status}}'"},
      {bind_images, "cabin images\ncabin images --format 'table {{.Repository}}\\t{{.Tag}}\\t{{.Size}}'"},
      {bind_logs, "cabin logs -f --tail 20 web\ncabin logs --since 10m -t web"},
      {bind_image_export,
       "cabin image export --squashfs myapp:1.0 /shared/images/myapp.sqsh\n"
       "srun cabin run --rm --rootfs /shared/images/myapp.sqsh"},
      {bind_save, "cabin save -o myapp.tar myapp:1.0\ncabin save --format oci-archive myapp:1.0 | gzip > myapp.oci.tar.gz"},
      {bind_load, "cabin load -i myapp.tar\ngunzip -c myapp.oci.tar.gz | cabin load"},
      {bind_login, "cabin login -u alice registry.example.com\nprintf %s \"$TOKEN\" | cabin login -u alice --password-stdin registry.example.com"},
      {bind_compose, "cabin compose up -d --build\ncabin compose logs -f web\ncabin compose down -v"},
      {bind_compose_up, "cabin compose up -d\ncabin compose -f compose.yaml -f compose.prod.yaml up -d web"},
      {bind_secret_create,
       "printf %s \"$DB_PASSWORD\" | cabin secret create dbpw -\n"
       "cabin run --rm --secret dbpw,uid=999,mode=0400 busybox cat /run/secrets/dbpw\n"
       "cabin run --rm --secret dbpw,type=env,target=DB_PASSWORD busybox sh -c 'test -n \"$DB_PASSWORD\"'"},
      {bind_volume_create, "cabin volume create pgdata\ncabin run --rm -v pgdata:/var/lib/data busybox ls /var/lib/data"},
      {bind_network_create, "cabin network create app\ncabin run -d --network app --name db image\ncabin run --rm --network app busybox ping -c1 db"},
      {bind_pod_create,
       "cabin pod create --name app -p 8080:80\n"
       "cabin run -d --pod app --name web busybox httpd -f -p 80\n"
       "cabin run --rm --pod app busybox wget -qO- localhost:80"},
      {bind_pod_ps, "cabin pod ps --ctr-names\ncabin pod ps --filter status=running --format '{{.Name}} {{.Status}}'"},
      {bind_unshare, "cabin unshare cat /proc/self/uid_map\ncabin unshare rm -rf ~/.local/share/cabin"},
  };
  auto it = table.find(bind);
  return it == table.end() ? std::string_view() : it->second;
}

}  // namespace cabin::cmd
