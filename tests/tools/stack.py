"""Start and stop the loopback test stack used by Molecule, the demo and the ansible-runner test.

    python tests/tools/stack.py up   --dir DIR [--platform P] [--state-file F]
    python tests/tools/stack.py down --dir DIR

``up`` starts, all on 127.0.0.1:
* the OpenShift API simulator (``python -m tests.simulator serve``) in the background, platform P;
* a real docker-registry (TLS, htpasswd) serving the certificate of the route ``public`` (host ``registry.apps.example.test``; also valid
  for ``localhost`` and 127.0.0.1, since no DNS name resolves offline: clients reach it as localhost:PORT),
  signed by a test CA, with demo/app:v1, demo/app:v2 and demo/app:latest (= v1) pushed;
and writes DIR/stack.json (pids, paths, addresses) plus DIR/vars.yml, the variables the roles, playbooks and
Molecule scenarios take (kubeconfig, CA, route certificate, registry address and credentials).
``down`` stops what DIR/stack.json recorded (SIGTERM, then SIGKILL) and is safe to repeat.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(_HERE))


def _import_lib():
    """tests/lib as ansible_collections.ocp.registry.tests.lib (the conftest shim's collection path)."""
    base = os.path.join(REPO_ROOT, ".cache", "collections")
    link = os.path.join(base, "ansible_collections", "ocp", "registry")
    parts = REPO_ROOT.split(os.sep)
    if parts[-3:-1] == ["ansible_collections", "ocp"]:
        base = os.sep.join(parts[:-3])
    elif not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink(REPO_ROOT, link)
        except FileExistsError:
            pass
    if base not in sys.path:
        sys.path.insert(0, base)
    from ansible_collections.ocp.registry.tests.lib import certs, registry
    return certs, registry


def collections_path() -> str:
    parts = REPO_ROOT.split(os.sep)
    if parts[-3:-1] == ["ansible_collections", "ocp"]:
        return os.sep.join(parts[:-3])
    return os.path.join(REPO_ROOT, ".cache", "collections")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        return os.waitpid(pid, os.WNOHANG)[0] == 0
    except ChildProcessError:
        return True


def stop_pid(pid: int | None, timeout: float = 10.0) -> None:
    if not pid or not _alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for a process we do not parent: no event to wait on
    if _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_simulator(state_dir: str, platform: str, state_file: str | None = None, timeout: float = 60.0):
    """Start the simulator CLI in the background; returns (Popen, kubeconfig path)."""
    os.makedirs(state_dir, exist_ok=True)
    ready = os.path.join(state_dir, "ready")
    if os.path.exists(ready):
        os.unlink(ready)
    cmd = [sys.executable, "-m", "tests.simulator", "serve", "--state-dir", state_dir, "--platform", platform]
    if state_file:
        cmd += ["--state-file", state_file]
    log = open(os.path.join(state_dir, "serve.log"), "ab")
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    while not os.path.exists(ready):
        if proc.poll() is not None:
            raise RuntimeError("the simulator exited (rc %s); see %s" % (proc.returncode,
                                                                         os.path.join(state_dir, "serve.log")))
        if time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError("the simulator did not become ready in %ss" % timeout)
        time.sleep(0.05)  # the ready file is the only signal the CLI gives
    return proc, os.path.join(state_dir, "kubeconfig")


def _kubeconfig_info(path: str) -> dict:
    import yaml
    with open(path, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    cluster = cfg["clusters"][0]["cluster"]
    token = next(u["user"]["token"] for u in cfg["users"] if u["name"] == "admin")
    return {"url": cluster["server"], "token": token}


def up(directory: str, platform: str = "baremetal", state_file: str | None = None) -> dict:
    certs, registry = _import_lib()
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    info: dict = {"dir": directory, "platform": platform}
    stack_file = os.path.join(directory, "stack.json")
    try:
        pki = os.path.join(directory, "pki")
        ca = certs.make_ca("ocp.registry test route CA", days=3650)
        ca_cert, ca_key = ca.write(pki, "ca")
        leaf = certs.make_leaf(ca, hosts=("registry.apps.example.test", "localhost", "127.0.0.1"), days=3000)
        route_cert, route_key = leaf.write(pki, "route-public")
        reg = registry.start_registry(os.path.join(directory, "registry"), server_cert=route_cert,
                                      server_key=route_key)
        info.update(registry_pid=reg._process.pid, registry_host=reg.host, registry_user=reg.user,
                    registry_password=reg.password, registry_log=reg.log_path)
        _write(stack_file, info)
        images_dir = os.path.join(directory, "images")
        digests, refs = {}, {}
        for label in ("v1", "v2"):
            refs[label] = registry.build_image(images_dir, label, label[1:])
            digests[label] = reg.push(refs[label], "demo/app:" + label)
        digests["latest"] = reg.push(refs["v1"], "demo/app:latest")
        proc, kubeconfig = start_simulator(os.path.join(directory, "sim"), platform, state_file)
        info.update(sim_pid=proc.pid, kubeconfig=kubeconfig, sim_ca=os.path.join(directory, "sim", "ca.crt"),
                    **{"sim_" + k: v for k, v in _kubeconfig_info(kubeconfig).items()})
        info.update(ca_cert=ca_cert, ca_key=ca_key, route_cert=route_cert, route_key=route_key, digests=digests)
        _write(stack_file, info)
        _write_vars(directory, info)
        return info
    except BaseException:
        down(directory)
        raise


def _write(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _write_vars(directory: str, info: dict) -> None:
    """vars.yml: what a play needs to drive the roles against this stack (JSON is valid YAML)."""
    host = info["registry_host"]
    port = host.rsplit(":", 1)[1]
    data = {
        "stack_dir": directory,
        "stack_kubeconfig": info["kubeconfig"],
        "stack_sim_url": info["sim_url"],
        "stack_sim_token": info["sim_token"],
        "stack_sim_ca": info["sim_ca"],
        "stack_ca_cert": info["ca_cert"],
        "stack_ca_key": info["ca_key"],
        "stack_route_cert": info["route_cert"],
        "stack_route_key": info["route_key"],
        "stack_registry_host": host,
        "stack_route_login": "localhost:" + port,
        "stack_registry_user": info["registry_user"],
        "stack_registry_password": info["registry_password"],
        "stack_digests": info["digests"],
        "stack_trust_root": os.path.join(directory, "trust-root"),
    }
    _write(os.path.join(directory, "vars.yml"), data)


def down(directory: str, supervisor: bool = True) -> None:
    path = os.path.join(os.path.abspath(directory), "stack.json")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as fh:
        info = json.load(fh)
    stop_pid(info.get("sim_pid"))
    stop_pid(info.get("registry_pid"))
    if supervisor and info.get("supervisor_pid") != os.getpid():
        stop_pid(info.get("supervisor_pid"))
    info["stopped"] = True
    _write(path, info)


def _supervise(args, write_fd: int) -> None:
    code = 1
    try:
        os.setsid()
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        info = up(args.dir, args.platform, args.state_file)
        info["supervisor_pid"] = os.getpid()
        _write(os.path.join(info["dir"], "stack.json"), info)
        os.write(write_fd, b"ready\n")
        os.close(write_fd)
        while not stopping:
            signal.pause()  # until down() sends SIGTERM
        down(args.dir, supervisor=False)
        code = 0
    except BaseException:  # report, then leave without running the parent's cleanup
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stack.py")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up")
    p_up.add_argument("--dir", required=True)
    p_up.add_argument("--platform", default=os.environ.get("MOLECULE_SIM_PLATFORM", "baremetal"))
    p_up.add_argument("--state-file")
    p_down = sub.add_parser("down")
    p_down.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "up":
        # A supervisor child in a session of its own starts the stack and stays alive until `down`: the
        # docker-registry dies with its parent (tests/lib/registry.py), and the caller may kill its own process
        # group on exit (Ansible's command module does).
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _supervise(args, write_fd)  # never returns
        os.close(write_fd)
        with os.fdopen(read_fd, "r") as pipe:
            answer = pipe.read()
        if answer.strip() != "ready":
            os.waitpid(pid, 0)
            return 1
        with open(os.path.join(os.path.abspath(args.dir), "stack.json"), encoding="utf-8") as fh:
            info = json.load(fh)
        print(json.dumps({k: v for k, v in info.items() if "password" not in k and "token" not in k}))
    else:
        down(args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
