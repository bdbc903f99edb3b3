"""Subcommands of the `meterconform` command line, one module each."""

from pathlib import Path


def make_output_dir(path: Path, option: str) -> str | None:
    """Create the directory reports go to; None when it is there, else the sentence naming why not and the fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"{option} {path}: a file is there, not a directory; give {option} a directory"
    except NotADirectoryError:
        return f"{option} {path}: a part of that path is a file, not a directory; give {option} a directory"
    except OSError as exc:
        return f"{option} {path}: cannot create the directory ({exc.strerror or exc}); give {option} a writable directory"
    return None
