"""The native module: the cyclebt command line, in-process."""

class CyclebtError(Exception): ...
class InputError(CyclebtError): ...
class InternalError(CyclebtError): ...
class StrategiesFailed(InputError): ...

def run(args: list[str]) -> tuple[str, str]:
    """Runs one command line (without the program name); returns (stdout, stderr)."""

def cut_points(
    first: int, last: int, cuts: int | None = None, seed: int | None = None
) -> list[int]:
    """The causality audit's seeded cut points for decision days first..=last."""

def toml_from_json(json: str) -> str:
    """A strategy given as JSON text, as the TOML the binary reads."""
