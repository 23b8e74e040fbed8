"""registry_certificate + registry_ca_trust against a real docker-registry, skopeo and podman.

The registry serves TLS with a certificate made by registry_certificate from a throw-away CA. skopeo and
podman fail with an x509 error until registry_ca_trust writes the CA for 127.0.0.1:<port> into
/etc/containers/certs.d (or /etc/docker/certs.d), succeed afterwards, and fail again after state=absent.

A third test checks the OS trust store path (trust_stores=[system], Debian family) on a scratch root, refreshed
by the real update-ca-certificates pointed at that root, with TLS verified against the resulting bundle.

This writes the real certs.d paths of this machine, so it needs root. It only ever touches the two
directories named after its own registry's unique port and removes them even when it fails.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.ocp.registry.tests.lib import certs
from ansible_collections.ocp.registry.tests.lib.modules import run_module

pytestmark = [pytest.mark.registry, pytest.mark.slow]

CERTS_D = ("/etc/containers/certs.d", "/etc/docker/certs.d")


def _need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip("needs %s" % ", ".join(missing))
    if os.geteuid() != 0:
        pytest.skip("writes /etc/containers/certs.d: needs root")


@pytest.fixture
def tls_registry(tmp_path, registry_factory, oci_images):
    """A docker-registry whose serving certificate comes from registry_certificate."""
    _need("docker-registry", "skopeo", "podman")
    ca = certs.make_ca("ca-trust e2e CA")
    ca_cert, ca_key = ca.write(str(tmp_path / "pki"), "ca")
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    shutil.copyfile(ca_cert, tls_dir / "ca.crt")  # start_registry gives it to its own pushes (--dest-cert-dir)
    out = run_module("registry_certificate", {
        "ca_cert_path": ca_cert, "ca_key_path": ca_key, "hostnames": ["127.0.0.1", "localhost"],
        "path": str(tls_dir / "server.crt"), "key_path": str(tls_dir / "server.key"), "validity_days": 30,
        "renew_before_days": 1})
    assert out["changed"] and out["certificate"]["ip_addresses"] == ["127.0.0.1"], out
    reg = registry_factory("tls-reg", server_cert=str(tls_dir / "server.crt"), server_key=str(tls_dir / "server.key"))
    reg.push(oci_images["v1"], "demo/app:v1")
    dirs = [os.path.join(base, reg.host) for base in CERTS_D]
    for d in dirs:
        assert not os.path.exists(d), "%s exists before the test; refusing to touch it" % d
    created_parents = [p for p in ("/etc/containers/certs.d", "/etc/docker/certs.d", "/etc/docker")
                       if not os.path.exists(p)]
    try:
        yield reg, ca_cert
    finally:
        for d in dirs:  # only the directories named after this registry's unique port
            shutil.rmtree(d, ignore_errors=True)
        for p in created_parents:  # parents the module made for this test, if nothing else uses them
            try:
                os.rmdir(p)
            except OSError:
                pass


@pytest.fixture
def podman_store():
    # podman refuses a runroot longer than 50 characters, so not under tmp_path
    path = tempfile.mkdtemp(prefix="ocpreg-pdm-")
    try:
        yield path
    finally:
        subprocess.run(["podman", "--root", path + "/root", "--runroot", path + "/run", "--storage-driver", "vfs",
                        "rmi", "--all", "--force"], capture_output=True, timeout=120, check=False)
        shutil.rmtree(path, ignore_errors=True)


def _skopeo(reg):
    return subprocess.run(["skopeo", "inspect", "--authfile", reg.authfile, "docker://%s/demo/app:v1" % reg.host],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, HOME=reg.workdir), check=False)


def _podman(reg, store):
    return subprocess.run(["podman", "--root", store + "/root", "--runroot", store + "/run",
                           "--storage-driver", "vfs", "pull", "--quiet", "--authfile", reg.authfile,
                           "%s/demo/app:v1" % reg.host],
                          capture_output=True, text=True, timeout=180, env=dict(os.environ, HOME=reg.workdir), check=False)


def _assert_x509(res, tool):
    assert res.returncode != 0, "%s succeeded without trust: %s" % (tool, res.stdout)
    assert "x509" in res.stderr or "certificate signed by unknown authority" in res.stderr, res.stderr


def _trust(reg, ca_cert, stores, state="present"):
    params = {"registry": reg.host, "trust_stores": stores, "state": state}
    if state == "present":
        params["ca_path"] = ca_cert
    return run_module("registry_ca_trust", params, diff=True)


def test_skopeo_and_podman_trust_via_containers_certs_d(tls_registry, podman_store):
    reg, ca_cert = tls_registry
    _assert_x509(_skopeo(reg), "skopeo")
    _assert_x509(_podman(reg, podman_store), "podman")

    check = run_module("registry_ca_trust", {"registry": reg.host, "ca_path": ca_cert, "trust_stores": ["containers"]},
                       check_mode=True)
    assert check["changed"] and not os.path.exists("/etc/containers/certs.d/" + reg.host)
    out = _trust(reg, ca_cert, ["containers"])
    assert out["changed"] and out["files"][0]["path"] == "/etc/containers/certs.d/%s/ca.crt" % reg.host
    assert not _trust(reg, ca_cert, ["containers"])["changed"]

    res = _skopeo(reg)
    assert res.returncode == 0, res.stderr
    assert '"Name": "%s/demo/app"' % reg.host in res.stdout
    res = _podman(reg, podman_store)
    assert res.returncode == 0, res.stderr

    gone = _trust(reg, ca_cert, ["containers"], state="absent")
    assert gone["changed"] and gone["files"][0]["directory_removed"]
    assert not os.path.exists("/etc/containers/certs.d/" + reg.host)
    assert not _trust(reg, ca_cert, ["containers"], state="absent")["changed"]
    _assert_x509(_skopeo(reg), "skopeo")
    _assert_x509(_podman(reg, podman_store), "podman")


def test_docker_certs_d_is_honoured_when_no_containers_dir(tls_registry):
    reg, ca_cert = tls_registry
    out = _trust(reg, ca_cert, ["docker"])
    assert out["changed"] and os.path.exists("/etc/docker/certs.d/%s/ca.crt" % reg.host)
    res = _skopeo(reg)
    assert res.returncode == 0, res.stderr
    # an empty per-host containers dir would hide the docker one; the module never leaves one behind
    os.makedirs("/etc/containers/certs.d/" + reg.host)
    try:
        _assert_x509(_skopeo(reg), "skopeo with an empty containers dir")
    finally:
        os.rmdir("/etc/containers/certs.d/" + reg.host)
    _trust(reg, ca_cert, ["docker"], state="absent")
    assert not os.path.exists("/etc/docker/certs.d/" + reg.host)
    _assert_x509(_skopeo(reg), "skopeo")


def _tls_ok(reg, cafile):
    """GET /v2/ over TLS verified against cafile only: True on any HTTP answer, False on a verify failure."""
    import http.client
    import ssl

    host, port = reg.host.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    try:
        conn.request("GET", "/v2/")
        conn.getresponse().read()
        return True
    except ssl.SSLCertVerificationError:
        return False
    finally:
        conn.close()


@pytest.mark.skipif(shutil.which("update-ca-certificates") is None, reason="needs Debian's update-ca-certificates")
def test_debian_system_store_with_the_real_refresh_command(tls_registry, tmp_path):
    """trust_stores=[system] on a scratch root, refreshed by the real update-ca-certificates pointed at that root."""
    reg, ca_cert = tls_registry
    root = tmp_path / "sysroot"
    for d in ("etc/ssl/certs", "usr/share/ca-certificates", "usr/local/share/ca-certificates"):
        (root / d).mkdir(parents=True)
    # one unrelated CA, so the bundle is never empty (update-ca-certificates keeps a stale bundle otherwise)
    (root / "usr/share/ca-certificates/unrelated.crt").write_text(certs.make_ca("Unrelated CA").cert_pem)
    (root / "etc/ca-certificates.conf").write_text("unrelated.crt\n")
    refresh = ["update-ca-certificates", "--certsconf", str(root / "etc/ca-certificates.conf"),
               "--certsdir", str(root / "usr/share/ca-certificates"),
               "--localcertsdir", str(root / "usr/local/share/ca-certificates"),
               "--etccertsdir", str(root / "etc/ssl/certs"), "--hooksdir", str(root / "etc/ca-certificates/update.d")]
    bundle = str(root / "etc/ssl/certs/ca-certificates.crt")
    params = {"registry": reg.host, "ca_path": ca_cert, "trust_stores": ["system"], "root": str(root),
              "os_family": "Debian", "refresh_command": refresh}
    subprocess.run(refresh, check=True, capture_output=True, timeout=120)
    assert not _tls_ok(reg, bundle)
    out = run_module("registry_ca_trust", params)
    assert out["changed"] and out["refreshed"], out
    assert _tls_ok(reg, bundle)
    again = run_module("registry_ca_trust", params)
    assert not again["changed"] and not again["refreshed"]
    gone = run_module("registry_ca_trust", dict(params, state="absent", ca_path=None))
    assert gone["changed"] and gone["refreshed"]
    assert not _tls_ok(reg, bundle)
