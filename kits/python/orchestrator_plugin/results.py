"""What a plugin's work returns: the Java library's PluginResult vocabulary (docs/protocol.md, section 8)."""
from dataclasses import dataclass, field
from typing import Any, Optional

_NO_OUTPUT = object()


@dataclass(frozen=True)
class Complete:
    """Complete; with an output (a JSON object) when one is given."""
    output: Any = _NO_OUTPUT

    @property
    def has_output(self):
        return self.output is not _NO_OUTPUT


@dataclass(frozen=True)
class Wait:
    """Stay In Progress; report later (Plugin.report_later), e.g. from a callback."""


@dataclass(frozen=True)
class Schedule:
    """Run again after delay_seconds, no Lambda waiting (the engine re-publishes at rerunAt)."""
    delay_seconds: float
    message: Optional[str] = None


@dataclass(frozen=True)
class RetryError:
    """A transient failure: re-run with backoff (2^attempt s) up to PLUGIN_MAX_ATTEMPTS, then Error."""
    message: str


@dataclass(frozen=True)
class FatalError:
    """Error at once, with the message."""
    message: str


@dataclass(frozen=True)
class StartChild:
    """Hand the work to a child workflow; its outcome becomes this plugin's (docs/protocol.md, section 9)."""
    request: dict = field(default_factory=dict)


_CHILD_FIELDS = {"workflow", "activities", "metadata", "filterAttributes", "pluginRegisterTimeout", "pluginTimeout",
                 "startTimeout"}


class Result:
    """Factories with the Java names: complete, wait_for_report, schedule, retry, fatal, start_child."""

    @staticmethod
    def complete(output=_NO_OUTPUT):
        return Complete(output)

    @staticmethod
    def wait_for_report():
        return Wait()

    @staticmethod
    def schedule(delay_seconds, message=None):
        if delay_seconds < 0:
            raise ValueError("schedule: delay_seconds must be 0 or more, got %r" % (delay_seconds,))
        return Schedule(delay_seconds, message)

    @staticmethod
    def retry(message):
        return RetryError(str(message))

    @staticmethod
    def fatal(message):
        return FatalError(str(message))

    @staticmethod
    def start_child(workflow, activities, **options):
        """options: metadata, filterAttributes, pluginRegisterTimeout, pluginTimeout, startTimeout."""
        unknown = sorted(set(options) - _CHILD_FIELDS)
        if unknown:
            raise ValueError("start_child: unknown field(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(sorted(_CHILD_FIELDS - {"workflow", "activities"}))))
        if not isinstance(workflow, str) or not workflow:
            raise ValueError("start_child: workflow must be a non-empty string")
        if not isinstance(activities, list) or not activities:
            raise ValueError("start_child: activities must be a non-empty list (names or {name, dependsOn} objects)")
        return StartChild(dict({"workflow": workflow, "activities": activities}, **options))
