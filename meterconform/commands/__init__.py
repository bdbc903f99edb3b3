"""Subcommands of the `meterconform` command line, one module each."""

from pathlib import Path

from ..errors import UsageError


def make_output_dir(path: Path, option: str) -> None:
    """Create the directory reports go to; UsageError names why it cannot be and the fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{option} {path}: a file is there, not a directory; give {option} a directory") from None
    except NotADirectoryError:
        raise UsageError(
            f"{option} {path}: a part of that path is a file, not a directory; give {option} a directory"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot create the directory ({exc.strerror or exc}); give {option} a writable directory"
        ) from None
