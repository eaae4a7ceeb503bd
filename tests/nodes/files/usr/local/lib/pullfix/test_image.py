"""Create a tiny OCI image offline and push it to a registry on the node's loopback.

Test fixture. Usage: pullfix-test-image REGISTRY REPOSITORY:TAG [--content TEXT]

The image holds a single file, /pullfix-image, whose text defaults to the image
name, so every name gets its own digest. Nothing is fetched from anywhere: the
layer, config and manifest are written here and pushed with skopeo.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest


def layer_bytes(text):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        body = text.encode() + b"\n"
        info = tarfile.TarInfo("pullfix-image")
        info.size, info.mode, info.mtime = len(body), 0o644, 0
        tar.addfile(info, io.BytesIO(body))
    tar_bytes = raw.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, mtime=0)


def write_layout(layout, tag, text):
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    tar_bytes, gz_bytes = layer_bytes(text)
    layer = put_blob(layout, gz_bytes)
    config = json.dumps({
        "architecture": ARCH, "os": "linux",
        "config": {"Cmd": ["/pullfix-image"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]},
    }, sort_keys=True).encode()
    config_digest = put_blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer, "size": len(gz_bytes)}],
    }, sort_keys=True).encode()
    manifest_digest = put_blob(layout, manifest)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    return manifest_digest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", help="host:port of a plain-HTTP registry, e.g. 127.0.0.1:5000")
    parser.add_argument("reference", help="repository:tag, e.g. library/hello:1")
    parser.add_argument("--content", help="text of /pullfix-image (default: the reference)")
    args = parser.parse_args()
    if ":" not in args.reference:
        parser.error("reference must be repository:tag")
    tag = args.reference.rsplit(":", 1)[1]
    with tempfile.TemporaryDirectory() as tmp:
        layout = os.path.join(tmp, "oci")
        digest = write_layout(layout, tag, args.content or args.reference)
        subprocess.run(
            ["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
             "oci:%s:%s" % (layout, tag), "docker://%s/%s" % (args.registry, args.reference)],
            check=True)
    print(digest)


if __name__ == "__main__":
    sys.exit(main())
