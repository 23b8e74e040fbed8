"""`make demo`: the collection's main job, end to end, on the loopback simulator and a real registry.

1. starts the OpenShift API simulator (state saved to .cache/demo/state.json for inspection) and a real
   docker-registry with demo/app:v1, :v2 and :latest (tests/tools/stack.py);
2. creates the Deployment sandbox/web, standing for an application that should follow app:latest;
3. runs playbooks/demo.yml (site.yml = install + secure + expose, then import_images.yml) with
   playbooks/vars/demo.yml;
4. prints what the cluster now holds, read back with image_registry_info and imagestream_info;
5. runs the playbook again and shows that nothing changed;
6. stops everything it started, also on failure or Ctrl-C.

Options: --platform (baremetal, vsphere, aws, gcp, azure, openstack), --keep (leave the stack running and
print how to reach it), --verbose (show the ansible-playbook output).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import ssl
import sys
import time
import urllib.request

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)

import stack  # noqa: E402  (tests/tools/stack.py, next to this file)

REPO_ROOT = stack.REPO_ROOT
DEMO_DIR = os.path.join(REPO_ROOT, ".cache", "demo")


def _api(info: dict, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(info["sim_url"] + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + info["sim_token"],
                                          "Content-Type": "application/json"})
    ctx = ssl.create_default_context(cafile=info["sim_ca"])
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def create_app(info: dict) -> None:
    """The user's application: a Deployment whose container should follow the mirrored app:latest."""
    _api(info, "POST", "/apis/apps/v1/namespaces/sandbox/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "sandbox"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "app:latest"}]}}},
    })


def write_inventory(directory: str) -> str:
    path = os.path.join(directory, "inventory.ini")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("localhost ansible_connection=local ansible_python_interpreter=%s\n\n" % sys.executable)
        fh.write("[registry_clients]\nlocalhost\n")
    return path


def extra_vars(directory: str) -> dict:
    import yaml
    with open(os.path.join(directory, "vars.yml"), encoding="utf-8") as fh:
        data = json.load(fh)
    with open(os.path.join(REPO_ROOT, "playbooks", "vars", "demo.yml"), encoding="utf-8") as fh:
        data.update(yaml.safe_load(fh))
    return data


def _result(run, suffix: str) -> dict:
    found = [t for t in run.tasks if t["task"].endswith(suffix) and not t["skipped"]]
    return found[-1]["result"] if found else {}


def summary(run, info: dict) -> str:
    reg = _result(run, "Read the registry state")
    streams = _result(run, "Read the image streams of the demo namespace").get("imagestreams", [])
    login = _result(run, "Every host could log in").get("msg")
    trig = _result(run, "Point the workloads' image-change triggers at the mirrored tags")
    storage = dict(reg.get("storage") or {})
    lines = [
        "Registry",
        "  platform          %s" % info["platform"],
        "  management state  %s   available: %s" % (reg.get("management_state"), reg.get("available")),
        "  storage           %s (storage %s)" % (
            ", ".join("%s %s" % (k, json.dumps(v)) for k, v in storage.items() if k != "managementState") or "-",
            storage.get("managementState", "-")),
        "  replicas          %s/%s ready, rollout %s" % (
            reg.get("ready_replicas"), reg.get("replicas"), reg.get("rollout_strategy") or "RollingUpdate"),
        "  internal          %s" % reg.get("internal_hostname"),
    ]
    for route in reg.get("routes") or []:
        lines.append("  route             %-16s %s (admitted: %s)" % (
            route.get("name"), route.get("host"), route.get("admitted")))
    lines.append("  trusted CAs       config map openshift-config/%s"
                 % ((reg.get("image_config") or {}).get("additional_trusted_ca") or "-"))
    for cond in reg.get("conditions") or []:
        lines.append("  condition         %-12s %-6s %s" % (cond.get("type"), cond.get("status"), cond.get("reason")))
    if login:
        lines.append("  login check       %s" % login)
    lines.append("ImageStreams")
    for stream in streams:
        lines.append("  %s/%s  (%s)" % (stream["namespace"], stream["name"], stream.get("internal_repository")))
        for tag in stream.get("tags") or []:
            src = ((tag.get("spec") or {}).get("from") or {}).get("name", "")
            sched = " scheduled" if (tag.get("spec") or {}).get("scheduled") else ""
            digest = (tag.get("digest") or "(no image)")[:19] + "..."
            lines.append("    %-7s %s  <- %s%s" % (tag["name"], digest, src, sched))
    for item in trig.get("results") or []:
        lines.append("Trigger           %s" % item.get("_ansible_item_label", item.get("item")))
    return "\n".join(lines)


def _print_failure(run) -> None:
    print("\n".join(run.stdout.splitlines()[-60:]))
    if run.stderr.strip():
        print(run.stderr[-3000:])


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo.py", description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="baremetal")
    parser.add_argument("--keep", action="store_true", help="leave the simulator and registry running")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    stack.down(DEMO_DIR)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    os.makedirs(DEMO_DIR)
    print("== starting the API simulator (%s) and a docker-registry under %s" % (args.platform, DEMO_DIR), flush=True)
    started = time.monotonic()
    info = None
    try:
        info = stack.up(DEMO_DIR, args.platform, state_file=os.path.join(DEMO_DIR, "state.json"))
        create_app(info)
        print("   simulator %s, registry https://%s (demo/app:v1, v2, latest)" % (
            info["sim_url"], info["registry_host"]), flush=True)
        sys.path.insert(0, stack.collections_path())
        from ansible_collections.ocp.registry.tests.lib.playbook import run_playbook

        inventory = write_inventory(DEMO_DIR)
        evars = extra_vars(DEMO_DIR)
        env = {"K8S_AUTH_KUBECONFIG": info["kubeconfig"], "ANSIBLE_COLLECTIONS_PATH": stack.collections_path()}
        playbook = os.path.join(REPO_ROOT, "playbooks", "demo.yml")
        results = []
        for attempt in (1, 2):
            print("== run %d: ansible-playbook playbooks/demo.yml (site.yml + import_images.yml)" % attempt, flush=True)
            t0 = time.monotonic()
            run = run_playbook(playbook, extra_vars=evars, inventory=inventory, env=env)
            if args.verbose:
                print(run.stdout)
            changed = [t["task"] for t in run.changed]
            print("   rc=%d, %d task results, changed=%d, failed=%d, %.1fs" % (
                run.rc, len(run.tasks), len(changed), len(run.failed), time.monotonic() - t0), flush=True)
            if run.rc != 0:
                _print_failure(run)
                return 1
            results.append(run)
            if attempt == 1:
                print(summary(run, info), flush=True)
            elif changed:
                print("   NOT idempotent; changed on the second run: %s" % changed)
                return 1
            else:
                print("   second run changed nothing: the playbooks are idempotent", flush=True)
        print("== done in %.0fs; simulator state saved to %s" % (
            time.monotonic() - started, os.path.join(DEMO_DIR, "state.json")))
        if args.keep:
            print("   still running: export K8S_AUTH_KUBECONFIG=%s; stop with: %s tests/tools/stack.py down --dir %s"
                  % (info["kubeconfig"], sys.executable, DEMO_DIR))
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the simulator and the registry")
        return 130
    finally:
        if not (args.keep and info):
            stack.down(DEMO_DIR)


if __name__ == "__main__":
    sys.exit(main())
