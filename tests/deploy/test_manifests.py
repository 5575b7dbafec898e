"""Offline checks of the deployment files: Dockerfile, docker-compose.yml and deploy/ (kustomize).

Nothing here needs a Docker engine or a cluster: compose files are checked with
`docker-compose config`, kustomize output with `kubectl kustomize` and the JSON schemas that
the kubernetes-validate package ships.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("org", "ticket", "budget", "outsource", "evaluation", "notify")
SERVICE_PORTS = {"org": 50051, "ticket": 50052, "budget": 50053, "outsource": 50054, "evaluation": 50055,
                 "notify": 50057}
PROCESSES = ("worker", "grpc")
INFRA = ("postgres", "rabbitmq", "redis")
CONTAINER_GRPC_PORT = 50051
CONTAINER_METRICS_PORT = 9100
K8S_VERSION = "1.32"
OVERLAYS = ("dev", "prod")
OPS_SECRETS = {"govops-backends", "govops-jwt-keys", "govops-jwt-signing", "govops-admin", "govops-alert-webhook"}
# Secrets that exactly one workload may mount: the signing key (org-grpc), the first
# administrator's password (org-bootstrap-admin) and the Alertmanager webhook's bearer token
# (ticket-worker).
PRIVATE_SECRETS = {"govops-jwt-signing": "org-grpc", "govops-admin": "org-bootstrap-admin",
                   "govops-alert-webhook": "ticket-worker"}


def _run(cmd, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, **kwargs)


# ---------------------------------------------------------------------------------------------
# Dockerfile / .dockerignore (static: there is no engine to build with)
# ---------------------------------------------------------------------------------------------


def _dockerfile_stages():
    """[(from_line, [(INSTRUCTION, args), ...]), ...] with continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    logical, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        logical.append((buf + line).strip())
        buf = ""
    args, stages = {}, []
    for entry in logical:
        instr, _, rest = entry.partition(" ")
        instr = instr.upper()
        if instr == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        elif instr == "FROM":
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest)
            stages.append((base, []))
        else:
            stages[-1][1].append((instr, rest))
    return stages


def test_dockerfile_is_multi_stage_slim_and_non_root():
    stages = _dockerfile_stages()
    assert len(stages) == 3, "expected the web app's build stage, a build stage and a runtime stage"
    (web_from, web), (build_from, build), (runtime_from, runtime) = stages
    assert web_from.startswith("node:20-slim AS web")
    web_runs = " ".join(args for instr, args in web if instr == "RUN")
    assert "npm ci" in web_runs and "npm run build" in web_runs
    assert build_from.startswith("python:3.11-slim AS build")
    assert runtime_from.startswith("python:3.11-slim")

    build_runs = " ".join(args for instr, args in build if instr == "RUN")
    assert '".[dev]"' in build_runs, "build stage installs the dev extra (grpcio-tools)"
    assert "govkit.protogen" in build_runs or "grpc_tools.protoc" in build_runs, "gRPC code generation"
    assert "pip install --no-deps --force-reinstall ." in build_runs

    instrs = [instr for instr, _ in runtime]
    assert "HEALTHCHECK" not in instrs + [i for i, _ in build], "probes live in compose/k8s"
    runtime_runs = " ".join(args for instr, args in runtime if instr == "RUN")
    assert "pip" not in runtime_runs
    # the only Debian package: the CJK font the PDF reports embed (govkit.pdf), lists removed
    apt = [args for instr, args in runtime if instr == "RUN" and "apt-get" in args]
    assert len(apt) == 1 and "install -y --no-install-recommends fonts-wqy-microhei" in apt[0]
    assert apt[0].rstrip().endswith("rm -rf /var/lib/apt/lists/*")
    copies = [args for instr, args in runtime if instr == "COPY"]
    assert copies == ["--from=build /opt/govops /opt/govops", "--from=web /web/dist /opt/govops/web"]
    users = [args for instr, args in runtime if instr == "USER"]
    assert users and users[-1].split(":")[0] == "10001", "numeric non-root uid, last USER wins"
    assert "useradd" in runtime_runs and "--uid 10001" in runtime_runs
    cmd = [args for instr, args in runtime if instr == "CMD"]
    assert cmd and cmd[-1].startswith("["), "exec form, so the Python process gets SIGTERM"


def test_dockerignore_keeps_local_state_out_of_the_context():
    entries = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".venv", ".git", ".govops", "**/__pycache__", "tests", "bench", "services/govops"):
        assert required in entries, required


# ---------------------------------------------------------------------------------------------
# docker-compose.yml
# ---------------------------------------------------------------------------------------------


def _compose_env():
    # Interpolated variables come from the caller's environment; test the committed defaults.
    prefixes = ("GOVOPS_", "POSTGRES_", "RABBITMQ_", "COMPOSE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@pytest.fixture(scope="module")
def compose_config():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose binary not installed (apt-get install -y docker-compose)")
    env = _compose_env()
    quiet = _run([binary, "-f", "docker-compose.yml", "config", "-q"], env=env)
    assert quiet.returncode == 0, quiet.stderr
    full = _run([binary, "-f", "docker-compose.yml", "config"], env=env)
    assert full.returncode == 0, full.stderr
    return yaml.safe_load(full.stdout)


def _govops_services(config):
    return {
        name: svc
        for name, svc in config["services"].items()
        if any(name == f"{s}-{p}" for s in SERVICES for p in ("migrate",) + PROCESSES)
    }


def test_compose_has_every_process_and_infra_with_healthchecks(compose_config):
    services = compose_config["services"]
    expected = [f"{s}-{p}" for s in SERVICES for p in PROCESSES] + list(INFRA)
    assert len(expected) == 15
    for name in expected:
        assert name in services, f"{name} missing from docker-compose config"
        check = services[name].get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), f"{name}: no healthcheck"
    assert set(services) == set(expected) | {f"{s}-migrate" for s in SERVICES} | {"org-bootstrap-admin", "portal-web"}
    portal = services["portal-web"]
    assert portal["command"] == ["govops-portal"]
    assert portal["healthcheck"]["test"] == ["CMD", "govops-probe", "http", str(CONTAINER_METRICS_PORT)]
    assert portal["environment"]["GOVOPS_PORTAL_HOST"] == "0.0.0.0"


def test_compose_process_commands_and_probes(compose_config):
    services = compose_config["services"]
    probe = {"worker": ["govops-probe", "http", str(CONTAINER_METRICS_PORT)],
             "grpc": ["govops-probe", "grpc", str(CONTAINER_GRPC_PORT)]}
    for svc in SERVICES:
        assert services[f"{svc}-migrate"]["command"] == ["govops-migrate", svc]
        for proc in PROCESSES:
            spec = services[f"{svc}-{proc}"]
            assert spec["command"] == [f"govops-{proc}", svc]
            assert spec["healthcheck"]["test"] == ["CMD"] + probe[proc]
            assert spec["environment"]["GOVOPS_METRICS_PORT"] == str(CONTAINER_METRICS_PORT)
            assert spec["environment"]["GOVOPS_GRPC_PORT"] == str(CONTAINER_GRPC_PORT)
            for other in SERVICES:
                target = spec["environment"][f"GOVOPS_{other.upper()}_GRPC_TARGET"]
                assert target == f"{other}-grpc:{CONTAINER_GRPC_PORT}"


def test_compose_startup_order(compose_config):
    services = compose_config["services"]
    for svc in SERVICES:
        migrate = services[f"{svc}-migrate"]
        # migrate also declares the service's event queues, hence RabbitMQ.
        assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                         "rabbitmq": {"condition": "service_healthy"}}
        assert migrate.get("restart") in (None, "no"), "migrate is one-shot"
        for proc in PROCESSES:
            deps = services[f"{svc}-{proc}"]["depends_on"]
            for infra in INFRA:
                assert deps[infra] == {"condition": "service_healthy"}
            assert deps[f"{svc}-migrate"] == {"condition": "service_completed_successfully"}


def _published(port_entry):
    """(published, target) from either the short string or the long mapping syntax."""
    if isinstance(port_entry, dict):
        return int(port_entry["published"]), int(port_entry["target"])
    parts = str(port_entry).split("/")[0].split(":")
    return int(parts[-2]), int(parts[-1])


def test_compose_publishes_grpc_ports(compose_config):
    services = compose_config["services"]
    for svc, port in SERVICE_PORTS.items():
        ports = [_published(p) for p in services[f"{svc}-grpc"]["ports"]]
        assert ports == [(port, CONTAINER_GRPC_PORT)]
        # Workers publish nothing, except ticket-worker's Alertmanager webhook.
        worker_ports = [_published(p) for p in services[f"{svc}-worker"].get("ports", [])]
        assert worker_ports == ([(8002, 8002)] if svc == "ticket" else [])


def test_compose_one_image_and_hardened_containers(compose_config):
    govops = _govops_services(compose_config)
    assert len(govops) == 18
    images = {spec["image"] for spec in govops.values()}
    assert len(images) == 1, images
    for name, spec in govops.items():
        assert Path(spec["build"]["context"]).resolve() == ROOT, name
        assert spec.get("read_only") is True, name
        assert spec.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in spec.get("security_opt", []), name
        assert "privileged" not in spec and "user" not in spec, name
        if name == "org-grpc":
            # org-grpc alone holds the signing key; it derives its public keys from it.
            assert [(s["source"], s["target"]) for s in spec["secrets"]] == [
                ("jwt_private", "/run/secrets/jwt_private.pem")]
            assert spec["environment"]["GOVOPS_JWT_PRIVATE_KEY_FILE"] == "/run/secrets/jwt_private.pem"
        elif name.endswith("-migrate"):
            assert "secrets" not in spec, name
        else:
            targets = [s["target"] for s in spec["secrets"]]
            if name == "ticket-worker":  # the Alertmanager webhook's bearer token, besides
                assert targets[1:] == ["/run/secrets/alert_webhook_token"], targets
                assert spec["environment"]["GOVOPS_TICKET_ALERT_TOKEN_FILE"] == targets[1]
                targets = targets[:1]
            assert targets == ["/etc/govops/keys/jwt_public.pem"], name
            assert spec["environment"]["GOVOPS_JWT_PUBLIC_KEY_FILE"] == targets[0]
            assert "GOVOPS_JWT_PRIVATE_KEY_FILE" not in spec["environment"], name
    for secret in ("jwt_public", "jwt_private", "admin_password", "alert_webhook_token"):
        path = Path(compose_config["secrets"][secret]["file"]).resolve()
        assert path.is_relative_to(ROOT / ".govops"), f"{secret} comes from the gitignored .govops/"


def test_compose_private_secrets_reach_one_container_each(compose_config):
    users: dict[str, set[str]] = {}
    for name, spec in compose_config["services"].items():
        for s in spec.get("secrets", []):
            users.setdefault(s["source"], set()).add(name)
    assert users["jwt_private"] == {"org-grpc"}
    assert users["admin_password"] == {"org-bootstrap-admin"}
    assert users["alert_webhook_token"] == {"ticket-worker"}
    assert "org-grpc" not in users["jwt_public"]


def test_compose_bootstraps_the_first_admin_once_org_is_migrated(compose_config):
    spec = compose_config["services"]["org-bootstrap-admin"]
    assert spec["command"] == ["govops-bootstrap-admin"]
    assert spec.get("restart") in (None, "no"), "one-shot"
    assert spec["depends_on"]["org-migrate"] == {"condition": "service_completed_successfully"}
    assert spec["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert [(s["source"], s["target"]) for s in spec["secrets"]] == [("admin_password", "/run/secrets/admin_password")]
    assert spec["environment"]["GOVOPS_ADMIN_PASSWORD_FILE"] == "/run/secrets/admin_password"
    assert "GOVOPS_ADMIN_PASSWORD" not in spec["environment"]
    assert spec.get("read_only") is True and spec.get("cap_drop") == ["ALL"]
    assert spec["image"] == compose_config["services"]["org-grpc"]["image"]


def test_compose_commits_no_password_literal():
    raw = (ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"^\s*(\w*PASS\w*)\s*:\s*(\S.*)$", raw, re.MULTILINE):
        if match.group(1).endswith("_FILE"):  # the path of a mounted secret, not the password
            assert match.group(2).startswith("/run/secrets/"), match.group(0)
            continue
        assert match.group(2).startswith("${"), f"{match.group(1)} must be ${{VAR:-dev-default}}"
    for match in re.finditer(r"://([^/\s]+)@", raw):
        literal = re.sub(r"\$\{[^}]*\}", "", match.group(1))  # drop ${VAR:-default} parts
        assert not literal.partition(":")[2], f"credential literal in URL: {match.group(0)}"


# ---------------------------------------------------------------------------------------------
# Kubernetes (kustomize)
# ---------------------------------------------------------------------------------------------

_RENDERED = {}


def _render(overlay):
    if overlay not in _RENDERED:
        kubectl = shutil.which("kubectl") or ("/usr/bin/kubectl" if os.path.exists("/usr/bin/kubectl") else None)
        if kubectl is None:
            pytest.skip("kubectl not installed: cannot run `kubectl kustomize`")
        out = _run([kubectl, "kustomize", f"deploy/overlays/{overlay}"])
        assert out.returncode == 0, out.stderr
        _RENDERED[overlay] = [doc for doc in yaml.safe_load_all(out.stdout) if doc]
    return _RENDERED[overlay]


@pytest.fixture(params=OVERLAYS)
def overlay(request):
    return request.param


@pytest.fixture
def rendered(overlay):
    return _render(overlay)


def _by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _workloads(docs):
    return [d for d in docs if d["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob")]


def _pod_spec(workload):
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def _containers(pod_spec):
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def _command(container):
    return container.get("command", []) + container.get("args", [])


def test_kustomize_output_validates_strictly(rendered):
    import kubernetes_validate

    errors = []
    for doc in rendered:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_strict_validation_rejects_unknown_fields():
    # Guards the test above: the offline schemas really are strict.
    import kubernetes_validate

    job = dict(_by_kind(_render("dev"), "Job")["org-migrate"])
    job["spec"] = dict(job["spec"], notAField=1)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)


def test_every_service_has_its_resources(rendered, overlay):
    deployments = _by_kind(rendered, "Deployment")
    services = _by_kind(rendered, "Service")
    jobs = _by_kind(rendered, "Job")
    configmaps = _by_kind(rendered, "ConfigMap")
    # six gRPC Services, ticket's Alertmanager webhook and the portal
    assert len(deployments) == 13 and len(services) == 8 and len(jobs) == 7
    portal = deployments["portal-web"]
    assert _command(portal["spec"]["template"]["spec"]["containers"][0]) == ["govops-portal"]
    assert services["portal-web"]["spec"]["selector"] == {"app": "portal", "component": "web"}
    alerts = services["ticket-alerts"]["spec"]
    assert alerts["selector"] == {"app": "ticket", "component": "worker"} and alerts["ports"][0]["port"] == 8002
    assert sum(name.startswith("govops-common-") for name in configmaps) == 1
    namespace = {"dev": "govops-dev", "prod": "govops"}[overlay]
    assert set(_by_kind(rendered, "Namespace")) == {namespace}
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespace, doc["metadata"]["name"]

    for svc in SERVICES:
        for proc in PROCESSES:
            dep = deployments[f"{svc}-{proc}"]
            want = {"app": svc, "component": proc}
            assert want.items() <= dep["metadata"]["labels"].items()
            assert dep["spec"]["selector"]["matchLabels"] == want
            assert want.items() <= dep["spec"]["template"]["metadata"]["labels"].items()
            (container,) = dep["spec"]["template"]["spec"]["containers"]
            assert _command(container) == [f"govops-{proc}", svc]
        job = jobs[f"{svc}-migrate"]
        assert _command(job["spec"]["template"]["spec"]["containers"][0]) == ["govops-migrate", svc]
        assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")

        service = services[f"{svc}-grpc"]
        assert service["spec"]["selector"] == {"app": svc, "component": "grpc"}
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert ports["grpc"]["port"] == SERVICE_PORTS[svc]
        assert ports["grpc"]["targetPort"] == "grpc"
        assert ports["metrics"]["targetPort"] == "metrics"
        env_maps = [n for n in configmaps if n.startswith(f"{svc}-env-")]
        assert len(env_maps) == 1 and configmaps[env_maps[0]]["data"]["GOVOPS_SERVICE"] == svc


def test_every_container_is_hardened_and_bounded(rendered):
    for workload in _workloads(rendered):
        pod = _pod_spec(workload)
        pod_sc = pod.get("securityContext", {})
        assert pod.get("automountServiceAccountToken") is False, workload["metadata"]["name"]
        for c in _containers(pod):
            where = f"{workload['metadata']['name']}/{c['name']}"
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            assert sc.get("runAsUser", pod_sc.get("runAsUser", 10001)) != 0, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("privileged", False) is False, where
            assert "ALL" in sc.get("capabilities", {}).get("drop", []), where
            assert not sc.get("capabilities", {}).get("add"), where
            resources = c.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where}: {bound}"


def test_probes_and_graceful_shutdown(rendered):
    for name, dep in _by_kind(rendered, "Deployment").items():
        pod = dep["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        assert ports.get("metrics") == CONTAINER_METRICS_PORT, name
        assert pod.get("terminationGracePeriodSeconds", 30) >= 30, name
        component = dep["metadata"]["labels"]["component"]
        if component == "grpc":
            assert ports.get("grpc") == CONTAINER_GRPC_PORT, name
            for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert c[kind]["grpc"]["port"] == CONTAINER_GRPC_PORT, f"{name}: {kind}"
            assert c["lifecycle"]["preStop"], name
        elif component == "web":  # the portal: its own HTTP health path
            for kind in ("readinessProbe", "livenessProbe"):
                assert c[kind]["httpGet"] == {"path": "/api/health", "port": "http"}, f"{name}: {kind}"
            assert c["lifecycle"]["preStop"], name
        else:
            assert component == "worker", name
            for kind in ("readinessProbe", "livenessProbe"):
                probe = c[kind]
                if "httpGet" in probe:
                    assert probe["httpGet"]["port"] in ("metrics", CONTAINER_METRICS_PORT), name
                    assert probe["httpGet"]["path"] == "/metrics", name
                else:
                    assert probe["exec"]["command"][:2] == ["govops-probe", "http"], name


def test_env_and_secret_references_resolve(rendered):
    configmaps = set(_by_kind(rendered, "ConfigMap"))
    for workload in _workloads(rendered):
        pod = _pod_spec(workload)
        name = workload["metadata"]["name"]
        for c in _containers(pod):
            refs = c.get("envFrom", [])
            cm_refs = [r["configMapRef"]["name"] for r in refs if "configMapRef" in r]
            secret_refs = {r["secretRef"]["name"] for r in refs if "secretRef" in r}
            assert cm_refs and all(ref in configmaps for ref in cm_refs), f"{name}: {cm_refs}"
            assert cm_refs[0].startswith("govops-common-"), "per-service settings must come last"
            assert secret_refs <= OPS_SECRETS, name
            for env in c.get("env", []):
                if env["name"].endswith("_FILE"):  # the path of a mounted Secret, not its content
                    assert env.get("value", "").startswith("/etc/govops/"), env
                    continue
                assert "value" not in env or not re.search(r"PASS|SECRET|KEY$|URL|URI", env["name"]), env
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                secret = volume["secret"]["secretName"]
                assert secret in OPS_SECRETS, name
                assert PRIVATE_SECRETS.get(secret, name) == name, f"{secret} mounted into {name}"
        if workload["metadata"]["labels"]["component"] in PROCESSES:
            mounts = {m["mountPath"]: m for m in _containers(pod)[0]["volumeMounts"]}
            assert mounts["/etc/govops/keys"]["readOnly"] is True, name
    common = next(d for d in rendered if d["metadata"]["name"].startswith("govops-common-"))
    assert common["data"]["GOVOPS_JWT_PUBLIC_KEY_FILE"] == "/etc/govops/keys/jwt_public.pem"
    assert "GOVOPS_JWT_PRIVATE_KEY_FILE" not in common["data"]
    for svc, port in SERVICE_PORTS.items():
        assert common["data"][f"GOVOPS_{svc.upper()}_GRPC_TARGET"] == f"{svc}-grpc:{port}"


def test_only_org_grpc_holds_the_signing_key(rendered):
    for workload in _workloads(rendered):
        name = workload["metadata"]["name"]
        pod = _pod_spec(workload)
        env = {e["name"]: e.get("value") for c in _containers(pod) for e in c.get("env", [])}
        mounts = {m["mountPath"]: m for c in _containers(pod) for m in c.get("volumeMounts", [])}
        if name == "org-grpc":
            assert env["GOVOPS_JWT_PRIVATE_KEY_FILE"] == "/etc/govops/signing/jwt_private.pem"
            assert mounts["/etc/govops/signing"]["readOnly"] is True
            volume = next(v for v in pod["volumes"] if v["name"] == mounts["/etc/govops/signing"]["name"])
            assert volume["secret"]["secretName"] == "govops-jwt-signing"
            assert volume["secret"]["defaultMode"] & 0o007 == 0, "not world-readable"
        else:
            assert "GOVOPS_JWT_PRIVATE_KEY_FILE" not in env, name
            assert "/etc/govops/signing" not in mounts, name


def test_only_ticket_worker_holds_the_alert_webhook_token(rendered):
    for workload in _workloads(rendered):
        name = workload["metadata"]["name"]
        pod = _pod_spec(workload)
        env = {e["name"]: e.get("value") for c in _containers(pod) for e in c.get("env", [])}
        mounts = {m["mountPath"]: m for c in _containers(pod) for m in c.get("volumeMounts", [])}
        if name == "ticket-worker":
            assert env["GOVOPS_TICKET_ALERT_TOKEN_FILE"] == "/etc/govops/alert-webhook/token"
            assert mounts["/etc/govops/alert-webhook"]["readOnly"] is True
            volume = next(v for v in pod["volumes"] if v["name"] == mounts["/etc/govops/alert-webhook"]["name"])
            assert volume["secret"]["secretName"] == "govops-alert-webhook"
            assert {"key": "token", "path": "token"} in volume["secret"]["items"]
            assert volume["secret"]["defaultMode"] & 0o007 == 0, "not world-readable"
        else:
            assert "GOVOPS_TICKET_ALERT_TOKEN_FILE" not in env, name
            assert "/etc/govops/alert-webhook" not in mounts, name


def test_bootstrap_admin_job(rendered):
    jobs = _by_kind(rendered, "Job")
    job = jobs["org-bootstrap-admin"]
    assert job["metadata"]["labels"]["component"] == "bootstrap"
    assert job["metadata"]["labels"]["app"] == "org"
    pod = _pod_spec(job)
    (c,) = pod["containers"]
    assert _command(c) == ["govops-bootstrap-admin"]
    assert pod["restartPolicy"] in ("Never", "OnFailure") and job["spec"]["backoffLimit"] >= 3
    env = {e["name"]: e["value"] for e in c["env"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert env["GOVOPS_ADMIN_PASSWORD_FILE"] == "/etc/govops/admin/password"
    assert mounts["/etc/govops/admin"]["readOnly"] is True
    volume = next(v for v in pod["volumes"] if v["name"] == mounts["/etc/govops/admin"]["name"])
    assert volume["secret"]["secretName"] == "govops-admin"
    assert {"key": "password", "path": "password"} in volume["secret"]["items"]
    # org's settings (the database) like org-migrate's
    migrate = _containers(_pod_spec(jobs["org-migrate"]))[0]
    assert c["envFrom"] == migrate["envFrom"]


def test_no_secret_is_committed_or_generated(rendered):
    assert not [d for d in rendered if d["kind"] == "Secret"], "Secrets are created by ops"
    for path in (ROOT / "deploy").rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"^\s*kind:\s*Secret\s*$", text, re.MULTILINE), path
            assert "secretGenerator" not in text, path
            assert "BEGIN" not in text or "PRIVATE KEY" not in text, path


def test_images_are_one_pinned_image(rendered, overlay):
    images = {c["image"] for w in _workloads(rendered) for c in _containers(_pod_spec(w))}
    assert len(images) == 1, images
    (image,) = images
    name, _, tag = image.rpartition(":")
    assert name.endswith("govops") and tag and tag != "latest", image
    assert (tag == "dev") == (overlay == "dev"), image


def test_prod_scales_hot_spots_independently():
    replicas = {
        overlay: {n: d["spec"].get("replicas", 1) for n, d in _by_kind(_render(overlay), "Deployment").items()}
        for overlay in OVERLAYS
    }
    scaled = {"ticket-grpc", "evaluation-worker"}
    for name, count in replicas["prod"].items():
        if name in scaled:
            assert count > replicas["dev"][name] and count >= 2, name
        else:
            assert count == replicas["dev"][name], name
    budgets = _by_kind(_render("prod"), "PodDisruptionBudget")
    deployments = _by_kind(_render("prod"), "Deployment")
    for name in scaled:
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector == deployments[name]["spec"]["selector"]["matchLabels"], name


def test_docs_show_the_commands_they_promise():
    doc = (ROOT / "docs" / "operations-deploy.md").read_text()
    for needle in ("docker build", "docker-compose up", "kubectl apply -k deploy/overlays/prod",
                   "create secret generic govops-jwt-keys", "create secret generic govops-backends",
                   "create secret generic govops-jwt-signing", "create secret generic govops-admin",
                   "create secret generic govops-alert-webhook", "GOVOPS_TICKET_ALERT_TOKEN_FILE",
                   "credentials_file:",
                   "govops-bootstrap-admin", "GOVOPS_JWT_PRIVATE_KEY_FILE",
                   "wait --for=condition=complete job -l component=migrate",
                   "scale deployment/"):
        assert needle in doc, needle
    # Every shell command in the doc that renders manifests must point at a real overlay.
    for match in re.finditer(r"-k (deploy/overlays/\w+)", doc):
        assert (ROOT / match.group(1) / "kustomization.yaml").is_file(), match.group(1)
