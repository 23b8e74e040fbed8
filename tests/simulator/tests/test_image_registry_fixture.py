"""The real-registry helper (tests/lib/registry.py) itself: TLS, htpasswd, push, digests, clean stop."""
import hashlib
import json
import os
import socket
import ssl
import urllib.error
import urllib.request

import pytest

from ansible_collections.ocp.registry.tests.lib import registry as regmod

pytestmark = pytest.mark.registry


def test_registry_requires_auth_and_reports_digests(docker_registry, oci_images):
    reg = docker_registry
    assert reg.host.startswith("127.0.0.1:") and reg.url == f"https://{reg.host}"
    assert os.path.exists(os.path.join(reg.cert_dir, "ca.crt"))
    assert [f for f in os.listdir(reg.cert_dir) if f.endswith(".key")] == []   # skopeo cert-dir: CA only
    ctx = ssl.create_default_context(cafile=reg.ca_file)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{reg.url}/v2/", context=ctx, timeout=10)
    assert e.value.code == 401 and "Basic" in e.value.headers["WWW-Authenticate"]
    d1 = reg.push(oci_images["v1"], "fixture/app:one")
    d2 = reg.push(oci_images["v2"], "fixture/app:two")
    assert d1 != d2
    mtype, raw = reg.manifest("fixture/app:one")
    assert mtype == "application/vnd.oci.image.manifest.v1+json"
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == d1 == reg.digest("fixture/app:one")
    assert reg.tags("fixture/app") == ["one", "two"]
    reg.push(oci_images["v3"], "fixture/gone:x")
    reg.delete_tag("fixture/gone:x")
    assert reg.tags("fixture/gone") == []
    with pytest.raises(LookupError):
        reg.digest("fixture/gone:x")
    assert reg.tags("fixture/none") == []
    assert reg.push(oci_images["v1"], "fixture/app:s2", fmt="v2s2") != d1
    assert reg.manifest("fixture/app:s2")[0] == "application/vnd.docker.distribution.manifest.v2+json"
    # the auth file skopeo uses is private
    assert oct(os.stat(reg.authfile).st_mode & 0o777) == "0o600"
    assert json.load(open(reg.authfile))["auths"][reg.host]["auth"]


def test_stop_frees_the_port_and_process(tmp_path, oci_images):
    if not (os.path.exists("/usr/bin/docker-registry") or regmod.shutil.which("docker-registry")):
        pytest.skip("docker-registry not installed")
    reg = regmod.start_registry(str(tmp_path / "r"), tls=False, user=None)
    host, port = reg.host.rsplit(":", 1)
    digest = reg.push(oci_images["v3"], "plain/x:1")
    assert digest.startswith("sha256:")
    proc = reg._process
    reg.stop()
    assert proc.poll() is not None
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=2).close()
    reg.stop()   # idempotent


def test_build_image_is_distinct_per_label(tmp_path):
    if regmod.shutil.which("umoci") is None:
        pytest.skip("umoci not installed")
    a = regmod.build_image(str(tmp_path), "a", "x")
    b = regmod.build_image(str(tmp_path), "b", "y")
    assert a == f"oci:{tmp_path}/oci:a" and b.endswith(":b")
    index = json.load(open(tmp_path / "oci" / "index.json"))
    digests = {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in index["manifests"]}
    assert digests["a"] != digests["b"]


def test_caller_supplied_serving_certificate(tmp_path, oci_images):
    if regmod.shutil.which("docker-registry") is None:
        pytest.skip("docker-registry not installed")
    pki = tmp_path / "pki"
    ca, ca_key = regmod.make_ca(str(pki), "Caller CA")
    crt, key = regmod.make_server_cert(str(pki), ca, ca_key, hosts=("127.0.0.1",), name="serving")
    reg = regmod.start_registry(str(tmp_path / "r"), server_cert=crt, server_key=key)
    try:
        assert open(reg.ca_file).read() == open(ca).read()       # ca.crt next to the cert is adopted
        digest = reg.push(oci_images["v1"], "own/cert:1")
        assert reg.digest("own/cert:1") == digest
        peer = ssl.get_server_certificate(tuple([reg.host.split(":")[0], int(reg.host.split(":")[1])]))
        assert peer.strip() == open(crt).read().strip()
    finally:
        reg.stop()
