"""The hex digest of a file, read in chunks (never whole into memory)."""
import hashlib


def file_digest(path: str, algorithm: str = 'sha1',
                chunk: int = 1 << 24) -> str:
    """``hashlib.new(algorithm)`` over the bytes of ``path``: the input and
    checkpoint fingerprints of a proxy run (sha1), a published model's
    sha256, a download's published md5."""
    h = hashlib.new(algorithm)
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()
