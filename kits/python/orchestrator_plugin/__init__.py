"""Orchestrator plugins in Python: docs/protocol.md (protocol v3) done once, so a plugin is its work.

    from orchestrator_plugin import Plugin, Result

    plugin = Plugin("audit-python", mandatory=True, timeout=60, order=50)

    @plugin.process
    def work(ctx):
        ctx.input("Provision", "dns")          # an upstream output (inline or from the payload bucket)
        return Result.complete({"done": True})  # or fatal / retry / schedule / wait_for_report / start_child

    handler = plugin.handler                    # the Lambda handler: initialize, SNS stage messages, SQS work

The result names are the Java library's (dev.orchestrator.plugin.PluginResult).
"""
from .results import Result, Complete, Wait, Schedule, RetryError, FatalError, StartChild
from .execution import Execution, InputUnavailable, backoff_seconds
from .plugin import Plugin, Context

__all__ = ["Plugin", "Context", "Result", "Complete", "Wait", "Schedule", "RetryError", "FatalError", "StartChild",
           "Execution", "InputUnavailable", "backoff_seconds"]
