"""Files that are whole or absent: written beside, synced, renamed."""
import os
import os.path as osp

__all__ = ['fsync_file', 'publish_file', 'write_text_atomic']


def fsync_file(path: str) -> None:
    """Flush a file's data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        fd = os.open(folder or '.', os.O_RDONLY)
    except OSError:  # a platform that cannot open folders
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_file(tmp_path: str, path: str) -> None:
    """Sync a finished temporary file and rename it to ``path`` atomically.

    ``tmp_path`` must be in the same folder (the same file system) as
    ``path``: a reader then sees the old ``path`` or the whole new one.
    """
    fsync_file(tmp_path)
    os.replace(tmp_path, path)
    _fsync_dir(osp.dirname(path))


def write_text_atomic(path: str, text: str) -> None:
    """Replace a small text file as a whole."""
    tmp_path = osp.join(osp.dirname(path), f'.{osp.basename(path)}.part')
    with open(tmp_path, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_path, path)
    _fsync_dir(osp.dirname(path))
